"""A session's candidates before it is created: each typed model checked, its revision frozen.

:func:`check` turns what the user typed (Hub ids, or model folders where the visitor may use them) into
:class:`CandidateCheck` rows: the model as it will be stored, the commit sha the Hub reports (frozen in
the session's settings so that every rater judges the same weights), the model's own task, and either a
``problem`` (the session cannot be created with it) or a ``note`` (it can: e.g. the Hub did not answer,
so the revision is unknown and the run uses the newest).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lib import access as policy
from lib import local_models

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


def _details(model_id: str) -> Any:
    from lib.hub.lookup import fetch_model_details

    return fetch_model_details(model_id, with_card=False)


def check_one(text: str, access: policy.Access, details: Callable[[str], Any] = _details) -> CandidateCheck:
    """Check one typed candidate (see the module doc). Never raises for what a user can type."""
    model = (text or "").strip()
    if local_models.looks_like_path(model):
        if not access.local_folders:
            return CandidateCheck(model, problem=policy.HUB_IDS_ONLY)
        if not local_models.is_local_folder(model):
            return CandidateCheck(model, problem=local_models.NOT_A_MODEL_FOLDER)
        return CandidateCheck(model, task=local_models.guess_task(model), local=True,
                              note="a folder on this machine: no revision to freeze")
    from lib.hub.errors import HubError
    from lib.hub.ids import validate_model_id

    try:
        model = validate_model_id(model)
        info = details(model)
    except HubError as e:
        return CandidateCheck(model, problem=e.message)
    except Exception as e:  # noqa: BLE001 - the Hub being odd must not break the page
        from lib.logs import for_people, log_failure

        log_failure(e, f"session candidate lookup of {model}")
        return CandidateCheck(model, problem=f"Could not look up {for_people(model, 200)}.")
    sha = getattr(info, "sha", None)
    task = getattr(info, "pipeline_tag", None)
    if getattr(info, "source", "live") == "offline" and sha:  # offline: the local cache's copy is what runs
        return CandidateCheck(model, sha, task, note="offline: the revision in the local cache")
    if getattr(info, "source", "live") != "live" or not sha:
        return CandidateCheck(model, None, task, note="the Hub did not give its revision: the newest is used")
    return CandidateCheck(model, sha, task)


def check(models: Iterable[str], access: policy.Access,
          details: Callable[[str], Any] = _details) -> tuple[list[CandidateCheck], list[str]]:
    """Check every typed candidate; also the count (2-8) and duplicates. -> (checks, problems for people)."""
    seen: dict[str, None] = {}
    for m in models:
        m = (m or "").strip()
        if m:
            seen.setdefault(m)
    checks = [check_one(m, access, details) for m in seen]
    problems = [f"**{c.model}**: {c.problem}" for c in checks if c.problem]
    unique = {c.model for c in checks}
    if len(unique) < len(checks):
        problems.append("The same model is listed twice: each candidate must be a different model.")
    if len(unique) < MIN_CANDIDATES:
        problems.append(f"A session compares at least {MIN_CANDIDATES} models: add "
                        f"{MIN_CANDIDATES - len(unique)} more.")
    if len(unique) > MAX_CANDIDATES:
        problems.append(f"A session compares at most {MAX_CANDIDATES} models ({len(unique)} given): remove "
                        f"{len(unique) - MAX_CANDIDATES}.")
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
        if c.problem:
            continue
        cfg = config(c) or {}
        id2label = cfg.get("id2label")
        if isinstance(id2label, dict):
            found.update((str(v), None) for v in id2label.values())
    return list(found) or None
