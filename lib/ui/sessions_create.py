"""The Sessions start screen: create a session (name, task, 2-8 candidates, inputs, frozen settings), import
an exported one, and the list of recent sessions."""
from __future__ import annotations

from typing import Any

import streamlit as st

from lib import format as fmt
from lib import i18n
from lib import tasks as registry
from lib.i18n import N_, _, ngettext
from lib.sessions import candidates as cands
from lib.sessions import setup
from lib.ui import shortlist
from lib.ui.inputs import generation_settings

P = "sess_new_"
#: how the inputs are given: value -> label (translated where shown)
HOW = {"type": N_("Type"), "upload": N_("Upload CSV / JSON lines")}


def _open(session_id: str) -> None:
    """Show ``session_id`` (its link: ``?session=``); the shortlist that made it is done."""
    keep = {"source": st.query_params["source"]} if "source" in st.query_params else {}
    st.query_params.from_dict({**keep, "session": session_id})


def create_form(access: Any) -> None:
    """The "New session" form; on success the page switches to the new session (``?session=``)."""
    from lib.sessions import inputs as parse
    from lib.sessions import store
    from lib.sessions.errors import SessionError

    st.subheader(_("New session"), anchor=False)
    st.caption(_("Compare 2–8 models on the same inputs: run them all, rate their outputs blind, and end with a "
                 "leaderboard that has confidence intervals. Collect models with **Add to session** on Discover, "
                 "the Model page or the Playground, or type them here."))
    short = shortlist.current()
    name = st.text_input(_("Session name"), key=P + "name",
                         placeholder=_("e.g. Spanish sentiment for support tickets"))
    chosen = st.session_state.get(P + "models")
    typed = st.multiselect(
        _("Candidates (2–8): Hub ids or model folders on this machine — add `@ providers` or `@ url:https://…` "
          "to run one remotely") if access.local_folders else
        _("Candidates (2–8): Hub ids — add `@ providers` or `@ url:https://…` to run one remotely"),
        options=list(dict.fromkeys([*short, *(chosen or [])])), default=short if chosen is None else None,
        key=P + "models", accept_new_options=True, max_selections=cands.MAX_CANDIDATES,
        format_func=i18n.in_current(_shown),
        placeholder=_("Type a Hub id (owner/name) and press Enter"))
    remote_adder()
    checks, problems = cands.check(typed, access) if typed else ([], [])
    for c in checks:
        if c.note and not c.problem:
            st.caption(f"{fmt.md_escape(c.model)}: {c.note}")
    tasks = [t for t in registry.registry() if setup.unsupported(t) is None]
    tasks.sort(key=registry.display_name)
    guess = cands.common_task(checks)
    if P + "task" not in st.session_state or (guess and st.session_state.get(P + "task_guess") != guess):
        st.session_state[P + "task_guess"] = guess
        st.session_state[P + "task"] = guess if guess in tasks else "text-classification"
    task = st.selectbox(_("Task (every candidate runs it)"), tasks, key=P + "task",
                        format_func=i18n.in_current(registry.display_name))
    wrong = [c.model for c in checks if c.task and c.task != task and not c.problem]
    if wrong:
        st.caption(_("{models}: tagged for another task on the Hub; the run says per cell if a model cannot do "
                     "this one.").format(models=", ".join(fmt.md_escape(m) for m in wrong)))

    st.markdown(_("**Inputs**"))
    rows, read_problem, extra = _inputs(task, parse)
    with st.expander(_("Settings (frozen when the session is created)"), expanded=False):
        c1, c2, c3 = st.columns(3)
        dtype = c1.selectbox("dtype", setup.DTYPES, key=P + "dtype")  # i18n: the technical name of the setting
        device = c2.selectbox(_("Device"), setup.DEVICES, key=P + "device")
        batch = c3.number_input(_("Batch size"), 1, 64, 8, key=P + "batch")
        gen = generation_settings(P + "gen") if setup.kind_of(task) in ("chat", "image_prompt") else {}
    create = st.button(_("Create session"), type="primary", key=P + "create", icon=":material/add_circle:")
    if not create:
        return
    blocking = list(problems) + ([read_problem] if read_problem else [])
    if not name.strip():
        blocking.insert(0, _("Give the session a name."))
    if not rows and not read_problem:
        blocking.append(_("Add at least one input: type some lines or upload a file."))
    if setup.needs_labels(task) and not extra.get("labels"):
        blocking.append(_("Give the candidate labels every input is scored against (comma-separated)."))
    blocking += cands.task_problems(task, [(c.model, c.params) for c in checks])
    if rows and any(r.get("reference") for r in rows):
        known = cands.labels(task, checks, extra.get("labels"))
        blocking += [p for p in parse.check_references(task, [r.get("reference") for r in rows], known)
                     if "not among" in p]
    if blocking:
        for b in blocking:
            st.error(b, icon=":material/error:")
        return
    try:
        items = setup.session_inputs(task, rows, labels=extra.get("labels"), question=extra.get("question"),
                                     multi_label=extra.get("multi_label", False))
        info = store.create_session(name.strip(), task, [c.model for c in checks], items,
                                    setup.frozen_settings(dtype=dtype, device=device, generation=gen,
                                                          batch_size=int(batch)),
                                    revisions={c.model: c.revision for c in checks if c.backend is None},
                                    backends=[c.params for c in checks])
    except SessionError as e:
        st.error(str(e), icon=":material/error:")
        return
    shortlist.clear()
    _open(info.id)
    st.rerun()


