"""Reference metrics for a session (inputs that carry a reference), each with a 95 % bootstrap interval over
inputs, and a paired test between the two best candidates.

Which metric a task gets and how an output becomes the compared string are the task's facts
(``TaskSpec.metric`` / ``TaskSpec.prediction`` in ``lib/tasks``):

* ``classification``: accuracy and macro-F1 (labels compared case-insensitively, surrounding space
  ignored; macro-F1 averages over every label seen in references or predictions, as scikit-learn does).
  Paired test: McNemar's exact test (a binomial test on the discordant inputs).
* ``extractive_qa``: exact match and token F1 after SQuAD's normalisation (lower case, no punctuation, no
  articles a/an/the, single spaces). Paired test: paired bootstrap on token F1.
* ``text``: corpus chrF (sacrebleu's ``CHRF``, 0–100). Paired test: paired bootstrap on chrF.

A candidate's failed or missing output counts as a wrong answer (an empty string): the table says how many.
Every candidate is resampled with the same draws (a paired bootstrap); the two-sided bootstrap p-value is
the share of resampled differences, centred, at least as far from 0 as the observed one.
"""
from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable

import numpy as np
from scipy.stats import binomtest

from lib.i18n import N_, _

from .stats import resample_counts

NAMES = {"classification": ("accuracy", "macro_f1"), "extractive_qa": ("exact_match", "token_f1"),
         "text": ("chrf",)}
PRIMARY = {"classification": "accuracy", "extractive_qa": "token_f1", "text": "chrf"}
#: metric -> its name for people (translated where shown: ``_(LABELS[name])``)
LABELS = {"accuracy": N_("Accuracy"), "macro_f1": N_("Macro-F1"), "exact_match": N_("Exact match"),
          "token_f1": N_("Token F1"), "chrf": "chrF"}  # i18n: chrF is the metric's own name
#: the paired tests' names (the ``method`` of a paired test; translated where shown)
MCNEMAR, BOOTSTRAP = N_("McNemar exact"), N_("paired bootstrap")

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


# --------------------------------------------------------------------------- per-item scores
def in_percent(kind: str) -> bool:
    """Whether ``kind``'s values are fractions shown as percent (chrF is on sacrebleu's 0-100 scale already)."""
    return kind != "text"


def shown(kind: str, value: dict) -> str:
    """One metric's value with its interval, as the report and the page show it: ``81.0 (74.0 – 88.0)``."""
    f = (lambda x: f"{x * 100:.1f}") if in_percent(kind) else (lambda x: f"{x:.1f}")
    ci = "" if value.get("ci_low") is None else f" ({f(value['ci_low'])} – {f(value['ci_high'])})"
    return f(value["value"]) + ci


