"""Defect 3 (issue 8): concurrent loads at different precisions must not corrupt each other or the cache.

Six sessions press Run at once through ``lib.jobs`` — a text classifier and an image classifier, each at
fp32 and bf16 (the same model at both precisions), plus a token classifier at bf16 and a fill-mask model
at fp32 — against an empty model cache, so that six loads start together. Every run succeeds, its
output equals the same run made alone, every cached model holds the precision it was asked for, and
solo runs afterwards still succeed (nothing broken stays cached, torch's default dtype is back to fp32).
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from lib.jobs import JobRunner
from lib.runner import RunOptions, run
from lib.runner.cache import ModelCache

IMG = Image.fromarray((np.random.default_rng(0).random((48, 64, 3)) * 255).astype("uint8"))

# (fixture kind / task, inputs, dtype)
SESSIONS = [
    ("text-classification", {"text": "i love this movie it is wonderful"}, "fp32"),
    ("image-classification", {"image": IMG}, "bf16"),
    ("text-classification", {"text": "i love this movie it is wonderful"}, "bf16"),
    ("image-classification", {"image": IMG}, "fp32"),
    ("token-classification", {"text": "john works at google in london"}, "bf16"),
    ("fill-mask", {"text": "the cat sat on the [MASK]"}, "fp32"),
]
ROUNDS = 3  # each round starts from an empty cache: 6 concurrent loads per round


def _opts(dtype: str) -> RunOptions:
    return RunOptions(device="cpu", dtype=dtype, batch_size=1)


def _same(a: dict, b: dict, dtype: str) -> None:
    """Outputs equal: labels exactly, scores within the precision's rounding."""
    assert set(a) == set(b)
    tol = 1e-5 if dtype == "fp32" else 2e-2
    for k in a:
        if k == "scores":
            assert a[k] == pytest.approx(b[k], abs=tol)
        elif k == "entities":
            assert [e.get("word") for e in a[k]] == [e.get("word") for e in b[k]]
        else:
            assert a[k] == b[k], k


def _param_dtypes(value) -> set[str]:
    target = value.pipe.model if value.pipe is not None else value.model
    return {str(p.dtype) for p in target.parameters()}


@pytest.fixture(scope="module")
def folders(tiny_model):
    return {task: str(tiny_model(task)) for task, _, _ in SESSIONS}


@pytest.fixture(scope="module")
def solo(folders):
    """Each session's output when it runs alone (one at a time, in its own cache)."""
    cache = ModelCache(budget_bytes=2 * 1024**3)
    return [run(folders[task], task, inputs, _opts(dtype), cache=cache).output for task, inputs, dtype in SESSIONS]


def _press_run_at_once(runner: JobRunner, folders: dict) -> list:
    barrier = threading.Barrier(len(SESSIONS))
    jobs: list = [None] * len(SESSIONS)

    def session(i: int) -> None:
        task, inputs, dtype = SESSIONS[i]
        barrier.wait()
        jobs[i] = runner.submit(folders[task], task, [inputs], _opts(dtype), record=False)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(len(SESSIONS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for job in jobs:
        assert job.wait(300), job
    return jobs


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_six_sessions_at_mixed_precisions_all_succeed(folders, solo, round_):
    import torch

    cache = ModelCache(budget_bytes=2 * 1024**3)
    runner = JobRunner(max_workers=len(SESSIONS), cache=cache)
    try:
        jobs = _press_run_at_once(runner, folders)
        failures = [(SESSIONS[i][0], SESSIONS[i][2], job.error(0)) for i, job in enumerate(jobs)
                    if not job.items[0].ok]
        assert not failures, failures
        for (_task, _, dtype), job, alone in zip(SESSIONS, jobs, solo):
            assert job.dtype == dtype
            _same(job.items[0].output, alone, dtype)
        # every cached model holds the precision it was asked for
        assert len(cache) == len(SESSIONS)
        keys = cache.keys()
        for key in keys:
            want = {"fp32": "torch.float32", "bf16": "torch.bfloat16"}[key[5]]
            assert _param_dtypes(cache.peek(key).value) == {want}, key
        assert torch.get_default_dtype() == torch.float32
        # later solo runs on the same cache still succeed and agree
        for (task, inputs, dtype), alone in zip(SESSIONS, solo):
            again = run(folders[task], task, inputs, _opts(dtype), cache=cache)
            assert again.cached
            _same(again.output, alone, dtype)
    finally:
        runner.shutdown()
