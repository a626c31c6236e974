"""The Model page's "How fast" section as plain data: hosts × dtypes speed cells, and measured speeds
(store table ``run_speeds``) beside the estimate recomputed for the same dtype and context.

No streamlit, no torch; pandas is not needed (rows are dicts).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lib.fit.dtypes import BYTES_PER_PARAM, DTYPE_LABELS, DTYPES
from lib.fit.hosts import VENDOR, HostSpeed
from lib.fit.spec import ModelSpec
from lib.fit.speed import SpeedEstimate, estimate_speed

SPEED_DTYPES: tuple[str, ...] = DTYPES


def rate(x: float | None) -> str:
    """``1,234 tok/s`` / ``45.6 tok/s`` / ``0.42 tok/s``."""
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:,.0f} tok/s"
    return f"{x:.1f} tok/s" if x >= 1 else f"{x:.2f} tok/s"


def seconds(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x * 1000:,.0f} ms" if x < 1 else f"{x:,.1f} s"


def cell(est: SpeedEstimate) -> str:
    """One table cell: ``prefill 1,234 tok/s · decode 45.6 tok/s`` or ``12 ms per input``."""
    if not est.generative:
        return f"{seconds(est.latency_s)} per input"
    return f"prefill {rate(est.prefill_tokens_per_s)} · decode {rate(est.decode_tokens_per_s)}"


@dataclass(frozen=True)
class SpeedTable:
    """Estimates per (host, dtype); ``hosts`` in display order with their figures."""

    hosts: tuple[HostSpeed, ...]
    dtypes: tuple[str, ...]
    estimates: dict[tuple[str, str], SpeedEstimate]
    problem: str | None = None

    def get(self, host: str, dtype: str) -> SpeedEstimate | None:
        return self.estimates.get((host, dtype))

    def rows(self) -> list[dict[str, str]]:
        """One row per host: a cell per dtype, then where the host figures come from."""
        out = []
        for h in self.hosts:
            r = {"Host": h.name}
            for d in self.dtypes:
                e = self.get(h.name, d)
                r[DTYPE_LABELS.get(d, d)] = cell(e) if e is not None else "–"
            r["Figures"] = h.note or h.source
            out.append(r)
        return out

    def notes(self) -> list[str]:
        seen: dict[str, None] = {}
        for e in self.estimates.values():
            seen.update(dict.fromkeys(n for n in e.notes if not n.startswith(tuple(h.name for h in self.hosts))))
        return list(seen)


def speed_table(spec: ModelSpec, this_host: HostSpeed | None, *, context_tokens: int | None = None,
                dtypes: Iterable[str] = SPEED_DTYPES, active_params: int | None = None,
                vendor_hosts: Sequence[HostSpeed] = VENDOR, kv: str = "auto", batch: int = 1) -> SpeedTable:
    """Estimates for this machine (when probed) and every vendor host, at each dtype; ``kv``: the KV cache's
    precision (:mod:`lib.fit.kv`), ``batch``: sequences decoded together."""
    from lib.fit.kv import element_bytes

    hosts = ((this_host,) if this_host is not None else ()) + tuple(vendor_hosts)
    dtypes = tuple(dtypes)
    if spec.is_quantized and spec.quantized_bytes:
        dtypes = ("stored",)
    out: dict[tuple[str, str], SpeedEstimate] = {}
    problem = None
    for h in hosts:
        for d in dtypes:
            try:
                compute = BYTES_PER_PARAM.get(d, 2.0) if d in ("fp32", "bf16", "fp16") else 2.0
                out[(h.name, d)] = estimate_speed(spec, h, d, context_tokens=context_tokens,
                                                  active_params=active_params, batch=batch,
                                                  kv_bytes_per_value=element_bytes(kv, compute))
            except ValueError as e:
                problem = str(e)
    return SpeedTable(hosts, dtypes, out, problem)


def measured_rows(spec: ModelSpec, runs: Sequence[Any], this_host: HostSpeed | None) -> list[dict[str, Any]]:
    """Measured speeds (RunSpeed rows) beside the estimate stored with them, or recomputed for this
    machine at the run's own dtype and context when none was stored."""
    rows = []
    for r in runs:
        est_dec, est_pre = r.estimated_tokens_per_s, r.estimated_prefill_tokens_per_s
        local = str(r.backend or "").startswith("local:")
        if est_dec is None and local and this_host is not None and r.prompt_tokens:
            try:
                e = estimate_speed(spec, this_host, r.dtype or "fp32",
                                   context_tokens=(r.prompt_tokens or 0) + (r.new_tokens or 0),
                                   prompt_tokens=r.prompt_tokens)
                est_dec, est_pre = e.decode_tokens_per_s, e.prefill_tokens_per_s
            except ValueError:
                pass

        def err(meas: float | None, est: float | None) -> str:
            return f"{est / meas - 1:+.0%}" if meas and est else "–"

        rows.append({
            "Where": "here, " + str(r.backend).split(":", 1)[1].upper() if local else str(r.backend),
            "dtype": r.dtype or "–",
            "Tokens (prompt + new)": f"{r.prompt_tokens or 0:,} + {r.new_tokens or 0:,}" if r.prompt_tokens else "–",
            "Prefill measured": rate(r.prefill_tokens_per_s), "Prefill estimate": rate(est_pre),
            "Decode measured": rate(r.tokens_per_s), "Decode estimate": rate(est_dec),
            "Estimate vs measured (decode)": err(r.tokens_per_s, est_dec),
            "Latency": seconds(r.latency_s),
        })
    return rows


def discover_speed(record: Any, host: HostSpeed | None) -> str:
    """Discover's "speed here" for a text-generation record: decode tokens/s at bf16 on this machine,
    from the listing's parameter count alone (no config: no KV cache, no layer count); '' otherwise."""
    if host is None or getattr(record, "pipeline_tag", None) != "text-generation":
        return ""
    n = getattr(record, "params_total", None)
    if not n:
        return ""
    spec = ModelSpec(model_id=str(getattr(record, "id", "")), params_total=int(n),
                     params_by_dtype=dict(getattr(record, "params_by_dtype", {}) or {}),
                     pipeline_tag="text-generation")
    try:
        return rate(estimate_speed(spec, host, "bf16", context_tokens=1).decode_tokens_per_s)
    except ValueError:
        return ""


__all__ = ["SPEED_DTYPES", "rate", "seconds", "cell", "SpeedTable", "speed_table", "measured_rows",
           "discover_speed"]
