"""The test-drive's memory gate: the estimate for a load and whether ``lib.fit`` lets it start.

(What else lived here moved by responsibility: examples, run functions and under the hood to the task
modules in ``lib/tasks/``, local folders and mask tokens to ``lib/local_models.py``, pictures to
``lib/pictures.py``.)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib.local_models import guess_task, is_local_folder, safetensors_param_count


# --------------------------------------------------------------------------- memory gate
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
    """

    allowed: bool
    reason: str
    estimate: Any = None
    device: str = "cpu"
    dtype: str = "fp32"
    blocked: bool = False
    overridden: bool = False

    @property
    def estimate_bytes(self) -> int | None:
        return int(self.estimate.total) if self.estimate is not None else None


def planned_device_dtype(device: str, dtype: str, hardware: Any) -> tuple[str, str]:
    """The (estimate device, dtype) a run with ``device``/``dtype`` (``auto`` allowed) will use,
    decided from the detected hardware without importing torch (mirrors lib.runner.device)."""
    gpus = tuple(getattr(hardware, "gpus", ()) or ())
    has_cuda = any(getattr(g, "kind", "") == "cuda" for g in gpus)
    dev = (device or "auto").lower()
    if dev == "auto":
        dev = "cuda" if has_cuda else ("mps" if any(getattr(g, "kind", "") == "mps" for g in gpus) else "cpu")
    dt = (dtype or "auto").lower()
    if dt == "auto":
        dt = "bf16" if dev.startswith("cuda") else ("fp16" if dev == "mps" else "fp32")
    if dt == "fp16" and dev == "cpu":
        dt = "fp32"
    return ("cuda" if dev.startswith("cuda") else "cpu"), dt


def model_spec(model: str, details: Any = None):
    """A :class:`lib.fit.ModelSpec` for a Hub model (its ModelDetails) or a local folder; None if unknown."""
    from lib.fit.estimate import ModelSpec

    try:
        from lib.modelconfig import ModelConfig
    except ImportError:  # pragma: no cover
        ModelConfig = None  # type: ignore[assignment]
    if details is not None and getattr(details, "record", None) is not None:
        cfg = None
        if ModelConfig is not None and getattr(details, "config", None):
            try:
                cfg = ModelConfig.from_dict(details.config)
            except Exception:  # noqa: BLE001 - a partial config is still usable without it
                cfg = None
        sizes = {f.path: f.size for f in getattr(details, "files", ()) if f.size}
        spec = ModelSpec.from_record(details.record, cfg, file_sizes=sizes or None)
        return spec if (spec.params_total or spec.params_by_dtype or spec.quantized_bytes) else None
    if is_local_folder(model):
        n = safetensors_param_count(model)
        cfg = None
        if ModelConfig is not None and (Path(model) / "config.json").exists():
            try:
                cfg = ModelConfig.from_file(Path(model) / "config.json")
            except Exception:  # noqa: BLE001
                cfg = None
        if not n:
            return None
        return ModelSpec(model_id=str(model), params_total=n, params_exact=True, config=cfg,
                         pipeline_tag=guess_task(model))
    return None


def fit_gate(model: str, details: Any, device: str, dtype: str, hardware: Any, override: bool = False,
             *, spec: Any = None) -> FitGate:
    """Estimate the load's memory and ask ``lib.fit.load_allowed``; unknown sizes are allowed."""
    est_device, est_dtype = planned_device_dtype(device, dtype, hardware)
    from lib.fit.estimate import estimate_memory
    from lib.fit.verdict import load_allowed

    try:
        spec = spec if spec is not None else model_spec(model, details)
    except Exception:  # noqa: BLE001 - an estimate must never break the test drive
        spec = None
    if spec is None:
        return FitGate(True, "Model size unknown: no memory estimate, the load is not checked.", None,
                       est_device, est_dtype)
    try:
        est = estimate_memory(spec, est_dtype, est_device)
        decision = load_allowed(est, hardware, override)
    except (ValueError, TypeError, KeyError) as e:
        return FitGate(True, f"No memory estimate: {e}", None, est_device, est_dtype)
    blocked = (not decision.allowed) or decision.overridden
    return FitGate(decision.allowed, decision.reason, est, est_device, est_dtype, blocked, decision.overridden)
