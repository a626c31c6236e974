"""lib.repo_files: what each repo file is, the files table, weight formats and sizes."""
from lib.hub.details import ModelDetails, RepoFileInfo
from lib.repo_files import file_kind, file_rows, formats_text, weights_total


def test_file_kinds():
    assert file_kind("model-00001-of-00002.safetensors") == "weights (safetensors)"
    assert file_kind("model.safetensors.index.json") == "weights index"
    assert file_kind("pytorch_model.bin") == "weights (pickle)"
    assert file_kind("training_args.bin").startswith("training")
    assert file_kind("q4_k_m.gguf") == "weights (GGUF)" and file_kind("onnx/model.onnx") == "weights (ONNX)"
    assert file_kind("tokenizer.json") == "tokenizer" and file_kind("modeling_x.py") == "code"


def test_files_table_lists_weights_first_with_decimal_sizes():
    files = (RepoFileInfo("config.json", 700), RepoFileInfo("model.safetensors", 1_500_000_000),
             RepoFileInfo("pytorch_model.bin", 3_000_000_000), RepoFileInfo("training_args.bin", 5))
    d = ModelDetails("o/a", files=files, weight_formats=("safetensors", "pickle"))
    rows = file_rows(d)
    assert [r.path for r in rows][:2] == ["model.safetensors", "pytorch_model.bin"]
    assert rows[0].size_text == "1.5 GB" and rows[-1].kind == "training arguments (pickle)"
    assert weights_total(d) == 1_500_000_000  # safetensors first
    assert formats_text(d) == "safetensors, pickle (.bin/.pt)"
    assert formats_text(ModelDetails("o/b", source="offline")) == "no weight files found in the local cache"
    assert weights_total(ModelDetails("o/c", files=(RepoFileInfo("model.safetensors", None),))) is None


def test_weight_kinds_are_the_normaliser_s():
    """One rule for what a weight file is (lib.hub.normalize.weight_file_kind); this module names it."""
    from lib.hub.normalize import weight_file_kind

    for path in ("a/model.safetensors", "x.gguf", "pytorch_model.bin", "m.pkl", "tf_model.h5", "m.keras",
                 "flax_model.msgpack", "m.tflite", "model.onnx", "optimizer.pt", "rng_state_0.pth", "README.md"):
        assert file_kind(path).startswith("weights") == (weight_file_kind(path) is not None), path
    assert file_kind("optimizer.pt") == "training state (pickle)"
