"""Agreement between raters in a session export: Krippendorff's α (the ``krippendorff`` package), raw
percent agreement, Cohen's κ for exactly two raters, and the most disputed inputs.

* Votes: a unit is an (input, unordered candidate pair); a rater's value is the winning candidate's id,
  ``tie`` or ``both_bad`` (nominal). Left/right do not matter: the winner is named, not the side.
* Scores: a unit is an (input, candidate); the value is the 1–5 score (interval).
* Percent agreement (votes): over every unit, every pair of raters who both voted on it; the share of those
  pairs that gave the same value.
* Cohen's κ (votes): only when exactly two raters voted, over the units both voted on.
* α, κ are None with a reason when no unit was rated by two raters, or when every rating is the same value
  (no variation: α is undefined).
"""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import numpy as np

from lib.i18n import _

Units = dict[tuple, dict[str, object]]  # unit -> rater -> value


def vote_units(export: dict) -> Units:
    """(input, (c_a, c_b) sorted) -> rater -> winner id / "tie" / "both_bad" (a rater's last vote counts)."""
    units: Units = defaultdict(dict)
    for v in export.get("votes") or ():
        left, right, choice = v.get("left"), v.get("right"), v.get("choice")
        if left is None or right is None or left == right:
            continue
        value = {"left": left, "right": right}.get(choice, choice)
        if value not in (left, right, "tie", "both_bad"):
            continue
        units[(str(v.get("input")), tuple(sorted((str(left), str(right)))))][str(v.get("rater"))] = str(value)
    return dict(units)


def score_units(export: dict) -> Units:
    """(input, candidate) -> rater -> score."""
    units: Units = defaultdict(dict)
    for s in export.get("scores") or ():
        score = s.get("score")
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            units[(str(s.get("input")), str(s.get("candidate")))][str(s.get("rater"))] = float(score)
    return dict(units)


def alpha(units: Units, level: str) -> tuple[float | None, str | None]:
    """Krippendorff's α over ``units`` at ``level`` ("nominal", "interval" …): (α, None) or (None, reason)."""
    shared = {u: r for u, r in units.items() if len(r) >= 2}
    if not shared:
        return None, _("No item was rated by two raters or more.")
    values = sorted({v for r in shared.values() for v in r.values()}, key=str)
    if len(values) < 2:
        return None, _("Every rating is the same, so α is undefined (no variation to agree on).")
    raters = sorted({name for r in shared.values() for name in r})
    data = np.full((len(raters), len(shared)), np.nan)
    code = {v: i for i, v in enumerate(values)}
    for j, ratings in enumerate(shared.values()):
        for name, v in ratings.items():
            data[raters.index(name), j] = v if level != "nominal" else code[v]
    import krippendorff

    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level)), None


def percent_agreement(units: Units) -> tuple[float | None, int]:
    """(share of agreeing rater pairs over all units, number of pairs); None when no pair exists."""
    agree = pairs = 0
    for ratings in units.values():
        for x, y in combinations(ratings.values(), 2):
            pairs += 1
            agree += x == y
    return (agree / pairs if pairs else None), pairs


def cohen_kappa(a: list, b: list) -> float | None:
    """Cohen's κ of two raters' labels on the same items; None when undefined (chance agreement is 1)."""
    if not a or len(a) != len(b):
        return None
    labels = sorted(set(a) | set(b), key=str)
    index = {v: i for i, v in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    for x, y in zip(a, b):
        table[index[x], index[y]] += 1
    table /= table.sum()
    observed = np.trace(table)
    expected = float(table.sum(axis=1) @ table.sum(axis=0))
    return None if expected >= 1 else float((observed - expected) / (1 - expected))


def disputed(votes: Units, scores: Units, limit: int = 10) -> list[dict]:
    """Inputs ranked by how much raters disagree: share of disagreeing rater pairs on the votes (then the
    number of such pairs), then the mean score gap between raters on the same output."""
    stats: dict[str, dict] = defaultdict(lambda: {"pairs": 0, "disagreeing": 0, "gaps": []})
    for (inp, _pair), ratings in votes.items():
        for x, y in combinations(ratings.values(), 2):
            stats[inp]["pairs"] += 1
            stats[inp]["disagreeing"] += x != y
    for (inp, _cand), ratings in scores.items():
        stats[inp]["gaps"].extend(abs(x - y) for x, y in combinations(ratings.values(), 2))
    rows = []
    for inp, s in stats.items():
        gap = float(np.mean(s["gaps"])) if s["gaps"] else None
        share = s["disagreeing"] / s["pairs"] if s["pairs"] else None
        if s["disagreeing"] or (gap or 0) > 0:
            rows.append({"input": inp, "vote_pairs": s["pairs"], "disagreeing_pairs": s["disagreeing"],
                         "disagreement": None if share is None else round(share, 4),
                         "score_gap": None if gap is None else round(gap, 3)})
    rows.sort(key=lambda r: (-(r["disagreement"] or 0), -r["disagreeing_pairs"], -(r["score_gap"] or 0), r["input"]))
    return rows[:limit]


def _rnd(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def agreement(export: dict) -> dict:
    """votes_alpha, scores_alpha, percent_agreement, cohen_kappa (+ the reasons when None), raters, disputed."""
    votes, scores = vote_units(export), score_units(export)
    v_alpha, v_reason = alpha(votes, "nominal")
    s_alpha, s_reason = alpha(scores, "interval")
    share, pairs = percent_agreement(votes)
    raters = sorted({r for ratings in votes.values() for r in ratings})
    kappa, k_reason = None, _("Cohen's κ needs exactly two raters.")
    if len(raters) == 2:
        both = [r for r in votes.values() if len(r) == 2]
        kappa = cohen_kappa([r[raters[0]] for r in both], [r[raters[1]] for r in both])
        k_reason = None if kappa is not None else (_("The two raters never voted on the same pair.") if not both
                                                   else _("Every vote is the same, so κ is undefined."))
    return {"votes_alpha": _rnd(v_alpha), "votes_alpha_reason": v_reason,
            "scores_alpha": _rnd(s_alpha), "scores_alpha_reason": s_reason,
            "percent_agreement": _rnd(share), "agreement_pairs": pairs,
            "cohen_kappa": _rnd(kappa), "cohen_kappa_reason": k_reason,
            "raters": sorted({r for units in (votes, scores) for ratings in units.values() for r in ratings}),
            "disputed": disputed(votes, scores)}
