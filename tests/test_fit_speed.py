"""Speed estimates (issue 12): the roofline by hand for one host, the host table, the host probe cached
and reused, the token timer, RunSpeed recorded after a test-drive run, the Model page's "How fast"
section and Discover's "speed here" cell."""
from __future__ import annotations

import pytest

from lib import hardware
from lib.fit import host_probe, hosts, speed_view
from lib.fit.spec import ModelSpec
from lib.fit.speed import (
    EFF_BW_MEASURED,
    EFF_BW_VENDOR,
    EFF_COMPUTE_VENDOR,
    OVERHEAD_PER_LAYER_S,
    OVERHEAD_PER_STEP_S,
    estimate_speed,
)
from lib.modelconfig import ModelConfig

# Llama-3.2-1B's shape (bench/configs/llama-3.2-1b.json): 1,235,814,400 parameters, embeddings tied.
LLAMA_1B = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 2048,
            "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
            "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 128256, "max_position_embeddings": 131072,
            "tie_word_embeddings": True}
LLAMA_1B_PARAMS = 1_235_814_400
FAKE_PROBE = {"cpu": {"bandwidth": 20e9, "fp32": 100e9, "bf16": 25e9, "fp32_gemv": 10e9, "bf16_gemv": 5e9,
                      "bf16_mm": 1e9, "bf16_mm_gemv": 0.5e9, "layer_s": 1e-4, "step_s": 1e-3},
              "threads": 2, "seconds": 0.5, "measured_at": 1_800_000_000.0}


def llama_spec(**kw) -> ModelSpec:
    return ModelSpec(model_id="llama-1b-shaped", params_total=LLAMA_1B_PARAMS, params_exact=True,
                     config=ModelConfig.from_dict(LLAMA_1B), pipeline_tag="text-generation", **kw)


@pytest.fixture
def no_probe_memo():
    host_probe.forget()
    yield
    host_probe.forget()


# ---- the roofline, by hand ---------------------------------------------------------------------------

def test_roofline_by_hand_on_an_a100():
    a100 = hosts.vendor("NVIDIA A100 80 GB")
    assert a100.bandwidth == 2_039e9 and a100.flops["bf16"] == 312e12
    est = estimate_speed(llama_spec(), a100, "bf16", context_tokens=2048)
    # decode, one token at a context of 2,048:
    weights = 2 * 1_235_814_400  # bf16; tied embeddings: the head reads the whole matrix = 2,471,628,800 B
    kv = 2 * 16 * 8 * 64 * 2048 * 2  # 2 × layers × kv heads × head dim × tokens × 2 B = 67,108,864 B
    t_mem = (weights + kv) / (EFF_BW_VENDOR * 2_039e9)  # 2,538,737,664 B / (0.75 × 2.039 TB/s) = 1.660 ms
    flops = 2 * 1_235_814_400 + 4 * 16 * 2048 * (32 * 64)  # 2 × params + attention = 2.740 GFLOP
    t_compute = flops / (EFF_COMPUTE_VENDOR * 312e12)  # 0.018 ms: decode is memory-bound
    overhead = 16 * OVERHEAD_PER_LAYER_S["cuda"] + OVERHEAD_PER_STEP_S["cuda"]  # 16 × 0.25 ms + 2 ms = 6 ms
    assert t_compute < t_mem and est.bound == "memory"
    assert est.decode_tokens_per_s == pytest.approx(1 / (t_mem + overhead), rel=1e-9)  # ≈ 130 tok/s
    assert est.decode_tokens_per_s == pytest.approx(130.5, abs=0.5)
    assert est.bytes_per_token == weights + kv
    # prefill of the 2,048-token context: attention over half of it on average (causal)
    per_token = 2 * 1_235_814_400 + 4 * 16 * 1024 * (32 * 64)  # 2.606 GFLOP
    t_prefill = max(2048 * per_token / (EFF_COMPUTE_VENDOR * 312e12), weights / (EFF_BW_VENDOR * 2_039e9))
    assert est.prefill_tokens_per_s == pytest.approx(2048 / (t_prefill + overhead), rel=1e-9)  # ≈ 50,900 tok/s
    assert est.prefill_tokens_per_s == pytest.approx(50_930, rel=0.002)
    assert not est.calibrated and any("not yet calibrated" in n for n in est.notes)


