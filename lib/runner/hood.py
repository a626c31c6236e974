"""Under the hood: a run's text path step by step (tokens, ids, logits, softmax, labels), computed by
the task module's ``hood`` function (``TaskSpec.hood``) on the runner's cached model."""
from __future__ import annotations

from typing import Any

from lib import tasks as registry
from lib.i18n import _
from lib.tasks.hood import UnderTheHood

from .cache import ModelCache


def has_hood(task: str) -> bool:
    """Whether ``task`` has a step-by-step view."""
    spec = registry.get(task)
    return spec is not None and spec.hood is not None


def under_the_hood(model: str, task: str, inputs: dict, opts: Any = None, *,
                   cache: ModelCache | None = None) -> UnderTheHood:
    """Tokenizer output, raw logits, softmax and label mapping for a text task, computed on the
    runner's cached model (``lib.runner.prepare``; loads it only if it is not cached yet).

    Raises ``lib.runner.RunnerError`` for a model that cannot be loaded, ValueError for tasks
    without a text path (see :func:`has_hood`) or inputs the view cannot show."""
    spec = registry.get(task)
    if spec is None or spec.hood is None:
        raise ValueError(_("No step-by-step view for {task}.").format(task=registry.display_name(task)))
    import torch

    from .api import prepare

    prep = prepare(model, task, opts, cache=cache)
    hood = spec.hood
    if prep.runner != spec.runner:  # the model check routed it to another task's run (seq2seq)
        hood = next((s.hood for s in registry.registry().values() if s.runner == prep.runner and s.hood), None)
        if hood is None:
            raise ValueError(_("No step-by-step view for {task} with this model.").format(
                task=registry.display_name(task)))
    with torch.inference_mode():
        return hood(prep.loaded, model, task, inputs)
