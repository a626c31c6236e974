"""The UI language of this browser session: ``?lang=es|en`` first, then the choice made in the sidebar,
then the browser's locale (``st.context.locale``), then English. The sidebar's switch writes ``lang=`` into
the URL, and every link between pages keeps it (:func:`lib.ui.frame.kept_params`).

Registered with :func:`lib.i18n.use_resolver`, so that ``_()`` anywhere (lib/ too) answers in this session's
language during a script run, a fragment's rerun or a widget callback.
"""
from __future__ import annotations

import streamlit as st

from lib import i18n

PARAM = "lang"
KEY = "lang_switch"  # the sidebar widget
_MEMORY = "_lang"  # survives page switches (widget state does not)


def _session_language() -> str | None:
    """This script run's session language (None off a script-run thread)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    try:
        return st.session_state.get(_MEMORY)
    except Exception:  # noqa: BLE001 - a bare script run without a session (e.g. a test's direct call)
        return None


i18n.use_resolver(_session_language)


def browser_language() -> str | None:
    """The browser's ``navigator.language`` as one of the UI's languages (None: another one, or unknown)."""
    try:
        return i18n.normalize(st.context.locale)
    except Exception:  # noqa: BLE001 - no browser context (AppTest without a locale)
        return None


def init() -> str:
    """Settle this run's language (URL, then the session's choice, then the browser, then English) and seed
    the switch; -> the language."""
    url = i18n.normalize(st.query_params.get(PARAM))
    if url is not None:
        st.session_state[_MEMORY] = url
    elif st.session_state.get(_MEMORY) not in i18n.LANGUAGES:
        st.session_state[_MEMORY] = browser_language() or i18n.DEFAULT
    st.session_state[KEY] = st.session_state[_MEMORY]
    return st.session_state[_MEMORY]


def _on_change() -> None:
    chosen = st.session_state.get(KEY)
    if chosen not in i18n.LANGUAGES:  # an unknown value (a stale session): keep the language
        chosen = st.session_state.get(_MEMORY) or i18n.DEFAULT
    st.session_state[_MEMORY] = chosen
    st.query_params[PARAM] = chosen  # links keep it; a shared link opens in the same language


def switch(container) -> str:
    """The sidebar's language switch (labelled in both languages, so that either reader finds it)."""
    # a radio, not a segmented control: a button group scans each label for a leading emoji, and "Español" is
    # not ASCII, so the first run in a process would compile Streamlit's emoji catalogue (~0.1 s before the page)
    container.radio(
        # i18n: the label says it in both languages on purpose
        "Idioma · Language", list(i18n.LANGUAGES), key=KEY, format_func=i18n.LANGUAGES.__getitem__,
        on_change=_on_change, horizontal=True, label_visibility="collapsed",
    )
    return st.session_state[_MEMORY]
