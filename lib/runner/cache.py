"""Process-wide model cache shared by every session: thread-safe, LRU under a memory budget.

* the same key loads once; later requests cost a dict lookup;
* concurrent first requests for one key wait on a per-key lock, so the model is loaded once;
* entries are evicted least-recently-used when the budget (``HUBSCOUT_MODEL_MEMORY_BUDGET``, bytes or
  ``4GB``; default half of RAM) would be exceeded. A single model larger than the budget is kept alone.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from lib.settings import get_settings, parse_bytes  # noqa: F401  (parse_bytes: re-exported)

from .errors import LoadTimeout


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


class ModelCache:
    """LRU cache of loaded models keyed by any hashable key."""

    def __init__(self, budget_bytes: int | None = None):
        self.budget_bytes = budget_bytes if budget_bytes is not None else default_budget()
        self._entries: OrderedDict[Hashable, CacheEntry] = OrderedDict()
        self._lock = threading.RLock()
        self._inflight: dict[Hashable, Future] = {}
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

    def clear(self) -> None:
        with self._lock:
            keys = list(self._entries)
        for k in keys:
            self.evict(k)

    def get_or_load(self, key: Hashable, loader: Callable[[], tuple[Any, int]],
                    timeout_s: float | None = None) -> tuple[CacheEntry, bool]:
        """Return (entry, was_cached). ``loader() -> (value, size_bytes)`` runs at most once per key at a time.

        Concurrent first requests share one in-flight load (the per-key future acts as the key's lock).
        On timeout raises LoadTimeout; the load goes on in the background and lands in the cache.
        """
        entry = self.get(key)
        if entry is not None:
            return entry, True
        with self._lock:
            entry = self.get(key)
            if entry is not None:
                return entry, True
            future = self._inflight.get(key)
            if future is None:
                future = self._pool.submit(self._load, key, loader)
                self._inflight[key] = future
                future.add_done_callback(lambda _f, k=key: self._inflight.pop(k, None))
        try:
            return future.result(timeout=timeout_s), False
        except FutureTimeout:
            raise LoadTimeout(
                f"Loading this model took longer than {timeout_s:.0f} s. It keeps loading in the background; "
                "try again in a while, or pick a smaller model.") from None

    def _load(self, key: Hashable, loader: Callable[[], tuple[Any, int]]) -> CacheEntry:
        t0 = time.perf_counter()
        self.loads += 1
        value, size = loader()
        return self.put(key, value, size, time.perf_counter() - t0)


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
