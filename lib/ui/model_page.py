"""Streamlit glue for the Model page: the id input <-> URL, and one function per section.

The page (``pages/2_Model.py``) calls these in order. Everything shown comes from plain modules:
:mod:`lib.model_facts`, :mod:`lib.card`, :mod:`lib.repo_files`, :mod:`lib.parameters`, :mod:`lib.usage_code`
and :mod:`lib.fit` (spec, estimates, verdicts, the fit table, warnings); the Hub is asked only
through :func:`lib.ui.cached.model_lookup`, once per model per cache TTL, so moving a slider or
switching a selector makes no Hub request.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from lib import card as model_card
from lib import format as fmt
from lib import hardware, model_facts, repo_files, tasks
from lib import usage_code as code
from lib.fit import spec as fit_spec
from lib.fit import table as fit_view
from lib.fit.moe import moe_shape
from lib.format import md_escape
from lib.hub.details import ModelDetails
from lib.hub.errors import HubError
from lib.hub.ids import validate_model_id
from lib.hub.policy import is_offline
from lib.i18n import N_, _, ngettext, pgettext
from lib.model_lookup import ModelLookup
from lib.parameters import ParamInfo, buildable, count_from_config, needs_config_count, with_moe
from lib.parameters import parameter_info as param_info
from lib.ui import cached
from lib.ui.fit_inputs import context_slider, kv_and_batch  # noqa: F401 - the page's estimate inputs

P = "m_"  # widget key prefix
KEYS = {"id": P + "id", "ctx": P + "ctx", "kv": P + "kv", "batch": P + "batch", "device": P + "device",
        "dtype": P + "dtype", "parts_host": P + "parts_host", "parts_device": P + "parts_device"}

EXAMPLES = ("Qwen/Qwen2.5-0.5B-Instruct", "sentence-transformers/all-MiniLM-L6-v2",
            "distilbert/distilbert-base-uncased-finetuned-sst-2-english")
_LAST_ID = "_model_last_id"  # survives page switches (widget state does not)


# ---- id input <-> URL ------------------------------------------------------------------------------

def model_id_input() -> str:
    """The id text input, seeded from ``?model=`` on the page's first run; the URL follows it."""
    ss = st.session_state
    url_id = st.query_params.get("model")
    if KEYS["id"] not in ss:
        ss[KEYS["id"]] = url_id or ss.get(_LAST_ID, "")
    elif url_id and url_id != ss.get(_LAST_ID) and url_id != ss[KEYS["id"]].strip():
        ss[KEYS["id"]] = url_id  # the URL changed under us (a link to another model)
    text = st.text_input(
        _("Hub model id"), key=KEYS["id"],
        placeholder=_("owner/name or a huggingface.co link, e.g. {example}").format(example=EXAMPLES[0]),
        help=_("Any model id on the Hugging Face Hub. The page URL keeps it: share the link to reopen this view."),
    )
    mid = (text or "").strip()
    try:
        mid = validate_model_id(mid) if mid else ""
    except HubError:
        pass  # shown by the page as a clear message
    ss[_LAST_ID] = mid
    if mid:
        if st.query_params.get("model") != mid:
            st.query_params["model"] = mid
    elif "model" in st.query_params:
        del st.query_params["model"]
    return mid


def empty_state() -> None:
    from lib.ui import links

    st.info(_("Type a Hub model id above, or pick a model in Discover and open it here."),
            icon=":material/keyboard:")
    st.markdown(_("Examples: {ids}").format(ids=" · ".join(f"`{e}`" for e in EXAMPLES)))
    st.page_link(links.DISCOVER, label=_("Find a model in Discover"), icon=":material/search:",
                 query_params=links.carried_params())


# ---- loading ----------------------------------------------------------------------------------------

def load(model_id: str, mode: str, token_set: bool) -> ModelLookup:
    """The cached lookup; snapshot mode never touches the network."""
    offline = mode == "snapshot"
    text = _("Reading what is known about {model}…") if offline else _("Asking the Hub about {model}…")
    with st.spinner(text.format(model=model_id)):
        return cached.model_lookup(model_id, offline, token_set)


