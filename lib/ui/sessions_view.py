"""One session's page: its header (candidates, frozen settings), the Run section (progress per model,
resumable) and the Look grid (inputs × candidates, each output drawn by the task's own renderer)."""
from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import streamlit as st

from lib import format as fmt
from lib import i18n
from lib import tasks as registry
from lib.i18n import N_, _, ngettext

P = "sess_"
#: the page's sections (tabs), in English; shown, and kept in ``?view=``, in the page's language
SECTIONS = (N_("Run"), N_("Look"), N_("Rate"), N_("Results"), N_("Share"))


def open_session() -> Any:
    """The session named by ``?session=`` (None when there is none); an unknown id says so and stops."""
    from lib.sessions import store
    from lib.sessions.errors import SessionNotFound

    sid = (st.query_params.get("session") or "").strip()
    if not sid:
        return None
    try:
        return store.get_session(sid)
    except SessionNotFound as e:
        st.error(str(e), icon=":material/search_off:")
        st.page_link("pages/4_Sessions.py", label=_("All sessions"),  # i18n: the page's path
                     icon=":material/groups:", query_params={})
        st.stop()


def backup_line() -> None:
    """Where the session backups stand (nothing when ``HUBSCOUT_BACKUP_REPO`` is not set)."""
    from lib.sessions import backup

    status = backup.status()
    if status.state == "off":
        return
    if status.state == "failed" or status.push_error:
        st.warning(status.line(), icon=":material/cloud_off:")
    else:
        st.caption(status.line())
    if status.restored:
        st.caption(_("Restored {n} session(s) from {repo} at start.").format(n=fmt.number(status.restored),
                                                                              repo=status.repo))
    for skipped in status.skipped:
        st.warning(_("Not restored: {what}").format(what=skipped), icon=":material/warning:")


def title(session: Any) -> None:
    """The session's name and task, without its candidates (the blind vote shows no model names)."""
    st.header(session.name, anchor=False)
    n_c, n_i = len(session.candidates), len(session.inputs)
    st.markdown(" ".join([
        f":blue-badge[{fmt.md_escape(registry.display_name(session.task))}]",
        ":gray-badge[" + ngettext("{n} candidate", "{n} candidates", n_c).format(n=fmt.number(n_c)) + "]",
        ":gray-badge[" + ngettext("{n} input", "{n} inputs", n_i).format(n=fmt.number(n_i)) + "]",
        ":gray-badge[" + _("created {when} UTC").format(when=fmt.datetime_text(session.created)) + "]"]))


def sections() -> list[Any]:
    """The page's sections as tabs (the open one is kept in the URL: ``?view=``, as its label in the page's
    language; a link made in the other language opens the same section); only the open one is drawn."""
    labels = [_(s) for s in SECTIONS]
    asked = st.query_params.get("view")
    if asked and asked not in labels:
        for lang in i18n.LANGUAGES:
            with i18n.scope(lang):
                names = [_(s) for s in SECTIONS]
            if asked in names:
                st.session_state["view"] = labels[names.index(asked)]  # the bound widget writes the URL
                break
    return st.tabs(labels, key="view", bind="query-params")  # i18n: a Streamlit option


def settings(session: Any) -> None:
    """The candidates with their frozen revisions, and the settings every run uses."""
    from lib.hub.policy import is_offline
    from lib.local.inventory import presence

    s = session.settings or {}
    rows, missing_here = [], []
    offline = is_offline()
    for c in session.candidates:
        stats = c.stats or {}
        remote = c.remote
        where = None if remote is not None else presence(c.model, c.revision, offline=offline)
        if where:
            missing_here.append((c, where))
        rows.append({
            _("id"): c.id, _("model"): c.model,
            _("runs on"): remote.label if remote is not None else _("this machine"),
            _("revision"): c.revision[:12] if c.revision else (
                _("the server's copy") if remote is not None else _("newest (not frozen)")),
            _("device"): stats.get("device") or "—", "dtype": stats.get("dtype") or "—",
            _("load"): "—" if stats.get("load_s") is None else _("{seconds} s").format(
                seconds=fmt.number(stats["load_s"], decimals=1)),
            _("peak memory"): fmt.size_bytes(stats["peak_bytes"]) if stats.get("peak_bytes") else "—",
            _("local copy"): "—" if remote is not None else _(where) if where else _("yes"),
            _("problem"): stats.get("error") or ""})
    st.dataframe(rows, hide_index=True, width="stretch", key=P + "cands")
    for c, where in missing_here:
        st.caption(_("{id} ({model}): {where} — see the Local models page.").format(
            id=c.id, model=fmt.md_escape(c.model), where=_(where)))
    gen = s.get("generation") or {}
    bits = [_("dtype **{value}**").format(value=s.get("dtype", "auto")),
            _("device **{value}**").format(value=s.get("device", "auto")),
            _("batch size **{value}**").format(value=s.get("batch_size", 8))]
    bits += [f"{_(GENERATION_NAMES.get(k, k.replace('_', ' ')))} **{fmt.md_escape(str(v))}**" for k, v in gen.items()]
    st.caption(_("Frozen settings: {settings}").format(settings=" · ".join(bits)))