def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation: lower case, punctuation and articles removed, whitespace collapsed."""
    text = "".join(ch for ch in str(text).lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str | None, reference: str) -> float:
    return float(prediction is not None and normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str | None, reference: str) -> float:
    """SQuAD token F1: overlap of normalised tokens (two empty answers agree)."""
    pred = normalize_answer(prediction or "").split()
    ref = normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    same = sum((Counter(pred) & Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def _label(x: str | None) -> str | None:
    return None if x is None else str(x).strip().casefold()


# --------------------------------------------------------------------------- resampled metrics
def _macro_f1_fn(preds: list[str | None], refs: list[str]) -> Callable[[np.ndarray], np.ndarray]:
    """``weights (B, n) -> macro-F1 (B,)``: each item's contribution to every label's TP / FP / FN is counted
    once, and a resample weights the items."""
    p, r = [_label(x) for x in preds], [_label(x) for x in refs]
    labels = sorted({x for x in p + r if x is not None})
    tp = np.array([[float(pi == lab and ri == lab) for lab in labels] for pi, ri in zip(p, r)])
    fp = np.array([[float(pi == lab and ri != lab) for lab in labels] for pi, ri in zip(p, r)])
    fn = np.array([[float(ri == lab and pi != lab) for lab in labels] for pi, ri in zip(p, r)])

    def score(weights: np.ndarray) -> np.ndarray:
        t, f_p, f_n = weights @ tp, weights @ fp, weights @ fn
        denom = 2 * t + f_p + f_n
        f1 = np.divide(2 * t, denom, out=np.zeros_like(t), where=denom > 0)
        present = denom > 0  # a label absent from a resample does not count (scikit-learn's label set)
        return (f1 * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1)

    return score


def _mean_fn(values: list[float]) -> Callable[[np.ndarray], np.ndarray]:
    v = np.asarray(values, dtype=float)
    return lambda weights: (weights @ v) / weights.sum(axis=1)


def _chrf_fn(preds: list[str | None], refs: list[str]) -> Callable[[np.ndarray], np.ndarray]:
    """Corpus chrF from summed sentence statistics (sacrebleu's own way of bootstrapping its scores)."""
    from sacrebleu.metrics import CHRF

    chrf = CHRF()
    stats = np.asarray(chrf._extract_corpus_statistics([p or "" for p in preds], [list(refs)]), dtype=float)
    return lambda weights: np.array([chrf._compute_score_from_stats(row).score for row in weights @ stats])


def metric_functions(kind: str, preds: list[str | None], refs: list[str]) -> dict[str, Callable]:
    """name -> ``weights (B, n) -> values (B,)``; weights of ones give the plain score."""
    if kind == "classification":
        correct = [float(_label(p) == _label(r)) for p, r in zip(preds, refs)]
        return {"accuracy": _mean_fn(correct), "macro_f1": _macro_f1_fn(preds, refs)}
    if kind == "extractive_qa":
        return {"exact_match": _mean_fn([exact_match(p, r) for p, r in zip(preds, refs)]),
                "token_f1": _mean_fn([token_f1(p, r) for p, r in zip(preds, refs)])}
    if kind == "text":
        return {"chrf": _chrf_fn(preds, refs)}
    raise ValueError(f"unknown metric kind {kind!r}")  # i18n: a programmer's error


def mcnemar_exact(a_right: list[bool], b_right: list[bool]) -> dict:
    """McNemar's exact test: two-sided binomial p-value on the inputs where exactly one is right."""
    only_a = sum(1 for x, y in zip(a_right, b_right) if x and not y)
    only_b = sum(1 for x, y in zip(a_right, b_right) if y and not x)
    n = only_a + only_b
    p = 1.0 if n == 0 else float(binomtest(only_a, n, 0.5).pvalue)
    return {"method": MCNEMAR, "only_a": only_a, "only_b": only_b, "p_value": p}


def paired_bootstrap(a: np.ndarray, b: np.ndarray, observed: float) -> dict:
    """Two-sided paired bootstrap on per-resample values of two candidates (same draws)."""
    diffs = a - b
    far = np.abs(diffs - diffs.mean()) >= abs(observed) - 1e-12
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return {"method": BOOTSTRAP, "p_value": float((far.sum() + 1) / (len(diffs) + 1)),
            "diff_ci_low": float(lo), "diff_ci_high": float(hi)}


# --------------------------------------------------------------------------- the session
def evaluate(export: dict, *, seed: int = 0, resamples: int = 1000) -> dict:
    """The reference metrics of a session export: ``{"kind", "primary", "inputs", "candidates":
    {id: {metric: {"value", "ci_low", "ci_high"}, "missing"}}, "paired_test"}``, or ``{"kind", "reason"}``
    when the task has no metric or no input has a reference."""
    from lib import tasks

    task = (export.get("session") or {}).get("task")
    spec = tasks.get(task)
    kind = spec.metric if spec is not None else None
    if kind is None or spec.prediction is None:
        return {"kind": None, "reason": _("No reference metric for the task {task}.").format(task=repr(task))}
    refs = {str(i["id"]): str(i["reference"]) for i in export.get("inputs") or ()
            if i.get("reference") not in (None, "")}
    if not refs:
        return {"kind": kind, "reason": _("No input has a reference.")}
    items = list(refs)
    outs = {(str(o.get("input")), str(o.get("candidate"))): o.get("output") for o in export.get("outputs") or ()}
    cands = [str(c["id"]) for c in export.get("candidates") or ()]
    weights = np.vstack([np.ones(len(items)), resample_counts(len(items), max(resamples, 1), seed)]).astype(float)
    result: dict = {"kind": kind, "primary": PRIMARY[kind], "inputs": len(items), "resamples": resamples,
                    "candidates": {}}
    primary_draws: dict[str, np.ndarray] = {}
    preds_by: dict[str, list[str | None]] = {}
    for c in cands:
        preds = []
        for i in items:
            out = outs.get((i, c))
            preds.append(spec.prediction(out) if isinstance(out, dict) else None)
        preds_by[c] = preds
        row: dict = {"missing": sum(p is None for p in preds)}
        for name, fn in metric_functions(kind, preds, [refs[i] for i in items]).items():
            values = fn(weights)
            lo, hi = np.percentile(values[1:], [2.5, 97.5]) if resamples > 0 else (np.nan, np.nan)
            row[name] = {"value": round(float(values[0]), 4), "ci_low": _num(lo), "ci_high": _num(hi)}
            if name == PRIMARY[kind]:
                primary_draws[c] = values
        result["candidates"][c] = row
    result["paired_test"] = _paired(kind, items, refs, preds_by, primary_draws)
    return result


def _num(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 4)


def _paired(kind: str, items: list[str], refs: dict, preds_by: dict, draws: dict) -> dict | None:
    if len(draws) < 2:
        return None
    a, b = sorted(draws, key=lambda c: -draws[c][0])[:2]
    observed = float(draws[a][0] - draws[b][0])
    test = {"a": a, "b": b, "metric": PRIMARY[kind], "difference": round(observed, 4)}
    if kind == "classification":
        right = {c: [_label(p) == _label(refs[i]) for p, i in zip(preds_by[c], items)] for c in (a, b)}
        return {**test, **mcnemar_exact(right[a], right[b])}
    if len(draws[a]) < 2:
        return {**test, "method": BOOTSTRAP, "p_value": None}
    return {**test, **paired_bootstrap(draws[a][1:], draws[b][1:], observed)}
