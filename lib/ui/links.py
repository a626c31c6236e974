"""Links between pages that carry the URL state (catalog source, model)."""
from __future__ import annotations

import streamlit as st

from lib.ui.frame import page_exists

DISCOVER = "pages/1_Discover.py"
MODEL = "pages/2_Model.py"
PLAYGROUND = "pages/3_Playground.py"


def carried_params(**extra: str | None) -> dict[str, str]:
    """The params every page keeps (``source=``, the session ``shortlist=``) plus ``extra`` (None values dropped)."""
    out: dict[str, str] = {}
    for key in ("source", "shortlist"):
        if key in st.query_params:
            out[key] = st.query_params[key]
    out.update({k: v for k, v in extra.items() if v})
    return out


def go_discover(search: str | None = None) -> None:
    """Switch to Discover with ``search`` as the free-text filter in its URL."""
    st.switch_page(DISCOVER, query_params=carried_params(search=(search or "").strip() or None))


def page_links() -> None:
    """Links to the pages that exist in this checkout."""
    st.page_link(DISCOVER, label="Discover — find models by task, size and popularity",
                 icon=":material/search:", query_params=carried_params())
    if page_exists(MODEL):
        st.page_link(MODEL, label="Model — facts, exact parameters, memory fit, code",
                     icon=":material/deployed_code:", query_params=carried_params())
    if page_exists(PLAYGROUND):
        st.page_link(PLAYGROUND, label="Playground — run a model in place",
                     icon=":material/play_circle:", query_params=carried_params())


def open_model_link(model_id: str, hub_url: str) -> None:
    """Open a model: on the Model page when it exists, else on the Hub."""
    if page_exists(MODEL):
        st.page_link(MODEL, label=f"Open **{model_id}**", icon=":material/open_in_new:",
                     query_params=carried_params(model=model_id))
    st.link_button("View on the Hub", hub_url, icon=":material/open_in_new:")
