"""Memory estimate of running a model: weights + runtime overhead + KV cache + activations.

Pure arithmetic: no torch, no transformers, no I/O. Two device families:

``cuda`` (GPU memory as NVML / ``nvidia-smi`` shows it). Constants come from
``lib/data/calibration/gpu_h200_torch2.11_transformers5.17.json`` (random-weight BERT-base, GPT-2
small/medium, Llama-style 1B/3B/8B measured on an H200; replayed row by row in
tests/test_fit_calibration.py):

- framework baseline = CUDA context ``CUDA_CONTEXT_BYTES`` (NVML minus the allocator's reserved
  bytes: 684–690 MiB in all 45 context rows) + the cuBLAS workspace (32 MiB on compute capability
  ≥ 9, 4 MiB before: cuBLAS' recommended sizes, which PyTorch allocates on the first matmul; the
  BERT row, the first forward of the calibration process, shows it: 35.1 MiB over weights for 128
  tokens whose activations are ~3 MiB);
- KV cache = 2 × layers × kv_heads × head_dim × tokens × bytes (exact in every row), tokens =
  min(context, sliding window);
- activations = the largest of three phases of one prefill forward:
  MLP phase ``k_act × T × intermediate × b + T × hidden × b`` with ``k_act`` = 4 for gated MLPs
  (gate, up, act(gate), product; Llama rows: 1B/3B/8B at 16k tokens within 6 %), 5.5 for GPT-2's
  composite ``gelu_new`` (fitted on the GPT-2 rows: 5.25–5.7), 2 for a fused activation in a plain
  MLP (first principles: fc output + activation output);
  logits phase ``logits_kept × vocab × b + T × hidden × b`` (generation keeps one position;
  all-logits rows match to < 1 %);
  attention phase, only where attention is materialised: ``2.28 × heads × T² × b + 7 × T × hidden × b``
  (fitted on the Llama-1B-like fp32 rows at 1k/4k/16k tokens). It is materialised when the model
  uses grouped-query attention and flash attention is unavailable — fp32, or a GPU before compute
  capability 8.0 — because PyTorch's memory-efficient kernel does not take grouped K/V and SDPA falls
  back to its math path (the GPT-2 fp32 rows, plain multi-head attention, stay linear);
- proportional overhead = allocator cache ``CUDA_CACHE_FRACTION`` (0.25) × (KV + MLP and logits
  phases) + 0.10 × the materialised attention phase: blocks freed by one phase that the next, larger
  phase cannot reuse (reserved minus peak allocated is 22–34 % of that sum in the bf16 rows at 16k
  tokens, 7–10 % of the attention phase in the fp32 rows);
- load peak extra = the input-embedding matrix (vocab × hidden × b) when it is tied to the output
  head: it exists twice until tied (1B/3B/GPT-2 rows match it to 0.1 %; the untied 8B and the
  head-less BERT show none). Loading is a separate phase: total = baseline + weights +
  max(load extra, KV + activations + cache).

``cpu`` (resident set of the Python process). Constants measured on this machine (torch 2.13 CPU,
transformers 5.24) in fresh processes with :mod:`lib.fit.probe`, on a calibration set of tiny
random models — BERT 4×256 (11.2M), Llama 8×512 GQA 8/2 (55.3M, fp32 and bf16) and GPT-2 4×256
(16.3M) — which are not the models bench/bench_memory.py reports:

- framework baseline = importing torch + transformers (``CPU_IMPORT_BYTES`` = 239 MiB; pass a value
  measured at runtime with :func:`lib.fit.probe.probe_import_baseline` to replace it) + what
  ``from_pretrained`` itself adds before any weight is touched (modeling modules, safetensors,
  thread pools: ``CPU_LOAD_MACHINERY_BYTES`` = 146 MiB; 143–148 MiB for every calibration model,
  independent of its size) + the first forward's fixed scratch (``CPU_FORWARD_FIXED_BYTES`` =
  7 MiB);
- weights at the load dtype (safetensors are memory-mapped; pages count once they are read);
- load peak extra = loading at a dtype other than the checkpoint's holds both copies for a moment:
  the checkpoint-sized mapped file plus the converted tensors (Llama bf16→fp32 and BERT fp32→bf16
  calibration loads: peak = loaded + checkpoint size within 3 %);
- proportional overhead = ``CPU_PROPORTIONAL`` × weights (malloc arenas, alignment; ≤ 2 % on the
  calibration loads);
- KV cache and activations as on CUDA with linear attention (CPU SDPA has a flash kernel for fp32
  and bf16; the Llama calibration model at 2,048 tokens grew 91 MiB, not the ~290 MiB a
  materialised attention would take).

The estimate is conservative for encoders loaded at their checkpoint dtype: the input-embedding
rows a short input does not use stay unread in the memory map (MiniLM: ~45 MiB of its 87 MiB).

Quantized checkpoints (GGUF, AWQ, GPTQ, bitsandbytes) have their file sizes taken as the weights;
they are estimated at their stored format only (dtype ``"stored"``).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lib import format as fmt
from lib.fit.dtypes import BYTES_PER_PARAM, DTYPES, FLOAT_DTYPES, dtype_label, from_hub, hub_bytes, normalize_dtype
from lib.fit.kv import PRECISIONS, element_bytes, normalize_kv
from lib.fit.spec import ModelSpec, context_tokens_for
from lib.i18n import N_, _
from lib.modelconfig import ModelConfig

MiB = 1024**2  # calibration constants are measured in MiB (sizes shown to people are decimal: lib.format)
# bitsandbytes NF4 stores one fp32 absmax per 64 weights (0.0625 B), double-quantised to ~0.016 B.
_QUANT_META_PER_PARAM: dict[str, float] = {"int8": 4 / 4096, "int4": 0.0163}

# ---- CUDA constants (calibration file, see module docstring) --------------------------------------
CUDA_CONTEXT_BYTES = 686 * MiB
CUBLAS_WORKSPACE_BYTES = 32 * MiB  # compute capability >= 9.0 (4 MiB before)
CUBLAS_WORKSPACE_BYTES_PRE_HOPPER = 4 * MiB
CUDA_CACHE_FRACTION = 0.25
CUDA_CACHE_FRACTION_ATTENTION = 0.10
ATTN_MATERIALISED_SCORE_COPIES = 2.28
ATTN_MATERIALISED_HIDDEN_COPIES = 7.0

# ---- CPU constants (tiny calibration models, see module docstring) --------------------------------
CPU_IMPORT_BYTES = 239 * MiB
CPU_LOAD_MACHINERY_BYTES = 146 * MiB
CPU_FORWARD_FIXED_BYTES = 7 * MiB
CPU_PROPORTIONAL = 0.015

# ---- activations ------------------------------------------------------------------------------------
MLP_COPIES_GATED = 4.0
MLP_COPIES_COMPOSITE_GELU = 5.5
MLP_COPIES_FUSED = 2.0
_COMPOSITE_ACTS = frozenset({"gelu_new", "gelu_fast", "quick_gelu", "gelu_10", "gelu_accurate"})


#: The parts of an estimate in display order: key -> label (marked; translated where made, in :meth:`parts`).
PART_LABELS: dict[str, str] = {
    "weights": N_("Weights"), "framework_baseline": N_("Framework baseline"),
    "proportional_overhead": N_("Allocator overhead"), "load_peak_extra": N_("Load peak (transient)"),
    "kv_cache": N_("KV cache"), "activations": N_("Activations"),
}


@dataclass(frozen=True)
class MemoryPart:
    """One labelled term of an estimate (a row of the breakdown table / a bar segment)."""

    key: str
    label: str
    bytes: int
    note: str = ""
    in_total: bool = True


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak memory of loading a model and running one input, split into parts (bytes).

    ``total`` = framework_baseline + weights + proportional_overhead
    + max(load_peak_extra, kv_cache + activations): loading and running are separate phases, so
    only the larger transient counts. ``device`` is ``cpu`` (process resident set) or ``cuda``
    (GPU memory as NVML reports it). ``approximate`` names the parts (``activations`` …) computed
    from a stand-in value because the config lacks a number (see ``notes`` for which).
    """

    model_id: str
    dtype: str
    device: str
    weights: int
    framework_baseline: int
    proportional_overhead: int
    load_peak_extra: int
    kv_cache: int
    activations: int
    total: int
    context_tokens: int
    batch: int = 1
    params: int | None = None
    weights_from_files: bool = False
    kv_dtype: str = "auto"
    kv_element_bytes: float | None = None
    notes: tuple[str, ...] = ()
    approximate: tuple[str, ...] = ()

    @property
    def dtype_label(self) -> str:
        return dtype_label(self.dtype)

    @property
    def steady(self) -> int:
        """Memory held while generating (no load transient)."""
        return self.framework_baseline + self.weights + self.proportional_overhead + self.kv_cache + self.activations

    @property
    def weights_only(self) -> int:
        """What ``accelerate estimate-memory`` would report: the weights alone."""
        return self.weights

    def parts(self) -> tuple[MemoryPart, ...]:
        """The breakdown in display order, each with a short label (for a table or stacked bar)."""
        run = self.kv_cache + self.activations
        kv_note = _("{tokens} tokens × batch {batch}").format(tokens=fmt.number(self.context_tokens),
                                                               batch=fmt.number(self.batch))
        if self.kv_dtype != "auto" and self.kv_element_bytes:
            kv_note = _("{tokens} tokens × batch {batch}, {bytes} B per element ({kv_dtype})").format(
                tokens=fmt.number(self.context_tokens), batch=fmt.number(self.batch),
                bytes=fmt.number(self.kv_element_bytes), kv_dtype=self.kv_dtype)
        act_note = _("one forward pass, GPU") if self.device == "cuda" else _("one forward pass, process")
        if "activations" in self.approximate:
            act_note = _("{note} — approximate: intermediate size unknown, 4 × hidden assumed").format(note=act_note)
        return (
            MemoryPart("weights", _(PART_LABELS["weights"]), self.weights,
                       _("weight files as stored") if self.weights_from_files
                       else _("parameters at {dtype}").format(dtype=self.dtype_label)),
            MemoryPart("framework_baseline", _(PART_LABELS["framework_baseline"]), self.framework_baseline,
                       _("CUDA context + cuBLAS workspace") if self.device == "cuda"
                       else _("torch + transformers imported, loader")),
            MemoryPart("proportional_overhead", _(PART_LABELS["proportional_overhead"]), self.proportional_overhead,
                       _("caching allocator blocks") if self.device == "cuda" else _("malloc overhead")),
            MemoryPart("load_peak_extra", _(PART_LABELS["load_peak_extra"]), self.load_peak_extra,
                       _("second copy while loading; counted only if larger than KV + activations"),
                       in_total=self.load_peak_extra > run),
            MemoryPart("kv_cache", _(PART_LABELS["kv_cache"]), self.kv_cache, kv_note,
                       in_total=run >= self.load_peak_extra),
            MemoryPart("activations", _(PART_LABELS["activations"]), self.activations, act_note,
                       in_total=run >= self.load_peak_extra),
        )

    def as_dict(self) -> dict[str, Any]:
        return {p.key: p.bytes for p in self.parts()} | {"total": self.total, "dtype": self.dtype,
                                                           "device": self.device}


