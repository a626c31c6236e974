"""Time a ``generate`` call token by token: prompt length, time to first token, prefill and decode speed.

``generate`` hands its streamer the prompt ids first (before the prefill forward), then each new
token as it is chosen. :class:`TokenTimer` notes when each arrives, so that

- prefill = from the prompt to the first new token (one forward over the prompt, plus choosing it):
  ``prefill_tokens_per_s = prompt_tokens / ttft``;
- decode = from the first new token to the last: ``decode_tokens_per_s = (new_tokens − 1) / that time``.

The runner opens :func:`timing` around a run (a context variable, so each job thread has its own);
:func:`lib.tasks.common.gen_kwargs` passes the current timer to ``generate`` as its ``streamer``.
Batches (more than one sequence) and beam search are not timed. Pure Python; tensors are only
asked for their shape.
"""
from __future__ import annotations

import contextvars
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_CURRENT: contextvars.ContextVar[TokenTimer | None] = contextvars.ContextVar("hubscout_token_timer", default=None)


@dataclass(frozen=True)
class TokenTiming:
    """What one ``generate`` call took."""

    prompt_tokens: int
    new_tokens: int
    ttft_s: float | None
    decode_s: float | None
    step_median_s: float | None = None  # the median time between two new tokens (robust to a stall)

    @property
    def prefill_tokens_per_s(self) -> float | None:
        return self.prompt_tokens / self.ttft_s if self.ttft_s and self.prompt_tokens else None

    @property
    def decode_tokens_per_s(self) -> float | None:
        return (self.new_tokens - 1) / self.decode_s if self.decode_s and self.new_tokens > 1 else None


class TokenTimer:
    """A ``generate`` streamer that only notes times (duck-typed ``put`` / ``end``)."""

    def __init__(self) -> None:
        self.calls: list[TokenTiming] = []
        self._reset()

    def _reset(self) -> None:
        self._start: float | None = None
        self._prompt = 0
        self._first: float | None = None
        self._last: float | None = None
        self._steps: list[float] = []
        self._new = 0
        self._batched = False

    @staticmethod
    def _shape(value: Any) -> tuple[int, ...]:
        shape = getattr(value, "shape", None)
        return tuple(int(d) for d in shape) if shape is not None else ()

    def put(self, value: Any) -> None:
        now = time.perf_counter()
        shape = self._shape(value)
        if self._start is None:  # the prompt
            self._start, self._prompt = now, (shape[-1] if shape else 0)
            self._batched = len(shape) >= 2 and shape[0] > 1
            return
        if self._first is None:
            self._first = now
        elif self._last is not None:
            self._steps.append(now - self._last)
        self._last = now
        self._new += 1

    def end(self) -> None:
        if self._start is not None and not self._batched and self._first is not None:
            decode = (self._last - self._first) if self._last is not None and self._new > 1 else None
            median = statistics.median(self._steps) if self._steps else None
            self.calls.append(TokenTiming(self._prompt, self._new, self._first - self._start, decode, median))
        self._reset()

    @property
    def last(self) -> TokenTiming | None:
        return self.calls[-1] if self.calls else None


def current() -> TokenTimer | None:
    """The timer of the run in progress on this thread, None outside :func:`timing`."""
    return _CURRENT.get()


@contextmanager
def timing() -> Iterator[TokenTimer]:
    """Time the ``generate`` calls of the block (see the module doc)."""
    timer = TokenTimer()
    token = _CURRENT.set(timer)
    try:
        yield timer
    finally:
        _CURRENT.reset(token)


__all__ = ["TokenTiming", "TokenTimer", "current", "timing"]
