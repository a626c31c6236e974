"""The session shortlist: models collected with "Add to session" on Discover, the Model page and the
Playground, kept in the URL (``?shortlist=a/b,c/d``) until a session is created on the Sessions page.

The URL is the truth (a link carries the shortlist to a colleague); a plain session key keeps a copy so
that a link that forgot the parameter does not lose it (:func:`keep`, called by every page's frame).
"""
from __future__ import annotations

import streamlit as st

from lib import format as fmt
from lib.i18n import _

PARAM = "shortlist"
MAX = 8  # a session compares 2-8 candidates
SESSIONS_PAGE = "pages/4_Sessions.py"
_MEMORY = "_hubscout_shortlist"


def parse(value: str | None) -> list[str]:
    """``a/b,c/d`` -> ``["a/b", "c/d"]``: stripped, de-duplicated, in order, at most :data:`MAX`."""
    items = [s.strip() for s in (value or "").split(",")]
    return list(dict.fromkeys(s for s in items if s))[:MAX]


def current() -> list[str]:
    """The shortlist in the URL (or, when the URL has none, the copy kept for this browser session)."""
    if PARAM in st.query_params:
        return parse(st.query_params.get(PARAM))
    return list(st.session_state.get(_MEMORY, []))


def _write(models: list[str]) -> None:
    models = parse(",".join(models))
    st.session_state[_MEMORY] = models
    if models:
        st.query_params[PARAM] = ",".join(models)
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def keep() -> None:
    """Put the kept shortlist back into the URL when a link dropped it; remember the URL's otherwise."""
    if PARAM in st.query_params:
        st.session_state[_MEMORY] = parse(st.query_params.get(PARAM))
    elif st.session_state.get(_MEMORY):
        st.query_params[PARAM] = ",".join(st.session_state[_MEMORY])


def add(model: str) -> None:
    _write(current() + [model])


def remove(model: str) -> None:
    _write([m for m in current() if m != model])


def clear() -> None:
    _write([])


def add_button(model: str, key: str) -> None:
    """"Add to session" for ``model`` (or "In the shortlist" with a way out), and a link to Sessions."""
    models = current()
    left, right = st.columns([1, 1], vertical_alignment="center")
    with left:
        if model in models:
            st.button(_("In the session shortlist ({n}) — remove").format(n=fmt.number(len(models))),
                      key=f"{key}_shortlist_remove", icon=":material/playlist_remove:", on_click=remove, args=(model,),
                      help=_("The shortlist is in this page's URL until a session is created from it."))
        elif len(models) >= MAX:
            st.button(_("Add to session"), key=f"{key}_shortlist_add", icon=":material/playlist_add:", disabled=True,
                      help=_("The shortlist is full: a session compares at most {n} models.").format(
                          n=fmt.number(MAX)))
        else:
            st.button(_("Add to session"), key=f"{key}_shortlist_add", icon=":material/playlist_add:",
                      on_click=add, args=(model,),
                      help=_("Collect models to compare in a team evaluation session (Sessions page)."))
    with right:
        if models:
            st.page_link(SESSIONS_PAGE, label=_("Sessions: create from the shortlist ({n})").format(
                             n=fmt.number(len(models))),
                         icon=":material/groups:", query_params=_link_params())


def _link_params() -> dict[str, str]:
    out = {PARAM: ",".join(current())}
    if "source" in st.query_params:
        out["source"] = st.query_params["source"]
    return out
