"""Mixture of experts: which configs are one, and how many parameters they hold (total) and use per
token (active). Memory follows the total (every expert is loaded); speed follows the active count
(each token reads the router, the shared experts and ``experts_per_token`` of the routed experts).

- :func:`moe_shape` reads a config.json: routed experts (``num_local_experts`` / ``num_experts`` /
  ``n_routed_experts`` / ``moe_num_experts``), experts per token (``num_experts_per_tok`` …), shared
  experts (``n_shared_experts`` of ``moe_intermediate_size`` each, or one of
  ``shared_expert_intermediate_size``), and which layers are MoE (``first_k_dense_replace`` +
  ``moe_layer_freq``, ``decoder_sparse_step`` + ``mlp_only_layers``).
- :func:`moe_counts` combines it with the split the model page gets from building the config on the
  meta device (:func:`lib.modelconfig.parameter_split`: total, routed-expert parameters), or, without
  one, with :func:`arithmetic_counts` (Mixtral, Qwen-MoE and DeepSeek-style layers, attention incl.
  DeepSeek's latent attention).
- :func:`listing_moe` marks Discover rows from what a listing has: the architecture (model_type) of
  the catalog snapshot's facts and the Hub tags (which carry the model_type, and sometimes ``moe``).

Pure: no torch, no I/O.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib.i18n import _, ngettext
from lib.modelconfig import language_config

EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")
TOPK_KEYS = ("num_experts_per_tok", "experts_per_token", "num_experts_per_token", "moe_topk", "moe_k", "top_k")
#: model types that are mixtures of experts without "moe" in their name (any type with "moe" in it is one).
MOE_MODEL_TYPES = frozenset({
    "mixtral", "deepseek_v2", "deepseek_v3", "deepseek_v32", "deepseek_v4", "deepseek_vl_v2", "gpt_oss",
    "dbrx", "jamba", "arctic", "llama4", "llama4_text", "qwen3_next", "minimax", "longcat_flash", "switch_transformers",
    "nllb_moe", "gptsan-japanese", "hunyuan_v1_moe", "glm4v_moe", "dots1", "ling", "step3p5",
})
#: Hub tags that say "mixture of experts" outright.
MOE_TAGS = frozenset({"moe", "mixture-of-experts", "mixture_of_experts", "mixtureofexperts"})
_QKV_BIAS = frozenset({"qwen2_moe"})  # attention q/k/v biases the config does not declare
_QK_NORM = frozenset({"qwen3_moe", "qwen3_next"})  # per-head RMSNorm on queries and keys


def is_moe_type(model_type: str | None) -> bool:
    """Whether a config's ``model_type`` is a mixture-of-experts family."""
    t = (model_type or "").strip().lower()
    return bool(t) and ("moe" in t or t in MOE_MODEL_TYPES)


def listing_moe(record: Any) -> bool:
    """Whether a catalog row is a mixture of experts, from the listing alone: the model_type of the
    snapshot's architecture facts (``extra["config"]``), else the Hub tags (model_type tags such as
    ``mixtral`` / ``qwen3_moe``, or ``moe``). No config.json, no torch."""
    extra = getattr(record, "extra", None) or {}
    cfg = extra.get("config") if isinstance(extra, Mapping) else None
    if isinstance(cfg, Mapping) and is_moe_type(cfg.get("model_type")):
        return True
    tags = getattr(record, "tags", ()) or ()
    return any(str(t).lower() in MOE_TAGS or (":" not in str(t) and is_moe_type(str(t))) for t in tags)


