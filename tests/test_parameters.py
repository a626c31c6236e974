"""lib.parameters: exact, counted, estimated or unknown parameter counts for the Model page."""
from lib.hub.details import ModelDetails, RepoFileInfo
from lib.hub.records import ModelRecord
from lib.parameters import count_from_config, needs_config_count, parameter_info


def test_parameter_info_falls_back_from_exact_to_counted_to_estimated():
    exact = ModelDetails("o/a", params_by_dtype={"BF16": 10, "F32": 2}, params_total=12)
    info = parameter_info(exact)
    assert info.kind == "exact" and info.total == 12 and info.by_dtype == (("BF16", 10), ("F32", 2))
    bare = ModelDetails("o/b", files=(RepoFileInfo("pytorch_model.bin", 4000),))
    assert parameter_info(bare, counted=999).kind == "counted"
    est = parameter_info(bare, config={"torch_dtype": "float16"}, count_note="custom code")
    assert est.kind == "estimated" and est.total == 2000 and "float16" in est.source and "custom code" in est.source
    assert est.headline == "~2k (estimated)"
    named = ModelDetails("o/c", record=ModelRecord("o/c", params_total=7 * 10**9, param_source="model name"))
    assert parameter_info(named).kind == "estimated" and "model name" in parameter_info(named).source
    assert parameter_info(ModelDetails("o/d")).kind == "unknown"


def test_estimates_from_weight_bytes_use_the_declared_dtype_else_fp32_or_gguf():
    bare = ModelDetails("o/b", files=(RepoFileInfo("pytorch_model.bin", 4000),))
    assert parameter_info(bare, config={"torch_dtype": "bfloat16"}).total == 2000
    assert parameter_info(bare, config={"dtype": "float32"}).total == 1000
    assert parameter_info(bare).total == 1000 and "float32 assumed" in parameter_info(bare).source
    gguf = ModelDetails("o/g", files=(RepoFileInfo("m.Q4_K_M.gguf", 600),))
    assert parameter_info(gguf).total == 1000 and "GGUF" in parameter_info(gguf).source


def test_count_from_config_never_builds_custom_code_and_says_why():
    assert count_from_config(None, "the repo has no config.json", lambda c: 1) == (
        None, "not counted from config: the repo has no config.json")
    assert count_from_config({"auto_map": {"AutoModel": "x.Y"}}, None, lambda c: 1)[1].endswith("custom code")
    assert count_from_config({"model_type": "gpt2"}, None, lambda c: 42) == (42, None)
    assert count_from_config({"model_type": "x"}, None, lambda c: None)[1] == "transformers cannot build this config"

    def broken(_):
        raise RuntimeError("no")

    assert "RuntimeError" in count_from_config({"model_type": "x"}, None, broken)[1]
    assert needs_config_count(ModelDetails("o/x")) and not needs_config_count(ModelDetails("o/y", params_total=5))
