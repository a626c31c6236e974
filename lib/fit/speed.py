"""How fast a model runs on a host: a roofline estimate (pure arithmetic: no torch, no I/O).

A forward pass over ``n`` tokens takes the longer of reading what it must read and computing what it
must compute, plus the framework's fixed cost (Python, op dispatch, kernel launches):

    time(n) = max(bytes_read / (eff_bw × bandwidth), n × flops_per_token / (eff_c × flop_rate(dtype)))
              + layers × per-layer cost + per-step cost (the framework's)

- **decode** (one new token at ``context``): bytes_read = the active weights at the dtype (the input
  embedding matrix is not read, only one row of it — unless it is tied to the output head, which
  reads all of it) + the KV cache at the context (:func:`lib.fit.estimate.kv_cache_bytes`, the one
  KV formula); flops = 2 × active matmul parameters + the attention term
  4 × layers × context × heads × head_dim (QKᵀ and AV). Tokens/s = 1 / time(1).
- **prefill** (a prompt of ``prompt`` tokens, default the context): the same terms for ``prompt``
  tokens at once (the weights read once; attention over half the prompt on average, causal).
  Tokens/s = prompt / time(prompt).
- **encoders** (no generation): latency per input of :data:`ENCODER_TOKENS` tokens (bidirectional
  attention over all of them).

Mixture-of-experts: pass ``active_params`` (parameters one token uses); memory uses the total, speed
the active share (default: all parameters are active).

The efficiency factors depend on where the host figures come from: a host measured by the probe
(:mod:`lib.fit.host_probe`: an achieved copy bandwidth and matmul rate) or a vendor datasheet (peak
figures). See the constants below for what each was fitted on.
"""
from __future__ import annotations

from dataclasses import dataclass

from lib import format as fmt
from lib.fit.dtypes import BYTES_PER_PARAM, normalize_dtype
from lib.fit.estimate import kv_cache_bytes, weights_bytes
from lib.fit.hosts import HostSpeed
from lib.fit.spec import ModelSpec, context_tokens_for
from lib.hardware import host_label
from lib.i18n import _

#: model types whose layers multiply with torch.addmm (transformers' Conv1D), not torch.nn.functional.linear
ADDMM_MODEL_TYPES = frozenset({"gpt2", "openai-gpt", "imagegpt", "decision_transformer"})
#: typical input of an encoder (classification, embeddings): its latency is estimated at this length.
ENCODER_TOKENS = 128

# ---- efficiency factors ----------------------------------------------------------------------------
# Probe-measured hosts (the CPU here: 2 vCPU AMD EPYC without AVX512/AMX, torch 2.13 CPU, transformers
# 5.24, 1 thread): fitted with bench/bench_speed.py on random-weight GPT-2 124M, Qwen2.5-0.5B- and
# Llama-3.2-1B-shaped models, fp32 and bf16, 128-token prefill and 8-token decode, against the probe's
# rates measured just before each row, on a machine shared with other work (load average 3–10 on 2
# cores). Decode took (bytes / bandwidth or FLOPs / GEMV rate) ÷ 0.62–1.3 (Qwen and Llama 0.62–0.72);
# prefill ran at 0.96–1.6 × the probe's GEMM rate (a model's GEMMs are larger than the probe's).
EFF_BW_MEASURED = 0.75  # decode: bytes read per token / (time × probe copy bandwidth); also its GEMV roof
EFF_COMPUTE_MEASURED = 1.0  # prefill: FLOPs / (time × probe GEMM rate at that dtype)
# Vendor-datasheet hosts (GPUs): not yet calibrated (no GPU at hand). Typical achieved shares of the
# peaks for eager PyTorch: ~75 % of HBM bandwidth for batch-1 GEMV, ~50 % of dense tensor-core FLOP/s
# for prefill-sized GEMMs; replace with fitted values once bench/bench_speed.py ran on a GPU.
EFF_BW_VENDOR = 0.75
EFF_COMPUTE_VENDOR = 0.50
# Framework cost of a forward pass (Python, op dispatch, kernel launches): measured hosts have it from
# the probe (``HostSpeed.layer_s`` per layer + ``step_s`` per step: tiny models' decode steps, so it
# follows the machine's load); vendor rows use these, not yet calibrated (~30 kernel launches per layer).
OVERHEAD_PER_LAYER_S = {"cpu": 0.3e-3, "cuda": 0.25e-3}
OVERHEAD_PER_STEP_S = {"cpu": 2e-3, "cuda": 2e-3}


