"""The test-drive section under AppTest: refusals (wrong task, custom code, too large), bad inputs,
under the hood, state kept across reruns and errors; plus its pure logic (examples, local folders, pictures,
under the hood, the memory gate)."""
from __future__ import annotations

import io
import shutil
import wave

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lib import local_models, pictures
from lib import tasks as registry
from lib.runner.hood import under_the_hood
from lib.runner.inputs import MAX_UPLOAD_BYTES, validate


def section(model: str, task: str | None, ram_bytes: int | None = None) -> AppTest:
    """An app whose only content is render_test_drive(model, task) (optionally on a tiny host)."""

    def app(model, task, ram_bytes):
        from lib.hardware import Hardware
        from lib.ui.test_drive import render_test_drive

        hw = Hardware("test host", ram_total_bytes=ram_bytes, ram_available_bytes=ram_bytes) if ram_bytes else None
        render_test_drive(model, task, key="t", hardware=hw)

    return AppTest.from_function(app, args=(model, task, ram_bytes), default_timeout=120).run()


def errors(at: AppTest) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return [e.value for e in at.error]


@pytest.fixture(autouse=True)
def measured_store(monkeypatch, tmp_path):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))


# --------------------------------------------------------------------------- refusals
def test_wrong_task_shows_the_mismatch(tiny_model):
    at = section(str(tiny_model("text-classification")), "token-classification")
    at.button(key="t_run").click().run()
    errs = errors(at)
    assert len(errs) == 1 and errs[0].startswith("**Model and task do not match**")
    assert "token-classification head" in errs[0]


def test_custom_code_refused_without_opt_in(tiny_model):
    at = section(str(tiny_model("custom-code")), "text-classification")
    assert any("needs its own code" in c.value for c in at.caption)
    at.button(key="t_run").click().run()
    errs = errors(at)
    assert errs and errs[0].startswith("**Custom code not allowed**")
    at.checkbox(key="t_trust").check().run()  # the opt-in shows a warning (the run is not attempted)
    assert any("Remote code from the model repository will run" in w.value for w in at.warning)


def test_too_large_estimate_blocks_until_override(tiny_model, tmp_path):
    folder = tmp_path / "copy"  # a fresh path: never in the model cache
    shutil.copytree(tiny_model("text-classification"), folder)
    at = section(str(folder), "text-classification", ram_bytes=64 * 1024**2)
    assert any("blocked" in w.value for w in at.warning)
    at.button(key="t_run").click().run()
    errs = errors(at)
    assert errs and errs[0].startswith("**Model too large to load here**")
    assert not at.get("vega_lite_chart")
    at.checkbox(key="t_override").check().run()
    at.button(key="t_run").click().run()
    assert errors(at) == []
    assert len(at.get("vega_lite_chart")) == 1


# --------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("text, message", [("   ", "Enter some text first"), ("", "Enter some text first")])
def test_empty_text(tiny_model, text, message):
    at = section(str(tiny_model("text-classification")), "text-classification")
    at.text_area[0].set_value(text).run()
    at.button(key="t_run").click().run()
    errs = errors(at)
    assert errs and "**Check the input**" in errs[0] and message in errs[0]
    assert at.text_area[0].value == text  # the input is not lost


def test_hundred_thousand_characters_are_cut_with_a_notice(tiny_model):
    at = section(str(tiny_model("text-classification")), "text-classification")
    long = "the cat sat on the mat " * 4400  # > 100,000 characters
    assert len(long) > 100_000
    at.text_area[0].set_value(long).run()
    at.button(key="t_run").click().run()
    assert errors(at) == []
    notices = [i.value for i in at.info]
    assert any("only the first 20,000 are used" in n for n in notices)
    assert any("only the first" in n and "tokens were used" in n for n in notices)
    assert at.text_area[0].value == long


def test_non_image_file_as_image(tiny_model):
    at = section(str(tiny_model("image-classification")), "image-classification")
    at.get("file_uploader")[0].set_value(("photo.png", b"this is plain text, not a picture", "image/png")).run()
    errs = errors(at)
    assert any("not an image Hub Scout can read" in e for e in errs)
    at.button(key="t_run").click().run()
    assert any(e.startswith("**Check the input**") and "photo.png" in e for e in errors(at))


