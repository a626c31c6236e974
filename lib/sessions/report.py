"""A session's results from its export dict: :func:`report` (the numbers, as ``python -m lib.sessions report``
prints them and the page shows them) and :func:`markdown` (the shareable Markdown report).

``report(export)`` keys: ``leaderboard`` (Bradley–Terry rows from :mod:`.stats`, plus mean score, latency
p50/p95, peak memory, and where it ran — ``backend`` (its URL parameters, null: this machine), ``runs_on`` in
words, ``name`` = the model and its backend — per candidate; for a remote text generation the median time to
first token and tokens/s), ``agreement`` (:mod:`.agreement`), ``metrics`` (:mod:`.metrics`),
``win_matrix`` and ``session`` (what was compared, how, and the statistics' settings).
"""
from __future__ import annotations

from datetime import UTC, datetime

from lib.format import md_escape, shown_value, size_bytes

from . import agreement as agreement_mod
from . import metrics as metrics_mod
from . import stats
from .candidates import name, where

ELO_NOTE = (f"Bradley–Terry strengths (maximum likelihood; a tie or “both bad” is half a win for each side) on an "
            f"Elo-like scale: elo = {stats.ELO_MEAN:g} + 400 · strength / ln 10, mean {stats.ELO_MEAN:g}; "
            f"95 % intervals from a bootstrap that resamples inputs. Provisional: fewer than "
            f"{stats.PROVISIONAL_VOTES} votes.")


def _candidate_extras(export: dict) -> dict[str, dict]:
    scores: dict[str, list[float]] = {}
    for s in export.get("scores") or ():
        if isinstance(s.get("score"), (int, float)) and not isinstance(s.get("score"), bool):
            scores.setdefault(str(s.get("candidate")), []).append(float(s["score"]))
    out = {}
    for c in export.get("candidates") or ():
        cid, st = str(c["id"]), c.get("stats") or {}
        got = scores.get(cid, [])
        out[cid] = {"revision": c.get("revision"),
                    "mean_score": round(sum(got) / len(got), 3) if got else None, "scores": len(got),
                    "latency_p50_s": st.get("latency_p50_s"), "latency_p95_s": st.get("latency_p95_s"),
                    "peak_bytes": st.get("peak_bytes"), "load_s": st.get("load_s"), "error": st.get("error"),
                    "backend": c.get("backend"), "runs_on": where(c.get("backend")),
                    "name": name(str(c.get("model")), c.get("backend")),
                    "ttft_p50_s": st.get("ttft_p50_s"), "tokens_per_s": st.get("tokens_per_s")}
    return out