@dataclass(frozen=True)
class SpeedEstimate:
    """Estimated speed of one model at one dtype on one host.

    ``decode_tokens_per_s`` / ``prefill_tokens_per_s`` for generative models (None for encoders);
    ``latency_s`` for encoders (one input of ``input_tokens`` tokens); ``bound``: which roof limits
    decode (or the encoder's pass): ``memory`` or ``compute``.
    """

    model_id: str
    host: str
    dtype: str
    device: str
    generative: bool
    context_tokens: int
    prompt_tokens: int
    decode_tokens_per_s: float | None = None
    prefill_tokens_per_s: float | None = None
    latency_s: float | None = None
    input_tokens: int | None = None
    bytes_per_token: int = 0
    flops_per_token: float = 0.0
    bound: str = "memory"
    calibrated: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Work:
    """What one model does per token: bytes read once per forward, FLOPs per token (before attention)."""

    weight_bytes_read: int
    matmul_params: int
    layers: int
    attn_width: int  # heads × head_dim
    addmm: bool = False  # its layers multiply with torch.addmm (ADDMM_MODEL_TYPES); its output head with linear
    head_params: int = 0  # the output head's parameters (vocabulary × hidden) when it is among the matmuls


def efficiency(host: HostSpeed) -> tuple[float, float]:
    """(bandwidth, compute) efficiency for ``host``'s kind of figures."""
    return (EFF_BW_MEASURED, EFF_COMPUTE_MEASURED) if host.measured else (EFF_BW_VENDOR, EFF_COMPUTE_VENDOR)


def model_work(spec: ModelSpec, dtype: str, active_params: int | None = None) -> Work:
    """The weights a forward pass reads and the parameters it multiplies, at ``dtype``.

    The input embedding is a lookup: an untied one is neither read whole nor multiplied. Raises
    ValueError when the model's size is unknown.
    """
    total = spec.params_total or 0
    weights = weights_bytes(spec, dtype)
    if not weights or not total:
        raise ValueError(_("the size of {model} is unknown: no parameter count").format(
            model=spec.model_id or _("this model")))
    active = min(int(active_params), total) if active_params else total
    cfg = spec.config
    emb = 0
    tied_head = False
    if cfg is not None and cfg.vocab_size and cfg.hidden_size:
        emb = min(cfg.vocab_size * cfg.hidden_size, total)
        tied_head = cfg.tie_word_embeddings and spec.is_generative and not cfg.is_encoder_only
    lookup = 0 if tied_head else emb  # parameters only looked up, never multiplied
    per_param = weights / total
    matmul = max(active - lookup, 1)
    layers = (cfg.num_layers if cfg is not None and cfg.num_layers else 0) or 0
    width = 0
    if cfg is not None and cfg.num_heads and cfg.head_dim:
        width = cfg.num_heads * cfg.head_dim
    elif cfg is not None and cfg.hidden_size:
        width = cfg.hidden_size
    addmm = cfg is not None and cfg.model_type in ADDMM_MODEL_TYPES
    head = emb if spec.is_generative and emb else 0
    return Work(int(matmul * per_param), matmul, layers, width, addmm, min(head, matmul))


def _pass_time(work: Work, host: HostSpeed, dtype: str, tokens: int, attn_span: float, extra_bytes: int,
               batch: int = 1) -> tuple[float, str]:
    """Seconds for one forward pass over ``tokens`` tokens (× ``batch`` sequences), and its bound."""
    eff_bw, eff_c = efficiency(host)
    decode = tokens == 1
    if decode and host.measured:  # the probe's GEMV rate is a decode-step kernel: its efficiency too
        eff_c = eff_bw
    n = tokens * batch
    attention = 4.0 * work.layers * attn_span * work.attn_width * n
    linear = host.flops_at(dtype, decode=decode) or 1.0
    if work.addmm:  # Conv1D layers through addmm, the output head through linear
        layers = 2.0 * (work.matmul_params - work.head_params) * n
        t_flops = (layers + attention) / (host.flops_at(dtype, decode=decode, addmm=True) or 1.0) \
            + 2.0 * work.head_params * n / linear
    else:
        t_flops = (2.0 * work.matmul_params * n + attention) / linear
    t_mem = (work.weight_bytes_read + extra_bytes) / (eff_bw * host.bandwidth)
    t_compute = t_flops / eff_c
    return max(t_mem, t_compute) + overhead_s(work, host), ("memory" if t_mem >= t_compute else "compute")


def overhead_s(work: Work, host: HostSpeed) -> float:
    """The framework's fixed cost of one forward pass on ``host`` (measured by the probe, else the constants above)."""
    if host.layer_s is not None:
        return work.layers * host.layer_s + (host.step_s or 0.0)
    dev = host.device if host.device in OVERHEAD_PER_LAYER_S else "cpu"
    return work.layers * OVERHEAD_PER_LAYER_S[dev] + OVERHEAD_PER_STEP_S[dev]


