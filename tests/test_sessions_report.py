"""The session report (report(export) / markdown(export)) and ``python -m lib.sessions report``."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lib import i18n
from lib.sessions import report as R
from tests.support.sessions_export import export, random_tournament

ROOT = Path(__file__).resolve().parents[1]
ROW_KEYS = {"candidate", "model", "strength", "elo", "ci_low", "ci_high", "votes", "wins", "losses", "ties",
            "provisional", "mean_score", "latency_p50_s", "latency_p95_s", "peak_bytes"}


def _session() -> dict:
    ex, _ = random_tournament(n_candidates=3, n_votes=90, n_inputs=30, seed=4)
    ex["candidates"][0]["stats"] = {"latency_p50_s": 0.042, "latency_p95_s": 0.31, "peak_bytes": 1_234_000_000,
                                    "load_s": 2.0, "device": "cpu", "dtype": "float32", "error": None}
    ex["candidates"][2]["stats"] = {"error": "The model could not be loaded"}
    ex["candidates"][1]["model"] = "org/m_2|<b>bold</b>"
    ex["scores"] = [{"rater": "r1", "input": "i1", "candidate": "c1", "score": 4, "comment": None},
                    {"rater": "r2", "input": "i1", "candidate": "c1", "score": 5, "comment": "fine"}]
    return ex


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI in a neutral locale (C.UTF-8: English), ``env`` on top (its language variables, e.g. ``LANG``)."""
    base = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    return subprocess.run([sys.executable, "-m", "lib.sessions", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**base, "LANG": "C.UTF-8", **(env or {})})


def test_report_has_the_issue_keys():
    rep = R.report(_session(), resamples=100)
    assert set(rep) == {"leaderboard", "agreement", "metrics", "win_matrix", "session"}
    assert {"votes_alpha", "scores_alpha", "percent_agreement", "cohen_kappa", "disputed"} <= set(rep["agreement"])
    for row in rep["leaderboard"]:
        assert set(row) >= ROW_KEYS
        assert row["ci_low"] <= row["elo"] <= row["ci_high"]
    by = {r["candidate"]: r for r in rep["leaderboard"]}
    assert by["c1"]["mean_score"] == 4.5 and by["c1"]["peak_bytes"] == 1_234_000_000
    assert by["c3"]["error"] == "The model could not be loaded"
    assert sum(r["votes"] for r in rep["leaderboard"]) == 2 * 90 == 2 * rep["session"]["votes"]
    assert rep["session"]["resamples"] == 100 and rep["session"]["provisional_below"] == 20
    json.dumps(rep)  # JSON-ready


def test_markdown_report():
    md = R.markdown(_session(), resamples=50)
    for part in ("# Session report: Test session", "## Leaderboard", "95 % interval", "## Win rates",
                 "## Reference metrics", "## Agreement between raters", "## Settings", "1.2 GB", "42 ms",
                 "310 ms", "failed: The model could not be loaded", "created Dec 1, 2026 10:00 UTC", "batch size: 8"):
        assert part in md, part
    assert "<b>" not in md and r"org/m\_2\|\<b\>bold\</b\>" in md  # a model name cannot break the table


def test_markdown_metrics_and_paired_test():
    refs = ["a", "b"] * 10
    inputs = [{"id": f"i{k + 1}", "text": "t", "reference": r, "inputs": {}} for k, r in enumerate(refs)]
    outs = [{"input": f"i{k + 1}", "candidate": c, "output": {"labels": [r if c == "c1" else "a"], "scores": [1.0]}}
            for c in ("c1", "c2") for k, r in enumerate(refs)]
    md = R.markdown(export([], inputs=inputs, outputs=outs), resamples=50)
    assert "| org/m1 | 100.0" in md and "McNemar exact between org/m1 and org/m2 on Accuracy" in md


def test_cli_prints_json(tmp_path):
    path = tmp_path / "session.json"
    path.write_text(json.dumps(_session()), encoding="utf-8")
    done = _cli("report", str(path), "--seed", "3", "--resamples", "50")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["leaderboard"] == R.report(_session(), seed=3, resamples=50)["leaderboard"]
    md = _cli("report", str(path), "--markdown", "--resamples", "20")
    assert md.returncode == 0 and md.stdout.startswith("# Session report")


