"""Who runs a model, for the runs-per-visitor limit (:mod:`lib.jobs.limits`).

A signed-in visitor is counted by user name (``user:<name>``, the name lib.ui reads from ``st.user``),
so their limit follows them across tabs and reloads; anybody else by an id drawn once per browser
session (``session:<id>``, kept in ``st.session_state``).
"""
from __future__ import annotations

import uuid

import streamlit as st

_KEY = "_hubscout_visitor_session"


def visitor_id(user_name: str | None = None) -> str:
    """``user:<name>`` for a signed-in visitor, else ``session:<id>`` for this browser session."""
    name = (user_name or "").strip().lstrip("@").lower()
    if name:
        return f"user:{name}"
    if _KEY not in st.session_state:
        st.session_state[_KEY] = uuid.uuid4().hex
    return f"session:{st.session_state[_KEY]}"
