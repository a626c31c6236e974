"""A ``run_batch`` for text-classification, registered by tests and benchmarks only.

The task modules (``lib/tasks``) own the real ``run_batch`` functions; until a task has one, this lets
the job runner's batching be tested and measured: ``with_run_batch("text-classification",
text_classification_batch)`` swaps the registry's TaskSpec for one with ``run_batch`` set.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def text_classification_batch(loaded, items: list[dict], task: str, opts) -> list[tuple[dict, list[str]]]:
    """All texts in one pipeline call (``batch_size`` = the batch); scores best first, as run_text_classification."""
    from lib.runner.tasks import _scores

    texts = [it["text"] for it in items]
    rows = loaded.pipe(texts, top_k=None, batch_size=len(texts), truncation=True)
    return [(_scores(r), []) for r in rows]


@contextmanager
def with_run_batch(task: str, fn: Callable | None) -> Iterator[None]:
    """Temporarily give ``task``'s TaskSpec this ``run_batch`` (None: none)."""
    from lib import tasks as registry

    reg = registry.registry()
    old = reg[task]
    reg[task] = dataclasses.replace(old, run_batch=fn)
    try:
        yield
    finally:
        reg[task] = old
