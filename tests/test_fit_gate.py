"""lib.fit.gate: the test-drive's memory gate, and the one device/dtype rule it shares with the runner."""
from pathlib import Path

from lib.fit.gate import fit_gate, planned_device_dtype, spec_for
from lib.fit.spec import model_spec
from lib.hardware import GPU, Hardware
from lib.hub.details import ModelDetails, RepoFileInfo
from lib.hub.records import ModelRecord
from lib.runner.device import FP16_ON_CPU, choose, default_device, default_dtype

CPU_BOX = Hardware("cpu box", 16 * 10**9, 12 * 10**9, 4)
CUDA_BOX = Hardware("gpu box", 64 * 10**9, 60 * 10**9, 8, (GPU("Fake GPU", 24 * 10**9, 24 * 10**9),))
MAC = Hardware("mac", 16 * 10**9, 8 * 10**9, 8, (GPU("Apple Silicon (MPS)", 16 * 10**9, None, kind="mps"),))


def test_fit_gate_blocks_big_loads_on_small_hosts(tiny_model):
    folder = str(tiny_model("text-classification"))
    small = Hardware("small", ram_total_bytes=32 * 1024**2, ram_available_bytes=32 * 1024**2)
    big = Hardware("big", ram_total_bytes=64 * 1024**3, ram_available_bytes=64 * 1024**3)
    gate = fit_gate(folder, None, "auto", "auto", small)
    assert not gate.allowed and gate.blocked and gate.estimate_bytes > 32 * 1024**2
    assert fit_gate(folder, None, "auto", "auto", small, override=True).allowed
    ok = fit_gate(folder, None, "cpu", "fp32", big)
    assert ok.allowed and not ok.blocked and ok.dtype == "fp32" and ok.device == "cpu"


def test_planned_device_and_dtype_follow_the_runner_rule():
    assert planned_device_dtype("auto", "auto", CPU_BOX) == ("cpu", "fp32")
    assert planned_device_dtype("auto", "auto", CUDA_BOX) == ("cuda", "bf16")
    assert planned_device_dtype("cuda:0", "auto", CUDA_BOX) == ("cuda", "bf16")
    assert planned_device_dtype("auto", "auto", MAC) == ("cpu", "fp16")  # MPS: estimated in process memory
    assert planned_device_dtype("cpu", "fp16", CUDA_BOX) == ("cpu", "fp32")
    # the same rule the runner and the "use this model" code use
    assert choose("auto", "auto", has_cuda=True, has_mps=False, bf16_supported=False)[:2] == ("cuda", "fp16")
    assert choose("cpu", "fp16", has_cuda=False, has_mps=False) == ("cpu", "fp32", [FP16_ON_CPU])
    assert choose(None, None, has_cuda=False, has_mps=True)[:2] == ("mps", "fp16")
    assert default_device(False, False) == "cpu" and default_dtype("cuda") == "bf16" and default_dtype("cpu") == "fp32"


def test_hub_models_are_gated_with_the_model_page_spec():
    """The gate builds its spec with lib.fit.spec.model_spec, like the Model page: the Hub's exact
    count (from details, even when the catalog record lacks it) and file sizes count."""
    rec = ModelRecord("o/big")
    details = ModelDetails("o/big", params_total=8 * 10**9, params_by_dtype={"BF16": 8 * 10**9}, record=rec,
                           pipeline_tag="text-generation")
    spec = spec_for("o/big", details)
    assert spec is not None and spec.params_total == 8 * 10**9 and spec.checkpoint_dtype == "bf16"
    gate = fit_gate("o/big", details, "auto", "auto", CPU_BOX)
    assert gate.blocked and not gate.allowed and "GB" in gate.reason
    unknown = ModelDetails("o/none", record=ModelRecord("o/none"), files=(RepoFileInfo("README.md", 10),))
    assert spec_for("o/none", unknown) is None
    assert fit_gate("o/none", unknown, "auto", "auto", CPU_BOX).allowed
    assert spec_for("not/a-folder-or-details") is None


# ---- one gate on every page (issue 8, defect 6) ------------------------------------------------------

LLAMA_405B = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
              "hidden_size": 16384, "intermediate_size": 53248, "num_hidden_layers": 126,
              "num_attention_heads": 128, "num_key_value_heads": 8, "max_position_embeddings": 131072,
              "torch_dtype": "bfloat16"}


def test_the_playground_blocks_a_405b_pickle_only_repo_like_the_model_page(hub_stub, tmp_path, monkeypatch):
    """No safetensors metadata: the Playground used to say "Model size unknown … the load is not
    checked" and Run started an 812 GB download. It now gates with the Model page's estimate
    (parameters counted from config.json) and Run downloads nothing."""
    import json

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "llama-405b"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(LLAMA_405B))
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x02not a real pickle" * 100)
    repo = "hubscout-test/llama-405b-pickle"
    hub_stub.add_repo(repo, folder, info={"pipeline_tag": "text-generation"})

    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "streamlit_app.py"), default_timeout=180)
    at.query_params.update({"model": repo})
    at.switch_page("pages/3_Playground.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(w.value for w in at.warning) + " ".join(c.value for c in at.caption)
    assert "Model size unknown" not in said
    assert any(w.value.startswith("**Memory check:**") and "GB" in w.value for w in at.warning), said
    at.button(key="pg_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not hub_stub.requests_to(f"/{repo}/resolve/main/pytorch_model.bin")
    assert not [r for r in hub_stub.requests_to(f"/{repo}/") if "pytorch_model.bin" in r.path]


def test_the_gate_estimates_a_pickle_only_repo_from_its_weight_files():
    """Without a count or a config, the weight files' sizes give the estimate (the Model page's
    rule, lib.parameters): 812 GB of pickle files are never "size unknown"."""
    from lib.parameters import parameter_info

    files = tuple(RepoFileInfo(f"pytorch_model-{i:05d}-of-00191.bin", 4_250_000_000) for i in range(191))
    details = ModelDetails("o/huge", record=ModelRecord("o/huge"), files=files, pipeline_tag="text-generation",
                           pickle_only=True)
    params = parameter_info(details)
    assert params.kind == "estimated" and params.total > 100 * 10**9
    spec = spec_for("o/huge", details)
    assert spec is None  # the details alone do not know the size …
    gate = fit_gate("o/huge", details, "auto", "auto", CPU_BOX, spec=model_spec(details, None, params))
    assert gate.blocked and not gate.allowed and "GB" in gate.reason  # … the page's parameter rule does
