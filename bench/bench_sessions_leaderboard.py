"""Session leaderboard: Bradley–Terry with 1,000 bootstrap resamples for 8 candidates × 2,000 votes.

Prints the time of ``lib.sessions.stats.leaderboard`` on the export dict (votes counted, point fit, 1,000
input resamples fitted together by one L-BFGS-B run) beside a baseline measured in the same run: the same
resampled win matrices fitted one by one with a plain library call per resample (``choix.ilsr_pairwise_dense``),
and the largest difference between the two fits. Target: <= 1 s.

    .venv/bin/python bench/bench_sessions_leaderboard.py [--rounds 5] [--inputs 200]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from lib.sessions import stats  # noqa: E402
from tests.support.sessions_export import random_tournament  # noqa: E402

TARGET_S = 1.0
CANDIDATES, VOTES, RESAMPLES = 8, 2000, 1000


def baseline(t: stats.Tally, seed: int) -> tuple[float, np.ndarray]:
    import choix

    k, n = len(t.inputs), len(t.candidates)
    t0 = time.perf_counter()
    counts = stats.resample_counts(k, RESAMPLES, seed).astype(float)
    mats = (counts @ t.per_input.reshape(k, n * n)).reshape(RESAMPLES, n, n)
    fits = np.array([choix.ilsr_pairwise_dense(m, alpha=0.0) for m in mats])
    return time.perf_counter() - t0, fits


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--inputs", type=int, default=200)
    args = ap.parse_args()
    ex, _ = random_tournament(CANDIDATES, VOTES, args.inputs, seed=0)
    stats.leaderboard(ex, resamples=10)  # imports, first-call costs
    times = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        stats.leaderboard(ex, seed=0, resamples=RESAMPLES)
        times.append(time.perf_counter() - t0)
    t = stats.tally(ex)
    base_s, base_fits = baseline(t, seed=0)
    ours = stats.bootstrap(t, seed=0, resamples=RESAMPLES, alpha=0.0)
    diff = float(np.abs(ours - base_fits).max())
    took = statistics.median(times)
    print(f"{CANDIDATES} candidates x {VOTES:,} votes on {args.inputs} inputs, {RESAMPLES:,} bootstrap resamples")
    print(f"baseline, choix.ilsr_pairwise_dense per resample: {base_s:.3f} s (fits only)")
    print(f"leaderboard (tally + fit + batched bootstrap): median {took:.3f} s, max {max(times):.3f} s "
          f"over {args.rounds} rounds  ({base_s / took:.1f}x faster than the baseline)")
    print(f"largest strength difference between the two fits (alpha 0): {diff:.2e}")
    ok = took <= TARGET_S
    print(f"target: <= {TARGET_S} s: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
