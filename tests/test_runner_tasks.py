"""Every runnable task loads a tiny local model, runs and returns normalised output."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lib import tasks as registry
from lib.runner import RunOptions, run
from lib.runner.cache import ModelCache

IMG = Image.fromarray((np.random.default_rng(0).random((48, 64, 3)) * 255).astype("uint8"))
AUDIO = (np.random.default_rng(0).standard_normal(8000).astype("float32") * 0.1, 8000)

CASES = {
    "text-classification": ({"text": "i love this movie"}, ["labels", "scores"]),
    "token-classification": ({"text": "john works at google in london"}, ["text", "entities"]),
    "fill-mask": ({"text": "the cat sat on the [MASK]"}, ["labels", "scores", "sequences"]),
    "feature-extraction": ({"text": "hello world"}, ["dim", "vector", "norm"]),
    "zero-shot-classification": ({"text": "i love this movie", "labels": "sport, film"}, ["labels", "scores"]),
    "text-generation": ({"text": "hello"}, ["text", "chat"]),
    "image-classification": ({"image": IMG}, ["labels", "scores"]),
    "object-detection": ({"image": IMG}, ["boxes", "image_size"]),
    "image-segmentation": ({"image": IMG}, ["masks", "image_size"]),
    "zero-shot-image-classification": ({"image": IMG, "labels": ["cat", "dog"]}, ["labels", "scores"]),
    "image-text-to-text": ({"image": IMG, "text": "a photo of"}, ["text"]),
    "image-to-text": ({"image": IMG, "text": ""}, ["text"]),
    "automatic-speech-recognition": ({"audio": AUDIO}, ["text"]),
    "audio-classification": ({"audio": AUDIO}, ["labels", "scores"]),
    "text-to-audio": ({"text": "hello world"}, ["audio", "sampling_rate"]),
    "text-to-speech": ({"text": "hello world"}, ["audio", "sampling_rate"]),
    "depth-estimation": ({"image": IMG}, ["depth"]),
    "table-question-answering": ({"table": {"city": ["paris", "london"], "people": [2, 9]}, "text": "which city"},
                                 ["text", "cells"]),
    "document-question-answering": ({"image": IMG, "text": "what is the total?"}, ["text", "score"]),
    "translation": ({"text": "the cat sat"}, ["text"]),
    "summarization": ({"text": "the cat sat on the mat"}, ["text"]),
    "text2text-generation": ({"text": "the cat sat"}, ["text"]),
    "question-answering": ({"question": "what sat", "context": "the cat sat on the mat"}, ["answer", "score"]),
    "sentence-similarity": ({"source": "the cat", "sentences": ["a dog", "the cat sat"]}, ["scores", "matrix"]),
}

OPTS = RunOptions(max_new_tokens=4, threshold=0.0)


def test_every_runnable_task_has_a_case():
    runnable = {t for t, s in registry.registry().items() if s.runnable}
    assert runnable <= set(CASES), runnable - set(CASES)


@pytest.fixture(scope="module")
def cache():
    return ModelCache(budget_bytes=2 * 1024**3)


@pytest.mark.parametrize("task", sorted(CASES))
def test_task_runs(task, tiny_model, cache):
    inputs, keys = CASES[task]
    folder = tiny_model(task if task != "image-to-text" else "vit-gpt2")
    res = run(str(folder), task, inputs, OPTS, cache=cache)
    spec = registry.get(task)
    assert res.renderer == spec.renderer
    for k in keys:
        assert k in res.output, (task, res.output.keys())
    assert res.device == "cpu" and res.dtype == "fp32"
    assert res.latency_s > 0 and res.peak_memory_bytes > 0 and res.memory_kind == "process_rss_peak"
    assert res.code.strip()
    if spec.renderer == "scores":
        s = res.output["scores"]
        assert s == sorted(s, reverse=True) and all(0 <= x <= 1 for x in s)
    if task == "zero-shot-classification":
        assert sorted(res.output["labels"]) == ["film", "sport"]
    if task == "object-detection":
        b = res.output["boxes"][0]
        assert 0 <= b["xmin"] <= b["xmax"] <= 64 and 0 <= b["ymin"] <= b["ymax"] <= 48
    if task == "image-segmentation":
        assert res.output["masks"][0]["mask"].shape == (48, 64)
    if task == "text-to-audio":
        assert res.output["audio"].ndim == 1 and res.output["audio"].size > 0
    if task == "question-answering":
        o = res.output
        assert o["context"][o["start"]:o["end"]] == o["answer"] and o["answer"]
    if task == "sentence-similarity":
        assert len(res.output["scores"]) == 2
    if task == "document-question-answering":  # tiny Donut: a random but well-formed generated answer, no score
        assert isinstance(res.output["text"], str) and res.output["text"] and res.output["score"] is None
    if task == "feature-extraction":
        assert res.output["dim"] == 32 and abs(res.output["norm"] - 1) < 1e-4


def test_seq2seq_prefix_notice(tiny_model, cache):
    res = run(str(tiny_model("t5")), "summarization", {"text": "the cat sat"}, OPTS, cache=cache)
    assert any("summarize:" in n for n in res.notices)


def test_chat_and_plain_generation(tiny_model, cache):
    chat = run(str(tiny_model("gpt2")), "text-generation", {"text": "hello"}, OPTS, cache=cache)
    plain = run(str(tiny_model("gpt2-plain")), "text-generation", {"text": "hello"}, OPTS, cache=cache)
    assert chat.output["chat"] is True and plain.output["chat"] is False
    assert any("no chat template" in n for n in plain.notices)


def test_encoder_decoder_as_text_generation_is_routed_to_seq2seq(tiny_model, cache):
    res = run(str(tiny_model("t5")), "text-generation", {"text": "the cat"}, OPTS, cache=cache)
    assert any("encoder-decoder" in n for n in res.notices)


def test_long_qa_context_uses_windows(tiny_model, cache):
    ctx = "the cat sat on the mat " * 120
    res = run(str(tiny_model("bert-qa")), "question-answering", {"question": "what sat", "context": ctx}, OPTS,
              cache=cache)
    assert any("overlapping windows" in n for n in res.notices)
    o = res.output
    assert ctx[o["start"]:o["end"]] == o["answer"]


def test_long_text_is_truncated_with_notice(tiny_model, cache):
    res = run(str(tiny_model("bert-sequence")), "text-classification", {"text": "good " * 100_000}, OPTS, cache=cache)
    assert any("20,000" in n for n in res.notices)
    assert any("tokens long" in n for n in res.notices)


def test_real_minilm_similarity_is_sensible(minilm_path, cache):
    res = run(str(minilm_path), "sentence-similarity",
              {"source": "A man is eating food.", "sentences": ["A man is eating a meal.", "A plane is taking off."]},
              OPTS, cache=cache)
    related, unrelated = res.output["scores"]
    assert related > unrelated + 0.3
    assert res.output["pooling"] == "sentence-transformers (mean)"  # its own pooling config, read by Hub Scout
    fe = run(str(minilm_path), "feature-extraction", {"text": "hello"}, OPTS, cache=cache)
    assert fe.output["dim"] == 384


def test_download_path_reports_byte_progress(tiny_model, hub_stub, cache):
    hub_stub.add_repo("tiny/bert-sst", tiny_model("bert-sequence"))
    seen = []
    res = run("tiny/bert-sst", "text-classification", {"text": "i love it"}, OPTS, progress=seen.append,
              cache=cache)
    stages = [p.stage for p in seen]
    assert "download" in stages and stages[-1] == "ready"
    downloads = [p for p in seen if p.stage == "download"]
    assert downloads[-1].done_bytes > 0 and downloads[-1].done_bytes == downloads[-1].total_bytes
    assert res.output["labels"]
    assert 'pipeline("text-classification", model=\'tiny/bert-sst\'' in res.code


@pytest.mark.parametrize("fault", [503, "reset"])
def test_hub_down_runs_the_cached_copy_or_says_why(tiny_model, hub_stub, fault):
    """Reruns of a Hub model ask the Hub nothing; once its facts are stale and the Hub fails, the
    copy in the local cache still runs (with a notice); a model not cached gives ModelUnavailable
    with the reason — never the HTTP client's traceback."""
    from lib.runner.errors import ModelUnavailable
    from lib.runner.loader import forget_hub_facts

    hub_stub.add_repo("tiny/cached-bert", tiny_model("bert-sequence"))
    shared = ModelCache(budget_bytes=2 * 1024**3)
    run("tiny/cached-bert", "text-classification", {"text": "warm the cache"}, OPTS, cache=shared)
    asked = len(hub_stub.requests)
    run("tiny/cached-bert", "text-classification", {"text": "again"}, OPTS, cache=shared)
    assert len(hub_stub.requests) == asked  # the rerun of a loaded model made no Hub request
    forget_hub_facts()  # as after FACTS_TTL_S
    hub_stub.set_fault(fault)
    res = run("tiny/cached-bert", "text-classification", {"text": "offline now"}, OPTS,
              cache=ModelCache(budget_bytes=2 * 1024**3))
    assert res.output["labels"]
    assert any("using the copy of tiny/cached-bert in the local cache" in n for n in res.notices)
    with pytest.raises(ModelUnavailable, match="not in the local cache"):
        run("tiny/never-downloaded", "text-classification", {"text": "x"}, OPTS,
            cache=ModelCache(budget_bytes=2 * 1024**3))


