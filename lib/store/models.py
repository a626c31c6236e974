"""The store's tables, as typed SQLAlchemy 2 models on one :class:`Base`.

Every table of the store is declared on :class:`Base` and imported here (this module is what
Alembic compares the migrations with). A later feature adds its tables in its own module under
``lib/store/`` (``class Session(Base): ...``), imports that module below, then generates a migration
with ``python -m lib.store revision -m "what changed"`` (see ``lib/store/__init__.py``).

Portable types only (String with a length, BigInteger, Float, Text): the same models run on
SQLite and PostgreSQL.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Float, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Meta", "MeasuredPeak"]

# Named constraints: migrations can later drop/alter them by name on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table in the store."""

    metadata = MetaData(naming_convention=NAMING)


class Meta(Base):
    """Facts about the store itself (e.g. ``import:measured.json:<path>`` = when a legacy file was imported)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class MeasuredPeak(Base):
    """The latest measured peak of ``model_id`` at ``dtype`` on a ``device`` family (cpu/cuda/mps)."""

    __tablename__ = "measured_peaks"

    model_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    dtype: Mapped[str] = mapped_column(String(32), primary_key=True)
    device: Mapped[str] = mapped_column(String(32), primary_key=True)
    peak_bytes: Mapped[int] = mapped_column(BigInteger)
    context_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    measured_at: Mapped[float] = mapped_column(Float, default=0.0)  # unix time
    note: Mapped[str] = mapped_column(String(64), default="")
