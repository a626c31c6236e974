"""Refusals before loading, bad inputs, cache behaviour and generated code."""
from __future__ import annotations

import io
import threading
import time
import wave

import numpy as np
import pytest

from lib.runner import BadInput, LoadRefused, NotRunnable, RemoteCodeRefused, RunOptions, TaskMismatch, run
from lib.runner import code as code_mod
from lib.runner.cache import ModelCache, parse_bytes
from lib.runner.inputs import MAX_UPLOAD_BYTES, validate

OPTS = RunOptions(max_new_tokens=4)


# ------------------------------------------------------------------ checks before load
@pytest.mark.parametrize("kind,task,words", [
    ("bert-base", "text-classification", "randomly"),
    ("gpt2", "fill-mask", "masked-language-model"),
    ("bert-sequence", "zero-shot-classification", "entailment"),
    ("gpt2", "translation", "Decoder-only"),
    ("vit", "object-detection", "object-detection head"),
])
def test_wrong_task_model_is_refused_before_loading(kind, task, words, tiny_model):
    cache = ModelCache(budget_bytes=10**9)
    inputs = {"text": "hello [MASK]", "labels": "a, b"} if task != "object-detection" else \
        {"image": np.zeros((8, 8, 3), "uint8").tobytes()}
    if task == "object-detection":
        from PIL import Image
        inputs = {"image": Image.new("RGB", (8, 8))}
    with pytest.raises(TaskMismatch) as e:
        run(str(tiny_model(kind)), task, inputs, OPTS, cache=cache)
    assert words in str(e.value)
    assert cache.loads == 0


def test_custom_code_needs_opt_in(tiny_model):
    cache = ModelCache(budget_bytes=10**9)
    with pytest.raises(RemoteCodeRefused, match="remote code"):
        run(str(tiny_model("custom-code")), "text-classification", {"text": "hi"}, OPTS, cache=cache)
    assert cache.loads == 0


def test_too_large_estimate_blocks_the_load(tiny_model):
    cache = ModelCache(budget_bytes=10**9)
    with pytest.raises(LoadRefused, match="needs 30 GB"):
        run(str(tiny_model("bert-sequence")), "text-classification", {"text": "hi"}, OPTS,
            allowed=(False, "needs 30 GB, this machine has 8 GB"), cache=cache)
    assert cache.loads == 0


def test_not_runnable_task_says_why(tiny_model):
    with pytest.raises(NotRunnable):
        run(str(tiny_model("bert-base")), "text-to-image", {"text": "a cat"}, OPTS)


# ------------------------------------------------------------------ bad inputs
def _wav(seconds=0.1, rate=16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes((np.sin(np.arange(int(seconds * rate)) / 5) * 3000).astype("<i2").tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("kind,raw,msg", [
    ("text", {"text": "   "}, "empty"),
    ("text_labels", {"text": "x", "labels": " , "}, "at least one"),
    ("image", {"image": b"this is not an image"}, "not an image"),
    ("image", {"image": None}, "Upload an image"),
    ("image", {"image": b"\x89PNG" + b"0" * (MAX_UPLOAD_BYTES + 1)}, "limit is 20 MB"),
    ("audio", {"audio": b"RIFF\x00\x00garbage"}, "the file is corrupt or not an audio format"),
    ("question_context", {"question": "q", "context": ""}, "context"),
    ("table_question", {"table": {"a": [1, 2], "b": [1]}, "text": "q"}, "same"),
])
def test_bad_inputs_give_clear_messages(kind, raw, msg):
    with pytest.raises(BadInput, match=msg):
        validate(kind, raw)


def test_huge_text_is_truncated_with_notice_and_wav_decodes():
    clean, notices = validate("text", {"text": "a" * 100_000})
    assert len(clean["text"]) == 20_000 and "100,000" in notices[0]
    clean, _ = validate("audio", {"audio": _wav()})
    assert clean["audio"]["sampling_rate"] == 16000 and clean["audio"]["array"].dtype == np.float32


def test_fill_mask_without_mask_token(tiny_model):
    with pytest.raises(BadInput, match=r"\[MASK\]"):
        run(str(tiny_model("bert-mlm")), "fill-mask", {"text": "no mask here"}, OPTS,
            cache=ModelCache(budget_bytes=10**9))


# ------------------------------------------------------------------ cache
def test_second_load_costs_nothing(tiny_model):
    cache = ModelCache(budget_bytes=10**9)
    first = run(str(tiny_model("bert-sequence")), "text-classification", {"text": "hi"}, OPTS, cache=cache)
    second = run(str(tiny_model("bert-sequence")), "text-classification", {"text": "hi"}, OPTS, cache=cache)
    assert not first.cached and first.load_s > 0
    assert second.cached and second.load_s == 0 and cache.loads == 1


def test_lru_eviction_under_budget():
    cache = ModelCache(budget_bytes=100)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    cache.get("a")  # a is now most recent
    cache.put("c", "C", 40)
    assert cache.keys() == ["a", "c"] and cache.evictions == ["b"]
    cache.put("huge", "H", 500)  # larger than the budget: kept alone
    assert cache.keys() == ["huge"]


def test_concurrent_first_loads_load_once():
    cache = ModelCache(budget_bytes=10**9)
    calls = []

    def loader():
        calls.append(1)
        time.sleep(0.2)
        return object(), 10

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_load("k", loader)[0].value))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1


