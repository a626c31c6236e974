"""A session's results from its export dict: :func:`report` (the numbers, as ``python -m lib.sessions report``
prints them and the page shows them) and :func:`markdown` (the shareable Markdown report).

``report(export)`` keys: ``leaderboard`` (Bradley–Terry rows from :mod:`.stats`, plus mean score, latency
p50/p95, peak memory, and where it ran — ``backend`` (its URL parameters, null: this machine), ``runs_on`` in
words, ``name`` = the model and its backend — per candidate; for a remote text generation the median time to
first token and tokens/s), ``agreement`` (:mod:`.agreement`), ``metrics`` (:mod:`.metrics`),
``win_matrix`` and ``session`` (what was compared, how, and the statistics' settings). Its keys and codes are
data for programs (English); its few sentences (``session.scale``, the reasons) are in the current language.

:func:`markdown` is in the current language (:mod:`lib.i18n`: the page's, or ``python -m lib.sessions report
--lang``): headings, table headers, notes and interval wording from the catalogue, numbers and dates through
:mod:`lib.format` (``0.85`` / ``0,85``, ``Dec 1, 2026`` / ``1 dic 2026``). Model ids, inputs and outputs, and
the session's name are shown as they are, never translated.
"""
from __future__ import annotations

from datetime import UTC, datetime

from lib import format as fmt
from lib import i18n
from lib.format import md_escape, shown_value
from lib.i18n import N_, _, ngettext

from . import agreement as agreement_mod
from . import metrics as metrics_mod
from . import stats
from .candidates import backend_of, name, where

#: the paired tests :mod:`.metrics` names, for people
# i18n: the keys are the ``method`` codes :mod:`.metrics` gives (data); the values are in the catalogue
METHODS = {"McNemar exact": N_("McNemar exact"), "paired bootstrap": N_("paired bootstrap")}


def elo_note() -> str:
    """How the leaderboard's numbers are made, in the current language."""
    return _("Bradley–Terry strengths (maximum likelihood; a tie or “both bad” is half a win for each side) on an "
             "Elo-like scale: elo = {mean} + 400 · strength / ln 10, mean {mean}; 95 % intervals from a bootstrap "
             "that resamples inputs. Provisional: fewer than {n} votes.").format(
        mean=fmt.number(stats.ELO_MEAN), n=fmt.number(stats.PROVISIONAL_VOTES))


def _english(fn, *args):
    """Data in the JSON report is the same in every language (a script reads it): English words."""
    with i18n.scope("en"):
        return fn(*args)


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
                    "backend": c.get("backend"), "runs_on": _english(where, c.get("backend")),
                    "name": _english(name, str(c.get("model")), c.get("backend")),
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
                    "scale": elo_note(), "generated": datetime.now(UTC).isoformat(timespec="seconds")},
    }


# --------------------------------------------------------------------------- Markdown
def _n(x: float | None, digits: int = 0) -> str:
    return fmt.number(x, decimals=digits)


