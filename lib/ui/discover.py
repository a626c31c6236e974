"""Streamlit glue for the Discover page: filters <-> URL, the results table, charts, export.

The URL is the source of truth for a shared link: on the first run of the page (its widgets have
no state yet) the filters are filled from ``st.query_params`` (``CatalogQuery.from_params``); after
every run the URL is rewritten from the widgets (``CatalogQuery.to_params``), plus ``model=`` for
the selected row and ``source=`` (kept by the frame).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from lib import charts as chart_data
from lib import filter_choices as filters
from lib import format as fmt
from lib import results
from lib.catalog.query import MAX_COUNT, SORTS, CatalogQuery
from lib.catalog.result import SearchResult
from lib.hub.records import ModelRecord
from lib.i18n import N_, _, in_current, ngettext
from lib.ui import cached, first_paint

P = "d_"  # widget key prefix
KEYS = {
    "task": P + "task", "search": P + "search", "author": P + "author", "library": P + "library",
    "language": P + "language", "license": P + "license", "size": P + "size",
    "params_min": P + "params_min", "params_max": P + "params_max",
    "min_downloads": P + "min_downloads", "min_likes": P + "min_likes", "sort": P + "sort",
    "limit": P + "limit", "providers": P + "providers",
}
LIMITS = [25, 50, 100, 250, 500, 1000]
_LAST_QUERY = "_discover_last_params"  # survives page switches (widget state does not)
URL_KEYS = {"source", "model", "shortlist"}
_LAST_RANGE = "_discover_last_range"
_URL_PROBLEMS = "_discover_url_problems"  # what the link asked for that the filters could not use
_GRID_SENT = "_discover_grid_sent"  # this browser session has been sent a results table (its code is loaded)
COUNT_BY = {"task": N_("Task"), "library": N_("Library")}  # the counts chart's choices (values stay English)


# ---- state <-> URL ---------------------------------------------------------------------------


def _init_from_url() -> None:
    """Fill the filter widgets from the URL (or the last query) on the page's first run; what the
    URL asked for that could not be used (``min_downloads=1e309``, ``limit=abc``) is said once."""
    if KEYS["task"] in st.session_state:
        return
    url = {k: v for k, v in st.query_params.to_dict().items() if k not in URL_KEYS}
    params = url if url else st.session_state.get(_LAST_QUERY, {})
    q, problems = CatalogQuery.parse_params(params)
    ss = st.session_state
    ss[_URL_PROBLEMS] = problems
    ss[KEYS["task"]] = q.task or ""
    ss[KEYS["search"]] = q.search or ""
    ss[KEYS["author"]] = q.author or ""
    ss[KEYS["library"]] = q.library or ""
    ss[KEYS["language"]] = q.language or ""
    ss[KEYS["license"]] = q.license or ""
    ss[KEYS["size"]] = filters.preset_for(q.params_min, q.params_max)
    ss[KEYS["params_min"]] = fmt.count_text(q.params_min)
    ss[KEYS["params_max"]] = fmt.count_text(q.params_max)
    ss[KEYS["min_downloads"]] = q.min_downloads or 0
    ss[KEYS["min_likes"]] = q.min_likes or 0
    ss[KEYS["providers"]] = q.providers
    ss[KEYS["sort"]] = q.sort
    ss[KEYS["limit"]] = q.limit if q.limit in LIMITS else min(LIMITS, key=lambda n: abs(n - q.limit))


def sync_url(query: CatalogQuery, model_id: str | None) -> None:
    """Rewrite the URL from the current filters and selection (keeps ``source=``)."""
    want = query.to_params()
    if model_id:
        want["model"] = model_id
    for key in ("source", "shortlist"):
        if key in st.query_params:
            want[key] = st.query_params[key]
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)
    st.session_state[_LAST_QUERY] = query.to_params()


# ---- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The query the widgets describe, and a message about input the page could not use."""

    query: CatalogQuery
    problems: tuple[str, ...] = ()


