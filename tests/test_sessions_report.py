"""The session report (report(export) / markdown(export)) and ``python -m lib.sessions report``."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lib.sessions", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


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
                 "310 ms", "failed: The model could not be loaded", "2026-12-01T10:00:00+00:00", "batch size: 8"):
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
