"""Plain sentence-transformers repos run through transformers' AutoModel + their own pooling config,
without importing sentence-transformers (seconds of scikit-learn, scipy.stats, pandas at the first run):
the embeddings must be SentenceTransformer.encode's, for the real all-MiniLM-L6-v2 and for tiny folders
saved by sentence-transformers itself with each pooling mode and each encoder family the route accepts.
Any other layout still loads through the library."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lib.runner import loader
from lib.runner.checks import read_config
from lib.tasks import embeddings
from lib.tasks.embeddings import PLAIN_MODEL_TYPES, POOLING_MODES, plain_sentence_transformers
from tests.support.tiny_models import _seed, bert_tokenizer

ROOT = Path(__file__).resolve().parents[1]

# different lengths (padding matters to cls / max / weightedmean / lasttoken), unknown words, and one past
# the tiny folders' max_seq_length of 12 tokens (truncation)
TEXTS = ["the cat sat on the mat", "a dog", "paris is the capital of france and berlin of germany, they say",
         "zebras xylophone", "i love this movie it is wonderful " * 3, "hello"]
REAL_TEXTS = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
              "A man is riding a horse. " * 60, "Ein Mann isst.", "ok"]


def _encoder(model_type: str, out: Path) -> Path:
    """A tiny random encoder of ``model_type`` with the WordPiece test tokenizer, saved to ``out``."""
    import transformers as T

    tok = bert_tokenizer()
    v, pad = len(tok), tok.pad_token_id
    common = dict(vocab_size=v, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                  pad_token_id=pad)
    cfg = {
        "bert": lambda: T.BertConfig(**common, max_position_embeddings=128),
        "roberta": lambda: T.RobertaConfig(**common, max_position_embeddings=130),
        "xlm-roberta": lambda: T.XLMRobertaConfig(**common, max_position_embeddings=130),
        "mpnet": lambda: T.MPNetConfig(**common, max_position_embeddings=130),
        "distilbert": lambda: T.DistilBertConfig(vocab_size=v, dim=32, n_layers=2, n_heads=2, hidden_dim=37,
                                                 max_position_embeddings=128, pad_token_id=pad),
    }[model_type]()
    _seed()
    T.AutoModel.from_config(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _st_folder(root: Path, model_type: str, modes, normalize: bool = True) -> Path:
    """A sentence-transformers folder saved by the library itself: Transformer + Pooling [+ Normalize]."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Normalize, Pooling, Transformer

    name = f"{model_type}-{'+'.join(modes) if isinstance(modes, tuple) else modes}-{int(normalize)}"
    out = root / name
    if out.exists():
        return out
    enc = root / f"enc-{model_type}"
    if not enc.exists():
        _encoder(model_type, enc)
    t = Transformer(str(enc), max_seq_length=12)
    p = Pooling(t.get_embedding_dimension(), pooling_mode=modes)
    SentenceTransformer(modules=[t, p] + ([Normalize()] if normalize else []), device="cpu").save(str(out))
    return out


@pytest.fixture(scope="module")
def st_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("st_folders")


def _light(folder: Path, dtype: str = "fp32"):
    loaded, _ = loader.load(str(folder), "run_feature_extraction", "feature-extraction", "cpu", dtype,
                            config=read_config(folder), sentence_transformers=True)
    return loaded


def _library(folder: Path, dtype: str = "fp32", texts=TEXTS) -> np.ndarray:
    import torch
    from sentence_transformers import SentenceTransformer

    m = SentenceTransformer(str(folder), device="cpu",
                            model_kwargs={"dtype": {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]})
    return np.asarray(m.encode(texts, normalize_embeddings=True, convert_to_numpy=True), dtype=np.float32)