def filter_panel(facets: dict[str, list[tuple[str, int]]] | Callable[[], dict[str, list[tuple[str, int]]]]
                 ) -> Filters:
    """Draw the filters; return the query they describe.

    ``facets`` may be a function (e.g. ``cached.facets``): it is called only after the widgets
    that need no facet counts are drawn, so on a cold start those reach the browser (which then
    loads their code) while the snapshot is still loading. The page looks the same either way.
    """
    _init_from_url()
    ss = st.session_state
    problems: list[str] = list(ss.pop(_URL_PROBLEMS, ()))

    row1 = st.columns([3, 3, 2, 1])
    search = row1[1].text_input(_("Search model names"), key=KEYS["search"],
                                placeholder=_("e.g. bert, llama, whisper"))
    # format_func: in this run's language wherever Streamlit calls it (in_current)
    sort = row1[2].selectbox(_("Sort by"), list(SORTS), key=KEYS["sort"],
                             format_func=in_current(lambda s: _(SORTS[s])))
    limit = row1[3].selectbox(_("Results"), LIMITS, key=KEYS["limit"], format_func=in_current(fmt.number))

    row2 = st.columns(4)
    author = row2[0].text_input(_("Author"), key=KEYS["author"], placeholder=_("e.g. google, Qwen"))

    c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 1, 1])
    size = c1.selectbox(_("Parameters"), filters.preset_labels(), key=KEYS["size"], on_change=_on_size_change,
                        format_func=in_current(filters.preset_text))
    rng = filters.preset_range(size)
    if rng is None:
        lo_text = c2.text_input(_("Min parameters"), key=KEYS["params_min"], placeholder=_("e.g. 100M"))
        hi_text = c3.text_input(_("Max parameters"), key=KEYS["params_max"], placeholder=_("e.g. 1.5B"))
        lo, hi = fmt.parse_count(lo_text), fmt.parse_count(hi_text)
        for text, val, is_min in ((lo_text, lo, True), (hi_text, hi, False)):
            if text.strip() and val is None:
                problems.append((_("Ignored the minimum parameter count {value}: write it like 500M, 1.5B or 7e9.")
                                 if is_min else
                                 _("Ignored the maximum parameter count {value}: write it like 500M, 1.5B or 7e9."))
                                .format(value=fmt.md_code(text)))
            elif val is not None and val > MAX_COUNT:
                problems.append((_("The minimum parameter count {value} is too large: used {limit}.") if is_min else
                                 _("The maximum parameter count {value} is too large: used {limit}."))
                                .format(value=fmt.md_code(text), limit=fmt.count_text(MAX_COUNT)))
        lo, hi = (min(v, MAX_COUNT) if v is not None else None for v in (lo, hi))
        if lo is not None and hi is not None and lo > hi:
            problems.append(_("The minimum parameter count is above the maximum: swapped them."))
            lo, hi = hi, lo
    else:
        lo, hi = rng
        c2.empty()
        c3.empty()
    min_downloads = c4.number_input(_("Min downloads"), min_value=0, max_value=MAX_COUNT, step=1000,
                                    key=KEYS["min_downloads"])
    min_likes = c5.number_input(_("Min likes"), min_value=0, max_value=MAX_COUNT, step=10, key=KEYS["min_likes"])
    served = st.checkbox(_("Served by inference providers"), key=KEYS["providers"],
                         help=_("Only models that at least one Inference Provider serves, to try them without "
                                "downloading (the live Hub knows which; the snapshot does not)"))

    # Then the four choices labelled with counts from the snapshot (loads it on a cold start).
    if callable(facets):
        facets = facets()
    task_counts = dict(facets.get("task", []))
    task_opts = filters.task_options()
    if ss[KEYS["task"]] not in task_opts:  # an unknown tag from a URL: keep it, labelled as is
        task_opts.insert(1, ss[KEYS["task"]])
    task = row1[0].selectbox(_("Task"), task_opts, key=KEYS["task"],
                             format_func=in_current(lambda t: filters.task_label(t, task_counts)))
    library = _facet_select(row2[1], _("Library"), "library", facets)
    language = _facet_select(row2[2], _("Language"), "language", facets)
    license_ = _facet_select(row2[3], _("License"), "license", facets)

    ss[_LAST_RANGE] = (lo, hi)
    query = CatalogQuery(
        task=task or None, search=search, author=author, library=library, language=language,
        license=license_, params_min=lo, params_max=hi,
        min_downloads=int(min_downloads) or None, min_likes=int(min_likes) or None,
        providers=bool(served), sort=sort, limit=int(limit),
    ).normalized()
    return Filters(query, tuple(problems))


