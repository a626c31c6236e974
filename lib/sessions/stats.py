"""Bradley–Terry strengths from a session's blind pairwise votes, on an Elo-like scale, with bootstrap intervals.

Works on the export dict (``lib/sessions`` contract: ``candidates``, ``votes``), never on the database.

* A vote ``left`` / ``right`` is one win for that side; ``tie`` and ``both_bad`` are half a win for each side
  (as Chatbot Arena counts them).
* Strengths θ are the maximum-likelihood Bradley–Terry parameters, P(a beats b) = 1 / (1 + exp(θ_b − θ_a)),
  with a small Gaussian penalty ``ALPHA · Σθ²`` (choix's ``opt_pairwise`` objective) so that a candidate that
  won or lost every vote, or a group never compared with the rest, still gets a finite strength. The penalty
  also pins the mean strength to 0. The optimiser is scipy's L-BFGS-B, run once over all bootstrap resamples
  together (their objectives are independent, so the joint minimum is each one's minimum); the tests check
  the fit against choix.
* Elo-like scale: ``elo = 1000 + 400 · θ / ln 10`` — 400 points are a 10:1 odds ratio, as in chess and Chatbot
  Arena, and the mean over the voted candidates is 1000.
* 95 % intervals: percentile bootstrap that resamples INPUTS with replacement (all votes on a drawn input come
  along), ``resamples`` times with a fixed ``seed``: each input's win counts are summed once into a matrix, so a
  resample is a weighted sum of those matrices and every fit is on an n × n matrix.
* A candidate with fewer than :data:`PROVISIONAL_VOTES` votes is marked provisional; one with no vote at all
  has no strength (None).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

#: below this many pairwise votes a candidate's place is "provisional".
PROVISIONAL_VOTES = 20
#: Gaussian penalty on the strengths (``ALPHA · Σθ²``, as choix.opt_pairwise); small next to one vote.
ALPHA = 0.01
#: Elo-like scale: points per unit of strength (400 points = odds of 10:1), and the mean rating.
ELO_PER_STRENGTH = 400 / math.log(10)
ELO_MEAN = 1000.0
#: bootstrap resamples for the intervals.
DEFAULT_RESAMPLES = 1000
CHOICES = ("left", "right", "tie", "both_bad")


def elo(strength: float) -> float:
    """A Bradley–Terry strength on the Elo-like scale."""
    return ELO_MEAN + ELO_PER_STRENGTH * strength


@dataclass(frozen=True)
class Tally:
    """The votes of a session as arrays: ``per_input[k, i, j]`` is how many times candidate i beat j on
    input k (ties as 0.5 each way); ``counts`` per candidate (votes, wins, losses, ties)."""

    candidates: tuple[str, ...]
    inputs: tuple[str, ...]
    per_input: np.ndarray
    votes: np.ndarray
    wins: np.ndarray
    losses: np.ndarray
    ties: np.ndarray
    ignored: int

    @property
    def matrix(self) -> np.ndarray:
        return self.per_input.sum(axis=0)


def tally(export: dict) -> Tally:
    """Count the export's votes. A vote naming an unknown candidate, the same candidate twice or an unknown
    choice is ignored (counted in ``ignored``)."""
    cands = tuple(str(c["id"]) for c in export.get("candidates") or ())
    index = {c: i for i, c in enumerate(cands)}
    n = len(cands)
    rows = []
    ignored = 0
    for v in export.get("votes") or ():
        a, b, choice = index.get(v.get("left")), index.get(v.get("right")), v.get("choice")
        if a is None or b is None or a == b or choice not in CHOICES:
            ignored += 1
            continue
        rows.append((str(v.get("input")), a, b, choice))
    inputs = tuple(dict.fromkeys(r[0] for r in rows))
    where = {k: i for i, k in enumerate(inputs)}
    per_input = np.zeros((len(inputs), n, n))
    votes, wins, losses, ties = (np.zeros(n, dtype=int) for _ in range(4))
    for inp, a, b, choice in rows:
        k = where[inp]
        votes[[a, b]] += 1
        if choice in ("left", "right"):
            w, lo = (a, b) if choice == "left" else (b, a)
            per_input[k, w, lo] += 1
            wins[w] += 1
            losses[lo] += 1
        else:
            per_input[k, a, b] += 0.5
            per_input[k, b, a] += 0.5
            ties[[a, b]] += 1
    return Tally(cands, inputs, per_input, votes, wins, losses, ties, ignored)


def fit(mats: np.ndarray, alpha: float = ALPHA, start: np.ndarray | None = None) -> np.ndarray:
    """Bradley–Terry strengths for each win matrix in ``mats`` (shape (B, n, n) or (n, n); ``mats[.., i, j]``
    = wins of i over j, fractional for ties), centred to mean 0. One L-BFGS-B run over the B independent
    problems; ``start`` (n,) warm-starts every problem."""
    single = mats.ndim == 2
    w = np.asarray(mats, dtype=float).reshape(-1, *mats.shape[-2:])
    b, n, _ = w.shape

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        th = x.reshape(b, n)
        d = th[:, :, None] - th[:, None, :]  # d[., i, j] = θ_i − θ_j
        nll = (w * np.logaddexp(0.0, -d)).sum() + alpha * (th * th).sum()
        g = w * 0.5 * (1.0 - np.tanh(d / 2))  # w_ij · σ(−d_ij), stable for large |d|
        grad = g.sum(axis=1) - g.sum(axis=2) + 2 * alpha * th
        return float(nll), grad.ravel()

    x0 = np.tile(np.zeros(n) if start is None else np.asarray(start, float), b)
    res = minimize(objective, x0, jac=True, method="L-BFGS-B",
                   options={"maxiter": 2000, "maxcor": 20, "ftol": 1e-15, "gtol": 1e-9 * max(1, b)})
    th = res.x.reshape(b, n)
    th = th - th.mean(axis=1, keepdims=True)
    return th[0] if single else th


def resample_counts(n_inputs: int, resamples: int, seed: int) -> np.ndarray:
    """How many times each input is drawn in each bootstrap resample, shape (resamples, n_inputs)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_inputs, np.full(n_inputs, 1.0 / n_inputs), size=resamples)


