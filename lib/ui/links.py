"""Links between pages that carry the URL state (catalog source, model)."""
from __future__ import annotations

import streamlit as st

from lib.i18n import N_, _
from lib.ui.frame import NAV, kept_params, page_exists

DISCOVER = "pages/1_Discover.py"
MODEL = "pages/2_Model.py"
PLAYGROUND = "pages/3_Playground.py"


def carried_params(**extra: str | None) -> dict[str, str]:
    """The params every page keeps (:func:`lib.ui.frame.kept_params`: ``source=``, ``offline=``, the session
    ``shortlist=``) plus ``extra`` (None values dropped)."""
    out = kept_params()
    out.update({k: v for k, v in extra.items() if v})
    return out


def go_discover(search: str | None = None) -> None:
    """Switch to Discover with ``search`` as the free-text filter in its URL."""
    st.switch_page(DISCOVER, query_params=carried_params(search=(search or "").strip() or None))


# What each page is for, beside its link on the home page (by its label in lib.ui.frame.NAV; a page without a
# line here is listed by its label alone).
PAGE_BLURBS: dict[str, str] = {
    "Discover": N_("find models by task, size and popularity"),
    "Model": N_("facts, exact parameters, memory fit, code"),
    "Playground": N_("run a model in place"),
    "Sessions": N_("compare models as a team: run, rate blind, leaderboard"),
    # i18n: the keys are page titles (translated where shown)
    "Local models": N_("what is on this machine: the Hugging Face cache and model folders"),
}


def page_links() -> None:
    """Links to every page in the sidebar's list (lib.ui.frame.NAV) but the home page, that exist here."""
    for path, label, icon in NAV:
        if path.startswith("pages/") and page_exists(path):
            blurb = PAGE_BLURBS.get(label)
            st.page_link(path, label=f"{_(label)} — {_(blurb)}" if blurb else _(label), icon=icon,
                         query_params=carried_params())


def open_model_link(model_id: str, hub_url: str) -> None:
    """Open a model: on the Model page when it exists, else on the Hub."""
    if page_exists(MODEL):
        st.page_link(MODEL, label=_("Open **{model}**").format(model=model_id), icon=":material/open_in_new:",
                     query_params=carried_params(model=model_id))
    st.link_button(_("View on the Hub"), hub_url, icon=":material/open_in_new:")