def test_load_timeout_is_typed():
    from lib.runner import LoadTimeout

    cache = ModelCache(budget_bytes=10**9)
    with pytest.raises(LoadTimeout):
        cache.get_or_load("slow", lambda: (time.sleep(0.5), 1), timeout_s=0.05)
    time.sleep(0.6)
    assert "slow" in cache  # the background load still lands


def test_budget_parsing(monkeypatch):
    assert parse_bytes("4GB") == 4 * 10**9 and parse_bytes("4GiB") == 4 * 1024**3 and parse_bytes("1000") == 1000
    monkeypatch.setenv("HUBSCOUT_MODEL_MEMORY_BUDGET", "2GB")
    assert ModelCache().budget_bytes == 2 * 10**9


# ------------------------------------------------------------------ generated code runs
@pytest.mark.parametrize("task,kind,inputs", [
    ("text-classification", "bert-sequence", {"text": "i love it"}),
    ("question-answering", "bert-qa", {"question": "what sat", "context": "the cat sat on the mat"}),
    ("summarization", "t5", {"text": "the cat sat on the mat"}),
    ("fill-mask", "bert-mlm", {"text": "the cat sat on the [MASK]"}),
    ("text-generation", "gpt2", {"text": "hello"}),
    ("sentence-similarity", "bert-base", {"source": "the cat", "sentences": ["a dog", "a cat"]}),
    ("zero-shot-classification", "bert-zeroshot", {"text": "i love it", "labels": ["film", "sport"]}),
])
def test_generated_code_runs(task, kind, inputs, tiny_model, capsys):
    folder = str(tiny_model(kind))
    s = code_mod.snippets(folder, task, "cpu", "fp32", inputs=inputs,
                          config=__import__("json").loads((tiny_model(kind) / "config.json").read_text()),
                          opts=OPTS)
    assert "dtype=" in s.auto and "torch_dtype" not in s.auto and "inference_mode" in s.auto and ".eval()" in s.auto
    exec(compile(s.auto, "<auto>", "exec"), {})
    if s.pipeline:
        exec(compile(s.pipeline, "<pipeline>", "exec"), {})
    else:
        assert task in code_mod.REMOVED or task == "sentence-similarity"
    assert capsys.readouterr().out.strip()


def test_removed_pipelines_get_auto_code_only():
    s = code_mod.snippets("google-t5/t5-small", "translation", "cuda", "bf16")
    assert s.pipeline is None and "AutoModelForSeq2SeqLM" in s.auto and "torch.bfloat16" in s.auto


@pytest.mark.parametrize("fmt,subtype",
                         [("WAV", "FLOAT"), ("FLAC", "PCM_16"), ("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III")])
