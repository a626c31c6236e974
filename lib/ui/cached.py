"""Cached access to the catalog for the pages (st.cache_data with a TTL).

Repeating a query within ``HUBSCOUT_CACHE_TTL`` seconds (default 600) answers from the cache and
makes no new Hub request. Answers that fell back to the snapshot are *not* cached as such: instead
the Hub is marked down for ``HUB_RETRY_S`` seconds, during which auto mode goes straight to the
snapshot (no 3-second live timeout on every filter change) and keeps showing the reason.
``live``-mode failures (``HubUnavailable``) propagate to the page and are never cached.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import replace

import streamlit as st

try:
    from lib.catalog import source
    from lib.catalog.live import HubUnavailable
except ImportError:  # TEMP dev adapter until lib.catalog.source lands
    from lib.ui import _devsource as source  # type: ignore
    from lib.ui._devsource import HubUnavailable  # type: ignore
from lib.catalog.query import CatalogQuery
from lib.catalog.result import SearchResult, SourceInfo


def _ttl() -> int:
    try:
        return max(0, int(float(os.environ.get("HUBSCOUT_CACHE_TTL", "600"))))
    except ValueError:
        return 600


CACHE_TTL_S = _ttl()
HUB_RETRY_S = 60.0

_down_lock = threading.Lock()
_hub_down: dict[str, float | str] = {}  # {"until": monotonic deadline, "reason": str}


@st.cache_data(ttl=CACHE_TTL_S, max_entries=512, show_spinner=False)
def _search(params: tuple[tuple[str, str], ...], mode: str) -> SearchResult:
    result = source.search(CatalogQuery.from_params(dict(params)), mode=mode)
    if result.fallback_reason:
        raise _FellBack(result)
    return result


class _FellBack(Exception):
    """Carries an auto-mode answer that fell back, so that st.cache_data does not keep it."""

    def __init__(self, result: SearchResult):
        super().__init__(result.fallback_reason)
        self.result = result


def search(query: CatalogQuery, mode: str) -> SearchResult:
    """``lib.catalog.source.search`` through the cache (see module doc)."""
    params = tuple(sorted(query.normalized().to_params().items()))
    if mode == "auto":
        with _down_lock:
            until, reason = _hub_down.get("until", 0.0), _hub_down.get("reason", "")
        if time.monotonic() < float(until):
            result = _search(params, "snapshot")
            return replace(result, fallback_reason=str(reason))
    try:
        return _search(params, mode)
    except _FellBack as fb:
        with _down_lock:
            _hub_down.update(until=time.monotonic() + HUB_RETRY_S, reason=fb.result.fallback_reason or "")
        return fb.result


def forget_hub_down() -> None:
    """Try the Hub again on the next auto-mode search (e.g. after the user switched modes)."""
    with _down_lock:
        _hub_down.clear()


def clear() -> None:
    """Drop cached answers (tests, "refresh" buttons)."""
    _search.clear()
    _facets.clear()
    forget_hub_down()


@st.cache_data(show_spinner=False)
def _facets() -> dict[str, list[tuple[str, int]]]:
    return source.current_snapshot().facets()


def facets() -> dict[str, list[tuple[str, int]]]:
    """Filter choices (library, language, license, task) with counts, from the snapshot."""
    return _facets()


def snapshot_info() -> tuple[SourceInfo, int]:
    """The snapshot in use and its number of models (cheap: the snapshot is loaded once)."""
    snap = source.current_snapshot()
    return snap.info, len(snap)


def mode_from_env() -> str:
    return source.mode_from_env()
