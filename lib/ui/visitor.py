"""Who runs a model, for the runs-per-visitor limit (:mod:`lib.jobs.limits`).

A signed-in visitor is counted by user name (``user:<name>``, the name lib.ui reads from ``st.user``),
so their limit follows them across tabs and reloads. Anybody else is counted by network address
(``addr:<hash>``): the address the nearest proxy saw (the last ``X-Forwarded-For`` entry — a Space runs
behind the Hub's proxy, and entries further left are whatever the browser sent), else the socket's peer
address, so a reload or a new tab does not reset the count. Only when neither is known (tests, a bare
script run) an id drawn once per browser session (``session:<id>``, kept in ``st.session_state``). The
address itself is never kept: only a salted hash of it.
"""
from __future__ import annotations

import hashlib
import uuid

import streamlit as st

_KEY = "_hubscout_visitor_session"
_SALT = uuid.uuid4().bytes  # per process: the hashes mean nothing outside this server's memory


def address_from(forwarded_for: str | None, peer: str | None) -> str | None:
    """The visitor's address: the last ``X-Forwarded-For`` entry (added by the proxy in front of us),
    else the peer address; None when neither holds one."""
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    if hops:
        return hops[-1]
    return peer.strip() if peer and peer.strip() else None


def _address() -> str | None:
    try:
        headers = st.context.headers
        forwarded = headers.get("X-Forwarded-For") if headers is not None else None
        peer = st.context.ip_address
    except Exception:  # noqa: BLE001 - no script context (AppTest, bare run): no address
        return None
    return address_from(forwarded if isinstance(forwarded, str) else None, peer if isinstance(peer, str) else None)


def visitor_id(user_name: str | None = None) -> str:
    """``user:<name>`` for a signed-in visitor, else ``addr:<hash>`` by network address, else
    ``session:<id>`` for this browser session."""
    name = (user_name or "").strip().lstrip("@").lower()
    if name:
        return f"user:{name}"
    if addr := _address():
        return "addr:" + hashlib.sha256(_SALT + addr.encode()).hexdigest()[:16]
    if _KEY not in st.session_state:
        st.session_state[_KEY] = uuid.uuid4().hex
    return f"session:{st.session_state[_KEY]}"