TWO = [{"id": "c1", "model": "a/b"}, {"id": "c2", "model": "a/c"}]
SESSION = {"name": "s", "task": "text-classification", "created": "2026-12-01T10:00:00+00:00"}


@pytest.mark.parametrize("content, words", [
    (b"\x00\xff\xfe garbage", "not text (UTF-8 JSON)"),
    (b"{\"format\": \"hubscout-sess", "not valid JSON"),
    (b"[1, 2, 3]", "not a Hub Scout session export"),
    (json.dumps({"format": "promptfoo", "results": []}).encode(), "not a Hub Scout session export"),
    (json.dumps({"format": "hubscout-session", "version": 99, "session": {}}).encode(), "version 99"),
    (json.dumps({"format": "hubscout-session", "version": 1, "session": {}, "votes": "many"}).encode(),
     "session.created is missing"),
    (json.dumps({"format": "hubscout-session", "version": 1, "session": SESSION, "candidates": TWO,
                 "inputs": [{"id": "i1", "text": "x"}], "votes": "many"}).encode(), "'votes' should be a list"),
    (json.dumps({"format": "hubscout-session", "version": 1, "session": SESSION,
                 "candidates": [{"model": "x"}, {"id": "c2", "model": "y"}], "inputs": [{"id": "i1", "text": "x"}]}
                ).encode(),
     "candidates[0].id should be a short id"),
    (json.dumps({"format": "hubscout-session", "version": 1, "session": SESSION,
                 "candidates": [{"id": "c1", "model": "a/b"}, {"id": "c2", "model": "a/c"}],
                 "inputs": [{"id": "i1", "text": "x"}],
                 "votes": [{"rater": "r", "input": "i1", "left": "c1", "right": ["c2"], "choice": "left"}]}).encode(),
     "votes[0].right"),
])
def test_cli_on_a_foreign_or_corrupt_file(tmp_path, content, words):
    path = tmp_path / "upload.json"
    path.write_bytes(content)
    done = _cli("report", str(path))
    assert done.returncode == 2
    assert words in done.stderr and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert path.read_bytes() == content  # nothing changed


def test_cli_on_a_missing_file(tmp_path):
    done = _cli("report", str(tmp_path / "nope.json"))
    assert done.returncode == 2 and "Cannot read" in done.stderr and "Traceback" not in done.stderr


# ---- the report in both languages (issue 13) ---------------------------------------------------------------
def _with_texts() -> dict:
    """The test session with an input text and a failure message that must come through untranslated."""
    ex = _session()
    ex["inputs"][0]["text"] = "The movie was great"
    ex["scores"] = [{"rater": "r1", "input": "i1", "candidate": "c1", "score": 4, "comment": None},
                    {"rater": "r2", "input": "i1", "candidate": "c1", "score": 5, "comment": "fine"},
                    {"rater": "r1", "input": "i1", "candidate": "c2", "score": 1, "comment": None},
                    {"rater": "r2", "input": "i1", "candidate": "c2", "score": 3, "comment": None}]
    return ex


def test_the_markdown_report_in_english_and_spanish():
    ex = _with_texts()
    rep = R.report(ex, resamples=50)
    with i18n.scope("en"):
        en = R.markdown(ex, rep=rep)
    with i18n.scope("es"):
        es = R.markdown(ex, rep=rep)
    for part in ("# Session report: Test session", "## Leaderboard", "## Win rates", "## Reference metrics",
                 "## Agreement between raters", "## Settings", "| Mean score |", "95 % interval", "4.50", "1.2 GB",
                 "42 ms", "created Dec 1, 2026 10:00 UTC", "3 candidates, 30 inputs, 90 votes, 4 scores",
                 "batch size: 8", "ran on this machine"):
        assert part in en, part
    for part in ("# Informe de la sesión: Test session", "## Clasificación", "## Tasas de victoria",
                 "## Métricas de referencia", "## Acuerdo entre evaluadores", "## Configuración",
                 "| Puntuación media |", "Intervalo del 95 %", "4,50", "1,2 GB", "42 ms",
                 "creada el 1 dic 2026 10:00 UTC", "3 candidatos, 30 entradas, 90 votos, 4 puntuaciones",
                 "tamaño de lote: 8", "Fuerzas de Bradley–Terry"):
        assert part in es, part
    for english in ("## Leaderboard", "Mean score", "95 % interval", "batch size", "Session report", "created Dec"):
        assert english not in es, english
    # the numbers follow the language: a decimal comma, the win rates as "30 %"
    alpha = rep["agreement"]["votes_alpha"]
    assert f"{alpha:.3f}" in en and f"{alpha:.3f}".replace(".", ",") in es
    en_rates, es_rates = en.split("## Win rates")[1].split("##")[0], es.split("## Tasas de victoria")[1].split("##")[0]
    assert re.search(r"\| \d+% \|", en_rates) and re.search(r"\| \d+\xa0% \|", es_rates)  # 30% / 30 %
    # model ids, inputs, the session's name and a failure message are never translated
    for same in ("org/m1", r"org/m\_2\|\<b\>bold\</b\>", "The movie was great", "The model could not be loaded",
                 "Test session", "text-classification", "float32"):
        assert same in en and same in es, same
    assert "failed: The model could not be loaded" in en and "falló: The model could not be loaded" in es


