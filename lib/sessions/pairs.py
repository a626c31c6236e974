"""The cells :func:`lib.sessions.store.next_pair` chooses among: (input, unordered pair) where both
candidates have an output and the rater has not voted yet, the least-voted over all raters.

Two Core queries in one read transaction (no ORM objects: ``next_pair`` runs before every vote, in
every rater's thread): the cells with an output, and the votes per (input, pair) counted by the
database (``GROUP BY``), with whether this rater's vote is among them.
"""
from __future__ import annotations

from itertools import combinations

from sqlalchemy import Connection, String, bindparam, case, cast, func, select

from lib.store.sessions import EvalOutput, EvalVote

__all__ = ["least_voted"]

_CELLS = (select(EvalVote.input_id + " " + EvalVote.cand_a + " " + EvalVote.cand_b + " "
                  + cast(func.count(), String) + " "
                  + cast(func.max(case((EvalVote.rater == bindparam("rater"), 1), else_=0)), String))
          .where(EvalVote.session_id == bindparam("sid"))
          .group_by(EvalVote.input_id, EvalVote.cand_a, EvalVote.cand_b).subquery())
_READ = select(  # one row: "input candidate,..." with an output; "input a b votes mine,..." per voted pair
    select(func.aggregate_strings(EvalOutput.input_id + " " + EvalOutput.candidate_id, ","))
    .where(EvalOutput.session_id == bindparam("sid"), EvalOutput.output.is_not(None)).scalar_subquery(),
    select(func.aggregate_strings(_CELLS.c[0], ",")).scalar_subquery())


def least_voted(conn: Connection, session_id: str, rater: str, order: dict[str, int]) -> list[tuple[str, str, str]]:
    """(input id, a, b) with a < b, for every cell open to ``rater`` that has the fewest votes
    (``order``: candidate id -> position; cells come by input id, then pair in that order)."""
    done, voted = conn.execute(_READ, {"sid": session_id, "rater": rater}).one()
    have: dict[str, list[str]] = {}
    for cell in (done or "").split(","):
        if cell:
            input_id, cid = cell.split(" ")
            have.setdefault(input_id, []).append(cid)
    counts, mine = {}, set()
    for cell in (voted or "").split(","):
        if cell:
            input_id, a, b, n, own = cell.split(" ")
            counts[(input_id, a, b)] = int(n)
            if own == "1":
                mine.add((input_id, a, b))
    best: list[tuple[str, str, str]] = []
    least = None
    for input_id in sorted(have):
        for a, b in combinations(sorted(have[input_id], key=order.get), 2):
            a, b = sorted((a, b))
            if (input_id, a, b) in mine:
                continue
            n = counts.get((input_id, a, b), 0)
            if least is None or n < least:
                least, best = n, []
            if n == least:
                best.append((input_id, a, b))
    return best
