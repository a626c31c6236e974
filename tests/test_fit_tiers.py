"""Fit tiers (GPU / partial offload / CPU only / does not fit) with hand-computed boundaries for one
host, the offload load through accelerate on CPU, KV-cache precision and batch in the estimate and the
Model page's URL."""
from __future__ import annotations

from dataclasses import replace

import pytest

from lib.fit.estimate import CPU_IMPORT_BYTES, CPU_LOAD_MACHINERY_BYTES, estimate_memory
from lib.fit.spec import ModelSpec, model_config
from lib.fit.tiers import link_of, offload_plan
from lib.fit.verdict import FitKind, verdict
from lib.hardware import GPU, PROFILES, Hardware

MiB = 1024**2
# A Mistral-7B-shaped model: 32 layers, untied 32,000 × 4,096 embeddings and head, GQA 32/8 × 128.
CONFIG = model_config({"model_type": "mistral", "architectures": ["MistralForCausalLM"], "vocab_size": 32000,
                       "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                       "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 32768,
                       "tie_word_embeddings": False})
SPEC = ModelSpec("m/7b", 7_241_732_096, {}, True, CONFIG, "text-generation")
T4 = next(h for h in PROFILES if h.name == "NVIDIA T4 16 GB")  # 15,360 MiB VRAM, 16 GB RAM, PCIe 3.0


def t4_with(vram: int, ram: int = 16 * 10**9) -> Hardware:
    return Hardware("T4 variant", ram, None, 4, (GPU("Tesla T4", vram, compute_capability=(7, 5)),), True)


def cuda_estimate(dtype: str):
    return estimate_memory(SPEC, dtype, "cuda", compute_capability=(7, 5), context_tokens=2048)


def test_partial_offload_on_a_t4_by_hand():
    est = cuda_estimate("bf16")
    weights = 7_241_732_096 * 2
    assert est.weights == weights == 14_483_464_192
    fixed = 32000 * 4096 * 2 * 2                      # embeddings + untied head, bf16 = 524,288,000
    per_layer = (weights - fixed) // 32               # 436,224,256
    stays = (est.framework_baseline + est.proportional_overhead
             + max(est.load_peak_extra, est.kv_cache + est.activations) + fixed)
    vram = 15_360 * MiB                               # 16,106,127,360
    assert est.total > vram                           # 16.4 GB: not on the GPU whole
    gpu_layers = (vram - stays) // per_layer - 1      # one layer's room kept for the offloaded layer running
    assert (per_layer, gpu_layers) == (436_224_256, 30)
    offloaded = (32 - gpu_layers) * per_layer         # 872,448,512 bytes in RAM
    # decode: GPU share at 320 GB/s + the offloaded share over PCIe 3.0 (~12 GB/s) vs all at 320 GB/s
    slowdown = ((weights - offloaded) / 320e9 + offloaded / 12e9) / (weights / 320e9)
    assert slowdown == pytest.approx(2.546, abs=1e-3)
    v = verdict(SPEC, "bf16", T4, context_tokens=2048)
    assert v.kind is FitKind.OFFLOAD and v.tier == "offload" and v.label == "Partial offload"
    plan = v.offload
    assert (plan.gpu_layers, plan.per_layer, plan.fixed_weights, plan.offloaded) == (30, per_layer, fixed, offloaded)
    assert plan.slowdown == pytest.approx(slowdown)
    assert plan.gpu_bytes == stays + 31 * per_layer <= vram
    assert plan.ram_bytes == CPU_IMPORT_BYTES + CPU_LOAD_MACHINERY_BYTES + offloaded
    assert plan.max_memory(10**10) == {0: fixed + 31 * per_layer, "cpu": 10**10}
    assert "30 of 32 layers on the GPU, 2 in RAM (872 MB); ~2.5× slower" in v.reason


