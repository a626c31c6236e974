"""What a browser session's first run of a page holds back so that its main content paints first.

On a cold start the browser loads each kind of element's code when it first meets one: Streamlit's data
grid and Vega-Lite (the charts) each take the browser's main thread for most of a second on a small
machine, and a page that sends both at once shows neither until both are loaded. :func:`later` draws
secondary content (Discover's charts) a moment after the rest on the session's first run of the page, in a
full run of its own, and at once on every later run.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

__all__ = ["DELAY_S", "later"]

#: the pause before the held-back content's run (counted in the browser, which runs the timer only when its
#: main thread is free: after the code it was loading)
DELAY_S = 1.5
_WAITING = "_first_paint_waiting"  # {key: "full" (drawn by a full run now) | "timer" (the timer's turn)}
_DRAWN = "_first_paint_drawn"  # keys drawn in this session: later runs draw at once


def later(key: str, draw: Callable[[], None], note: str) -> None:
    """Call ``draw()`` now, except on this session's first run that reaches ``key``: then show ``note`` (a
    caption) and draw in a full run :data:`DELAY_S` later (or at the next run, if the visitor is quicker)."""
    waiting = st.session_state.setdefault(_WAITING, {})
    drawn = st.session_state.setdefault(_DRAWN, set())
    if key in drawn or key in waiting:  # not the first run: draw now
        drawn.add(key)
        waiting.pop(key, None)
        draw()
        return
    waiting[key] = "full"
    _timer(key, note)


@st.fragment(run_every=DELAY_S)
def _timer(key: str, note: str) -> None:
    waiting = st.session_state.setdefault(_WAITING, {})
    if waiting.get(key) == "full":  # the full run's own pass: the note, and the timer starts
        waiting[key] = "timer"
        st.caption(note)
        return
    if waiting.pop(key, None) is None:  # drawn meanwhile by a full run: nothing to do
        return
    st.session_state.setdefault(_DRAWN, set()).add(key)
    st.rerun()  # a full run, which draws it in its place
