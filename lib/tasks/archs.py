"""Architecture <-> task, by transformers' own auto mappings (the one rule).

A task module names the ``MODEL_FOR_…_MAPPING_NAMES`` whose classes serve its task
(``TaskSpec.model_classes``); the runner's model check refuses other checkpoints with them and
:func:`task_for_config` guesses a local folder's task from them. transformers is imported when a
question is asked, never at import; its tables are read from its source, without importing torch.
"""
from __future__ import annotations

import ast
import importlib.util
from functools import lru_cache
from pathlib import Path

SEQ2SEQ = ("MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",)


@lru_cache(maxsize=1)
def _literal_mappings() -> dict[str, dict]:
    """transformers' ``*_MAPPING_NAMES`` read from the source of ``transformers/models/auto/modeling_auto.py``
    (they are literal ``OrderedDict([...])`` tables): importing that module imports torch (seconds), which a
    page that only guesses a folder's task must not pay. Non-literal tables are left to :func:`_mapping`."""
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.origin:
        return {}
    try:
        source = Path(spec.origin).parent / "models" / "auto" / "modeling_auto.py"
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    out: dict[str, dict] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        name, value = node.targets[0].id, node.value
        if name.endswith("_MAPPING_NAMES") and isinstance(value, ast.Call) and value.args \
                and getattr(value.func, "id", "") == "OrderedDict":
            try:
                out[name] = dict(ast.literal_eval(value.args[0]))
            except (ValueError, TypeError, SyntaxError):
                continue
    return out


def _mapping(name: str) -> dict:
    literal = _literal_mappings()
    if name in literal:
        return literal[name]
    from lib import runtime

    runtime.transformers()
    from transformers.models.auto import modeling_auto

    return dict(getattr(modeling_auto, name, None) or {})


@lru_cache(maxsize=256)
def auto_classes(mapping_names: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(class names, model types) of transformers' auto mappings named ``mapping_names``."""
    classes: set[str] = set()
    types: set[str] = set()
    for name in mapping_names:
        for model_type, cls in _mapping(name).items():
            types.add(model_type)
            for c in (cls if isinstance(cls, (list, tuple)) else (cls,)):
                classes.add(c)
    return frozenset(classes), frozenset(types)


def serves(mapping_names: tuple[str, ...], archs: tuple[str, ...], model_type: str | None) -> bool:
    """Whether a checkpoint (its config's ``architectures``, else its model type) is in these mappings."""
    classes, types = auto_classes(tuple(mapping_names))
    return any(a in classes for a in archs) if archs else (model_type in types)


def is_seq2seq(config: dict) -> bool:
    """An encoder-decoder text model (config flag, or an architecture in transformers' seq2seq LM mapping)."""
    if config.get("is_encoder_decoder"):
        return True
    classes, _ = auto_classes(SEQ2SEQ)
    return any(a in classes for a in (config.get("architectures") or ()))


def task_for_config(config: dict, specs) -> str | None:
    """The task a model config's architecture serves, among ``specs`` (TaskSpecs with ``model_classes``):
    the config's own ``pipeline_tag`` if any, else the lowest ``guess_rank`` whose classes hold the
    architecture (by class name; by model type when the config names no architecture). An
    encoder-decoder image-to-text model is a captioner: ``image-to-text``."""
    if config.get("pipeline_tag"):
        return str(config["pipeline_tag"])
    archs = tuple(str(a) for a in (config.get("architectures") or ()))
    model_type = config.get("model_type")
    if not archs and not model_type:
        return None
    fits = [s for s in specs if s.model_classes and serves(s.model_classes, archs, model_type)]
    if not fits:
        return None
    tag = min(fits, key=lambda s: (s.guess_rank, s.tag)).tag
    if tag == "image-text-to-text" and (config.get("is_encoder_decoder") or model_type == "vision-encoder-decoder"):
        return "image-to-text"
    return tag