def test_tier_boundaries_by_hand():
    est = cuda_estimate("bf16")
    fixed, per_layer = 524_288_000, 436_224_256
    stays = est.total - est.weights + fixed
    # the GPU holds it whole: fits on the GPU (tight within 15 % of the limit)
    assert verdict(SPEC, "bf16", t4_with(est.total), context_tokens=2048).tier == "gpu"
    assert verdict(SPEC, "bf16", t4_with(int(est.total / 0.8)), context_tokens=2048).kind is FitKind.FITS_GPU
    # one byte less: 31 layers fit, one is kept free for the offloaded layer → 30 on the GPU
    v = verdict(SPEC, "bf16", t4_with(est.total - 1), context_tokens=2048)
    assert v.tier == "offload" and v.offload.gpu_layers == 30
    # room for exactly 2 layers beside what stays → 1 layer on the GPU, the smallest offload
    v = verdict(SPEC, "bf16", t4_with(stays + 2 * per_layer), context_tokens=2048)
    assert v.tier == "offload" and v.offload.gpu_layers == 1 and v.offload.offloaded == 31 * per_layer
    # a byte less: no layer fits → CPU only (the model needs ~15 GB of RAM there: 64 GB hold it)
    v = verdict(SPEC, "bf16", t4_with(stays + 2 * per_layer - 1, ram=64 * 10**9), context_tokens=2048)
    assert v.kind is FitKind.FITS_CPU and v.tier == "cpu" and "runs on CPU only" in v.reason
    # the offloaded layers must fit in RAM too: 16 GB cannot hold 31 layers; nor the whole model
    v = verdict(SPEC, "bf16", t4_with(stays + 2 * per_layer), context_tokens=2048)
    assert v.tier == "offload"  # 31 × 436 MB = 13.5 GB + 0.4 GB fit in 16 GB
    v = verdict(SPEC, "bf16", t4_with(stays + 2 * per_layer, ram=13 * 10**9), context_tokens=2048)
    assert v.kind is FitKind.NO_FIT and v.tier == "none"
    # at fp32 on the real T4: 16 of 32 GB would wait in 16 GB of RAM: does not fit
    assert verdict(SPEC, "fp32", T4, context_tokens=2048).tier == "none"
    assert verdict(SPEC, "int8", T4, context_tokens=2048).tier == "gpu"
    # no GPU: CPU only, or nothing
    cpu_host = Hardware("cpu box", 64 * 10**9, None, 8, (), True)
    assert verdict(SPEC, "bf16", cpu_host, context_tokens=2048).tier == "cpu"


def test_no_offload_plan_without_layers_or_when_it_fits():
    est = cuda_estimate("bf16")
    assert offload_plan(est, None, 10**9) is None
    assert offload_plan(est, replace(CONFIG, num_layers=None), 10**9) is None
    assert offload_plan(est, CONFIG, est.total * 2) is None  # every layer fits: not an offload
    assert link_of("NVIDIA A100-SXM4-80GB")[1] == 25e9 and link_of("Tesla T4")[1] == 12e9
    assert link_of("Radeon") is None
    plan = offload_plan(est, CONFIG, est.total - 1, "unknown GPU")
    assert plan is not None and plan.slowdown is None and "slower" not in plan.summary


# ---- the runner loads with offload when that tier is chosen ---------------------------------------------

def test_offload_load_goes_through_accelerate_and_answers_as_a_plain_load(tiny_model):
    """A small ``max_memory`` on the CPU: accelerate keeps the embeddings and head in RAM and offloads
    the transformer blocks to disk (their weights on the meta device until they run); the generated
    text is the plain load's."""
    from lib.runner import RunOptions, prepare, run
    from lib.runner.cache import ModelCache

    folder = str(tiny_model("gpt2"))
    cache = ModelCache(budget_bytes=10**9)
    plain = RunOptions(device="cpu", dtype="fp32", max_new_tokens=8)
    split = replace(plain, max_memory={"cpu": 150_000})  # the GPT-2's 169 kB of weights do not all fit
    ready = prepare(folder, "text-generation", split, cache=cache)
    device_map = ready.loaded.pipe.model.hf_device_map
    assert "disk" in device_map.values() and device_map["transformer.wte"] == "cpu"
    assert any(p.device.type == "meta" for p in ready.loaded.pipe.model.parameters())
    a = run(folder, "text-generation", {"text": "hello world"}, split, cache=cache)
    b = run(folder, "text-generation", {"text": "hello world"}, plain, cache=cache)
    assert a.output == b.output and a.output
    assert len(cache.keys()) == 2  # the offloaded load and the plain one are cached apart