def _int(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return int(v) if v == v and 0 < v < 2**53 else None


def _first_int(d: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    for k in keys:
        v = _int(d.get(k))
        if v is not None:
            return v
    return None


@dataclass(frozen=True)
class MoeShape:
    """A mixture of experts' layout, from its config.

    Attributes:
        experts: routed experts per MoE layer.
        experts_per_token: routed experts each token goes through (None when the config does not say).
        shared_experts: experts every token goes through (0 when none).
        expert_intermediate: one routed expert's MLP width.
        shared_intermediate: the shared experts' MLP width together (0 when none).
        moe_layers / dense_layers: layers with experts, layers with a plain MLP.
    """

    experts: int
    experts_per_token: int | None
    shared_experts: int
    expert_intermediate: int | None
    shared_intermediate: int
    moe_layers: int
    dense_layers: int
    model_type: str | None = None

    @property
    def summary(self) -> str:
        """``8 experts, 2 per token`` / ``64 experts, 6 per token, 2 shared; first 1 layer dense``."""
        if self.experts_per_token:
            text = _("{n} experts, {k} per token").format(n=self.experts, k=self.experts_per_token)
        else:
            text = _("{n} experts, experts per token unknown").format(n=self.experts)
        if self.shared_experts:
            text = _("{summary}, {n} shared").format(summary=text, n=self.shared_experts)
        if self.dense_layers:
            text = ngettext("{summary}; {n} dense layer", "{summary}; {n} dense layers", self.dense_layers).format(
                summary=text, n=self.dense_layers)
        return text


def _is_moe_layer(d: Mapping[str, Any], i: int) -> bool:
    first_dense = _int(d.get("first_k_dense_replace")) or 0
    freq = _int(d.get("moe_layer_freq")) or 1
    step = _int(d.get("decoder_sparse_step")) or 1
    dense_only = d.get("mlp_only_layers") or ()
    dense_only = set(dense_only) if isinstance(dense_only, list | tuple) else set()
    return i >= first_dense and i % freq == 0 and (i + 1) % step == 0 and i not in dense_only


def moe_shape(config: Mapping[str, Any] | None) -> MoeShape | None:
    """The MoE layout of a config.json dict, None for a dense model (or no config)."""
    if not isinstance(config, Mapping):
        return None
    d = language_config(config)
    experts = _first_int(d, EXPERT_KEYS)
    if not experts or experts < 2:
        return None
    k = _first_int(d, TOPK_KEYS)
    layers = _int(d.get("num_hidden_layers")) or _int(d.get("num_layers")) or 0
    moe_layers = sum(_is_moe_layer(d, i) for i in range(min(layers, 100_000)))
    expert_inter = _int(d.get("moe_intermediate_size")) or _int(d.get("intermediate_size"))
    n_shared = _int(d.get("n_shared_experts")) or _int(d.get("num_shared_experts")) or 0
    shared_inter = n_shared * (expert_inter or 0)
    if not n_shared and _int(d.get("shared_expert_intermediate_size")):
        n_shared, shared_inter = 1, int(d["shared_expert_intermediate_size"])
    return MoeShape(experts, k, n_shared, expert_inter, shared_inter, moe_layers, layers - moe_layers,
                    str(d.get("model_type") or "") or None)


@dataclass(frozen=True)
class MoeCounts:
    """Total and active parameters of a mixture of experts.

    Attributes:
        total: every parameter (what memory holds).
        active: parameters one token uses (what decode speed reads); None when experts per token is unknown.
        routed: the routed experts' parameters, all layers together.
        shape: the layout (:class:`MoeShape`).
        source: ``meta device`` (counted from the model built from its config), ``arithmetic`` (from
            the config's sizes) — the total may instead be the Hub's exact count (``total_source``).
        total_source: where ``total`` comes from, in words.
    """

    total: int
    active: int | None
    routed: int
    shape: MoeShape
    source: str
    total_source: str = ""

    @property
    def active_fraction(self) -> float | None:
        return self.active / self.total if self.active is not None and self.total else None


def _attention(d: Mapping[str, Any], h: int) -> int:
    """One layer's attention parameters (projections, biases, DeepSeek's latent-attention norms)."""
    heads = _int(d.get("num_attention_heads")) or 1
    kvr = _int(d.get("kv_lora_rank"))
    if kvr:  # multi-head latent attention (DeepSeek-V2/V3)
        nope, rope = _int(d.get("qk_nope_head_dim")) or 0, _int(d.get("qk_rope_head_dim")) or 0
        v = _int(d.get("v_head_dim")) or nope
        qr = _int(d.get("q_lora_rank"))
        q = h * qr + qr + qr * heads * (nope + rope) if qr else h * heads * (nope + rope)
        return q + h * (kvr + rope) + kvr + kvr * heads * (nope + v) + heads * v * h
    hd = _int(d.get("head_dim")) or h // heads
    kv = _int(d.get("num_key_value_heads")) or heads
    n = 2 * h * heads * hd + 2 * h * kv * hd
    if d.get("attention_bias"):
        n += heads * hd + 2 * kv * hd + h
    elif d.get("model_type") in _QKV_BIAS:
        n += heads * hd + 2 * kv * hd
    if d.get("model_type") in _QK_NORM:
        n += 2 * hd
    return n


def arithmetic_counts(config: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """``(total, routed)`` from the config's sizes alone (gated MLPs, RMSNorm): embeddings (+ an untied
    head) + per layer attention + two norms + a dense MLP or (router + routed experts + shared
    experts, Qwen's with their gate) + the final norm. Exact for the Mixtral, Qwen2/3-MoE and
    DeepSeek-V2/V3 layouts; None for a dense config or one without its sizes."""
    shape = moe_shape(config)
    if shape is None:
        return None
    d = language_config(config)
    h, vocab = _int(d.get("hidden_size")), _int(d.get("vocab_size")) or 0
    inter = _int(d.get("intermediate_size"))
    if not h or not shape.expert_intermediate or (shape.dense_layers and not inter):
        return None
    tied = d.get("tie_word_embeddings")
    emb = vocab * h * (1 if tied else 2)
    per_layer = _attention(d, h) + 2 * h
    routed_layer = shape.experts * 3 * h * shape.expert_intermediate
    shared = 3 * h * shape.shared_intermediate
    if shape.shared_experts and d.get("shared_expert_intermediate_size") and not d.get("n_shared_experts"):
        shared += h  # Qwen's sigmoid gate on the shared expert
    moe_layer = per_layer + h * shape.experts + routed_layer + shared
    dense_layer = per_layer + 3 * h * (inter or 0)
    total = emb + h + shape.moe_layers * moe_layer + shape.dense_layers * dense_layer
    return total, shape.moe_layers * routed_layer


def moe_counts(config: Mapping[str, Any] | None, split: tuple[int, int] | None = None,
               total: int | None = None, total_source: str = "") -> MoeCounts | None:
    """Total and active parameters of a MoE config (None for a dense one).

    ``split``: ``(total, routed)`` from :func:`lib.modelconfig.parameter_split` (the meta device);
    without it (or when it found no routed experts) :func:`arithmetic_counts`. ``total``: an exact
    count from elsewhere (the Hub's safetensors metadata), which then is the total; the routed share
    still comes from the build or the arithmetic.
    active = total − routed × (1 − experts_per_token / experts).
    """
    shape = moe_shape(config)
    if shape is None:
        return None
    source = "meta device"  # i18n: a code
    if not split or not split[1]:
        split, source = arithmetic_counts(config), "arithmetic"
    if not split:
        return None
    n, routed = split
    where = _("counted on the meta device") if source == "meta device" else _("computed from config.json's sizes")
    if total:
        n, where = int(total), _(total_source) if total_source else _("exact")
    active = None
    if shape.experts_per_token:
        k = min(shape.experts_per_token, shape.experts)
        active = int(n - routed * (shape.experts - k) / shape.experts)
    return MoeCounts(int(n), active, int(routed), shape, source, where)


__all__ = ["EXPERT_KEYS", "TOPK_KEYS", "MOE_MODEL_TYPES", "MOE_TAGS", "is_moe_type", "listing_moe", "MoeShape",
           "moe_shape", "MoeCounts", "arithmetic_counts", "moe_counts"]
