"""A session's candidates before it is created: each typed model checked, its revision frozen.

:func:`check` turns what the user typed (Hub ids, or model folders where the visitor may use them) into
:class:`CandidateCheck` rows: the model as it will be stored, the commit sha the Hub reports (frozen in
the session's settings so that every rater judges the same weights), the model's own task, and either a
``problem`` (the session cannot be created with it) or a ``note`` (it can: e.g. the Hub did not answer,
so the revision is unknown and the run uses the newest).

A candidate is a model **and where it runs** (issue 11): this machine, or a remote backend
(:class:`lib.hub.inference.Backend`: Inference Providers, a provider, a server URL). Typed (and kept in the
shortlist) as an *entry*: ``owner/name`` (this machine), ``owner/name @ providers``,
``owner/name @ providers:<provider>``, ``name @ url:https://host/…`` or ``name @ url`` (the default URL,
``HUBSCOUT_INFERENCE_URL``, frozen when checked) — :func:`parse_entry` / :func:`entry`. Stored as the
backend's URL parameters (:meth:`Backend.params`, never a token; None: this machine) and named for people by
:func:`name` (``Qwen/Qwen2.5-72B-Instruct · Inference Providers (auto)``). The same model twice is fine on
different backends; a remote candidate needs a task in :data:`lib.runner.remote.REMOTE_TASKS`
(:func:`task_problems`) and is never refused for not fitting this machine.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lib import access as policy
from lib import format as fmt
from lib import local_models
from lib.hub.inference import Backend
from lib.i18n import _

MIN_CANDIDATES = 2
MAX_CANDIDATES = 8


@dataclass(frozen=True)
class CandidateCheck:
    """One typed candidate, checked.

    model: the Hub id (normalised) or the folder; revision: the commit sha when the Hub gave one;
    task: the model's pipeline tag when known; local: a folder on this machine;
    problem: why it cannot be a candidate (None: it can); note: something to say about it anyway.
    """

    model: str
    revision: str | None = None
    task: str | None = None
    local: bool = False
    problem: str | None = None
    note: str | None = None
    backend: Backend | None = None  # None: this machine

    @property
    def params(self) -> dict[str, str] | None:
        """Where it runs, as stored (:func:`params_of`)."""
        return params_of(self.backend)

    @property
    def key(self) -> tuple[str, str]:
        """What must be unique in a session: the model on its backend."""
        return self.model, json.dumps(self.params, sort_keys=True)

    @property
    def name(self) -> str:
        return name(self.model, self.params)


# ------------------------------------------------------------------------------- model + backend
_ENTRY = re.compile(r"^(?P<model>.*?)\s*@\s*(?P<kind>providers|url|local)(?::(?P<arg>\S+))?\s*$")
_PROVIDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def parse_entry(text: str) -> tuple[str, Backend | None]:
    """A typed / shortlisted candidate -> (model, backend; None: this machine). See the module doc."""
    text = (text or "").strip()
    m = _ENTRY.match(text)
    if m is None or not m.group("model"):
        return text, None
    model, kind, arg = m.group("model"), m.group("kind"), m.group("arg")
    if kind == "local":
        return model, None
    if kind == "providers":
        return model, Backend(kind="providers", provider=arg or "auto")
    return model, Backend(kind="url", url=arg.replace("%2C", ",") if arg else None)


def entry(model: str, backend: Backend | None) -> str:
    """The inverse of :func:`parse_entry` (what "Add to session" puts in the shortlist)."""
    if backend is None or not backend.remote:
        return model
    if backend.kind == "providers":
        return f"{model} @ providers" + (f":{backend.provider}" if backend.provider not in ("", "auto") else "")
    url = backend.url or ""
    return f"{model} @ url" + (f":{url.replace(',', '%2C')}" if url else "")


def params_of(backend: Backend | None) -> dict[str, str] | None:
    """A backend as a candidate stores it: :meth:`Backend.params` (never a token); None for this machine."""
    return backend.params() if backend is not None and backend.remote else None


def backend_of(params: Mapping[str, Any] | None) -> Backend | None:
    """A stored candidate's backend (None: this machine; an unknown kind is this machine too)."""
    if not params:
        return None
    b = Backend.from_params(str(params.get("backend") or ""), url=params.get("url"), provider=params.get("provider"))
    return b if b.remote else None