def test_gate_allows_the_offload_tier_with_max_memory():
    from lib.fit.gate import fit_gate

    host = Hardware("This machine", 16 * 10**9, 12 * 10**9, 4, (GPU("Tesla T4", 15_360 * MiB, 15_000 * MiB, "cuda",
                                                                    (7, 5)),))
    # one device for callers that do not load with max_memory (a session's plan): blocked, as before
    assert fit_gate("m/7b", None, "auto", "auto", host, spec=SPEC).blocked
    gate = fit_gate("m/7b", None, "auto", "auto", host, spec=SPEC, offload=True)  # auto on CUDA: bf16 on the GPU
    assert gate.allowed and not gate.blocked and gate.device == "cuda" and gate.dtype == "bf16"
    plan = gate.offload
    assert plan is not None and gate.reason.startswith("partial offload: ")
    assert gate.estimate_bytes == plan.gpu_bytes <= 15_000 * MiB
    # RAM for the weights: the available RAM less the framework, never less than the offloaded layers
    ram_for_weights = 12 * 10**9 - CPU_IMPORT_BYTES - CPU_LOAD_MACHINERY_BYTES
    assert gate.max_memory == {0: plan.gpu_weight_budget, "cpu": ram_for_weights}
    # a model that fits has no split; one whose offloaded layers RAM cannot hold stays blocked
    small = replace(SPEC, params_total=1_000_000_000)
    assert fit_gate("m/1b", None, "auto", "auto", host, spec=small, offload=True).max_memory is None
    tiny_ram = replace(host, ram_available_bytes=10**9)
    assert fit_gate("m/7b", None, "auto", "auto", tiny_ram, spec=SPEC, offload=True).blocked


# ---- KV-cache precision and batch --------------------------------------------------------------------------

def test_kv_precision_changes_the_estimate_by_the_expected_bytes():
    from lib.fit.kv import element_bytes, normalize_kv, parse_batch, unsupported

    elements = 2 * 32 * 8 * 128          # K and V × layers × kv heads × head dim, per token: 65,536
    tokens = 2048

    def est(kv: str, batch: int = 1, dtype: str = "bf16"):
        return estimate_memory(SPEC, dtype, "cpu", context_tokens=tokens, kv_dtype=kv, batch=batch)

    auto, bf16, fp8, int8, int4 = (est(k) for k in ("auto", "bf16", "fp8", "int8", "int4"))
    assert auto.kv_cache == bf16.kv_cache == tokens * elements * 2 == 268_435_456
    one_layer = tokens * elements * 2 // 32  # a quantized cache dequantizes one layer while it attends
    assert fp8.kv_cache == tokens * elements * 1 + one_layer == 142_606_336
    # group-wise int8: 1 byte + a 16-bit scale and zero per 64 elements; the newest 128 tokens stay bf16
    assert int8.kv_cache == int((tokens - 128) * elements * (1 + 4 / 64)) + 128 * elements * 2 + one_layer
    assert int4.kv_cache == int((tokens - 128) * elements * (0.5 + 4 / 64)) + 128 * elements * 2 + one_layer
    # on the CPU nothing else depends on the cache: the totals differ by the cache alone
    assert auto.total - fp8.total == auto.kv_cache - fp8.kv_cache == 125_829_120
    # batch multiplies the cache (and the activations)
    assert est("auto", batch=4).kv_cache == 4 * auto.kv_cache
    # bytes per element for the speed estimate: the model's dtype unless a quantized cache is chosen
    assert (auto.kv_element_bytes, fp8.kv_element_bytes, int8.kv_element_bytes) == (2.0, 1.0, 1.0625)
    assert est("bf16", dtype="fp32").kv_element_bytes == 4.0  # the plain cache takes the model's dtype
    assert element_bytes("fp8", 4.0) == 1.0 and element_bytes("nonsense", 2.0) == 2.0
    assert "fp8" in [p.note for p in fp8.parts() if p.key == "kv_cache"][0]
    # fp8 is built into transformers' QuantizedCache; int8/int4 need packages this install lacks
    assert unsupported("fp8") is None and unsupported("auto") is None
    assert "hqq" in unsupported("int8") and "optimum-quanto or hqq" in unsupported("int4")
    assert normalize_kv(" FP8 ") == "fp8" and normalize_kv("<script>") == "auto"
    assert parse_batch("4") == 4 and parse_batch("0") == 1 and parse_batch("1e9") == 1 and parse_batch(None) == 1
    # the verdicts take it: a 2,048-token fp8 cache is smaller on every host
    v_auto = verdict(SPEC, "int8", T4, context_tokens=tokens)
    v_fp8 = verdict(SPEC, "int8", T4, context_tokens=tokens, kv_dtype="fp8")
    assert v_fp8.required_bytes < v_auto.required_bytes


