"""A session run (lib.sessions.run.start_run) vs one call per cell.

4 candidates × 200 inputs (text classification, 6-40 words each), every cell written into the session
store in both cases, the models already in the runner's cache for both (the run is measured, not the
load): (a) a loop of ``lib.runner.run`` over every (candidate, input), each output recorded with
``store.record_output``; (b) ``start_run`` on a fresh session of the same candidates and inputs (one job
per candidate through the job runner, batches of ``batch_size``, each batch written as it finishes), with
the process-wide runner's defaults (8 workers) and with a single worker (batching alone, one job at a
time). Target: (b) >= 2x faster than (a). Wall clock and process CPU time, best of ``--repeats``
interleaved (2 shared cores are noisy). The cost of the store writes alone is printed beside them.

Candidates: copies of a MiniLM-size classifier (the real all-MiniLM-L6-v2 body, a fresh 2-label head;
22.7 M parameters) by default, or the tiny random BERT (``--tiny``: the runner's own overhead dominates).

    .venv/bin/python bench/bench_sessions_run.py [--tiny] [--inputs 200] [--candidates 4] [--repeats 3]
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
warnings.filterwarnings("ignore")
os.environ.setdefault("HUBSCOUT_DATA_DIR", tempfile.mkdtemp(prefix="bench_sessions_run_"))

TASK = "text-classification"
BATCH = 16


def candidates(root: Path, n: int, tiny: bool) -> list[str]:
    """``n`` model folders with the same weights under different names (distinct candidates)."""
    if tiny:
        from tests.support.tiny_models import build

        first = build("bert-sequence", root)
    else:
        from bench_runner import minilm_classifier

        first = minilm_classifier(root)
    out = [str(first)]
    for k in range(1, n):
        copy = root / f"candidate-{k + 1}"
        if not copy.exists():
            shutil.copytree(first, copy)
        out.append(str(copy))
    return out


def main(n_inputs: int, n_candidates: int, repeats: int, tiny: bool) -> bool:
    import torch
    from bench_runner import sentences

    from lib.jobs import JobRunner
    from lib.runner import RunOptions, run
    from lib.runner.cache import ModelCache
    from lib.sessions import store
    from lib.sessions.run import start_run

    torch.set_num_threads(1)
    models = candidates(Path(tempfile.mkdtemp(prefix="bench_sessions_models_")), n_candidates, tiny)
    texts = sentences(n_inputs)
    settings = {"dtype": "fp32", "device": "cpu", "generation": {}, "batch_size": BATCH}
    opts = RunOptions(device="cpu", dtype="fp32", batch_size=BATCH)
    cache = ModelCache(budget_bytes=8 * 10**9)
    runners = {"session": JobRunner(max_workers=8, cache=cache), "session_1": JobRunner(max_workers=1, cache=cache)}
    cells = n_inputs * n_candidates

    def new_session() -> str:
        return store.create_session("bench", TASK, models, [{"text": t} for t in texts], settings).id

    def per_cell(sid: str) -> None:
        for n, c in enumerate(models, 1):
            for k, text in enumerate(texts, 1):
                res = run(c, TASK, {"text": text}, opts, cache=cache)
                store.record_output(sid, f"c{n}", f"i{k}", output=res.output, latency_s=res.latency_s)

    def session(sid: str, runner: JobRunner) -> None:
        r = start_run(sid, runner=runner)
        assert r.wait(600)
        assert all(p.state == "done" and p.errors == 0 for p in r.progress().values()), r.summary()

    def writes_only(sid: str) -> None:
        output = {"labels": ["POSITIVE", "NEGATIVE"], "scores": [0.51, 0.49]}
        for n in range(1, n_candidates + 1):
            for k in range(1, n_inputs + 1):
                store.record_output(sid, f"c{n}", f"i{k}", output=output, latency_s=0.001)

    fns = {"per_cell": per_cell, "session": lambda sid: session(sid, runners["session"]),
           "session_1": lambda sid: session(sid, runners["session_1"]), "writes": writes_only}
    # warm: every model in the cache, first kernels, the store migrated
    session(new_session(), runners["session"])
    for c in models:
        run(c, TASK, {"text": texts[0]}, opts, cache=cache)
    assert len(cache) == n_candidates and cache.loads == n_candidates

    wall = dict.fromkeys(fns, float("inf"))
    cpu = dict(wall)
    for _ in range(repeats):  # interleaved, best of: the machine is shared
        for name, fn in fns.items():
            sid = new_session()
            w, c = time.perf_counter(), time.process_time()
            fn(sid)
            w, c = time.perf_counter() - w, time.process_time() - c
            wall[name], cpu[name] = min(wall[name], w), min(cpu[name], c)
            assert sum(len(v) for v in store.missing_cells(sid).values()) == 0
    assert cache.loads == n_candidates, "a model was loaded again: the figures would include a load"
    for r in runners.values():
        r.shutdown()

    size = "tiny random BERT" if tiny else "MiniLM-size classifier (22.7 M parameters)"
    print(f"\nsession run, {n_candidates} candidates × {n_inputs} inputs = {cells} cells, {size}, batch_size {BATCH}, "
          f"1 torch thread, models cached, every cell written to the store (SQLite), best of {repeats} interleaved "
          "(seconds by wall clock | by CPU time):")
    labels = {"per_cell": "one lib.runner.run per cell + record_output",
              "session": "start_run (runner with 8 workers)", "session_1": "start_run (runner with 1 worker)",
              "writes": "  of which store writes alone"}
    for k, label in labels.items():
        print(f"  {label:<46}{wall[k]:8.2f} | {cpu[k]:8.2f}   ({cells / wall[k]:7.1f} cells/s)")
    ok = True
    for what, t in (("wall", wall), ("cpu", cpu)):
        ratio, ratio_1 = t["per_cell"] / t["session"], t["per_cell"] / t["session_1"]
        good = ratio >= 2.0
        print(f"  [{what}] start_run / one call per cell: {ratio:.2f}x  target >= 2x -> {'OK' if good else 'MISSED'}"
              f"  (1 worker: {ratio_1:.2f}x)")
        ok = ok and good
    return ok


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true", help="the tiny random BERT instead of the MiniLM-size classifier")
    ap.add_argument("--inputs", type=int, default=200)
    ap.add_argument("--candidates", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    main(args.inputs, args.candidates, args.repeats, args.tiny)
