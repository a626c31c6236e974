"""The Sessions page under AppTest: the shortlist from the Playground, then the whole journey —
create → run → look → blind vote (no model name before the vote) → scores → leaderboard → exports —
and the clear messages for bad inputs (nothing created, nothing lost)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = "pages/4_Sessions.py"


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HUBSCOUT_DATABASE_URL", raising=False)
    from lib import store

    store.dispose_all()
    yield tmp_path
    store.dispose_all()


@pytest.fixture
def two_models(tiny_model, tmp_path):
    """Two different folders holding tiny text classifiers (the second a copy: a different candidate)."""
    a = tiny_model("text-classification")
    b = tmp_path / "copy-of-classifier"
    shutil.copytree(a, b)
    return str(a), str(b)


def open_page(params: dict[str, str] | None = None, page: str = PAGE) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(params or {})
    at.switch_page(page)
    return at.run()


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def everything(at: AppTest) -> str:
    """Every text the page shows (to check what a rater can see)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.text]
    parts += [a.value for a in (*at.error, *at.warning, *at.info, *at.success)]
    parts += [b.label for b in at.button] + [str(getattr(d, "value", "")) for d in at.dataframe]
    return "\n".join(parts).replace("\\", "")


def test_add_to_session_from_the_playground_fills_the_shortlist(two_models, store_dir):
    a, _ = two_models
    at = open_page({"model": a, "task": "text-classification"}, "pages/3_Playground.py")
    ok(at)
    at.button(key="pg_shortlist_add").click().run()
    ok(at)
    assert at.query_params["shortlist"] == a
    assert any("In the session shortlist (1)" in b.label for b in at.button)
    at.switch_page(PAGE).run()
    ok(at)
    assert at.multiselect(key="sess_new_models").value == [a]


def test_add_to_session_from_discover_and_the_model_page_keeps_one_shortlist(store_dir, monkeypatch):
    """Discover's selected row and the Model page add to the same shortlist; it survives the filters
    rewriting the URL and a page switch, and arrives in the Sessions form."""
    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    first = "Qwen/Qwen2.5-0.5B-Instruct"
    at = open_page({"task": "text-generation", "model": first}, "pages/1_Discover.py")
    ok(at)
    at.button(key="d_selected_shortlist_add").click().run()
    ok(at)
    assert at.query_params["shortlist"] == first and at.query_params["model"] == first
    at.switch_page("pages/2_Model.py").run()
    ok(at)
    at.text_input(key=[t.key for t in at.text_input if t.key and "id" in t.key][0]).input(
        "sentence-transformers/all-MiniLM-L6-v2").run()
    ok(at)
    at.button(key="model_shortlist_add").click().run()
    ok(at)
    assert at.query_params["shortlist"] == f"{first},sentence-transformers/all-MiniLM-L6-v2"
    at.button(key="model_shortlist_remove").click().run()
    assert at.query_params["shortlist"] == first
    at.switch_page(PAGE).run()
    ok(at)
    assert at.multiselect(key="sess_new_models").value == [first]


def create(at: AppTest, name: str, lines: str) -> AppTest:
    at.text_input(key="sess_new_name").input(name)
    at.text_area(key="sess_new_lines").input(lines)
    return at.button(key="sess_new_create").click().run()


def test_journey_create_run_vote_leaderboard(two_models, store_dir):
    from lib.sessions import run as session_run
    from lib.sessions import store

    a, b = two_models
    at = open_page({"shortlist": f"{a},{b}"})
    ok(at)
    assert at.multiselect(key="sess_new_models").value == [a, b]
    assert at.selectbox(key="sess_new_task").value == "text-classification"
    at = create(at, "Sentiment", "I love it\nAwful service\nIt was fine")
    ok(at)
    sid = at.query_params["session"]
    assert "shortlist" not in at.query_params  # the shortlist became the session
    info = store.get_session(sid)
    assert [c.model for c in info.candidates] == [a, b] and len(info.inputs) == 3

    at.button(key="sess_run").click().run()
    ok(at)
    active = session_run.active(sid)
    assert active is not None and active.wait(120)
    assert store.missing_cells(sid) == {} or all(not v for v in store.missing_cells(sid).values())
    at.run()
    ok(at)
    shown = everything(at)
    assert "6 of 6 cells have an output" in shown.replace("*", ""), shown

    at.query_params["view"] = "Look"
    at.run()
    ok(at)
    grid = at.dataframe[-1].value
    assert list(grid["input"]) == ["I love it", "Awful service", "It was fine"], everything(at)
    assert set(grid.columns) >= {Path(a).name, Path(b).name}

    at.query_params["view"] = "Rate"
    at.run()
    ok(at)
    at.text_input(key="sess_rate_name").input("ana").run()
    ok(at)
    shown = everything(at)
    assert "Left" in shown and "Right" in shown
    for model in (a, b, Path(a).name, Path(b).name):
        assert model not in shown, f"{model} visible before the vote"
    at.button(key="sess_rate_vote_left").click().run()
    ok(at)
    revealed = everything(at)
    assert a.replace("\\", "") in revealed and b.replace("\\", "") in revealed
    assert len(store.votes(sid)) == 1

    at.session_state["sess_rate_mode"] = "Scores 1–5"
    at.run()
    ok(at)
    shown = everything(at)
    assert "Output A" in shown and "Output B" in shown
    assert not any(m in shown for m in (a, b, Path(a).name, Path(b).name)), "a model name shown before scoring"
    at.session_state["sess_rate_stars_i1_A"] = 3  # the fourth star
    at.text_input(key="sess_rate_comment_i1_A").input("clear and right")
    at.button(key="sess_rate_save").click().run()
    ok(at)
    saved = store.scores(sid)
    assert [(s["input"], s["score"], s["comment"]) for s in saved] == [("i1", 4, "clear and right")]
    assert "Scores saved" in everything(at)

    at.query_params["view"] = "Results"
    at.run()
    ok(at)
    board = at.dataframe[0].value
    assert set(board["model"]) == {Path(a).name, Path(b).name}
    assert "provisional" in set(board["status"])

    at.query_params["view"] = "Share"
    at.run()
    ok(at)
    assert any(f"?session={sid}" in c.value for c in at.code)
    labels = [d.label for d in at.get("download_button")]
    assert labels == ["Export JSON", "Export CSV", "Markdown report"], labels


