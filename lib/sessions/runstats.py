"""A session candidate's run stats (``store.set_candidate_stats``), computed after its job
(:mod:`lib.sessions.run`): latency p50 / p95 over its cells, and

* on this machine: peak memory, load time, device, dtype (:func:`candidate_stats`);
* on a remote backend: where it ran, and for a streamed text generation the median time to first token and
  tokens/s of this run's items (:func:`remote_stats`); no peak, no load.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lib.jobs import Job
from lib.sessions import store


def _percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _latencies(session_id: str, cid: str) -> dict[str, float | None]:
    latencies = [float(v["latency_s"]) for (_, c), v in store.outputs(session_id).items()
                 if c == cid and v.get("latency_s") is not None and v.get("error") is None]
    return {"latency_p50_s": _percentile(latencies, 0.50), "latency_p95_s": _percentile(latencies, 0.95)}


def item_speed(job: Job, index: int) -> tuple[float | None, float | None]:
    """(time to first token s, tokens/s) of one remote item, when the job gives them (a streamed text
    generation: the item's own ``remote`` stats, or its RunResult's)."""
    stats = getattr(job.items[index], "remote", None)
    if stats is None:
        try:
            result = job.result(index)
        except Exception:  # noqa: BLE001 - no result: no speed
            result = None
        stats = getattr(result, "remote", None)
    if stats is None:
        return None, None
    return getattr(stats, "ttft_s", None), getattr(stats, "tokens_per_s", None)


def remote_stats(session_id: str, cid: str, where: str, speeds: Iterable[tuple[float | None, float | None]],
                 error: tuple[str, str] | None, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The stats of remote candidate ``cid``: latency p50 / p95 over its cells, ``device`` = where it ran,
    median time to first token and tokens/s of ``speeds`` (an earlier run's when this one streamed none)."""
    previous = dict(previous or {})
    speeds = list(speeds)
    ttft = [t for t, _ in speeds if t is not None]
    rate = [r for _, r in speeds if r is not None]
    return {**previous, **_latencies(session_id, cid),
            "ttft_p50_s": _percentile(ttft, 0.5) if ttft else previous.get("ttft_p50_s"),
            "tokens_per_s": _percentile(rate, 0.5) if rate else previous.get("tokens_per_s"),
            "peak_bytes": None, "peak_kind": "remote", "load_s": None, "device": where, "dtype": None,
            "error": f"{error[0]}: {error[1]}" if error else None}


def candidate_stats(session_id: str, cid: str, job: Job, error: tuple[str, str] | None,
                    previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The stats of candidate ``cid`` after ``job``: latency p50 / p95 over all its cells with an output,
    the peak (the larger of this job's and an earlier run's on the same device and dtype), the load time
    (an earlier run's when this job found the model cached), device, dtype and the load error."""
    from lib.jobs.measured import comparable_peak

    previous = dict(previous or {})
    same_place = previous.get("device") == job.device and previous.get("dtype") == job.dtype
    peak, kind = previous.get("peak_bytes") if same_place else None, previous.get("peak_kind") if same_place else None
    if job.measurement is not None:
        mine, mine_kind = comparable_peak(job.measurement)
        if peak is None or mine > peak:
            peak, kind = mine, mine_kind
    load_s = previous.get("load_s") if job.cached or job.device is None else round(job.load_s, 4)
    return {**previous, **_latencies(session_id, cid),
            "peak_bytes": peak, "peak_kind": kind, "load_s": load_s,
            "device": job.device or previous.get("device"), "dtype": job.dtype or previous.get("dtype"),
            "error": f"{error[0]}: {error[1]}" if error else None}


__all__ = ["candidate_stats", "item_speed", "remote_stats"]
