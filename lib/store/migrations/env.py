"""Alembic environment of the store: runs on the connection :mod:`lib.store.db` hands over.

``lib.store.db.migrate`` (first use of the store in a process) and ``python -m lib.store …`` build
the Alembic ``Config`` in code and pass an open connection in ``config.attributes["connection"]``;
there is no alembic.ini. SQLite gets batch mode (its ALTER TABLE is limited).
"""
from __future__ import annotations

from alembic import context

from lib.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through lib.store.db
    raise RuntimeError("run the store's migrations through lib.store (python -m lib.store upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