def test_common_audio_formats_decode_to_mono_float(fmt, subtype):
    """Users upload FLAC, OGG and MP3 as often as WAV: all decode (libsndfile, no ffmpeg)."""
    import io

    import numpy as np
    import soundfile

    from lib.runner.inputs import load_audio

    rate = 16000
    t = np.arange(rate // 2) / rate
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)], axis=1).astype(np.float32) * 0.5
    buf = io.BytesIO()
    soundfile.write(buf, stereo, rate, format=fmt, subtype=subtype)
    audio = load_audio(buf.getvalue())
    assert audio["sampling_rate"] == rate
    assert audio["array"].ndim == 1 and audio["array"].dtype == np.float32
    # lossy codecs pad or trim a little; the clip stays about half a second of real signal
    assert abs(audio["array"].size - rate // 2) < rate // 10
    assert 0.1 < float(np.abs(audio["array"]).max()) <= 1.0


# --------------------------------------------------------------------------- the UI's languages (issue 13)
def test_input_errors_and_notices_speak_the_language_they_are_made_in():
    from lib import i18n

    with pytest.raises(BadInput, match="Enter some text first"):
        validate("text", {"text": " "})
    with i18n.scope("es"):
        with pytest.raises(BadInput, match="Primero escribe algo en «texto»"):
            validate("text", {"text": " "})
        with pytest.raises(BadInput, match="Indica al menos un elemento en «etiquetas candidatas»"):
            validate("text_labels", {"text": "hola", "labels": " , "})
        with pytest.raises(BadInput, match="Primero sube una imagen"):
            validate("image", {"image": None})
        _, notices = validate("text", {"text": "x" * 20_001})
        assert notices == ["«texto» tenía 20.001 caracteres: solo se usan los primeros 20.000."]


def test_runner_error_titles_follow_the_language_where_they_are_read():
    from lib import i18n
    from lib.runner.errors import LoadTimeout, RemoteFailed, described

    err = BadInput("x")
    assert err.title == "Check the input" and RemoteFailed.title == "The remote run failed"
    with i18n.scope("es"):
        assert err.title == "Revisa la entrada"
        assert RemoteFailed.title == "La ejecución remota falló"
        assert LoadTimeout.title == "Se agotó el tiempo de carga"
        assert described(RuntimeError(""), "a test").startswith("un error interno (los detalles están en el registro")


def test_model_checks_and_device_messages_in_spanish():
    from lib import i18n, tasks
    from lib.runner.cache import place_message
    from lib.runner.checks import check_model, weights_problem
    from lib.runner.device import choose

    spec = tasks.get("text-classification")
    bert = {"architectures": ["BertForMaskedLM"], "model_type": "bert"}
    with pytest.raises(TaskMismatch, match="which has no a sequence-classification head"):
        check_model(bert, spec)
    assert place_message(2) == "2nd in line for a model load (one model loads at a time)"
    with i18n.scope("es"):
        with pytest.raises(TaskMismatch, match="que no tiene una cabeza de clasificación de secuencias"):
            check_model(bert, spec)
        with pytest.raises(RemoteCodeRefused, match="Este modelo ejecuta código de su propio repositorio"):
            check_model({"auto_map": {"AutoModel": "x.Y"}}, spec)
        assert weights_problem(["model.gguf"], "org/m").startswith("org/m solo trae pesos GGUF")
        assert choose("cpu", "fp16", has_cuda=False, has_mps=False)[2] == [
            "fp16 es lento o no está soportado en CPU: se ejecuta en fp32."]
        assert place_message(2) == "2.º en la cola para cargar un modelo (se carga un modelo a la vez)"
        with pytest.raises(NotRunnable, match="Los modelos generativos de imagen"):
            run("org/m", "text-to-image", {"text": "x"})


def test_the_code_view_stays_code_in_every_language():
    """Code is shown as code: the same script (its comments, its example sentences) in both languages."""
    from lib import i18n

    en = code_mod.snippets("google-t5/t5-small", "translation", "cpu", "fp32")
    with i18n.scope("es"):
        es = code_mod.snippets("google-t5/t5-small", "translation", "cpu", "fp32")
    assert es == en
