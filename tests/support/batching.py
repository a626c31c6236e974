"""Swap a task's run functions for a test or a benchmark (``lib.tasks`` owns the real ones).

``with_spec("text-classification", run_batch=None)`` runs that task item by item for the duration;
``with_spec(task, run=…, run_batch=…)`` puts in a failing or slow variant.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

from lib.tasks.classification import run_text_classification_batch as text_classification_batch  # noqa: F401


@contextmanager
def with_spec(task: str, **changes) -> Iterator[None]:
    """Temporarily replace fields of ``task``'s TaskSpec in the registry."""
    from lib import tasks as registry

    reg = registry.registry()
    old = reg[task]
    reg[task] = dataclasses.replace(old, **changes)
    try:
        yield
    finally:
        reg[task] = old


def with_run_batch(task: str, fn) -> Iterator[None]:
    """Temporarily give ``task`` this ``run_batch`` (None: none, items run one by one)."""
    return with_spec(task, run_batch=fn)
