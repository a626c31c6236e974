"""Checks made BEFORE loading: does this checkpoint fit the task, does it need remote code?

transformers happily loads a ``BertModel`` checkpoint into ``BertForSequenceClassification`` with a
randomly initialised head (or drops the encoder of a seq2seq model) and returns confident nonsense;
these checks compare ``config.json`` ``architectures`` with the task's model classes
(transformers' ``MODEL_FOR_…_MAPPING_NAMES``) and raise :class:`TaskMismatch` with a readable reason.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import RemoteCodeRefused, TaskMismatch

# task -> names of transformers.models.auto.modeling_auto mappings whose classes can serve it
TASK_MAPPINGS: dict[str, tuple[str, ...]] = {
    "text-classification": ("MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",),
    "zero-shot-classification": ("MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",),
    "token-classification": ("MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES",),
    "fill-mask": ("MODEL_FOR_MASKED_LM_MAPPING_NAMES",),
    "text-generation": ("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",),
    "image-classification": ("MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES",),
    "object-detection": ("MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES",),
    "image-segmentation": ("MODEL_FOR_IMAGE_SEGMENTATION_MAPPING_NAMES", "MODEL_FOR_SEMANTIC_SEGMENTATION_MAPPING_NAMES",
                           "MODEL_FOR_INSTANCE_SEGMENTATION_MAPPING_NAMES",
                           "MODEL_FOR_UNIVERSAL_SEGMENTATION_MAPPING_NAMES"),
    "zero-shot-image-classification": ("MODEL_FOR_ZERO_SHOT_IMAGE_CLASSIFICATION_MAPPING_NAMES",),
    "image-text-to-text": ("MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES",),
    "image-to-text": ("MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES",),
    "automatic-speech-recognition": ("MODEL_FOR_CTC_MAPPING_NAMES", "MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES"),
    "audio-classification": ("MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES",),
    "text-to-audio": ("MODEL_FOR_TEXT_TO_WAVEFORM_MAPPING_NAMES", "MODEL_FOR_TEXT_TO_SPECTROGRAM_MAPPING_NAMES"),
    "text-to-speech": ("MODEL_FOR_TEXT_TO_WAVEFORM_MAPPING_NAMES", "MODEL_FOR_TEXT_TO_SPECTROGRAM_MAPPING_NAMES"),
    "depth-estimation": ("MODEL_FOR_DEPTH_ESTIMATION_MAPPING_NAMES",),
    "table-question-answering": ("MODEL_FOR_TABLE_QUESTION_ANSWERING_MAPPING_NAMES",
                                 "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES"),
    "document-question-answering": ("MODEL_FOR_DOCUMENT_QUESTION_ANSWERING_MAPPING_NAMES",
                                    "MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES"),
    "translation": ("MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",),
    "summarization": ("MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",),
    "text2text-generation": ("MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",),
    "question-answering": ("MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES",),
    # any transformers model has hidden states
    "feature-extraction": ("MODEL_MAPPING_NAMES",),
    "sentence-similarity": ("MODEL_MAPPING_NAMES",),
}

_HEAD_WORDS = {
    "text-classification": "a sequence-classification head",
    "zero-shot-classification": "a sequence-classification (NLI) head",
    "token-classification": "a token-classification head",
    "fill-mask": "a masked-language-model head",
    "text-generation": "a causal language-model head",
    "image-classification": "an image-classification head",
    "object-detection": "an object-detection head",
    "question-answering": "a span question-answering head",
    "translation": "an encoder-decoder (seq2seq) head",
    "summarization": "an encoder-decoder (seq2seq) head",
    "text2text-generation": "an encoder-decoder (seq2seq) head",
}


@dataclass(frozen=True)
class ModelCheck:
    """Outcome of :func:`check_model`.

    Attributes:
        runner: run function to use (the task's, or ``run_seq2seq`` for encoder-decoder text generation).
        architectures: from config.json.
        model_type: from config.json.
        remote_code: the model needs ``trust_remote_code`` (auto_map / custom_code tag).
        notices: routing notes for the user.
    """

    runner: str
    architectures: tuple[str, ...]
    model_type: str | None
    remote_code: bool
    notices: tuple[str, ...] = ()


def read_config(folder: str | Path) -> dict:
    p = Path(folder) / "config.json"
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _classes(mapping_names: tuple[str, ...]) -> tuple[set[str], set[str]]:
    from transformers.models.auto import modeling_auto

    classes: set[str] = set()
    types: set[str] = set()
    for name in mapping_names:
        mapping = getattr(modeling_auto, name, None) or {}
        for model_type, cls in mapping.items():
            types.add(model_type)
            for c in (cls if isinstance(cls, (list, tuple)) else (cls,)):
                classes.add(c)
    return classes, types


def _is_seq2seq(config: dict, archs: tuple[str, ...]) -> bool:
    if config.get("is_encoder_decoder"):
        return True
    classes, _ = _classes(("MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",))
    return any(a in classes for a in archs)


def has_entailment_label(config: dict) -> bool:
    labels = (config.get("id2label") or {}).values()
    return any(str(v).lower().startswith("entail") for v in labels)


def _check_document_qa(config: dict, archs: tuple[str, ...], model_type: str | None) -> None:
    """transformers' document-QA pipeline serves LayoutLM v1-v3 (extractive, OCR) and Donut only.

    A vision-encoder-decoder must have a ``donut-swin`` encoder (the pipeline refuses others at load);
    other image-text-to-text models would be loaded as if they were LayoutLM and fail inside the run.
    """
    if model_type == "vision-encoder-decoder":
        encoder = (config.get("encoder") or {}).get("model_type")
        if encoder != "donut-swin":
            raise TaskMismatch(
                f"The document-question-answering pipeline runs Donut vision-encoder-decoders (donut-swin encoder) "
                f"only; this one has a {encoder or 'unknown'} encoder. Try it as image-to-text.")
        return
    classes, types = _classes(("MODEL_FOR_DOCUMENT_QUESTION_ANSWERING_MAPPING_NAMES",))
    if any(a in classes for a in archs) or (not archs and model_type in types):
        return
    vlm_classes, vlm_types = _classes(("MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES",))
    if any(a in vlm_classes for a in archs) or (not archs and model_type in vlm_types):
        raise TaskMismatch(
            f"This is a vision-language model ({', '.join(archs) or model_type}); the document-question-answering "
            "pipeline runs LayoutLM and Donut models only. Ask it about the document as image-text-to-text.")


def check_model(config: dict, task: str, runner: str, *, trust_remote_code: bool = False,
                tags: list[str] | tuple[str, ...] = (), is_sentence_transformers: bool = False) -> ModelCheck:
    """Raise TaskMismatch / RemoteCodeRefused, or say which runner to use."""
    archs = tuple(config.get("architectures") or ())
    model_type = config.get("model_type")
    remote = bool(config.get("auto_map")) or "custom_code" in (tags or ())
    if remote and not trust_remote_code:
        raise RemoteCodeRefused(
            "This model runs code from its own repository (custom_code / auto_map in config.json). "
            "Hub Scout only runs it if you explicitly allow remote code — read the repository's code first.")
    if not config:
        if is_sentence_transformers:
            return ModelCheck(runner, archs, model_type, remote)
        raise TaskMismatch("This repository has no config.json, so it is not a transformers model; "
                           "use the library named on its model card.")
    notices: list[str] = []
    seq2seq = _is_seq2seq(config, archs)
    if task == "text-generation" and seq2seq:
        return ModelCheck("run_seq2seq", archs, model_type, remote,
                          ("This is an encoder-decoder model: it runs as text-to-text generation.",))
    if remote and trust_remote_code:
        return ModelCheck(runner, archs, model_type, remote)  # custom classes: cannot be checked by name
    if task in ("feature-extraction", "sentence-similarity"):
        return ModelCheck(runner, archs, model_type, remote)
    if task == "document-question-answering":
        _check_document_qa(config, archs, model_type)
    mappings = TASK_MAPPINGS.get(task)
    if mappings:
        classes, types = _classes(mappings)
        ok = any(a in classes for a in archs) if archs else (model_type in types)
        if not ok:
            what = _HEAD_WORDS.get(task, f"a model class for {task}")
            found = ", ".join(archs) or (model_type or "unknown")
            hint = ""
            if task == "text-generation" or (seq2seq and task not in ("translation", "summarization",
                                                                        "text2text-generation")):
                hint = " It is an encoder-decoder model; try it as text2text-generation." if seq2seq else ""
            elif task in ("translation", "summarization", "text2text-generation"):
                hint = " Decoder-only models (GPT-style) should be run as text-generation."
            raise TaskMismatch(
                f"This checkpoint is {found}, which has no {what}: transformers would load it with a randomly "
                f"initialised head (or drop weights) and return meaningless output for {task}.{hint}")
    if task == "zero-shot-classification" and not has_entailment_label(config):
        labels = ", ".join(str(v) for v in (config.get("id2label") or {}).values()) or "none"
        raise TaskMismatch(
            "Zero-shot classification needs a model trained on natural-language inference, with an "
            f"'entailment' label; this model's labels are: {labels}.")
    return ModelCheck(runner, archs, model_type, remote, tuple(notices))
