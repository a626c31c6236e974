"""The Model page's "use this model" section: which code to show for a model, device and dtype.

The snippets themselves come from :mod:`lib.runner.code` (the same code the test-drive shows);
this module picks them for a Hub model and says why some are missing. The default device and
dtype follow the runner's rule (:mod:`lib.runner.device`).
"""
from __future__ import annotations

from dataclasses import dataclass

from lib import tasks
from lib.format import md_escape
from lib.hub.details import ModelDetails
from lib.i18n import N_, _
from lib.runner.device import default_device, default_dtype, torch_dtype_name

CODE_DEVICES = ("cpu", "cuda", "mps")
CODE_DTYPES = ("fp32", "bf16", "fp16")
#: device -> its label (translated where shown: ``_(DEVICE_LABELS[d])``).
DEVICE_LABELS = {"cpu": "CPU", "cuda": N_("CUDA GPU"), "mps": "Apple MPS"}  # i18n: product names but CUDA GPU


@dataclass(frozen=True)
class CodeChoice:
    """What the "use this model" section shows: the snippets, or why there are none."""

    pipeline: str | None
    auto: str | None
    notes: tuple[str, ...]
    library: str | None = None  # the sentence-transformers way, for such repos


def generic_code(model_id: str, device: str, dtype: str) -> str:
    """Loading code when the task is unknown: AutoModel + AutoConfig, nothing task-specific."""
    # i18n: code shown as code
    return ("import torch\nfrom transformers import AutoConfig, AutoModel\n\n"
            f"model_id = {model_id!r}\nprint(AutoConfig.from_pretrained(model_id))\n"
            f"model = AutoModel.from_pretrained(model_id, dtype=torch.{torch_dtype_name(dtype)})"
            f'.to("{device}").eval()\n')


def use_code(details: ModelDetails, device: str, dtype: str) -> CodeChoice:
    """The pipeline() one-liner and the Auto-class way for the model's task (lib.runner.code)."""
    from lib.runner import code

    notes: list[str] = []
    task = details.pipeline_tag
    spec = tasks.get(task)
    lib_name = (details.library_name or "").lower()
    if lib_name and lib_name not in ("transformers", "sentence-transformers", "peft", "timm"):
        notes.append(_("The Hub says this repo's library is **{library}**: the transformers code below may not "
                       "load it; see the model card for its own code.").format(library=md_escape(details.library_name)))
    if details.custom_code:
        notes.append(_("This model ships its own Python code (custom code): add `trust_remote_code=True` to "
                       "`from_pretrained` / `pipeline` only after reading that code."))
    if task is None or spec is None:
        notes.append(_("The Hub lists no task for this model, so only generic loading code is shown."))
        return CodeChoice(None, generic_code(details.id, device, dtype), tuple(notes))
    if not spec.runnable:
        notes.append(f"{md_escape(tasks.display_name(spec.tag))}: {tasks.reason(spec)}")
        return CodeChoice(None, generic_code(details.id, device, dtype), tuple(notes))
    is_st = lib_name == "sentence-transformers" or "sentence-transformers" in (details.tags or ())
    s = code.snippets(details.id, task, device, dtype, config=details.config or None, sentence_transformers=is_st)
    if s.pipeline is None and s.library is None:
        notes.append(_("transformers 5 has no `{task}` pipeline: use the Auto classes.").format(task=task))
    return CodeChoice(s.pipeline, s.auto, tuple(notes), s.library)


__all__ = ["CODE_DEVICES", "CODE_DTYPES", "DEVICE_LABELS", "CodeChoice", "generic_code", "use_code",
           "default_device", "default_dtype"]
