"""20 raters voting at once (threads, one transaction per vote), against SQLite and a real
PostgreSQL server: every vote kept once, re-votes replace, the final counts exact.

Each rater asks :func:`next_pair` for its next blind pair and votes (50 votes), then changes its
mind on 10 of them (10 more calls that must replace, not add). 4 candidates x 10 inputs = 60 (input,
pair) cells, so every rater finds 50 cells it has not voted on.
"""
from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from lib import store as db
from lib.sessions import store as ss

RATERS, VOTES, REVOTES = 20, 50, 10
CHOICES = ("left", "right", "tie", "both_bad")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'c.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    monkeypatch.setenv("HUBSCOUT_DATABASE_URL", url)
    yield request.param
    db.dispose_all()


def _session() -> ss.SessionInfo:
    info = ss.create_session("Concurrency", "text-classification", ["m/a", "m/b", "m/c", "m/d"],
                             [{"text": f"input {n}"} for n in range(10)], {"dtype": "float32"})
    for c in info.candidates:
        for i in info.inputs:
            ss.record_output(info.id, c.id, i.id, output={"labels": [c.id], "scores": [1.0]})
    return info


def test_twenty_raters_voting_at_once_lose_and_duplicate_nothing(backend):
    info = _session()
    start = threading.Barrier(RATERS)
    expected: dict[tuple[str, str, str, str], tuple[str, str, str]] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def rater(n: int) -> None:
        name, rng = f"rater-{n:02d}", random.Random(n)
        mine: dict[tuple[str, str, str, str], tuple[str, str, str]] = {}
        try:
            start.wait(timeout=60)
            for _ in range(VOTES):
                pair = ss.next_pair(info.id, name, rng)
                assert pair is not None, f"{name} found nothing left to vote on"
                inp, left, right = pair
                key = (name, inp, *sorted((left, right)))
                assert key not in mine, f"next_pair offered {name} a pair it had voted on"
                choice = rng.choice(CHOICES)
                ss.cast_vote(info.id, name, inp, left, right, choice)
                mine[key] = (left, right, choice)
            for key in rng.sample(sorted(mine), REVOTES):  # change of mind, sides swapped
                left, right, choice = mine[key]
                new = next(c for c in CHOICES if c != choice)
                ss.cast_vote(info.id, name, key[1], right, left, new)
                mine[key] = (right, left, new)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)
        with lock:
            expected.update(mine)

    threads = [threading.Thread(target=rater, args=(n,), daemon=True) for n in range(RATERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a rater thread hung"
    assert not errors, errors[:3]

    rows = ss.votes(info.id)
    assert len(rows) == len(expected) == RATERS * VOTES  # none lost, none duplicated
    got = {(r["rater"], r["input"], *sorted((r["left"], r["right"]))): (r["left"], r["right"], r["choice"])
           for r in rows}
    assert got == expected  # every re-vote replaced its vote, sides as last shown
    assert Counter(r["rater"] for r in rows) == {f"rater-{n:02d}": VOTES for n in range(RATERS)}
    assert Counter(r["choice"] for r in rows) == Counter(v[2] for v in expected.values())
    assert ss.list_sessions()[0].n_votes == RATERS * VOTES
    per_cell = Counter((r["input"], *sorted((r["left"], r["right"]))) for r in rows)
    assert len(per_cell) == 60 and sum(per_cell.values()) == RATERS * VOTES


def test_scores_from_twenty_raters_at_once_are_exact(backend):
    info = _session()
    start = threading.Barrier(RATERS)
    errors: list[BaseException] = []

    def rater(n: int) -> None:
        try:
            start.wait(timeout=60)
            for i in info.inputs[:5]:
                ss.set_score(info.id, f"r{n}", i.id, "c1", 1 + n % 5)
                ss.set_score(info.id, f"r{n}", i.id, "c1", 1 + (n + 1) % 5, f"second thought {n}")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=rater, args=(n,), daemon=True) for n in range(RATERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors[:3]
    rows = ss.scores(info.id)
    assert len(rows) == RATERS * 5
    assert all(r["score"] == 1 + (int(r["rater"][1:]) + 1) % 5 and r["comment"].endswith(r["rater"][1:])
               for r in rows)
