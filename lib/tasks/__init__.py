"""The task registry: Hub pipeline tag -> everything Hub Scout knows and does for that task.

Display names, modalities and the transformers-5 pipeline status come from the Hub's own task list
(``lib/data/pipeline_tags.json``, copied from huggingface.js). What Hub Scout adds per task lives in
one task module of this package (``lib/tasks/<module>.py``, one per task or per modality): its input
kind, example inputs, model check, run function (and batched run), under-the-hood view, renderer name
and code snippet, as a :class:`TaskSpec` in the module's ``TASKS`` list. The registry is built by
importing every module of this package and collecting their ``TASKS``; :func:`register` adds a task
from anywhere else (a plugin, a test).

Adding a task is one file: ``lib/tasks/my_task.py`` with ``TASKS = [TaskSpec(tag=..., ...)]``.

Importing this package never imports torch or transformers: task modules import them inside their
functions only.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .core import INPUT_KINDS, CodeParts, TaskInputError, TaskRunError, TaskSpec

__all__ = ["INPUT_KINDS", "CodeParts", "TaskInputError", "TaskRunError", "TaskSpec", "display_name", "example_inputs",
           "get", "grouped_by_modality", "register", "registry", "run_functions", "unregister"]

DATA = Path(__file__).resolve().parent.parent / "data" / "pipeline_tags.json"

MODALITY_ORDER = ["nlp", "multimodal", "cv", "audio", "tabular", "rl", "other"]

_LEGACY_TAGS = {
    "text2text-generation": ("Text2Text Generation", "nlp", "Natural Language Processing"),
}

_lock = threading.RLock()
_registry: dict[str, TaskSpec] | None = None
_extra: dict[str, TaskSpec] = {}


def _hub_rows() -> dict[str, dict]:
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    return {r["pipeline_tag"]: r for r in rows}


def _module_specs() -> list[TaskSpec]:
    """Every TaskSpec in the ``TASKS`` of this package's modules (imported by name, in name order)."""
    out: list[TaskSpec] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        out.extend(getattr(module, "TASKS", ()))
    return out


def _with_hub_facts(spec: TaskSpec, row: dict | None) -> TaskSpec:
    if row is not None:
        spec = replace(spec, name=spec.name or row["name"], modality=row["modality"],
                       modality_label=row["modality_label"], hidden=bool(row.get("hideInModels")),
                       transformers_pipeline=row.get("transformers_pipeline", "no"))
    elif spec.tag in _LEGACY_TAGS:  # tags Hub models still carry but the Hub's task list no longer names
        name, modality, label = _LEGACY_TAGS[spec.tag]
        spec = replace(spec, name=spec.name or name, modality=modality, modality_label=label, hidden=True,
                       transformers_pipeline="removed")
    if not spec.name:
        spec = replace(spec, name=spec.tag.replace("-", " ").title())
    if not spec.runnable and not spec.reason:
        spec = replace(spec, reason=_not_runnable_reason(spec))
    return spec


def _build() -> dict[str, TaskSpec]:
    hub = _hub_rows()
    out = {tag: _with_hub_facts(TaskSpec(tag=tag), row) for tag, row in hub.items()}
    for spec in [*_module_specs(), *_extra.values()]:
        if spec.tag in out and out[spec.tag].runnable and spec.tag not in _extra:
            raise ValueError(f"Two task modules define {spec.tag!r}.")
        out[spec.tag] = _with_hub_facts(spec, hub.get(spec.tag))
    return out


def registry() -> dict[str, TaskSpec]:
    """tag -> TaskSpec for every Hub task (runnable or not) and every registered task."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = _build()
        return _registry


def register(spec: TaskSpec) -> TaskSpec:
    """Add (or replace) a task from outside this package; Hub facts are filled in for a Hub tag.
    Returns the spec as the registry holds it."""
    global _registry
    with _lock:
        _extra[spec.tag] = spec
        _registry = None
        return registry()[spec.tag]


def unregister(tag: str) -> None:
    """Drop a task added with :func:`register` (the package's own tasks stay)."""
    global _registry
    with _lock:
        if _extra.pop(tag, None) is not None:
            _registry = None


def _not_runnable_reason(spec: TaskSpec) -> str:
    if spec.modality in ("rl",):
        return "Reinforcement-learning models need an environment to act in; try them with their own library."
    if spec.modality == "tabular":
        return ("Tabular models ship with their own preprocessing; run them with the library named on the "
                "model card.")
    if spec.tag in ("text-to-image", "image-to-image", "text-to-video", "image-to-video",
                    "unconditional-image-generation", "image-to-3d", "text-to-3d", "video-to-video"):
        return ("Generative image/video models usually need the diffusers library and a GPU; Hub Scout does not "
                "run them in place.")
    return "Hub Scout has no in-place runner for this task yet; use the code below in your own environment."


def get(tag: str | None) -> TaskSpec | None:
    return registry().get(tag) if tag else None


def display_name(tag: str | None) -> str:
    spec = get(tag)
    return spec.name if spec else (tag or "Unknown task")


def run_functions() -> dict[str, Callable]:
    """Run functions by name (:attr:`TaskSpec.runner`), for a model check that routes to another task's run."""
    return {s.runner: s.run for s in registry().values() if s.runnable}


def example_inputs(tag: str, language: str = "en", mask_token: str | None = None) -> dict[str, Any]:
    """Starting inputs for ``tag`` in ``lib.runner.inputs.validate`` keys (images / audio as file paths):
    the task module's example (the Hub's widget inputs in ``language``, else English)."""
    spec = get(tag)
    if spec is not None and spec.example is not None:
        return spec.example(language or "en", mask_token)
    return {"text": "Hub Scout helps you pick a model from the Hugging Face Hub."}


def grouped_by_modality(include_hidden: bool = True) -> list[tuple[str, list[TaskSpec]]]:
    """[(modality_label, [TaskSpec…])] in the Hub's modality order, tasks by name."""
    groups: dict[str, list[TaskSpec]] = {}
    labels: dict[str, str] = {}
    for spec in registry().values():
        if spec.hidden and not include_hidden:
            continue
        groups.setdefault(spec.modality, []).append(spec)
        labels[spec.modality] = spec.modality_label
    order = sorted(groups, key=lambda m: MODALITY_ORDER.index(m) if m in MODALITY_ORDER else 99)
    return [(labels[m], sorted(groups[m], key=lambda s: s.name)) for m in order]
