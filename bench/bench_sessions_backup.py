"""Backing up a 500-input session to a Hub dataset repo, and restoring it (lib.sessions.backup).

A session of 4 candidates x 500 inputs, an output in every cell (2,000) and 1,000 votes, in a SQLite
store. Timed, median of ``--repeat`` runs: *write* (``write_session``: the export, its JSON and the atomic
file write the writer thread does after a burst of changes), *push* (huggingface_hub's ``CommitScheduler``
push of that file: preupload + commit, to the Hub stand-in on 127.0.0.1 — no network latency, so this is
the client's own cost), and *restore* (download + the validated import keeping the id, into an empty
store). Baseline in the same run: ``store.export_session`` alone (reading the session). No target was
set; the figure says whether a push after each burst of votes is cheap enough.

    .venv/bin/python bench/bench_sessions_backup.py [--inputs 500] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_TMP = Path(tempfile.mkdtemp(prefix="bench_sessions_backup_"))

from tests.support.hub_stub import HubStub  # noqa: E402

STUB = HubStub(models=[]).start()
os.environ.update(HF_ENDPOINT=STUB.url, HF_HOME=str(_TMP / "hf"), HF_HUB_DISABLE_XET="1",
                  HF_HUB_DISABLE_PROGRESS_BARS="1", HF_TOKEN="hf_benchBackupToken0123456789",
                  HUBSCOUT_DATA_DIR=str(_TMP / "data"))
os.environ.pop("HUBSCOUT_DATABASE_URL", None)
REPO = "bench/sessions"


def _session(n_inputs: int):
    from lib.sessions import store as ss

    rng = random.Random(0)
    info = ss.create_session("bench backup", "text-classification", ["m/a", "m/b", "m/c", "m/d"],
                             [{"text": f"input number {n}: " + "some words " * 8, "reference": "POSITIVE"}
                              for n in range(n_inputs)], {"dtype": "float32"})
    rows = [{"candidate": c.id, "input": i.id, "latency_s": 0.01,
             "output": [{"label": "POSITIVE", "score": rng.random()}, {"label": "NEGATIVE", "score": rng.random()}]}
            for c in info.candidates for i in info.inputs]
    ss.record_outputs(info.id, rows)
    pairs = [("c1", "c2"), ("c1", "c3"), ("c2", "c4"), ("c3", "c4")]
    for n in range(1000):
        a, b = pairs[n % 4]
        ss.cast_vote(info.id, f"rater{n % 5}", info.inputs[n // 4 % n_inputs].id, a, b,
                     rng.choice(("left", "right", "tie", "both_bad")))
    return info


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from lib import store as db
    from lib.hub import backup as hub_backup
    from lib.sessions import backup
    from lib.sessions import store as ss

    info = _session(args.inputs)
    root = backup.folder()
    export_ms, write_ms, push_ms, restore_ms = [], [], [], []
    pushed = threading.Event()
    results = []

    def on_push(r):
        results.append(r)
        pushed.set()

    hub = hub_backup.start(REPO, root, every=60, on_push=on_push)
    pushed.wait(30)
    for n in range(args.repeat):
        t = time.perf_counter()
        ss.export_session(info.id)
        export_ms.append((time.perf_counter() - t) * 1000)
        ss.cast_vote(info.id, f"extra{n}", "i1", "c1", "c2", "left")  # a change, so that the file differs
        t = time.perf_counter()
        assert backup.write_session(info.id, root)
        write_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        hub.push_now(60)
        push_ms.append((time.perf_counter() - t) * 1000)
        assert results[-1].ok and results[-1].commit, results[-1]
    hub.stop()
    size = (root / "sessions" / f"{info.id}.json").stat().st_size
    for n in range(args.repeat):
        data = _TMP / f"empty{n}"
        os.environ["HUBSCOUT_DATA_DIR"] = str(data)
        db.dispose_all()
        t = time.perf_counter()
        restored, skipped = backup.restore(REPO, data)
        restore_ms.append((time.perf_counter() - t) * 1000)
        assert restored == 1 and not skipped and len(ss.votes(info.id)) == 1000 + args.repeat
    med = statistics.median
    print(f"session: 4 candidates x {args.inputs} inputs, {4 * args.inputs} outputs, {1000 + args.repeat} votes; "
          f"export file {size / 1e6:.2f} MB")
    print(f"write (export + JSON + atomic write): {med(write_ms):.0f} ms median "
          f"({min(write_ms):.0f}-{max(write_ms):.0f})")
    print(f"push (CommitScheduler preupload + commit, local stand-in): {med(push_ms):.0f} ms median "
          f"({min(push_ms):.0f}-{max(push_ms):.0f})")
    print(f"backup total (write + push): {med(write_ms) + med(push_ms):.0f} ms")
    print(f"restore (download + validated import, id kept): {med(restore_ms):.0f} ms median "
          f"({min(restore_ms):.0f}-{max(restore_ms):.0f})")
    print(f"baseline, same run: export_session alone {med(export_ms):.0f} ms median "
          f"(backup total = {(med(write_ms) + med(push_ms)) / med(export_ms):.1f}x)")
    STUB.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
