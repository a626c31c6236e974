"""Team evaluation sessions (issue 9): sessions, their candidates, inputs, outputs, votes and scores.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 10:20:54.734254
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sessions',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('created', sa.String(length=40), nullable=False),
    sa.Column('settings', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_created'), ['created'], unique=False)

    op.create_table('session_candidates',
    sa.Column('session_id', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=1024), nullable=False),
    sa.Column('revision', sa.String(length=64), nullable=True),
    sa.Column('stats', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_session_candidates_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'id', name=op.f('pk_session_candidates'))
    )
    op.create_table('session_inputs',
    sa.Column('session_id', sa.String(length=16), nullable=False),
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('reference', sa.Text(), nullable=True),
    sa.Column('inputs', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_session_inputs_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'id', name=op.f('pk_session_inputs'))
    )
    op.create_table('session_outputs',
    sa.Column('session_id', sa.String(length=16), nullable=False),
    sa.Column('input_id', sa.String(length=16), nullable=False),
    sa.Column('candidate_id', sa.String(length=16), nullable=False),
    sa.Column('output', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('latency_s', sa.Float(), nullable=True),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['session_id', 'candidate_id'], ['session_candidates.session_id', 'session_candidates.id'], name=op.f('fk_session_outputs_session_id_session_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id', 'input_id'], ['session_inputs.session_id', 'session_inputs.id'], name=op.f('fk_session_outputs_session_id_session_inputs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'input_id', 'candidate_id', name=op.f('pk_session_outputs'))
    )
    op.create_table('session_scores',
    sa.Column('session_id', sa.String(length=16), nullable=False),
    sa.Column('rater', sa.String(length=128), nullable=False),
    sa.Column('input_id', sa.String(length=16), nullable=False),
    sa.Column('candidate_id', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['session_id', 'candidate_id'], ['session_candidates.session_id', 'session_candidates.id'], name=op.f('fk_session_scores_session_id_session_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id', 'input_id'], ['session_inputs.session_id', 'session_inputs.id'], name=op.f('fk_session_scores_session_id_session_inputs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'rater', 'input_id', 'candidate_id', name=op.f('pk_session_scores'))
    )
    op.create_table('session_votes',
    sa.Column('session_id', sa.String(length=16), nullable=False),
    sa.Column('rater', sa.String(length=128), nullable=False),
    sa.Column('input_id', sa.String(length=16), nullable=False),
    sa.Column('cand_a', sa.String(length=16), nullable=False),
    sa.Column('cand_b', sa.String(length=16), nullable=False),
    sa.Column('left', sa.String(length=16), nullable=False),
    sa.Column('right', sa.String(length=16), nullable=False),
    sa.Column('choice', sa.String(length=16), nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['session_id', 'cand_a'], ['session_candidates.session_id', 'session_candidates.id'], name='fk_session_votes_cand_a_session_candidates', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id', 'cand_b'], ['session_candidates.session_id', 'session_candidates.id'], name='fk_session_votes_cand_b_session_candidates', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id', 'input_id'], ['session_inputs.session_id', 'session_inputs.id'], name=op.f('fk_session_votes_session_id_session_inputs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'rater', 'input_id', 'cand_a', 'cand_b', name=op.f('pk_session_votes'))
    )


def downgrade() -> None:
    op.drop_table('session_votes')
    op.drop_table('session_scores')
    op.drop_table('session_outputs')
    op.drop_table('session_inputs')
    op.drop_table('session_candidates')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_created'))

    op.drop_table('sessions')
