"""Batched runs (``TaskSpec.run_batch``): one pipeline call for a list of inputs gives, item by item, the
output and notices of ``TaskSpec.run`` on that item alone."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lib import tasks
from lib.runner import RunOptions, prepare
from lib.runner.cache import ModelCache
from lib.runner.inputs import validate

IMGS = [Image.fromarray((np.random.default_rng(i).random((40, 56, 3)) * 255).astype("uint8")) for i in range(3)]
LONG = "the cat sat on the mat " * 60  # longer than the tiny models' 128 tokens: a truncation notice

ITEMS = {
    "text-classification": [{"text": "i love this movie"}, {"text": LONG}, {"text": "this film is terrible"}],
    "token-classification": [{"text": "john works at google in london"}, {"text": LONG}, {"text": "paris"}],
    "fill-mask": [{"text": "the cat sat on the [MASK]"}, {"text": "[MASK] is the capital of france"},
                  {"text": "the [MASK] sat on the [MASK]"}],
    "zero-shot-classification": [{"text": "i love this movie", "labels": "film, sport"},
                                 {"text": "the dog runs in the park", "labels": "film, sport"},
                                 {"text": "paris is the capital", "labels": "travel"}],
    "feature-extraction": [{"text": "hello world"}, {"text": LONG}, {"text": "the weather is sunny"}],
    "image-classification": [{"image": img} for img in IMGS],
}
OPTS = RunOptions(max_new_tokens=4)


def test_every_batched_task_has_a_case():
    batched = {t for t, s in tasks.registry().items() if s.run_batch is not None}
    assert batched == set(ITEMS)


@pytest.fixture(scope="module")
def cache():
    return ModelCache(budget_bytes=2 * 1024**3)


def _close(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return abs(a - b) < 1e-4
    return a == b


@pytest.mark.parametrize("task", sorted(ITEMS))
def test_batch_equals_one_by_one(task, tiny_model, cache):
    import torch

    spec = tasks.get(task)
    prep = prepare(str(tiny_model(task)), task, OPTS, cache=cache)
    items = [validate(spec.input_kind, raw)[0] for raw in ITEMS[task]]
    with torch.inference_mode():
        batch = spec.run_batch(prep.loaded, items, task, OPTS)
        single = [spec.run(prep.loaded, it, task, OPTS) for it in items]
    assert len(batch) == len(items)
    for (out_b, notes_b), (out_s, notes_s) in zip(batch, single):
        assert _close(out_b, out_s), task
        assert notes_b == notes_s
    if task in ("text-classification", "token-classification", "feature-extraction"):
        assert any("tokens long" in n for n in batch[1][1]) and not batch[0][1]
