"""lib.store.group_upsert (group commit), on SQLite and a real PostgreSQL server: rows written by
threads while a commit is in flight share the next transaction, each caller returns after its row is
committed, a bad row fails only its own caller, and the upsert statement is built once."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from lib import store
from lib.store import db, group
from lib.store.models import Meta


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    yield f"sqlite:///{tmp_path / 'g.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store.dispose_all()


def _rows(url: str) -> dict[str, str]:
    with store.session(url) as s:
        return dict(s.execute(select(Meta.key, Meta.value)).all())


@pytest.fixture()
def held(monkeypatch):
    """The first shared transaction waits until ``gate`` is set; ``batches`` lists each one's keys."""
    gate, batches = threading.Event(), []
    write = group._write

    def slow_write(url, items):
        batches.append([it.values["key"] for it in items])
        if len(batches) == 1:
            assert gate.wait(30)
        write(url, items)

    monkeypatch.setattr(group, "_write", slow_write)
    return gate, batches


def _start(url: str, rows: list[dict], errors: dict) -> list[threading.Thread]:
    def put(row):
        try:
            store.group_upsert(Meta, row, url=url)
        except Exception as e:  # noqa: BLE001 - checked by the test
            errors[row["key"]] = e

    threads = [threading.Thread(target=put, args=(row,), daemon=True) for row in rows]
    for t in threads:
        t.start()
    return threads


def _wait_queued(url: str, n: int) -> None:
    g = group._group(store.engine(url))
    deadline = time.monotonic() + 30
    while len(g.queue) < n:
        assert time.monotonic() < deadline, "the rows never queued"
        time.sleep(0.005)


def test_rows_arriving_during_a_commit_share_the_next_transaction(url, held):
    gate, batches = held
    errors: dict = {}
    first = _start(url, [{"key": "first", "value": "1"}], errors)
    while not batches:
        time.sleep(0.005)
    rest = _start(url, [{"key": f"k{n}", "value": str(n)} for n in range(5)], errors)
    _wait_queued(url, 5)
    assert _rows(url) == {}  # nobody has returned: nothing is committed yet
    assert all(t.is_alive() for t in first + rest)
    gate.set()
    for t in first + rest:
        t.join(30)
    assert not errors
    assert batches[0] == ["first"] and sorted(batches[1]) == [f"k{n}" for n in range(5)] and len(batches) == 2
    assert _rows(url) == {"first": "1", **{f"k{n}": str(n) for n in range(5)}}


def test_the_same_key_twice_in_one_transaction_keeps_the_later_row(url, held):
    gate, batches = held
    errors: dict = {}
    first = _start(url, [{"key": "first", "value": "1"}], errors)
    while not batches:
        time.sleep(0.005)
    a = _start(url, [{"key": "same", "value": "older"}], errors)
    _wait_queued(url, 1)
    b = _start(url, [{"key": "same", "value": "newer"}], errors)
    _wait_queued(url, 2)
    gate.set()
    for t in first + a + b:
        t.join(30)
    assert not errors and batches[1] == ["same", "same"]
    assert _rows(url)["same"] == "newer"


def test_a_bad_row_fails_only_its_own_caller(url, held):
    gate, batches = held
    errors: dict = {}
    first = _start(url, [{"key": "first", "value": "1"}], errors)
    while not batches:
        time.sleep(0.005)
    rest = _start(url, [{"key": "ok1", "value": "a"}, {"key": "bad", "value": None}, {"key": "ok2", "value": "b"}],
                  errors)
    _wait_queued(url, 3)
    gate.set()
    for t in first + rest:
        t.join(30)
    assert set(errors) == {"bad"} and "null" in str(errors["bad"]).lower()
    assert _rows(url) == {"first": "1", "ok1": "a", "ok2": "b"}
    assert len(batches) == 2 + 3  # the shared transaction failed; each of its rows was written alone


def test_one_caller_alone_and_many_threads_lose_nothing(url):
    store.group_upsert(Meta, {"key": "alone", "value": "x"}, url=url)
    assert _rows(url) == {"alone": "x"}
    errors: dict = {}
    threads = _start(url, [{"key": f"t{n}", "value": str(n)} for n in range(40)], errors)
    for t in threads:
        t.join(60)
    assert not errors and len(_rows(url)) == 41
    g = group._group(store.engine(url))
    assert not g.queue and not g.leading  # nobody left leading: the next row leads at once


def test_the_upsert_statement_is_built_once_per_table_and_columns(url):
    with store.session(url, write=True) as s:
        store.upsert(s, Meta, {"key": "a", "value": "1"})
        store.upsert(s, Meta, [{"key": "b", "value": "2"}, {"key": "c", "value": "3"}])
    dialect = store.engine(url).dialect.name
    built = [k for k in db._UPSERTS if k[0] is Meta.__table__ and k[2] == dialect]
    assert built == [(Meta.__table__, ("value",), dialect)]
    assert _rows(url) == {"a": "1", "b": "2", "c": "3"}


def test_twenty_one_connections_at_once_do_not_wait_for_the_pool(url):
    eng, held, done = store.engine(url), [], threading.Event()

    def checkout():  # SQLAlchemy's default pool (5 + 10) made the 16th wait 30 s, then fail
        held.extend(eng.connect() for _ in range(21))
        done.set()

    threading.Thread(target=checkout, daemon=True).start()
    try:
        assert done.wait(10), "a connection waited for the pool"
    finally:
        for conn in held:
            conn.close()