def test_fp32_doubles_the_bytes_and_a_longer_context_reads_more_kv():
    a100 = hosts.vendor("NVIDIA A100 80 GB")
    bf16 = estimate_speed(llama_spec(), a100, "bf16", context_tokens=2048)
    fp32 = estimate_speed(llama_spec(), a100, "fp32", context_tokens=2048)
    assert fp32.bytes_per_token == 2 * bf16.bytes_per_token
    long = estimate_speed(llama_spec(), a100, "bf16", context_tokens=131072)
    assert long.bytes_per_token - bf16.bytes_per_token == 2 * 16 * 8 * 64 * (131072 - 2048) * 2
    assert long.decode_tokens_per_s < bf16.decode_tokens_per_s


def test_active_parameters_decide_speed_and_untied_input_embeddings_are_not_read():
    a100 = hosts.vendor("NVIDIA A100 80 GB")
    full = estimate_speed(llama_spec(), a100, "bf16", context_tokens=128)
    half = estimate_speed(llama_spec(), a100, "bf16", context_tokens=128, active_params=LLAMA_1B_PARAMS // 2)
    assert half.bytes_per_token < full.bytes_per_token and half.decode_tokens_per_s > full.decode_tokens_per_s
    assert any("active parameters" in n for n in half.notes)
    untied = ModelSpec(model_id="u", params_total=LLAMA_1B_PARAMS + 128256 * 2048,
                       config=ModelConfig.from_dict(LLAMA_1B | {"tie_word_embeddings": False}),
                       pipeline_tag="text-generation")
    # one more embedding matrix stored, none more read: the input one is a lookup
    assert estimate_speed(untied, a100, "bf16", context_tokens=128).bytes_per_token == full.bytes_per_token


def test_encoders_get_a_latency_per_input_not_tokens_per_second():
    bert = ModelSpec(model_id="bert", params_total=109_482_240, config=ModelConfig.from_dict({
        "model_type": "bert", "architectures": ["BertForMaskedLM"], "hidden_size": 768, "num_hidden_layers": 12,
        "num_attention_heads": 12, "intermediate_size": 3072, "vocab_size": 30522,
        "max_position_embeddings": 512}), pipeline_tag="fill-mask")
    est = estimate_speed(bert, hosts.vendor("NVIDIA T4 16 GB"), "fp32")
    assert est.decode_tokens_per_s is None and est.latency_s > 0 and est.input_tokens == 128
    assert speed_view.cell(est).endswith("ms per input")


def test_every_profile_has_a_host_row_with_a_source():
    assert [h.name for h in hosts.VENDOR] == [p.name for p in hardware.PROFILES]
    for h in hosts.VENDOR:
        assert h.source.startswith("https://") and h.bandwidth > 0 and h.flops["fp32"] > 0
        if h.device == "cuda":
            assert "from vendor bandwidth, not yet calibrated" in h.note


def test_unknown_size_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown"):
        estimate_speed(ModelSpec(model_id="x"), hosts.vendor("NVIDIA L4 24 GB"))


# ---- the host probe ------------------------------------------------------------------------------------

def test_probe_runs_once_is_stored_and_reruns_when_the_machine_changes(tmp_path, monkeypatch, no_probe_memo):
    from lib import store

    url = f"sqlite:///{tmp_path / 'hubscout.db'}"
    calls = []
    monkeypatch.setattr(host_probe, "measure", lambda: calls.append(1) or dict(FAKE_PROBE))
    assert host_probe.cached(url) is None
    assert host_probe.ensure(url)["cpu"] == FAKE_PROBE["cpu"] and calls == [1]
    host_probe.forget()  # another process: reads the store, measures nothing
    again = host_probe.ensure(url)
    assert calls == [1] and again["cpu"] == FAKE_PROBE["cpu"]
    with store.session(url) as s:
        assert store.meta_get(s, host_probe.key_for(host_probe.fingerprint())) is not None
    real = host_probe.fingerprint()
    monkeypatch.setattr(host_probe, "fingerprint", lambda: real | {"cpus": real["cpus"] + 8})
    host_probe.forget()
    assert host_probe.cached(url) is None  # a new machine: the old figures do not apply
    host_probe.ensure(url)
    assert calls == [1, 1]
    here = host_probe.host_speed(host_probe.cached(url))
    assert here.measured and here.device == "cpu" and here.bandwidth == 20e9 and here.layer_s == 1e-4


def test_the_real_probe_measures_this_machine(monkeypatch):
    # the probe's own code on small sizes (the real sizes take seconds on a quiet machine, far more on a busy one)
    monkeypatch.setattr(host_probe, "COPY_BYTES", 16 * 10**6)
    monkeypatch.setattr(host_probe, "CPU_GEMM", (16, 512))
    monkeypatch.setattr(host_probe, "CPU_GEMV", 1024)
    monkeypatch.setattr(host_probe, "CPU_ADDMM", (16, 256))
    monkeypatch.setattr(host_probe, "FRAMEWORK_TOKENS", 4)
    result = host_probe.measure()
    cpu = result["cpu"]
    assert 1e8 < cpu["bandwidth"] < 1e13  # 0.1 GB/s … 10 TB/s
    for key in host_probe.FLOP_KEYS:
        assert cpu[key] > 1e6, key
    assert cpu["layer_s"] >= 0 and cpu["step_s"] >= 0 and result["seconds"] > 0


# ---- the token timer and RunSpeed ----------------------------------------------------------------------

def test_token_timer_times_prefill_and_decode():
    import torch

    from lib.tasks.timing import timing

    with timing() as t:
        t.put(torch.zeros(1, 10))  # the prompt
        for _ in range(5):
            t.put(torch.zeros(1))
        t.end()
        t.put(torch.zeros(2, 4))  # a batch: not timed
        t.put(torch.zeros(2))
        t.end()
    (only,) = t.calls
    assert (only.prompt_tokens, only.new_tokens) == (10, 5)
    assert only.ttft_s > 0 and only.decode_tokens_per_s > 0 and only.prefill_tokens_per_s == 10 / only.ttft_s


def test_a_test_drive_run_records_its_speed_beside_the_estimate(tiny_model, tmp_path, monkeypatch, no_probe_memo):
    from lib.jobs import JobRunner, speeds
    from lib.runner import RunOptions
    from lib.runner.cache import ModelCache

    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    host_probe.save(dict(FAKE_PROBE))  # this machine's figures, as the warm-up stores them
    folder = str(tiny_model("gpt2"))
    runner = JobRunner(max_workers=1, cache=ModelCache(budget_bytes=2 * 1024**3))
    try:
        job = runner.submit(folder, "text-generation", [{"text": "Once upon a time"}],
                            RunOptions(device="cpu", dtype="fp32", max_new_tokens=6))
        assert job.wait(300) and job.items[0].ok, job.error(0)
    finally:
        runner.shutdown()
    (row,) = speeds.lookup(folder)
    assert row.backend == "local:cpu" and row.task == "text-generation" and row.dtype == "fp32"
    assert row.prompt_tokens > 0 and 1 <= row.new_tokens <= 6 and row.ttft_s > 0 and row.latency_s > 0
    assert row.prefill_tokens_per_s == pytest.approx(row.prompt_tokens / row.ttft_s)
    assert row.estimated_tokens_per_s > 0 and row.estimated_prefill_tokens_per_s > 0
    if row.new_tokens > 1:
        assert row.tokens_per_s > 0


def test_an_encoder_run_records_its_latency(tiny_model, tmp_path, monkeypatch, no_probe_memo):
    from lib.jobs import JobRunner, speeds
    from lib.runner import RunOptions
    from lib.runner.cache import ModelCache

    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    folder = str(tiny_model("text-classification"))
    runner = JobRunner(max_workers=1, cache=ModelCache(budget_bytes=2 * 1024**3))
    try:
        job = runner.submit(folder, "text-classification", [{"text": "fine"}], RunOptions(device="cpu", dtype="fp32"))
        assert job.wait(300) and job.items[0].ok, job.error(0)
    finally:
        runner.shutdown()
    (row,) = speeds.lookup(folder)
    assert row.latency_s > 0 and row.prompt_tokens is None and row.tokens_per_s is None


# ---- pages -----------------------------------------------------------------------------------------------

def test_model_page_how_fast_section(hub_stub, tiny_model, tmp_path, monkeypatch, no_probe_memo):
    import shutil

    from streamlit.testing.v1 import AppTest

    from lib.store.models import RunSpeed
    from tests.test_model_app import APP, PAGE, TINY_ID

    folder = tmp_path / "tiny-gpt2"
    shutil.copytree(tiny_model("gpt2"), folder)
    hub_stub.add_repo(TINY_ID, folder, info={"pipeline_tag": "text-generation"})
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path / "data"))  # a store of its own
    host_probe.save(dict(FAKE_PROBE))
    from lib import store

    with store.session(write=True) as s:
        s.add(RunSpeed(model_id=TINY_ID, backend="local:cpu", task="text-generation", dtype="fp32", prompt_tokens=5,
                       new_tokens=6, ttft_s=0.01, tokens_per_s=250.0, prefill_tokens_per_s=500.0, latency_s=0.03,
                       estimated_tokens_per_s=200.0, estimated_prefill_tokens_per_s=400.0, measured_at=1.0))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["model"] = TINY_ID
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any(h.value == "How fast" for h in at.subheader)
    table = next(t.value for t in at.table if t.value.index.name == "Speed on")
    assert list(table.index)[:2] == ["This machine", "Space cpu-basic"]
    assert "prefill" in table.loc["This machine", "fp32"] and "decode" in table.loc["This machine", "fp32"]
    assert "not yet calibrated" in table.loc["NVIDIA H100 80 GB", "Figures"]
    measured = next(d.value for d in at.dataframe if "Decode measured" in d.value.columns)
    row = measured.iloc[0]
    assert row["Where"] == "here, CPU" and row["Decode measured"] == "250 tok/s"
    assert row["Decode estimate"] == "200 tok/s" and row["Estimate vs measured (decode)"] == "-20%"


