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
    __slots__ = ("model", "values", "update", "woken", "lead", "done", "error")

    def __init__(self, model: type[Base], values: Mapping[str, Any], update: tuple[str, ...] | None):
        self.model, self.values, self.update = model, values, update
        self.woken = threading.Event()  # set when this row is committed (or failed), or when it is its turn to lead
        self.lead = self.done = False
        self.error: BaseException | None = None


class _Group:
    def __init__(self) -> None:
        self.lock = threading.Lock()
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
    with g.lock:
        g.queue.append(item)
        item.lead = not g.leading
        g.leading = True
    if not item.lead:
        try:
            item.woken.wait()  # only this caller is woken: its row's outcome, or its turn to lead
        except BaseException:  # interrupted (Ctrl-C in the main thread): leave the queue, pass the lead on
            _leave(g, item)
            raise
    while not item.done:  # lead: the oldest rows queued (this one among them, unless MAX_GROUP came first)
        with g.lock:
            batch = g.queue[:MAX_GROUP]
            del g.queue[:MAX_GROUP]
        try:
            _commit(url, batch)
        except BaseException as e:
            for it in batch:
                it.error = it.error or e
            if not isinstance(e, Exception):  # this leader stops: its row too, and the lead goes on
                with g.lock:
                    if item in g.queue:
                        g.queue.remove(item)
                _finish(g, batch if item in batch else [*batch, item], item, handoff=True)
                raise
        _finish(g, batch, item, handoff=item in batch)
    if item.error is not None:
        raise item.error


def _leave(g: _Group, item: _Item) -> None:
    """``item``'s caller stops waiting: its row leaves the queue (unless a leader has taken it), and the
    lead, if it was handed to it, goes to the next row queued."""
    nxt = None
    with g.lock:
        if item in g.queue:
            g.queue.remove(item)
        if item.lead and not item.done:
            item.done = True
            if g.queue:
                nxt = g.queue[0]
                nxt.lead = True
            else:
                g.leading = False
    if nxt is not None:
        nxt.woken.set()


def _finish(g: _Group, batch: list[_Item], leader: _Item, *, handoff: bool) -> None:
    """Mark ``batch`` done and wake its callers; the oldest row still queued leads next (``handoff``:
    the leader's own row is done), or nobody leads until a row comes."""
    nxt = None
    with g.lock:
        for it in batch:
            it.done = True
        if handoff:
            if g.queue:
                nxt = g.queue[0]
                nxt.lead = True
            else:
                g.leading = False
    for it in batch:
        if it is not leader:
            it.woken.set()
    if nxt is not None:
        nxt.woken.set()
