"""Where a session candidate runs (local or a remote backend: issue 11) and measured run speeds per
model and backend (remote time to first token and tokens/s; local speed beside its estimate: issue 12).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 15:25:32.620252
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('run_speeds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_id', sa.String(length=256), nullable=False),
    sa.Column('backend', sa.String(length=256), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('dtype', sa.String(length=32), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=True),
    sa.Column('new_tokens', sa.Integer(), nullable=True),
    sa.Column('ttft_s', sa.Float(), nullable=True),
    sa.Column('tokens_per_s', sa.Float(), nullable=True),
    sa.Column('prefill_tokens_per_s', sa.Float(), nullable=True),
    sa.Column('latency_s', sa.Float(), nullable=True),
    sa.Column('estimated_tokens_per_s', sa.Float(), nullable=True),
    sa.Column('estimated_prefill_tokens_per_s', sa.Float(), nullable=True),
    sa.Column('measured_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_run_speeds'))
    )
    with op.batch_alter_table('run_speeds', schema=None) as batch_op:
        batch_op.create_index('ix_run_speeds_model_backend', ['model_id', 'backend'], unique=False)

    with op.batch_alter_table('session_candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backend', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('session_candidates', schema=None) as batch_op:
        batch_op.drop_column('backend')

    with op.batch_alter_table('run_speeds', schema=None) as batch_op:
        batch_op.drop_index('ix_run_speeds_model_backend')

    op.drop_table('run_speeds')
