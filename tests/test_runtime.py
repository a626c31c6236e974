"""The runtime (torch, transformers, sentence-transformers) is imported once, under one lock.

Regression: a Run pressed while the page's background warm-up was importing transformers failed with
"module 'transformers' has no attribute 'pipeline'" — Python hands a thread the partially initialised module
when two threads import modules that import each other at once. Plain ``import`` in three threads reproduces
it here about one time in three (``AttributeError: module 'transformers' has no attribute 'AutoModel'``).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RACE = """
import json, threading
from lib import runtime
errors, barrier = [], threading.Barrier(5)

def run(fn):
    barrier.wait()
    try:
        fn()
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")

def st():
    runtime.sentence_transformers().SentenceTransformer

def pipe():
    runtime.pipelines().pipeline

def auto():
    runtime.torch().ones(1)
    runtime.transformers().AutoModel

def models():
    runtime.models().modeling_utils.PreTrainedModel

def mapping():
    from lib.tasks import archs
    archs._mapping("MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES")

threads = [threading.Thread(target=run, args=(f,)) for f in (st, pipe, auto, models, mapping)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps(errors))
"""


def test_concurrent_first_imports_of_the_runtime_all_get_complete_modules():
    for _ in range(2):  # fresh processes: the race is only there on a first import
        out = subprocess.run([sys.executable, "-c", RACE], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_runner_and_the_warm_up_import_the_runtime_only_through_lib_runtime():
    """Every first import of transformers / sentence-transformers in lib/ goes through lib.runtime."""
    offenders = []
    for path in (ROOT / "lib").rglob("*.py"):
        if path.name == "runtime.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.strip()
            if code.startswith(("import transformers", "import sentence_transformers")):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {code}")
    assert offenders == []
