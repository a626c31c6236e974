"""The model runtime — torch, transformers, sentence-transformers — imported once per process, under one lock.

When two threads import modules that import each other at the same moment, Python hands one of them the
*partially initialised* module instead of waiting ("concurrent circular import"). A Run on one thread and
the background warm-up on another then saw a ``transformers`` without its ``pipeline`` ("module
'transformers' has no attribute 'pipeline'"). Every first import of the runtime goes through here: the
lock makes the imports happen one after the other, and :func:`transformers` / :func:`pipelines` resolve the
lazily-imported names the runner uses before they return, so the module it hands out is complete.

Nothing here is imported at module import time: Discover never pays for the runtime.
"""
from __future__ import annotations

import importlib
import threading
from types import ModuleType

_LOCK = threading.RLock()
_READY: set[str] = set()

# transformers' lazily-imported names that the runner, the checks and the parameter count use
_TRANSFORMERS_NAMES = ("AutoConfig", "AutoTokenizer", "AutoModel")


def torch() -> ModuleType:
    """``import torch``, once, under the runtime lock."""
    if "torch" not in _READY:
        with _LOCK:
            import torch as _torch  # noqa: F401

            _READY.add("torch")
    import torch as t

    return t


def transformers() -> ModuleType:
    """``import transformers`` (torch first), with the names the runner uses resolved, under the lock."""
    if "transformers" not in _READY:
        with _LOCK:
            torch()
            import transformers as _t

            for name in _TRANSFORMERS_NAMES:
                getattr(_t, name)
            from transformers.models.auto import modeling_auto  # noqa: F401 - the task checks' mappings

            _READY.add("transformers")
    import transformers as t

    return t


# transformers' model machinery that any ``from_pretrained`` of a model imports (measured on BERT-style
# encoders). Seconds of it are imported at module level by transformers 5.24, with no switch to turn them
# off: torch.distributed.tensor (core_model_loading, whenever torch.distributed is available), torch._dynamo
# (masking_utils, always), scipy.optimize (loss_for_object_detection, whenever scipy is installed). The only
# way not to wait for them at Run is to import them before it: the warm-up.
_MODEL_MODULES = ("transformers.modeling_utils", "transformers.modeling_layers", "transformers.masking_utils",
                  "transformers.activations", "transformers.modeling_outputs", "transformers.pytorch_utils",
                  "transformers.processing_utils", "transformers.safetensors_conversion")


def models() -> ModuleType:
    """:func:`transformers` with its model-loading machinery imported (what ``AutoModel.from_pretrained``
    needs, without transformers.pipelines), under the lock."""
    if "models" not in _READY:
        with _LOCK:
            t = transformers()
            for name in _MODEL_MODULES:
                importlib.import_module(name)
            _READY.add("models")
    import transformers as t

    return t


def pipelines() -> ModuleType:
    """:func:`transformers` with ``transformers.pipeline`` imported too (all of transformers.pipelines:
    seconds more, so only for a run that uses a pipeline and for the warm-up), under the lock."""
    if "pipelines" not in _READY:
        with _LOCK:
            t = transformers()
            t.pipeline  # noqa: B018 - imports transformers.pipelines
            _READY.add("pipelines")
    import transformers as t

    return t


def sentence_transformers() -> ModuleType | None:
    """``import sentence_transformers`` under the lock (after transformers); None when it is not installed."""
    if "sentence_transformers" not in _READY:
        with _LOCK:
            transformers()
            try:
                import sentence_transformers as _st  # noqa: F401
            except ImportError:
                return None
            _READY.add("sentence_transformers")
    import sentence_transformers as s

    return s