_ERROR_TITLES = {
    "invalid_id": N_("Not a valid model id"),
    "not_found": N_("Model not found"),
    "gated": N_("Gated model"),
    "auth": N_("Access refused"),
    "rate_limited": N_("The Hub is rate-limiting requests"),
    "server": N_("The Hub is failing"),
    "timeout": N_("The Hub is slow to answer"),
    "unreachable": N_("The Hub cannot be reached"),
    "bad_answer": N_("The Hub's answer could not be read"),
}


def show_error(found: ModelLookup) -> None:
    title = _(_ERROR_TITLES.get(found.error_kind or "", N_("Could not load this model")))
    icon = ":material/edit_note:" if found.error_kind == "invalid_id" else (
        ":material/lock:" if found.error_kind in ("gated", "auth") else ":material/error:")
    box = st.warning if found.error_kind == "invalid_id" else st.error
    error = md_escape(_(found.error)) if found.error else ""
    box(_("**{title}.** {error}").format(title=title, error=error), icon=icon)
    if found.error_kind in ("not_found", "invalid_id"):
        st.caption(_("Check the spelling (ids are `owner/name`, case matters), or find the model in Discover."))


# ---- header, source, warnings ----------------------------------------------------------------------

def header(details: ModelDetails, mode: str) -> None:
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    with left:
        st.header(details.id, anchor=False)
        bits = [f":blue-badge[{md_escape(tasks.display_name(details.pipeline_tag))}]"
                if details.pipeline_tag else ":gray-badge[" + _("task unknown") + "]"]
        if details.library_name:
            bits.append(f":gray-badge[{md_escape(details.library_name)}]")
        if details.gated and str(details.gated).lower() != "false":
            bits.append(":orange-badge[:material/lock: " + _("gated") + "]")
        if details.custom_code:
            bits.append(":orange-badge[:material/code: " + _("custom code") + "]")
        if details.pickle_only:
            bits.append(":red-badge[" + _("pickle only") + "]")
        bits.append(":green-badge[" + _("live") + "]" if details.source == "live"
                    else ":orange-badge[" + _("offline") + "]")
        if details.id in cached.local_ids():
            bits.append(":violet-badge[:material/hard_drive: " + _("local") + "]")
        st.markdown(" ".join(bits), help=_("local: in this machine's Hugging Face cache (Local models page)"))
    with right:
        st.link_button(_("View on the Hub"), details.hub_url, icon=":material/open_in_new:", width="stretch")


