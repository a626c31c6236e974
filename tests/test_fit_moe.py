"""Mixture of experts: detection, total and active parameters (meta device and arithmetic), the spec's
active count, the Model page's parameter rows and Discover's mark — against hand-computed numbers."""
from __future__ import annotations

import pytest

from lib.fit.moe import arithmetic_counts, is_moe_type, listing_moe, moe_counts, moe_shape
from lib.hub.records import ModelRecord

# Mixtral-8x7B's config.json (the sizes that count).
MIXTRAL = {"model_type": "mixtral", "architectures": ["MixtralForCausalLM"], "vocab_size": 32000,
           "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
           "num_key_value_heads": 8, "num_local_experts": 8, "num_experts_per_tok": 2,
           "tie_word_embeddings": False, "max_position_embeddings": 32768}

# DeepSeek-V2-Lite's config.json: latent attention, 64 routed + 2 shared experts, first layer dense.
DEEPSEEK = {"model_type": "deepseek_v2", "architectures": ["DeepseekV2ForCausalLM"], "vocab_size": 102400,
            "hidden_size": 2048, "intermediate_size": 10944, "moe_intermediate_size": 1408,
            "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16,
            "q_lora_rank": None, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
            "v_head_dim": 128, "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6,
            "first_k_dense_replace": 1, "moe_layer_freq": 1, "tie_word_embeddings": False,
            "topk_method": "greedy", "n_group": 1, "topk_group": 1, "max_position_embeddings": 163840}


def mixtral_by_hand():
    h, v, inter, layers = 4096, 32000, 14336, 32
    attn = h * h + 2 * h * 1024 + h * h          # q, k, v (8 kv heads × 128), o = 41,943,040
    experts = 8 * 3 * h * inter                   # 8 × (gate, up, down) = 1,409,286,144
    router = h * 8
    norms = 2 * h
    layer = attn + experts + router + norms       # 1,451,270,144
    total = layers * layer + 2 * v * h + h        # + embeddings + untied head + final norm
    routed = layers * experts
    active = total - routed * 6 // 8              # 2 of 8 experts per token
    return total, routed, active


def deepseek_by_hand():
    h, v, heads = 2048, 102400, 16
    q = h * heads * (128 + 64)                    # no q LoRA: q_proj = 6,291,456
    kv_a = h * (512 + 64) + 512                   # kv_a_proj_with_mqa + kv_a_layernorm
    kv_b = 512 * heads * (128 + 128)              # 2,097,152
    o = heads * 128 * h                           # 4,194,304
    attn = q + kv_a + kv_b + o                    # 13,763,072
    norms = 2 * h
    dense = attn + norms + 3 * h * 10944          # layer 0: 81,007,104
    experts = 64 * 3 * h * 1408                   # 553,648,128
    shared = 3 * h * (2 * 1408)                   # two shared experts of 1,408 = 17,301,504
    router = 64 * h
    moe = attn + norms + experts + shared + router  # 584,847,872
    total = dense + 26 * moe + 2 * v * h + h      # 15,706,484,224
    routed = 26 * experts
    active = total - routed * (64 - 6) // 64      # 6 of 64 routed experts per token
    return total, routed, active


def test_hand_arithmetic_matches_the_published_sizes():
    assert mixtral_by_hand()[0] == 46_702_792_704  # Mixtral-8x7B's safetensors total
    assert mixtral_by_hand()[2] == 12_879_925_248  # "12.9B active"
    assert deepseek_by_hand()[0] == 15_706_484_224  # DeepSeek-V2-Lite's 15.7B


def test_shapes():
    s = moe_shape(MIXTRAL)
    assert (s.experts, s.experts_per_token, s.shared_experts, s.expert_intermediate, s.moe_layers,
            s.dense_layers) == (8, 2, 0, 14336, 32, 0)
    d = moe_shape(DEEPSEEK)
    assert (d.experts, d.experts_per_token, d.shared_experts, d.shared_intermediate, d.moe_layers,
            d.dense_layers) == (64, 6, 2, 2816, 26, 1)
    assert d.summary == "64 experts, 6 per token, 2 shared; 1 dense layer"
    assert moe_shape({"model_type": "llama", "num_hidden_layers": 2}) is None
    assert moe_shape({"model_type": "x", "num_experts": 1}) is None  # one expert is a dense MLP
    # Qwen2-MoE: one shared expert of its own width; every second layer sparse, layer 0 forced dense
    q = moe_shape({"model_type": "qwen2_moe", "num_hidden_layers": 6, "num_experts": 4, "num_experts_per_tok": 2,
                   "moe_intermediate_size": 32, "shared_expert_intermediate_size": 64, "decoder_sparse_step": 2,
                   "mlp_only_layers": [1]})
    assert (q.moe_layers, q.dense_layers, q.shared_experts, q.shared_intermediate) == (2, 4, 1, 64)


def test_arithmetic_counts_equal_the_hand_computed_ones():
    total, routed, active = mixtral_by_hand()
    assert arithmetic_counts(MIXTRAL) == (total, routed)
    c = moe_counts(MIXTRAL)
    assert (c.total, c.active, c.source) == (total, active, "arithmetic")
    total, routed, active = deepseek_by_hand()
    assert arithmetic_counts(DEEPSEEK) == (total, routed)
    c = moe_counts(DEEPSEEK)
    assert (c.total, c.routed, c.active) == (total, routed, active)
    assert arithmetic_counts({"model_type": "llama", "hidden_size": 8}) is None


