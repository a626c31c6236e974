"""Record a local run's measured speed (store table ``run_speeds``) beside the speed estimate.

The runner times each input (``Executed.timings``: :class:`lib.tasks.timing.TokenTiming` for the inputs
that generated; ``latencies``); the job, its caller, records one row per run here, as it records
peaks (:mod:`lib.jobs.measured`): backend ``local:<device>``, prompt / new tokens, TTFT, decode and
prefill tokens/s, latency — and the estimate for the same model, dtype and context on this machine
(:func:`lib.fit.speed.estimate_speed`, with the host probe's stored figures; none when this machine
was never probed). A store that cannot be written never fails the run.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

from .measured import device_family


def _params(loaded: Any) -> int | None:
    model = getattr(loaded, "model", None)
    if model is None and getattr(loaded, "pipe", None) is not None:
        model = getattr(loaded.pipe, "model", None)
    try:
        return int(sum(p.numel() for p in model.parameters())) if model is not None else None
    except Exception:  # noqa: BLE001 - not a torch module (a sentence-transformers wrapper …): no count
        return None


def estimate_for(model_id: str, task: str, config: dict, params: int | None, dtype: str, device: str,
                 prompt: int | None, new: int | None, url: str | None = None):
    """The speed estimate (:class:`lib.fit.speed.SpeedEstimate`) for a run here, None without one."""
    from lib.fit import host_probe
    from lib.fit.spec import ModelSpec, model_config
    from lib.fit.speed import estimate_speed

    host = host_probe.host_speed(host_probe.cached(url), device=device)
    if host is None or not params:
        return None
    spec = ModelSpec(model_id=model_id, params_total=params, params_exact=True, config=model_config(config),
                     pipeline_tag=task)
    try:
        return estimate_speed(spec, host, dtype, context_tokens=(prompt or 0) + (new or 0) or None,
                              prompt_tokens=prompt or None)
    except ValueError:
        return None


def row(model_id: str, task: str, device: str, dtype: str, timed: Sequence[tuple[Any, float]],
        estimate: Any = None) -> dict[str, Any] | None:
    """The ``run_speeds`` row of a run: the last input that generated (its timing), else the median
    latency per input; None when nothing was timed."""
    if not timed:
        return None
    gen = [(t, lat) for t, lat in timed if t is not None and t.new_tokens]
    out: dict[str, Any] = {"model_id": model_id, "backend": f"local:{device_family(device)}", "task": task,
                           "dtype": dtype, "measured_at": time.time()}
    if gen:
        t, lat = gen[-1]
        out.update(prompt_tokens=t.prompt_tokens, new_tokens=t.new_tokens, ttft_s=t.ttft_s,
                   tokens_per_s=t.decode_tokens_per_s, prefill_tokens_per_s=t.prefill_tokens_per_s, latency_s=lat)
    else:
        out["latency_s"] = statistics.median(lat for _, lat in timed)
    if estimate is not None and estimate.generative:
        out.update(estimated_tokens_per_s=estimate.decode_tokens_per_s,
                   estimated_prefill_tokens_per_s=estimate.prefill_tokens_per_s)
    return out


def record(job: Any, prep: Any, timed: Sequence[tuple[Any, float]]) -> bool:
    """Store the run's speed (see the module doc); True when a row was written."""
    try:
        url = getattr(job.store, "_url", None)  # the job's MeasuredStore: the same database
        loaded = prep.loaded
        draft = row(job.model, job.task, loaded.device, loaded.dtype, timed)
        if draft is None:
            return False
        est = None
        if draft.get("prompt_tokens"):
            est = estimate_for(job.model, job.task, prep.config, _params(loaded), loaded.dtype,
                               device_family(loaded.device), draft["prompt_tokens"], draft.get("new_tokens"), url)
        values = row(job.model, job.task, loaded.device, loaded.dtype, timed, est)
        from lib import store
        from lib.store.models import RunSpeed

        with store.session(url, write=True) as s:
            s.add(RunSpeed(**values))
        return True
    except Exception:  # noqa: BLE001 - any store failure must not fail the run
        return False


def lookup(model_id: str, url: str | None = None, limit: int = 20) -> list[Any]:
    """The newest measured speeds of ``model_id`` (RunSpeed rows, detached), newest first; [] on failure."""
    try:
        from sqlalchemy import select

        from lib import store
        from lib.store.models import RunSpeed

        with store.session(url) as s:
            rows = s.scalars(select(RunSpeed).where(RunSpeed.model_id == model_id)
                             .order_by(RunSpeed.measured_at.desc()).limit(limit)).all()
            s.expunge_all()
            return list(rows)
    except Exception:  # noqa: BLE001 - a broken store: nothing measured
        return []


__all__ = ["estimate_for", "row", "record", "lookup"]
