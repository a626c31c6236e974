"""Session exports built in code (the export dict of the sessions contract), for the statistics tests and the
leaderboard bench: a hand-made tournament, or a random one drawn from known Bradley–Terry strengths."""
from __future__ import annotations

import numpy as np


def export(votes: list[tuple] = (), *, candidates: int = 2, task: str = "text-classification",
           inputs: list[dict] | None = None, outputs: list[dict] | None = None, scores: list[tuple] = (),
           stats: dict | None = None) -> dict:
    """An export with candidates c1..cN (models org/m1..), ``votes`` as (rater, input, left, right, choice)
    and ``scores`` as (rater, input, candidate, score)."""
    ids = {v[1] for v in votes} | {s[1] for s in scores}
    inputs = inputs if inputs is not None else [{"id": i, "text": f"text of {i}", "reference": None, "inputs": {}}
                                                for i in sorted(ids)]
    return {
        "format": "hubscout-session", "version": 1,
        "session": {"id": "abc123", "name": "Test session", "task": task, "created": "2026-12-01T10:00:00+00:00",
                    "settings": {"dtype": "float32", "device": "cpu", "generation": {}, "batch_size": 8}},
        "candidates": [{"id": f"c{k}", "model": f"org/m{k}", "revision": None, "stats": (stats or {}).get(f"c{k}", {})}
                       for k in range(1, candidates + 1)],
        "inputs": inputs,
        "outputs": outputs or [],
        "votes": [{"rater": r, "input": i, "left": a, "right": b, "choice": c, "at": "2026-12-01T10:05:00+00:00"}
                  for r, i, a, b, c in votes],
        "scores": [{"rater": r, "input": i, "candidate": c, "score": s, "comment": None,
                    "at": "2026-12-01T10:06:00+00:00"} for r, i, c, s in scores],
    }


def random_tournament(n_candidates: int = 8, n_votes: int = 2000, n_inputs: int = 200, seed: int = 0,
                      tie_rate: float = 0.1) -> tuple[dict, np.ndarray]:
    """(export, true strengths): votes between random pairs on random inputs, outcomes drawn from
    Bradley–Terry with the returned strengths; ``tie_rate`` of them ties or both-bad."""
    rng = np.random.default_rng(seed)
    true = np.linspace(-1.0, 1.0, n_candidates)
    rows, seen = [], set()
    for _ in range(n_votes):
        a, b = rng.choice(n_candidates, size=2, replace=False)
        u = rng.random()
        if u < tie_rate:
            choice = "tie" if u < tie_rate / 2 else "both_bad"
        else:
            choice = "left" if rng.random() < 1 / (1 + np.exp(true[b] - true[a])) else "right"
        rater, inp = int(rng.integers(5)), f"i{rng.integers(n_inputs) + 1}"
        while (rater, inp, min(a, b), max(a, b)) in seen:  # one vote per rater, input and pair, as the store keeps
            rater += 5
        seen.add((rater, inp, min(a, b), max(a, b)))
        rows.append((f"r{rater}", inp, f"c{a + 1}", f"c{b + 1}", choice))
    return export(rows, candidates=n_candidates), true
