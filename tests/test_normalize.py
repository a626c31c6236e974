"""lib/hub/normalize.py: the one reading of Hub fields (languages, licenses, library, parameter counts,
dtype sizes, weight-file kinds) that live records, the snapshot build and dump ingest share."""
from __future__ import annotations

import pytest

from lib.hub import normalize as nz


@pytest.mark.parametrize("tag", ["en", "fr", "zh", "iw", "jw", "yue", "haw", "ceb", "fil", "multilingual",
                                 "pt", "ml", "mul", "und"])
def test_language_tags_that_are_languages(tag):
    assert nz.is_language_tag(tag)


@pytest.mark.parametrize("tag", ["tf", "jax", "opt", "pdf", "glm", "gte", "nft", "vit", "mlx", "asr", "tts",
                                 "llm", "rag", "ner", "moe", "sft", "art", "gpt", "lm", "qa", "EN", "e1",
                                 "bert", "", "dataset:en", "license:mit"])
def test_tags_that_are_not_languages(tag):
    assert not nz.is_language_tag(tag)


def test_languages_card_first_then_tags_multilingual_counted():
    tags = ("transformers", "tf", "jax", "en", "fr", "multilingual", "opt", "license:mit")
    assert nz.languages(tags) == ("en", "fr", "multilingual")
    assert nz.languages(tags, ["DE", "en", " "]) == ("de", "en", "fr", "multilingual")
    assert nz.languages((), "code") == ("code",)  # a card's declaration counts as given
    assert nz.languages(None, None) == ()


def test_licenses_every_tag_then_card_and_filter_values():
    tags = ("license:mit", "en", "license:Apache-2.0", "license:mit")
    assert nz.licenses(tags) == ("mit", "apache-2.0")
    assert nz.licenses(tags, ["other", "MIT"]) == ("mit", "apache-2.0", "other")
    assert nz.licenses((), "cc-by-4.0") == ("cc-by-4.0",)
    assert nz.license_value("license:MIT") == nz.license_value(" mit ") == "mit"
    assert nz.license_value("license:") is None and nz.license_value(None) is None
    assert nz.license_tag("mit") == nz.license_tag("license:mit") == "license:mit"


def test_library_name_first_then_a_library_tag_never_a_framework_tag():
    assert nz.library("diffusers", ("transformers",)) == "diffusers"
    assert (nz.library(None, ("pytorch", "safetensors", "sentence-transformers", "transformers"))
            == "sentence-transformers")
    assert nz.library("", ("pytorch", "tf", "jax")) is None
    assert nz.library_tags("Transformers", ("pytorch", "gguf", "en")) == ("transformers", "pytorch", "gguf")


def test_param_count_exact_only_from_safetensors():
    pc = nz.param_count({"parameters": {"bf16": 10, "F32": 5}, "total": 15})
    assert (pc.total, dict(pc.by_dtype), pc.exact, pc.source) == (15, {"BF16": 10, "F32": 5}, True, "safetensors")
    assert nz.param_count({"parameters": {"BF16": 7}}).total == 7  # total missing: the sum, still exact
    est = nz.param_count(None, 7_000_000_000)
    assert est.total == 7_000_000_000 and not est.exact and est.source == "estimate"
    assert nz.param_count(None, 123, params_exact=True, param_source="safetensors.total (llmfit)").exact
    assert nz.param_count(None, float("nan")).total is None
    assert nz.param_count(None, 5, params_exact=float("nan")).exact is False
    assert nz.param_count({"parameters": None, "total": None}, None) == nz.ParamCount()


def test_dtype_sizes_and_weight_bytes():
    assert nz.dtype_bytes("bf16") == 2 and nz.dtype_bytes("F8_E4M3") == 1 and nz.dtype_bytes("F4") == 0.5
    assert nz.dtype_bytes("WEIRD") == 4 and nz.dtype_bytes(None) == 4
    assert nz.weights_bytes({"BF16": 10, "F32": 1}) == 24
    assert nz.weights_bytes({}, 10) == 40 and nz.weights_bytes(None, None) is None


def test_dtype_bytes_still_importable_from_records():
    from lib.hub.records import DTYPE_BYTES
    assert DTYPE_BYTES is nz.DTYPE_BYTES


@pytest.mark.parametrize("path,kind", [
    ("model.safetensors", "safetensors"), ("sub/MODEL-00001-of-00002.SAFETENSORS", "safetensors"),
    ("pytorch_model.bin", "pickle"), ("x.pt", "pickle"), ("x.pth", "pickle"), ("x.ckpt", "pickle"),
    ("x.pkl", "pickle"), ("x.pickle", "pickle"), ("model.gguf", "gguf"), ("onnx/model.onnx", "onnx"),
    ("tf_model.h5", "keras"), ("flax_model.msgpack", "flax"), ("m.tflite", "tflite"),
    ("training_args.bin", None), ("ckpt/optimizer.pt", None), ("model.safetensors.index.json", None),
    ("config.json", None), ("README.md", None), ("bin", None),
])
def test_weight_file_kind(path, kind):
    assert nz.weight_file_kind(path) == kind


def test_weight_formats_and_pickle_only():
    files = ["config.json", "pytorch_model.bin", "training_args.bin", "model.safetensors", "onnx/model.onnx"]
    assert nz.weight_formats(files) == ("safetensors", "pickle", "onnx")
    assert not nz.pickle_only(files)
    assert nz.pickle_only(["pytorch_model.bin", "tf_model.h5", "training_args.bin"])
    assert nz.pickle_only(("pickle",)) and not nz.pickle_only(("pickle", "gguf"))
    assert not nz.pickle_only(["training_args.bin", "config.json"])


def test_gated_values():
    assert [nz.gated_value(v) for v in (None, False, "false", "False", "auto", "MANUAL", True, "true")] == \
        [False, False, False, False, "auto", "manual", True, True]


def test_normalize_imports_nothing_else_from_lib():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(nz))
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in mods if m and (m.startswith("lib") or m.startswith("streamlit"))}
