"""Engines, sessions and migrations of the store.

* :func:`engine` — one SQLAlchemy engine per URL and process (default: ``lib.settings``'
  ``store_url``: ``HUBSCOUT_DATABASE_URL``, else ``<HUBSCOUT_DATA_DIR>/hubscout.db``), migrated to the
  newest revision on first use. SQLite connections get ``PRAGMA busy_timeout`` (writers wait for
  each other instead of failing), ``journal_mode=WAL`` (readers never block the writer) and
  ``foreign_keys=ON``, and real transactions (SQLAlchemy's documented pysqlite recipe), so that
  :func:`session` with ``write=True`` takes the write lock at ``BEGIN IMMEDIATE``. ``synchronous``
  stays SQLite's ``FULL``: a commit is on disk when it returns, even through a power loss (``NORMAL``
  would save the WAL fsync per commit but may lose the last commits then). Many small concurrent
  writes (raters' votes) share commits instead: :func:`lib.store.group.group_upsert`. The pool keeps
  ``POOL_SIZE`` connections (+ ``MAX_OVERFLOW``), so 20 concurrent readers never wait for one.
* :func:`session` — a ``with`` block around one transaction: commit at the end, rollback on error.
* :func:`upsert` — insert or update one row (or a list of rows) by primary key (``ON CONFLICT`` on
  SQLite and PostgreSQL, the statement built once per table; a savepoint per row elsewhere).
* :func:`migrate` — ``alembic upgrade head`` on one connection, with a lock, so two processes
  starting at once migrate once (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL).

Nothing here is SQLite-only except what is guarded by the dialect's name.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session

from lib.i18n import _

from .models import Base

__all__ = ["engine", "session", "upsert", "migrate", "dispose_all", "StoreError", "MIGRATIONS",
           "BUSY_TIMEOUT_MS", "head_revision", "current_revision", "table_names", "meta_get"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 15_000
# connections kept open per engine, and how many more at a peak: SQLAlchemy's default (5 + 10) made a
# 16th concurrent reader wait, and an overflow connection is closed on return (a new SQLite
# connection costs its PRAGMAs again); 20 raters at once plus the page's own threads fit in 20 + 20
POOL_SIZE, MAX_OVERFLOW = 20, 20
_PG_LOCK_ID = 0x4855425343  # "HUBSC": pg_advisory_xact_lock key for migrations

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_write_locks: dict[Engine, threading.RLock] = {}  # SQLite: one writer per engine at a time, in turn


class StoreError(RuntimeError):
    """The store cannot be used (bad URL, missing driver, unreachable database): a message for people, in the
    language of the call that met it."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling is off; SQLAlchemy's "begin" event below emits BEGIN
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")  # durable commits (see the module's docstring)
        cur.execute("PRAGMA foreign_keys = ON")
    finally:
        cur.close()


def _sqlite_begin(conn) -> None:
    write = conn.get_execution_options().get("hubscout_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")  # i18n: SQL


