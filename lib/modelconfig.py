"""Facts about a model read from its ``config.json`` (no torch, no transformers needed).

:class:`ModelConfig` reads the architecture numbers the memory estimator needs (layers, attention
and key/value heads, head dim, hidden / intermediate size, vocabulary, sliding window, maximum
positions, activation, tied embeddings, quantization) from the many spellings transformers configs
use (``num_hidden_layers`` / ``n_layer``, ``hidden_size`` / ``n_embd`` / ``d_model`` …). Multimodal
configs that nest the language model under ``text_config`` are read from there.

:func:`count_parameters` counts the parameters a config builds, exactly, by instantiating the model
on PyTorch's ``meta`` device (no memory is allocated). It imports torch and transformers lazily and
is only meant for the model page when the Hub has no safetensors metadata; a config whose sizes are
beyond reason (:func:`build_problem`: 50,000 layers, an infinite vocabulary) is never built, and
:func:`estimate_parameters` gives a rough count from its shape instead.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib import format as fmt
from lib.i18n import N_, _

# Model types whose config class defaults to untied input/output embeddings (transformers'
# save_pretrained omits values equal to the class default, so a missing key means the default).
_UNTIED_BY_DEFAULT = frozenset({
    "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "phi3", "olmo",
    "olmo2", "granite", "starcoder2", "deepseek_v2", "deepseek_v3", "internlm2", "falcon_mamba",
    "gpt_neox", "gptj", "cohere", "stablelm", "exaone", "mistral3",
})
# Model types whose MLP is gated (gate_proj * act(up_proj)): four intermediate-sized tensors live.
_GATED_MLP = frozenset({
    "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gemma", "gemma2",
    "gemma3", "gemma3_text", "phi3", "olmo", "olmo2", "granite", "deepseek_v2", "deepseek_v3",
    "internlm2", "cohere", "exaone", "smollm3", "t5gemma", "mistral3",
})
# Encoder-only families: no KV cache, no generation.
_ENCODER_ONLY = frozenset({
    "bert", "roberta", "xlm-roberta", "distilbert", "albert", "electra", "deberta", "deberta-v2",
    "mpnet", "camembert", "modernbert", "xlm", "ernie", "nomic_bert", "vit", "deit", "beit",
    "dinov2", "clip_vision_model", "siglip_vision_model", "wav2vec2", "hubert", "convnext", "resnet",
})


_DECODER_SUFFIXES = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")
_DECODER_TYPES = frozenset({"gpt2", "gpt_neo", "gpt_neox", "gptj", "gpt_bigcode", "opt", "bloom", "falcon",
                            "phi", "codegen", "mpt", "starcoder2"})


def _first(d: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        v = d.get(k)
        if v is not None:
            return v
    return None


#: the largest number a config may hold for a size (beyond it the value is nonsense, and floats lose it).
MAX_CONFIG_INT = 2 ** 53


def _number(v: Any) -> float | None:
    """Any JSON number (or numeric string) as a float — ``inf`` / ``nan`` included; else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return float(v) if abs(v) < 1e308 else float("inf") * (1 if v > 0 else -1)
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return None