# ---- term helpers ---------------------------------------------------------------------------------
def kv_bytes(config: ModelConfig | None, tokens: int, compute_bytes: float, batch: int = 1,
             kv_dtype: str = "auto") -> int:
    """The KV cache at a precision (:mod:`lib.fit.kv`): every token at its bytes per element; a group-wise
    quantized cache keeps the newest ``RESIDUAL_TOKENS`` at ``compute_bytes``, and a quantized cache
    dequantizes one layer's keys and values while that layer attends."""
    p = PRECISIONS[normalize_kv(kv_dtype)]
    b = element_bytes(p.key, compute_bytes)
    if b == compute_bytes:
        return kv_cache_bytes(config, tokens, compute_bytes, batch)
    residual = min(tokens, p.residual_tokens)
    stored = kv_cache_bytes(config, tokens - residual, b, batch) + kv_cache_bytes(config, residual, compute_bytes,
                                                                                  batch)
    layers = (config.num_layers if config is not None else None) or 1
    return stored + kv_cache_bytes(config, tokens, compute_bytes, batch) // layers


def kv_cache_bytes(config: ModelConfig | None, tokens: int, bytes_per_value: float, batch: int = 1) -> int:
    """KV cache: 2 × layers × kv_heads × head_dim × min(tokens, sliding window) × bytes × batch."""
    if config is None or tokens <= 0:
        return 0
    per_token = config.kv_bytes_per_token(bytes_per_value)
    if per_token is None:
        return 0
    if config.sliding_window:
        tokens = min(tokens, config.sliding_window)
    return int(per_token * tokens * batch)


