"""Checks made BEFORE loading: does this checkpoint fit the task, does it need remote code?

transformers happily loads a ``BertModel`` checkpoint into ``BertForSequenceClassification`` with a
randomly initialised head (or drops the encoder of a seq2seq model) and returns confident nonsense;
these checks compare ``config.json`` ``architectures`` with the task's model classes (transformers'
``MODEL_FOR_…_MAPPING_NAMES``, named by the task module: ``TaskSpec.model_classes``), add the task's own
check (``TaskSpec.check``) and raise :class:`TaskMismatch` with a readable reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lib.i18n import _
from lib.tasks import TaskSpec
from lib.tasks.archs import is_seq2seq, serves

from .errors import LoadRefused, RemoteCodeRefused, TaskMismatch


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
    """A folder's config.json as a dict; {} when it is missing, unreadable or not a JSON object
    (the loader says which: :func:`lib.hub.gateway.read_config_file`)."""
    from lib.hub.errors import HubError
    from lib.hub.gateway import read_config_file

    p = Path(folder) / "config.json"
    if not p.exists():
        return {}
    try:
        return read_config_file(p)
    except HubError:
        return {}


def check_model(config: dict, spec: TaskSpec, *, trust_remote_code: bool = False,
                tags: list[str] | tuple[str, ...] = (), is_sentence_transformers: bool = False) -> ModelCheck:
    """Raise TaskMismatch / RemoteCodeRefused, or say which runner to use for ``spec``'s task."""
    task, runner = spec.tag, spec.runner
    archs = tuple(config.get("architectures") or ())
    model_type = config.get("model_type")
    remote = bool(config.get("auto_map")) or "custom_code" in (tags or ())
    if remote and not trust_remote_code:
        raise RemoteCodeRefused(
            _("This model runs code from its own repository (custom_code / auto_map in config.json). Hub Scout only "
              "runs it if you explicitly allow remote code — read the repository's code first."))
    if not config:
        if is_sentence_transformers:
            return ModelCheck(runner, archs, model_type, remote)
        raise TaskMismatch(_("This repository has no config.json, so it is not a transformers model; use the "
                             "library named on its model card."))
    from lib.modelconfig import build_problem

    absurd = build_problem(config)  # 50,000 layers: building it would hold this process for minutes
    if absurd is not None:
        raise LoadRefused(_("This config.json cannot be loaded here: {problem}.").format(problem=absurd))
    routed = spec.route(config) if spec.route is not None else None
    if routed is not None:
        return ModelCheck(routed[0], archs, model_type, remote, (routed[1],))
    if remote and trust_remote_code:
        return ModelCheck(runner, archs, model_type, remote)  # custom classes: cannot be checked by name
    if spec.model_classes == ("MODEL_MAPPING_NAMES",):
        return ModelCheck(runner, archs, model_type, remote)  # any model has hidden states
    reason = None
    if spec.model_classes and not serves(spec.model_classes, archs, model_type):
        what = _(spec.head) if spec.head else _("a model class for {task}").format(task=task)
        found = ", ".join(archs) or (model_type or _("unknown"))
        seq2seq = is_seq2seq(config)
        hint = _(spec.mismatch_hint) if spec.mismatch_hint else ""
        if seq2seq and not hint:
            hint = _("It is an encoder-decoder model; try it as text2text-generation.")
        reason = _("This checkpoint is {found}, which has no {head}: transformers would load it with a randomly "
                   "initialised head (or drop weights) and return meaningless output for {task}.").format(
            found=found, head=what, task=task) + (" " + hint if hint else "")
    elif spec.check is not None:
        reason = spec.check(config)
    if reason is not None:
        raise TaskMismatch(reason)
    return ModelCheck(runner, archs, model_type, remote)


#: Weight kinds (:func:`lib.hub.normalize.weight_file_kind`) transformers 5 loads here.
TORCH_WEIGHT_KINDS = ("safetensors", "pickle")
_KIND_NAMES = {"gguf": "GGUF", "onnx": "ONNX", "keras": "TensorFlow (Keras)",  # i18n: format names
               "flax": "Flax", "tflite": "TFLite"}


def weights_problem(files: list[str], source: str) -> str | None:
    """Why ``source`` cannot be loaded for want of weights (none at all, or only formats transformers 5 does
    not read), or None. An empty file list (unknown) is no problem: the load itself then decides."""
    from lib.hub.normalize import weight_formats

    if not files:
        return None
    kinds = weight_formats(files)
    if any(k in TORCH_WEIGHT_KINDS for k in kinds):
        return None
    if kinds:
        return _("{source} ships only {formats} weights; transformers here loads PyTorch weights (.safetensors or "
                 ".bin), so it cannot be run in place.").format(
            source=source, formats=" / ".join(_KIND_NAMES.get(k, k) for k in kinds))
    return _("{source} has no model weights (no .safetensors or .bin file), so there is nothing to load: it may "
             "hold only a configuration, a tokenizer or an adapter.").format(source=source)