def test_exact_hub_total_keeps_the_routed_share():
    total, routed, _ = mixtral_by_hand()
    c = moe_counts(MIXTRAL, split=None, total=total + 1000, total_source="exact, from safetensors metadata")
    assert c.total == total + 1000 and c.active == total + 1000 - routed * 6 // 8
    assert c.total_source.startswith("exact")


@pytest.mark.parametrize("config", [
    # small versions of the two layouts: the meta-device build must agree with the arithmetic
    {**MIXTRAL, "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
     "num_attention_heads": 4, "num_key_value_heads": 2, "num_local_experts": 4},
    {**DEEPSEEK, "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 96, "moe_intermediate_size": 16,
     "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 4, "kv_lora_rank": 16,
     "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "n_routed_experts": 8, "num_experts_per_tok": 2},
    {**DEEPSEEK, "model_type": "deepseek_v3", "architectures": ["DeepseekV3ForCausalLM"], "vocab_size": 1000,
     "hidden_size": 64, "intermediate_size": 96, "moe_intermediate_size": 16, "num_hidden_layers": 3,
     "num_attention_heads": 4, "num_key_value_heads": 4, "q_lora_rank": 24, "kv_lora_rank": 16,
     "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "n_routed_experts": 8, "n_shared_experts": 1,
     "num_experts_per_tok": 2, "first_k_dense_replace": 1, "n_group": 2, "topk_group": 1},
    {"model_type": "qwen2_moe", "architectures": ["Qwen2MoeForCausalLM"], "vocab_size": 1000, "hidden_size": 64,
     "intermediate_size": 96, "moe_intermediate_size": 16, "shared_expert_intermediate_size": 48,
     "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "num_experts": 4,
     "num_experts_per_tok": 2, "tie_word_embeddings": False},
])
def test_meta_device_split_agrees_with_the_arithmetic(config):
    from lib.modelconfig import count_parameters, parameter_split

    split = parameter_split(config)
    assert split == arithmetic_counts(config)
    assert count_parameters(config) == split[0]
    c = moe_counts(config, split)
    assert c.source == "meta device" and c.total == split[0]
    shape = moe_shape(config)
    assert c.active == split[0] - split[1] * (shape.experts - shape.experts_per_token) // shape.experts


def test_dense_model_has_no_routed_parameters():
    from lib.modelconfig import parameter_split

    cfg = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 100, "hidden_size": 16,
           "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}
    total, routed = parameter_split(cfg)
    assert total > 0 and routed == 0
    assert moe_counts(cfg, (total, routed)) is None


def test_discover_marks_moe_rows_from_the_listing():
    assert is_moe_type("qwen3_moe") and is_moe_type("mixtral") and is_moe_type("granitemoe")
    assert not is_moe_type("llama") and not is_moe_type("seed_oss") and not is_moe_type(None)
    snap = ModelRecord(id="a/b", extra={"config": {"model_type": "deepseek_v3"}})
    assert listing_moe(snap)
    assert listing_moe(ModelRecord(id="a/c", tags=("transformers", "mixtral", "license:apache-2.0")))
    assert listing_moe(ModelRecord(id="a/d", tags=("moe",)))
    assert not listing_moe(ModelRecord(id="a/e", tags=("llama", "license:moe-license")))
    assert not listing_moe(ModelRecord(id="a/f"))


def test_param_info_and_spec_carry_the_active_count():
    from lib.fit.spec import ModelSpec, model_config, model_spec
    from lib.hub.details import ModelDetails
    from lib.parameters import ParamInfo, with_moe

    total, routed, active = mixtral_by_hand()
    info = with_moe(ParamInfo(total, (("BF16", total),), "exact", "exact, from safetensors metadata"), MIXTRAL, None)
    assert info.moe.total == total and info.active == active
    head, more = info.moe_lines
    assert head == "Mixture of experts: **12.9B** active per token (28% of the total); 46.7B in all."
    assert more.startswith("8 experts, 2 per token.") and "arithmetic" not in more
    dense = ParamInfo(10, (), "exact", "x")
    assert with_moe(dense, {"model_type": "llama"}, None) is dense and dense.active == 10 and dense.moe_lines == ()
    # the spec: memory keeps the total, speed gets the active count (from the page's counts, or the config)
    details = ModelDetails(id="mistralai/Mixtral-8x7B-v0.1", params_total=total, params_by_dtype={"BF16": total})
    spec = model_spec(details, model_config(MIXTRAL), info)
    assert spec.params_total == total and spec.active_params == active
    assert model_spec(details, model_config(MIXTRAL)).active_params == active  # arithmetic fallback
    assert ModelSpec(params_total=5).active_params == 5


def test_discover_parameters_column_marks_moe():
    from lib.results import results_columns

    cols = results_columns([ModelRecord(id="a/moe", params_total=46_702_792_704, params_exact=True,
                                        tags=("mixtral",)),
                            ModelRecord(id="a/dense", params_total=7_000_000_000, params_exact=True)])
    assert cols["Parameters"] == ["46.7B MoE", "7B"]
