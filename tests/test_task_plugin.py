"""A task defined and registered from this test module alone runs end to end in the Playground.

Hub Scout has no runner for the Hub's ``text-ranking`` tag. This module gives it one — a
"relevance verdict" over a sentence-classification model: its input kind, example, model classes,
run function, batched run, under-the-hood view, renderer name and code lines — registers it with
``lib.tasks.register`` and drives ``pages/3_Playground.py`` under AppTest: the task is offered, its
example is filled in, Run shows the verdict, the step-by-step view and the code. No other file knows
about it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import tasks
from lib.tasks import hood as H
from lib.tasks.core import CodeParts, TaskSpec

ROOT = Path(__file__).resolve().parents[1]
TAG = "text-ranking"


def run_verdict(loaded, inputs: dict, task: str, opts):
    rows = loaded.pipe(inputs["text"], top_k=None)
    best = max(rows, key=lambda r: r["score"])
    return {"text": f"Verdict: {best['label']} ({best['score']:.2f})"}, ["Decided by the plugin task."]


def run_verdict_batch(loaded, items: list[dict], task: str, opts):
    return [run_verdict(loaded, it, task, opts) for it in items]


def hood_verdict(loaded, model_id: str, task: str, inputs: dict):
    e = H.encode(loaded, inputs["text"])
    logits = e.net(**e.feed).logits.float().cpu()[0]
    rows = [{"id": i, "label": e.id2label.get(i, str(i)), "logit": float(v)} for i, v in enumerate(logits.tolist())]
    return e.view("plugin verdict head", logits.shape, rows, "One logit per verdict.",
                  H.code(model_id, "AutoModelForSequenceClassification", e.text_expr, "print(out.logits)\n"))


def verdict_call(inp: dict, opts) -> str:
    return f"result = max(pipe({inp['text']!r}, top_k=None), key=lambda r: r['score'])\n"


SPEC = TaskSpec(
    tag=TAG, input_kind="text", run=run_verdict, run_batch=run_verdict_batch, renderer="text",
    pipeline_task="text-classification",
    example=lambda language, mask_token=None: {"text": "i love this movie"},
    model_classes=("MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",), head="a sequence-classification head",
    hood=hood_verdict, code=CodeParts("AutoModelForSequenceClassification", verdict_call, processor="tokenizer"),
)


@pytest.fixture
def plugin_task():
    assert not tasks.get(TAG).runnable  # the Hub's tag, without a runner until registered
    spec = tasks.register(SPEC)
    yield spec
    tasks.unregister(TAG)
    assert not tasks.get(TAG).runnable


def test_registered_task_takes_the_hubs_facts(plugin_task):
    assert plugin_task.runnable and plugin_task.runner == "run_verdict"
    assert plugin_task.name == "Text Ranking" and plugin_task.modality == "nlp"
    assert tasks.run_functions()["run_verdict"] is run_verdict
    assert any(s.tag == TAG for _, specs in tasks.grouped_by_modality() for s in specs)


def test_registered_task_runs_in_the_playground(plugin_task, tiny_model, monkeypatch, tmp_path):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    folder = tiny_model("text-classification")
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
    at.query_params.update({"model": str(folder), "task": TAG})
    at.switch_page("pages/3_Playground.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="pg_task").value == TAG
    assert at.text_area[0].value == "i love this movie"  # the task's own example
    at.button(key="pg_run").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert any(t.value.startswith("Verdict: ") for t in at.text)
    assert any("Decided by the plugin task." in i.value for i in at.info)
    labels = [e.label for e in at.expander]
    assert "Under the hood: tokenizer, logits, softmax, labels" in labels
    assert any("plugin verdict head" in m.value for m in at.markdown)
    assert any("result = max(pipe('i love this movie'" in c.value and 'pipeline("text-classification"' in c.value
               for c in at.code)


def test_registered_task_refuses_a_model_without_its_head(plugin_task, tiny_model):
    from lib.runner import TaskMismatch, run
    from lib.runner.cache import ModelCache

    with pytest.raises(TaskMismatch, match="sequence-classification head"):
        run(str(tiny_model("gpt2")), TAG, {"text": "hello"}, cache=ModelCache(budget_bytes=10**9))