def attention_materialised(config: ModelConfig | None, dtype: str, device: str,
                           compute_capability: tuple[int, int] | None = None) -> bool:
    """Whether SDPA falls back to its math path (T × T scores in memory) for this model on CUDA.

    Flash attention needs fp16/bf16 on compute capability ≥ 8.0; the memory-efficient kernel takes
    any dtype but not grouped K/V heads. So: GQA models without flash materialise attention.
    """
    if device != "cuda" or config is None or not config.uses_gqa:
        return False
    flash = dtype in ("bf16", "fp16", "int8", "int4") and (compute_capability is None or compute_capability >= (8, 0))
    return not flash


@dataclass(frozen=True)
class ActivationTerms:
    """Activation bytes of one forward pass: the peak phase, and sums for the allocator-cache term."""

    peak: int = 0
    linear_sum: int = 0  # MLP + logits phases
    attention: int = 0  # materialised attention phase (0 when a fused kernel is used)


def activation_bytes(config: ModelConfig | None, tokens: int, bytes_per_value: float, *, batch: int = 1,
                     logits_to_keep: int | None = 1, materialised: bool = False) -> ActivationTerms:
    """Activations of one forward pass (prefill of ``tokens``); see the module docstring."""
    if config is None or tokens <= 0 or not config.hidden_size:
        return ActivationTerms()
    b = bytes_per_value
    t = tokens * batch
    hidden = config.hidden_size
    # No intermediate size (e.g. architecture facts from the catalog snapshot): the classic 4 × hidden
    # stand-in; estimate_memory marks the activations approximate then.
    inter = config.intermediate_size or 4 * hidden
    act = (config.hidden_act or "").lower()
    if config.gated_mlp:
        copies = MLP_COPIES_GATED
    elif act in _COMPOSITE_ACTS:
        copies = MLP_COPIES_COMPOSITE_GELU
    else:
        copies = MLP_COPIES_FUSED
    phases = [copies * t * inter * b + t * hidden * b]
    if config.vocab_size and config.is_decoder and not config.is_encoder_only:
        kept = t if not logits_to_keep else min(logits_to_keep, tokens) * batch
        phases.append(kept * config.vocab_size * b + t * hidden * b)
    attn = 0.0
    if materialised and config.num_heads:
        attn = (ATTN_MATERIALISED_SCORE_COPIES * batch * config.num_heads * tokens**2 * b
                + ATTN_MATERIALISED_HIDDEN_COPIES * t * hidden * b)
    return ActivationTerms(peak=int(max(max(phases), attn)), linear_sum=int(sum(phases)), attention=int(attn))