def _create(url: str) -> Engine:
    try:
        u = make_url(url)
    except ArgumentError as e:
        raise StoreError(_("the database URL cannot be read ({error})").format(error=e)) from None
    kwargs: dict[str, Any] = {"pool_pre_ping": u.get_backend_name() != "sqlite"}
    if u.get_backend_name() != "sqlite" or (u.database and "memory" not in str(u)):  # a file: a QueuePool
        kwargs.update(pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        folder = Path(u.database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(_("the store's folder {folder} cannot be created ({error})")
                             .format(folder=folder, error=e.strerror or e)) from None
    try:
        eng = create_engine(u, **kwargs)
    except (ImportError, ArgumentError) as e:
        raise StoreError(_("no database driver for {driver} ({error})").format(driver=u.drivername, error=e)
                         ) from None
    if eng.dialect.name == "sqlite":
        event.listen(eng, "connect", _sqlite_pragmas)
        event.listen(eng, "begin", _sqlite_begin)
    return eng


def _alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The newest migration shipped in ``lib/store/migrations/versions``."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(eng: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with eng.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(eng: Engine, revision: str = "head", *, down: bool = False) -> None:
    """Upgrade (``down=True``: downgrade) the database to ``revision``, in one transaction, one
    process at a time."""
    from alembic import command

    with eng.connect().execution_options(hubscout_write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_ID})")  # i18n: SQL
        (command.downgrade if down else command.upgrade)(_alembic_config(conn), revision)


def engine(url: str | None = None) -> Engine:
    """The migrated engine for ``url`` (default: the configured store), one per process and URL."""
    if url is None:
        from lib.settings import get_settings

        url = get_settings().store_url
    eng = _engines.get(url)
    if eng is not None:
        return eng
    with _lock:
        eng = _engines.get(url)
        if eng is None:
            eng = _create(url)
            try:
                migrate(eng)
            except StoreError:
                raise
            except Exception as e:
                eng.dispose()
                raise StoreError(_("the store at {url} cannot be opened: {error}").format(
                    url=eng.url.render_as_string(hide_password=True), error=f"{type(e).__name__}: {e}")) from e
            if eng.dialect.name == "sqlite":
                _write_locks[eng] = threading.RLock()
            _engines[url] = eng
    return eng


@contextmanager
def session(url: str | None = None, *, write: bool = False) -> Iterator[Session]:
    """One transaction: ``with session(write=True) as s: s.add(...)`` commits at the end.

    ``write=True`` takes SQLite's write lock at the start (``BEGIN IMMEDIATE``), so a
    read-then-write transaction waits for other writers instead of failing with "database is locked";
    within a process, SQLite writers take turns on a lock first (short, fair waits under load).
    """
    eng = engine(url)
    if not write:
        with Session(eng, expire_on_commit=False) as s, s.begin():
            yield s
        return
    # SQLite has one writer at a time: this process's writers queue on a lock instead of polling the
    # file lock (SQLite's busy handler sleeps up to 100 ms between tries: long, unfair waits under load)
    lock = _write_locks.get(eng) if eng.dialect.name == "sqlite" else None
    with lock or nullcontext(), Session(eng.execution_options(hubscout_write=True), expire_on_commit=False) as s, \
            s.begin():
        yield s


_UPSERTS: dict[tuple, Any] = {}  # (table, update columns, dialect) -> the statement, built once


def _upsert_statement(table, keys: list[str], cols: list[str], dialect: str):
    key = (table, tuple(cols), dialect)
    stmt = _UPSERTS.get(key)
    if stmt is None:
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        stmt = insert(table)
        stmt = (stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in cols})
                if cols else stmt.on_conflict_do_nothing(index_elements=keys))
        _UPSERTS[key] = stmt
    return stmt


def upsert(s: Session, model: type[Base], values: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
           update: Sequence[str] | None = None) -> None:
    """Insert ``values`` as a row of ``model``, or update its ``update`` columns (default: every
    non-key column) when a row with the same primary key exists. ``values`` may be a list of rows
    with the same keys: one statement, executed for each (later rows win over earlier ones with the
    same key). The statement is built once per table and columns (building an ``ON CONFLICT`` anew
    costs about a millisecond of CPU per call)."""
    rows = [values] if isinstance(values, Mapping) else list(values)
    if not rows:
        return
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    cols = list(update) if update is not None else [k for k in rows[0] if k not in keys]
    dialect = s.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        stmt = _upsert_statement(table, keys, cols, dialect)
        if len(rows) > 1:  # PostgreSQL's multi-row INSERT .. ON CONFLICT may not touch a row twice
            rows = list({tuple(r[k] for k in keys): r for r in rows}.values())  # the last row of a key wins
        s.execute(stmt, rows if len(rows) > 1 else rows[0])
        return
    for row in rows:  # any other backend: insert, and update when the key exists
        try:
            with s.begin_nested():
                s.execute(table.insert().values(**row))
        except IntegrityError:
            if cols:
                where = [table.c[k] == row[k] for k in keys]
                s.execute(table.update().where(*where).values({c: row[c] for c in cols}))


def dispose_all() -> None:
    """Close every engine's connections (tests; a forked worker)."""
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
        _write_locks.clear()


def table_names(url: str | None = None) -> list[str]:
    """The tables in the store (diagnostics and tests)."""
    return sorted(inspect(engine(url)).get_table_names())


def meta_get(s: Session, key: str) -> str | None:
    """The value of a ``meta`` row, or None."""
    from .models import Meta

    return s.execute(select(Meta.value).where(Meta.key == key)).scalar_one_or_none()
