"""The one task registry: Hub pipeline tag -> everything the app knows about that task.

Display names, modalities and the transformers-5 pipeline status come from the Hub's own task
list (``lib/data/pipeline_tags.json``, copied from huggingface.js). What Hub Scout adds per task
lives in ``_RUNNABLE`` below: the input spec, the runner (a name resolved lazily in
``lib.runner`` so that importing this module never imports torch) and the output renderer
(resolved in ``lib.ui``). Adding a runnable task is one entry in ``_RUNNABLE``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "pipeline_tags.json"

MODALITY_ORDER = ["nlp", "multimodal", "cv", "audio", "tabular", "rl", "other"]


@dataclass(frozen=True)
class TaskSpec:
    """One Hub pipeline tag.

    Attributes:
        tag: the Hub pipeline tag (``text-classification``).
        name: display name (``Text Classification``).
        modality / modality_label: ``nlp`` / ``Natural Language Processing`` …
        hidden: the Hub hides this task from its model filters.
        transformers_pipeline: ``yes`` / ``removed`` (transformers 5 removed it) / ``no``.
        input_kind: what the test-drive asks for (see INPUT_KINDS), None when not runnable.
        runner: name of the run function in ``lib.runner.tasks`` (lazy), None when not runnable.
        renderer: name of the output renderer in ``lib.ui.outputs``.
        pipeline_task: the transformers ``pipeline()`` task name used, when a pipeline is used.
        runnable: whether Hub Scout can run it in place.
        reason: why not, when not runnable.
        run_batch: optional ``run_batch(loaded, list_of_clean_inputs, task, opts) -> [(output, notices)]``
            that runs many inputs in one pipeline call (``lib.jobs`` uses it; None: item by item).
    """

    tag: str
    name: str
    modality: str
    modality_label: str
    hidden: bool = False
    transformers_pipeline: str = "no"
    input_kind: str | None = None
    runner: str | None = None
    renderer: str | None = None
    pipeline_task: str | None = None
    runnable: bool = False
    reason: str | None = None
    run_batch: Callable | None = None


INPUT_KINDS = {
    "text": "free text",
    "text_labels": "text + candidate labels",
    "masked_text": "text with the model's mask token",
    "question_context": "question + context",
    "chat": "prompt / chat with generation settings",
    "text_pair": "source sentence + sentences to compare",
    "image": "an image",
    "image_labels": "an image + candidate labels",
    "image_question": "an image + a question",
    "image_prompt": "an image + a prompt",
    "audio": "an audio clip",
    "table_question": "a table + a question",
}

# tag -> (input_kind, runner, renderer, pipeline_task)
_RUNNABLE: dict[str, tuple[str, str, str, str | None]] = {
    "text-classification": ("text", "run_text_classification", "scores", "text-classification"),
    "token-classification": ("text", "run_token_classification", "entities", "token-classification"),
    "fill-mask": ("masked_text", "run_fill_mask", "scores", "fill-mask"),
    "feature-extraction": ("text", "run_feature_extraction", "embedding", "feature-extraction"),
    "zero-shot-classification": ("text_labels", "run_zero_shot_classification", "scores", "zero-shot-classification"),
    "text-generation": ("chat", "run_text_generation", "text", "text-generation"),
    "image-classification": ("image", "run_image_classification", "scores", "image-classification"),
    "object-detection": ("image", "run_object_detection", "boxes", "object-detection"),
    "image-segmentation": ("image", "run_image_segmentation", "masks", "image-segmentation"),
    "zero-shot-image-classification": ("image_labels", "run_zero_shot_image_classification", "scores", "zero-shot-image-classification"),
    "image-text-to-text": ("image_prompt", "run_image_text_to_text", "text", "image-text-to-text"),
    "image-to-text": ("image_prompt", "run_image_text_to_text", "text", "image-text-to-text"),
    "automatic-speech-recognition": ("audio", "run_speech_recognition", "text", "automatic-speech-recognition"),
    "audio-classification": ("audio", "run_audio_classification", "scores", "audio-classification"),
    "text-to-audio": ("text", "run_text_to_audio", "audio", "text-to-audio"),
    "text-to-speech": ("text", "run_text_to_audio", "audio", "text-to-audio"),
    "depth-estimation": ("image", "run_depth_estimation", "depth", "depth-estimation"),
    "table-question-answering": ("table_question", "run_table_question_answering", "text", "table-question-answering"),
    "document-question-answering": ("image_question", "run_document_qa", "text", "document-question-answering"),
    # transformers 5 removed these pipelines; Hub Scout runs them with Auto classes.
    "translation": ("text", "run_seq2seq", "text", None),
    "summarization": ("text", "run_seq2seq", "text", None),
    "text2text-generation": ("text", "run_seq2seq", "text", None),
    "question-answering": ("question_context", "run_question_answering", "answer", None),
    "sentence-similarity": ("text_pair", "run_sentence_similarity", "similarity", None),
}


_LEGACY_TAGS = {
    "text2text-generation": ("Text2Text Generation", "nlp", "Natural Language Processing"),
}


@lru_cache(maxsize=1)
def registry() -> dict[str, TaskSpec]:
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    out: dict[str, TaskSpec] = {}
    for r in rows:
        tag = r["pipeline_tag"]
        entry = _RUNNABLE.get(tag)
        spec = TaskSpec(
            tag=tag,
            name=r["name"],
            modality=r["modality"],
            modality_label=r["modality_label"],
            hidden=bool(r.get("hideInModels")),
            transformers_pipeline=r.get("transformers_pipeline", "no"),
        )
        if entry:
            kind, runner, renderer, ptask = entry
            spec = TaskSpec(**{**spec.__dict__, "input_kind": kind, "runner": runner,
                               "renderer": renderer, "pipeline_task": ptask, "runnable": True})
        else:
            spec = TaskSpec(**{**spec.__dict__, "reason": _not_runnable_reason(spec)})
        out[tag] = spec
    # Tags that Hub models still carry but that the Hub's current task list no longer names.
    for tag, (name, modality, label) in _LEGACY_TAGS.items():
        if tag not in out and tag in _RUNNABLE:
            kind, runner, renderer, ptask = _RUNNABLE[tag]
            out[tag] = TaskSpec(tag=tag, name=name, modality=modality, modality_label=label, hidden=True,
                                transformers_pipeline="removed", input_kind=kind, runner=runner,
                                renderer=renderer, pipeline_task=ptask, runnable=True)
    return out


def _not_runnable_reason(spec: TaskSpec) -> str:
    if spec.modality in ("rl",):
        return "Reinforcement-learning models need an environment to act in; try them with their own library."
    if spec.modality == "tabular":
        return "Tabular models ship with their own preprocessing; run them with the library named on the model card."
    if spec.tag in ("text-to-image", "image-to-image", "text-to-video", "image-to-video", "unconditional-image-generation",
                    "image-to-3d", "text-to-3d", "video-to-video"):
        return "Generative image/video models usually need the diffusers library and a GPU; Hub Scout does not run them in place."
    return "Hub Scout has no in-place runner for this task yet; use the code below in your own environment."


def get(tag: str | None) -> TaskSpec | None:
    return registry().get(tag) if tag else None


def display_name(tag: str | None) -> str:
    spec = get(tag)
    return spec.name if spec else (tag or "Unknown task")


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
