"""The Model page's "How fast" section as plain data: hosts × dtypes speed cells, and measured speeds
(store table ``run_speeds``) beside the estimate recomputed for the same dtype and context.

No streamlit, no torch; pandas is not needed (rows are dicts).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lib import format as fmt
from lib.fit.dtypes import BYTES_PER_PARAM, DTYPES, dtype_label
from lib.fit.hosts import VENDOR, HostSpeed
from lib.fit.spec import ModelSpec
from lib.fit.speed import SpeedEstimate, estimate_speed
from lib.fit.table import signed_percent
from lib.hardware import host_label
from lib.i18n import N_, _

SPEED_DTYPES: tuple[str, ...] = DTYPES


def rate(x: float | None) -> str:
    """``1,234 tok/s`` / ``45.6 tok/s`` / ``0.42 tok/s`` (the language's separators)."""
    if x is None:
        return "–"
    digits = 0 if x >= 100 else 1 if x >= 1 else 2
    return _("{n} tok/s").format(n=fmt.number(x, decimals=digits))


def seconds(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{fmt.number(x * 1000, decimals=0)} ms" if x < 1 else f"{fmt.number(x, decimals=1)} s"


def cell(est: SpeedEstimate) -> str:
    """One table cell: ``prefill 1,234 tok/s · decode 45.6 tok/s`` or ``12 ms per input``."""
    if not est.generative:
        return _("{time} per input").format(time=seconds(est.latency_s))
    return _("prefill {prefill} · decode {decode}").format(prefill=rate(est.prefill_tokens_per_s),
                                                          decode=rate(est.decode_tokens_per_s))


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
        """One row per host: a cell per dtype, then where the host figures come from. The ``Host`` key is
        a stable name (the Model page renames it); the other headers are in the UI's language."""
        out = []
        for h in self.hosts:
            r = {"Host": host_label(h.name)}
            for d in self.dtypes:
                e = self.get(h.name, d)
                r[dtype_label(d)] = cell(e) if e is not None else "–"
            r[_("Figures")] = _(h.note) if h.note else h.source
            out.append(r)
        return out

    def notes(self) -> list[str]:
        seen: dict[str, None] = {}
        for e in self.estimates.values():
            seen.update(dict.fromkeys(n for n in e.notes
                                      if not n.startswith(tuple(host_label(h.name) for h in self.hosts))))
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
            return signed_percent(est / meas - 1) if meas and est else "–"

        where = (_("here, {device}").format(device=str(r.backend).split(":", 1)[1].upper()) if local
                 else str(r.backend))
        tokens = (f"{fmt.number(r.prompt_tokens or 0)} + {fmt.number(r.new_tokens or 0)}" if r.prompt_tokens
                  else "–")
        values = (where, r.dtype or "–", tokens, rate(r.prefill_tokens_per_s), rate(est_pre), rate(r.tokens_per_s),
                  rate(est_dec), err(r.tokens_per_s, est_dec), seconds(r.latency_s))
        rows.append({_(header): value for header, value in zip(MEASURED_COLUMNS, values, strict=True)})
    return rows


#: :func:`measured_rows`' columns (marked; the rows carry them translated).
MEASURED_COLUMNS = (N_("Where"), "dtype", N_("Tokens (prompt + new)"), N_("Prefill measured"),  # i18n: dtype: a name
                    N_("Prefill estimate"), N_("Decode measured"), N_("Decode estimate"),
                    N_("Estimate vs measured (decode)"), N_("Latency"))


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