def source_notes(details: ModelDetails, config_note: str | None, mode: str, token_set: bool) -> None:
    """Where the details came from; offline: what the snapshot / local cache do not know."""
    refresh_key = (st.session_state.get(_LAST_ID) or details.id, mode == "snapshot", token_set)
    missing = [missing_text(m) for m in details.missing]
    if config_note and details.source == "live":
        missing.append(f"config.json: {_(config_note)}")  # i18n: a file name, then its translated note
    with st.container(key=P + "source"):
        if details.source == "offline":
            st.info(_("**Offline view.** {source}. {reason}").format(
                source=model_facts.source_note(details), reason=md_escape(missing[0] if missing else "")),
                icon=":material/cloud_off:")
            if len(missing) > 1:
                st.markdown(_("Not known offline: {what}.").format(what="; ".join(md_escape(m) for m in missing[1:])))
            hub_failed = mode != "snapshot" and not is_offline()  # the Hub may answer again
            if hub_failed and st.button(_("Refresh"), icon=":material/refresh:", key=P + "refresh",
                                        help=_("Ask the Hub again (an offline view is kept only seconds: a "
                                               "Hub that is back answers the next view)")):
                cached.forget_model(*refresh_key)
                st.rerun()
        else:
            left, right = st.columns([6, 1], vertical_alignment="center")
            line = _("{source} · cached for {n} min").format(source=model_facts.source_note(details),
                                                            n=fmt.number(cached.CACHE_TTL_S // 60))
            if missing:
                line += " · " + _("not available: {what}").format(what="; ".join(md_escape(m) for m in missing))
            left.caption(line)
            if right.button(_("Refresh"), icon=":material/refresh:", key=P + "refresh",
                            help=_("Ask the Hub again (drops this model's cached answer)")):
                cached.forget_model(*refresh_key)
                st.rerun()


def missing_text(item: str) -> str:
    """One of ``details.missing`` (English: the offline details are cached for every visitor) in the UI's
    language; the reason after ``Hub not used:`` is translated on its own."""
    head, sep, reason = item.partition(": ")
    if sep and head == "Hub not used":
        return _("Hub not used: {reason}").format(reason=_(reason))
    return _(item)


_SEVERITY_BOX = {"error": (st.error, ":material/block:"), "warning": (st.warning, ":material/warning:"),
                 "info": (st.info, ":material/info:")}


def warnings(items) -> None:
    """The pre-load warnings (lib.fit.verdict.load_warnings), errors first."""
    with st.container(key=P + "warnings"):
        for w in items:
            box, icon = _SEVERITY_BOX.get(getattr(w.severity, "value", str(w.severity)), (st.warning, None))
            box(_(w.message), icon=icon)


# ---- facts and card ---------------------------------------------------------------------------------

def facts(details: ModelDetails) -> None:
    st.subheader(_("Facts"), anchor=False)
    with st.container(key=P + "facts"):
        st.table(model_facts.facts_frame(model_facts.facts(details)), hide_header=True)
    card = model_card.clean_card(details.card)
    label = _("Model card") if card else _("Model card (not available)")
    with st.expander(label, expanded=False, icon=":material/description:"):
        if card:
            if model_card.card_has_html(details.card):
                st.caption(_("HTML in the card was removed; links and text are kept."))
            st.markdown(card, unsafe_allow_html=False)  # i18n: the model card is never translated
        else:
            st.caption(_("No model card: the repo has none, it is gated, or it is not in the local cache "
                         "(offline)."))


# ---- files ----------------------------------------------------------------------------------------

def files(details: ModelDetails) -> None:
    st.subheader(_("Files"), anchor=False)
    rows = repo_files.file_rows(details)
    line = _("**Weights format:** {formats}").format(formats=repo_files.formats_text(details))
    if details.pickle_only:
        line += " — :red[" + _("pickle only") + "]"
    st.markdown(line)
    if details.custom_code:
        auto_map = details.config.get("auto_map") if details.config else None
        if isinstance(auto_map, dict) and auto_map:
            st.markdown(_(":orange[:material/code: **Custom code:**] the repo ships Python code that "
                          "`trust_remote_code=True` would run (`auto_map`: {classes}).").format(
                classes=", ".join(f"{md_escape(k)} → {md_escape(v)}" for k, v in auto_map.items())))
        else:
            st.markdown(_(":orange[:material/code: **Custom code:**] the repo ships Python code that "
                          "`trust_remote_code=True` would run (tagged `custom_code`)."))
    if not rows:
        st.caption(_("No files known (offline: nothing of this model is in the local cache).")
                   if details.source == "offline" else _("No files known."))
        return
    file_, kind, size, size_bytes = _("File"), _("Kind"), _("Size"), _("Bytes")
    df = pd.DataFrame([{file_: r.path, kind: r.kind, size: r.size_text, size_bytes: r.size} for r in rows])
    st.dataframe(df, hide_index=True, width="stretch", key=P + "files", column_order=(file_, kind, size),
                 column_config={file_: st.column_config.TextColumn(width="medium"),
                                kind: st.column_config.TextColumn(width="medium"),
                                size_bytes: st.column_config.NumberColumn(size_bytes, format="%d")},
                 height=min(38 + 35 * len(df), 360))
    total = details.total_size
    n = ngettext("{n} file", "{n} files", len(rows)).format(n=fmt.number(len(rows)))
    st.caption(n if total is None else _("{files} · {size} in all").format(files=n, size=fmt.size_bytes(total)))


# ---- parameters -------------------------------------------------------------------------------------

def parameter_info(found: ModelLookup) -> ParamInfo:
    """Exact counts from the Hub; else counted from config.json on the meta device (cached; the
    only place this page may import torch + transformers); else an estimate."""
    details = found.details
    counted, note = None, None
    if needs_config_count(details):
        with st.spinner(_("Counting parameters from config.json (meta device)…")):
            counted, note = count_from_config(found.config, found.config_note, cached.config_param_count)
    info = param_info(details, counted, found.config, note)
    if moe_shape(found.config) is not None:  # a mixture of experts: the routed share, from the same build
        split = None
        if buildable(found.config):
            with st.spinner(_("Counting active parameters from config.json (meta device)…")):
                split = cached.config_param_split(found.config)
        info = with_moe(info, found.config, split)
    return info


def parameters(info: ParamInfo) -> None:
    st.subheader(_("Parameters"), anchor=False)
    with st.container(key=P + "params"):
        label = {"exact": _("Parameters (exact)"), "counted": _("Parameters (exact, counted from config)"),
                 "estimated": _("Parameters (estimated)"), "unknown": _("Parameters (unknown)")}[info.kind]
        st.metric(label, info.headline)
        st.caption(info.source[:1].upper() + info.source[1:] + ".")
        if info.moe is not None:
            head, more = info.moe_lines
            st.markdown(f":violet-badge[MoE] {head}")  # i18n: MoE is a technical term; head is translated
            st.caption(more)
        if info.by_dtype:
            count, share = _("Parameters"), pgettext("a fraction of a whole", "Share")
            st.dataframe(pd.DataFrame([{"dtype": d, count: n, share: n / info.total if info.total else None}
                                       for d, n in info.by_dtype]),
                         hide_index=True, key=P + "params_by_dtype",
                         column_config={count: st.column_config.NumberColumn(format="localized"),
                                        share: st.column_config.NumberColumn(format="percent")})


# ---- memory and fit ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FitView:
    """What the fit section computed (the page passes ``warnings`` on to the top of the page)."""

    table: object | None
    context: int | None
    warnings: tuple
    kv: str = "auto"
    batch: int = 1


def config_origin(fit_config: fit_spec.FitConfig) -> None:
    """Where the estimate's architecture facts come from, when not the repo's config.json."""
    if fit_config.note:
        st.caption(f":material/info: {md_escape(_(fit_config.note))}")


def compute_fit(spec, hw: hardware.Hardware, context: int | None, token_set: bool, kv: str = "auto",
                batch: int = 1) -> FitView:
    from lib.fit.verdict import fit_table, load_warnings

    hosts = (hw, *hardware.PROFILES)
    table = fit_table(spec, hosts=hosts, context_tokens=context, kv_dtype=kv, batch=batch)
    here = table.get(hw.name, "bf16") or (table.rows[0] if table.rows else None)
    est = here.estimate if here is not None else None
    warns = load_warnings(spec, hw, est, has_token=token_set)
    return FitView(table, context, tuple(warns), kv, batch)


def fit_section(details: ModelDetails, spec, view: FitView, hw: hardware.Hardware,
                measured: list | None = None) -> None:
    table = view.table
    line = [_("Estimated peak memory of loading the model and running one input, per dtype, on this machine "
              "and on common hosts (GPU when the host has one, else CPU RAM).")]
    if view.context:
        line.append(_("Context: {n} tokens.").format(n=fmt.number(view.context)))
    if view.kv != "auto":
        line.append(_("KV cache: {kv}.").format(kv=view.kv))
    if view.batch > 1:
        line.append(_("Batch: {n}.").format(n=fmt.number(view.batch)))
    st.caption(" ".join(line))
    if all(v.kind.value == "unknown" for v in table.rows):
        st.warning(_("The model's size is unknown (no parameter count, no weight sizes): memory cannot be "
                     "estimated."), icon=":material/help:")
        return
    df = fit_view.fit_matrix(table, hw.name, hw.summary())
    with st.container(key=P + "fit"):
        st.table(df)
    if measured:
        measured_peak(spec, measured, view.context)
    parts(spec, view, hw)


def parts(spec, view: FitView, hw: hardware.Hardware) -> None:
    """The estimate's parts (stacked bar + table) for one host, every dtype."""
    table = view.table
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    with left:
        host = st.selectbox(_("Breakdown for"), table.hosts, key=KEYS["parts_host"],
                            format_func=_)  # a host's name: "This machine" is translated, product names are not
    rows = fit_view.parts_rows(table, host)
    if not rows:
        return
    with right:
        devices = {r["dtype"]: r["Device"] for r in rows}
        st.caption(_("Where it runs on {host}: {places}").format(host=_(host), places=", ".join(
            _("{dtype} on {device}").format(dtype=d, device=dev) for d, dev in devices.items())))
    data = pd.DataFrame([r for r in rows if r["Counted"] and r["GB"] > 0])
    st.vega_lite_chart(data, fit_view.parts_spec(list(devices)), width="stretch", key=P + "parts_chart")
    wide = fit_view.parts_table(table, host)
    st.dataframe(wide, key=P + "parts", width="stretch",
                 column_config={c: st.column_config.NumberColumn(c, format="%.3f GB") for c in devices})
    for n in fit_view.estimate_notes(table, host):
        st.caption(f":material/info: {md_escape(_(n))}")


def measured_for(details: ModelDetails) -> list:
    """Peaks measured when this model ran here before (lib.fit.measured), newest first."""
    from lib.fit.measured import MeasuredStore

    try:
        return MeasuredStore().lookup(details.id)
    except Exception:  # noqa: BLE001 - a broken store must not break the page
        return []


def measured_peak(spec, measurements, context: int | None) -> None:
    """Measured peaks beside the estimate for the same dtype, device and context."""
    rows = fit_view.measured_rows(spec, measurements, context)
    if not rows:
        return
    st.markdown("**" + _("Measured when this model ran here before") + "**")
    st.dataframe(pd.DataFrame([r.as_dict() for r in rows]), hide_index=True, key=P + "measured")


# ---- use this model ---------------------------------------------------------------------------------

def use_this_model(details: ModelDetails, hw: hardware.Hardware) -> None:
    st.subheader(_("Use this model"), anchor=False)
    dev_default = code.default_device(hw.has_cuda, hw.has_mps)
    if KEYS["device"] not in st.session_state:
        st.session_state[KEYS["device"]] = dev_default
    left, right, _rest = st.columns([1, 1, 2])
    with left:
        device = st.selectbox(_("Device"), code.CODE_DEVICES, key=KEYS["device"],
                              format_func=lambda d: _(code.DEVICE_LABELS[d]))
    if st.session_state.get(KEYS["dtype"]) not in code.CODE_DTYPES:
        st.session_state[KEYS["dtype"]] = code.default_dtype(device)
    with right:
        dtype = st.selectbox("dtype", code.CODE_DTYPES, key=KEYS["dtype"])  # i18n: a technical term
    choice = code.use_code(details, device, dtype)
    for note in choice.notes:
        st.caption(note)
    if choice.library:
        st.markdown(_("**The sentence-transformers way** (this repo is a sentence-transformers model)"))
        st.code(choice.library, language="python")
    if choice.pipeline:
        st.markdown(_("**The `pipeline()` way**"))
        st.code(choice.pipeline, language="python")
    if choice.auto:
        st.markdown(_("**The Auto-class way**") if (choice.pipeline or choice.library) else _("**Loading code**"))
        st.code(choice.auto, language="python")


# ---- test-drive hook -------------------------------------------------------------------------------

def test_drive(details: ModelDetails, hw: hardware.Hardware | None = None, spec=None) -> None:
    """The Test-drive section; ``spec`` is the fit section's ModelSpec so both show one estimate."""
    from lib.ui.test_drive import render_test_drive

    st.subheader(_("Test-drive"), anchor=False)
    with st.container(key=P + "testdrive"):
        render_test_drive(details, hardware=hw, fit_spec=spec)
