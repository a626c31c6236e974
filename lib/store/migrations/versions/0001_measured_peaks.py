"""The store's first tables: meta, measured_peaks (measured peaks move here from measured.json).

Revision ID: 0001
Revises:
Create Date: 2026-06-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "measured_peaks",
        sa.Column("model_id", sa.String(length=256), nullable=False),
        sa.Column("dtype", sa.String(length=32), nullable=False),
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("peak_bytes", sa.BigInteger(), nullable=False),
        sa.Column("context_tokens", sa.Integer(), nullable=True),
        sa.Column("measured_at", sa.Float(), nullable=False),
        sa.Column("note", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "dtype", "device", name=op.f("pk_measured_peaks")),
    )


def downgrade() -> None:
    op.drop_table("measured_peaks")
    op.drop_table("meta")
