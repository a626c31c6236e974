"""The Playground's model box and task picker: a Hub id or (off a public instance) a local model folder,
resolved to what the test-drive section runs (:mod:`lib.ui.test_drive`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from lib import access as policy
from lib import format as fmt
from lib import local_models
from lib import tasks as registry
from lib.ui.frame import visitor_access
from lib.ui.test_drive import runnable_tasks


def _details(model_id: str):
    """The model's Hub facts; the gateway's facts cache makes reruns free (and keeps failures only
    briefly, so a Hub hiccup is not remembered for minutes)."""
    from lib.hub.lookup import fetch_model_details

    return fetch_model_details(model_id, with_card=False)


@dataclass
class ModelChoice:
    """What the Playground's model box resolved to.

    model: the id or folder; details: Hub facts (None for folders or when unknown); task: the
    suggested pipeline tag (Hub tag, or guessed from a folder's config); problem: why it cannot be used.
    """

    model: str
    details: Any = None
    task: str | None = None
    problem: str | None = None
    local: bool = False


def resolve_model(text: str, access: policy.Access | None = None) -> ModelChoice:
    """A Hub id or a local model folder -> ModelChoice (Hub facts are cached for 10 minutes). Where
    ``access`` (default: this visitor's) allows no server folders, any path gets one and the same
    answer, and the disk is never looked at."""
    access = access if access is not None else visitor_access()
    model = (text or "").strip()
    if not model:
        return ModelChoice("", problem="Enter a Hub model id (owner/name)" + (
            " or a local model folder." if access.local_folders else "."))
    if not access.local_folders:
        if local_models.looks_like_path(model):
            return ModelChoice(model, problem=policy.HUB_IDS_ONLY)
    elif local_models.is_local_folder(model):
        return ModelChoice(model, None, local_models.guess_task(model), local=True)
    elif local_models.looks_like_path(model):
        return ModelChoice(model, problem=local_models.NOT_A_MODEL_FOLDER)
    from lib.hub.errors import HubError

    try:
        details = _details(model)
    except HubError as e:  # shown as markdown: the typed id must not become a link or emphasis
        return ModelChoice(model, problem=fmt.md_escape(str(e)))
    except Exception as e:  # noqa: BLE001 - the Hub being odd must not break the page
        from lib.logs import for_people, log_failure

        log_failure(e, f"test-drive lookup of {model}")
        return ModelChoice(model, None, None, f"Could not look up {for_people(model, 200)}.")
    return ModelChoice(model, details, details.pipeline_tag)


def task_picker(choice: ModelChoice) -> str:
    """The Playground's task selector: defaults to the URL's task on the first visit, else the model's
    pipeline tag (for a folder, guessed from its config); keeps the URL in sync. Returns the task."""
    tags = runnable_tasks()
    if st.session_state.get("pg_task_for") != choice.model:
        first_visit = "pg_task_for" not in st.session_state
        wanted = st.query_params.get("task") if first_visit else None
        wanted = wanted if wanted in tags else choice.task
        st.session_state["pg_task"] = wanted if wanted in tags else tags[0]
        st.session_state["pg_task_for"] = choice.model
        if choice.task and choice.task not in tags:
            spec = registry.get(choice.task)
            st.info(f"This model's task, {registry.display_name(choice.task)}, is not runnable here"
                    + (f": {registry.reason(spec)}" if spec and spec.reason else ".")
                    + " Pick another task to try it anyway.")
    task = st.selectbox("Task", tags, key="pg_task", format_func=registry.display_name,
                        help="Defaults to the model's pipeline tag (for a folder: guessed from its config.json).")
    if choice.local:
        st.caption(f"Local folder · task guessed from config.json: {registry.display_name(choice.task)}"
                   if choice.task else "Local folder · no task could be guessed from its config.json")
    elif choice.details is not None:
        st.caption(f"Hub model · pipeline tag: {registry.display_name(choice.details.pipeline_tag)}"
                   if choice.details.pipeline_tag else "Hub model · no pipeline tag")
        missing = getattr(choice.details, "missing", None) or []
        if getattr(choice.details, "source", "live") == "offline" and missing:  # say why facts are missing
            st.warning(f"{fmt.md_escape(missing[0])}: the task and size come from what is known without the "
                       "Hub; pick the task yourself if it is wrong.", icon=":material/cloud_off:")

    st.query_params["model"] = choice.model
    st.query_params["task"] = task
    return task


def backend_radio() -> str:
    """Local | Remote (seeded from the URL's ``backend=``); ``local`` or ``remote``. Local drops the remote
    choice from the URL (the remote section writes its own)."""
    if "pg_backend" not in st.session_state:
        st.session_state["pg_backend"] = "local" if st.query_params.get("backend", "local") == "local" else "remote"
    where = st.radio("Run on", ["local", "remote"], key="pg_backend", horizontal=True,
                     format_func={"local": "This machine", "remote": "Remote (providers or a URL)"}.__getitem__)
    if where == "local":
        for name in ("backend", "provider", "url"):
            if name in st.query_params:
                del st.query_params[name]
    return where


def live_providers(choice: ModelChoice) -> tuple[str, ...]:
    """The live Inference Providers of a Hub model (none for a folder or an offline view)."""
    if choice.local or choice.details is None or getattr(choice.details, "source", "live") != "live":
        return ()
    from lib.hub.lookup import served_by

    return tuple(m.provider for m in served_by(choice.model).live)
