"""Runner overhead vs calling transformers.pipeline directly, and a warm second load.

Same model (a tiny local BERT classifier and the real all-MiniLM-L6-v2 via sentence-transformers
is not comparable to a pipeline, so the tiny BERT and a tiny GPT-2 are used), same inputs, same run.
Targets: overhead <= 5 % or <= 2 ms per call; warm load of a cached model: no reload (~0 s).

    .venv/bin/python bench/bench_runner.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")


def _time(fn, n: int) -> float:
    fn()  # warm
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main(n: int = 60) -> None:
    import torch
    from transformers import pipeline

    from lib.runner import RunOptions, run
    from lib.runner.cache import ModelCache
    from tests.support.tiny_models import build

    torch.set_num_threads(1)
    root = Path(tempfile.mkdtemp(prefix="bench_runner_"))
    cases = [("text-classification", build("bert-sequence", root), {"text": "i love this movie"}, {"top_k": None}),
             ("text-generation", build("gpt2-plain", root), {"text": "hello world"},
              {"max_new_tokens": 8, "do_sample": False, "return_full_text": False})]
    opts = RunOptions(max_new_tokens=8)
    print(f"{'task':<22}{'pipeline ms':>12}{'runner ms':>12}{'overhead ms':>13}{'overhead %':>12}  target")
    for task, folder, inputs, kw in cases:
        pipe = pipeline(task, model=str(folder), device="cpu", dtype=torch.float32)
        direct = _time(lambda: pipe(inputs["text"], **kw), n)
        cache = ModelCache(budget_bytes=10**9)
        via = _time(lambda: run(str(folder), task, inputs, opts, cache=cache), n)
        over = via - direct
        ok = over <= 0.002 or over / direct <= 0.05
        print(f"{task:<22}{direct * 1e3:>12.2f}{via * 1e3:>12.2f}{over * 1e3:>13.2f}{over / direct * 100:>11.1f}%"
              f"  {'OK' if ok else 'MISSED'} (<=5% or <=2 ms)")

    folder = build("bert-sequence", root)
    cache = ModelCache(budget_bytes=10**9)
    t = time.perf_counter()
    first = run(str(folder), "text-classification", {"text": "hi"}, opts, cache=cache)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    second = run(str(folder), "text-classification", {"text": "hi"}, opts, cache=cache)
    warm = time.perf_counter() - t
    print(f"cold first run (load + run): {cold * 1e3:.1f} ms, load {first.load_s * 1e3:.1f} ms")
    print(f"warm second run: {warm * 1e3:.1f} ms, load {second.load_s * 1e3:.1f} ms, cached={second.cached}, "
          f"loader calls={cache.loads}  target: no reload -> {'OK' if second.cached and cache.loads == 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
