"""A model's parameter count for the Model page, and how sure it is.

Exact from safetensors metadata (the Hub's, or the catalog snapshot's); else counted from
config.json on the meta device (:func:`count_from_config` with ``lib.modelconfig.count_parameters``);
else an estimate — the catalog's, the config's shape when it is too large to build (50,000 layers:
``lib.modelconfig.build_problem``), or the weight files' bytes ÷ bytes per parameter — labelled so.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from lib import format as fmt
from lib.fit.dtypes import BYTES_PER_PARAM, from_torch
from lib.fit.moe import MoeCounts, moe_counts, moe_shape
from lib.hub.details import ModelDetails
from lib.i18n import _
from lib.modelconfig import build_problem, estimate_parameters
from lib.repo_files import weights_total

#: typical bytes per parameter of a GGUF file (~4.8 bits: the common Q4_K_M level).
GGUF_BYTES_PER_PARAM = 0.6


@dataclass(frozen=True)
class ParamInfo:
    """The parameter section.

    Attributes:
        total: the count, or None when unknown.
        by_dtype: ``(dtype, count)`` rows from safetensors metadata (exact counts only).
        kind: ``exact`` (safetensors metadata), ``counted`` (config.json built on the meta device),
            ``estimated`` (labelled so), ``unknown``.
        source: where the number comes from, in words.
        moe: a mixture of experts' total and active counts (:func:`with_moe`), None for a dense model.
    """

    total: int | None
    by_dtype: tuple[tuple[str, int], ...]
    kind: str
    source: str
    moe: MoeCounts | None = None

    @property
    def active(self) -> int | None:
        """Parameters one token uses: the MoE active count, else the total."""
        return self.moe.active if self.moe is not None and self.moe.active else self.total

    @property
    def moe_lines(self) -> tuple[str, ...]:
        """The MoE rows for the page: active per token, the layout, where the numbers come from."""
        m = self.moe
        if m is None:
            return ()
        if m.active is not None:
            head = _("Mixture of experts: **{active}** active per token ({share} of the total); {total} in all.")
            head = head.format(active=fmt.params(m.active), share=fmt.percent(m.active_fraction),
                               total=fmt.params(m.total))
        else:
            head = _("Mixture of experts: active per token unknown (the config does not say how many experts a "
                     "token uses); {total} in all.").format(total=fmt.params(m.total))
        how = (_("Total {source}; routed share counted on the meta device.") if m.source == "meta device"
               else _("Total {source}; routed share computed from config.json's sizes.")).format(
            source=_(m.total_source))
        return (head, _("{layout}. Memory holds every expert (the total); speed reads the active ones.").format(
            layout=m.shape.summary) + " " + how)

    @property
    def exact(self) -> bool:
        return self.kind in ("exact", "counted")

    @property
    def headline(self) -> str:
        """``494,032,768 (494M)`` / ``~7B (estimated)`` / ``unknown``."""
        if self.total is None:
            return _("unknown")
        if self.exact:
            return f"{fmt.number(self.total)} ({fmt.params(self.total)})"
        return _("{n} (estimated)").format(n=fmt.params(self.total, exact=False))


def needs_config_count(details: ModelDetails) -> bool:
    """True when the Hub gave no exact count, so the page counts parameters from config.json."""
    return not details.params_total and not (details.record is not None and details.record.params_exact
                                             and details.record.params_total)


def buildable(config: Mapping[str, Any] | None) -> bool:
    """Whether a config may be built on the meta device: present, no custom code (building would run
    the repo's code), no absurd sizes (:func:`lib.modelconfig.build_problem`)."""
    return bool(config) and not config.get("auto_map") and build_problem(config) is None


def count_from_config(config: Mapping[str, Any] | None, config_note: str | None,
                      counter: Callable[[dict], int | None]) -> tuple[int | None, str | None]:
    """``(count, None)`` from ``counter(config)`` (lib.modelconfig.count_parameters, maybe cached),
    or ``(None, why not)``. Custom-code configs are never built (that would run the repo's code)."""
    if not config:
        return None, _("not counted from config: {why}").format(why=_(config_note) if config_note
                                                                 else _("no config.json"))
    if config.get("auto_map"):
        return None, _("not counted from config: it needs the repo's custom code")
    problem = build_problem(config)  # checked before any build: a hostile config must cost nothing
    if problem is not None:
        return None, _("not counted from config.json: {why}").format(why=problem)
    try:
        n = counter(dict(config))
    except Exception as e:  # noqa: BLE001 - counting is best effort
        return None, _("counting from config failed ({error})").format(error=type(e).__name__)
    if not n:
        return None, _("transformers cannot build this config")
    return int(n), None


def parameter_info(details: ModelDetails, counted: int | None = None, config: Mapping[str, Any] | None = None,
                   count_note: str | None = None) -> ParamInfo:
    """Exact from safetensors metadata; else ``counted`` (from config.json on the meta device); else
    an estimate (the catalog's, or weight-file bytes ÷ bytes per parameter), labelled so."""
    if details.params_total:
        rows = tuple(sorted(details.params_by_dtype.items(), key=lambda kv: -kv[1]))
        return ParamInfo(details.params_total, rows, "exact",
                         _("exact, from {source}").format(source=details.param_source or _("safetensors metadata")))
    rec = details.record
    if rec is not None and rec.params_exact and rec.params_total:
        rows = tuple(sorted(rec.params_by_dtype.items(), key=lambda kv: -kv[1]))
        return ParamInfo(rec.params_total, rows, "exact",
                         _("exact, from {source} (catalog snapshot)").format(
                             source=rec.param_source or _("safetensors metadata")))
    if counted:
        return ParamInfo(counted, (), "counted", _("counted exactly from config.json (model built on the meta "
                                                    "device, no weights downloaded)"))
    why = " " + _("({why})").format(why=count_note) if count_note else ""
    if rec is not None and rec.params_total:
        return ParamInfo(rec.params_total, (), "estimated",
                         _("estimated by the catalog ({source})").format(
                             source=rec.param_source or _("from the model name")) + why)
    shaped = estimate_parameters(config) if config and build_problem(config) is not None else None
    if shaped:
        return ParamInfo(shaped, (), "estimated",
                         _("estimated from config.json's shape (layers, hidden size, vocabulary)") + why)
    size = weights_total(details)
    if size:
        bpp, dtype_word = _bytes_per_param(details, config)
        return ParamInfo(int(size / bpp), (), "estimated",
                         _("estimated from {size} of weight files at {dtype}").format(
                             size=fmt.size_bytes(size), dtype=dtype_word) + why)
    return ParamInfo(None, (), "unknown", _("no safetensors metadata, no countable config and no weight sizes") + why)


def with_moe(info: ParamInfo, config: Mapping[str, Any] | None, split: tuple[int, int] | None) -> ParamInfo:
    """``info`` with its MoE counts when ``config`` is a mixture of experts (else unchanged): the total
    stays ``info``'s when it is exact (the Hub's count), the routed-expert share comes from ``split``
    (:func:`lib.modelconfig.parameter_split`, the meta device) or, without one, the config's arithmetic."""
    if moe_shape(config) is None:
        return info
    exact = info.total if info.kind == "exact" else None
    m = moe_counts(config, split, total=exact, total_source=info.source)
    return replace(info, moe=m) if m is not None else info


def _bytes_per_param(details: ModelDetails, config: Mapping[str, Any] | None) -> tuple[float, str]:
    """Bytes per parameter of the weight files: the config's declared dtype, else GGUF's typical
    level, else float32."""
    declared = str((config or {}).get("torch_dtype") or (config or {}).get("dtype") or "").replace("torch.", "")
    key = from_torch(declared)
    if key in ("fp32", "bf16", "fp16") and declared in ("float32", "bfloat16", "float16"):
        return BYTES_PER_PARAM[key], f"{declared} (config.json)"  # i18n: a dtype name and a file name
    if any(f.path.lower().endswith(".gguf") for f in details.files):
        return GGUF_BYTES_PER_PARAM, _("~{bits} bits per parameter (typical GGUF)").format(bits=fmt.number(4.8))
    return BYTES_PER_PARAM["fp32"], _("4 bytes per parameter (float32 assumed)")


__all__ = ["ParamInfo", "needs_config_count", "count_from_config", "parameter_info", "with_moe", "buildable"]