#: the generation settings a session freezes, as people read them (lib.sessions.setup.GENERATION_KEYS)
GENERATION_NAMES = {"max_new_tokens": N_("max new tokens"), "do_sample": N_("do sample"),
                    "temperature": N_("temperature"), "top_p": N_("top p"), "system_prompt": N_("system prompt")}


# ---- Run ------------------------------------------------------------------------------------------

def run_section(session: Any, access: Any, visitor: str | None) -> None:
    """Missing / failed cells, the Run button, and live progress per model while a run is going."""
    from lib.sessions import run as session_run
    from lib.sessions import store

    active = session_run.active(session.id)
    if active is not None and not active.finished:
        _progress(session.id)
        return
    missing = store.missing_cells(session.id)
    n_missing = sum(len(v) for v in missing.values())
    cells = store.outputs(session.id)
    n_failed = sum(1 for v in cells.values() if v.get("error"))
    total = len(session.candidates) * len(session.inputs)
    have = total - n_missing - n_failed
    parts = [ngettext("**{n}** of {total} cell has an output", "**{n}** of {total} cells have an output",
                      total).format(n=fmt.number(have), total=fmt.number(total))]
    if n_failed:
        parts.append(_("**{n}** failed").format(n=fmt.number(n_failed)))
    if n_missing:
        parts.append(_("**{n}** not run yet").format(n=fmt.number(n_missing)))
    st.markdown(" · ".join(parts))
    if active is not None and active.finished:
        st.caption(active.summary())
    c1, c2 = st.columns(2)
    run_label = (ngettext("Run {n} missing cell", "Run {n} missing cells", n_missing).format(n=fmt.number(n_missing))
                 if n_missing else _("Every cell has run"))
    if c1.button(run_label, type="primary", disabled=not n_missing, key=P + "run", icon=":material/play_arrow:"):
        session_run.start_run(session.id, access=access, visitor=visitor, tokens=_tokens(session))
        st.rerun()
    if n_failed and c2.button(ngettext("Retry {n} failed cell", "Retry {n} failed cells", n_failed).format(
            n=fmt.number(n_failed)), key=P + "retry", icon=":material/replay:"):
        store.clear_errors(session.id)
        session_run.start_run(session.id, access=access, visitor=visitor, tokens=_tokens(session))
        st.rerun()


def _tokens(session: Any) -> dict[str, str] | None:
    """The Streamlit secrets' per-backend tokens, when a candidate runs remotely (handed to the run, never shown)."""
    if not any(c.backend for c in session.candidates):
        return None
    from lib.ui.remote_drive import secret_tokens

    return secret_tokens()


@st.fragment(run_every=1.0)
def _progress(session_id: str) -> None:
    from lib.sessions import run as session_run

    active = session_run.active(session_id)
    if active is None or active.finished:
        st.rerun()  # the whole page: the counts and buttons come back
        return
    for p in active.progress().values():
        frac = (p.done / p.total) if p.total else 0.0
        st.progress(min(1.0, frac), text=f"**{fmt.md_escape(p.name or p.model)}** · "
                                         f"{fmt.number(p.done)}/{fmt.number(p.total)} · {fmt.md_escape(p.message)}")
    if st.button(_("Stop after the current batch"), key=P + "cancel", icon=":material/stop:"):
        active.cancel()


# ---- Look -----------------------------------------------------------------------------------------

def _prediction(task: str, output: Any) -> str:
    spec = registry.get(task)
    fn = getattr(spec, "prediction", None) if spec is not None else None
    if output is None:
        return ""
    if fn is not None:
        try:
            value = fn(output)
        except Exception:  # noqa: BLE001 - an odd output shape reads as its raw text
            value = None
        if value is not None:
            return str(value)
    text = output.get("text") if isinstance(output, dict) else None
    return str(text) if text is not None else str(output)[:80]


