"""The per-process cache of model facts, shared by the Model page, the test-drive and the runner.

What the gateway learns about a model — its ``model_info`` (files with sizes, tags, safetensors
counts), its config.json, its card, safetensors header counts, the Model page's details — is kept
here for ``HUBSCOUT_CACHE_TTL`` seconds (default 600), keyed by model, revision and the token in use
(a token changes what a gated repo answers; only a hash of it is kept). So a model the Model page
fetched is not fetched again when it is run, and reruns ask the Hub nothing.

Failures are kept only briefly (:data:`ERROR_TTL_S`, or as long as a 429 asked, never longer than
the TTL): a page that reruns right away does not hammer a failing Hub, and a Hub that is back
answers the next visitor. Answers a fetch marks as degraded (:func:`Facts.fetch`'s ``degraded``: a
fallback, a partial answer) are kept as briefly. ``forget(model)`` drops one model (a "Refresh"
button), ``forget()`` everything.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from lib.hub.errors import HubError

T = TypeVar("T")
ERROR_TTL_S = 10.0
MAX_ENTRIES = 1024


def cache_ttl() -> float:
    """``HUBSCOUT_CACHE_TTL`` seconds (lib.settings; default 600; 0 disables the cache)."""
    from lib.settings import get_settings

    return float(get_settings().cache_ttl)


def token_key(token: str | bool | None) -> str:
    """What keys the cache for a token: ``anon``, or a short hash of the token in use (None = the
    token huggingface_hub would send: ``HF_TOKEN`` or the saved login, see :mod:`lib.hub.auth`)."""
    from lib.hub import auth

    if token is False:
        return "anon"
    if token is None or token is True:
        token = auth.token()
    if not token:
        return "anon"
    return hashlib.sha256(str(token).encode()).hexdigest()[:16]


class Facts:
    """A TTL cache of Hub answers keyed by ``(what, repo_id, …)`` tuples; thread-safe, one fetch per key
    at a time (a second caller waits for the first and shares its answer)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, tuple[float, bool, Any]] = OrderedDict()  # key -> (expires, ok, value)
        self._inflight: dict[tuple, threading.Lock] = {}
        self.max_entries = max_entries

    def _lookup(self, key: tuple) -> tuple[bool, Any] | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            expires, ok, value = hit
            if time.monotonic() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return ok, value

    def _store(self, key: tuple, ok: bool, value: Any, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, ok, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def fetch(self, key: tuple[Hashable, ...], fn: Callable[[], T],
              degraded: Callable[[T], bool] | None = None) -> T:
        """``fn()``'s answer for ``key``: cached for the TTL; a :class:`HubError` is cached briefly and
        raised again; so is a value for which ``degraded(value)`` is true."""
        hit = self._lookup(key)
        if hit is None:
            with self._lock:
                gate = self._inflight.setdefault(key, threading.Lock())
            try:
                with gate:
                    hit = self._lookup(key)  # another caller may have fetched it while we waited
                    if hit is None:
                        hit = self._fetch(key, fn, degraded)
            finally:
                with self._lock:
                    if self._inflight.get(key) is gate:
                        del self._inflight[key]
        ok, value = hit
        if not ok:
            raise value.with_traceback(None)  # the same error again, without piling up tracebacks
        return value

    def _fetch(self, key, fn, degraded) -> tuple[bool, Any]:
        ttl = cache_ttl()
        try:
            value = fn()
        except HubError as err:
            self._store(key, False, err, min(ttl, max(ERROR_TTL_S, float(err.retry_after or 0))))
            return False, err
        brief = degraded is not None and degraded(value)
        self._store(key, True, value, min(ttl, ERROR_TTL_S) if brief else ttl)
        return True, value

    def forget(self, repo_id: str | None = None) -> None:
        """Drop one model's facts (every key whose second item is ``repo_id``), or all of them."""
        with self._lock:
            if repo_id is None:
                self._entries.clear()
            else:
                for key in [k for k in self._entries if len(k) > 1 and k[1] == repo_id]:
                    del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


FACTS = Facts()


def forget(repo_id: str | None = None) -> None:
    """Drop one model's cached facts, or every model's (tests; "Refresh")."""
    FACTS.forget(repo_id)