def test_the_report_is_made_in_the_language_of_the_call_not_kept():
    ex = _session()
    with i18n.scope("es"):
        rep = R.report(ex, resamples=20)
        assert rep["session"]["scale"].startswith("Fuerzas de Bradley–Terry")
    assert R.report(ex, resamples=20)["session"]["scale"].startswith("Bradley–Terry strengths")
    assert R.markdown(ex, rep=rep).startswith("# Session report")  # a Spanish report dict, an English page


def test_the_metrics_section_in_spanish():
    refs = ["a", "b"] * 10
    inputs = [{"id": f"i{k + 1}", "text": "t", "reference": r, "inputs": {}} for k, r in enumerate(refs)]
    outs = [{"input": f"i{k + 1}", "candidate": c, "output": {"labels": [r if c == "c1" else "a"], "scores": [1.0]}}
            for c in ("c1", "c2") for k, r in enumerate(refs)]
    with i18n.scope("es"):
        md = R.markdown(export([], inputs=inputs, outputs=outs), resamples=50)
    assert "20 entradas con referencia; intervalos bootstrap del 95 %" in md
    assert "| org/m1 | 100,0" in md and "entre org/m1 y org/m2" in md and "| Sin salida |" in md


def test_cli_report_in_spanish(tmp_path):
    path = tmp_path / "session.json"
    path.write_text(json.dumps(_with_texts()), encoding="utf-8")
    es = _cli("report", str(path), "--markdown", "--resamples", "20", "--lang", "es")
    assert es.returncode == 0, es.stderr
    assert es.stdout.startswith("# Informe de la sesión: Test session") and "## Clasificación" in es.stdout
    assert "The movie was great" in es.stdout and "4,50" in es.stdout
    en = _cli("report", str(path), "--markdown", "--resamples", "20", "--lang", "en", env={"LANG": "es_ES.UTF-8"})
    assert en.stdout.startswith("# Session report: Test session")  # --lang wins over the environment
    # the JSON is data: the same keys in both languages
    js_es = json.loads(_cli("report", str(path), "--resamples", "20", "--lang", "es").stdout)
    js_en = json.loads(_cli("report", str(path), "--resamples", "20").stdout)
    assert set(js_es) == set(js_en) and set(js_es["session"]) == set(js_en["session"])
    assert js_es["leaderboard"] == js_en["leaderboard"]


@pytest.mark.parametrize("env, spanish", [({"LANG": "es_ES.UTF-8"}, True),
                                          ({"LANG": "en_US.UTF-8", "LC_ALL": "es_MX.UTF-8"}, True),
                                          ({"LANG": "es_ES.UTF-8", "LC_ALL": "C.UTF-8"}, False)])
def test_cli_language_from_the_environment(tmp_path, env, spanish):
    path = tmp_path / "session.json"
    path.write_text(json.dumps(_session()), encoding="utf-8")
    done = _cli("report", str(path), "--markdown", "--resamples", "0", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Informe de la sesión" if spanish else "# Session report")


def test_cli_errors_in_spanish(tmp_path):
    path = tmp_path / "upload.json"
    path.write_bytes(b"[1, 2, 3]")
    done = _cli("report", str(path), "--lang", "es")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "no es una exportación de sesión de Hub Scout" in done.stderr
    assert "No se ha importado nada" not in done.stderr  # a report imports nothing: not said
    missing = _cli("report", str(tmp_path / "nope.json"), "--lang", "es")
    assert missing.returncode == 2 and "No se puede leer" in missing.stderr
