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

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import NAMING, Base

__all__ = ["Base", "NAMING", "Meta", "MeasuredPeak", "RunSpeed"]


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


class RunSpeed(Base):
    """One measured run's speed, per model and backend: what the runner measured (time to first token,
    decode and prefill tokens/s, latency) beside what was estimated for it, when there was an estimate.

    ``backend`` says where it ran, never with a secret: ``local:cpu`` / ``local:cuda`` (this machine, its
    device), ``providers:<provider>``, ``url:<scheme://host:port>``. Written by the caller of the runner
    (its jobs), as measured peaks are; read to show "measured here" beside an estimate, per backend.
    """

    __tablename__ = "run_speeds"
    __table_args__ = (Index("ix_run_speeds_model_backend", "model_id", "backend"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(String(256))
    backend: Mapped[str] = mapped_column(String(256))
    task: Mapped[str] = mapped_column(String(64), default="")
    dtype: Mapped[str] = mapped_column(String(32), default="")
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ttft_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    tokens_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)  # decode
    prefill_tokens_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    estimated_tokens_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    estimated_prefill_tokens_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    measured_at: Mapped[float] = mapped_column(Float, default=0.0)  # unix time


# Tables declared in their own modules (imported here so that Alembic sees every table).
from .sessions import EvalCandidate, EvalInput, EvalOutput, EvalScore, EvalSession, EvalVote  # noqa: E402

__all__ += ["EvalSession", "EvalCandidate", "EvalInput", "EvalOutput", "EvalVote", "EvalScore"]