def _quant_weights(spec: ModelSpec, dtype: str) -> int:
    """int8/int4 on-the-fly quantisation: linear layers quantised, embeddings kept at 16 bit."""
    n = spec.params_total or 0
    cfg = spec.config
    emb = 0
    if cfg is not None and cfg.vocab_size and cfg.hidden_size:
        emb = cfg.vocab_size * cfg.hidden_size * (1 if cfg.tie_word_embeddings else 2)
        emb = min(emb, n)
    body = n - emb
    return int(body * (BYTES_PER_PARAM[dtype] + _QUANT_META_PER_PARAM[dtype]) + emb * 2)


def weights_bytes(spec: ModelSpec, dtype: str) -> int | None:
    """Bytes of the weights at ``dtype`` (``stored``: as the checkpoint holds them)."""
    if spec.quantized_bytes:
        return int(spec.quantized_bytes)
    if dtype == "stored":
        if spec.params_by_dtype:
            return int(sum(n * hub_bytes(d) for d, n in spec.params_by_dtype.items()))
        ck = spec.checkpoint_dtype or "fp32"
        return int(spec.params_total * BYTES_PER_PARAM[ck]) if spec.params_total else None
    if not spec.params_total:
        return None
    if dtype in ("int8", "int4"):
        return _quant_weights(spec, dtype)
    if spec.params_by_dtype:
        # Integer / already-8-bit tensors (position ids, quant scales) keep their size.
        total = 0.0
        for d, n in spec.params_by_dtype.items():
            total += n * (BYTES_PER_PARAM[dtype] if from_hub(d) in FLOAT_DTYPES else hub_bytes(d))
        rest = spec.params_total - sum(spec.params_by_dtype.values())
        return int(total + max(rest, 0) * BYTES_PER_PARAM[dtype])
    return int(spec.params_total * BYTES_PER_PARAM[dtype])