def _s(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{fmt.number(x * 1000, decimals=0)} ms" if x < 1 else f"{fmt.number(x, decimals=2)} s"


def _when(value: object) -> str:
    """An ISO time as the day in the language's style and a 24-hour UTC time (``Dec 1, 2026 10:00 UTC``);
    anything else shown as it is."""
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return _cell(value or "–")
        when = when.astimezone(UTC) if when.tzinfo else when
        return f"{fmt.date(when)} {when:%H:%M} UTC"
    return _cell(value if value else "–")


def _cell(text: object) -> str:
    return md_escape(shown_value(text, 80))


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


def _leaderboard_lines(rep: dict) -> list[str]:
    rows = []
    for rank, r in enumerate(rep["leaderboard"], 1):
        note = _("provisional") if r["provisional"] else ""
        if r.get("error"):
            note = (note + "; " if note else "") + _("failed: {error}").format(error=_cell(r["error"]))
        rows.append([str(rank), _cell(r.get("name") or r["model"]), _n(r["elo"]),
                     "–" if r["ci_low"] is None else f"{_n(r['ci_low'])} – {_n(r['ci_high'])}",
                     _n(r["votes"]), f"{_n(r['wins'])} / {_n(r['losses'])} / {_n(r['ties'])}",
                     _n(r["mean_score"], 2), _s(r["latency_p50_s"]), _s(r["latency_p95_s"]),
                     fmt.size_bytes(r["peak_bytes"]), note])
    head = ["#", _("Model"), "Elo", _("95 % interval"), _("Votes"), _("W / L / T"), _("Mean score"),
            _("Latency p50"), _("Latency p95"), _("Peak memory"), ""]
    return ["## " + _("Leaderboard"), "", *_table(head, rows), "", elo_note(), ""]


def _win_lines(rep: dict, models: dict) -> list[str]:
    wm = rep["win_matrix"]
    if not any(v for row in wm["votes"] for v in row):
        return []
    head = [_("Row beats column"), *(_cell(models.get(c, c)) for c in wm["candidates"])]
    rows = [[_cell(models.get(c, c)), *("–" if x is None else fmt.percent(x) for x in wm["rate"][i])]
            for i, c in enumerate(wm["candidates"])]
    return ["## " + _("Win rates"), "", *_table(head, rows), ""]


def _metric_lines(rep: dict, models: dict) -> list[str]:
    m = rep["metrics"]
    title = "## " + _("Reference metrics")
    if m.get("reason"):
        return [title, "", md_escape(_(m["reason"])), ""]
    names = metrics_mod.NAMES[m["kind"]]
    pct = metrics_mod.in_percent(m["kind"])
    n = m["inputs"]
    if pct:
        intro = ngettext("{n} input with a reference; 95 % bootstrap intervals over inputs (percent).",
                         "{n} inputs with a reference; 95 % bootstrap intervals over inputs (percent).", n)
    else:
        intro = ngettext("{n} input with a reference; 95 % bootstrap intervals over inputs.",
                         "{n} inputs with a reference; 95 % bootstrap intervals over inputs.", n)
    rows = [[_cell(models.get(c, c)), *(fmt.decimal_marks(metrics_mod.shown(m["kind"], row[k])) for k in names),
             _n(row["missing"])] for c, row in m["candidates"].items()]
    lines = [title, "", intro.format(n=fmt.number(n)), "",
             *_table([_("Model"), *(_(metrics_mod.LABELS[k]) for k in names), _("No output")], rows), ""]
    test = m.get("paired_test")
    if test and test.get("p_value") is not None:
        lines += [_("{method} between {a} and {b} on {metric}: difference {difference}, p = {p}.").format(
            method=_(METHODS.get(test["method"], test["method"])), a=_cell(models.get(test["a"])),
            b=_cell(models.get(test["b"])), metric=_(metrics_mod.LABELS[test["metric"]]),
            difference=fmt.significant(test["difference"], 4), p=fmt.significant(test["p_value"], 3)), ""]
    return lines


def _agreement_lines(rep: dict, export: dict) -> list[str]:
    a = rep["agreement"]

    def val(key: str) -> str:
        if a[key] is not None:
            return _n(a[key], 3)
        reason = a.get(key + "_reason") or N_("not enough data")
        return f"– ({_(reason)})"

    share = "–" if a["percent_agreement"] is None else _("{share} of {n} pairs").format(
        share=fmt.percent(a["percent_agreement"]), n=_n(a["agreement_pairs"]))
    lines = ["## " + _("Agreement between raters"), "", _("Raters: {n}.").format(n=_n(len(a["raters"]))), "",
             "- " + _("Krippendorff's α, votes (nominal): {value}").format(value=val("votes_alpha")),
             "- " + _("Krippendorff's α, scores (interval): {value}").format(value=val("scores_alpha")),
             "- " + _("Raw agreement on votes: {share}").format(share=share),
             "- " + _("Cohen's κ (two raters): {value}").format(value=val("cohen_kappa")), ""]
    if a["disputed"]:
        texts = {str(i["id"]): i.get("text") for i in export.get("inputs") or ()}
        rows = [[_cell(d["input"]), _cell(texts.get(d["input"]) or ""),
                 _("{n} of {total}").format(n=_n(d["disagreeing_pairs"]), total=_n(d["vote_pairs"])),
                 _n(d["score_gap"], 2)] for d in a["disputed"]]
        head = [_("Input"), _("Text"), _("Disagreeing vote pairs"), _("Mean score gap")]
        lines += [_("Most disputed inputs:"), "", *_table(head, rows), ""]
    return lines


def _settings_lines(export: dict) -> list[str]:
    settings = (export.get("session") or {}).get("settings") or {}
    gen = settings.get("generation") or {}
    lines = ["## " + _("Settings"), "",
             "- " + _("dtype: {dtype}; device: {device}; batch size: {batch_size}").format(
                 dtype=_cell(settings.get("dtype") or "–"), device=_cell(settings.get("device") or "–"),
                 batch_size=_cell(settings.get("batch_size") or "–"))]
    if gen:
        lines.append("- " + _("generation: {settings}").format(
            settings=", ".join(f"{_cell(k)} = {_cell(v)}" for k, v in gen.items())))
    for c in export.get("candidates") or ():
        remote = backend_of(c.get("backend")) is not None
        revision = c.get("revision") or (_("the server’s copy") if remote else _("no revision"))
        lines.append("- " + _("{id}: {model} @ {revision}, ran on {where}").format(
            id=_cell(c["id"]), model=_cell(c.get("model")), revision=_cell(revision),
            where=_cell(where(c.get("backend")))) + _speed_line(c.get("stats") or {}))
    return [*lines, ""]


def _speed_line(st: dict) -> str:
    bits = []
    if st.get("ttft_p50_s") is not None:
        bits.append(_("time to first token {time}").format(time=_s(st["ttft_p50_s"])))
    if st.get("tokens_per_s") is not None:
        bits.append(_("{n} tokens/s").format(n=fmt.number(st["tokens_per_s"], decimals=1)))
    return " " + _("({speeds}, medians)").format(speeds=", ".join(bits)) if bits else ""


def markdown(export: dict, *, seed: int = 0, resamples: int = stats.DEFAULT_RESAMPLES,
             rep: dict | None = None) -> str:
    """The session's Markdown report, in the current language: leaderboard with intervals, win rates, reference
    metrics, agreement, settings, latency and memory per candidate, dates. ``rep``: an already computed
    :func:`report` (its sentences are made again here, in the current language)."""
    rep = rep or report(export, seed=seed, resamples=resamples)
    s = rep["session"]
    models = {str(c["id"]): name(str(c.get("model")), c.get("backend")) for c in export.get("candidates") or ()}
    counts = [ngettext("{n} candidate", "{n} candidates", s["candidates"]),
              ngettext("{n} input", "{n} inputs", s["inputs"]), ngettext("{n} vote", "{n} votes", s["votes"]),
              ngettext("{n} score", "{n} scores", s["scores"])]
    about = " · ".join([
        _("Task: {task}").format(task=_cell(s["task"])), _("created {when}").format(when=_when(s["created"])),
        _("report {when}").format(when=_when(s["generated"])),
        ", ".join(c.format(n=_n(n)) for c, n in zip(counts, (s["candidates"], s["inputs"], s["votes"], s["scores"])))
    ]) + " " + _("(bootstrap: {n} resamples, seed {seed})").format(n=_n(s["resamples"]), seed=s["seed"])
    lines = ["# " + _("Session report: {name}").format(name=_cell(s["name"] or s["id"] or _("unnamed"))), "",
             about, ""]
    lines += _leaderboard_lines(rep) + _win_lines(rep, models) + _metric_lines(rep, models)
    lines += _agreement_lines(rep, export) + _settings_lines(export)
    return "\n".join(lines)
