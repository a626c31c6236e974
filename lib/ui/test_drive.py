"""The reusable test-drive section: inputs -> run (with load progress) -> output, notices, latency and
memory beside the estimate, "Under the hood" and the code that reproduces the run.

``render_test_drive(details_or_model_id, task=None, *, key="td", hardware=None)`` is used at the
bottom of the model page (with a :class:`lib.hub.details.ModelDetails`) and by the Playground (with a
Hub id or a local folder). Run submits a job (``lib.jobs``: the run, then the under-the-hood pass) and
this script thread polls the job's progress into ``st.status`` / ``st.progress``; no thread is started
here (Streamlit is never called from another thread).
Outputs and errors are kept in ``st.session_state`` (per ``key``), so reruns do not lose them, and
inputs live in keyed widgets, so an error never clears them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from lib import access as policy
from lib import format as fmt
from lib import i18n, local_models
from lib import tasks as registry
from lib.fit.gate import FitGate, fit_gate
from lib.i18n import N_, _, ngettext
from lib.jobs.warmup import warm_up_for
from lib.runner.api import host_process_bytes
from lib.runner.errors import RunnerError
from lib.runner.result import RunOptions, RunResult
from lib.tasks.hood import UnderTheHood
from lib.ui import inputs as input_ui
from lib.ui import links, outputs
from lib.ui.frame import page_exists, visitor_access

# option labels (translated where shown: _(DEVICES[v]))
DEVICES = {"auto": N_("Auto (GPU if any)"), "cpu": "CPU", "cuda": N_("CUDA GPU"), "mps": N_("Apple MPS")}
DTYPE_LABELS = {"auto": N_("Auto"), "fp32": "fp32", "bf16": "bf16", "fp16": "fp16"}
MEMORY_KIND = {"cuda_max_allocated": N_("GPU, max allocated"), "process_rss_peak": N_("process RSS peak")}


@dataclass
class LastRun:
    """What the section shows after a run (kept in session state).

    model / task: what ran; result: the RunResult; image: the input picture (for boxes/masks/depth);
    hood / hood_error: the under-the-hood view or why it is missing; estimate_bytes: the estimate
    the load was checked against (None when unknown).
    """

    model: str
    task: str
    result: RunResult
    image: Any = None
    hood: UnderTheHood | None = None
    hood_error: str | None = None
    estimate_bytes: int | None = None


@dataclass
class RunError:
    """The last failure (title + user-facing message), kept until the next successful run (a title of this
    module is kept in English, N_, and translated where shown)."""

    model: str
    task: str
    title: str
    message: str


@st.cache_data(ttl=3600, show_spinner=False, max_entries=256)
def _mask_token(model: str, allow_download: bool) -> str | None:
    return local_models.mask_token_of(model, allow_download=allow_download)


def _model_of(details_or_model_id: Any) -> tuple[str, Any]:
    if isinstance(details_or_model_id, str):
        return details_or_model_id.strip(), None
    return str(details_or_model_id.id), details_or_model_id


def _needs_custom_code(model: str, details: Any) -> bool:
    if details is not None:
        return bool(getattr(details, "custom_code", False))
    if local_models.is_local_folder(model):
        from lib.runner.checks import read_config

        return bool(read_config(model).get("auto_map"))
    return False


def render_test_drive(details_or_model_id: Any, task: str | None = None, *, key: str = "td",
                      hardware: Any = None, language: str | None = None, fit_spec: Any = None) -> None:
    """Draw the test-drive section for a model (ModelDetails, Hub id or local folder) and ``task``
    (default: the model's pipeline tag). ``fit_spec`` (a lib.fit ModelSpec) lets the caller share the
    memory estimate it already shows (the model page's, with its config and context length). The example
    inputs are in ``language`` (default: the UI's, :func:`lib.i18n.current`; issue 13)."""
    model, details = _model_of(details_or_model_id)
    if not model:
        st.info(_("Enter a model to test-drive."))
        return
    if task is None and details is not None:
        task = details.pipeline_tag
    if task is None and local_models.is_local_folder(model):
        task = local_models.guess_task(model)
    spec = registry.get(task)
    if spec is None:  # no (known) task: choose one here, or take the model to the Playground
        task = _choose_task(model, task, key)
        spec = registry.get(task)
        if spec is None:
            return
    if not spec.runnable:
        reason = _(spec.reason) if spec.reason else ""
        st.info(_("**{task} is not runnable here.** {reason}").format(task=_(spec.name), reason=reason),
                icon=":material/block:")
        return
    if hardware is None:
        from lib import hardware as hw_mod

        hardware = hw_mod.detect()
    if language is None:  # the UI's language, unless the model lists others only (lib.tasks.example_language)
        language = registry.example_language(getattr(details, "languages", ()) if details is not None else ())

    # On the model page (details known) only the local cache is read; the Playground, where the user
    # typed the id to run it, may fetch the small tokenizer config.
    mask = _mask_token(model, allow_download=details is None) if spec.input_kind == "masked_text" else None
    example = registry.example_inputs(spec.tag, language or i18n.current(), mask)  # the example: the UI's language
    example["_mask_token"] = mask
    st.caption(_("**{task}** · input: {kind} · starts with an example: press Run.").format(
        task=_(spec.name), kind=_(registry.INPUT_KINDS.get(spec.input_kind, spec.input_kind))))
    ins = input_ui.input_widgets(spec, key, example)

    c1, c2, c3 = st.columns([1, 1, 2])
    device = c1.selectbox(_("Device"), list(DEVICES), format_func=i18n.in_current(lambda v: _(DEVICES[v])),
                          key=f"{key}_device")
    dtype = c2.selectbox(_("Precision"), list(DTYPE_LABELS), format_func=i18n.in_current(lambda v: _(DTYPE_LABELS[v])),
                         key=f"{key}_dtype", help=_("Auto: fp32 on CPU, bf16 (or fp16) on a GPU."))
    access = visitor_access()
    with c3:
        needs_code = _needs_custom_code(model, details)
        trust = access.remote_code and st.checkbox(
            _("Allow this model's own code (trust_remote_code)"), key=f"{key}_trust",
            help=_("Some models ship Python code in their repository; it runs with your rights."))
        if not access.remote_code:
            st.caption(_(":orange[This model needs its own code to run.] {why}").format(why=_(policy.REMOTE_CODE_OFF))
                       if needs_code else _(policy.REMOTE_CODE_OFF))
        elif trust:
            st.warning(_("Remote code from the model repository will run on this machine. Read it first."),
                       icon=":material/warning:")
        elif needs_code:
            st.caption(_(":orange[This model needs its own code to run: tick the box only if you trust it.]"))

    override = access.load_anyway and bool(st.session_state.get(f"{key}_override", False))
    if fit_spec is None and details is not None:  # the Playground: the Model page's estimate, same gate
        fit_spec = _model_page_spec(details)
    gate = fit_gate(model, details, device, dtype, hardware, override, spec=fit_spec, offload=True)
    if gate.blocked:
        st.warning(_("**Memory check:** {reason}").format(reason=gate.reason), icon=":material/memory:")
        if access.load_anyway:
            st.checkbox(_("Load anyway (may exhaust memory and slow or crash this app)"), key=f"{key}_override")
        else:
            st.caption(_(policy.LOAD_ANYWAY_OFF))
    elif gate.estimate is not None:
        st.caption(_("Memory check: {reason}").format(reason=gate.reason))
    else:
        st.caption(gate.reason)

    too_big = _download_refusal(details, access)
    if too_big:
        st.warning(_("**Download cap:** {reason}").format(reason=too_big), icon=":material/cloud_off:")
    warm_up_for(model, spec.tag, details=details, gate=gate, opts=RunOptions(device=device, dtype=dtype))
    clicked = st.button(_("Run"), type="primary", key=f"{key}_run", icon=":material/play_arrow:",
                        disabled=bool(too_big))
    if clicked:
        if ins.problem:
            _store_error(key, model, spec.tag, N_("Check the input"), ins.problem)
        else:
            opts = RunOptions(device=device, dtype=dtype, trust_remote_code=trust, **ins.settings,
                              access=access, fit_override=gate.overridden, max_memory=gate.max_memory)
            _run(key, model, spec.tag, ins.raw, opts, gate)
    _show_last(key, model, spec.tag)


def _choose_task(model: str, named: str | None, key: str) -> str | None:
    """A task picker for a model that names no task (or one Hub Scout does not know), with a link to
    the Playground holding the model (and the chosen task). Returns the chosen task, or None."""
    st.info(_("This model names no task (pipeline tag): choose a task below to run it here, or open it in the "
              "Playground.") if not named
            else _("This model's task {task} is not one Hub Scout knows: choose a task below to run it here, or open "
                   "it in the Playground.").format(task=repr(named)), icon=":material/help:")
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    task = left.selectbox(_("Task to run"), runnable_tasks(), index=None, placeholder=_("Choose a task…"),
                          key=f"{key}_task", format_func=i18n.in_current(lambda t: _(registry.display_name(t))))
    if page_exists(links.PLAYGROUND):
        right.page_link(links.PLAYGROUND, label=_("Open in the Playground"), icon=":material/play_circle:",
                        query_params=links.carried_params(model=model, task=task))
    return task


def _download_refusal(details: Any, access: policy.Access) -> str | None:
    """Why this visitor's download cap stops a run of this Hub model before Run is pressed (the
    runner's own figure and rule: :func:`lib.runner.loader.planned_download`); None when it may run."""
    if details is None or access.max_download_bytes is None or getattr(details, "source", "") == "offline":
        return None
    from lib.runner.loader import planned_download

    sizes = {f.path: f.size for f in getattr(details, "files", ()) or ()}
    if not sizes:
        return None
    return policy.download_refusal(planned_download(sizes), access.max_download_bytes)


def _hood_title(hood: UnderTheHood | None) -> str:
    """The under-the-hood expander's title: what this run's view shows (no "logits" for an encoder)."""
    if hood is None or any("logit" in row for row in hood.rows[:1]) or not hood.rows:
        return _("Under the hood: tokenizer, logits, softmax, labels")
    return _("Under the hood: tokenizer, {head}").format(head=hood.head)


def _model_page_spec(details: Any) -> Any:
    """The Model page's memory-estimate spec for a Hub model (its lookup with config.json, its
    parameter rule: exact, else counted from config.json, else estimated from the weight files), so
    that a model the Model page blocks (a 405B pickle-only repo) is blocked here too. None when the
    lookup fails (the gate then builds what it can from the details)."""
    from lib.fit.spec import fit_config, model_spec
    from lib.parameters import count_from_config, needs_config_count, parameter_info
    from lib.ui import cached

    try:
        found = cached.model_lookup(details.id, offline=details.source == "offline")
        if found.details is None:
            return None
        counted, note = None, None
        if needs_config_count(found.details):  # as lib.ui.model_page.parameter_info (same cache)
            counted, note = count_from_config(found.config, found.config_note, cached.config_param_count)
        params = parameter_info(found.details, counted, found.config, note)
        return model_spec(details, fit_config(found).config, params)
    except Exception:  # noqa: BLE001 - an estimate must never break the test drive
        return None


def _store_error(key: str, model: str, task: str, title: str, message: str) -> None:
    st.session_state[f"{key}_error"] = RunError(model, task, title, message)


def _progress_text(p: Any) -> str:
    if p.total_bytes:
        return _("{message} · {done} of {total}").format(message=p.message, done=fmt.size_bytes(p.done_bytes),
                                                         total=fmt.size_bytes(p.total_bytes))
    return p.message


def _run(key: str, model: str, task: str, raw: dict, opts: RunOptions, gate: FitGate) -> None:
    """Submit the run as a job and show its progress until it ends; store the outcome."""
    from lib import jobs
    from lib.runner.inputs import load_image
    from lib.ui.frame import visitor_name
    from lib.ui.visitor import visitor_id

    job = jobs.submit(model, task, [raw], opts, allowed=(gate.allowed, gate.reason), hood=True,
                      hood_inputs=raw_for_hood(raw), visitor=visitor_id(visitor_name()))
    with st.status(_("Running {model}…").format(model=model), expanded=True) as status:
        bar = st.progress(0.0, text=_("Checking the model"))
        shown = None
        while not job.wait(0.1):
            p = job.progress()
            if p != shown:
                shown = p
                frac = 1.0 if p.state == jobs.RUNNING else p.fraction
                ahead = (p.queue_position or 0) - 1
                text = ngettext("Waiting for {n} run ahead", "Waiting for {n} runs ahead", ahead).format(
                    n=fmt.number(ahead)) if ahead > 0 else _progress_text(p)
                bar.progress(min(max(frac if frac is not None else 0.0, 0.0), 1.0), text=text)
        elapsed = job.progress().elapsed_s
        result = job.result(0)
        error = job.error(0) or (None if result is not None else
                                 (_("The run stopped"), _("The run was cancelled before it finished.")))
        seconds = fmt.number(elapsed, decimals=1)
        if error is not None:
            status.update(label=_("{title} ({seconds} s)").format(title=_(error[0]), seconds=seconds), state="error",
                          expanded=False)
        else:
            bar.progress(1.0, text=_("Done"))
            status.update(label=_("Done in {seconds} s").format(seconds=seconds), state="complete", expanded=False)
    if error is not None:
        _store_error(key, model, task, *error)
        return
    image = None
    if "image" in raw:
        try:
            image = load_image(raw["image"])
        except RunnerError:
            image = None
    st.session_state.pop(f"{key}_error", None)
    st.session_state[f"{key}_last"] = LastRun(model, task, result, image, job.hood, job.hood_error,
                                              gate.estimate_bytes)


def raw_for_hood(raw: dict) -> dict:
    """The raw inputs as the under-the-hood view reads them (sentences list, labels list)."""
    out = dict(raw)
    if isinstance(out.get("sentences"), str):
        out["sentences"] = [s for s in out["sentences"].splitlines() if s.strip()]
    if isinstance(out.get("text"), str):
        out["text"] = out["text"].strip()
    return out


def _show_last(key: str, model: str, task: str) -> None:
    err: RunError | None = st.session_state.get(f"{key}_error")
    if err is not None and (err.model, err.task) == (model, task):
        st.error(_("**{title}** — {message}").format(title=_(err.title), message=err.message), icon=":material/error:")
    last: LastRun | None = st.session_state.get(f"{key}_last")
    if last is None or (last.model, last.task) != (model, task):
        return
    res = last.result
    st.markdown("#### " + _("Output"))
    for n in res.notices:
        st.info(n, icon=":material/info:")
    outputs.render(res, last.image)
    _metrics(res, last.estimate_bytes)
    if last.hood is not None or last.hood_error:
        with st.expander(_hood_title(last.hood), expanded=False):
            if last.hood is not None:
                show_hood(last.hood)
            else:
                st.caption(_("Not available for this run: {why}").format(why=last.hood_error))
    with st.expander(_("Code that reproduces this run"), expanded=False):
        st.code(res.code, language="python")


def _metrics(res: RunResult, estimate: int | None) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Latency"), outputs.latency_text(res.latency_s), help=_("The run itself, model already loaded."))
    c2.metric(_("Load"), _("cached") if res.cached else fmt.number(res.load_s, decimals=1) + " s",
              help=_("Download + load time; 'cached' when the model was already in memory."))
    delta, compare_to, host = None, estimate, None
    if estimate and res.memory_kind == "process_rss_peak":
        # the estimate is for a fresh process; this run shares the app's process
        host = host_process_bytes()
        compare_to = estimate + (host or 0)
    if compare_to:
        ratio = res.peak_memory_bytes / compare_to - 1
        delta = _("{percent} vs estimate").format(percent=("+" if ratio >= 0 else "") + fmt.percent(ratio))
    measured = _(MEMORY_KIND.get(res.memory_kind, res.memory_kind))
    c3.metric(_("Peak memory"), fmt.size_bytes(res.peak_memory_bytes), delta=delta, delta_color="off",
              help=_("Measured: {what}. On CPU this is the app's whole process: the model plus the app itself.").format(
                  what=measured) if host else _("Measured: {what}.").format(what=measured))
    shown = fmt.size_bytes(compare_to) if compare_to else _("unknown")
    c4.metric(_("Estimate"), shown,
              help=_("lib.fit's estimate for this load (weights + framework + activations): {estimate} in a fresh "
                     "process + {host} that this app held before loading torch.").format(
                  estimate=fmt.size_bytes(estimate), host=fmt.size_bytes(host)) if host
              else _("lib.fit's estimate for this load (weights + framework + activations)."))
    st.caption(_("Ran on **{device}** in **{dtype}**.").format(device=res.device, dtype=res.dtype))


def show_hood(h: UnderTheHood) -> None:
    """Tokens and ids, the logits table with softmax probabilities, the label mapping, the code."""
    import pandas as pd

    st.markdown(ngettext("**1. Tokenizer** — {n} token (special tokens included)",
                         "**1. Tokenizer** — {n} tokens (special tokens included)", len(h.ids)).format(
        n=fmt.number(len(h.ids))))
    grid = pd.DataFrame([list(h.tokens), [str(i) for i in h.ids]], index=["token", "id"],
                        columns=[str(i) for i in range(len(h.ids))])
    st.dataframe(grid, width="stretch")
    st.markdown(_("**2. Model** — {head}; output shape `{shape}`").format(head=h.head, shape=list(h.logits_shape)))
    st.markdown(f"**3. {h.rows_caption}**")
    if h.rows:
        df = pd.DataFrame(h.rows)
        config = {c: st.column_config.ProgressColumn(c, min_value=0.0, max_value=1.0, format="%.4f")
                  for c in df.columns if c == "probability" or c.startswith("P(")}
        st.dataframe(df, hide_index=True, width="stretch", column_config=config)
    if h.id2label:
        st.markdown(_("**4. Label mapping** (`config.id2label`)"))
        st.json({str(k): v for k, v in sorted(h.id2label.items())}, expanded=False)
    for n in h.notes:
        st.caption(n)
    st.code(h.code, language="python")


def runnable_tasks() -> list[str]:
    """Runnable pipeline tags, by modality then name."""
    return [s.tag for _, specs in registry.grouped_by_modality() for s in specs if s.runnable]
