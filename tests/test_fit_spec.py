"""lib.fit.spec: ModelSpec builders (Hub details, local folders), architecture facts, context choices."""
from lib.fit.spec import (
    ModelSpec,
    context_choices,
    default_context,
    fit_config,
    folder_spec,
    model_config,
    model_spec,
)
from lib.hub.details import ModelDetails, RepoFileInfo
from lib.hub.records import ModelRecord
from lib.model_lookup import ModelLookup
from lib.parameters import ParamInfo


def test_context_choices():
    assert context_choices(4096) == [128, 256, 512, 1024, 2048, 4096]
    assert context_choices(1000)[-1] == 1000 and context_choices(None)[-1] == 32_768
    assert default_context(context_choices(131_072)) == 2048 and default_context([128]) == 128


def test_model_spec_merges_the_details_into_the_record():
    rec = ModelRecord("o/m", tags=("a",))
    details = ModelDetails("o/m", pipeline_tag="text-generation", gated="manual", tags=("b", "custom_code"),
                           files=(RepoFileInfo("pytorch_model.bin", 4000),), pickle_only=True, custom_code=True,
                           record=rec)
    spec = model_spec(details, None, ParamInfo(1000, (), "estimated", "from weight files"))
    assert isinstance(spec, ModelSpec) and spec.pipeline_tag == "text-generation" and spec.gated == "manual"
    assert spec.params_total == 1000 and not spec.params_exact and spec.pickle_weights and spec.requires_custom_code
    assert spec.is_generative and spec.size_known
    # no record at all: the details alone
    assert model_spec(ModelDetails("o/n", params_total=12)).params_total == 12
    assert not model_spec(ModelDetails("o/x")).size_known


def test_gguf_repos_are_estimated_from_their_smallest_file():
    details = ModelDetails("o/g", files=(RepoFileInfo("m.Q8_0.gguf", 8_000), RepoFileInfo("m.Q4_K_M.gguf", 4_000)),
                           record=ModelRecord("o/g", tags=("gguf",)))
    spec = model_spec(details)
    assert spec.quantized_bytes == 4_000 and spec.quant_method == "gguf" and spec.is_quantized


def test_fit_config_prefers_config_json_then_the_offline_snapshot():
    cfg = {"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4,
           "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 512}
    live = ModelLookup("o/m", details=ModelDetails("o/m"), config=cfg)
    assert fit_config(live).origin == "config.json" and fit_config(live).note is None
    rec = ModelRecord("o/m", extra={"config": {k: v for k, v in cfg.items() if k != "intermediate_size"},
                                    "config_source": {"name": "llmfit", "date": "2025-01-01"}})
    offline = ModelLookup("o/m", details=ModelDetails("o/m", source="offline", record=rec))
    fc = fit_config(offline)
    assert fc.origin == "snapshot" and "llmfit, 2025-01-01" in fc.note and "intermediate" in fc.note
    assert fit_config(ModelLookup("o/m", details=ModelDetails("o/m"))).origin == "none"
    assert model_config(None) is None and model_config({"model_type": "x"}) is not None


def test_folder_spec_reads_the_config_and_needs_a_count(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 2}')
    spec = folder_spec(tmp_path, 1234, "text-classification")
    assert spec.params_total == 1234 and spec.params_exact and spec.config.hidden_size == 32
    assert folder_spec(tmp_path, None) is None
    (tmp_path / "config.json").write_text("not json")
    assert folder_spec(tmp_path, 10).config is None