def _pos_int(v: Any) -> int | None:
    """A positive size from a config value; None for anything else (text, negative, non-finite such
    as ``1e400`` read as infinity, or beyond :data:`MAX_CONFIG_INT`)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if 0 < v <= MAX_CONFIG_INT else None
    f = _number(v)
    if f is None or f != f or not 0 < f <= MAX_CONFIG_INT:  # f != f: nan
        return None
    return int(f)


def language_config(top: Mapping[str, Any]) -> dict[str, Any]:
    """The config's language model: a multimodal config's ``text_config`` (``language_config``,
    ``llm_config``) laid over the top level when the top level has no layers, else the top level."""
    text = top.get("text_config") or top.get("language_config") or top.get("llm_config")
    if isinstance(text, Mapping) and not top.get("num_hidden_layers"):
        return {**top, **text}
    return dict(top)


@dataclass(frozen=True)
class QuantizationInfo:
    """``quantization_config`` of an already-quantized checkpoint (AWQ, GPTQ, bitsandbytes, …)."""

    method: str
    bits: float | None = None


@dataclass(frozen=True)
class ModelConfig:
    """Architecture facts of one model, from its ``config.json``. Unknown numbers are None.

    Attributes:
        model_type: transformers ``model_type`` (``llama``, ``bert``, ``gpt2`` …).
        architectures: class names listed in the config (``LlamaForCausalLM``).
        auto_map: the config's ``auto_map`` (non-empty means the repo ships custom code).
        num_layers, hidden_size, intermediate_size, num_heads, num_kv_heads, head_dim, vocab_size:
            the transformer's sizes (``num_kv_heads`` < ``num_heads`` is grouped-query attention).
        num_experts, expert_intermediate_size: a mixture of experts' routed experts per layer and
            their MLP size (None for a dense model).
        sliding_window: attention window in tokens when the model uses one (Mistral: 4096), else None.
        max_positions: longest context the position scheme supports.
        hidden_act: activation name (``silu``, ``gelu_new`` …).
        tie_word_embeddings: whether the output head shares the input embedding matrix.
        dtype: the checkpoint's declared dtype (``bfloat16``), if any.
        is_encoder_decoder: T5 / BART style models.
        quantization: set for already-quantized checkpoints.
        raw: the config as read.
    """

    model_type: str | None = None
    architectures: tuple[str, ...] = ()
    auto_map: Mapping[str, Any] = field(default_factory=dict)
    num_layers: int | None = None
    hidden_size: int | None = None
    intermediate_size: int | None = None
    num_heads: int | None = None
    num_kv_heads: int | None = None
    head_dim: int | None = None
    vocab_size: int | None = None
    num_experts: int | None = None
    expert_intermediate_size: int | None = None
    sliding_window: int | None = None
    max_positions: int | None = None
    hidden_act: str | None = None
    tie_word_embeddings: bool = True
    dtype: str | None = None
    is_encoder_decoder: bool = False
    quantization: QuantizationInfo | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ---- derived ------------------------------------------------------------------------------
    @property
    def requires_custom_code(self) -> bool:
        """True when the config points at code shipped in the repo (``auto_map``)."""
        return bool(self.auto_map)

    @property
    def is_encoder_only(self) -> bool:
        if self.model_type in _ENCODER_ONLY:
            return True
        return any(a.endswith(("ForMaskedLM", "ForSequenceClassification", "ForTokenClassification"))
                   for a in self.architectures) and not self.is_decoder

    @property
    def is_decoder(self) -> bool:
        """Generates text token by token (keeps a KV cache)."""
        if self.is_encoder_decoder:
            return True
        if any(a.endswith(_DECODER_SUFFIXES) for a in self.architectures):
            return True
        if self.architectures:
            return False
        return self.model_type in _GATED_MLP or self.model_type in _DECODER_TYPES

    @property
    def gated_mlp(self) -> bool:
        return self.model_type in _GATED_MLP

    @property
    def uses_gqa(self) -> bool:
        """Grouped-query (or multi-query) attention: fewer key/value heads than query heads."""
        return bool(self.num_heads and self.num_kv_heads and self.num_kv_heads < self.num_heads)

    def kv_bytes_per_token(self, bytes_per_value: float) -> int | None:
        """KV-cache bytes one token adds: 2 (K and V) × layers × kv heads × head dim × bytes."""
        if not (self.num_layers and self.num_kv_heads and self.head_dim):
            return None
        return int(2 * self.num_layers * self.num_kv_heads * self.head_dim * bytes_per_value)

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelConfig:
        """Read a parsed ``config.json``; never raises on odd values (they become None)."""
        if not isinstance(data, Mapping):
            raise ValueError(_("config.json must hold a JSON object"))
        top = dict(data)
        d = language_config(top)
        model_type = d.get("model_type") or top.get("model_type")
        layers = _pos_int(_first(d, "num_hidden_layers", "n_layer", "num_layers", "n_layers"))
        hidden = _pos_int(_first(d, "hidden_size", "n_embd", "d_model", "dim", "model_dim"))
        heads = _pos_int(_first(d, "num_attention_heads", "n_head", "num_heads", "n_heads", "encoder_attention_heads"))
        kv = _pos_int(_first(d, "num_key_value_heads", "n_kv_heads", "num_kv_heads", "n_head_kv"))
        if kv is None and d.get("multi_query"):
            kv = 1
        if kv is None:
            kv = heads
        head_dim = _pos_int(d.get("head_dim"))
        if head_dim is None and hidden and heads:
            head_dim = hidden // heads
        inter = _pos_int(_first(d, "intermediate_size", "n_inner", "ffn_dim", "d_ff", "encoder_ffn_dim"))
        if inter is None and hidden and model_type in ("gpt2", "gpt_neo", "gpt_bigcode", "gptj", "codegen"):
            inter = 4 * hidden
        window = None
        if d.get("use_sliding_window", True) is not False:
            window = _pos_int(d.get("sliding_window"))
        tie = d.get("tie_word_embeddings")
        if tie is None:
            tie = top.get("tie_word_embeddings")
        if tie is None:
            tie = model_type not in _UNTIED_BY_DEFAULT
        q = top.get("quantization_config") or d.get("quantization_config")
        quant = None
        if isinstance(q, Mapping):
            bnb = q.get("load_in_4bit") or q.get("load_in_8bit")
            method = str(q.get("quant_method") or ("bitsandbytes" if bnb else "unknown"))
            bits = _pos_int(q.get("bits") or q.get("w_bit"))
            if bits is None and q.get("load_in_4bit"):
                bits = 4
            if bits is None and q.get("load_in_8bit"):
                bits = 8
            quant = QuantizationInfo(method=method, bits=bits)
        archs = top.get("architectures") or d.get("architectures") or ()
        if isinstance(archs, str):
            archs = (archs,)
        auto_map = top.get("auto_map") or {}
        return cls(
            model_type=str(model_type) if model_type else None,
            architectures=tuple(str(a) for a in archs if a),
            auto_map=dict(auto_map) if isinstance(auto_map, Mapping) else {"AutoModel": auto_map},
            num_layers=layers,
            hidden_size=hidden,
            intermediate_size=inter,
            num_heads=heads,
            num_kv_heads=kv,
            head_dim=head_dim,
            vocab_size=_pos_int(d.get("vocab_size")),
            num_experts=_pos_int(_first(d, *_EXPERT_KEYS)),
            expert_intermediate_size=_pos_int(d.get("moe_intermediate_size")),
            sliding_window=window,
            max_positions=_pos_int(_first(d, "max_position_embeddings", "n_positions", "n_ctx", "max_seq_len",
                                          "seq_length")),
            hidden_act=str(_first(d, "hidden_act", "activation_function", "hidden_activation") or "") or None,
            tie_word_embeddings=bool(tie),
            dtype=str(_first(top, "dtype", "torch_dtype") or "") or None,
            is_encoder_decoder=bool(top.get("is_encoder_decoder")),
            quantization=quant,
            raw=top,
        )

    @classmethod
    def from_file(cls, path: str | Path) -> ModelConfig:
        """Read ``config.json`` (a file, or a folder holding one). Raises ValueError with a reason."""
        p = Path(path)
        if p.is_dir():
            p = p / "config.json"
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(_("no config.json at {path}").format(path=p)) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(_("cannot read {path}: {error}").format(path=p, error=exc)) from None
        return cls.from_dict(data)


# ---- configs too large to build --------------------------------------------------------------------
_EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")
#: the most layers :func:`count_parameters` builds (all of a config's stacks together): each layer costs
#: ~2 ms of one core holding the interpreter on the meta device, so 50,000 layers took 86 s and 2.9 GiB.
MAX_BUILD_LAYERS = 512
#: the largest size of each kind a config may ask for and still be built (the largest real models
#: stay far below: ~200 layers, hidden 32k, vocabulary 1M, 512 experts). The keys name each kind of size in
#: :func:`build_problem`'s message (translated there).
BUILD_LIMITS: dict[str, tuple[int, tuple[str, ...]]] = {
    N_("layers"): (MAX_BUILD_LAYERS, ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "encoder_layers",
                                  "decoder_layers", "num_encoder_layers", "num_decoder_layers")),
    N_("hidden size"): (131_072, ("hidden_size", "n_embd", "d_model", "dim", "model_dim")),
    N_("intermediate size"): (1_048_576, ("intermediate_size", "n_inner", "ffn_dim", "d_ff", "encoder_ffn_dim",
                                      "decoder_ffn_dim", "moe_intermediate_size")),
    N_("vocabulary"): (8_388_608, ("vocab_size",)),
    N_("attention heads"): (8_192, ("num_attention_heads", "n_head", "num_heads", "n_heads", "num_key_value_heads",
                                "encoder_attention_heads", "decoder_attention_heads")),
    N_("experts"): (8_192, _EXPERT_KEYS),
}
_LIMIT_OF = {key: (what, cap) for what, (cap, keys) in BUILD_LIMITS.items() for key in keys}


def _sizes(d: Mapping[str, Any], depth: int = 0):
    """``(key, number)`` for every size key of ``d`` and of the configs nested in it (text_config …)."""
    for k, v in list(d.items())[:2000]:
        if isinstance(v, Mapping) and depth < 4:
            yield from _sizes(v, depth + 1)
        elif k in _LIMIT_OF:
            n = _number(v)
            if n is not None:
                yield k, n


def build_problem(config: Mapping[str, Any] | ModelConfig) -> str | None:
    """Why :func:`count_parameters` will not build this config on the meta device, in words, or None.

    Any size beyond :data:`BUILD_LIMITS` (or not a finite number: ``1e400`` reads as infinity), or more
    than :data:`MAX_BUILD_LAYERS` layers in all, is refused before torch is even imported."""
    raw = config.raw if isinstance(config, ModelConfig) else config
    if not isinstance(raw, Mapping):
        return _("config.json does not hold a JSON object")
    layers = 0.0
    for key, n in _sizes(raw):
        what, cap = _LIMIT_OF[key]
        if n != n or n in (float("inf"), float("-inf")):
            return _("its {key} is not a finite number").format(key=key)
        if n > cap:
            return _("it asks for {n} {what} ({key}); at most {cap} can be built").format(
                n=fmt.number(round(n)), what=_(what), key=key, cap=fmt.number(cap))
        if what == "layers" and n > 0:
            layers += n
    if layers > MAX_BUILD_LAYERS:
        return _("it asks for {n} layers in all; at most {cap} can be built").format(
            n=fmt.number(round(layers)), cap=fmt.number(MAX_BUILD_LAYERS))
    return None


def estimate_parameters(config: Mapping[str, Any] | ModelConfig) -> int | None:
    """A rough parameter count from the config's shape alone (no torch): embeddings + layers × (attention
    + MLP, or experts × expert MLP). For configs too large to build; None without layers and hidden size."""
    c = config if isinstance(config, ModelConfig) else ModelConfig.from_dict(config)
    h, layers = c.hidden_size, c.num_layers
    if not h or not layers:
        return None
    q_dim = (c.num_heads or 0) * (c.head_dim or 0) or h
    kv_dim = (c.num_kv_heads or 0) * (c.head_dim or 0) or q_dim
    attention = 2 * h * q_dim + 2 * h * kv_dim
    mats = 3 if c.gated_mlp else 2
    if c.num_experts:
        mlp = c.num_experts * (mats * h * (c.expert_intermediate_size or c.intermediate_size or 4 * h) + h)
    else:
        mlp = mats * h * (c.intermediate_size or 4 * h)
    stacks = 2 if c.is_encoder_decoder else 1
    embeddings = (c.vocab_size or 0) * h * (1 if c.tie_word_embeddings else 2)
    return int(stacks * layers * (attention + mlp) + embeddings)


def count_parameters(config: Mapping[str, Any] | ModelConfig) -> int | None:
    """Exact parameter count of the model a config describes, built on the ``meta`` device.

    Imports torch and transformers lazily (never call this on the Discover path). Uses the
    config's first ``architectures`` class when transformers has it, else ``AutoModel``. Custom
    code (``auto_map``) is never executed: such configs return None, as do configs transformers
    cannot build.
    """
    split = parameter_split(config)
    return split[0] if split is not None else None


def parameter_split(config: Mapping[str, Any] | ModelConfig) -> tuple[int, int] | None:
    """``(total, routed)`` parameters of the model a config describes, built once on the ``meta``
    device (see :func:`count_parameters`): ``routed`` counts the parameters of a mixture of experts'
    routed experts (modules named ``experts``, whether one module per expert or the experts fused in
    one tensor; never ``shared_expert(s)`` or the router), 0 for a dense model. None when the config
    is not built (custom code, absurd sizes, a config transformers cannot build)."""
    raw = config.raw if isinstance(config, ModelConfig) else dict(config)
    if raw.get("auto_map") or build_problem(raw) is not None:
        return None
    try:
        from lib import runtime

        torch, transformers = runtime.torch(), runtime.transformers()
    except ImportError:
        return None
    try:
        cfg = transformers.AutoConfig.for_model(**raw) if "model_type" in raw else None
    except Exception:  # noqa: BLE001 - a config transformers cannot read means "unknown"
        cfg = None
    if cfg is None:
        return None
    archs = list(raw.get("architectures") or [])
    cls = getattr(transformers, archs[0], None) if archs else None
    try:
        with torch.device("meta"):
            model = cls(cfg) if cls is not None else transformers.AutoModel.from_config(cfg)
    except Exception:  # noqa: BLE001 - any failure to build means "unknown", not a crash
        return None
    seen: set[int] = set()
    total = routed = 0
    for name, p in model.named_parameters():  # already de-duplicates tied weights
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        if "experts" in name.split("."):
            routed += p.numel()
    return total, routed
