"""The "Run remotely" section: the same inputs, renderers and code view as the test-drive, computed by an
inference server (Inference Providers, an Inference Endpoint, a TGI / vLLM / OpenAI-compatible URL).

``render_remote_drive(model, task, *, key="rd", live=(), language=None)`` draws a backend choice (kept in the
page URL through :meth:`lib.hub.inference.Backend.params`), the task's input widgets (:mod:`lib.ui.inputs`),
Run, then the output (:mod:`lib.ui.outputs`) with time to first token and tokens/s, and the code reproducing the
run (:mod:`lib.runner.remote_code`). Run submits a job (``lib.jobs.submit(…, backend=)``, a
:class:`lib.jobs.remote.RemoteJob`) followed by a fragment: the text as it streams in, with Cancel (the stream
stops at its next piece, the text so far is kept). Every failure is a message. Below, what earlier runs of the
model measured per backend (:func:`lib.jobs.speeds.recent`, medians). Offline, the section says it needs the
network and sends nothing.
The Model page calls :func:`model_page_section` (expanded when the fit verdict says it does not fit here);
the Playground calls :func:`render_remote_drive` under its Local | Remote radio.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lib import format as fmt
from lib import tasks as registry
from lib.hub.errors import HubError
from lib.hub.inference import Backend, backend_token, check_url, with_token
from lib.hub.policy import is_offline, offline_message
from lib.logs import for_people
from lib.runner.remote import REMOTE_TASKS, supports
from lib.runner.result import RunOptions, RunResult
from lib.ui import inputs as input_ui
from lib.ui import outputs
from lib.ui.frame import visitor_access

KINDS = {"providers": "Inference Providers", "url": "A URL (Endpoint / TGI / vLLM / OpenAI-compatible)"}


@dataclass
class RemoteRun:
    """The last remote run or failure per section key (kept in session state across reruns)."""

    model: str
    task: str
    result: RunResult | None = None
    error: str | None = None
    partial: str = ""  # the text streamed before a failure (or a cancel)
    cancelled: bool = False


def does_not_fit(table, host: str) -> bool:
    """Whether the fit table says the model fits on ``host`` in no dtype (every verdict ``no_fit``)."""
    rows = [v for v in getattr(table, "rows", ()) if v.host == host]
    return bool(rows) and all(getattr(v.kind, "value", v.kind) == "no_fit" for v in rows)


def _seed(key: str) -> None:
    """The first visit takes the backend from the URL (``backend=providers|url``, ``provider=``, ``url=``)."""
    if f"{key}_kind" in st.session_state:
        return
    from lib.settings import get_settings

    qp = st.query_params
    b = Backend.from_params(qp.get("backend"), url=qp.get("url"), provider=qp.get("provider"))
    st.session_state[f"{key}_kind"] = b.kind if b.kind in KINDS else "providers"
    st.session_state[f"{key}_provider"] = b.provider
    st.session_state[f"{key}_url"] = b.url or get_settings().inference_url or ""


def backend_choice(key: str, live: tuple[str, ...] = (), keep_in_url: bool = True) -> Backend:
    """The backend widgets -> a Backend; the choice is written to the page URL (``keep_in_url=False``: only
    a choice other than the default, so a page that merely shows the section keeps a clean URL)."""
    _seed(key)
    kind = st.radio("Backend", list(KINDS), format_func=KINDS.__getitem__, key=f"{key}_kind", horizontal=True)
    if kind == "providers":
        names = ["auto", *[p for p in live if p != "auto"]]
        if st.session_state.get(f"{key}_provider") not in names:
            names.append(st.session_state[f"{key}_provider"])
        provider = st.selectbox("Provider", names, key=f"{key}_provider",
                                help="auto: the first live provider of this model (your HF_TOKEN is needed).")
        backend = Backend(kind="providers", provider=provider)
    else:
        url = st.text_input("Server base URL", key=f"{key}_url", placeholder="https://…endpoints.huggingface.cloud",
                            help="Token: this host's in HUBSCOUT_INFERENCE_TOKENS or the secrets' [inference_tokens], "
                                 "else HUBSCOUT_INFERENCE_TOKEN (HF_TOKEN only goes to Hugging Face hosts).")
        chat = st.toggle("Chat completion (/v1/chat/completions)", value=True, key=f"{key}_chat",
                         help="Off: TGI's plain text generation (the prompt continued).")
        backend = Backend(kind="url", url=url.strip() or None, chat=chat)
    backend = with_secret_token(backend)
    params = backend.params()
    default = Backend(kind="providers").params()
    if not keep_in_url and params == default:
        params = {}
    for name in ("backend", "provider", "url"):
        if name in params:
            st.query_params[name] = params[name]
        elif name in st.query_params:
            del st.query_params[name]
    return backend


def secret_tokens() -> dict[str, str]:
    """The ``[inference_tokens]`` table of Streamlit's secrets (``name = "token"``: a provider, or a URL's host
    with or without its port), read here only and handed to lib as data; {} when there is none."""
    try:
        table = st.secrets["inference_tokens"]
    except Exception:  # noqa: BLE001 - no secrets file, or no such table
        return {}
    try:
        return {str(k): str(v) for k, v in dict(table).items() if isinstance(v, str)}
    except Exception:  # noqa: BLE001 - not a table
        return {}


def with_secret_token(backend: Backend) -> Backend:
    """``backend`` with its token from the secrets' ``[inference_tokens]`` (kept off its repr, the URL and the
    page), when they hold one for it; unchanged otherwise (lib then looks in HUBSCOUT_INFERENCE_TOKENS)."""
    if not backend.remote:
        return backend
    token = backend_token(backend, secret_tokens())
    return with_token(backend, token) if token else backend


def _url_problem(backend: Backend) -> str | None:
    """Why the URL would be refused (scheme, host not allowed on a public instance), before any request."""
    if backend.kind != "url":
        return None
    try:
        check_url(backend.base_url, visitor_access())
    except HubError as e:
        return e.message
    return None


def render_remote_drive(model: str, task: str | None, *, key: str = "rd", live: tuple[str, ...] = (),
                        language: str | None = None, keep_in_url: bool = True) -> Backend | None:
    """Draw the section for ``model`` and ``task`` (see the module doc); returns the backend chosen (None when
    the section could not offer one: offline, or a task that does not run remotely)."""
    if is_offline():
        st.info(f"**Remote runs need the network.** {fmt.md_escape(offline_message())}: nothing is sent.",
                icon=":material/cloud_off:")
        return None
    spec = registry.get(task)
    if spec is None or not supports(spec.tag):
        names = ", ".join(registry.display_name(t) for t in REMOTE_TASKS)
        st.info(f"{registry.display_name(task) if task else 'This task'} does not run remotely here "
                f"(remote tasks: {names}).", icon=":material/block:")
        return None
    backend = backend_choice(key, live, keep_in_url)
    problem = _url_problem(backend)
    if problem:
        st.warning(fmt.md_escape(problem), icon=":material/link_off:")
    example = registry.example_inputs(spec.tag, language, None)
    ins = input_ui.input_widgets(spec, key, example)
    if st.button("Run remotely", type="primary", key=f"{key}_run", icon=":material/cloud:",
                 disabled=bool(problem)):
        if ins.problem:
            st.session_state[f"{key}_last"] = RemoteRun(model, spec.tag, error=ins.problem)
        else:
            _run(key, model, spec.tag, ins.raw, RunOptions(**ins.settings), backend)
    _collect(key)
    _follow(key, model, spec.tag)
    _show_last(key, model, spec.tag)
    _measured(model)
    return backend


def _run(key: str, model: str, task: str, raw: dict, opts: RunOptions, backend: Backend) -> None:
    """Submit the run as a job (lib.jobs: streamed, cancellable, its speed recorded); a fragment follows it."""
    from lib import jobs
    from lib.ui.frame import visitor_name
    from lib.ui.visitor import visitor_id

    old = st.session_state.get(f"{key}_job")
    if old is not None and not old.finished:
        old.cancel()  # one run per section: a new Run replaces the one still streaming
    st.session_state.pop(f"{key}_last", None)
    st.session_state[f"{key}_job"] = jobs.submit(model, task, [raw], opts, backend=backend, access=visitor_access(),
                                                 visitor=visitor_id(visitor_name()))


def _collect(key: str) -> bool:
    """A finished job becomes the section's last run (its result, or its error with the text so far); True
    when there was one to collect."""
    job = st.session_state.get(f"{key}_job")
    if job is None or not job.finished:
        return False
    st.session_state.pop(f"{key}_job", None)
    live = job.live(0) if hasattr(job, "live") else None
    partial = live.text if live is not None else ""
    result, error = job.result(0), job.error(0)
    if result is not None:
        last = RemoteRun(job.model, job.task, result=result)
    elif error is not None:
        last = RemoteRun(job.model, job.task, error=for_people(error[1] or error[0]), partial=partial)
    else:
        last = RemoteRun(job.model, job.task, error="Cancelled: the run was stopped before it finished.",
                         partial=partial, cancelled=True)
    st.session_state[f"{key}_last"] = last
    return True


def _follow(key: str, model: str, task: str) -> None:
    job = st.session_state.get(f"{key}_job")
    if job is not None and (job.model, job.task) == (model, task):
        _progress(key)


@st.fragment(run_every=0.3)
def _progress(key: str) -> None:
    """The running remote job: the text streamed so far with its time to first token, and Cancel; refreshed
    by itself (the rest of the page stays usable). When the job ends the page is drawn again with the outcome."""
    job = st.session_state.get(f"{key}_job")
    if job is None:
        return
    if job.finished:
        _collect(key)
        st.rerun()
    backend = getattr(job, "backend", None)
    live = job.live(0) if hasattr(job, "live") else None
    with st.container(border=True):
        if live is not None and live.text:
            st.markdown(fmt.md_escape(live.text))
        else:
            st.caption(f"Asking {backend.label if backend is not None else 'the server'}…")
        if live is not None and live.ttft_s is not None:
            rate = f", {live.tokens_per_s:.1f} tokens/s" if live.tokens_per_s else ""
            st.caption(f"Time to first token {live.ttft_s * 1000:.0f} ms · {live.tokens} tokens so far{rate}")
    st.button("Cancel", key=f"{key}_cancel", icon=":material/cancel:", on_click=job.cancel,
              help="Stops the stream at its next piece; the text so far is kept.")


def _show_last(key: str, model: str, task: str) -> None:
    last: RemoteRun | None = st.session_state.get(f"{key}_last")
    if last is None or (last.model, last.task) != (model, task):
        return
    if last.cancelled:
        st.info(fmt.md_escape(last.error or "Cancelled."), icon=":material/cancel:")
        if last.partial:
            st.caption("Text received before the cancel:")
            st.text(last.partial)
        return
    if last.error:
        st.error(f"**The remote run failed** — {fmt.md_escape(last.error)}", icon=":material/error:")
        if last.partial:
            st.caption("Text received before the failure:")
            st.text(last.partial)
        return
    res = last.result
    for n in res.notices:
        st.info(n, icon=":material/info:")
    outputs.render(res)
    stats = res.remote
    c1, c2, c3 = st.columns(3)
    c1.metric("Latency", f"{res.latency_s * 1000:.0f} ms" if res.latency_s < 10 else f"{res.latency_s:.1f} s",
              help="Request to last byte.")
    if stats is not None and stats.ttft_s is not None:
        c2.metric("Time to first token", f"{stats.ttft_s * 1000:.0f} ms")
        c3.metric("Tokens/s", f"{stats.tokens_per_s:.1f}" if stats.tokens_per_s else "–",
                  help=f"{stats.tokens} tokens streamed." if stats.tokens else None)
    st.caption(f"Ran on **{res.device}**.")
    with st.expander("Code that reproduces this remote run", expanded=False):
        st.code(res.code, language="python")


def speed_line(summary) -> str:
    """One backend's measured speed in words: ``On h:8080: time to first token 120 ms, 35.0 tokens/s — median of
    7 runs`` (latency instead where nothing was streamed)."""
    parts = []
    if summary.ttft_s is not None:
        parts.append(f"time to first token {summary.ttft_s * 1000:.0f} ms")
    if summary.tokens_per_s is not None:
        parts.append(f"{summary.tokens_per_s:.1f} tokens/s")
    if not parts and summary.latency_s is not None:
        parts.append(f"latency {summary.latency_s * 1000:.0f} ms")
    runs = "the one run" if summary.runs == 1 else f"median of {summary.runs} runs"
    return f"On {summary.label}: {', '.join(parts) or 'no figures'} — {runs}"


def _measured(model: str) -> None:
    """What earlier remote runs of ``model`` measured, per backend (lib.jobs.speeds)."""
    from lib.jobs import speeds

    rows = speeds.recent(model)
    if rows:
        st.caption("Measured here: " + " · ".join(fmt.md_escape(speed_line(r)) for r in rows))


def model_page_section(details, served, fits_not_here: bool) -> None:
    """The Model page's "Run remotely" section: expanded and suggested when the model does not fit here."""
    st.subheader("Run remotely", anchor=False)
    if fits_not_here:
        st.info("**This model does not fit on this machine:** run it on an inference server instead.",
                icon=":material/cloud:")
    live = tuple(m.provider for m in getattr(served, "live", ()) or ())
    wanted = st.query_params.get("backend") in ("providers", "url")
    with st.expander("Run on Inference Providers or a server URL", expanded=fits_not_here or wanted):
        backend = render_remote_drive(details.id, details.pipeline_tag, key="m_rd", live=live,
                                      language=(details.languages[0] if getattr(details, "languages", ()) else None),
                                      keep_in_url=False)
        add_to_session(details.id, backend, key="m_rd")


def add_to_session(model: str, backend: Backend | None, key: str) -> None:
    """"Add to session" for ``model`` on ``backend`` (a session candidate is a model and where it runs);
    nothing when no backend was offered."""
    if backend is None:
        return
    from lib.sessions.candidates import entry
    from lib.ui import shortlist

    shortlist.add_button(entry(model, backend), key=key)