def where(params: Mapping[str, Any] | None) -> str:
    """Where a candidate runs, in words: ``this machine``, ``Inference Providers (auto)``, ``host:port``."""
    b = backend_of(params)
    return b.label if b is not None else _("this machine")


def name(model: str, params: Mapping[str, Any] | None) -> str:
    """A candidate for people: the model, and its backend when remote
    (``Qwen/Qwen2.5-72B-Instruct · Inference Providers (auto)``)."""
    return model if backend_of(params) is None else f"{model} · {where(params)}"


def task_problems(task: str, items: Iterable[tuple[str, Mapping[str, Any] | None]]) -> list[str]:
    """Why remote candidates ((model, params) pairs) cannot run ``task`` (a task remote backends lack)."""
    from lib.runner.remote import REMOTE_TASKS, supports

    if supports(task):
        return []
    return [_("**{model}**: {task} does not run on a remote backend (remote tasks: {tasks}); run it on this "
              "machine instead.").format(model=name(m, p), task=task, tasks=", ".join(REMOTE_TASKS))
            for m, p in items if backend_of(p) is not None]


def _check_remote(model: str, backend: Backend, access: policy.Access, details: Callable[[str], Any]
                  ) -> CandidateCheck:
    """A remote candidate: no folder; a URL checked (and the default one frozen); for Inference Providers the
    Hub id looked up for its task. No revision: the server runs its own copy. Never refused for its size."""
    from lib.hub.errors import HubError
    from lib.hub.ids import validate_model_id
    from lib.hub.inference import check_url

    if local_models.looks_like_path(model):
        return CandidateCheck(model, backend=backend, problem=_("A remote backend runs a Hub id (or the server's "
                                                                "model name), not a folder on this machine."))
    if backend.kind == "url":
        try:
            url = check_url(backend.base_url, access)
        except HubError as e:
            return CandidateCheck(model, backend=backend, problem=e.message)
        if not model or len(model) > 1024 or any(ord(ch) < 32 for ch in model):
            return CandidateCheck(model, backend=backend, problem=_("Enter the model name the server serves."))
        backend = Backend(kind="url", url=url, chat=backend.chat)
        return CandidateCheck(model, backend=backend,
                              note=_("runs on {where}: the server's own copy").format(where=backend.label))
    if not _PROVIDER.match(backend.provider or "auto"):
        return CandidateCheck(model, backend=backend, problem=_("{provider} is not a provider's name.").format(
            provider=repr(backend.provider[:64])))
    try:
        model = validate_model_id(model)
        info = details(model)
    except HubError as e:
        if not e.unavailable:
            return CandidateCheck(model, backend=backend, problem=e.message)
        info = None
    except Exception as e:  # noqa: BLE001 - the Hub being odd must not break the page
        from lib.logs import log_failure

        log_failure(e, f"session candidate lookup of {model}")  # i18n: a log message
        info = None
    return CandidateCheck(model, task=getattr(info, "pipeline_tag", None), backend=backend,
                          note=_("runs on {where}: the provider's own copy (no revision to freeze)").format(
                              where=backend.label))


def _details(model_id: str) -> Any:
    from lib.hub.lookup import fetch_model_details

    return fetch_model_details(model_id, with_card=False)