def _cuda():
    import torch

    return torch.cuda.is_available()


@pytest.mark.skipif(not _cuda(), reason="needs a CUDA GPU")
def test_cuda_run_reports_cuda_memory(tiny_model, cache):
    res = run(str(tiny_model("bert-sequence")), "text-classification", {"text": "hi"},
              RunOptions(device="cuda", dtype="auto"), cache=cache)
    assert res.device == "cuda" and res.memory_kind == "cuda_max_allocated" and res.dtype in ("bf16", "fp16")


def test_generation_caps_max_new_tokens_to_the_models_positions(tiny_model):
    """Asking for more new tokens than the model has positions lowers the cap with a notice
    instead of failing inside the model (tiny BLIP has 64 text positions, tiny GPT-2 128)."""
    from PIL import Image as _Image

    cache = ModelCache(budget_bytes=2 * 1024**3)
    opts = RunOptions(max_new_tokens=512)
    res = run(str(tiny_model("image-text-to-text")), "image-text-to-text",
              {"image": _Image.new("RGB", (32, 32), "white"), "text": ""}, opts, cache=cache)
    assert isinstance(res.output["text"], str)
    assert any("max new tokens was lowered" in n for n in res.notices)
    res = run(str(tiny_model("gpt2-plain")), "text-generation", {"text": "hello"}, opts, cache=cache)
    assert any("max new tokens was lowered" in n for n in res.notices)