def _on_size_change() -> None:
    """Switching to "Custom range" starts from the range that was in use."""
    ss = st.session_state
    if ss.get(KEYS["size"]) == filters.CUSTOM:
        lo, hi = ss.get(_LAST_RANGE, (None, None))
        ss[KEYS["params_min"]] = fmt.count_text(lo)
        ss[KEYS["params_max"]] = fmt.count_text(hi)


def _facet_select(col, label: str, facet: str, facets: dict) -> str | None:
    key = KEYS[facet]
    current = st.session_state.get(key) or ""
    opts = filters.facet_options(facets.get(facet), current)
    counts = dict(facets.get(facet, []))
    value = col.selectbox(label, opts, key=key, accept_new_options=True,
                          format_func=in_current(lambda v: filters.facet_label(v, counts, _("Any"))),
                          help=_("Pick one or type any Hub tag"))
    return (value or "").strip() or None


# ---- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A search answer, or the reason there is none (live-only mode with the Hub down)."""

    result: SearchResult | None
    error: str | None = None


def run_search(query: CatalogQuery, mode: str) -> Outcome:
    with st.spinner(_("Searching the catalog…")):
        try:
            return Outcome(cached.search(query, mode))
        except cached.HubError as exc:
            return Outcome(None, getattr(exc, "reason", None) or str(exc))


def show_status(outcome: Outcome) -> None:
    """Banners: fell back to the snapshot; the Hub is down in live-only mode."""
    if outcome.error:
        st.error(
            _("**The Hub did not answer** ({reason}). The catalog source is set to *Live only*: "
              "switch it to **Auto** or **Snapshot only** in the sidebar to search the snapshot instead.")
            .format(reason=outcome.error),
            icon=":material/cloud_off:",
        )
        if st.button(_("Search the snapshot instead"), key=P + "use_snapshot"):
            from lib.ui.frame import set_mode

            set_mode("snapshot")
            st.rerun()
        return
    r = outcome.result
    if r is not None and r.fallback_reason:
        st.warning(
            _("**Showing the snapshot**: the live Hub did not answer ({reason}). Results come from {source}.")
            .format(reason=r.fallback_reason, source=r.source.label),
            icon=":material/cloud_off:",
        )


def no_results(result: SearchResult) -> None:
    """An empty answer: why (a filter the snapshot cannot apply), or how to widen the search."""
    if result.unsupported:
        st.warning(str(result.unsupported), icon=":material/cloud_off:")
        st.button(_("Turn the filter off"), key=P + "providers_off", on_click=_providers_off,
                  icon=":material/filter_alt_off:")
        return
    st.info(_("No model matches these filters. Widen the parameter range, lower the minimum "
              "downloads or likes, or clear the search text."), icon=":material/filter_alt_off:")


def _providers_off() -> None:
    st.session_state[KEYS["providers"]] = False


# ---- results ---------------------------------------------------------------------------------


def _table_key(query: CatalogQuery, mode: str) -> str:
    """A new key per query: a selection belongs to one result list."""
    digest = hashlib.sha1(repr((sorted(query.to_params().items()), mode)).encode()).hexdigest()[:10]
    return f"{P}results_{digest}"