def grid(session: Any) -> None:
    """Inputs × candidates: each cell the output's short form; filter to the inputs where they disagree;
    open one input to see every output drawn by the task's renderer."""
    from lib.sessions import store

    cells = store.outputs(session.id)
    if not cells:
        st.info(_("Nothing has run yet: open **{run}** first.").format(run=_(SECTIONS[0])),
                icon=":material/play_arrow:")
        return
    names = {c.id: candidate_name(c) for c in session.candidates}
    rows, disagree = [], []
    input_col, reference_col = _("input"), _("reference")
    for inp in session.inputs:
        row: dict[str, Any] = {input_col: inp.text or inp.id}
        preds = []
        for c in session.candidates:
            cell = cells.get((inp.id, c.id))
            if cell is None:
                row[names[c.id]] = "…"
            elif cell.get("error"):
                row[names[c.id]] = "⚠ " + _error_title(cell["error"])
            else:
                pred = _prediction(session.task, cell.get("output"))
                row[names[c.id]] = pred
                preds.append(pred.strip().lower())
        if inp.reference:
            row[reference_col] = inp.reference
        rows.append(row)
        disagree.append(len(set(preds)) > 1)
    only = st.toggle(_("Only inputs where the candidates disagree ({n} of {total})").format(
        n=fmt.number(sum(disagree)), total=fmt.number(len(rows))), key=P + "dis")
    shown = [(i, r) for i, r in enumerate(rows) if disagree[i] or not only]
    st.dataframe([r for _i, r in shown], hide_index=True, width="stretch", key=P + "grid")
    choices = [i for i, _r in shown]
    if not choices:
        return
    pick = st.selectbox(_("Open an input"), choices, key=P + "look_pick",
                        format_func=lambda i: f"{session.inputs[i].id}: {(session.inputs[i].text or '')[:90]}")
    inp = session.inputs[pick]
    show_input(session.task, inp)
    cols = st.columns(min(4, len(session.candidates)))
    for n, c in enumerate(session.candidates):
        with cols[n % len(cols)]:
            st.markdown(f"**{fmt.md_escape(c.name)}**")
            show_output(session.task, inp, cells.get((inp.id, c.id)))


def _error_title(error: dict | None) -> str:
    """A cell's stored error title in this page's language (a run stores its own titles in English, e.g.
    "Run failed"; a runner's title is stored in the language of the run that made it)."""
    title = str((error or {}).get("title") or "")
    return _(title) if title else _("Error")


def display_name(model: str) -> str:
    """A Hub id as is; a folder by its last part (the full path is in the Run and Share sections)."""
    from lib import local_models

    if not local_models.looks_like_path(model):
        return model
    return model.replace("\\", "/").rstrip("/").split("/")[-1] or model


def candidate_name(candidate: Any) -> str:
    """A candidate in a table: :func:`display_name` of its model, and its backend when remote (a dict from
    an export, or a :class:`lib.sessions.info.Candidate`)."""
    from lib.sessions.candidates import name

    get = candidate.get if isinstance(candidate, dict) else lambda k: getattr(candidate, k, None)
    return name(display_name(str(get("model"))), get("backend"))


def input_image(inp: Any) -> Any:
    data = (inp.inputs or {}).get("image")
    if not isinstance(data, (bytes, bytearray)):
        return None
    try:
        from PIL import Image

        return Image.open(io.BytesIO(data)).convert("RGB")
    except Exception:  # noqa: BLE001 - an unreadable picture: the output is drawn without it
        return None


def show_input(task: str, inp: Any) -> None:
    """The input as the raters see it (text, the picture or the clip)."""
    raw = inp.inputs or {}
    with st.container(border=True):
        if isinstance(raw.get("image"), (bytes, bytearray)):
            img = input_image(inp)
            if img is not None:
                st.image(img, width=320)
        if isinstance(raw.get("audio"), (bytes, bytearray)):
            st.audio(bytes(raw["audio"]))
        if raw.get("question"):
            st.markdown(_("**Question:** {question}").format(question=fmt.md_escape(raw["question"])))
            st.caption(fmt.md_escape(raw.get("context", "")))
        elif inp.text:
            st.text(inp.text)
        if raw.get("labels"):
            st.caption(_("Labels: {labels}").format(labels=", ".join(fmt.md_escape(str(x)) for x in raw["labels"])))


def show_output(task: str, inp: Any, cell: dict | None) -> None:
    """One cell drawn by the task's renderer (or its error, or "not run yet")."""
    from lib.ui import outputs

    if cell is None:
        st.caption(_("Not run yet."))
        return
    if cell.get("error"):
        err = cell["error"] or {}
        st.error(f"**{fmt.md_escape(_error_title(err))}** — {fmt.md_escape(str(err.get('message', '')))}",
                 icon=":material/error:")
        return
    spec = registry.get(task)
    result = SimpleNamespace(renderer=spec.renderer if spec else None, output=cell.get("output") or {}, task=task)
    try:
        outputs.render(result, input_image(inp))
    except Exception:  # noqa: BLE001 - a stored output the renderer cannot draw: its raw form
        st.json(cell.get("output"))
    if cell.get("latency_s") is not None:
        st.caption(_("{ms} ms").format(ms=fmt.number(cell["latency_s"] * 1000, decimals=0)))
