"""Statistics of team evaluation sessions on the export dict: Bradley–Terry with input-bootstrap intervals,
rater agreement (Krippendorff's α, percent agreement, Cohen's κ), reference metrics and the paired tests."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lib import tasks
from lib.sessions import agreement as A
from lib.sessions import metrics as M
from lib.sessions import stats as S
from tests.support.sessions_export import export, random_tournament


def _board(ex: dict, **kw) -> dict[str, dict]:
    return {r["candidate"]: r for r in S.leaderboard(ex, **kw)}


# --------------------------------------------------------------------------- Bradley–Terry
def test_two_players_three_wins_to_one_gives_strength_ratio_three():
    ex = export([("r", "i1", "c1", "c2", "left"), ("r", "i2", "c2", "c1", "right"),
                 ("r", "i3", "c1", "c2", "left"), ("r", "i4", "c1", "c2", "right")])
    rows = _board(ex, alpha=0.0, resamples=0)
    assert rows["c1"]["strength"] - rows["c2"]["strength"] == pytest.approx(math.log(3), abs=1e-4)
    # Elo-like scale: 400 points per factor 10 of odds, mean 1000
    assert rows["c1"]["elo"] - rows["c2"]["elo"] == pytest.approx(400 * math.log10(3), abs=0.2)
    assert (rows["c1"]["elo"] + rows["c2"]["elo"]) / 2 == pytest.approx(1000, abs=0.1)
    assert (rows["c1"]["wins"], rows["c1"]["losses"], rows["c1"]["ties"], rows["c1"]["votes"]) == (3, 1, 0, 4)


def test_cycle_symmetric_tournament_has_equal_strengths():
    votes = []
    for k, (a, b) in enumerate([("c1", "c2"), ("c2", "c3"), ("c3", "c1")]):
        votes += [("r", f"i{k}a", a, b, "left"), ("r", f"i{k}b", a, b, "left"), ("r", f"i{k}c", b, a, "left")]
    rows = _board(export(votes, candidates=3), resamples=0)
    assert [rows[c]["strength"] for c in ("c1", "c2", "c3")] == pytest.approx([0, 0, 0], abs=1e-6)
    assert all(r["elo"] == pytest.approx(1000, abs=0.05) for r in rows.values())


@pytest.mark.parametrize("draw", ["tie", "both_bad"])
def test_tie_and_both_bad_count_half_a_win_each(draw):
    # c1: one win and two draws, no loss -> 2 "wins" to 1: strength difference ln 2
    ex = export([("r", "i1", "c1", "c2", "left"), ("r", "i2", "c1", "c2", draw), ("r", "i3", "c2", "c1", draw)])
    rows = _board(ex, alpha=0.0, resamples=0)
    assert rows["c1"]["strength"] - rows["c2"]["strength"] == pytest.approx(math.log(2), abs=1e-4)
    assert (rows["c1"]["wins"], rows["c1"]["ties"], rows["c1"]["votes"]) == (1, 2, 3)
    assert (rows["c2"]["losses"], rows["c2"]["ties"], rows["c2"]["votes"]) == (1, 2, 3)


def test_fit_matches_choix():
    import choix

    ex, _ = random_tournament(n_candidates=5, n_votes=120, n_inputs=30, seed=3)
    t = S.tally(ex)
    assert S.fit(t.matrix, alpha=0.0) == pytest.approx(choix.ilsr_pairwise_dense(t.matrix), abs=1e-5)
    # the penalised fit is choix.opt_pairwise's MAP: its data doubled (a draw = one win each way), penalty doubled
    data = []
    for v in ex["votes"]:
        a, b = int(v["left"][1:]) - 1, int(v["right"][1:]) - 1
        if v["choice"] in ("left", "right"):
            data += [(a, b) if v["choice"] == "left" else (b, a)] * 2
        else:
            data += [(a, b), (b, a)]
    expected = choix.opt_pairwise(5, data, alpha=2 * S.ALPHA, method="BFGS", tol=1e-9)
    assert S.fit(t.matrix) == pytest.approx(expected - expected.mean(), abs=1e-4)


def test_perfect_and_disconnected_records_stay_finite():
    ex = export([("r", f"i{k}", "c1", "c2", "left") for k in range(10)]
                + [("r", f"j{k}", "c3", "c4", "right") for k in range(3)], candidates=5)
    rows = _board(ex, resamples=50)
    for c in ("c1", "c2", "c3", "c4"):
        assert all(math.isfinite(rows[c][k]) for k in ("strength", "elo", "ci_low", "ci_high"))
    assert rows["c1"]["elo"] > rows["c4"]["elo"] > rows["c3"]["elo"] and rows["c1"]["elo"] > rows["c2"]["elo"]
    # a candidate nobody voted on has no strength and comes last
    assert S.leaderboard(ex, resamples=0)[-1]["candidate"] == "c5"
    assert rows["c5"]["strength"] is None and rows["c5"]["elo"] is None and rows["c5"]["votes"] == 0


def test_recovers_the_order_of_known_strengths():
    ex, true = random_tournament(n_candidates=6, n_votes=3000, n_inputs=300, seed=1)
    order = [r["candidate"] for r in S.leaderboard(ex, resamples=0)]
    assert order == [f"c{k}" for k in range(6, 0, -1)]
    est = np.array([_board(ex, resamples=0)[f"c{k + 1}"]["strength"] for k in range(6)])
    assert est == pytest.approx(true - true.mean(), abs=0.15)


def test_intervals_are_reproducible_with_a_seed_and_contain_the_estimate():
    ex, _ = random_tournament(n_candidates=4, n_votes=400, n_inputs=60, seed=2)
    first = S.leaderboard(ex, seed=7, resamples=300)
    assert S.leaderboard(ex, seed=7, resamples=300) == first
    other = S.leaderboard(ex, seed=8, resamples=300)
    assert [r["ci_low"] for r in other] != [r["ci_low"] for r in first]
    for r in first:
        assert r["ci_low"] < r["elo"] < r["ci_high"]


def test_bootstrap_resamples_inputs_not_votes():
    # every vote is on the same input: drawing inputs always draws the same votes, so the interval is a point
    # (drawing votes instead would spread it)
    ex = export([("r", "i1", "c1", "c2", "left")] * 6 + [("r", "i1", "c1", "c2", "right")] * 4)
    row = _board(ex, resamples=200)["c1"]
    assert row["ci_low"] == row["ci_high"] == row["elo"]
    counts = S.resample_counts(25, 40, seed=0)
    assert counts.shape == (40, 25) and (counts.sum(axis=1) == 25).all()


def test_provisional_below_the_stated_number_of_votes_and_bad_votes_ignored():
    n = S.PROVISIONAL_VOTES
    votes = [("r", f"i{k}", "c1", "c2", "left" if k % 3 else "right") for k in range(n)]
    votes += [("r", "i0", "c3", "c1", "tie")] * 2
    votes += [("r", "i0", "c1", "c1", "left"), ("r", "i0", "c9", "c1", "left"), ("r", "i0", "c1", "c2", "maybe")]
    ex = export(votes, candidates=3)
    rows = _board(ex, resamples=0)
    assert rows["c1"]["votes"] == n + 2 and not rows["c1"]["provisional"]
    assert rows["c2"]["votes"] == n and not rows["c2"]["provisional"]
    assert rows["c3"]["votes"] == 2 and rows["c3"]["provisional"]
    assert S.tally(ex).ignored == 3


def test_win_matrix():
    ex = export([("r", "i1", "c1", "c2", "left"), ("r", "i2", "c1", "c2", "tie"), ("r", "i3", "c2", "c1", "left")],
                candidates=3)
    wm = S.win_matrix(S.tally(ex))
    assert wm["candidates"] == ["c1", "c2", "c3"]
    assert wm["rate"][0][1] == pytest.approx(0.5) and wm["rate"][1][0] == pytest.approx(0.5)
    assert wm["rate"][0][2] is None and wm["votes"][0][1] == 3


# --------------------------------------------------------------------------- agreement
KRIPPENDORFF_2011 = [  # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", 4 observers x 12 units
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def _units(rows: list[list]) -> dict:
    return {(u,): {f"o{k}": row[u] for k, row in enumerate(rows) if row[u] is not None} for u in range(len(rows[0]))}


def test_krippendorff_alpha_on_the_published_example():
    value, reason = A.alpha(_units(KRIPPENDORFF_2011), "nominal")
    assert reason is None and round(value, 3) == 0.743
    assert round(A.alpha(_units(KRIPPENDORFF_2011), "interval")[0], 3) == 0.849


def test_votes_alpha_names_the_winner_not_the_side():
    # r1 and r2 see the pair in opposite orders and pick the same candidate: full agreement
    ex = export([("r1", "i1", "c1", "c2", "left"), ("r2", "i1", "c2", "c1", "right"),
                 ("r1", "i2", "c1", "c2", "tie"), ("r2", "i2", "c2", "c1", "tie"),
                 ("r1", "i3", "c1", "c2", "right"), ("r2", "i3", "c1", "c2", "right")])
    a = A.agreement(ex)
    assert a["votes_alpha"] == pytest.approx(1.0) and a["percent_agreement"] == 1.0 and a["cohen_kappa"] == 1.0


def test_alpha_is_none_with_a_reason_when_raters_do_not_overlap():
    ex = export([("r1", "i1", "c1", "c2", "left"), ("r2", "i2", "c1", "c2", "right")],
                scores=[("r1", "i1", "c1", 4)])
    a = A.agreement(ex)
    assert a["votes_alpha"] is None and "two raters" in a["votes_alpha_reason"]
    assert a["scores_alpha"] is None and a["scores_alpha_reason"]
    assert a["percent_agreement"] is None and a["cohen_kappa"] is None and a["cohen_kappa_reason"]


def test_scores_alpha_interval_and_percent_agreement():
    scores = [(f"o{k}", f"i{u}", "c1", v) for k, row in enumerate(KRIPPENDORFF_2011) for u, v in enumerate(row)
              if v is not None]
    a = A.agreement(export([], scores=scores))
    assert round(a["scores_alpha"], 3) == 0.849
    # three raters on one unit, two agree: 1 of 3 rater pairs agrees
    votes = [("r1", "i1", "c1", "c2", "left"), ("r2", "i1", "c1", "c2", "left"), ("r3", "i1", "c1", "c2", "tie")]
    share, pairs = A.percent_agreement(A.vote_units(export(votes)))
    assert (share, pairs) == (pytest.approx(1 / 3), 3)


def test_cohen_kappa_textbook_example():
    # 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15 -> p_o 0.7, p_e 0.5, kappa 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert A.cohen_kappa(a, b) == pytest.approx(0.4)
    assert A.cohen_kappa(["x", "x"], ["x", "x"]) is None


def test_most_disputed_inputs_ranked():
    votes = [("r1", "i1", "c1", "c2", "left"), ("r2", "i1", "c1", "c2", "right"),
             ("r1", "i2", "c1", "c2", "left"), ("r2", "i2", "c1", "c2", "left"),
             ("r1", "i3", "c1", "c2", "left"), ("r2", "i3", "c1", "c2", "left"), ("r3", "i3", "c1", "c2", "tie")]
    rows = A.agreement(export(votes, scores=[("r1", "i4", "c1", 1), ("r2", "i4", "c1", 5)]))["disputed"]
    assert [r["input"] for r in rows] == ["i1", "i3", "i4"]
    assert rows[0]["disagreement"] == 1.0 and rows[2]["score_gap"] == 4.0


# --------------------------------------------------------------------------- metrics
def test_squad_exact_match_and_token_f1():
    assert M.exact_match("The Eiffel Tower!", "eiffel  tower") == 1.0
    assert M.exact_match("Eiffel", "Eiffel Tower") == 0.0 and M.exact_match(None, "x") == 0.0
    assert M.token_f1("in Paris France", "Paris") == pytest.approx(0.5)
    assert M.token_f1("an apple", "the apple pie") == pytest.approx(2 * 1 * 0.5 / 1.5)
    assert M.token_f1(None, "Paris") == 0.0


def test_accuracy_and_macro_f1_by_hand_and_against_sklearn():
    refs = ["pos", "pos", "neg", "neg", "neu"]
    preds = ["POS ", "neg", "neg", None, "pos"]
    fns = M.metric_functions("classification", preds, refs)
    one = np.ones((1, 5))
    assert fns["accuracy"](one)[0] == pytest.approx(2 / 5)
    # pos: tp 1 fp 1 fn 1 -> 0.5; neg: tp 1 fp 1 fn 1 -> 0.5; neu: 0 -> macro 1/3
    assert fns["macro_f1"](one)[0] == pytest.approx(1 / 3)
    metrics = pytest.importorskip("sklearn.metrics")
    norm = [p.strip().lower() if p else "none" for p in preds]
    labels = sorted(set(refs) | {p for p in norm if p != "none"})
    assert fns["macro_f1"](one)[0] == pytest.approx(metrics.f1_score(refs, norm, labels=labels, average="macro"))


def test_chrf_equals_sacrebleu():
    import sacrebleu

    hyps = ["the cat sat on the mat", "a dog barks", None]
    refs = ["the cat is on the mat", "the dog barked loudly", "hello world"]
    value = M.metric_functions("text", hyps, refs)["chrf"](np.ones((1, 3)))[0]
    assert value == pytest.approx(sacrebleu.corpus_chrf([h or "" for h in hyps], [refs]).score)


def test_mcnemar_exact():
    a = [True] * 9 + [False] + [True] * 5
    b = [False] * 9 + [True] + [True] * 5
    test = M.mcnemar_exact(a, b)
    assert (test["only_a"], test["only_b"]) == (9, 1)
    assert test["p_value"] == pytest.approx(2 * 11 / 1024)
    assert M.mcnemar_exact([True], [True])["p_value"] == 1.0


def _classified(preds: dict[str, list[str | None]], refs: list[str]) -> dict:
    inputs = [{"id": f"i{k + 1}", "text": f"t{k}", "reference": r, "inputs": {}} for k, r in enumerate(refs)]
    outputs = [{"input": f"i{k + 1}", "candidate": c, "output": None if p is None else {"labels": [p, "other"],
                                                                                        "scores": [0.9, 0.1]},
                "error": None if p is not None else {"title": "Failed", "message": "no"}, "latency_s": 0.1}
               for c, ps in preds.items() for k, p in enumerate(ps)]
    return export([], candidates=len(preds), inputs=inputs, outputs=outputs)


def test_evaluate_classification_session():
    refs = ["pos", "neg"] * 15
    ex = _classified({"c1": refs[:], "c2": ["pos"] * 29 + [None]}, refs)
    m = M.evaluate(ex, seed=0, resamples=200)
    assert m["kind"] == "classification" and m["inputs"] == 30
    c1, c2 = m["candidates"]["c1"], m["candidates"]["c2"]
    assert c1["accuracy"]["value"] == 1.0 and c2["accuracy"]["value"] == pytest.approx(15 / 30)
    assert c2["missing"] == 1 and c2["accuracy"]["ci_low"] < 0.5 < c2["accuracy"]["ci_high"]
    test = m["paired_test"]
    assert (test["a"], test["b"], test["method"]) == ("c1", "c2", "McNemar exact")
    assert test["p_value"] == pytest.approx(2 * 0.5 ** 15)
    assert M.evaluate(ex, seed=0, resamples=200) == m


def test_evaluate_text_session_paired_bootstrap_and_no_reference_cases():
    refs = [f"the quick brown fox number {k} jumps" for k in range(20)]
    inputs = [{"id": f"i{k + 1}", "text": "x", "reference": r, "inputs": {}} for k, r in enumerate(refs)]
    outs = [{"input": f"i{k + 1}", "candidate": c, "output": {"text": r if c == "c1" else "something else"}}
            for c in ("c1", "c2") for k, r in enumerate(refs)]
    m = M.evaluate(export([], task="translation", inputs=inputs, outputs=outs), resamples=200)
    assert m["candidates"]["c1"]["chrf"]["value"] == pytest.approx(100.0)
    assert m["paired_test"]["method"] == "paired bootstrap" and m["paired_test"]["p_value"] < 0.05
    assert M.evaluate(export([], task="translation", inputs=[{"id": "i1", "text": "x", "reference": None}]))[
        "reason"] == "No input has a reference."
    assert M.evaluate(export([], task="feature-extraction"))["kind"] is None


def test_task_modules_name_their_metric_and_prediction():
    expect = {"text-classification": "classification", "zero-shot-classification": "classification",
              "image-classification": "classification", "audio-classification": "classification",
              "question-answering": "extractive_qa", "translation": "text", "summarization": "text",
              "text-generation": "text", "automatic-speech-recognition": "text"}
    for tag, kind in expect.items():
        assert tasks.get(tag).metric == kind, tag
    assert tasks.get("text-classification").prediction({"labels": ["A", "B"], "scores": [0.6, 0.4]}) == "A"
    assert tasks.get("question-answering").prediction({"answer": "Berlin", "score": 0.9}) == "Berlin"
    assert tasks.get("translation").prediction({"text": "Hallo"}) == "Hallo"
    assert tasks.get("text-classification").prediction({"labels": [], "scores": []}) is None
    assert tasks.get("feature-extraction").metric is None


def test_disputed_inputs_table_names_its_columns_for_people():
    """Defect (seen in the screenshots): the Results section's "Most disputed inputs" table showed the report's
    keys (vote_pairs, disagreeing_pairs, score_gap) as column names and the disagreement as a bare fraction."""
    from lib.ui.sessions_results import disputed_rows

    rows = disputed_rows([{"input": "i1", "vote_pairs": 9, "disagreeing_pairs": 7, "disagreement": 0.7778,
                           "score_gap": None}], {"i1": "Best purchase this year."})
    assert rows == [{"input": "Best purchase this year.", "rater pairs (votes)": 9, "disagreeing pairs": 7,
                     "disagreement": "78%", "score gap (★)": "—"}]