def test_discover_speed_cell_from_the_listing_alone():
    from lib.hub.records import ModelRecord

    here = host_probe.host_speed(FAKE_PROBE)
    rec = ModelRecord(id="a/b", pipeline_tag="text-generation", params_total=494_032_768)
    # bf16, no config (no KV cache, no layers): 988,065,536 B / (eff × 20 GB/s) vs 0.988 GFLOP / (eff × 5 GFLOP/s
    # GEMV: a decode kernel, the decode efficiency), whichever is longer, + the 1 ms step cost the probe measured
    t = max(2 * 494_032_768 / (EFF_BW_MEASURED * 20e9), 2 * 494_032_768 / (EFF_BW_MEASURED * 5e9)) + 1e-3
    text = speed_view.discover_speed(rec, here)
    assert text.endswith("tok/s") and float(text.split()[0]) == pytest.approx(1 / t, abs=0.05)
    assert speed_view.discover_speed(ModelRecord(id="c/d", pipeline_tag="fill-mask", params_total=10), here) == ""


def test_discover_speed_here_toggle(hub_stub, tmp_path, monkeypatch, no_probe_memo):
    from tests.test_discover_app import open_discover, table

    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))  # a store of its own: no probe in it yet
    at = open_discover({"task": "text-generation", "limit": "25"})
    assert "Speed here" not in table(at).columns  # off by default
    at.toggle(key="d_speed").set_value(True).run()
    assert "Speed here" not in table(at).columns  # this machine not measured yet: said, no column
    assert any("needs this machine's speed figures" in c.value for c in at.caption)
    host_probe.save(dict(FAKE_PROBE))
    at.run()
    speeds = list(table(at)["Speed here"])
    assert speeds and all(s.endswith("tok/s") for s in speeds if s) and any(speeds)


def test_speed_takes_f2s_active_parameters_and_kv_precision():
    from types import SimpleNamespace

    a100 = hosts.vendor("NVIDIA A100 80 GB")
    moe = llama_spec(moe=SimpleNamespace(active=LLAMA_1B_PARAMS // 4))  # lib.fit.moe's counts: active < total
    dense = estimate_speed(llama_spec(), a100, "bf16", context_tokens=4096)
    sparse = estimate_speed(moe, a100, "bf16", context_tokens=4096)
    assert sparse.decode_tokens_per_s > dense.decode_tokens_per_s and any("active" in n for n in sparse.notes)
    auto = speed_view.speed_table(llama_spec(), None, context_tokens=4096, dtypes=("bf16",))
    fp8 = speed_view.speed_table(llama_spec(), None, context_tokens=4096, dtypes=("bf16",), kv="fp8")
    kv_bf16 = 2 * 16 * 8 * 64 * 4096 * 2
    host = "NVIDIA A100 80 GB"
    assert auto.get(host, "bf16").bytes_per_token - fp8.get(host, "bf16").bytes_per_token == pytest.approx(
        kv_bf16 / 2, rel=0.05)  # an fp8 cache reads about half the bytes of a bf16 one