def _shown(text: str) -> str:
    """A candidate entry as people read it: ``owner/name · Inference Providers (auto)``."""
    model, backend = cands.parse_entry(text)
    return cands.name(model, cands.params_of(backend))


def remote_adder() -> None:
    """"Add a remote candidate": a model on Inference Providers (auto or a provider) or on a server URL
    (default ``HUBSCOUT_INFERENCE_URL``), added to the candidates as an entry (checked with the others)."""
    from lib.settings import get_settings
    from lib.ui.remote_drive import KINDS

    with st.expander(_("Add a remote candidate (Inference Providers or a server URL)"), icon=":material/cloud:"):
        st.caption(_("A model that does not fit here can still be compared: it runs on an inference server, "
                     "beside the local candidates. The same model may be added once per backend."))
        st.text_input(_("Model: a Hub id, or the model name the server serves"), key=P + "r_model")
        kind = st.radio(_("Runs on"), list(KINDS), format_func=i18n.in_current(lambda k: _(KINDS[k])),
                        key=P + "r_kind", horizontal=True)
        if kind == "providers":
            st.text_input(_("Provider (auto: the first live one)"), value="auto", key=P + "r_provider")
        else:
            st.text_input(_("Server base URL"), value=get_settings().inference_url or "", key=P + "r_url",
                          placeholder="https://…endpoints.huggingface.cloud")
        st.button(_("Add remote candidate"), key=P + "r_add", icon=":material/add:", on_click=_add_remote)
        said = st.session_state.get(P + "r_said")
        if said:
            st.caption(_said(said))


def _said(said: Any) -> str:
    """What the remote adder said last, in the language of this run (kept as (msgid, values))."""
    if isinstance(said, str):
        return said
    msgid, values = said
    return _(msgid).format(**{k: _shown(v) if k == "model" else fmt.number(v) if isinstance(v, int) else v
                              for k, v in values.items()})


def _add_remote() -> None:
    from lib.hub.inference import Backend

    ss = st.session_state
    model = (ss.get(P + "r_model") or "").strip()
    if not model:
        ss[P + "r_said"] = (N_("Enter the model first."), {})
        return
    if ss.get(P + "r_kind", "providers") == "providers":
        backend = Backend(kind="providers", provider=(ss.get(P + "r_provider") or "").strip() or "auto")
    else:
        backend = Backend(kind="url", url=(ss.get(P + "r_url") or "").strip() or None)
    chosen = list(ss.get(P + "models") or [])
    if len(chosen) >= cands.MAX_CANDIDATES:
        ss[P + "r_said"] = (N_("A session compares at most {n} models: remove one first."),
                            {"n": cands.MAX_CANDIDATES})
        return
    item = cands.entry(model, backend)
    ss[P + "models"] = list(dict.fromkeys([*chosen, item]))
    ss[P + "r_said"] = (N_("Added {model}."), {"model": item})