def check_one(text: str, access: policy.Access, details: Callable[[str], Any] = _details) -> CandidateCheck:
    """Check one typed candidate (see the module doc). Never raises for what a user can type."""
    model, backend = parse_entry(text)
    if backend is not None:
        return _check_remote(model, backend, access, details)
    if local_models.looks_like_path(model):
        if not access.local_folders:
            return CandidateCheck(model, problem=_(policy.HUB_IDS_ONLY))
        if not local_models.is_local_folder(model):
            return CandidateCheck(model, problem=_(local_models.NOT_A_MODEL_FOLDER))
        return CandidateCheck(model, task=local_models.guess_task(model), local=True,
                              note=_("a folder on this machine: no revision to freeze"))
    from lib.hub.errors import HubError
    from lib.hub.ids import validate_model_id

    try:
        model = validate_model_id(model)
        info = details(model)
    except HubError as e:
        return CandidateCheck(model, problem=e.message)
    except Exception as e:  # noqa: BLE001 - the Hub being odd must not break the page
        from lib.logs import for_people, log_failure

        log_failure(e, f"session candidate lookup of {model}")  # i18n: a log message
        return CandidateCheck(model, problem=_("Could not look up {model}.").format(model=for_people(model, 200)))
    sha = getattr(info, "sha", None)
    task = getattr(info, "pipeline_tag", None)
    if getattr(info, "source", "live") == "offline" and sha:  # offline: the local cache's copy is what runs
        return CandidateCheck(model, sha, task, note=_("offline: the revision in the local cache"))
    if getattr(info, "source", "live") != "live" or not sha:
        return CandidateCheck(model, None, task, note=_("the Hub did not give its revision: the newest is used"))
    return CandidateCheck(model, sha, task)


def check(models: Iterable[str], access: policy.Access,
          details: Callable[[str], Any] = _details) -> tuple[list[CandidateCheck], list[str]]:
    """Check every typed candidate; also the count (2-8) and duplicates (the same model on the same backend).
    -> (checks, problems for people)."""
    seen: dict[str, None] = {}
    for m in models:
        m = (m or "").strip()
        if m:
            seen.setdefault(m)
    checks = [check_one(m, access, details) for m in seen]
    problems = [f"**{c.name}**: {c.problem}" for c in checks if c.problem]
    unique = {c.key for c in checks}
    if len(unique) < len(checks):
        problems.append(_("The same model is listed twice on the same backend: each candidate must be a different "
                          "model, or the same model on another backend."))
    if len(unique) < MIN_CANDIDATES:
        problems.append(_("A session compares at least {min} models: add {n} more.").format(
            min=fmt.number(MIN_CANDIDATES), n=fmt.number(MIN_CANDIDATES - len(unique))))
    if len(unique) > MAX_CANDIDATES:
        problems.append(_("A session compares at most {max} models ({n} given): remove {extra}.").format(
            max=fmt.number(MAX_CANDIDATES), n=fmt.number(len(unique)), extra=fmt.number(len(unique) - MAX_CANDIDATES)))
    return checks, problems


def common_task(checks: Iterable[CandidateCheck]) -> str | None:
    """The task most candidates have (the first in order on a tie), to preselect; None when none is known."""
    counts: dict[str, int] = {}
    for c in checks:
        if c.task:
            counts[c.task] = counts.get(c.task, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def _config(check: CandidateCheck) -> dict | None:
    from lib.hub import gateway
    from lib.hub.errors import HubError

    try:
        if check.local:
            from pathlib import Path

            return gateway.read_config_file(Path(check.model).expanduser() / "config.json", check.model)
        return gateway.model_config(check.model, revision=check.revision)
    except (HubError, OSError):
        return None


def labels(task: str, checks: Iterable[CandidateCheck], shared: list[str] | None = None,
           config: Callable[[CandidateCheck], dict | None] = _config) -> list[str] | None:
    """The labels a reference may name for ``task``: the shared candidate labels of a zero-shot task, else
    every label of the candidates' classification heads (``id2label``); None when the task has no fixed
    labels or no candidate's config could be read (references are then not checked against labels)."""
    from lib import tasks as registry

    spec = registry.get(task)
    if spec is None or spec.metric != "classification":
        return None
    if shared:
        return list(shared)
    found: dict[str, None] = {}
    for c in checks:
        if c.problem or c.backend is not None:  # a remote candidate's head is the server's
            continue
        cfg = config(c) or {}
        id2label = cfg.get("id2label")
        if isinstance(id2label, dict):
            found.update((str(v), None) for v in id2label.values())
    return list(found) or None
