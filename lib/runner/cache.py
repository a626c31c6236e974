"""Process-wide model cache shared by every session: thread-safe, LRU under a memory budget, one load at a time.

* the same key loads once; later requests cost a dict lookup (a cached model never waits for anything);
* concurrent first requests for one key share one in-flight load, so the model is loaded once;
* loads wait their turn in the process-wide :data:`LOAD_QUEUE` (first come, first served): one model
  loads at a time, whichever cache it goes to. Loading changes process-wide state (transformers sets
  torch's *default dtype* while it builds a model; two loads at different precisions in parallel
  threads mix their parameters' dtypes and can leave the default changed for good), and a public
  instance must not be made to download or build several models at once. Waiting requests learn their
  place in line (``on_wait``); the load timeout counts from the load's own turn, not the wait;
* a load whose every requester gave up (``cancelled``) before its turn leaves the line and never runs;
* a load that fails is never cached; :meth:`ModelCache.evict_value` drops a model that turned out
  broken at run time (:func:`looks_like_broken_model` recognises torch's dtype-mismatch and
  meta-tensor errors);
* entries are evicted least-recently-used when the budget (``HUBSCOUT_MODEL_MEMORY_BUDGET``, bytes or
  ``4GB``; default half of RAM) would be exceeded. A single model larger than the budget is kept alone.
"""
from __future__ import annotations

import itertools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any

from lib import format as fmt
from lib import i18n
from lib.format import parse_bytes  # noqa: F401  (re-exported)
from lib.i18n import _
from lib.settings import get_settings

from .errors import LoadTimeout, RunnerError

# how often a waiting request looks at its place in line (it wakes at once when its load finishes)
_POLL_S = 0.1


class LoadCancelled(RunnerError):
    """Everyone who asked for a load gave up before its turn came: it left the line without running."""

    title = "Cancelled"


class LoadQueue:
    """One load at a time, first come first served: tickets are taken when a load is asked for and
    served in ticket order.

    ``ticket()`` joins the line; ``turn(ticket)`` (a context manager) blocks until it is that ticket's
    turn and holds the one load slot while the load runs; ``place(ticket)`` is 1 for the next load to
    start, 2 behind it …, and 0 once the ticket's load is running or over. ``leave(ticket)`` takes a
    ticket out of the line: its ``turn`` raises :class:`LoadCancelled` instead of waiting.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._numbers = itertools.count(1)
        self._waiting: list[int] = []
        self._current: int | None = None

    def ticket(self) -> int:
        with self._cond:
            n = next(self._numbers)
            self._waiting.append(n)
            return n

    def place(self, ticket: int) -> int:
        with self._cond:
            try:
                return self._waiting.index(ticket) + 1
            except ValueError:
                return 0

    def waiting(self) -> int:
        """How many loads wait for their turn (not counting the one loading)."""
        with self._cond:
            return len(self._waiting)

    def busy(self) -> bool:
        """A load is running now."""
        with self._cond:
            return self._current is not None

    def leave(self, ticket: int) -> bool:
        """Take ``ticket`` out of the line (a thread waiting in its ``turn`` raises LoadCancelled); False
        when it is not in the line (its load runs or ran)."""
        with self._cond:
            if ticket not in self._waiting:
                return False
            self._waiting.remove(ticket)
            self._cond.notify_all()
            return True

    class _Turn:
        def __init__(self, queue: LoadQueue, ticket: int):
            self.queue, self.ticket = queue, ticket

        def __enter__(self) -> int:
            q = self.queue
            with q._cond:
                while q._current is not None or not q._waiting or q._waiting[0] != self.ticket:
                    if self.ticket not in q._waiting:  # it left the line
                        raise LoadCancelled(_("Cancelled before its turn to load."))
                    q._cond.wait()
                q._waiting.pop(0)
                q._current = self.ticket
            return self.ticket

        def __exit__(self, *exc) -> None:
            q = self.queue
            with q._cond:
                if q._current == self.ticket:
                    q._current = None
                q._cond.notify_all()

    def turn(self, ticket: int) -> LoadQueue._Turn:
        return LoadQueue._Turn(self, ticket)


#: The process-wide line of model loads (every :class:`ModelCache` loads through it).
LOAD_QUEUE = LoadQueue()


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st (Spanish: 1.º, 2.º …)."""
    if i18n.current() == "es":
        return f"{fmt.number(n)}.º"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def place_message(place: int) -> str:
    """What a request waiting for its load reads: ``2nd in line for a model load``."""
    return _("{place} in line for a model load (one model loads at a time)").format(place=ordinal(place))


