"""Where a loaded model's weights are: on one device, or split by accelerate (partial offload: the
``device_map="auto"`` + ``max_memory`` keywords), and the check that a load came out whole
(:func:`dtype_problem`). torch is imported inside the functions only."""
from __future__ import annotations

from typing import Any

from lib import format as fmt
from lib.i18n import _


def dtype_problem(model: Any, tdtype: Any, offloaded: bool = False) -> str | None:
    """Why ``model``'s floating-point parameters are not all of ``tdtype``, or some were never filled in
    (left on the meta device; ``offloaded``: a partial-offload load, whose disk-offloaded weights stay
    on the meta device until their layer runs); None when the model is whole.

    The modules a model keeps in float32 on purpose at half precision (transformers'
    ``_keep_in_fp32_modules`` / ``_keep_in_fp32_modules_strict``) are allowed to stay float32.
    """
    import torch

    keep: set[str] = set()
    if tdtype in (torch.float16, torch.bfloat16):
        for module in model.modules():
            for attr in ("_keep_in_fp32_modules", "_keep_in_fp32_modules_strict"):
                keep.update(getattr(module, attr, None) or ())
    total = 0
    wrong: dict[str, int] = {}
    for name, p in model.named_parameters():
        if p.device.type == "meta" and not offloaded:
            return _("weights never filled in: left on the meta device")
        if not p.is_floating_point():
            continue
        total += p.numel()
        if p.dtype == tdtype or (p.dtype == torch.float32 and any(k in name for k in keep)):
            continue
        found = str(p.dtype).removeprefix("torch.")
        wrong[found] = wrong.get(found, 0) + p.numel()
    if not wrong:
        return None
    found = max(wrong, key=wrong.__getitem__)
    share = max(1, round(100 * sum(wrong.values()) / max(total, 1)))
    want = str(tdtype).removeprefix("torch.")
    return _("{share} of its weights in {found} instead of {want}").format(
        share=fmt.percent(share / 100), found=_DTYPE_NAMES.get(found, found), want=_DTYPE_NAMES.get(want, want))


_DTYPE_NAMES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def offload_kwargs(max_memory: dict[Any, int] | None) -> dict[str, Any]:
    """``from_pretrained`` keywords of a partial-offload load: ``device_map="auto"`` with ``max_memory``
    (weight bytes per device) and a temporary folder for what fits nowhere in memory ({} without one)."""
    if not max_memory:
        return {}
    import tempfile

    return {"device_map": "auto", "max_memory": dict(max_memory),
            "offload_folder": tempfile.mkdtemp(prefix="hubscout-offload-")}


def _placed(model: Any, device: str, mk: dict[str, Any]) -> Any:
    """``model`` on ``device``; left where accelerate put it when the load has a ``device_map``."""
    return model if mk.get("device_map") else model.to(device)


__all__ = ["dtype_problem", "offload_kwargs"]
