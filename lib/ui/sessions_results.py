"""The Results and Share sections: the leaderboard (Bradley–Terry on an Elo-like scale with bootstrap
intervals, refreshed while raters vote), metrics against references, agreement between raters, speed
and memory beside quality; the link, the exports and the Markdown report."""
from __future__ import annotations

import json
from typing import Any

import streamlit as st

from lib import format as fmt
from lib import i18n
from lib.i18n import _, ngettext
from lib.ui import sessions_view as view

P = "sess_res_"
REFRESH_S = 5.0


def _report(session_id: str) -> tuple[dict, dict]:
    """(export, report) for ``session_id``; the report is recomputed only when votes, scores or outputs
    changed (the leaderboard refreshes every few seconds for every viewer), or the language (its reasons are
    words)."""
    from lib.sessions import report, store

    export = store.export_session(session_id)
    version = (len(export["votes"]), max((v["at"] for v in export["votes"]), default=""),
               len(export["scores"]), max((s.get("at") or "" for s in export["scores"]), default=""),
               len(export["outputs"]), i18n.current())
    memo = st.session_state.get(P + "memo")
    if memo and memo[0] == (session_id, version):
        return export, memo[1]
    rep = report.report(export)
    st.session_state[P + "memo"] = ((session_id, version), rep)
    return export, rep


@st.fragment(run_every=REFRESH_S)
def leaderboard(session_id: str, hardware: Any) -> None:
    """Everything the Results section shows; refreshed every few seconds without a reload."""
    export, rep = _report(session_id)
    board = rep["leaderboard"]
    n_votes = len(export["votes"])
    raters = len({v["rater"] for v in export["votes"]})
    n_scores = len(export["scores"])
    st.caption(ngettext("{n} pairwise vote", "{n} pairwise votes", n_votes).format(n=fmt.number(n_votes)) + " "
               + ngettext("from {n} rater", "from {n} raters", raters).format(n=fmt.number(raters)) + " · "
               + ngettext("{n} score", "{n} scores", n_scores).format(n=fmt.number(n_scores)) + " · "
               + _("refreshed every {n} s").format(n=fmt.number(REFRESH_S, decimals=0)))
    if not n_votes:
        st.info(_("No vote yet: open **{rate}** to compare outputs blind. The leaderboard fills in as votes "
                  "arrive.").format(rate=_(view.SECTIONS[2])), icon=":material/how_to_vote:")
    limit = _memory_limit(hardware)
    rows = []
    for rank, r in enumerate(board, 1):
        peak = r.get("peak_bytes")
        rows.append({
            "#": rank, _("model"): view.candidate_name(r),
            "Elo": "—" if r.get("elo") is None else fmt.number(r["elo"], decimals=0),
            _("95 % CI"): "—" if r.get("ci_low") is None else
            f"{fmt.number(r['ci_low'], decimals=0)}–{fmt.number(r['ci_high'], decimals=0)}",
            _("votes"): r["votes"], _("W/L/T"): f"{r['wins']}/{r['losses']}/{r['ties']}",
            _("status"): _("provisional") if r.get("provisional") else "",
            _("mean ★"): "—" if r.get("mean_score") is None else fmt.number(r["mean_score"], decimals=2),
            "p50": _ms(r.get("latency_p50_s")), "p95": _ms(r.get("latency_p95_s")),
            _("peak memory"): fmt.size_bytes(peak) if peak else "—",
            _("of this machine"): fmt.percent(peak / limit) if peak and limit else "—",
        })
        if any(b.get("ttft_p50_s") is not None for b in board):  # remote text generation: streamed speed
            rows[-1][_("first token")] = _ms(r.get("ttft_p50_s"))
            rows[-1][_("tokens/s")] = "—" if r.get("tokens_per_s") is None else fmt.number(r["tokens_per_s"],
                                                                                          decimals=1)
    st.dataframe(rows, hide_index=True, width="stretch", key=P + "board")
    note = (rep.get("session") or {}).get("provisional_below")
    if board:
        st.caption((_("\"provisional\": fewer than {n} votes include the model; its interval is wide.").format(
                        n=fmt.number(note)) + " " if any(r.get("provisional") for r in board) else "")
                   + _("Strengths are Bradley–Terry maximum likelihood (a tie or \"both bad\" counts half a win "
                       "each), intervals from resampling inputs."))
    if n_votes:
        _interval_chart(board)
        _win_matrix(rep, export)
    _metrics(rep.get("metrics") or {}, export)
    _agreement(rep.get("agreement") or {}, {i["id"]: i.get("text") or i["id"] for i in export["inputs"]})