def estimate_memory(spec: ModelSpec, dtype: str = "bf16", device: str = "cpu", *,
                    context_tokens: int | None = None, batch: int = 1, logits_to_keep: int | None = 1,
                    kv_dtype: str = "auto", compute_capability: tuple[int, int] | None = None,
                    cpu_import_bytes: int | None = None, first_forward: bool = True) -> MemoryEstimate:
    """Estimate the peak memory of loading ``spec`` at ``dtype`` on ``device`` and running one input.

    Args:
        dtype: ``fp32`` / ``bf16`` / ``fp16`` / ``int8`` / ``int4`` / ``stored`` (aliases accepted).
        device: ``cpu`` or ``cuda``.
        context_tokens: prompt + generated tokens (default: 2,048, capped at the model's maximum);
            the KV cache holds min(context, sliding window) tokens.
        batch: sequences at once.
        kv_dtype: the KV cache's precision (:data:`lib.fit.kv.KV_DTYPES`; ``auto``: the model's dtype).
        logits_to_keep: positions whose logits are computed (1 = generation; None/0 = all).
        compute_capability: of the GPU (flash attention needs ≥ 8.0); None assumes a recent GPU.
        cpu_import_bytes: measured RSS after ``import torch, transformers`` to use instead of
            ``CPU_IMPORT_BYTES``.
        first_forward: include the cuBLAS workspace the first matmul allocates (CUDA).

    Raises ValueError (with a reason) for an unknown dtype/device or a model of unknown size.
    """
    dtype = normalize_dtype(dtype)
    if device not in ("cpu", "cuda"):
        raise ValueError(_("unknown device {device}: use 'cpu' or 'cuda'").format(device=repr(device)))
    if batch < 1:
        raise ValueError(_("batch must be at least 1"))
    if spec.is_quantized and spec.quantized_bytes:
        dtype = "stored"
    weights = weights_bytes(spec, dtype)
    if weights is None:
        raise ValueError(_("the size of {model} is unknown: no parameter count and no weight files").format(
            model=spec.model_id or _("this model")))
    cfg = spec.config
    notes: list[str] = []
    max_pos = cfg.max_positions if cfg is not None else None
    tokens = context_tokens_for(cfg, context_tokens)
    if max_pos and tokens > max_pos:
        notes.append(_("context {tokens} exceeds the model's maximum of {max} positions").format(
            tokens=fmt.number(tokens), max=fmt.number(max_pos)))

    if dtype == "stored":
        act_b = BYTES_PER_PARAM.get(spec.checkpoint_dtype or "bf16", 2.0) if not spec.is_quantized else 2.0
    else:
        act_b = 2.0 if dtype in ("int8", "int4") else BYTES_PER_PARAM[dtype]
    generative = spec.is_generative
    kv = kv_bytes(cfg, tokens, act_b, batch, kv_dtype) if generative else 0
    if generative and cfg is not None and cfg.sliding_window and tokens > cfg.sliding_window:
        notes.append(_("sliding window: KV cache holds the last {n} tokens").format(n=fmt.number(cfg.sliding_window)))
    approximate: list[str] = []
    if cfg is None:
        notes.append(_("no config: KV cache and activations not estimated"))
    else:
        if generative and not kv:
            notes.append(_("KV cache not estimated: the config lacks layers, key/value heads or head dim"))
        if not cfg.hidden_size:
            notes.append(_("activations not estimated: the config lacks the hidden size"))
        elif cfg.intermediate_size is None:
            approximate.append("activations")
            notes.append(_("activations approximate: the config has no intermediate (MLP) size, "
                           "4 × hidden size assumed"))
    mat = attention_materialised(cfg, dtype, device, compute_capability)
    if mat:
        notes.append(_("attention scores are materialised (no flash kernel for this dtype/GPU): grows with tokens²"))
    acts = activation_bytes(cfg, tokens, act_b, batch=batch,
                            logits_to_keep=logits_to_keep if generative else None, materialised=mat)
    act_peak = acts.peak
    ck = spec.checkpoint_dtype
    if device == "cuda":
        ws = CUBLAS_WORKSPACE_BYTES if compute_capability is None or compute_capability >= (9, 0) \
            else CUBLAS_WORKSPACE_BYTES_PRE_HOPPER
        baseline = CUDA_CONTEXT_BYTES + (ws if first_forward else 0)
        overhead = int(CUDA_CACHE_FRACTION * (kv + acts.linear_sum) + CUDA_CACHE_FRACTION_ATTENTION * acts.attention)
        load_extra = 0
        if cfg is not None and cfg.tie_word_embeddings and cfg.vocab_size and cfg.hidden_size and generative \
                and not spec.is_quantized:
            load_extra = int(cfg.vocab_size * cfg.hidden_size * act_b)
        total = baseline + weights + overhead + max(load_extra, kv + act_peak)
        if dtype in ("int8", "int4"):
            notes.append(_("on-the-fly int8/int4 needs bitsandbytes; embeddings stay 16-bit"))
    else:
        baseline = (cpu_import_bytes or CPU_IMPORT_BYTES) + CPU_LOAD_MACHINERY_BYTES + CPU_FORWARD_FIXED_BYTES
        overhead = int(CPU_PROPORTIONAL * weights)
        load_extra = 0
        if ck and dtype in ("fp32", "bf16", "fp16") and dtype != ck \
                and not (ck in ("bf16", "fp16") and dtype in ("bf16", "fp16")) and spec.params_total:
            load_extra = int(spec.params_total * BYTES_PER_PARAM[ck])
            notes.append(_("loading {checkpoint} weights as {dtype} briefly holds both copies").format(
                checkpoint=ck, dtype=dtype))
        if dtype in ("int8", "int4"):
            notes.append(_("int8/int4 quantisation on CPU needs bitsandbytes' CPU backend"))
        total = baseline + weights + overhead + max(load_extra, kv + act_peak)
    if spec.is_quantized:
        notes.append(_("pre-quantized ({method}): file sizes taken as the weights").format(
            method=spec.quant_method or _("unknown method")))
    return MemoryEstimate(
        model_id=spec.model_id, dtype=dtype, device=device, weights=int(weights),
        framework_baseline=int(baseline), proportional_overhead=int(overhead), load_peak_extra=int(load_extra),
        kv_cache=int(kv), activations=int(act_peak), total=int(total), context_tokens=tokens, batch=batch,
        params=spec.params_total, weights_from_files=bool(spec.quantized_bytes), notes=tuple(notes),
        approximate=tuple(approximate), kv_dtype=normalize_kv(kv_dtype),
        kv_element_bytes=element_bytes(kv_dtype, act_b),
    )


def estimate_all(spec: ModelSpec, device: str = "cpu", dtypes: Iterable[str] = DTYPES,
                 **kwargs: Any) -> dict[str, MemoryEstimate]:
    """Estimates keyed by dtype; a pre-quantized model gets one entry, ``stored``."""
    if spec.is_quantized and spec.quantized_bytes:
        return {"stored": estimate_memory(spec, "stored", device, **kwargs)}
    return {normalize_dtype(d): estimate_memory(spec, d, device, **kwargs) for d in dtypes}


__all__ = [
    "MemoryPart", "MemoryEstimate", "PART_LABELS", "estimate_memory", "estimate_all", "kv_cache_bytes", "kv_bytes",
    "activation_bytes",
    "ActivationTerms", "attention_materialised", "weights_bytes",
]
