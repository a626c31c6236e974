"""Tables of team evaluation sessions (issue 9): a session, its candidates and inputs, the outputs of
every (input, candidate) cell, and the raters' pairwise votes and 1-5 scores.

Every row hangs off ``sessions.id`` (deleting a session deletes its rows). Keys are the facts that
must stay unique under concurrent writers, so an upsert on the key is the whole write:

* one output per (session, input, candidate);
* one vote per (session, rater, input, unordered pair): ``cand_a`` < ``cand_b`` is the pair sorted,
  ``left`` / ``right`` keep the side each candidate was shown on;
* one score per (session, rater, input, candidate).

JSON columns (settings, stats, raw inputs, outputs, errors) are Text written by
``lib.sessions.codec``; times are ISO-8601 UTC strings (``created``, ``at``), which sort as text.
"""
from __future__ import annotations

from sqlalchemy import Float, ForeignKeyConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

__all__ = ["EvalSession", "EvalCandidate", "EvalInput", "EvalOutput", "EvalVote", "EvalScore"]

ID = 16        # session ids (token_urlsafe(6) is 8 characters; imports keep theirs when free)
CELL_ID = 16   # candidate ids c1..c8, input ids i1..iN
RATER = 128
TIME = 40


class EvalSession(Base):
    """One evaluation session: a name, a task and the settings frozen at creation."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(String(64))
    created: Mapped[str] = mapped_column(String(TIME), index=True)
    settings: Mapped[str] = mapped_column(Text, default="{}")


class EvalCandidate(Base):
    """A model in a session (``c1``.. in creation order), its revision, where it runs (local or a remote
    backend: sessions mix both) and measured run stats."""

    __tablename__ = "session_candidates"
    __table_args__ = (ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),)

    session_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    id: Mapped[str] = mapped_column(String(CELL_ID), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(1024))
    revision: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stats: Mapped[str] = mapped_column(Text, default="{}")
    #: where this candidate runs: None = here (local); else the backend's URL parameters as JSON
    #: (``lib.hub.inference.Backend.params()``: kind, provider or URL; never a token)
    backend: Mapped[str | None] = mapped_column(Text, nullable=True)


class EvalInput(Base):
    """An input of a session (``i1``.. in order): display text, optional reference, raw runner inputs."""

    __tablename__ = "session_inputs"
    __table_args__ = (ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),)

    session_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    id: Mapped[str] = mapped_column(String(CELL_ID), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)
    inputs: Mapped[str] = mapped_column(Text, default="{}")


def _cell_keys() -> tuple[ForeignKeyConstraint, ForeignKeyConstraint]:
    """A row about one cell (input x candidate) of a session: it goes when its input or candidate goes."""
    return (ForeignKeyConstraint(["session_id", "input_id"], ["session_inputs.session_id", "session_inputs.id"],
                                 ondelete="CASCADE"),
            ForeignKeyConstraint(["session_id", "candidate_id"],
                                 ["session_candidates.session_id", "session_candidates.id"], ondelete="CASCADE"))


class EvalOutput(Base):
    """What one candidate produced for one input (or the error it met), and how long it took."""

    __tablename__ = "session_outputs"
    __table_args__ = _cell_keys()

    session_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    input_id: Mapped[str] = mapped_column(String(CELL_ID), primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(CELL_ID), primary_key=True)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    at: Mapped[str] = mapped_column(String(TIME))


class EvalVote(Base):
    """A rater's blind pairwise vote on one input: ``choice`` is left / right / tie / both_bad."""

    __tablename__ = "session_votes"
    __table_args__ = (
        ForeignKeyConstraint(["session_id", "input_id"], ["session_inputs.session_id", "session_inputs.id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["session_id", "cand_a"], ["session_candidates.session_id", "session_candidates.id"],
                             ondelete="CASCADE", name="fk_session_votes_cand_a_session_candidates"),
        ForeignKeyConstraint(["session_id", "cand_b"], ["session_candidates.session_id", "session_candidates.id"],
                             ondelete="CASCADE", name="fk_session_votes_cand_b_session_candidates"),
    )

    session_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    rater: Mapped[str] = mapped_column(String(RATER), primary_key=True)
    input_id: Mapped[str] = mapped_column(String(CELL_ID), primary_key=True)
    cand_a: Mapped[str] = mapped_column(String(CELL_ID), primary_key=True)
    cand_b: Mapped[str] = mapped_column(String(CELL_ID), primary_key=True)
    left: Mapped[str] = mapped_column(String(CELL_ID))
    right: Mapped[str] = mapped_column(String(CELL_ID))
    choice: Mapped[str] = mapped_column(String(16))
    at: Mapped[str] = mapped_column(String(TIME))


class EvalScore(Base):
    """A rater's 1-5 score of one output, with an optional comment."""

    __tablename__ = "session_scores"
    __table_args__ = _cell_keys()

    session_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    rater: Mapped[str] = mapped_column(String(RATER), primary_key=True)
    input_id: Mapped[str] = mapped_column(String(CELL_ID), primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(CELL_ID), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[str] = mapped_column(String(TIME))
