"""Validate and normalise test-drive inputs per ``input_kind`` (see lib.tasks.INPUT_KINDS).

``validate(kind, raw) -> (clean: dict, notices: list[str])`` raises BadInput with a readable message.
Images become PIL images (RGB), audio becomes ``{"array": float32 mono, "sampling_rate": int}`` (WAV is
decoded with the standard library, no ffmpeg needed), labels become a list of strings.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from lib import format as fmt
from lib.i18n import N_, _

from .errors import BadInput

MAX_TEXT_CHARS = 20_000
MAX_UPLOAD_BYTES = 20 * 10**6  # 20 MB, decimal like every size in the UI
MAX_LABELS = 32
MAX_SENTENCES = 32
MAX_AUDIO_SECONDS = 60
MAX_IMAGE_PIXELS = 40_000_000

#: the inputs' names in the messages below (English here: translated when a message is made)
NAMES = {"text": N_("text"), "message": N_("message"), "prompt": N_("prompt"), "question": N_("question"),
         "context": N_("context"), "source_sentence": N_("source sentence"),
         "candidate_labels": N_("candidate labels"), "sentences_to_compare": N_("sentences to compare"),
         "image": N_("image"), "audio": N_("audio")}


def _name(name: str) -> str:
    return _(NAMES[name]) if name in NAMES else name


def _text(raw: Any, name: str, notices: list[str], required: bool = True) -> str:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise BadInput(_("The {name} must be text.").format(name=_name(name)))
    text = raw.strip()
    if required and not text:
        raise BadInput(_("Enter some {name} first: it is empty.").format(name=_name(name)))
    if len(text) > MAX_TEXT_CHARS:
        notices.append(_("The {name} was {n} characters long: only the first {limit} are used.").format(
            name=_name(name), n=fmt.number(len(text)), limit=fmt.number(MAX_TEXT_CHARS)))
        text = text[:MAX_TEXT_CHARS]
    return text


def _labels(raw: Any, name: str = "candidate_labels", limit: int = MAX_LABELS) -> list[str]:
    if isinstance(raw, str):
        items = [s.strip() for s in raw.replace("\n", ",").split(",")]
    elif isinstance(raw, (list, tuple)):
        items = [str(s).strip() for s in raw]
    else:
        items = []
    items = list(dict.fromkeys(s for s in items if s))
    if not items:
        raise BadInput(_("Give at least one of the {name} (comma-separated).").format(name=_name(name)))
    if len(items) > limit:
        raise BadInput(_("At most {limit} {name}, please ({n} given).").format(
            limit=fmt.number(limit), name=_name(name), n=fmt.number(len(items))))
    return items


def _bytes_of(raw: Any, what: str) -> bytes | None:
    if isinstance(raw, (bytes, bytearray)):
        data = bytes(raw)
    elif isinstance(raw, (str, Path)) and Path(raw).is_file():
        if Path(raw).stat().st_size > MAX_UPLOAD_BYTES:
            raise BadInput(_("The {what} file is larger than {limit} MB.").format(
                what=_name(what), limit=fmt.number(MAX_UPLOAD_BYTES // 10**6)))
        data = Path(raw).read_bytes()
    elif hasattr(raw, "read"):  # Streamlit UploadedFile, open files
        data = raw.read()
    else:
        return None
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadInput(_("The {what} file is {size} MB; the limit is {limit} MB.").format(
            what=_name(what), size=fmt.number(len(data) / 10**6, decimals=1),
            limit=fmt.number(MAX_UPLOAD_BYTES // 10**6)))
    if not data:
        raise BadInput(_("The {what} file is empty.").format(what=_name(what)))
    return data


def load_image(raw: Any):
    """PIL image (RGB) from bytes / path / file-like / PIL image. Raises BadInput."""
    from PIL import Image, UnidentifiedImageError

    if raw is None:
        raise BadInput(_("Upload an image first."))
    if isinstance(raw, Image.Image):
        img = raw
    else:
        data = _bytes_of(raw, "image")
        if data is None:
            raise BadInput(_("The image must be an uploaded file, a path or a picture."))
        try:
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise BadInput(_("The image is {width}×{height}: too many pixels (limit 40 megapixels).").format(
                    width=img.width, height=img.height))
            img.load()
        except BadInput:
            raise
        except Image.DecompressionBombError:  # PIL refuses the header's size before we could measure it
            raise BadInput(_("The image has too many pixels (limit 40 megapixels).")) from None
        except (UnidentifiedImageError, OSError, ValueError):
            raise BadInput(_("This file is not an image Hub Scout can read (use PNG, JPEG, WebP, GIF or "
                             "BMP).")) from None
    return img.convert("RGB") if img.mode != "RGB" else img


AUDIO_FORMATS = ("wav", "flac", "ogg", "mp3", "aiff")


def decode_audio(data: bytes):
    """(float32 samples, sampling rate) of an audio file's bytes: WAV, FLAC, OGG/Vorbis/Opus, MP3, AIFF
    (libsndfile through soundfile; no ffmpeg needed). Raises BadInput for anything else or a corrupt file."""
    import soundfile

    try:
        arr, sr = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=False)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, EOFError):
        raise BadInput(_("Could not read this audio: the file is corrupt or not an audio format Hub Scout reads "
                         "({formats}).").format(formats=", ".join(f.upper() for f in AUDIO_FORMATS))) from None
    return arr, int(sr)


def load_audio(raw: Any):
    """{"array": float32 mono numpy, "sampling_rate": int} from audio-file bytes / path / (array, rate).
    Raises BadInput."""
    import numpy as np

    if raw is None:
        raise BadInput(_("Upload an audio clip first."))
    if isinstance(raw, dict) and "array" in raw:
        arr, sr = np.asarray(raw["array"], dtype=np.float32), int(raw.get("sampling_rate") or 0)
    elif isinstance(raw, tuple) and len(raw) == 2:
        arr, sr = np.asarray(raw[0], dtype=np.float32), int(raw[1])
    else:
        data = _bytes_of(raw, "audio")
        if data is None:
            raise BadInput(_("The audio must be an uploaded audio file, a path, or (samples, sampling_rate)."))
        arr, sr = decode_audio(data)
    if arr.ndim > 1:
        arr = arr.mean(axis=-1) if arr.shape[-1] <= 8 else arr.mean(axis=0)
    if sr <= 0:
        raise BadInput(_("The audio has no valid sampling rate."))
    if arr.size == 0 or not np.isfinite(arr).all():
        raise BadInput(_("The audio clip is empty or contains invalid samples."))
    if arr.size / sr > MAX_AUDIO_SECONDS:
        raise BadInput(_("The clip is {seconds} s long; the limit is {limit} s.").format(
            seconds=fmt.number(arr.size / sr, decimals=0), limit=fmt.number(MAX_AUDIO_SECONDS)))
    return {"array": arr.astype(np.float32), "sampling_rate": sr}


def _table(raw: Any) -> dict[str, list[str]]:
    try:
        import pandas as pd

        if isinstance(raw, pd.DataFrame):
            raw = raw.to_dict(orient="list")
    except ImportError:  # pragma: no cover
        pass
    if not isinstance(raw, dict) or not raw:
        raise BadInput(_("Give a table (column name -> list of cells)."))
    cols = {str(k): ["" if v is None else str(v) for v in vals] for k, vals in raw.items()}
    lengths = {len(v) for v in cols.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise BadInput(_("Every table column must have the same, non-zero number of cells."))
    if sum(len(c) for c in cols.values()) > 2000:
        raise BadInput(_("The table is too large for a test drive (limit {limit} cells).").format(
            limit=fmt.number(2000)))
    return cols


def validate(kind: str, raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check and normalise the inputs for ``kind``. Keys per kind:

    text / masked_text: ``text``; chat: ``text`` or ``messages``; text_labels: ``text`` + ``labels``;
    question_context: ``question`` + ``context``; text_pair: ``source`` + ``sentences``;
    image: ``image``; image_labels: ``image`` + ``labels``; image_question / image_prompt: ``image`` + ``text``;
    audio: ``audio``; table_question: ``table`` + ``text``.
    """
    raw = dict(raw or {})
    notices: list[str] = []
    out: dict[str, Any] = {}
    if kind in ("text", "masked_text"):
        out["text"] = _text(raw.get("text"), "text", notices)
    elif kind == "chat":
        msgs = raw.get("messages")
        if msgs:
            if not isinstance(msgs, list) or not all(isinstance(m, dict) and m.get("content") for m in msgs):
                raise BadInput(_("Chat messages must be a list of (role, content) with non-empty content."))
            out["messages"] = [{"role": str(m.get("role", "user")), "content": _text(m["content"], "message", notices)}
                               for m in msgs]
        else:
            out["text"] = _text(raw.get("text"), "prompt", notices)
    elif kind == "text_labels":
        out["text"] = _text(raw.get("text"), "text", notices)
        out["labels"] = _labels(raw.get("labels"))
        if raw.get("multi_label") is not None:
            out["multi_label"] = bool(raw["multi_label"])
    elif kind == "question_context":
        out["question"] = _text(raw.get("question"), "question", notices)
        out["context"] = _text(raw.get("context"), "context", notices)
    elif kind == "text_pair":
        out["source"] = _text(raw.get("source"), "source_sentence", notices)
        out["sentences"] = _labels(raw.get("sentences"), "sentences_to_compare", MAX_SENTENCES) \
            if not isinstance(raw.get("sentences"), str) else \
            _labels([s for s in raw["sentences"].splitlines()], "sentences_to_compare", MAX_SENTENCES)
    elif kind == "image":
        out["image"] = load_image(raw.get("image"))
    elif kind == "image_labels":
        out["image"] = load_image(raw.get("image"))
        out["labels"] = _labels(raw.get("labels"))
    elif kind in ("image_question", "image_prompt"):
        out["image"] = load_image(raw.get("image"))
        out["text"] = _text(raw.get("text"), "question" if kind == "image_question" else "prompt", notices,
                            required=kind == "image_question")
    elif kind == "audio":
        out["audio"] = load_audio(raw.get("audio"))
    elif kind == "table_question":
        out["table"] = _table(raw.get("table"))
        out["text"] = _text(raw.get("text") or raw.get("question"), "question", notices)
    else:
        raise BadInput(_("Unknown input kind {kind}.").format(kind=repr(kind)))
    return out, notices
