"""How every Hub call is made: one deadline/attempt policy, one offline switch, one request count.

* :func:`is_offline` — the one offline switch: ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``, read by
  :mod:`lib.settings`) for the whole process, or the per-browser-session switch (:func:`session_offline`):
  within an :func:`offline_scope` (the runner's threads: ``RunOptions.offline``), or as the registered
  reader says (:func:`use_session_switch`: lib.ui reads the sidebar's "Offline" toggle of the script run
  asking). huggingface_hub reads ``HF_HUB_OFFLINE`` once at import, so a per-session switch can only
  work here: every Hub call of Hub Scout asks :func:`is_offline` first.
* :class:`Policy` / :func:`current` — the deadlines: a Discover search (``HUBSCOUT_LIVE_TIMEOUT``,
  default 3 s), any other call that answers with metadata or a small file (model info, config.json,
  README, a safetensors header: 10 s), and the stall limit of a weights download. One attempt: a
  failing Hub is reported, not hammered (huggingface_hub's own backoff would retry 5 times with
  1-2-4-8-8 s sleeps); ``attempts`` > 1 retries only unreachable / timeout / 5xx, within the deadline.
* :func:`call` — runs one Hub call under the policy: offline check, the deadline (the call runs in a
  daemon thread and the caller stops waiting at the deadline, whatever the HTTP client's own
  per-operation timeouts do: a config.json that trickles in for 30 s costs the deadline, not 105 s),
  retries, and every failure mapped to a :class:`~lib.hub.errors.HubError`.
* :func:`count_requests` — the HTTP requests huggingface_hub sends on behalf of this thread (calls
  made by :func:`call`'s worker thread are counted for the caller).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from lib import i18n
from lib.hub.errors import OFFLINE_MESSAGE, HubError, classify
from lib.i18n import N_, Later

T = TypeVar("T")
LIST_TIMEOUT_S = 3.0
CALL_TIMEOUT_S = 10.0
STALL_TIMEOUT_S = 10.0
_RETRYABLE = frozenset({"unreachable", "timeout", "server"})


@dataclass(frozen=True)
class Policy:
    """Deadlines (seconds) and attempts for Hub calls.

    list_timeout: a Discover search (one ``/api/models`` request), whole call.
    call_timeout: any other metadata call or small-file download, whole call.
    stall_timeout: a weights download: the longest wait for the next bytes (the whole download has
        no deadline: its size is known and shown; the runner's load timeout bounds it).
    attempts: tries per call (1 = no retry).
    """

    list_timeout: float = LIST_TIMEOUT_S
    call_timeout: float = CALL_TIMEOUT_S
    stall_timeout: float = STALL_TIMEOUT_S
    attempts: int = 1


def current() -> Policy:
    """The policy in force (``HUBSCOUT_LIVE_TIMEOUT`` sets the search deadline, through lib.settings)."""
    from lib.settings import get_settings

    return Policy(list_timeout=get_settings().live_timeout)


def is_offline(settings: Any = None) -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set (lib.settings), or was at import of
    huggingface_hub, or this browser session / run is offline (:func:`session_offline`). ``settings``: the
    caller's read of lib.settings, when it has one (one read of the environment per call, not two)."""
    if session_offline():
        return True
    from huggingface_hub import constants

    if settings is None:
        from lib.settings import get_settings

        settings = get_settings()
    return settings.hub_offline or constants.is_offline_mode()


# ---- the per-session switch ------------------------------------------------------------------------
_SCOPE: ContextVar[bool] = ContextVar("hubscout_offline", default=False)
_reader: Callable[[], bool] | None = None


def use_session_switch(reader: Callable[[], bool] | None) -> None:
    """Register how the current browser session's offline switch is read (lib.ui: the sidebar toggle of
    the script run on this thread; False on any other thread). None: no per-session switch."""
    global _reader
    _reader = reader


def session_offline() -> bool:
    """The per-session switch alone (not the environment): inside an :func:`offline_scope` that turned it
    on, or as the registered reader says. A reader that fails counts as off."""
    if _SCOPE.get():
        return True
    reader = _reader
    if reader is None:
        return False
    try:
        return bool(reader())
    except Exception:  # noqa: BLE001 - no script run on this thread: no session switch
        return False


SWITCH_MESSAGE = Later(N_("Offline mode (the Offline switch in the sidebar)"))


def offline_message() -> str:
    """Why the Hub is not asked, in words: the environment's switch (errors.OFFLINE_MESSAGE) or the session's."""
    from huggingface_hub import constants

    from lib.settings import get_settings

    env = get_settings().hub_offline or constants.is_offline_mode()
    return SWITCH_MESSAGE if not env and session_offline() else OFFLINE_MESSAGE


@contextmanager
def offline_scope(offline: bool) -> Iterator[None]:
    """Within the block, :func:`is_offline` is True when ``offline`` (or when it already was). For work on
    threads that are not a script run (the runner's loads, a session run's plan): the switch travels
    there in ``RunOptions.offline``."""
    reset = _SCOPE.set(bool(offline) or _SCOPE.get())
    try:
        yield
    finally:
        _SCOPE.reset(reset)


# ---- request counting ---------------------------------------------------------------------------
class RequestCounter:
    """HTTP requests sent by huggingface_hub's shared session for this thread while active."""

    def __init__(self) -> None:
        self.count = 0


_local = threading.local()


def _count_hook(request) -> None:
    for c in list(getattr(_local, "counters", ())):
        c.count += 1


def _install_hook() -> None:
    from huggingface_hub.utils import get_session

    hooks = get_session().event_hooks["request"]
    if _count_hook not in hooks:
        hooks.append(_count_hook)


@contextmanager
def count_requests() -> Iterator[RequestCounter]:
    """Count the HTTP requests huggingface_hub makes for this thread (redirects included)."""
    _install_hook()
    counter = RequestCounter()
    stack = _local.__dict__.setdefault("counters", [])
    stack.append(counter)
    try:
        yield counter
    finally:
        stack.remove(counter)


# ---- one call under the policy ------------------------------------------------------------------
class Heartbeat:
    """Signs of life of a long call (a download's bytes arriving): :func:`call` with ``stall=`` fails the
    call when none came for that long. ``beat()`` from any thread."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def beat(self) -> None:
        self._last = time.monotonic()

    def idle(self) -> float:
        """Seconds since the last sign of life (or since it was made)."""
        return time.monotonic() - self._last


def stalled_message(stall: float) -> str:
    return Later(N_("Download stalled: the Hub sent no data for {seconds} s"), seconds=f"{stall:g}")


def slower_than(seconds: float) -> str:
    return Later(N_("Hub answered slower than {seconds} s"), seconds=f"{seconds:g}")


def run_with_deadline(fn: Callable[[], T], timeout: float | None, *, stall: float | None = None,
                      heartbeat: Heartbeat | None = None) -> T:
    """Run ``fn()`` in a daemon thread; raise HubError(timeout) if it takes longer than ``timeout``, or
    (with ``stall`` and ``heartbeat``) when ``heartbeat`` saw no sign of life for ``stall`` seconds.

    Exceptions raised by ``fn`` are re-raised here. The thread is left to finish on its own (each Hub
    call also carries a client timeout, so it does not linger). ``timeout`` None: no deadline.
    """
    counters = getattr(_local, "counters", None)
    box: dict[str, Any] = {}

    target_lang = i18n.current()  # the hub-call thread's messages speak the caller's language

    def target():
        with i18n.scope(target_lang):
            _call_in_language()

    def _call_in_language():
        if counters is not None:
            _local.counters = counters  # the caller's counters count this thread's requests
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            box["error"] = e

    t = threading.Thread(target=target, name="hub-call", daemon=True)
    t.start()
    if stall is None or heartbeat is None:
        t.join(timeout)
        if t.is_alive():
            raise HubError(slower_than(timeout), "timeout")
    else:
        end = None if timeout is None else time.monotonic() + timeout
        while t.is_alive():
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                raise HubError(slower_than(timeout), "timeout")
            t.join(min(0.1, max(0.01, stall / 10), left if left is not None else 0.1))
            if t.is_alive() and heartbeat.idle() > stall:
                raise HubError(stalled_message(stall), "timeout")
    if "error" in box:
        raise box["error"]
    return box["value"]


def call(fn: Callable[[], T], *, deadline: float | None, attempts: int | None = None, repo_id: str | None = None,
         filename: str | None = None, revision: str | None = None, offline_ok: bool = False,
         stall: float | None = None, heartbeat: Heartbeat | None = None) -> T:
    """Run one Hub call under the policy; every failure is raised as a :class:`HubError`.

    deadline: seconds for the whole call (all attempts), None for none. attempts: default
    :attr:`Policy.attempts`. offline_ok: the call only reads huggingface_hub's local cache, so offline
    mode does not stop it. repo_id / filename / revision: what the call is about (for the message).
    stall / heartbeat: fail the call (kind ``timeout``) when ``heartbeat`` saw no sign of life for
    ``stall`` seconds (a weights download: :attr:`Policy.stall_timeout`).
    """
    if not offline_ok and is_offline():
        raise HubError(offline_message(), "offline", repo_id=repo_id)
    _install_hook()
    tries = max(1, attempts if attempts is not None else current().attempts)
    end = None if deadline is None else time.monotonic() + deadline
    while True:
        tries -= 1
        left = None if end is None else max(0.0, end - time.monotonic())
        try:
            return run_with_deadline(fn, left, stall=stall, heartbeat=heartbeat)
        except Exception as e:  # noqa: BLE001 - every failure becomes a HubError
            err = classify(e, timeout=deadline, repo_id=repo_id, filename=filename, revision=revision)
            if err.kind == "timeout" and stall is not None and (deadline is None or err.message.startswith("Download")):
                err = HubError(stalled_message(stall), "timeout", repo_id=repo_id)
            elif err.kind == "timeout" and deadline is not None:
                err = HubError(slower_than(deadline), "timeout", repo_id=repo_id)
            out_of_time = end is not None and end - time.monotonic() < 0.05
            if tries <= 0 or err.kind not in _RETRYABLE or out_of_time:
                if err is e:
                    raise
                raise err from e
            time.sleep(min(0.5, max(0.0, (end - time.monotonic()) / 4)) if end is not None else 0.5)