def _column_config(fit: bool, local: bool, speed: bool = False) -> dict:
    """The results table's column settings (``fit`` / ``local`` / ``speed``: whether those columns are shown)."""
    # keys: the table's stable English column names (lib/results.py); labels: those names in the UI's language
    column_config = {
        "Model": st.column_config.LinkColumn(
            _("Model"), display_text=r"https://huggingface\.co/(.*)", width=300,
            help=_("Opens the model's page on the Hub")),
        "Task": st.column_config.TextColumn(_("Task")),
        "Parameters": st.column_config.TextColumn(
            _("Parameters"), help=_("Total parameters; ~ marks an estimate (from the name or config), not a count")),
        "Weights": st.column_config.TextColumn(
            _("Weights"), help=_("Size of the weights at the dtype they are stored in; ~ when the dtype "
                                 "is unknown (float32 assumed) or the parameter count is an estimate")),
        "Downloads": st.column_config.NumberColumn(_("Downloads"), format="compact", help=_("Last 30 days")),
        "Likes": st.column_config.NumberColumn(_("Likes"), format="compact"),
        results.PROVIDERS_COLUMN: st.column_config.TextColumn(
            _(results.PROVIDERS_COLUMN), help=_("Inference Providers serving the model (the live Hub's answer; "
                                                "a status other than live is said). The Model page lists them.")),
        "License": st.column_config.TextColumn(_("License")),
        "Updated": st.column_config.DateColumn(_("Updated"), format="distance"),
    }
    if fit:
        column_config[results.FIT_COLUMN] = st.column_config.TextColumn(
            _(results.FIT_COLUMN), help=_("Rough check of the weights (+20 % for runtime) against this "
                                          "machine's GPU memory, then RAM, at bf16, then int8, then int4. Select a "
                                          "row for details; the Model page has the full estimate."))
    if speed:
        column_config[results.SPEED_COLUMN] = st.column_config.TextColumn(
            _(results.SPEED_COLUMN), help=_("Estimated decode speed of text-generation models on this machine at "
                                            "bf16, from the parameter count alone (the Model page adds the KV cache "
                                            "and the context)"))
    if local:
        column_config[results.LOCAL_COLUMN] = st.column_config.TextColumn(
            _(results.LOCAL_COLUMN), help=_("Already in the local Hugging Face cache (see the Local models page)"))
    return column_config


def results_slot():
    """The results' place on the page (an ``st.empty``; fill it with ``with slot.container():``).

    On a browser session's first Discover run it holds an empty grid with the results' columns until
    the search answers: the browser loads Streamlit's data-grid code on a grid's first use (lazily:
    about a second of a cold start), so it does that now, while the catalog loads, rather than after
    the rows arrive. Later runs leave the previous table on screen until the new one replaces it."""
    slot = st.empty()
    if not st.session_state.get(_GRID_SENT):
        # lazy=False: Streamlit would import pandas to decide whether to page the (empty) table
        slot.dataframe(results.results_table([], {}, frozenset()), hide_index=True, width="stretch",
                       column_config=_column_config(True, True), placeholder="–", lazy=False)
    return slot


def results_table(result: SearchResult, query: CatalogQuery, mode: str,
                  fit: dict[str, str] | None = None, local: frozenset[str] | None = None,
                  speed: dict[str, str] | None = None) -> ModelRecord | None:
    """The results table; returns the selected model (restored from ``model=`` in the URL).
    ``local``: ids in the local cache (a ``Local`` column); ``speed``: a ``Speed here`` column."""
    records = result.records
    table = results.results_table(records, fit, local, speed)
    url_model = st.query_params.get("model")
    row = results.row_of(records, url_model)
    column_config = _column_config(fit is not None, local is not None, speed is not None)
    state = st.dataframe(
        table, key=_table_key(query, mode), hide_index=True, on_select="rerun",
        selection_mode="single-row", column_config=column_config, width="stretch", placeholder="–",
        selection_default={"selection": {"rows": [row]}} if row is not None else None,
    )
    st.session_state[_GRID_SENT] = True
    rows = list(state.selection.rows) if state is not None else []
    if rows and 0 <= rows[0] < len(records):
        return records[rows[0]]
    return None


