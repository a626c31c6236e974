"""lib.fit.gate: the test-drive's memory gate, and the one device/dtype rule it shares with the runner."""
from lib.fit.gate import fit_gate, planned_device_dtype, spec_for
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