DOC_Q = {"image": IMG, "text": "what is the total?"}


def test_document_qa_caps_new_tokens_and_reports_an_unfinished_answer(tiny_model, cache):
    """The tiny Donut's decoder has 64 positions: asking for 512 new tokens is lowered with a notice; without
    the closing </s_answer> (unconstrained random weights) the answer is empty with a notice, not "None"."""
    res = run(str(tiny_model("donut")), "document-question-answering", DOC_Q, RunOptions(max_new_tokens=512),
              cache=cache)
    assert any("max new tokens was lowered from 512" in n for n in res.notices)
    assert res.output["text"]
    short = run(str(tiny_model("donut")), "document-question-answering", DOC_Q, RunOptions(max_new_tokens=2),
                cache=cache)
    assert len(short.output["text"].split()) <= len(res.output["text"].split())
    open_ = run(str(tiny_model("donut-unclosed")), "document-question-answering", DOC_Q, OPTS, cache=cache)
    assert open_.output == {"text": "", "score": None}
    assert any("did not finish an answer" in n for n in open_.notices)


def test_document_qa_question_longer_than_the_decoder_is_cut(tiny_model, cache):
    res = run(str(tiny_model("donut")), "document-question-answering", {"image": IMG, "text": "what " * 400}, OPTS,
              cache=cache)
    assert any("The question is" in n and "tokens long" in n for n in res.notices)
    assert isinstance(res.output["text"], str)


def test_layoutlm_document_qa_without_ocr_says_so(tiny_model, cache):
    from lib.runner.errors import RunFailed

    with pytest.raises(RunFailed, match="needs Tesseract OCR"):
        run(str(tiny_model("layoutlm-qa")), "document-question-answering", DOC_Q, OPTS, cache=cache)


def test_document_qa_refuses_non_donut_encoder_decoders_and_vlms(tiny_model, cache):
    from lib.runner.errors import TaskMismatch

    with pytest.raises(TaskMismatch, match="donut-swin encoder.*vit encoder"):
        run(str(tiny_model("vit-gpt2")), "document-question-answering", DOC_Q, OPTS, cache=cache)
    with pytest.raises(TaskMismatch, match="image-text-to-text"):
        run(str(tiny_model("blip")), "document-question-answering", DOC_Q, OPTS, cache=cache)


def test_sentence_transformers_run_reproduces_with_sentence_transformers_code(minilm_path, cache, capsys):
    """A sentence-transformers repo runs through sentence-transformers, and the code of the run is that
    library's own usage — which, executed, gives the same similarities."""
    inputs = {"source": "A man is eating food.", "sentences": ["A man is eating a meal.", "A plane is taking off."]}
    res = run(str(minilm_path), "sentence-similarity", inputs, RunOptions(device="cpu"), cache=cache)
    assert res.code.startswith("from sentence_transformers import SentenceTransformer")
    exec(compile(res.code, "<run code>", "exec"), {})
    printed = eval(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == pytest.approx(res.output["scores"], abs=1e-4)
