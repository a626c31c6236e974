"""Vote writes of a team evaluation session with 20 raters voting at once, on the SQLite store.

Each rater is a thread that asks ``next_pair`` for its next blind pair and casts its vote
(``lib.sessions.store.cast_vote``: one write transaction, an upsert on the vote's key). Two runs of
20 raters x 50 votes: *paced*, each rater pausing about a second before each vote (0.5-1.5 s; faster
than anyone reads two outputs), and *flat out*, no pause at all (the worst case for the write lock:
then every vote queues behind the others' votes, one writer at a time). The figure is the p95 of ``cast_vote``
wall time, printed beside a baseline from the same run: the same votes cast by one rater alone.
Target: p95 <= 50 ms with 20 concurrent raters. ``next_pair`` (a read) is timed too. Exit 1 only
when a vote was lost.

    .venv/bin/python bench/bench_sessions_votes.py [--raters 20] [--votes 50] [--think-ms 1000]
        [--synchronous NORMAL]   # what the figures would be with SQLite's faster, less durable commits
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_TMP = tempfile.mkdtemp(prefix="bench_sessions_votes_")
os.environ["HUBSCOUT_DATABASE_URL"] = f"sqlite:///{_TMP}/bench.db"

TARGET_MS = 50.0


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def _session(n_inputs: int):
    from lib.sessions import store as ss

    info = ss.create_session("bench votes", "text-classification", ["m/a", "m/b", "m/c", "m/d"],
                             [{"text": f"input {n}"} for n in range(n_inputs)], {"dtype": "float32"})
    for c in info.candidates:
        for i in info.inputs:
            ss.record_output(info.id, c.id, i.id, output={"labels": ["POSITIVE", "NEGATIVE"], "scores": [0.9, 0.1]})
    return info


def _rater(session_id: str, name: str, votes: int, think_s: float, seed: int, start: threading.Barrier | None,
           write_ms: list[float], read_ms: list[float]) -> None:
    from lib.sessions import store as ss

    rng = random.Random(seed)
    if start is not None:
        start.wait()
    for _ in range(votes):
        t = time.perf_counter()
        pair = ss.next_pair(session_id, name, rng)
        read_ms.append((time.perf_counter() - t) * 1000)
        if pair is None:
            return
        if think_s:
            time.sleep(rng.uniform(0.5, 1.5) * think_s)
        t = time.perf_counter()
        ss.cast_vote(session_id, name, *pair, rng.choice(("left", "right", "tie", "both_bad")))
        write_ms.append((time.perf_counter() - t) * 1000)


def _scenario(session_id: str, prefix: str, raters: int, votes: int, think_s: float) -> tuple[list, list, float]:
    writes: list[float] = []
    reads: list[float] = []
    start = threading.Barrier(raters)
    threads = [threading.Thread(target=_rater, args=(session_id, f"{prefix}-{n}", votes, think_s, n + 1, start,
                                                     writes, reads)) for n in range(raters)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return writes, reads, time.perf_counter() - t0


def _row(label: str, xs: list[float]) -> None:
    print(f"{label:44} {statistics.median(xs):6.1f}ms {_pct(xs, 0.95):6.1f}ms {max(xs):7.1f}ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raters", type=int, default=20)
    ap.add_argument("--votes", type=int, default=50, help="votes per rater")
    ap.add_argument("--think-ms", type=float, default=1000.0,
                    help="paced raters: mean pause before each vote (default 1000: faster than anyone reads)")
    ap.add_argument("--synchronous", choices=["FULL", "NORMAL"], default=None,
                    help="override the store's PRAGMA synchronous (default: the store's own, FULL)")
    a = ap.parse_args(argv)

    from sqlalchemy import event

    from lib import store
    from lib.sessions import store as ss

    eng = store.engine()
    if a.synchronous:
        event.listen(eng, "connect", lambda conn, _r: conn.execute(f"PRAGMA synchronous = {a.synchronous}"))
        eng.dispose()
    with eng.connect() as conn:
        sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[conn.exec_driver_sql("PRAGMA synchronous").scalar()]
    info = _session(n_inputs=max(10, a.votes // 6 + 2))  # 6 pairs per input: enough cells for every rater
    print(f"store: {eng.url} (SQLite, WAL, synchronous={sync}); one transaction per vote; "
          f"session of 4 candidates x {len(info.inputs)} inputs")

    base_w: list[float] = []
    base_r: list[float] = []
    _rater(info.id, "alone", a.votes, 0.0, 0, None, base_w, base_r)
    paced_w, paced_r, paced_wall = _scenario(info.id, "paced", a.raters, a.votes, a.think_ms / 1000)
    flat_w, flat_r, flat_wall = _scenario(info.id, "flat", a.raters, a.votes, 0.0)
    n, expected = len(ss.votes(info.id)), a.votes * (2 * a.raters + 1)

    print(f"paced: {a.raters} raters x {a.votes} votes, ~{a.think_ms:.0f} ms between votes: {len(paced_w)} votes in "
          f"{paced_wall:.1f} s ({len(paced_w) / paced_wall:.0f} votes/s)")
    print(f"flat out: {a.raters} raters x {a.votes} votes, no pause: {len(flat_w)} votes in {flat_wall:.1f} s "
          f"({len(flat_w) / flat_wall:.0f} votes/s)")
    print(f"stored {n} votes of {expected} cast")
    print(f"\n{'':44} {'p50':>8} {'p95':>8} {'max':>9}")
    _row(f"cast_vote, {a.raters} raters paced", paced_w)
    _row(f"cast_vote, {a.raters} raters flat out", flat_w)
    _row("cast_vote, one rater alone (baseline)", base_w)
    _row(f"next_pair, {a.raters} raters paced", paced_r)
    _row("next_pair, one rater alone", base_r)
    p95, flat95, base95 = _pct(paced_w, 0.95), _pct(flat_w, 0.95), _pct(base_w, 0.95)
    print(f"\nsummary: vote write p95 {p95:.1f} ms with {a.raters} concurrent raters voting about every "
          f"{a.think_ms / 1000:.1f} s ({p95 / base95:.1f}x one rater alone, {base95:.1f} ms); target <= "
          f"{TARGET_MS:.0f} ms: {'met' if p95 <= TARGET_MS else 'MISSED'}. Flat out (no pause): p95 {flat95:.1f} ms "
          f"({len(flat_w) / flat_wall:.0f} votes/s: each vote queues behind the other raters' votes, "
          f"{flat_wall / len(flat_w) * 1000:.1f} ms each in turn): "
          f"{'met' if flat95 <= TARGET_MS else 'missed'}." + ("" if n == expected else " VOTES LOST!"))
    store.dispose_all()
    shutil.rmtree(_TMP, ignore_errors=True)
    return 0 if n == expected else 1


if __name__ == "__main__":
    sys.exit(main())
