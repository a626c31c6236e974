"""Which catalog answers: the live Hub, the snapshot, or live with a fallback to the snapshot.

Modes (``HUBSCOUT_CATALOG``): ``auto`` (default) asks the Hub and falls back to the snapshot,
with ``SearchResult.fallback_reason`` set, when the Hub is unreachable, slower than
``HUBSCOUT_LIVE_TIMEOUT`` seconds (default 3), rate-limited (429), failing (5xx), answering
something unreadable, or when ``HF_HUB_OFFLINE=1``; ``live`` raises
:class:`~lib.hub.errors.HubError` for the UI to show; ``snapshot`` never touches the network.

A failure is remembered for :data:`FAILURE_MEMORY_S` seconds (or the Hub's ``Retry-After`` when
longer): auto mode then goes straight to the snapshot instead of waiting on a dead Hub at every
rerun, and its reason says so. ``live`` mode always tries again.
"""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Literal

from lib.catalog.live import LiveCatalog
from lib.catalog.query import CatalogQuery
from lib.catalog.result import SearchResult
from lib.hub import offline as hub_offline_details
from lib.hub import policy
from lib.hub.errors import HubError
from lib.i18n import N_, Later
from lib.settings import get_settings

CatalogMode = Literal["auto", "live", "snapshot"]
MODES: tuple[str, ...] = ("auto", "live", "snapshot")
FAILURE_MEMORY_S = 30.0

_lock = threading.Lock()
_last_failure: tuple[float, HubError] | None = None


def mode_from_env() -> CatalogMode:
    """``HUBSCOUT_CATALOG`` (auto | live | snapshot, through lib.settings); anything else means auto."""
    return get_settings().catalog


def live_timeout() -> float:
    """The search deadline of the Hub policy: ``HUBSCOUT_LIVE_TIMEOUT`` seconds (default 3, kept
    within 0.1–60; junk means the default)."""
    return policy.current().list_timeout


_snapshot_lock = threading.Lock()
_user_snapshot: tuple[tuple, object] | None = None  # ((path, mtime_ns, size), SnapshotCatalog)
_snapshot_problem: str | None = None
_failed_key: tuple | None = None  # a file version that did not load: not retried until it changes


def current_snapshot():
    """The snapshot catalog: ``HUBSCOUT_SNAPSHOT_FILE`` when set, else the embedded one.

    A user file (millions of rows: seconds to load) is loaded once per process and version of the
    file (path, modification time, size), by one caller while others wait. A file that cannot be
    read leaves the embedded snapshot in use; :func:`snapshot_problem` then says why.
    """
    from lib.catalog.snapshot import SnapshotCatalog

    global _user_snapshot, _snapshot_problem, _failed_key
    p = get_settings().snapshot_file
    if p is None:
        _snapshot_problem = None
        return SnapshotCatalog.embedded()
    from lib.logs import for_people, log_failure

    path = p.name  # shown in the sidebar, to every visitor: never the server's folders
    try:
        stat = p.stat()
    except OSError as e:
        log_failure(e, "HUBSCOUT_SNAPSHOT_FILE")
        _snapshot_problem = Later(N_("HUBSCOUT_SNAPSHOT_FILE={file} cannot be read ({error})."), file=path,
                                  error=for_people(e.strerror or e, 200))
        return SnapshotCatalog.embedded()
    key = (str(p.resolve()), stat.st_mtime_ns, stat.st_size)
    with _snapshot_lock:
        if _user_snapshot is not None and _user_snapshot[0] == key:
            return _user_snapshot[1]
        if key == _failed_key:
            return SnapshotCatalog.embedded()
        try:
            catalog = SnapshotCatalog.from_file(p)
        except ValueError as e:
            log_failure(e, "HUBSCOUT_SNAPSHOT_FILE")
            # the loader's own message stays a Later (translated where shown); anything else made fit to show
            why = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], Later) else for_people(e, 200)
            _snapshot_problem = Later(N_("HUBSCOUT_SNAPSHOT_FILE={file} could not be loaded: {error}"), file=path,
                                      error=why)
            _failed_key = key
            return SnapshotCatalog.embedded()
        _user_snapshot, _snapshot_problem = (key, catalog), None
        return catalog


def snapshot_problem() -> str | None:
    """Why ``HUBSCOUT_SNAPSHOT_FILE`` is not in use (the embedded snapshot answers instead), if it isn't."""
    return _snapshot_problem


def forget_hub_failure() -> None:
    """Drop the remembered Hub failure (tests, or a "retry the Hub" button)."""
    global _last_failure
    with _lock:
        _last_failure = None


def remembered_failure(now: float | None = None) -> tuple[HubError, float] | None:
    """The remembered failure and seconds until the Hub is tried again, if still fresh."""
    now = time.monotonic() if now is None else now
    with _lock:
        if _last_failure is None:
            return None
        at, err = _last_failure
    hold = max(FAILURE_MEMORY_S, float(err.retry_after or 0))
    left = at + hold - now
    return (err, left) if left > 0 else None


def _remember(err: HubError | None) -> None:
    global _last_failure
    with _lock:
        _last_failure = None if err is None or err.kind == "offline" else (time.monotonic(), err)


def search(q: CatalogQuery, mode: CatalogMode | None = None, token: str | bool | None = None) -> SearchResult:
    """Answer ``q`` from the chosen source (``mode`` None = :func:`mode_from_env`)."""
    mode = mode or mode_from_env()
    if mode not in MODES:
        raise ValueError(f"unknown catalog mode {mode!r}; use one of {MODES}")  # i18n: a programmer's error
    if mode == "snapshot":
        return _snapshot_search(q)
    start = time.perf_counter()
    if mode == "live":
        try:
            result = LiveCatalog(token=token, timeout=live_timeout()).search(q)
        except HubError as e:
            _remember(e)
            raise
        _remember(None)
        return result
    # auto
    if policy.is_offline():
        return _fallback(q, policy.offline_message(), start)
    held = remembered_failure()
    if held is not None:
        err, left = held
        return _fallback(q, Later(N_("{reason} (Hub not asked again for {seconds} s)"), reason=err.message,
                                  seconds=f"{left:.0f}"), start)
    try:
        result = LiveCatalog(token=token, timeout=live_timeout()).search(q)
    except HubError as e:
        _remember(e)
        return _fallback(q, e.message, start)
    _remember(None)
    return result


PROVIDERS_UNKNOWN = Later(N_("The snapshot does not know which models Inference Providers serve, so the filter "
                             "*Served by inference providers* finds nothing in it. Search the live Hub (the catalog "
                             "source in the sidebar) or turn the filter off."))


def _snapshot_search(q: CatalogQuery) -> SearchResult:
    """The snapshot's answer; with a filter it cannot apply (``providers``), no rows and why."""
    snap = current_snapshot()
    q = q.normalized()
    if q.providers:
        return SearchResult(records=[], source=snap.info, unsupported=PROVIDERS_UNKNOWN)
    return snap.search(q)


def _fallback(q: CatalogQuery, reason: str, start: float) -> SearchResult:
    result = _snapshot_search(q)
    return replace(result, fallback_reason=reason, elapsed_s=time.perf_counter() - start)


def snapshot_record(model_id: str):
    """The current snapshot's record of ``model_id`` (None when it has none): what the Hub layer's
    offline details use (registered below, so that lib.hub never imports the catalog)."""
    return current_snapshot().get(model_id)


hub_offline_details.use_offline_records(snapshot_record)