def test_bad_inputs_get_clear_messages_and_create_nothing(two_models, store_dir):
    from lib.sessions import store

    a, b = two_models
    at = open_page({"shortlist": f"{a},{b}"})
    at = create(at, "", "")
    ok(at)
    errors = " ".join(e.value for e in at.error)
    assert "Give the session a name" in errors and "at least one input" in errors
    at.multiselect(key="sess_new_models").set_value([a]).run()
    at = create(at, "Only one", "hello")
    ok(at)
    assert any("at least 2" in e.value for e in at.error)
    assert store.list_sessions() == []
    assert at.text_area(key="sess_new_lines").value == "hello"  # nothing typed is lost


def test_unknown_session_link_says_so(store_dir):
    at = open_page({"session": "nope123"})
    ok(at)
    assert at.error and "nope123" in at.error[0].value


def test_corrupt_import_is_refused_with_a_message(store_dir, tmp_path):
    from lib.sessions import store
    from lib.sessions.errors import SessionFormatError

    with pytest.raises(SessionFormatError):
        store.import_session(b"{not json")
    with pytest.raises(SessionFormatError):
        store.import_session(json.dumps({"format": "something-else"}).encode())
    assert store.list_sessions() == []


def test_a_signed_in_user_rates_under_their_hub_name(store_dir):
    from lib.sessions import store

    info = store.create_session("Signed", "text-classification", ["org/a", "org/b"], [{"text": "hi"}],
                                {"dtype": "auto", "device": "cpu"})
    for cand in info.candidates:
        store.record_output(info.id, cand.id, "i1", output={"labels": ["POSITIVE"], "scores": [0.9]})
    at = AppTest.from_file(APP, default_timeout=120)
    at.user = {"is_logged_in": True, "preferred_username": "alice", "name": "Someone Else"}
    at.query_params.update({"session": info.id, "view": "Rate"})
    at.switch_page(PAGE).run()
    ok(at)
    assert not [t for t in at.text_input if t.key == "sess_rate_name"]  # no name to type
    assert any("Rating as **alice**" in c.value for c in at.caption)
    at.button(key="sess_rate_vote_tie").click().run()
    ok(at)
    assert [v["rater"] for v in store.votes(info.id)] == ["alice"]


# ---- in Spanish ----------------------------------------------------------------------------------------------
def _spanish_session():
    """A session with an output in every cell (two candidates that disagree on one input, one reference)."""
    from lib.sessions import store

    info = store.create_session("Sentimiento", "text-classification", ["org/alpha", "org/beta"],
                                [{"text": "Me encanta", "reference": "POSITIVE"}, {"text": "Horrible"}],
                                {"dtype": "auto", "device": "cpu"})
    labels = {("i1", "c1"): "POSITIVE", ("i1", "c2"): "POSITIVE", ("i2", "c1"): "NEGATIVE", ("i2", "c2"): "POSITIVE"}
    for (inp, cand), label in labels.items():
        store.record_output(info.id, cand, inp, output={"labels": [label], "scores": [0.9]}, latency_s=0.01)
    return info


