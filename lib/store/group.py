"""Group commit: many small upserts from concurrent threads, one transaction for all those waiting.

:func:`group_upsert` writes one row and returns only once the transaction holding it has
committed (or raises what that write met), as a plain ``with session(write=True)`` block would:
durability is unchanged. What changes is how concurrent writers share the work. The first caller
to find no commit in progress leads: it takes every row queued so far, writes them in one write
transaction (one upsert statement per table) and commits once; callers that arrive meanwhile queue
their rows and wait, and one of them leads the next transaction when this one ends. With 20
raters voting at once on SQLite (one writer at a time, a WAL fsync per commit) a vote no longer
waits for the 19 others' commits in turn, only for the one in flight and its own.

No thread of its own (the callers lead in turn), nothing kept between calls but the queue. If a
shared transaction fails on a row's own fault (a constraint, a value the database refuses), each
of its rows is written again alone, so only the bad row's caller gets the error; any other failure
(the database unreachable or locked too long) is every caller's error.
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError

from .base import Base
from .db import engine, session, upsert

__all__ = ["group_upsert", "MAX_GROUP"]

MAX_GROUP = 500  # rows per shared transaction at most (the rest lead the next one)


class _Item:
    __slots__ = ("model", "values", "update", "done", "error")

    def __init__(self, model: type[Base], values: Mapping[str, Any], update: tuple[str, ...] | None):
        self.model, self.values, self.update = model, values, update
        self.done = False
        self.error: BaseException | None = None


class _Group:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.queue: list[_Item] = []
        self.leading = False


_groups: weakref.WeakKeyDictionary[Engine, _Group] = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()


def _group(eng: Engine) -> _Group:
    g = _groups.get(eng)
    if g is None:
        with _groups_lock:
            g = _groups.setdefault(eng, _Group())
    return g


def _write(url: str | None, items: list[_Item]) -> None:
    """One transaction for ``items``: rows of one table and columns go in one statement, in order."""
    runs: dict[tuple, list[Mapping[str, Any]]] = {}
    for it in items:
        runs.setdefault((it.model, it.update, tuple(it.values)), []).append(it.values)
    with session(url, write=True) as s:
        for (model, update, _), rows in runs.items():
            upsert(s, model, rows, update=update)


def _commit(url: str | None, items: list[_Item]) -> None:
    try:
        _write(url, items)
    except (IntegrityError, DataError):  # a row's own fault: retried one by one, each caller its outcome
        if len(items) == 1:
            raise
        for it in items:
            try:
                _write(url, [it])
            except Exception as e:  # noqa: BLE001 - raised in that caller's thread
                it.error = e


def group_upsert(model: type[Base], values: Mapping[str, Any], *, update: Sequence[str] | None = None,
                 url: str | None = None) -> None:
    """Upsert one row of ``model`` (see :func:`lib.store.upsert`) and return once it is committed,
    in a transaction shared with the rows other threads are writing at the same moment."""
    g = _group(engine(url))
    item = _Item(model, dict(values), None if update is None else tuple(update))
    with g.cond:
        g.queue.append(item)
    while True:
        with g.cond:
            while g.leading and not item.done:
                g.cond.wait()
            if item.done:
                break
            g.leading = True  # lead: the oldest rows queued (this one among them, unless 500 came first)
            batch = g.queue[:MAX_GROUP]
            del g.queue[:MAX_GROUP]
        try:
            _commit(url, batch)
        except BaseException as e:
            for it in batch:
                it.error = it.error or e
            if not isinstance(e, Exception):
                raise
        finally:
            with g.cond:
                for it in batch:
                    it.done = True
                g.leading = False
                g.cond.notify_all()
    if item.error is not None:
        raise item.error