_BROKEN_MODEL = re.compile(
    r"mixed dtype|must have the same dtype|expected scalar type|expected both inputs to have same dtype"
    r"|scalar type of (Float|BFloat16|Half)|Input type \([^)]*\) and (weight|bias) type|dtype mismatch"
    r"|on device meta|meta tensor",
    re.IGNORECASE)


def looks_like_broken_model(text: str) -> bool:
    """True for torch's errors about tensors of different dtypes meeting (``mixed dtype (CPU)``,
    ``mat1 and mat2 must have the same dtype`` …) or weights never filled in (``Tensor on device meta``):
    the signs of a model whose load went wrong, which must not stay cached."""
    return bool(_BROKEN_MODEL.search(text or ""))


def default_budget() -> int:
    """``HUBSCOUT_MODEL_MEMORY_BUDGET`` (lib.settings), else half of RAM."""
    budget = get_settings().model_memory_budget
    if budget:
        return budget
    try:
        import psutil

        return int(psutil.virtual_memory().total // 2)
    except Exception:  # pragma: no cover - psutil is a dependency
        return 8 * 1024**3


@dataclass
class CacheEntry:
    """A cached value, its size in bytes and bookkeeping."""

    value: Any
    size_bytes: int
    loaded_at: float
    load_s: float
    hits: int = 0


@dataclass(eq=False)
class _Inflight:
    """A load asked for and not finished: its future, its ticket in the load line, who waits for it."""

    future: Future
    ticket: int
    waiters: int = 0


class ModelCache:
    """LRU cache of loaded models keyed by any hashable key.

    ``queue``: the line its loads wait in (default: the process-wide :data:`LOAD_QUEUE`).
    """

    def __init__(self, budget_bytes: int | None = None, queue: LoadQueue | None = None):
        self.budget_bytes = budget_bytes if budget_bytes is not None else default_budget()
        self.queue = queue if queue is not None else LOAD_QUEUE
        self._entries: OrderedDict[Hashable, CacheEntry] = OrderedDict()
        self._lock = threading.RLock()
        self._inflight: dict[Hashable, _Inflight] = {}
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hubscout-load")
        self.loads = 0  # how many times a loader actually ran
        self.evictions: list[Hashable] = []

    # -- inspection
    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._entries)

    def used_bytes(self) -> int:
        with self._lock:
            return sum(e.size_bytes for e in self._entries.values())

    def peek(self, key: Hashable) -> CacheEntry | None:
        with self._lock:
            return self._entries.get(key)

    # -- use
    def get(self, key: Hashable) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                entry.hits += 1
            return entry

    def put(self, key: Hashable, value: Any, size_bytes: int, load_s: float = 0.0) -> CacheEntry:
        entry = CacheEntry(value, int(size_bytes), time.time(), load_s)
        with self._lock:
            self._entries.pop(key, None)
            self._make_room(int(size_bytes))
            self._entries[key] = entry
        return entry

    def _make_room(self, size: int) -> None:
        while self._entries and self.used_bytes() + size > self.budget_bytes:
            old_key, old = self._entries.popitem(last=False)
            self.evictions.append(old_key)
            _release(old.value)

    def evict(self, key: Hashable) -> bool:
        with self._lock:
            entry = self._entries.pop(key, None)
        if entry is not None:
            _release(entry.value)
        return entry is not None

    def evict_value(self, value: Any) -> bool:
        """Drop the entry holding ``value`` (a model found broken at run time); False when none does."""
        with self._lock:
            key = next((k for k, e in self._entries.items() if e.value is value), None)
        return key is not None and self.evict(key)

    def clear(self) -> None:
        with self._lock:
            keys = list(self._entries)
        for k in keys:
            self.evict(k)

    def get_or_load(self, key: Hashable, loader: Callable[[], tuple[Any, int]], timeout_s: float | None = None,
                    on_wait: Callable[[int], None] | None = None,
                    cancelled: Callable[[], bool] | None = None) -> tuple[CacheEntry, bool]:
        """Return (entry, was_cached). ``loader() -> (value, size_bytes)`` runs at most once per key at a time,
        when its turn in the load queue comes.

        Concurrent first requests share one in-flight load. While it waits for its turn, ``on_wait(place)``
        is called with each new place in line (1 = the next load to start). ``timeout_s`` counts from the
        start of the load itself: on timeout raises LoadTimeout; the load goes on in the background and
        lands in the cache. A load that raises is not cached; the error reaches every waiting request.
        ``cancelled() -> True`` before the load's turn: this request stops waiting (LoadCancelled), and
        when no other request waits for that load it leaves the line and never runs.
        """
        entry = self.get(key)
        if entry is not None:
            return entry, True
        with self._lock:
            entry = self.get(key)
            if entry is not None:
                return entry, True
            inflight = self._inflight.get(key)
            if inflight is None:
                ticket = self.queue.ticket()
                try:
                    future = self._pool.submit(self._load, key, loader, ticket)
                except BaseException:
                    self.queue.leave(ticket)
                    raise
                inflight = self._inflight[key] = _Inflight(future, ticket)
                future.add_done_callback(lambda _f, k=key, mine=inflight: self._forget(k, mine))
            inflight.waiters += 1
        try:
            return self._wait(key, inflight, timeout_s, on_wait, cancelled), False
        finally:
            with self._lock:
                inflight.waiters -= 1

    def _forget(self, key: Hashable, inflight: _Inflight) -> None:
        with self._lock:
            if self._inflight.get(key) is inflight:
                del self._inflight[key]

    def _withdraw(self, key: Hashable, inflight: _Inflight) -> None:
        """The request gave up before the load's turn: the load leaves the line if nobody else waits."""
        with self._lock:
            if inflight.waiters > 1:
                return
            if not self.queue.leave(inflight.ticket):
                return  # its turn came meanwhile: the load goes on and lands in the cache
            inflight.future.cancel()  # not started yet: never runs; else its turn() raises LoadCancelled
            if self._inflight.get(key) is inflight:
                del self._inflight[key]

    def _wait(self, key: Hashable, inflight: _Inflight, timeout_s: float | None,
              on_wait: Callable[[int], None] | None, cancelled: Callable[[], bool] | None) -> CacheEntry:
        future, ticket = inflight.future, inflight.ticket
        shown = 0
        started: float | None = None
        while True:
            done, _pending = wait_futures([future], timeout=_POLL_S)
            if done:
                return future.result()
            place = self.queue.place(ticket)
            if place:
                if cancelled is not None and cancelled():
                    self._withdraw(key, inflight)
                    raise LoadCancelled(_("Cancelled before its turn to load."))
                if on_wait is not None and place != shown and (place > 1 or self.queue.busy()):
                    shown = place
                    try:
                        on_wait(place)
                    except Exception:  # noqa: BLE001 - a broken progress callback must not break the load
                        pass
                continue
            started = started if started is not None else time.monotonic()
            if timeout_s is not None and time.monotonic() - started > timeout_s:
                raise LoadTimeout(
                    _("Loading this model took longer than {seconds} s. It keeps loading in the background; try "
                      "again in a while, or pick a smaller model.").format(seconds=fmt.number(timeout_s, decimals=0))
                ) from None

    def _load(self, key: Hashable, loader: Callable[[], tuple[Any, int]], ticket: int) -> CacheEntry:
        with self.queue.turn(ticket):
            t0 = time.perf_counter()
            self.loads += 1
            value, size = loader()
            load_s = time.perf_counter() - t0
        return self.put(key, value, size, load_s)


def _release(value: Any) -> None:
    """Drop GPU memory held by an evicted model, if any."""
    try:
        import sys

        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:
        pass


_CACHE: ModelCache | None = None
_CACHE_LOCK = threading.Lock()


def shared_cache() -> ModelCache:
    """The process-wide cache (created on first use; budget from the environment)."""
    global _CACHE
    with _CACHE_LOCK:
        if _CACHE is None:
            _CACHE = ModelCache()
        return _CACHE