def source_caption(result: SearchResult) -> None:
    """Where the rows came from (always said when the snapshot is in use)."""
    n = len(result.records)
    models = ngettext("{n} model", "{n} models", n).format(n=fmt.number(n))
    if result.has_more:
        models = _("{models} (more match: raise the number of results or narrow the filters)").format(models=models)
    if result.source.kind == "snapshot":
        info = result.source
        label = str(info.label)  # the catalog's label, in the UI's language (a Later: lib/i18n.py)
        if info.date and (info.date in info.label or "{date}" in getattr(info.label, "msgid", "")):
            dated = label  # the label says its date already
        elif info.date:
            dated = _("{label} ({date})").format(label=label, date=fmt.date(info.date))
        else:
            dated = _("{label} (undated)").format(label=label)
        # attribution lines (data: the snapshot's sources, as its builder wrote them)
        sources = [str(src) for src in info.sources]
        short = "; ".join(src.split(" — ")[0] for src in sources) or _("embedded data")
        st.caption(_("{models} · from **{source}** · sources: {sources}").format(
                   models=models, source=dated, sources=short), help="\n\n".join(sources) or None)
    else:
        elapsed = _("{seconds} s").format(seconds=fmt.number(result.elapsed_s, decimals=2))
        if result.requests:
            cost = ngettext("{n} Hub request", "{n} Hub requests", result.requests).format(
                n=fmt.number(result.requests))
            st.caption(_("{models} · live from the Hugging Face Hub · {requests} · {time}").format(
                models=models, requests=cost, time=elapsed))
        else:
            st.caption(_("{models} · live from the Hugging Face Hub · {time}").format(models=models, time=elapsed))
    for note in result.notes:
        st.caption(str(note))


def selected_model(record: ModelRecord, hw=None, local: bool = False) -> None:
    """The selected model's one-line summary and the ways to open it (``local``: it is in the local cache)."""
    from lib.ui import links, shortlist

    with st.container(border=True, key=P + "selected"):
        params = fmt.params(record.params_total, record.params_exact)
        if record.main_dtype:
            line = _("**Selected: {model}** · {params} parameters · {size} of weights ({dtype})").format(
                model=record.id, params=params, size=results.weights_label(record), dtype=record.main_dtype)
        else:
            line = _("**Selected: {model}** · {params} parameters · {size} of weights").format(
                model=record.id, params=params, size=results.weights_label(record))
        if local:
            line += " · " + _(":green-badge[local]")
        if record.inference_providers:
            line += " · " + _("served by {providers}").format(
                providers=fmt.md_escape(results.providers_text(record.inference_providers)))
        st.markdown(line)
        if hw is not None:
            st.caption(_("On this machine — {fit}").format(fit=results.fit_tooltip(record, hw)))
        links.open_model_link(record.id, record.hub_url)
        shortlist.add_button(record.id, key=P + "selected")


# ---- charts ----------------------------------------------------------------------------------


def charts(records: list[ModelRecord]) -> None:
    """Downloads vs parameters (log–log, by task) and counts by task or library; on a browser session's first
    run they follow the table a moment later (:func:`lib.ui.first_paint.later`: the charts' code would
    otherwise hold the table's first paint back)."""
    first_paint.later(P + "charts", lambda: _charts(records), _("Drawing the charts…"))


def _charts(records: list[ModelRecord]) -> None:
    left, right = st.columns(2)
    with left:
        st.markdown(_("**Downloads vs parameters**"))
        data = chart_data.scatter_frame(records)
        if data.empty:
            st.info(_("None of these results has both a parameter count and downloads to plot."))
        else:
            st.altair_chart(chart_data.scatter_chart(data), width="stretch", height=520, key=P + "scatter")
            missing = len(records) - len(data)
            if missing:
                st.caption(_("{missing} of {n} results lack a parameter count or downloads and are not plotted.")
                           .format(missing=fmt.number(missing), n=fmt.number(len(records))))
    with right:
        by = st.segmented_control(_("Count by"), ["task", "library"], key=P + "count_by", default="task",
                                  format_func=in_current(lambda v: _(COUNT_BY[v]))) or "task"
        counts = chart_data.counts_frame(records, by).head(20)
        st.altair_chart(chart_data.counts_chart(counts, by), width="stretch")


def download(result: SearchResult, query: CatalogQuery) -> None:
    st.download_button(
        # made when clicked (pandas is not imported for a run that shows the table); English columns, for programs
        _("Download CSV"), data=lambda: results.results_csv(result.records),
        file_name=results.csv_filename(query.to_params()), mime="text/csv",
        icon=":material/download:", key=P + "csv",
    )