def estimate_speed(spec: ModelSpec, host: HostSpeed, dtype: str = "bf16", *, context_tokens: int | None = None,
                   prompt_tokens: int | None = None, active_params: int | None = None,
                   kv_bytes_per_value: float | None = None, batch: int = 1,
                   encoder_tokens: int = ENCODER_TOKENS) -> SpeedEstimate:
    """Estimate decode and prefill tokens/s (generative models) or latency per input (encoders).

    Args:
        dtype: the weights' dtype (``fp32`` / ``bf16`` / ``fp16`` / ``int8`` / ``int4``).
        context_tokens: tokens in the KV cache when a token is decoded (default 2,048, capped at the
            model's maximum).
        prompt_tokens: the prefill's length (default: the context).
        active_params: parameters one token uses (mixture-of-experts); default all.
        kv_bytes_per_value: the KV cache's precision in bytes (default: the compute dtype's).
        batch: sequences decoded together (decode tokens/s is per sequence).

    Raises ValueError for an unknown dtype or a model of unknown size.
    """
    dtype = normalize_dtype(dtype)
    if spec.is_quantized and spec.quantized_bytes:
        dtype = "stored"
    if active_params is None:  # a mixture of experts' active count (lib.fit.moe), else all parameters
        active_params = getattr(spec, "active_params", None)
    work = model_work(spec, dtype, active_params)
    cfg = spec.config
    notes: list[str] = []
    max_pos = cfg.max_positions if cfg is not None else None
    ctx = context_tokens_for(cfg, context_tokens)
    window = cfg.sliding_window if cfg is not None and cfg.sliding_window else None
    if not work.layers:
        notes.append(_("no layer count in the config: the per-layer framework cost is left out"))
    if dtype in ("int8", "int4", "stored"):
        notes.append(_("quantized weights: the dequantisation cost is not modelled"))
    if active_params and spec.params_total and active_params < spec.params_total:
        notes.append(_("mixture of experts: speed from the {n} active parameters per token").format(
            n=fmt.number(active_params)))
    if not host.calibrated:
        notes.append(f"{host_label(host.name)}: {_(host.note) if host.note else _('not yet calibrated')}")
    base = dict(model_id=spec.model_id, host=host.name, dtype=dtype, device=host.device, context_tokens=ctx,
                calibrated=host.calibrated)
    if not spec.is_generative:
        n = max(1, min(int(encoder_tokens), max_pos or encoder_tokens))
        t, bound = _pass_time(work, host, dtype, n, n, 0, batch)
        flops = 2.0 * work.matmul_params + 4.0 * work.layers * n * work.attn_width
        return SpeedEstimate(**base, generative=False, prompt_tokens=n, latency_s=t, input_tokens=n,
                             bytes_per_token=work.weight_bytes_read, flops_per_token=flops, bound=bound,
                             notes=tuple(notes))
    act_b = BYTES_PER_PARAM.get(dtype, 2.0) if dtype in ("fp32", "bf16", "fp16") else 2.0
    kv_b = kv_bytes_per_value if kv_bytes_per_value is not None else act_b
    kv = kv_cache_bytes(cfg, ctx, kv_b, batch)
    if cfg is not None and not kv:
        notes.append(_("KV cache not counted: the config lacks layers, key/value heads or head dim"))
    span = min(ctx, window) if window else ctx
    t_dec, bound = _pass_time(work, host, dtype, 1, span, kv, batch)
    prompt = int(prompt_tokens) if prompt_tokens else ctx
    prompt_span = (min(prompt, window) if window else prompt) / 2  # causal: half the prompt on average
    t_pre, _bound = _pass_time(work, host, dtype, prompt, prompt_span, 0, batch)
    return SpeedEstimate(**base, generative=True, prompt_tokens=prompt, decode_tokens_per_s=1.0 / t_dec,
                         prefill_tokens_per_s=prompt * batch / t_pre,
                         bytes_per_token=work.weight_bytes_read + kv,
                         flops_per_token=2.0 * work.matmul_params + 4.0 * work.layers * span * work.attn_width,
                         bound=bound, notes=tuple(notes))


__all__ = ["ADDMM_MODEL_TYPES", "ENCODER_TOKENS", "EFF_BW_MEASURED", "EFF_COMPUTE_MEASURED", "EFF_BW_VENDOR",
           "EFF_COMPUTE_VENDOR", "OVERHEAD_PER_LAYER_S", "OVERHEAD_PER_STEP_S", "SpeedEstimate", "overhead_s", "Work",
           "efficiency", "model_work", "estimate_speed"]
