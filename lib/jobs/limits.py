"""Runs per visitor and hour: the public instance's share of the machine for each visitor.

The limit comes from the visitor's :class:`lib.access.Access` (``runs_per_hour``; None = no limit, which
is the case off a public instance and for signed-in admins). The visitor is named by :mod:`lib.ui`: the
signed-in user's name, else an id for the browser session. A run is one submitted job (one model over
its inputs); a refused submit does not count. The window slides: the oldest run of the last hour
leaving it frees one run. No streamlit here.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from lib.format import number
from lib.i18n import N_, ngettext

#: a failed job's title (translated where it is set: ``_(TITLE)``)
TITLE = N_("Run limit reached")
HOUR_S = 3600.0


def is_limit_title(title: object) -> bool:
    """Whether a job's ``error_title`` is :data:`TITLE` in any of the UI's languages (the title is translated
    when it is set, in the submitter's language)."""
    from lib import i18n

    return any(title == i18n.translations(lang).gettext(TITLE) for lang in i18n.LANGUAGES)


def runs_per_hour(access: Any) -> int | None:
    """The limit an :class:`lib.access.Access` (or anything with ``runs_per_hour``) sets; None = none."""
    n = getattr(access, "runs_per_hour", None) if access is not None else None
    return int(n) if n else None


def refusal_message(per_hour: int, wait_s: float) -> str:
    """``30 runs per hour on this public instance; next run possible in 12 min.``"""
    minutes = max(1, math.ceil(wait_s / 60))
    return ngettext("{n} run per hour on this public instance; next run possible in {minutes} min.",
                    "{n} runs per hour on this public instance; next run possible in {minutes} min.",
                    per_hour).format(n=number(per_hour), minutes=number(minutes))


class RunLimiter:
    """Counts each visitor's runs over a sliding window (thread-safe; in memory, per process)."""

    def __init__(self, window_s: float = HOUR_S, clock: Callable[[], float] = time.monotonic):
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._runs: dict[str, deque[float]] = {}

    def _recent(self, visitor: str, now: float) -> deque[float]:
        runs = self._runs.setdefault(visitor, deque())
        while runs and runs[0] <= now - self.window_s:
            runs.popleft()
        return runs

    def take(self, visitor: str, per_hour: int | None) -> str | None:
        """Count one run for ``visitor``; when the limit is already reached count nothing and return why
        (a message for the visitor). None: the run may go."""
        if not per_hour:
            return None
        with self._lock:
            now = self._clock()
            runs = self._recent(visitor, now)
            if len(runs) >= per_hour:
                return refusal_message(per_hour, runs[0] + self.window_s - now)
            runs.append(now)
            if len(self._runs) > 10_000:  # forget visitors with no run in the window
                for name in [v for v, r in self._runs.items() if not r or r[-1] <= now - self.window_s]:
                    del self._runs[name]
            return None

    def left(self, visitor: str, per_hour: int | None) -> int | None:
        """Runs ``visitor`` may still start in the window; None when there is no limit."""
        if not per_hour:
            return None
        with self._lock:
            return max(0, per_hour - len(self._recent(visitor, self._clock())))
