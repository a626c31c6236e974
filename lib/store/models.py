"""The store's tables, as typed SQLAlchemy 2 models on one :class:`Base`.

Every table of the store is declared on :class:`Base` and imported here (this module is what
Alembic compares the migrations with). A later feature adds its tables in its own module under
``lib/store/`` (``from .base import Base``; ``class Thing(Base): ...``; :mod:`lib.store.sessions` is
one), imports that module at the end of this one, then generates a migration with
``python -m lib.store revision -m "what changed"`` (see ``lib/store/__init__.py``).

Portable types only (String with a length, BigInteger, Float, Text): the same models run on
SQLite and PostgreSQL.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import NAMING, Base

__all__ = ["Base", "NAMING", "Meta", "MeasuredPeak"]


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


# Tables declared in their own modules (imported here so that Alembic sees every table).
from .sessions import EvalCandidate, EvalInput, EvalOutput, EvalScore, EvalSession, EvalVote  # noqa: E402

__all__ += ["EvalSession", "EvalCandidate", "EvalInput", "EvalOutput", "EvalVote", "EvalScore"]
