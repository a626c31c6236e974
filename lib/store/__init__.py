"""The store: Hub Scout's database (SQLAlchemy 2 models, Alembic migrations shipped here).

Where: ``HUBSCOUT_DATABASE_URL`` (any SQLAlchemy URL), else the SQLite file
``<HUBSCOUT_DATA_DIR>/hubscout.db`` (WAL, busy timeout). The schema is brought to the newest
migration the first time a process uses the store.

Use::

    from lib import store
    from lib.store.models import MeasuredPeak

    with store.session() as s:                  # a read
        rows = s.scalars(select(MeasuredPeak)).all()
    with store.session(write=True) as s:        # a write (commits at the end of the block)
        store.upsert(s, MeasuredPeak, {...})
    store.group_upsert(MeasuredPeak, {...})     # one row, committed in a transaction shared with
                                                # the rows other threads write at that moment

Adding a table (a later feature): declare it on :class:`lib.store.base.Base` in a module under
``lib/store/`` and import it in ``lib/store/models.py``; then ``python -m lib.store revision -m
"sessions"`` writes ``lib/store/migrations/versions/000N_sessions.py`` from the difference between
the models and a database at head; read it, commit it. ``tests/test_store.py`` checks that the
migrations at head match the models.

Importing this package imports SQLAlchemy (~0.3 s): pages that never store import it lazily.
"""
from __future__ import annotations

from .db import (
    MIGRATIONS,
    StoreError,
    current_revision,
    dispose_all,
    engine,
    head_revision,
    meta_get,
    migrate,
    session,
    table_names,
    upsert,
)
from .group import group_upsert
from .models import Base, MeasuredPeak, Meta, RunSpeed

__all__ = ["engine", "session", "upsert", "group_upsert", "migrate", "dispose_all", "StoreError", "MIGRATIONS",
           "head_revision", "current_revision", "meta_get", "table_names", "Base", "Meta", "MeasuredPeak",
           "RunSpeed"]