def bootstrap(t: Tally, *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES, alpha: float = ALPHA,
              start: np.ndarray | None = None) -> np.ndarray:
    """Strengths of ``resamples`` input resamples, shape (resamples, n)."""
    k, n = len(t.inputs), len(t.candidates)
    counts = resample_counts(k, resamples, seed).astype(float)
    mats = (counts @ t.per_input.reshape(k, n * n)).reshape(resamples, n, n)
    return fit(mats, alpha, start)


def win_matrix(t: Tally) -> dict:
    """``rate[i][j]``: the share of i-vs-j votes that i won (ties half); None where they never met."""
    m = t.matrix
    games = m + m.T
    rate = [[None if i == j or games[i, j] == 0 else round(float(m[i, j] / games[i, j]), 4)
             for j in range(len(t.candidates))] for i in range(len(t.candidates))]
    return {"candidates": list(t.candidates), "rate": rate, "votes": games.round().astype(int).tolist()}


def leaderboard(export: dict, *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES, alpha: float = ALPHA) -> list[dict]:
    """One row per candidate, strongest first: candidate, model, strength, elo, ci_low, ci_high (Elo scale,
    95 % percentile bootstrap over inputs), votes, wins, losses, ties, provisional. Candidates without votes
    come last with None strengths."""
    t = tally(export)
    models = {str(c["id"]): c.get("model") for c in export.get("candidates") or ()}
    voted = np.flatnonzero(t.votes > 0)
    strength = np.full(len(t.candidates), np.nan)
    low = np.full(len(t.candidates), np.nan)
    high = np.full(len(t.candidates), np.nan)
    if len(voted) >= 2:
        sub = Tally(tuple(t.candidates[i] for i in voted), t.inputs, t.per_input[:, voted][:, :, voted],
                    t.votes[voted], t.wins[voted], t.losses[voted], t.ties[voted], t.ignored)
        point = fit(sub.matrix, alpha)
        strength[voted] = point
        if resamples > 0:
            boot = bootstrap(sub, seed=seed, resamples=resamples, alpha=alpha, start=point)
            low[voted], high[voted] = np.percentile(boot, [2.5, 97.5], axis=0)

    def num(x: float, scale: bool) -> float | None:
        return None if math.isnan(x) else round(float(elo(x) if scale else x), 1 if scale else 4)

    rows = [{"candidate": c, "model": models.get(c), "strength": num(strength[i], False),
             "elo": num(strength[i], True), "ci_low": num(low[i], True), "ci_high": num(high[i], True),
             "votes": int(t.votes[i]), "wins": int(t.wins[i]), "losses": int(t.losses[i]), "ties": int(t.ties[i]),
             "provisional": bool(t.votes[i] < PROVISIONAL_VOTES)} for i, c in enumerate(t.candidates)]
    rows.sort(key=lambda r: (r["strength"] is None, -(r["strength"] or 0.0)))
    return rows
