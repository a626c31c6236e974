"""Test-drive input widgets, one layout per ``input_kind`` (lib.tasks.INPUT_KINDS).

``input_widgets(spec, key, example) -> Inputs``: the raw inputs in ``lib.runner.inputs.validate`` keys
plus the run settings the task needs (generation settings, detection threshold). Every widget
starts from ``example`` (the task module's example: lib.tasks.example_inputs) so that one click on Run shows the model
working; uploads replace the example image / clip. Widget keys carry the task, so each task keeps
its own inputs across reruns, errors and model switches.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from lib import format as fmt
from lib.i18n import N_, _
from lib.runner.errors import BadInput
from lib.runner.inputs import AUDIO_FORMATS, MAX_UPLOAD_BYTES, load_audio, load_image
from lib.tasks.common import EXAMPLE_NOTES

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp"]


@dataclass
class Inputs:
    """What the widgets hold now.

    raw: inputs for ``lib.runner.run`` (validated there).
    settings: RunOptions fields the user set here (``max_new_tokens``, ``threshold`` …).
    problem: a message when an upload is unreadable (Run is then pointless; shown already).
    """

    raw: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


def input_widgets(spec, key: str, example: dict[str, Any]) -> Inputs:
    """Draw the inputs for ``spec`` (a lib.tasks.TaskSpec) and return their values."""
    kind = spec.input_kind
    k = f"{key}_{spec.tag}"
    out = Inputs(raw={})
    if kind in ("text", "masked_text"):
        label = {"translation": _("Text to translate"), "summarization": _("Text to summarise"),
                 "text-to-audio": _("Text to speak"), "text-to-speech": _("Text to speak")}.get(spec.tag, _("Text"))
        mask = example.get("_mask_token")
        wkey = f"{k}_text" + (f"_{mask}" if kind == "masked_text" else "")
        help_ = (_("Put this model's mask token {mask} where a word is missing.").format(mask=mask)
                 if kind == "masked_text" and mask else None)
        out.raw["text"] = st.text_area(label, value=example.get("text", ""), key=wkey, height=110, help=help_)
        if kind == "masked_text" and mask:
            st.caption(_("This model's mask token is `{mask}` (from its tokenizer).").format(mask=mask))
    elif kind == "text_labels":
        out.raw["text"] = st.text_area(_("Text"), value=example.get("text", ""), key=f"{k}_text", height=100)
        out.raw["labels"] = st.text_input(_("Candidate labels (comma-separated)"), value=example.get("labels", ""),
                                          key=f"{k}_labels")
        multi = bool(example.get("multi_label", False))
        out.raw["multi_label"] = st.toggle(
            _("Several labels can be true (multi-label)"), value=multi,
            key=f"{k}_multi", help=_("Off: the scores compete and sum to 1. On: each label is scored on its own."))
    elif kind == "question_context":
        out.raw["question"] = st.text_input(_("Question"), value=example.get("question", ""), key=f"{k}_question")
        out.raw["context"] = st.text_area(_("Context"), value=example.get("context", ""), key=f"{k}_context",
                                          height=120)
    elif kind == "text_pair":
        out.raw["source"] = st.text_input(_("Source sentence"), value=example.get("source", ""), key=f"{k}_source")
        out.raw["sentences"] = st.text_area(_("Sentences to compare (one per line)"),
                                            value="\n".join(example.get("sentences", [])), key=f"{k}_sentences",
                                            height=110)
    elif kind == "chat":
        out.raw["text"] = st.text_area(_("Prompt"), value=example.get("text", ""), key=f"{k}_text", height=100,
                                       help=_("Chat models get it as a user message (their chat template is "
                                              "applied); other models continue the text."))
        out.settings.update(generation_settings(k))
    elif kind in ("image", "image_labels", "image_question", "image_prompt"):
        out.raw["image"], out.problem = image_input(k, example.get("image"))
        if kind == "image_labels":
            out.raw["labels"] = st.text_input(_("Candidate labels (comma-separated)"),
                                              value=example.get("labels", ""), key=f"{k}_labels")
        elif kind == "image_question":
            out.raw["text"] = st.text_input(_("Question"), value=example.get("text", ""), key=f"{k}_question")
        elif kind == "image_prompt":
            out.raw["text"] = st.text_input(_("Prompt (optional)"), value=example.get("text", ""), key=f"{k}_prompt")
            out.settings.update(generation_settings(k, sampling=False))
        if spec.tag == "object-detection":
            out.settings["threshold"] = st.slider(_("Minimum score for a box"), 0.0, 1.0, 0.5, 0.05,
                                                  key=f"{k}_threshold")
    elif kind == "audio":
        out.raw["audio"], out.problem = audio_input(k, example.get("audio"))
    elif kind == "table_question":
        import pandas as pd

        table = example.get("table") or {"column": [""]}
        st.caption(_("The table (edit cells, add or delete rows):"))
        df = st.data_editor(pd.DataFrame(table), num_rows="dynamic", key=f"{k}_table", width="stretch")
        out.raw["table"] = df
        out.raw["text"] = st.text_input(_("Question"), value=example.get("text", ""), key=f"{k}_question")
    else:
        st.warning(_("No input form for {kind}.").format(kind=repr(kind)))
    return out


def generation_settings(k: str, sampling: bool = True) -> dict[str, Any]:
    """Max new tokens, sampling on/off, temperature, top-p (and a system prompt for chat)."""
    s: dict[str, Any] = {}
    with st.expander(_("Generation settings"), expanded=False):
        s["max_new_tokens"] = st.slider(_("Max new tokens"), 1, 512, 64, key=f"{k}_max_new")
        if sampling:
            s["do_sample"] = st.toggle(_("Sample (off: greedy, the same answer every time)"), value=False,
                                       key=f"{k}_sample")
            c1, c2 = st.columns(2)
            s["temperature"] = c1.slider(_("Temperature"), 0.05, 2.0, 0.7, 0.05, key=f"{k}_temp",
                                         disabled=not s["do_sample"])
            s["top_p"] = c2.slider(_("Top-p"), 0.05, 1.0, 0.95, 0.05, key=f"{k}_top_p", disabled=not s["do_sample"])
            system = st.text_input(_("System prompt (chat models)"), value="", key=f"{k}_system")
            s["system_prompt"] = system.strip() or None
    return s


def _upload_problem(up) -> str | None:
    size = getattr(up, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        return _("The file {name} is {size}; the limit is {limit}.").format(
            name=up.name, size=fmt.size_bytes(size), limit=fmt.size_bytes(MAX_UPLOAD_BYTES))
    return None


def _read_upload(up, decode: Callable[[bytes], Any], preview: Callable[[bytes, Any], None],
                 icon: str) -> tuple[Any, str | None]:
    """An uploaded file's bytes once its size and content check out (``decode`` raises BadInput),
    shown with ``preview``; else the error on the page. Returns (raw bytes or None, problem).
    The bytes are kept even when they are bad, so the input is not lost on the next rerun."""
    problem = _upload_problem(up)
    if problem is None:
        data = up.getvalue()
        try:
            decoded = decode(data)
        except BadInput as e:
            problem = f"{up.name}: {e}"
        else:
            preview(data, decoded)
            return data, None
    st.error(problem, icon=icon)
    return up.getvalue() if up.size <= MAX_UPLOAD_BYTES else None, problem


def image_input(k: str, example_path: str | None) -> tuple[Any, str | None]:
    """Upload, or the example image; a small preview. Returns (raw image, problem)."""
    up = st.file_uploader(_("Image (PNG, JPEG, WebP, GIF, BMP)"), type=IMAGE_TYPES, key=f"{k}_image")
    if up is None:
        if not example_path:
            return None, None
        st.image(example_path, width=280, caption=_(EXAMPLE_NOTES.get(Path(example_path).name, N_("Example"))))
        return example_path, None
    return _read_upload(up, load_image,
                        lambda data, img: st.image(img, width=280, caption=f"{up.name} · {img.width}×{img.height}"),
                        ":material/broken_image:")


def audio_input(k: str, example_path: str | None) -> tuple[Any, str | None]:
    """Upload an audio clip (WAV, FLAC, OGG, MP3, AIFF), or the example clip; a player. Returns (raw audio, problem)."""
    up = st.file_uploader(_("Audio clip (WAV, FLAC, OGG, MP3, AIFF)"), type=list(AUDIO_FORMATS), key=f"{k}_audio")
    if up is None:
        if not example_path:
            return None, None
        st.audio(example_path)
        st.caption(_(EXAMPLE_NOTES.get(Path(example_path).name, N_("Example clip"))))
        return example_path, None

    def preview(data: bytes, clip: dict) -> None:
        st.audio(data)
        st.caption(_("{name} · {seconds} s at {rate} Hz").format(
            name=up.name, seconds=fmt.number(clip["array"].size / clip["sampling_rate"], decimals=1),
            rate=fmt.number(clip["sampling_rate"])))

    return _read_upload(up, load_audio, preview, ":material/music_off:")
