"""One session's page: its header (candidates, frozen settings), the Run section (progress per model,
resumable) and the Look grid (inputs × candidates, each output drawn by the task's own renderer)."""
from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import streamlit as st

from lib import format as fmt
from lib import tasks as registry

P = "sess_"
SECTIONS = ("Run", "Look", "Rate", "Results", "Share")


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
        st.page_link("pages/4_Sessions.py", label="All sessions", icon=":material/groups:", query_params={})
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
        st.caption(f"Restored {status.restored} session(s) from {status.repo} at start.")
    for skipped in status.skipped:
        st.warning(f"Not restored: {skipped}", icon=":material/warning:")


def title(session: Any) -> None:
    """The session's name and task, without its candidates (the blind vote shows no model names)."""
    st.header(session.name, anchor=False)
    st.markdown(f":blue-badge[{fmt.md_escape(registry.display_name(session.task))}] "
                f":gray-badge[{len(session.candidates)} candidates] :gray-badge[{len(session.inputs)} inputs] "
                f":gray-badge[created {session.created:%Y-%m-%d %H:%M} UTC]")


def sections() -> list[Any]:
    """The page's sections as tabs (the open one is kept in the URL: ``?view=``); only the open one is drawn."""
    return st.tabs(list(SECTIONS), key="view", bind="query-params")


def settings(session: Any) -> None:
    """The candidates with their frozen revisions, and the settings every run uses."""
    from lib.hub.policy import is_offline
    from lib.local.inventory import presence

    s = session.settings or {}
    rows = []
    offline = is_offline()
    for c in session.candidates:
        stats = c.stats or {}
        remote = c.remote
        where = "—" if remote is not None else presence(c.model, c.revision, offline=offline)
        rows.append({"id": c.id, "model": c.model, "runs on": remote.label if remote is not None else "this machine",
                     "revision": c.revision[:12] if c.revision else (
                         "the server's copy" if remote is not None else "newest (not frozen)"),
                     "device": stats.get("device") or "—", "dtype": stats.get("dtype") or "—",
                     "load": "—" if stats.get("load_s") is None else f"{stats['load_s']:.1f} s",
                     "peak memory": fmt.size_bytes(stats["peak_bytes"]) if stats.get("peak_bytes") else "—",
                     "local copy": where or "yes",
                     "problem": stats.get("error") or ""})
    st.dataframe(rows, hide_index=True, width="stretch", key=P + "cands")
    for r in rows:
        if r["local copy"] != "yes" and r["runs on"] == "this machine":
            st.caption(f"{r['id']} ({fmt.md_escape(r['model'])}): {r['local copy']} — see the Local models page.")
    gen = s.get("generation") or {}
    bits = [f"dtype **{s.get('dtype', 'auto')}**", f"device **{s.get('device', 'auto')}**",
            f"batch size **{s.get('batch_size', 8)}**"]
    bits += [f"{k.replace('_', ' ')} **{fmt.md_escape(str(v))}**" for k, v in gen.items()]
    st.caption("Frozen settings: " + " · ".join(bits))


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
    st.markdown(f"**{total - n_missing - n_failed:,}** of {total:,} cells have an output"
                + (f" · **{n_failed:,}** failed" if n_failed else "") + (f" · **{n_missing:,}** not run yet"
                                                                          if n_missing else ""))
    if active is not None and active.finished:
        st.caption(active.summary())
    c1, c2 = st.columns(2)
    if c1.button(f"Run {n_missing:,} missing cells" if n_missing else "Every cell has run", type="primary",
                 disabled=not n_missing, key=P + "run", icon=":material/play_arrow:"):
        session_run.start_run(session.id, access=access, visitor=visitor, tokens=_tokens(session))
        st.rerun()
    if n_failed and c2.button(f"Retry {n_failed:,} failed cells", key=P + "retry", icon=":material/replay:"):
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
        st.progress(min(1.0, frac), text=f"**{fmt.md_escape(p.name or p.model)}** · {p.done:,}/{p.total:,} · "
                                         f"{fmt.md_escape(p.message)}")
    if st.button("Stop after the current batch", key=P + "cancel", icon=":material/stop:"):
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
        st.info("Nothing has run yet: open **Run** first.", icon=":material/play_arrow:")
        return
    names = {c.id: candidate_name(c) for c in session.candidates}
    rows, disagree = [], []
    for inp in session.inputs:
        row: dict[str, Any] = {"input": inp.text or inp.id}
        preds = []
        for c in session.candidates:
            cell = cells.get((inp.id, c.id))
            if cell is None:
                row[names[c.id]] = "…"
            elif cell.get("error"):
                row[names[c.id]] = "⚠ " + str((cell["error"] or {}).get("title", "error"))
            else:
                pred = _prediction(session.task, cell.get("output"))
                row[names[c.id]] = pred
                preds.append(pred.strip().lower())
        if inp.reference:
            row["reference"] = inp.reference
        rows.append(row)
        disagree.append(len(set(preds)) > 1)
    only = st.toggle(f"Only inputs where the candidates disagree ({sum(disagree)} of {len(rows)})", key=P + "dis")
    shown = [(i, r) for i, r in enumerate(rows) if disagree[i] or not only]
    st.dataframe([r for _, r in shown], hide_index=True, width="stretch", key=P + "grid")
    choices = [i for i, _ in shown]
    if not choices:
        return
    pick = st.selectbox("Open an input", choices, key=P + "look_pick",
                        format_func=lambda i: f"{session.inputs[i].id}: {(session.inputs[i].text or '')[:90]}")
    inp = session.inputs[pick]
    show_input(session.task, inp)
    cols = st.columns(min(4, len(session.candidates)))
    for n, c in enumerate(session.candidates):
        with cols[n % len(cols)]:
            st.markdown(f"**{fmt.md_escape(c.name)}**")
            show_output(session.task, inp, cells.get((inp.id, c.id)))


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
            st.markdown(f"**Question:** {fmt.md_escape(raw['question'])}")
            st.caption(fmt.md_escape(raw.get("context", "")))
        elif inp.text:
            st.text(inp.text)
        if raw.get("labels"):
            st.caption("Labels: " + ", ".join(fmt.md_escape(str(x)) for x in raw["labels"]))


def show_output(task: str, inp: Any, cell: dict | None) -> None:
    """One cell drawn by the task's renderer (or its error, or "not run yet")."""
    from lib.ui import outputs

    if cell is None:
        st.caption("Not run yet.")
        return
    if cell.get("error"):
        err = cell["error"] or {}
        st.error(f"**{fmt.md_escape(str(err.get('title', 'Error')))}** — {fmt.md_escape(str(err.get('message', '')))}",
                 icon=":material/error:")
        return
    spec = registry.get(task)
    result = SimpleNamespace(renderer=spec.renderer if spec else None, output=cell.get("output") or {}, task=task)
    try:
        outputs.render(result, input_image(inp))
    except Exception:  # noqa: BLE001 - a stored output the renderer cannot draw: its raw form
        st.json(cell.get("output"))
    if cell.get("latency_s") is not None:
        st.caption(f"{cell['latency_s'] * 1000:,.0f} ms")