# ---- the Model page: inputs in the URL, MoE counts --------------------------------------------------------

MOE_ID = "hubscout-test/tiny-mixtral"
TINY_MIXTRAL = {"model_type": "mixtral", "architectures": ["MixtralForCausalLM"], "vocab_size": 1000,
                "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
                "num_key_value_heads": 2, "num_local_experts": 4, "num_experts_per_tok": 2,
                "max_position_embeddings": 4096, "tie_word_embeddings": False}


@pytest.fixture
def moe_repo(hub_stub, tmp_path):
    import json

    folder = tmp_path / "tiny-mixtral"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(TINY_MIXTRAL))
    hub_stub.add_repo(MOE_ID, folder, info={"pipeline_tag": "text-generation"})
    return MOE_ID


def test_model_page_keeps_context_kv_and_batch_in_the_url_and_shows_moe_counts(moe_repo):
    from lib import format as fmt
    from lib.ui import cached
    from tests.test_model_app import open_model, texts

    cached.clear()
    at = open_model({"model": moe_repo, "ctx": "1024", "kv": "fp8", "batch": "4"})
    assert not at.exception
    assert at.select_slider(key="m_ctx").value == 1024
    assert at.selectbox(key="m_kv").value == "fp8" and at.number_input(key="m_batch").value == 4
    parts = next(d.value for d in at.dataframe if "Note" in d.value.columns)
    assert "1,024 tokens × batch 4, 1 B per element (fp8)" in parts.loc["KV cache", "Note"]
    # MoE: hand count of the tiny Mixtral (h 64, 2 layers, 4 experts of 128, 2 per token, vocab 1,000)
    attn = 64 * 64 + 2 * 64 * 32 + 64 * 64
    experts = 4 * 3 * 64 * 128
    total = 2 * (attn + experts + 64 * 4 + 2 * 64) + 2 * 1000 * 64 + 64
    active = total - 2 * experts // 2          # half of each layer's experts run per token
    assert (total, active) == (350_016, 251_712)
    assert at.metric[0].value.startswith(f"{total:,} ")
    assert f"Mixture of experts: **{fmt.params(active)}** active per token (72% of the total)" in texts(at)
    assert "4 experts, 2 per token" in texts(at)
    # the URL follows the widgets; the defaults leave it
    at.selectbox(key="m_kv").set_value("int8").run()
    at.number_input(key="m_batch").set_value(1).run()
    assert at.query_params["kv"] == "int8" and "batch" not in at.query_params
    assert "not available here" in at.selectbox(key="m_kv").format_func("int8")
    # values that are not choices are ignored, never an error
    bad = open_model({"model": moe_repo, "ctx": "7", "kv": "<b>x</b>", "batch": "-3"})
    assert not bad.exception
    assert bad.select_slider(key="m_ctx").value == 2048 and bad.selectbox(key="m_kv").value == "auto"
    assert bad.number_input(key="m_batch").value == 1
