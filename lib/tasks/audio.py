"""Audio: speech recognition, audio classification, and text to speech / audio."""
from __future__ import annotations

from typing import Any

from lib import format as fmt
from lib.i18n import N_, _

from .common import EXAMPLE_AUDIO, Output, output_text, pipe_text_limit, scores, text_example, top_label
from .core import CodeParts, TaskSpec

_FEED = 'inputs = processor(audio, sampling_rate=rate, return_tensors="pt").to(device)\n'  # i18n: code shown as code


def audio_example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    return {"audio": str(EXAMPLE_AUDIO)}


def resample(audio: dict, rate: int) -> dict:
    """Linear-interpolation resampling to ``rate`` (enough for a test drive)."""
    import numpy as np

    sr = audio["sampling_rate"]
    if not rate or sr == rate:
        return audio
    arr = audio["array"]
    n = max(int(round(arr.size * rate / sr)), 1)
    out = np.interp(np.linspace(0, arr.size - 1, n), np.arange(arr.size), arr).astype(np.float32)
    return {"array": out, "sampling_rate": rate}


def _audio_feed(loaded, inputs: dict, notices: list[str]) -> tuple[dict, int]:
    """The clip resampled to the feature extractor's rate, as the pipeline takes it."""
    fe = getattr(loaded.pipe, "feature_extractor", None)
    rate = getattr(fe, "sampling_rate", None) or inputs["audio"]["sampling_rate"]
    audio = resample(inputs["audio"], rate)
    if audio is not inputs["audio"]:
        notices.append(_("Resampled the clip from {old} Hz to {new} Hz.").format(
            old=fmt.number(inputs["audio"]["sampling_rate"]), new=fmt.number(rate)))
    return {"raw": audio["array"].copy(), "sampling_rate": audio["sampling_rate"]}, rate


def _pipeline_call(inp: dict, opts: Any) -> str:
    return 'result = pipe({"raw": audio, "sampling_rate": rate})\n'  # i18n: code shown as code


# --------------------------------------------------------------------------- classification
def run_audio_classification(loaded, inputs: dict, task: str, opts) -> Output:
    notices: list[str] = []
    feed, _rate = _audio_feed(loaded, inputs, notices)
    return scores(loaded.pipe(feed, top_k=5)), notices


def _auto_classification(inp: dict, config: dict | None, opts: Any) -> str:
    return (_FEED + "with torch.inference_mode():\n"  # i18n: code shown as code
            "    probs = model(**inputs).logits.softmax(-1)[0]\n"
            "for p, i in zip(*probs.topk(min(5, probs.numel()))):\n"
            "    print(model.config.id2label[int(i)], round(float(p), 4))\n")


# --------------------------------------------------------------------------- speech recognition
def run_speech_recognition(loaded, inputs: dict, task: str, opts) -> Output:
    notices: list[str] = []
    feed, rate = _audio_feed(loaded, inputs, notices)
    kw: dict[str, Any] = {}
    if feed["raw"].size / rate > 30:
        kw["chunk_length_s"] = 30
        notices.append(_("The clip is longer than 30 s: transcribed in 30 s chunks."))
    res = loaded.pipe(feed, **kw)
    return {"text": str(res["text"]).strip()}, notices


def _auto_asr(inp: dict, config: dict | None, opts: Any) -> str:
    # i18n: code shown as code
    return (_FEED + "with torch.inference_mode():\n    ids = model(**inputs).logits.argmax(-1)\n"
            "print(processor.batch_decode(ids)[0])  # seq2seq models (Whisper): "
            "AutoModelForSpeechSeq2Seq + model.generate\n")


# --------------------------------------------------------------------------- text to audio
def run_text_to_audio(loaded, inputs: dict, task: str, opts) -> Output:
    import numpy as np

    notices: list[str] = []
    text = pipe_text_limit(loaded, inputs["text"], notices)
    res = loaded.pipe(text)
    audio = np.asarray(res["audio"], dtype=np.float32).squeeze()
    return {"audio": audio, "sampling_rate": int(res["sampling_rate"])}, notices


def _auto_tts(inp: dict, config: dict | None, opts: Any) -> str:
    # i18n: code shown as code
    return (f'inputs = processor(text={inp.get("text")!r}, return_tensors="pt").to(device)\n'
            "with torch.inference_mode():\n    waveform = model(**inputs).waveform[0]\n"
            "print(waveform.shape, model.config.sampling_rate)\n")


_TTS_CLASSES = ("MODEL_FOR_TEXT_TO_WAVEFORM_MAPPING_NAMES", "MODEL_FOR_TEXT_TO_SPECTROGRAM_MAPPING_NAMES")


def _tts_spec(tag: str, rank: int) -> TaskSpec:
    return TaskSpec(tag=tag, input_kind="text", run=run_text_to_audio, renderer="audio", pipeline_task="text-to-audio",
                    example=text_example(tag, N_("Hello! This is a test drive of a speech model.")),
                    model_classes=_TTS_CLASSES, guess_rank=rank,
                    code=CodeParts("AutoModelForTextToWaveform", auto_body=_auto_tts))


TASKS = [
    TaskSpec(tag="automatic-speech-recognition", input_kind="audio", run=run_speech_recognition, renderer="text",
             pipeline_task="automatic-speech-recognition", example=audio_example, metric="text",
             prediction=output_text,
             model_classes=("MODEL_FOR_CTC_MAPPING_NAMES", "MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES"),
             code=CodeParts("AutoModelForCTC", _pipeline_call, _auto_asr)),
    TaskSpec(tag="audio-classification", input_kind="audio", run=run_audio_classification, renderer="scores",
             pipeline_task="audio-classification", example=audio_example, metric="classification",
             prediction=top_label,
             model_classes=("MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES",),
             code=CodeParts("AutoModelForAudioClassification", _pipeline_call, _auto_classification)),
    _tts_spec("text-to-audio", 45),
    _tts_spec("text-to-speech", 50),
]
