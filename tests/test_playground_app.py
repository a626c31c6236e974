"""Playground under AppTest: every runnable task loads a tiny local model, runs and renders.

Each case opens ``pages/3_Playground.py`` deep-linked with ``?model=<tiny folder>&task=<tag>``, presses
Run once (the inputs start from the task's example) and checks the renderer's element: a vega chart
for scores / embeddings / similarity, pictures for boxes / masks / depth, an audio player for speech,
text for generation, highlighted spans for entities and answers.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import tasks as registry

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = "pages/3_Playground.py"
TASKS = sorted(t for t, s in registry.registry().items() if s.runnable)


def open_playground(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(params)
    at.switch_page(PAGE)
    return at.run()


def count(at: AppTest, kind: str) -> int:
    return len(at.get(kind))


def no_failure(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_every_runnable_task_runs_and_renders(task, tiny_model, monkeypatch, tmp_path):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))  # measured peaks go to a temp store
    folder = tiny_model(task)
    at = open_playground({"model": str(folder), "task": task})
    no_failure(at)
    assert at.selectbox(key="pg_task").value == task
    slider = [sl for sl in at.slider if sl.key == f"pg_{task}_max_new"]
    if slider:  # tiny models have 64 positions: keep generation short (and the test fast)
        slider[0].set_value(8)
    before = {k: count(at, k) for k in ("image", "audio", "vega_lite_chart", "text")}
    at.button(key="pg_run").click().run()
    no_failure(at)
    renderer = registry.get(task).renderer
    assert any(m.value == "#### Output" for m in at.markdown)
    assert [m.label for m in at.metric][-4:] == ["Latency", "Load", "Peak memory", "Estimate"]
    assert "Code that reproduces this run" in [e.label for e in at.expander]
    assert any(task in c.value or "pipeline" in c.value or "from_pretrained" in c.value for c in at.code)
    if renderer in ("scores", "embedding"):
        assert count(at, "vega_lite_chart") == before["vega_lite_chart"] + 1
    elif renderer == "similarity":
        assert count(at, "vega_lite_chart") == before["vega_lite_chart"] + 2  # bars + heatmap
    elif renderer in ("boxes", "masks"):
        assert count(at, "image") == before["image"] + 1
    elif renderer == "depth":
        assert count(at, "image") == before["image"] + 2  # input beside its depth map
    elif renderer == "audio":
        assert count(at, "audio") == before["audio"] + 1
    elif renderer == "text":
        assert count(at, "text") == before["text"] + 1 or any(
            "empty text" in c.value for c in at.caption)
    elif renderer == "entities":
        assert any("<mark" in m.value for m in at.markdown) or any("No entities" in i.value for i in at.info)
    elif renderer == "answer":
        assert any("**Answer:**" in m.value for m in at.markdown) or any("no answer" in i.value for i in at.info)
    else:  # pragma: no cover - a new renderer needs a case here
        pytest.fail(f"no check for renderer {renderer}")
    # a plain rerun keeps the output (it lives in session state)
    charts, imgs = count(at, "vega_lite_chart"), count(at, "image")
    at.run()
    assert count(at, "vega_lite_chart") == charts and count(at, "image") == imgs
    assert any(m.value == "#### Output" for m in at.markdown)


def test_task_defaults_to_the_folder_config_guess(tiny_model):
    at = open_playground({"model": str(tiny_model("token-classification"))})
    no_failure(at)
    assert at.selectbox(key="pg_task").value == "token-classification"
    assert any("guessed from config.json" in c.value for c in at.caption)
    assert at.query_params["task"] == ["token-classification"] or at.query_params["task"] == "token-classification"


def test_hub_model_defaults_to_its_pipeline_tag(hub_stub, tiny_model):
    folder = tiny_model("text-classification")
    hub_stub.add_repo("hubscout-test/tiny-sentiment", folder, info={"pipeline_tag": "text-classification"})
    at = open_playground({"model": "hubscout-test/tiny-sentiment"})
    no_failure(at)
    assert at.selectbox(key="pg_task").value == "text-classification"
    at.button(key="pg_run").click().run()
    no_failure(at)
    assert count(at, "vega_lite_chart") == 1
    assert any("hubscout-test/tiny-sentiment" in c.value for c in at.code)


def test_unknown_folder_and_bad_id_show_messages():
    at = open_playground({"model": "/no/such/folder"})
    assert not at.exception
    # the same words for any path that is not a model folder (issue 8, defect 12: no existence oracle)
    assert any("Not a model folder on this machine" in e.value for e in at.error)
    at = open_playground({"model": "not a valid id!!"})
    assert not at.exception
    assert at.error, "a malformed id must give a message"


def test_similarity_heatmap_labels_are_not_cut(monkeypatch):
    """Defect (seen in the screenshots): the heatmap's labels were cut to "0: That is a happy…" — rotated
    sentences under the columns and the default label width. Rows now carry the sentence (up to 60
    characters, room for them), columns its number."""
    import streamlit as st

    from lib.ui import outputs

    charts = []
    monkeypatch.setattr(st, "altair_chart", lambda chart, **kw: charts.append(chart))
    sentences = ["That is a very happy person", "That is a happy dog", "Today is a sunny day, " * 4]
    out = {"sentences": sentences[1:], "scores": [0.7, 0.2], "labels": sentences,
           "matrix": [[1.0, 0.7, 0.2], [0.7, 1.0, 0.1], [0.2, 0.1, 1.0]]}
    outputs.similarity(out, "sentence-similarity")
    heat = charts[-1].to_dict()
    enc = heat["encoding"]
    assert enc["x"]["field"] == "column" and enc["x"]["axis"]["labelAngle"] == 0
    assert enc["y"]["axis"]["labelLimit"] >= 300
    rows = sorted({r["a"] for r in next(iter(heat["datasets"].values()))})
    assert rows[0] == "0: That is a very happy person"  # whole, not cut at 18 characters
    assert rows[2].startswith("2: Today is a sunny day") and rows[2].endswith("…") and len(rows[2]) == 63
    assert outputs.heatmap_labels(["a", "a"]) == (["0: a", "1: a"], ["0", "1"])
    # the colour legend is no taller than the map (its lowest value was cut off below it)
    assert enc["color"]["legend"]["gradientLength"] <= heat["height"]


def test_the_playground_runs_a_tiny_model_in_spanish(tiny_model, monkeypatch, tmp_path):
    """Issue 13: the Playground in Spanish — labels, the example input in the UI's language, a run's output,
    figures and code view, with no English catalogue message left on the page."""
    from lib import i18n
    from tests.support.i18n import english_leaks

    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    task = "text-classification"
    at = open_playground({"model": str(tiny_model(task)), "task": task, "lang": "es"})
    no_failure(at)
    assert english_leaks(at) == []
    assert at.title[0].value == "Pruebas"
    assert at.selectbox(key="pg_task").label == "Tarea" and at.button(key="pg_run").label == "Ejecutar"
    assert at.radio(key="pg_backend").options == ["Esta máquina", "Remoto (proveedores o una URL)"]
    assert at.selectbox(key="pg_device").options[0] == "Auto (GPU si hay)"
    assert any("guessed" not in c.value and "deducida de config.json" in c.value for c in at.caption)
    assert at.text_area(key=f"pg_{task}_text").value == registry.example_inputs(task, "es")["text"]
    with i18n.scope("es"):  # AppTest reads the widgets' option labels in this thread: in the page's language
        at.button(key="pg_run").click().run()
    no_failure(at)
    assert any(m.value == "#### Salida" for m in at.markdown)
    assert [m.label for m in at.metric][-4:] == ["Latencia", "Carga", "Memoria pico", "Estimación"]
    assert "Código que reproduce esta ejecución" in [e.label for e in at.expander]
    assert any(m.value.startswith("Primera: **") for m in at.markdown)
    assert any(c.value.startswith("Se ejecutó en **") for c in at.caption)
    assert english_leaks(at) == []
    at.query_params["lang"] = "en"  # the same session back in English: nothing Spanish was kept
    with i18n.scope("es"):  # (the widgets on the page are still the Spanish ones)
        at.run()
    no_failure(at)
    assert any(m.value == "#### Output" for m in at.markdown) and at.button(key="pg_run").label == "Run"


def test_the_playground_messages_in_spanish():
    at = open_playground({"model": "/no/such/folder", "lang": "es"})
    assert not at.exception
    from lib import i18n, local_models

    with i18n.scope("es"):
        assert [e.value for e in at.error] == [i18n._(local_models.NOT_A_MODEL_FOLDER)]
    at = open_playground({"lang": "es"})
    assert not at.exception
    assert any(i.value.startswith("Escribe un id de modelo del Hub") for i in at.info)