def test_real_minilm_embeds_as_sentence_transformers_encode(minilm_path):
    layout = plain_sentence_transformers(minilm_path)
    assert layout == embeddings.StLayout(("mean",), True, 256)  # old pooling_mode_* flags, Normalize listed
    loaded = _light(minilm_path)
    assert loaded.kind == "auto" and loaded.st_layout == layout and loaded.is_sentence_transformers
    assert loaded.tokenizer.model_max_length == 256
    vecs, pooling, cut = embeddings.embed(loaded, REAL_TEXTS)
    assert pooling == "sentence-transformers (mean)"
    assert cut[3] and not any(cut[:3] + cut[4:]), "the long text is cut at max_seq_length, and said so"
    np.testing.assert_allclose(vecs, _library(minilm_path, texts=REAL_TEXTS), atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("modes", [*POOLING_MODES, ("cls", "mean")])
def test_each_pooling_mode_embeds_as_sentence_transformers_encode(st_root, modes):
    folder = _st_folder(st_root, "bert", modes, normalize=modes != "max")
    layout = plain_sentence_transformers(folder)
    assert layout is not None and layout.modes == ((modes,) if isinstance(modes, str) else modes)
    loaded = _light(folder)
    vecs, _, cut = embeddings.embed(loaded, TEXTS)
    assert cut[2] and cut[4], "texts past max_seq_length (12 tokens) are cut, as the library cuts them"
    np.testing.assert_allclose(vecs, _library(folder), atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("model_type", sorted(PLAIN_MODEL_TYPES - {"bert"}))
def test_each_encoder_family_embeds_as_sentence_transformers_encode(st_root, model_type):
    folder = _st_folder(st_root, model_type, "mean")
    assert plain_sentence_transformers(folder) is not None
    vecs, _, _ = embeddings.embed(_light(folder), TEXTS)
    np.testing.assert_allclose(vecs, _library(folder), atol=2e-5, rtol=1e-4)


def test_half_precision_pools_like_the_library(st_root):
    folder = _st_folder(st_root, "bert", "mean")
    vecs, _, _ = embeddings.embed(_light(folder, "bf16"), TEXTS)
    np.testing.assert_allclose(vecs, _library(folder, "bf16"), atol=2e-2)


def _edit(folder: Path, dest: Path, name: str, change) -> Path:
    shutil.copytree(folder, dest)
    path = dest / name
    data = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps(change(data)))
    return dest


LIBRARY_LAYOUTS = {
    "dense layer": ("modules.json", lambda m: m[:2] + [{"idx": 2, "name": "2", "path": "2_Dense",
                                                          "type": "sentence_transformers.models.Dense"}]),
    "default prompt": ("config_sentence_transformers.json",
                       lambda c: {**c, "prompts": {"query": "query: "}, "default_prompt_name": "query"}),
    "lower-casing": ("sentence_bert_config.json", lambda c: {**c, "do_lower_case": True}),
    "model kwargs": ("sentence_bert_config.json", lambda c: {**c, "model_args": {"attn_implementation": "eager"}}),
    "unknown pooling": ("1_Pooling/config.json", lambda c: {**c, "pooling_mode": "median"}),
    "other family": ("config.json", lambda c: {**c, "model_type": "t5"}),
    "custom code": ("config.json", lambda c: {**c, "auto_map": {"AutoModel": "modeling.Custom"}}),
    "requirements": ("config_sentence_transformers.json", lambda c: {**c, "requirements": ["x>=1"]}),
}


@pytest.mark.parametrize("case", sorted(LIBRARY_LAYOUTS))
def test_other_layouts_are_left_to_the_library(st_root, tmp_path, case):
    name, change = LIBRARY_LAYOUTS[case]
    folder = _edit(_st_folder(st_root, "bert", "mean"), tmp_path / "edited", name, change)
    assert plain_sentence_transformers(folder) is None


def test_an_empty_default_prompt_keeps_the_plain_route(st_root, tmp_path):
    change = LIBRARY_LAYOUTS["default prompt"][1]
    folder = _edit(_st_folder(st_root, "bert", "mean"), tmp_path / "edited", "config_sentence_transformers.json",
                   lambda c: {**change(c), "prompts": {"query": ""}})
    assert plain_sentence_transformers(folder) is not None


def test_a_layout_the_route_does_not_read_still_runs_through_the_library(st_root, tmp_path):
    folder = _edit(_st_folder(st_root, "bert", "mean"), tmp_path / "prompted", "config_sentence_transformers.json",
                   LIBRARY_LAYOUTS["default prompt"][1])
    loaded = _light(folder)
    assert loaded.kind == "sentence_transformers" and loaded.st_layout is None and loaded.is_sentence_transformers
    vecs, pooling, _ = embeddings.embed(loaded, TEXTS)
    assert pooling == "sentence-transformers"
    np.testing.assert_allclose(vecs, _library(folder), atol=1e-6)


FRESH = """
import json, sys
from lib.jobs import submit
from lib.jobs.warmup import _STEPS, warm_up, warmed
from lib.runner import RunOptions
warm_up(sentence_transformers=True).result(timeout=300)
assert warmed()
failed = {name: repr(f.exception()) for name, f in _STEPS.items() if f.exception()}
assert not failed, failed  # the torch step used to fail importing lib.runner.tasks (gone since the task split)
after_warm_up = sorted(m for m in ("sentence_transformers", "transformers.pipelines", "sklearn") if m in sys.modules)
job = submit(FOLDER, "sentence-similarity", [{"source": "A man is eating food.",
             "sentences": ["A man is eating a meal.", "A plane is taking off."]}], RunOptions(device="cpu"),
             record=False)
job.wait(300)
res = job.result(0)
print(json.dumps({"warm_up": after_warm_up, "run": [m for m in ("sentence_transformers", "transformers.pipelines")
                  if m in sys.modules], "scores": res.output["scores"], "code": res.code}))
"""


def test_a_plain_repo_warms_up_and_runs_without_sentence_transformers_or_pipelines(minilm_path):
    """Fresh process: the warm-up for a plain sentence-transformers repo and its run import neither
    sentence-transformers nor transformers.pipelines, and the run's code is the library's usage."""
    out = subprocess.run([sys.executable, "-c", FRESH.replace("FOLDER", repr(str(minilm_path)))], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["warm_up"] == [] and got["run"] == []
    assert got["code"].startswith("from sentence_transformers import SentenceTransformer")
    vecs = _library(minilm_path, texts=["A man is eating food.", "A man is eating a meal.", "A plane is taking off."])
    assert got["scores"] == pytest.approx((vecs[0] @ vecs[1:].T).tolist(), abs=1e-5)


def test_the_warm_up_imports_sentence_transformers_only_for_layouts_that_need_it(monkeypatch, st_root, tmp_path,
                                                                              minilm_path):
    from lib.jobs import warmup

    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda **kw: calls.append(kw))
    warmup.warm_up_for(str(minilm_path), "sentence-similarity")
    assert calls[-1]["sentence_transformers"] and not calls[-1]["st_library"]
    dense = _edit(_st_folder(st_root, "bert", "mean"), tmp_path / "dense", *LIBRARY_LAYOUTS["dense layer"])
    warmup.warm_up_for(str(dense), "sentence-similarity")
    assert calls[-1]["sentence_transformers"] and calls[-1]["st_library"]
    warmup.warm_up_for("someone/not-downloaded", "sentence-similarity",
                       details=type("D", (), {"library_name": "sentence-transformers", "tags": ()})())
    assert calls[-1]["st_library"], "a layout not on this machine yet: the library is imported too, as before"
    warmup.warm_up_for(str(minilm_path), "text-classification")  # e.g. a cross-encoder: a pipeline runs it
    assert not calls[-1]["sentence_transformers"]