def report(export: dict, *, seed: int = 0, resamples: int = stats.DEFAULT_RESAMPLES) -> dict:
    """Every number of the session's results (JSON-ready)."""
    extras = _candidate_extras(export)
    board = [{**row, **extras.get(row["candidate"], {})}
             for row in stats.leaderboard(export, seed=seed, resamples=resamples)]
    t = stats.tally(export)
    session = export.get("session") or {}
    return {
        "leaderboard": board,
        "agreement": agreement_mod.agreement(export),
        "metrics": metrics_mod.evaluate(export, seed=seed, resamples=resamples),
        "win_matrix": stats.win_matrix(t),
        "session": {"id": session.get("id"), "name": session.get("name"), "task": session.get("task"),
                    "created": session.get("created"), "settings": session.get("settings") or {},
                    "candidates": len(export.get("candidates") or ()), "inputs": len(export.get("inputs") or ()),
                    "outputs": len(export.get("outputs") or ()), "votes": int(t.votes.sum() // 2),
                    "ignored_votes": t.ignored, "scores": len(export.get("scores") or ()),
                    "seed": seed, "resamples": resamples, "provisional_below": stats.PROVISIONAL_VOTES,
                    "scale": ELO_NOTE, "generated": datetime.now(UTC).isoformat(timespec="seconds")},
    }


# --------------------------------------------------------------------------- Markdown
def _n(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def _s(x: float | None) -> str:
    return "–" if x is None else (f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s")


def _cell(text: object) -> str:
    return md_escape(shown_value(text, 80))


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


def _leaderboard_lines(rep: dict) -> list[str]:
    rows = []
    for rank, r in enumerate(rep["leaderboard"], 1):
        note = "provisional" if r["provisional"] else ""
        if r.get("error"):
            note = (note + "; " if note else "") + "failed: " + _cell(r["error"])
        rows.append([str(rank), _cell(r.get("name") or r["model"]), _n(r["elo"]),
                     "–" if r["ci_low"] is None else f"{r['ci_low']:,.0f} – {r['ci_high']:,.0f}",
                     str(r["votes"]), f"{r['wins']} / {r['losses']} / {r['ties']}", _n(r["mean_score"], 2),
                     _s(r["latency_p50_s"]), _s(r["latency_p95_s"]), size_bytes(r["peak_bytes"]), note])
    return ["## Leaderboard", "", *_table(["#", "Model", "Elo", "95 % interval", "Votes", "W / L / T",
                                            "Mean score", "Latency p50", "Latency p95", "Peak memory", ""], rows),
            "", ELO_NOTE, ""]


def _win_lines(rep: dict, models: dict) -> list[str]:
    wm = rep["win_matrix"]
    if not any(v for row in wm["votes"] for v in row):
        return []
    head = ["Row beats column", *(_cell(models.get(c, c)) for c in wm["candidates"])]
    rows = [[_cell(models.get(c, c)), *("–" if x is None else f"{x:.0%}" for x in wm["rate"][i])]
            for i, c in enumerate(wm["candidates"])]
    return ["## Win rates", "", *_table(head, rows), ""]


def _metric_lines(rep: dict, models: dict) -> list[str]:
    m = rep["metrics"]
    if m.get("reason"):
        return ["## Reference metrics", "", md_escape(m["reason"]), ""]
    names = metrics_mod.NAMES[m["kind"]]
    pct = metrics_mod.in_percent(m["kind"])

    rows = [[_cell(models.get(c, c)), *(metrics_mod.shown(m["kind"], row[n]) for n in names), str(row["missing"])]
            for c, row in m["candidates"].items()]
    lines = ["## Reference metrics", "", f"{m['inputs']} inputs with a reference; 95 % bootstrap intervals over "
             f"inputs{' (percent)' if pct else ''}.", "",
             *_table(["Model", *(metrics_mod.LABELS[n] for n in names), "No output"], rows), ""]
    test = m.get("paired_test")
    if test and test.get("p_value") is not None:
        lines += [f"{test['method']} between {_cell(models.get(test['a']))} and {_cell(models.get(test['b']))} "
                  f"on {metrics_mod.LABELS[test['metric']]}: difference {test['difference']:.4g}, "
                  f"p = {test['p_value']:.3g}.", ""]
    return lines


def _agreement_lines(rep: dict, export: dict) -> list[str]:
    a = rep["agreement"]

    def val(key: str) -> str:
        return f"{a[key]:.3f}" if a[key] is not None else f"– ({a.get(key + '_reason') or 'not enough data'})"

    share = "–" if a["percent_agreement"] is None else f"{a['percent_agreement']:.0%} of {a['agreement_pairs']} pairs"
    lines = ["## Agreement between raters", "", f"Raters: {len(a['raters'])}.", "",
             f"- Krippendorff's α, votes (nominal): {val('votes_alpha')}",
             f"- Krippendorff's α, scores (interval): {val('scores_alpha')}",
             f"- Raw agreement on votes: {share}", f"- Cohen's κ (two raters): {val('cohen_kappa')}", ""]
    if a["disputed"]:
        texts = {str(i["id"]): i.get("text") for i in export.get("inputs") or ()}
        rows = [[_cell(d["input"]), _cell(texts.get(d["input"]) or ""),
                 f"{d['disagreeing_pairs']} of {d['vote_pairs']}", _n(d["score_gap"], 2)] for d in a["disputed"]]
        lines += ["Most disputed inputs:", "", *_table(["Input", "Text", "Disagreeing vote pairs", "Mean score gap"],
                                                        rows), ""]
    return lines


def _settings_lines(export: dict) -> list[str]:
    settings = (export.get("session") or {}).get("settings") or {}
    gen = settings.get("generation") or {}
    lines = ["## Settings", "",
             f"- dtype: {_cell(settings.get('dtype') or '–')}; device: {_cell(settings.get('device') or '–')}; "
             f"batch size: {_cell(settings.get('batch_size') or '–')}"]
    if gen:
        lines.append("- generation: " + ", ".join(f"{_cell(k)} = {_cell(v)}" for k, v in gen.items()))
    for c in export.get("candidates") or ():
        remote = c.get("backend") is not None and where(c.get("backend")) != "this machine"
        speed = _speed_line(c.get("stats") or {})
        lines.append(f"- {_cell(c['id'])}: {_cell(c.get('model'))} @ "
                     f"{_cell(c.get('revision') or ('the server’s copy' if remote else 'no revision'))}, "
                     f"ran on {_cell(where(c.get('backend')))}{speed}")
    return [*lines, ""]


def _speed_line(st: dict) -> str:
    bits = []
    if st.get("ttft_p50_s") is not None:
        bits.append(f"time to first token {_s(st['ttft_p50_s'])}")
    if st.get("tokens_per_s") is not None:
        bits.append(f"{st['tokens_per_s']:.1f} tokens/s")
    return f" ({', '.join(bits)}, medians)" if bits else ""


def markdown(export: dict, *, seed: int = 0, resamples: int = stats.DEFAULT_RESAMPLES,
             rep: dict | None = None) -> str:
    """The session's Markdown report: leaderboard with intervals, win rates, reference metrics, agreement,
    settings, latency and memory per candidate, dates. ``rep``: an already computed :func:`report`."""
    rep = rep or report(export, seed=seed, resamples=resamples)
    s = rep["session"]
    models = {str(c["id"]): name(str(c.get("model")), c.get("backend")) for c in export.get("candidates") or ()}
    lines = [f"# Session report: {_cell(s['name'] or s['id'] or 'unnamed')}", "",
             f"Task: {_cell(s['task'])} · created {_cell(s['created'] or '–')} · report {s['generated']} · "
             f"{s['candidates']} candidates, {s['inputs']} inputs, {s['votes']} votes, {s['scores']} scores "
             f"(bootstrap: {s['resamples']} resamples, seed {s['seed']})", ""]
    lines += _leaderboard_lines(rep) + _win_lines(rep, models) + _metric_lines(rep, models)
    lines += _agreement_lines(rep, export) + _settings_lines(export)
    return "\n".join(lines)
