"""What the memory estimate knows about a model (:class:`ModelSpec`), and how it is built.

- :meth:`ModelSpec.from_record` — from a catalog :class:`lib.hub.records.ModelRecord` (+ config, file sizes);
- :func:`model_spec` — from the Model page's / test-drive's :class:`lib.hub.details.ModelDetails`,
  with the architecture of :func:`fit_config` and the Model page's parameter count;
- :func:`folder_spec` — from a local model folder;
- :func:`fit_config` — config.json, or offline the catalog snapshot's architecture facts;
- :func:`context_choices` / :func:`default_context` — the Model page's context-length slider.

Pure logic: no torch, no transformers, no I/O except reading a local folder's config.json.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lib.fit.dtypes import from_hub, from_torch
from lib.fit.moe import moe_counts
from lib.hub.normalize import pickle_only, weight_file_kind
from lib.hub.records import ModelRecord
from lib.i18n import N_, _
from lib.modelconfig import ModelConfig

#: pipeline tags whose models generate with a KV cache.
GENERATIVE_TAGS = frozenset({"text-generation", "image-text-to-text", "text2text-generation",
                             "translation", "summarization", "automatic-speech-recognition",
                             "image-to-text", "visual-question-answering"})


@dataclass(frozen=True)
class ModelSpec:
    """What the estimator needs to know about a model (all optional but a size).

    Attributes:
        model_id: for messages.
        params_total: parameter count (exact from safetensors, or counted from the config).
        params_by_dtype: safetensors counts per Hub dtype name (``{"BF16": 494032768}``).
        params_exact: True when the count is exact.
        config: architecture facts (enables KV cache, activations and tied-embedding terms).
        pipeline_tag: the Hub task (text-generation models get a KV cache).
        quantized_bytes: total weight-file bytes of an already-quantized checkpoint.
        quant_method: ``gguf`` / ``awq`` / ``gptq`` / ``bitsandbytes`` … when quantized.
        gated: the Hub's gated flag (False, "auto", "manual").
        requires_custom_code: the repo needs ``trust_remote_code``.
        pickle_weights: weights only as pickle (``pytorch_model.bin`` / ``.pt`` / ``.ckpt``).
        moe: a mixture of experts' counts (:class:`lib.fit.moe.MoeCounts`), None for a dense model.
    """

    model_id: str = ""
    params_total: int | None = None
    params_by_dtype: Mapping[str, int] = field(default_factory=dict)
    params_exact: bool = False
    config: ModelConfig | None = None
    pipeline_tag: str | None = None
    quantized_bytes: int | None = None
    quant_method: str | None = None
    gated: bool | str = False
    requires_custom_code: bool = False
    pickle_weights: bool = False
    moe: Any = None

    @property
    def active_params(self) -> int | None:
        """Parameters one token reads (a speed estimate's input): a mixture of experts' active count,
        else the total. Memory always uses ``params_total``."""
        if self.moe is not None and self.moe.active:
            return int(self.moe.active)
        return self.params_total

    @property
    def checkpoint_dtype(self) -> str | None:
        """dtype the weights are stored in (most parameters), e.g. ``bf16``; None when unknown."""
        if self.params_by_dtype:
            main = max(self.params_by_dtype.items(), key=lambda kv: kv[1])[0]
            return from_hub(main)
        if self.config is not None and self.config.dtype:
            return from_torch(self.config.dtype)
        return None

    @property
    def is_quantized(self) -> bool:
        return bool(self.quantized_bytes) or (self.config is not None and self.config.quantization is not None)

    @property
    def is_generative(self) -> bool:
        if self.pipeline_tag:
            return self.pipeline_tag in GENERATIVE_TAGS
        return self.config is not None and self.config.is_decoder

    @property
    def size_known(self) -> bool:
        """Whether anything gives the weights' size (a count, per-dtype counts or quantized files)."""
        return bool(self.params_total or self.params_by_dtype or self.quantized_bytes)

    @classmethod
    def from_record(cls, record: Any, config: ModelConfig | None = None, *,
                    file_sizes: Mapping[str, int] | None = None) -> ModelSpec:
        """From a :class:`lib.hub.records.ModelRecord` (+ optional config and ``{filename: bytes}``).

        ``file_sizes`` lets quantized repos (``.gguf`` files, AWQ/GPTQ/bnb safetensors) use their
        real sizes, and flags repos whose weights exist only as pickle files.
        """
        quant_bytes = None
        quant_method = None
        pickle = False
        tags = set(getattr(record, "tags", ()) or ())
        if file_sizes:
            kinds = {n: weight_file_kind(n) for n in file_sizes}
            gguf = [n for n, k in kinds.items() if k == "gguf"]
            st = [n for n, k in kinds.items() if k == "safetensors"]
            pickle = pickle_only(k for k in kinds.values() if k)
            if gguf:
                # GGUF repos usually offer several quantisation levels side by side, one file each:
                # the estimate is for the smallest one (the user picks which file to load).
                quant_bytes = min(file_sizes[n] for n in gguf if file_sizes[n])
                quant_method = "gguf"
            elif config is not None and config.quantization is not None and st:
                quant_bytes = sum(file_sizes[n] for n in st)
                quant_method = config.quantization.method
        if quant_method is None and config is not None and config.quantization is not None:
            quant_method = config.quantization.method
        if quant_method is None and "gguf" in tags and not getattr(record, "params_by_dtype", None):
            quant_method = "gguf"
        custom = bool(config is not None and config.requires_custom_code) or "custom_code" in tags
        return cls(
            model_id=str(getattr(record, "id", "")),
            params_total=getattr(record, "params_total", None),
            params_by_dtype=dict(getattr(record, "params_by_dtype", {}) or {}),
            params_exact=bool(getattr(record, "params_exact", False)),
            config=config,
            pipeline_tag=getattr(record, "pipeline_tag", None),
            quantized_bytes=quant_bytes,
            quant_method=quant_method,
            gated=getattr(record, "gated", False),
            requires_custom_code=custom,
            pickle_weights=pickle,
        )


# ---- architecture facts --------------------------------------------------------------------------

def model_config(config: Mapping[str, Any] | None) -> ModelConfig | None:
    """:class:`ModelConfig` of a config.json dict, None when absent or unreadable."""
    if not config:
        return None
    try:
        return ModelConfig.from_dict(config)
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class FitConfig:
    """The architecture facts the memory estimate uses, and where they come from.

    Attributes:
        config: a :class:`lib.modelconfig.ModelConfig`, or None when nothing is known.
        origin: ``config.json`` (the repo's own, live or from the local cache), ``snapshot`` (the
            catalog snapshot's architecture facts, offline only) or ``none``.
        note: one sentence for the page when the facts are not the repo's config.json, else None.
    """

    config: Any
    origin: str
    note: str | None = None


def snapshot_config(record: ModelRecord | None) -> tuple[dict[str, Any] | None, Mapping[str, Any]]:
    """The catalog snapshot's config.json-shaped architecture facts of a record (``extra["config"]``,
    written by lib.catalog.snapshot) and their source (``{"name", "date", "label"}``)."""
    extra = (record.extra or {}) if record is not None else {}
    cfg = extra.get("config")
    src = extra.get("config_source")
    return (dict(cfg) if isinstance(cfg, Mapping) and cfg else None), (src if isinstance(src, Mapping) else {})


def fit_config(found: Any) -> FitConfig:
    """For a :class:`lib.model_lookup.ModelLookup`: config.json when there is one (it always wins);
    offline without it, the catalog snapshot's architecture facts (llmfit: layers, heads, key/value
    heads, head dim, hidden size, vocabulary, maximum positions), said so in ``note``; else nothing."""
    cfg = model_config(found.config)
    if cfg is not None:
        return FitConfig(cfg, "config.json")
    details = found.details
    if details is None or details.source != "offline":
        return FitConfig(None, "none")
    facts_, src = snapshot_config(details.record)
    cfg = model_config(facts_)
    if cfg is None:
        return FitConfig(None, "none")
    where = ", ".join(str(src[k]) for k in ("name", "date") if src.get(k)) or _("catalog snapshot")
    unknown = [w for w, missing in ((_("the intermediate (MLP) size, so activations are approximate"),
                                     cfg.intermediate_size is None),
                                    (_("layers, key/value heads or head dim, so no KV cache"),
                                     cfg.kv_bytes_per_token(2) is None),
                                    (_("the maximum context"), cfg.max_positions is None)) if missing]
    note = _("KV cache and activations use the architecture from the catalog snapshot ({where}): config.json is "
             "not available offline. Not in it: {missing}.").format(
        where=where, missing="; ".join(unknown + [_("sliding window, tied embeddings and checkpoint dtype")]))
    return FitConfig(cfg, "snapshot", note)


# ---- specs ------------------------------------------------------------------------------------------

def model_spec(details: Any, config: ModelConfig | None = None, params: Any = None) -> ModelSpec:
    """The :class:`ModelSpec` of a Hub model from its :class:`lib.hub.details.ModelDetails`: the
    catalog record with the details' task, gate, tags and file sizes, ``config`` (see
    :func:`fit_config`), and ``params`` (a :class:`lib.parameters.ParamInfo`) when the Hub gave no
    count. The same rule for the Model page and the test-drive."""
    rec = details.record or ModelRecord(id=details.id)
    record = replace(rec, pipeline_tag=details.pipeline_tag or rec.pipeline_tag,
                     gated=details.gated if details.gated else rec.gated,
                     tags=tuple(dict.fromkeys(rec.tags + tuple(details.tags))))
    if details.params_total and not record.params_total:
        record = replace(record, params_total=details.params_total, params_by_dtype=dict(details.params_by_dtype),
                         params_exact=True)
    sizes = {f.path: f.size for f in details.files if f.size is not None}
    spec = ModelSpec.from_record(record, config, file_sizes=sizes or None)
    if params is not None and params.total and not spec.params_total:
        spec = replace(spec, params_total=params.total, params_exact=params.exact)
    if details.pickle_only and not spec.pickle_weights:
        spec = replace(spec, pickle_weights=True)
    if details.custom_code and not spec.requires_custom_code:
        spec = replace(spec, requires_custom_code=True)
    moe = getattr(params, "moe", None)
    if moe is None and config is not None:  # no meta-device count at hand: the config's arithmetic
        moe = moe_counts(config.raw, total=spec.params_total if spec.params_exact else None, total_source=N_("exact"))
    return replace(spec, moe=moe) if moe is not None else spec


def folder_spec(folder: str | Path, params_total: int | None, pipeline_tag: str | None = None) -> ModelSpec | None:
    """The :class:`ModelSpec` of a local model folder with ``params_total`` parameters (exact, from its
    safetensors headers) and its ``config.json`` when readable; None when the count is unknown."""
    if not params_total:
        return None
    cfg = None
    path = Path(folder) / "config.json"
    if path.exists():
        try:
            cfg = ModelConfig.from_file(path)
        except (ValueError, TypeError):  # a partial config is still usable without it
            cfg = None
    moe = moe_counts(cfg.raw, total=params_total, total_source=N_("exact, from safetensors headers")) if cfg else None
    return ModelSpec(model_id=str(folder), params_total=params_total, params_exact=True, config=cfg,
                     pipeline_tag=pipeline_tag, moe=moe)


# ---- context length -------------------------------------------------------------------------------

#: context length (prompt + generated tokens) of an estimate when none is chosen.
DEFAULT_CONTEXT_TOKENS = 2048


def context_tokens_for(config, context_tokens: int | None) -> int:
    """The context an estimate is made at: ``context_tokens`` when given, else the default capped by the
    model's maximum positions (``config.max_positions``; ``config`` may be None). Raises ValueError below 1."""
    max_pos = config.max_positions if config is not None else None
    tokens = int(context_tokens) if context_tokens else min(DEFAULT_CONTEXT_TOKENS, max_pos or DEFAULT_CONTEXT_TOKENS)
    if tokens < 1:
        raise ValueError(_("context length must be at least 1 token"))
    return tokens


def context_choices(max_positions: int | None) -> list[int]:
    """Context lengths for the slider: powers of two from 128 to the model's maximum (inclusive)."""
    top = max_positions if max_positions and max_positions >= 128 else 32_768
    top = min(top, 1 << 20)
    out = [1 << k for k in range(7, 21) if (1 << k) <= top]
    if out[-1] != top:
        out.append(top)
    return out


def default_context(choices: Sequence[int]) -> int:
    return min(choices, key=lambda c: abs(c - DEFAULT_CONTEXT_TOKENS))


__all__ = ["ModelSpec", "GENERATIVE_TAGS", "model_config", "FitConfig", "snapshot_config", "fit_config", "model_spec",
           "folder_spec", "DEFAULT_CONTEXT_TOKENS", "context_choices", "default_context"]
