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

from lib import i18n
from lib.i18n import N_, _

from .core import INPUT_KINDS, CodeParts, TaskInputError, TaskRunError, TaskSpec

__all__ = ["INPUT_KINDS", "CodeParts", "TaskInputError", "TaskRunError", "TaskSpec", "display_name", "example_inputs",
           "example_language", "get", "grouped_by_modality", "input_kind_label", "modality_label", "name_of", "reason",
           "register", "registry", "run_functions", "unregister"]

DATA = Path(__file__).resolve().parent.parent / "data" / "pipeline_tags.json"

MODALITY_ORDER = ["nlp", "multimodal", "cv", "audio", "tabular", "rl", "other"]

_LEGACY_TAGS = {
    "text2text-generation": (N_("Text2Text Generation"), "nlp", N_("Natural Language Processing")),
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
            raise ValueError(f"Two task modules define {spec.tag!r}.")  # i18n: a programmer's error
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
    """English (the registry is built once per process): :func:`reason` translates it where it is shown."""
    if spec.modality in ("rl",):
        return N_("Reinforcement-learning models need an environment to act in; try them with their own library.")
    if spec.modality == "tabular":
        return N_("Tabular models ship with their own preprocessing; run them with the library named on the "
                  "model card.")
    if spec.tag in ("text-to-image", "image-to-image", "text-to-video", "image-to-video",
                    "unconditional-image-generation", "image-to-3d", "text-to-3d", "video-to-video"):
        return N_("Generative image/video models usually need the diffusers library and a GPU; Hub Scout does not "
                  "run them in place.")
    return N_("Hub Scout has no in-place runner for this task yet; use the code below in your own environment.")


def get(tag: str | None) -> TaskSpec | None:
    return registry().get(tag) if tag else None


def display_name(tag: str | None) -> str:
    """The task's name in the UI's language (the registry keeps the Hub's English name: ``TaskSpec.name``)."""
    spec = get(tag)
    return _(spec.name) if spec else (tag or _("Unknown task"))


def name_of(spec: TaskSpec) -> str:
    """``spec``'s name in the UI's language (a spec that may not be in the registry: a plugin's, a test's)."""
    return _(spec.name)


def reason(spec: TaskSpec) -> str | None:
    """Why ``spec`` cannot run here, in the UI's language (None when it can)."""
    return _(spec.reason) if spec.reason else None


def modality_label(spec: TaskSpec) -> str:
    """``spec``'s modality label in the UI's language."""
    return _(spec.modality_label)


def input_kind_label(kind: str | None) -> str:
    """What a test-drive asks for (:data:`INPUT_KINDS`), in the UI's language."""
    return _(INPUT_KINDS[kind]) if kind in INPUT_KINDS else (kind or "")


def run_functions() -> dict[str, Callable]:
    """Run functions by name (:attr:`TaskSpec.runner`), for a model check that routes to another task's run."""
    return {s.runner: s.run for s in registry().values() if s.runnable}


def example_language(model_languages: Any = ()) -> str:
    """The language a test-drive's example is in: the UI's, unless the model lists languages and not the
    UI's (then the first it lists: an English-only model starts with an English example)."""
    ui = i18n.current()
    listed = [str(code).strip().lower() for code in (model_languages or ()) if str(code).strip()]
    if not listed or ui in {i18n.normalize(code) for code in listed}:
        return ui
    return listed[0]


def example_inputs(tag: str, language: str | None = None, mask_token: str | None = None) -> dict[str, Any]:
    """Starting inputs for ``tag`` in ``lib.runner.inputs.validate`` keys (images / audio as file paths):
    the task module's example: the Hub's widget input in ``language`` (a language code: ``es``, ``fr`` …),
    else Hub Scout's own example, in ``language`` where the UI speaks it, else in English.
    ``language`` None: the UI's language now (:func:`lib.i18n.current`)."""
    lang = (language or i18n.current()).strip().replace("_", "-").split("-")[0].lower()
    spec = get(tag)
    with i18n.scope(i18n.normalize(lang) or i18n.DEFAULT):  # the task module's own examples are catalogue texts
        if spec is not None and spec.example is not None:
            return spec.example(lang, mask_token)
        return {"text": _("Hub Scout helps you pick a model from the Hugging Face Hub.")}


def grouped_by_modality(include_hidden: bool = True) -> list[tuple[str, list[TaskSpec]]]:
    """[(modality_label, [TaskSpec…])] in the Hub's modality order, tasks by name; the labels in the UI's
    language, the specs as the registry keeps them (show their names with :func:`display_name`)."""
    groups: dict[str, list[TaskSpec]] = {}
    labels: dict[str, str] = {}
    for spec in registry().values():
        if spec.hidden and not include_hidden:
            continue
        groups.setdefault(spec.modality, []).append(spec)
        labels[spec.modality] = _(spec.modality_label)
    order = sorted(groups, key=lambda m: MODALITY_ORDER.index(m) if m in MODALITY_ORDER else 99)
    return [(labels[m], sorted(groups[m], key=lambda s: _(s.name).casefold())) for m in order]