def test_the_sessions_page_in_spanish_create_view_rate_blind_and_results(store_dir):
    """Every section of the Sessions page in Spanish: the form's labels and messages, the Run and Look sections,
    the blind vote (still no model name before the vote), the scores, the leaderboard and the Share section —
    without an English message of the catalogue."""
    from lib import i18n
    from lib.sessions import store
    from tests.support.i18n import english_leaks

    # AppTest calls a widget's format_func outside the script run, in the test's thread: the test reads
    # the widgets in the page's language (the script itself runs on its own thread, from ?lang=es)
    with i18n.scope("es"):
        at = open_page({"lang": "es"})
        ok(at)
        assert at.text_input(key="sess_new_name").label == "Nombre de la sesión"
        assert at.button(key="sess_new_create").label == "Crear sesión"
        assert "Nueva sesión" in [s.value for s in at.subheader] and "Sesiones de evaluación" in at.title[0].value
        assert at.selectbox(key="sess_new_device").label == "Dispositivo"
        assert english_leaks(at) == []
        at.multiselect(key="sess_new_models").set_value(["org/only-one"]).run()
        at = create(at, "", "")
        ok(at)
        errors = " ".join(e.value for e in at.error)
        assert "Ponle un nombre a la sesión." in errors and "Añade al menos una entrada" in errors, errors
        assert "Una sesión compara al menos 2 modelos" in errors, errors
        assert english_leaks(at) == [] and store.list_sessions() == []

        info = _spanish_session()
        at = open_page({"lang": "es", "session": info.id})  # the Run section opens first
        ok(at)
        shown = everything(at)
        assert "**4** de 4 celdas tienen salida".replace("*", "") in shown.replace("*", ""), shown
        assert "Todas las celdas se han ejecutado" in shown and "2 candidatos" in shown and "2 entradas" in shown
        assert english_leaks(at) == []

        at.query_params["view"] = "Look"  # a link made in English opens the same section in Spanish
        at.run()
        ok(at)
        grid = at.dataframe[-1].value
        assert list(grid["entrada"]) == ["Me encanta", "Horrible"] and "referencia" in grid.columns
        assert any("discrepan (1 de 2)" in t.label for t in at.toggle)
        assert english_leaks(at) == []

        at.query_params["view"] = "Valorar"
        at.run()
        ok(at)
        assert at.text_input(key="sess_rate_name").label == "Tu nombre (como evaluador)"
        at.text_input(key="sess_rate_name").input("ana").run()
        ok(at)
        shown = everything(at)
        assert "Izquierda" in shown and "Derecha" in shown and "La izquierda es mejor" in shown
        assert "org/alpha" not in shown and "org/beta" not in shown, "a model name shown before the vote"
        assert english_leaks(at) == []
        at.button(key="sess_rate_vote_both_bad").click().run()
        ok(at)
        revealed = everything(at)
        assert "Voto guardado: **Ambas malas**." in revealed and "org/alpha" in revealed and "org/beta" in revealed
        assert english_leaks(at) == []

        at.session_state["sess_rate_mode"] = "Scores 1–5"  # the value stays English; its label is Spanish
        at.run()
        ok(at)
        shown = everything(at)
        assert "Salida A" in shown and "Salida B" in shown and "Quedan 2 entradas por puntuar" in shown
        assert "org/alpha" not in shown and "org/beta" not in shown, "a model name shown before scoring"
        assert english_leaks(at) == []

        at.query_params["view"] = "Resultados"
        at.run()
        ok(at)
        board = at.dataframe[0].value
        assert {"modelo", "votos", "estado", "memoria máxima"} <= set(board.columns)
        assert set(board["modelo"]) == {"org/alpha", "org/beta"} and "provisional" in set(board["estado"])
        shown = everything(at)
        assert "1 voto por pares de 1 evaluador" in shown and "Frente a las referencias" in shown, shown
        assert "Acuerdo entre evaluadores" in shown
        assert english_leaks(at) == []

        at.query_params["view"] = "Compartir"
        at.run()
        ok(at)
        labels = [d.label for d in at.get("download_button")]
        assert labels == ["Exportar JSON", "Exportar CSV", "Informe en Markdown"], labels
        assert english_leaks(at) == []


def test_the_session_texts_made_in_lib_speak_both_languages():
    """Texts lib/sessions makes for the page (candidate problems, reasons, run messages), in each language."""
    from lib import i18n
    from lib.sessions import agreement, candidates, metrics

    for lang, least, reason, kappa in (
            ("en", "A session compares at least 2 models: add 1 more.", "No input has a reference.",
             "Cohen's κ needs exactly two raters."),
            ("es", "Una sesión compara al menos 2 modelos: añade 1 más.", "Ninguna entrada tiene referencia.",
             "La κ de Cohen necesita exactamente dos evaluadores.")):
        with i18n.scope(lang):
            assert least in candidates.check(["org/x @ providers"], None, details=lambda m: None)[1]
            export = {"session": {"task": "text-classification"}, "inputs": [{"id": "i1", "text": "x"}],
                      "candidates": [], "outputs": [], "votes": [], "scores": []}
            assert metrics.evaluate(export)["reason"] == reason
            assert agreement.agreement(export)["cohen_kappa_reason"] == kappa
            assert candidates.where(None) == ("this machine" if lang == "en" else "esta máquina")


def test_a_run_says_its_progress_in_the_readers_language(store_dir):
    """A run is shared by every visitor of its session: what it keeps is said in the language of who reads it."""
    from lib import i18n
    from lib.sessions import run as session_run

    info = _spanish_session()
    run = session_run.start_run(info.id, runner=object())  # every cell has an output: nothing starts
    assert run.finished
    with i18n.scope("es"):
        assert [p.message for p in run.progress().values()] == ["No queda nada por ejecutar"] * 2
        assert run.summary().startswith("c1 terminado: No queda nada por ejecutar")
    assert run.summary().startswith("c1 done: Nothing left to run")