def _inputs(task: str, parse: Any) -> tuple[list[dict], str | None, dict]:
    """The inputs widgets for ``task`` -> (rows, a problem reading them, shared settings)."""
    from lib.sessions.errors import InputsError

    extra: dict[str, Any] = {}
    kind = setup.kind_of(task)
    if setup.needs_labels(task):
        labels = st.text_input(_("Candidate labels (comma-separated, shared by every input)"), key=P + "labels")
        extra["labels"] = [s.strip() for s in labels.split(",") if s.strip()]
        if kind == "text_labels":
            extra["multi_label"] = st.toggle(_("Several labels can be true"), key=P + "multi")
    if setup.needs_question(task) or kind == "image_prompt":
        extra["question"] = st.text_input(_("Question about every image") if setup.needs_question(task)
                                          else _("Prompt for every image (optional)"), key=P + "question")
    rows: list[dict] = []
    try:
        if setup.is_media(task):
            files = st.file_uploader(_("Files (several, or one zip)"), accept_multiple_files=True,
                                     key=P + "media", type=None)
            if files:
                rows = parse.parse_media([(f.name, f.getvalue()) for f in files])
            return rows, None, extra
        how = st.segmented_control(_("How"), list(HOW), default="type", key=P + "how",
                                   format_func=i18n.in_current(lambda v: _(HOW[v])), label_visibility="collapsed")
        if how == "upload":
            up = st.file_uploader(
                (_("A CSV or JSON lines file: a `question` and a `context` column, and optionally a `reference` "
                   "column (label, answer or reference text). At most {n} rows.") if kind == "question_context"
                 else _("A CSV or JSON lines file: a text column, and optionally a `reference` column (label, "
                        "answer or reference text). At most {n} rows.")).format(n=fmt.number(parse.MAX_ROWS)),
                type=["csv", "jsonl", "json", "tsv", "txt"], key=P + "table")
            if up is not None:
                rows = parse.parse_table(up.name, up.getvalue())
                with_ref = sum(1 for r in rows if r.get("reference"))
                st.caption(ngettext("{n} input read from {file}", "{n} inputs read from {file}", len(rows)).format(
                    n=fmt.number(len(rows)), file=fmt.md_escape(up.name))
                    + (ngettext(", {n} with a reference", ", {n} with a reference", with_ref).format(
                        n=fmt.number(with_ref)) if rows else ""))
        else:
            if kind == "question_context":
                st.caption(_("Question answering needs a question and a context per input: upload a table."))
                return rows, None, extra
            text = st.text_area(_("One input per line (at most {n})").format(n=fmt.number(parse.MAX_ROWS)),
                                key=P + "lines", height=150)
            rows = parse.parse_text_lines(text) if text.strip() else []
    except InputsError as e:
        return [], str(e), extra
    return rows, None, extra


def import_form() -> None:
    """Import a JSON export from another Hub Scout: a new session here (never overwrites one)."""
    from lib.sessions import store
    from lib.sessions.errors import SessionError

    with st.expander(_("Import a session (a JSON export from another Hub Scout)"), icon=":material/upload_file:"):
        up = st.file_uploader(_("Session export (.json)"), type=["json"], key=P + "import")
        if up is not None and st.button(_("Import"), key=P + "import_go", icon=":material/upload:"):
            try:
                info = store.import_session(up.getvalue())
            except SessionError as e:
                st.error(str(e), icon=":material/error:")
                return
            _open(info.id)
            st.rerun()


def recent() -> None:
    """The sessions in this store, newest first, each a link to open it."""
    from lib.sessions import store

    rows = store.list_sessions()
    st.subheader(_("Sessions"), anchor=False)
    if not rows:
        st.caption(_("No session yet."))
        return
    for row in rows:
        sid, name, task, created, n_c, n_i, n_v = row
        when = fmt.datetime_text(created) if hasattr(created, "strftime") else str(created)
        label = _("**{name}** · {task} · {models} × {inputs} · {votes} · {when} UTC").format(
            name=name, task=registry.display_name(task),
            models=ngettext("{n} model", "{n} models", n_c).format(n=fmt.number(n_c)),
            inputs=ngettext("{n} input", "{n} inputs", n_i).format(n=fmt.number(n_i)),
            votes=ngettext("{n} vote", "{n} votes", n_v).format(n=fmt.number(n_v)), when=when)
        st.page_link("pages/4_Sessions.py", label=label, icon=":material/groups:",  # i18n: the page's path
                     query_params={"session": sid})
