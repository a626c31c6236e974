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
from lib.runner.device import DTYPES

TEXT_KINDS = ("text", "masked_text", "chat", "text_labels", "question_context")
MEDIA_KINDS = ("image", "image_labels", "image_question", "image_prompt", "audio")
DEVICES = ("auto", "cpu", "cuda", "mps")  # what the runner accepts (lib.runner.device.resolve), by name
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
        return registry.reason(spec) or f"{registry.display_name(task)} cannot run in Hub Scout."
    if spec.input_kind not in TEXT_KINDS + MEDIA_KINDS:
        return (f"{registry.display_name(task)} takes {registry.input_kind_label(spec.input_kind) or 'inputs'}: "
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


def session_inputs(task: str, items: Iterable[Mapping[str, Any]], *, labels: list[str] | None = None,
                   question: str | None = None, multi_label: bool = False) -> list[dict[str, Any]]:
    """Items as :mod:`lib.sessions.inputs` parses them (``text``, ``reference``, ``inputs``) -> the session's
    inputs for ``task``: what every input shares (candidate labels, the question about every image) is added
    to each. The runner validates each when it runs: a bad one becomes that cell's error, never the
    session's. Raises :class:`~lib.sessions.errors.InputsError` when the task needs a column the items lack."""
    from .errors import InputsError

    kind = kind_of(task)
    out: list[dict[str, Any]] = []
    for n, item in enumerate(items, 1):
        text = item.get("text")
        ref = item.get("reference")
        ref = str(ref).strip() if ref is not None and str(ref).strip() else None
        raw = dict(item.get("inputs") or {"text": text})
        if kind == "question_context":
            raw = {"question": raw.get("question") or text or "", "context": raw.get("context") or ""}
            if not str(raw["context"]).strip():
                raise InputsError(f"Input {n} has no context: question answering needs a `context` column "
                                  "beside the `question` column.")
        elif kind in ("image_labels", "text_labels"):
            raw["labels"] = list(labels or [])
            if kind == "text_labels":
                raw["multi_label"] = bool(multi_label)
        elif kind == "image_question":
            raw["text"] = question or ""
            text = f"{text}: {question}" if question else text
        elif kind == "image_prompt":
            raw["text"] = question or ""
        out.append({"text": text, "reference": ref, "inputs": raw})
    return out
