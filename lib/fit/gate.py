"""The memory gate before a test-drive load: the estimate for the run's device and dtype, and
whether :func:`lib.fit.verdict.load_allowed` lets it start.

The spec is the Model page's (:func:`lib.fit.spec.model_spec`) when the page passes it, else built
here by the same rule for a Hub model's details or a local folder.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib.fit.estimate import estimate_memory
from lib.fit.spec import ModelSpec, folder_spec, model_config, model_spec
from lib.fit.verdict import load_allowed, verdict_from_estimates
from lib.i18n import _
from lib.runner.device import choose


@dataclass(frozen=True)
class FitGate:
    """Whether a load may start, per ``lib.fit``.

    Attributes:
        allowed: the load may start (fits, tight, overridden, or no estimate available).
        reason: the verdict in words (shown beside the Run button).
        estimate: the :class:`lib.fit.MemoryEstimate` used, None when unknown.
        device / dtype: what the estimate assumed (``cpu``/``cuda``; ``fp32``/``bf16``/``fp16``).
        blocked: the estimate exceeds the memory available (``allowed`` then depends on the override).
        overridden: the user explicitly chose to load anyway.
        tight: it fits, within the verdict's headroom margin (a code: ``reason`` is in the UI's language).
        offload: the partial-offload split (:class:`lib.fit.tiers.OffloadPlan`) when the model is too big
            for the GPU but its layers fit between GPU and RAM: the load is allowed, with ``max_memory``.
    """

    allowed: bool
    reason: str
    estimate: Any = None
    device: str = "cpu"
    dtype: str = "fp32"
    blocked: bool = False
    overridden: bool = False
    offload: Any = None
    ram_budget: int | None = None
    tight: bool = False

    @property
    def estimate_bytes(self) -> int | None:
        if self.offload is not None:
            return int(self.offload.gpu_bytes)
        return int(self.estimate.total) if self.estimate is not None else None

    @property
    def max_memory(self) -> dict[Any, int] | None:
        """``RunOptions.max_memory`` for the partial-offload tier, None for a load on one device."""
        return self.offload.max_memory(self.ram_budget or 0) if self.offload is not None else None


def planned_device_dtype(device: str, dtype: str, hardware: Any) -> tuple[str, str]:
    """The (estimate device, dtype) a run with ``device``/``dtype`` (``auto`` allowed) will use,
    decided from the detected hardware without importing torch (the runner's rule,
    :func:`lib.runner.device.choose`)."""
    gpus = tuple(getattr(hardware, "gpus", ()) or ())
    dev, dt, _why = choose(device, dtype, has_cuda=any(getattr(g, "kind", "") == "cuda" for g in gpus),
                        has_mps=any(getattr(g, "kind", "") == "mps" for g in gpus))
    return ("cuda" if dev.startswith("cuda") else "cpu"), dt


def spec_for(model: str, details: Any = None) -> ModelSpec | None:
    """The spec of a Hub model (its ModelDetails) or a local folder; None when its size is unknown."""
    if details is not None:
        spec = model_spec(details, model_config(getattr(details, "config", None)))
        return spec if spec.size_known else None
    from lib.local_models import guess_task, is_local_folder, safetensors_param_count

    if is_local_folder(model):
        return folder_spec(model, safetensors_param_count(model), guess_task(model))
    return None


def fit_gate(model: str, details: Any, device: str, dtype: str, hardware: Any, override: bool = False,
             *, spec: ModelSpec | None = None, offload: bool = False) -> FitGate:
    """Estimate the load's memory and ask ``lib.fit.load_allowed``; unknown sizes are allowed. ``offload``:
    the caller loads with :attr:`FitGate.max_memory` (``RunOptions.max_memory``), so a model too big for the
    GPU whose layers split between GPU and RAM is allowed in the partial-offload tier; other callers (a
    session's plan, the Local models page) load on one device and keep it blocked."""
    est_device, est_dtype = planned_device_dtype(device, dtype, hardware)
    try:
        spec = spec if spec is not None else spec_for(model, details)
    except Exception:  # noqa: BLE001 - an estimate must never break the test drive
        spec = None
    if spec is None:
        return FitGate(True, _("Model size unknown: no memory estimate, the load is not checked."), None,
                       est_device, est_dtype)
    try:
        est = estimate_memory(spec, est_dtype, est_device)
        decision = load_allowed(est, hardware, override)
    except (ValueError, TypeError, KeyError) as e:
        return FitGate(True, _("No memory estimate: {reason}").format(reason=e), None, est_device, est_dtype)
    if offload and not decision.allowed and est_device == "cuda":
        offload = _offload(est, spec, hardware)
        if offload is not None:
            return offload
    blocked = (not decision.allowed) or decision.overridden
    return FitGate(decision.allowed, decision.reason, est, est_device, est_dtype, blocked, decision.overridden,
                   tight=decision.tight)


def _offload(est: Any, spec: ModelSpec, hardware: Any) -> FitGate | None:
    """The partial-offload tier of a GPU estimate over the VRAM (the verdict's rule): allowed, with the
    split; None when the layers do not split or RAM cannot hold the offloaded ones."""
    verdict = verdict_from_estimates(None, est, hardware, spec.config)
    plan = verdict.offload
    if plan is None:
        return None
    ram = hardware.ram_available_bytes if hardware.ram_available_bytes is not None else hardware.ram_total_bytes
    budget = max(int(ram) - (plan.ram_bytes - plan.offloaded), plan.offloaded)
    return FitGate(True, _("partial offload: {split}").format(split=plan.summary), est, "cuda", est.dtype, offload=plan,
                   ram_budget=budget)


__all__ = ["FitGate", "planned_device_dtype", "spec_for", "fit_gate"]
