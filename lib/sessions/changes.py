"""Who hears that a session changed: :mod:`lib.sessions.store` calls :func:`changed` after each committed
write (create, import, outputs, stats, votes, scores), and listeners such as the backup writer
(:mod:`lib.sessions.backup`) subscribe. A listener must be quick (it runs in the writer's thread); one that
raises is logged and never fails the write."""
# i18n: file makes no text for people (a listener's failure goes to the log, with its context)
from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["subscribe", "unsubscribe", "changed"]

_lock = threading.Lock()
_listeners: tuple[Callable[[str], None], ...] = ()


def subscribe(fn: Callable[[str], None]) -> None:
    """Call ``fn(session_id)`` after every committed change of a session (once per function)."""
    global _listeners
    with _lock:
        if fn not in _listeners:
            _listeners = (*_listeners, fn)


def unsubscribe(fn: Callable[[str], None]) -> None:
    global _listeners
    with _lock:
        _listeners = tuple(f for f in _listeners if f != fn)


def changed(session_id: str) -> None:
    """Tell every listener that ``session_id`` changed (its write is committed)."""
    for fn in _listeners:
        try:
            fn(session_id)
        except Exception as e:  # noqa: BLE001 - a listener never fails the write
            from lib.logs import log_failure

            log_failure(e, f"session change listener on {session_id}", "sessions")