def test_corrupt_audio(tiny_model):
    at = section(str(tiny_model("audio-classification")), "audio-classification")
    at.get("file_uploader")[0].set_value(("clip.wav", b"RIFF\x00\x00garbage-not-a-wav", "audio/wav")).run()
    assert any("the file is corrupt or not an audio format" in e for e in errors(at))
    at.button(key="t_run").click().run()
    assert any(e.startswith("**Check the input**") for e in errors(at))


def test_oversized_upload(tiny_model):
    at = section(str(tiny_model("image-classification")), "image-classification")
    big = b"\x89PNG" + b"\x00" * (MAX_UPLOAD_BYTES + 10)
    at.get("file_uploader")[0].set_value(("huge.png", big, "image/png")).run()
    errs = errors(at)
    assert any("the limit is 20 MB" in e for e in errs)


def test_uploaded_wav_runs(tiny_model):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes((np.sin(np.arange(8000) / 5) * 8000).astype("<i2").tobytes())
    at = section(str(tiny_model("audio-classification")), "audio-classification")
    at.get("file_uploader")[0].set_value(("tone.wav", buf.getvalue(), "audio/wav")).run()
    assert errors(at) == []
    at.button(key="t_run").click().run()
    assert errors(at) == []
    assert any("Resampled the clip from 8,000 Hz" in i.value for i in at.info)  # fmt.number: the language's grouping
    assert len(at.get("vega_lite_chart")) == 1


# --------------------------------------------------------------------------- under the hood, state
def test_under_the_hood_and_outputs_survive_reruns(tiny_model):
    at = section(str(tiny_model("text-classification")), "text-classification")
    at.button(key="t_run").click().run()
    assert errors(at) == []
    labels = [e.label for e in at.expander]
    assert "Under the hood: tokenizer, logits, softmax, labels" in labels
    md = " ".join(m.value for m in at.markdown)
    assert "1. Tokenizer" in md and "4. Label mapping" in md
    assert any("AutoModelForSequenceClassification" in c.value for c in at.code)
    at.run()  # a plain rerun keeps the output
    assert len(at.get("vega_lite_chart")) == 1
    at.text_area[0].set_value("").run()  # an error later keeps the earlier output of this model/task
    at.button(key="t_run").click().run()
    assert errors(at) and len(at.get("vega_lite_chart")) == 1


def test_not_runnable_task_says_why():
    at = section("some/model", "text-to-image")
    assert not at.exception
    assert any("not runnable here" in i.value for i in at.info)


# --------------------------------------------------------------------------- pure logic
RUNNABLE = sorted(t for t, s in registry.registry().items() if s.runnable)


@pytest.mark.parametrize("task", RUNNABLE)
def test_every_example_is_valid_input(task):
    spec = registry.get(task)
    clean, notices = validate(spec.input_kind, registry.example_inputs(task, mask_token="[MASK]"))
    assert clean and notices == []


def test_examples_use_the_hub_widget_inputs_and_the_mask_token():
    assert registry.example_inputs("text-classification") == {"text": "I like you. I love you"}
    assert registry.example_inputs("fill-mask", mask_token="[MASK]") == {"text": "Paris is the [MASK] of France."}
    assert registry.example_inputs("fill-mask", mask_token="<mask>") == {"text": "Paris is the <mask> of France."}
    zs = registry.example_inputs("zero-shot-classification")
    assert zs["labels"].startswith("urgent") and zs["multi_label"] is True
    assert registry.example_inputs("question-answering")["context"].startswith("My name is Wolfgang")


