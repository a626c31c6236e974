"""What a new session freezes: its settings, and its inputs in the runner's shape.

* :func:`frozen_settings` — dtype, device, generation settings and batch size, as stored with the session
  (and shown on its page) so that a rerun months later runs the same way;
* :func:`session_inputs` — rows read from the page (typed lines, an uploaded table, media files) plus the
  settings every input shares (candidate labels, a question about every image) -> the session's inputs:
  ``{"text", "reference", "inputs"}`` with ``inputs`` the raw dict ``lib.runner.run`` validates for the
  task's input kind;
* :func:`unsupported` — why a task cannot be compared in a session (its input kind has no session form).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lib import tasks as registry

TEXT_KINDS = ("text", "masked_text", "chat", "text_labels", "question_context")
MEDIA_KINDS = ("image", "image_labels", "image_question", "image_prompt", "audio")
DTYPES = ("auto", "fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda", "mps")
GENERATION_KEYS = ("max_new_tokens", "do_sample", "temperature", "top_p", "system_prompt")


def kind_of(task: str) -> str | None:
    spec = registry.get(task)
    return spec.input_kind if spec is not None else None


def unsupported(task: str) -> str | None:
    """Why ``task`` cannot be a session's task, or None."""
    spec = registry.get(task)
    if spec is None:
        return f"Unknown task {task!r}."
    if not spec.runnable:
        return spec.reason or f"{spec.name or task} cannot run in Hub Scout."
    if spec.input_kind not in TEXT_KINDS + MEDIA_KINDS:
        return (f"{spec.name or task} takes {registry.INPUT_KINDS.get(spec.input_kind or '', 'inputs')}: "
                "sessions compare text, image and audio inputs only. Try it in the Playground.")
    return None


def needs_labels(task: str) -> bool:
    return kind_of(task) in ("text_labels", "image_labels")


def needs_question(task: str) -> bool:
    return kind_of(task) == "image_question"


def is_media(task: str) -> bool:
    return kind_of(task) in MEDIA_KINDS


def frozen_settings(*, dtype: str = "auto", device: str = "auto", generation: Mapping[str, Any] | None = None,
                    batch_size: int = 8) -> dict[str, Any]:
    """The settings stored with a session (the export's ``session.settings``)."""
    gen = {k: v for k, v in (generation or {}).items() if k in GENERATION_KEYS and v is not None}
    return {"dtype": dtype if dtype in DTYPES else "auto", "device": device if device in DEVICES else "auto",
            "generation": gen, "batch_size": max(1, min(64, int(batch_size)))}


def session_inputs(task: str, rows: Iterable[Mapping[str, Any]], *, labels: list[str] | None = None,
                   question: str | None = None, multi_label: bool = False) -> list[dict[str, Any]]:
    """Rows (``text``, ``reference``, and ``context`` for question answering, or ``name`` + ``data`` for
    a media file) -> the session's inputs (see the module doc). The runner validates each when it runs:
    a bad one becomes that cell's error, never the session's."""
    kind = kind_of(task)
    out: list[dict[str, Any]] = []
    for row in rows:
        ref = row.get("reference")
        ref = str(ref).strip() if ref is not None and str(ref).strip() else None
        if kind in MEDIA_KINDS:
            raw: dict[str, Any] = {"audio" if kind == "audio" else "image": row["data"]}
            text = str(row.get("name") or "")
            if kind == "image_labels":
                raw["labels"] = list(labels or [])
            elif kind == "image_question":
                raw["text"] = question or ""
                text = f"{text}: {question}" if question else text
            elif kind == "image_prompt":
                raw["text"] = question or ""
        elif kind == "question_context":
            text = str(row.get("text") or "")
            raw = {"question": text, "context": str(row.get("context") or "")}
        else:
            text = str(row.get("text") or "")
            raw = {"text": text}
            if kind == "text_labels":
                raw["labels"] = list(labels or [])
                raw["multi_label"] = bool(multi_label)
        out.append({"text": text, "reference": ref, "inputs": raw})
    return out
