"""Run every benchmark in turn (`make bench`); each prints its figure beside its own baseline.

Usage: .venv/bin/python bench/run_all.py [name ...]   (names: query rerun cold_start memory runner first_run card
       sessions_leaderboard sessions_votes sessions_run sessions_backup remote speed)
Run on a quiet machine: these are ratios measured in the same run, but 2 shared cores are noisy.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["query", "rerun", "cold_start", "memory", "runner", "first_run", "card", "sessions_leaderboard",
           "sessions_votes", "sessions_run", "sessions_backup", "remote", "speed"]
# Discover over a dump the size of the whole Hub; the speed bench on one torch thread (as calibrated)
EXTRA_ARGS = {"rerun": ["--dump-rows", "2000000"], "speed": ["--threads", "1"]}


def main(argv: list[str]) -> int:
    names = argv or BENCHES
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
        return 2
    failed = []
    for name in names:
        script = HERE / f"bench_{name}.py"
        print(f"\n=== bench/{script.name} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *EXTRA_ARGS.get(name, [])], cwd=HERE.parent)
        print(f"--- bench/{script.name}: exit {rc} in {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print(f"\nbenchmarks that failed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