def _ms(s: float | None) -> str:
    return "—" if s is None else _("{ms} ms").format(ms=fmt.number(s * 1000, decimals=0))


def _memory_limit(hw: Any) -> int | None:
    gpu = next((g for g in getattr(hw, "gpus", ()) if g.kind == "cuda"), None)
    if gpu is not None and gpu.total_bytes:
        return int(gpu.total_bytes)
    return getattr(hw, "ram_total_bytes", None)


def _interval_chart(board: list[dict]) -> None:
    import altair as alt
    import pandas as pd

    df = pd.DataFrame([{"model": view.candidate_name(r), "elo": r["elo"], "low": r["ci_low"],
                        "high": r["ci_high"]} for r in board if r.get("elo") is not None])
    if df.empty:
        return
    order = list(df.sort_values("elo", ascending=False)["model"])
    base = alt.Chart(df).encode(y=alt.Y("model:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)))
    rule = base.mark_rule(strokeWidth=2, color="#1f77b4").encode(
        x=alt.X("low:Q", title=_("Elo-like strength (95 % interval)"), scale=alt.Scale(zero=False)), x2="high:Q")
    dot = base.mark_circle(size=90, color="#ff9d00").encode(
        # i18n: "Elo" is the scale's name
        x="elo:Q", tooltip=[alt.Tooltip("model:N", title=_("model")), alt.Tooltip("elo:Q", format=".0f", title="Elo"),
                            alt.Tooltip("low:Q", format=".0f", title=_("low")),
                            alt.Tooltip("high:Q", format=".0f", title=_("high"))])
    h = 40 * len(df) + 30
    st.altair_chart((rule + dot).properties(height=h), width="stretch", height=h + 60)


def _win_matrix(rep: dict, export: dict) -> None:
    wm = rep.get("win_matrix") or {}
    if not any(v for row in wm.get("votes") or [] for v in row):
        return
    names = {c["id"]: view.candidate_name(c) for c in export["candidates"]}
    ids = wm["candidates"]
    st.markdown(_("**Win rate** (row beats column; a tie or \"both bad\" counts half)"))
    rows = [{"": names.get(a, a), **{names.get(b, b): ("–" if x is None else fmt.percent(x))
                                      for b, x in zip(ids, wm["rate"][i], strict=True)}}
            for i, a in enumerate(ids)]
    st.dataframe(rows, hide_index=True, width="stretch", key=P + "wins")


def _metrics(metrics: dict, export: dict) -> None:
    from lib.sessions import metrics as metrics_mod

    if not metrics:
        return
    st.markdown(_("**Against the references**"))
    if metrics.get("reason"):
        st.caption(metrics["reason"])
        return
    names = metrics_mod.NAMES[metrics["kind"]]
    pct = metrics_mod.in_percent(metrics["kind"])
    models = {c["id"]: view.candidate_name(c) for c in export["candidates"]}
    kind = metrics["kind"]
    rows = [{_("model"): models.get(c, c),
             **{_(metrics_mod.LABELS[n]): fmt.decimal_marks(metrics_mod.shown(kind, row[n])) for n in names},
             _("no output"): row.get("missing", 0)} for c, row in metrics["candidates"].items()]
    n_ref = metrics.get("inputs", 0)
    st.caption(ngettext("{n} input with a reference", "{n} inputs with a reference", n_ref).format(
        n=fmt.number(n_ref)) + " · " + _("95 % bootstrap intervals over inputs")
        + (" · " + _("percent") if pct else ""))
    st.dataframe(rows, hide_index=True, width="stretch", key=P + "metrics")
    test = metrics.get("paired_test")
    if test and test.get("p_value") is not None:
        st.caption(_("{method} between {a} and {b} on {metric}: difference {difference}, p = {p}.").format(
            method=_(test["method"]), a=fmt.md_escape(models.get(test["a"], "")),
            b=fmt.md_escape(models.get(test["b"], "")), metric=_(metrics_mod.LABELS[test["metric"]]),
            difference=fmt.significant(test["difference"], 4), p=fmt.significant(test["p_value"], 3)))


def _agreement(agr: dict, texts: dict[str, str]) -> None:
    if not agr:
        return
    st.markdown(_("**Agreement between raters**"))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Krippendorff's α (votes)"), _num(agr.get("votes_alpha")),
              help=agr.get("votes_alpha_reason"))  # i18n: a key of the report
    c2.metric(_("Krippendorff's α (scores)"), _num(agr.get("scores_alpha")),
              help=agr.get("scores_alpha_reason"))  # i18n: a key of the report
    c3.metric(_("Raw agreement (votes)"),
              "—" if agr.get("percent_agreement") is None else fmt.percent(agr["percent_agreement"]))
    c4.metric(_("Cohen's κ (2 raters)"), _num(agr.get("cohen_kappa")),
              help=agr.get("cohen_kappa_reason"))  # i18n: a key of the report
    for key, what in (("votes_alpha_reason", _("Votes")), ("scores_alpha_reason", _("Scores"))):
        if agr.get(key):
            st.caption(_("{what}: {reason}").format(what=what, reason=agr[key]))
    disputed = agr.get("disputed") or []
    if disputed:
        st.markdown(_("Most disputed inputs"))
        st.dataframe(disputed_rows(disputed, texts), hide_index=True, width="stretch", key=P + "disputed")


def disputed_rows(disputed: list[dict], texts: dict[str, str]) -> list[dict]:
    """The most disputed inputs as the table shows them: the input's text, and columns named for people (the
    report's keys, e.g. ``disagreeing_pairs``, were shown as they are)."""
    def dash(v: Any, shown: str | None = None) -> Any:
        return "—" if v is None else (shown if shown is not None else v)

    return [{_("input"): texts.get(d.get("input"), d.get("input")),
             _("rater pairs (votes)"): dash(d.get("vote_pairs")),
             _("disagreeing pairs"): dash(d.get("disagreeing_pairs")),
             _("disagreement"): dash(d.get("disagreement"),
                                     None if d.get("disagreement") is None else fmt.percent(d["disagreement"])),
             _("score gap (★)"): dash(d.get("score_gap"))} for d in disputed]


def _num(x: float | None) -> str:
    return "—" if x is None else fmt.number(x, decimals=3)


def share(session: Any) -> None:
    """The session's link, the JSON / CSV exports and the Markdown report."""
    from lib.sessions import report, store

    st.markdown(_("**Link** — anyone with it opens this session (and can rate):"))
    base = (st.context.url or "").split("?")[0]
    st.code(f"{base}?session={session.id}", language=None)
    export = store.export_session(session.id)
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in session.name)[:60] or "session"
    c1, c2, c3 = st.columns(3)
    c1.download_button(_("Export JSON"), json.dumps(export, ensure_ascii=False, indent=1), f"{stem}.json",
                       "application/json", key=P + "json", icon=":material/data_object:",
                       help=_("Everything: inputs, outputs, votes, scores, settings. Import it into another "
                              "Hub Scout."))
    c2.download_button(_("Export CSV"), store.export_csv(session.id), f"{stem}.csv", "text/csv", key=P + "csv",
                       icon=":material/table:")
    c3.download_button(_("Markdown report"), report.markdown(export),
                       f"{stem}-report.md", "text/markdown",  # i18n: a file name and its type
                       key=P + "md", icon=":material/description:")
    st.caption(_("For scripts and CI: `python -m lib.sessions report EXPORT.json` prints the leaderboard, "
                 "agreement and metrics as JSON."))