def test_mask_token_and_task_guess_from_folders(tiny_model, tmp_path):
    assert local_models.mask_token_of(str(tiny_model("fill-mask"))) == "[MASK]"
    expected = {"text-classification": "text-classification", "token-classification": "token-classification",
                "fill-mask": "fill-mask", "question-answering": "question-answering",
                "text-generation": "text-generation", "image-classification": "image-classification",
                "object-detection": "object-detection", "image-segmentation": "image-segmentation",
                "depth-estimation": "depth-estimation", "automatic-speech-recognition": "automatic-speech-recognition",
                "audio-classification": "audio-classification", "text-to-audio": "text-to-audio",
                "zero-shot-image-classification": "zero-shot-image-classification", "image-to-text": "image-to-text",
                "feature-extraction": "feature-extraction", "translation": "text2text-generation"}
    for task, guess in expected.items():
        assert local_models.guess_task(tiny_model(task)) == guess, task
    assert local_models.guess_task(tmp_path) is None


def test_safetensors_count_matches_torch(tiny_model):
    import transformers

    folder = tiny_model("text-classification")
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder)
    assert local_models.safetensors_param_count(folder) == sum(p.numel() for p in model.parameters())


def test_under_the_hood_text_classification_probabilities(tiny_model):
    folder = str(tiny_model("text-classification"))
    h = under_the_hood(folder, "text-classification", {"text": "i love this movie"})
    assert h.tokens[0] == "[CLS]" and h.tokens[-1] == "[SEP]" and len(h.ids) == len(h.tokens)
    assert h.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    assert abs(sum(r["probability"] for r in h.rows) - 1) < 1e-5
    import torch

    logits = torch.tensor([r["logit"] for r in sorted(h.rows, key=lambda r: r["id"])])
    probs = [r["probability"] for r in sorted(h.rows, key=lambda r: r["id"])]
    assert torch.allclose(torch.softmax(logits, -1), torch.tensor(probs), atol=1e-6)


@pytest.mark.parametrize("task, inputs", [
    ("fill-mask", {"text": "the cat sat on the [MASK]"}),
    ("token-classification", {"text": "john lives in paris"}),
    ("question-answering", {"question": "what sat", "context": "the cat sat on the mat"}),
    ("text-generation", {"text": "the cat"}),
    ("zero-shot-classification", {"text": "i love this movie", "labels": "film, sport"}),
    ("feature-extraction", {"text": "hello world"}),
    ("translation", {"text": "the cat sat"}),
])
def test_under_the_hood_other_text_tasks(tiny_model, task, inputs):
    h = under_the_hood(str(tiny_model(task)), task, inputs)
    assert h.tokens and h.rows and h.code.startswith("import torch")


def test_pictures():
    from PIL import Image

    img = Image.new("RGB", (64, 48), "white")
    boxed = pictures.draw_boxes(img, [{"label": "cat", "score": 0.9, "xmin": 5, "ymin": 20, "xmax": 30, "ymax": 40}])
    assert boxed.size == img.size and boxed.getpixel((5, 30)) != (255, 255, 255)
    mask = np.zeros((48, 64), bool)
    mask[:10] = True
    over = pictures.overlay_masks(img, [{"label": "sky", "score": None, "mask": mask}])
    assert over.getpixel((0, 0)) != (255, 255, 255) and over.getpixel((0, 40)) == (255, 255, 255)
    depth = pictures.colorize_depth(np.linspace(0, 1, 48 * 64).reshape(48, 64))
    assert depth.size == (64, 48) and depth.getpixel((0, 0)) != depth.getpixel((63, 47))
    html_ = pictures.highlight_spans("a <b> c", [{"start": 2, "end": 5, "label": "X"}])
    assert "&lt;b&gt;" in html_ and "<mark" in html_


def test_the_under_the_hood_title_says_what_the_view_shows():
    """An encoder has no logits: its view is titled by what it shows (hidden states), a head's by logits."""
    from lib.tasks.hood import UnderTheHood
    from lib.ui.test_drive import _hood_title

    encoder = UnderTheHood(["[CLS]"], [101], "encoder (no head): hidden states",
                           rows=[{"position": 0, "token": "[CLS]", "hidden norm": 1.0}])
    head = UnderTheHood(["[CLS]"], [101], "a sequence-classification head",
                        rows=[{"label": "POSITIVE", "logit": 1.0, "probability": 0.7}])
    assert _hood_title(encoder) == "Under the hood: tokenizer, encoder (no head): hidden states"
    assert _hood_title(head) == "Under the hood: tokenizer, logits, softmax, labels"
