"""Helpers the task modules share: token limits and truncation, output normalisation, generation
settings, and the example inputs (the Hub's widget inputs, Hub Scout's example files).

Output shapes per renderer (what a run function returns, what ``lib.ui.outputs`` draws):

* ``scores``: ``{"labels": [str], "scores": [float]}`` best first (fill-mask adds ``sequences``)
* ``entities``: ``{"text": str, "entities": [{"label", "score", "word", "start", "end"}]}``
* ``boxes``: ``{"image_size": (w, h), "boxes": [{"label", "score", "xmin", "ymin", "xmax", "ymax"}]}``
* ``masks``: ``{"image_size": (w, h), "masks": [{"label", "score" (or None), "mask": bool ndarray HxW}]}``
* ``text``: ``{"text": str}`` (+ ``aggregator``/``cells`` for tables, ``score`` (None for Donut) for documents)
* ``audio``: ``{"audio": float32 ndarray, "sampling_rate": int}``
* ``depth``: ``{"depth": float ndarray HxW (relative), "image": PIL grey image}``
* ``answer``: ``{"answer", "score", "start", "end", "context"}``
* ``embedding``: ``{"dim", "norm", "vector": [float], "pooling"}``
* ``similarity``: ``{"source", "sentences", "scores": [float], "matrix": [[float]], "labels": [str]}``
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from lib import format as fmt
from lib.i18n import N_, _

from .core import TaskInputError

Output = tuple[dict[str, Any], list[str]]

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLES = DATA / "examples"
EXAMPLE_IMAGE = EXAMPLES / "scene.png"
EXAMPLE_DOCUMENT = EXAMPLES / "document.png"
EXAMPLE_AUDIO = EXAMPLES / "chirp.wav"


class _Notes(dict):
    """file name -> its caption: kept in English, given in the UI's language when read (``get`` / ``[]``)."""

    def __getitem__(self, key):
        return _(super().__getitem__(key))

    def get(self, key, default=None):
        return _(super().__getitem__(key)) if key in self else default


EXAMPLE_NOTES = _Notes({
    EXAMPLE_IMAGE.name: N_("Example image: a street scene drawn with PIL shapes (house, tree, sun, road, red car)."),
    EXAMPLE_DOCUMENT.name: N_("Example document: an invoice drawn with PIL (total $42.00)."),
    EXAMPLE_AUDIO.name: N_("Example clip: 2 s synthesised audio, a 440 Hz tone then a rising chirp (not speech)."),
})


# --------------------------------------------------------------------------- examples
@lru_cache(maxsize=1)
def _widget_inputs() -> dict[str, dict[str, list]]:
    try:
        return json.loads((DATA / "default_widget_inputs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def widget_example(task: str, language: str) -> Any:
    """The Hub's first widget input for ``task`` in ``language``; None when it has none in that language (the
    task module then gives its own example, in the UI's language: an English widget input would not follow
    the UI's language)."""
    rows = (_widget_inputs().get(language) or {}).get(task)
    return rows[0] if rows else None


def text_example(task: str, default: str):
    """An ``example`` function: the Hub's widget text for ``task`` in the language, else ``default`` (an
    ``N_`` text: translated when the example is made)."""

    def example(language: str, mask_token: str | None = None) -> dict[str, Any]:
        ex = widget_example(task, language)
        return {"text": ex if isinstance(ex, str) else _(default)}

    return example


# --------------------------------------------------------------------------- token limits
def max_tokens(tokenizer: Any, config: dict) -> int:
    """The model's maximum input length in tokens."""
    limits = []
    mml = getattr(tokenizer, "model_max_length", None)
    if isinstance(mml, int) and 0 < mml < 1_000_000:
        limits.append(mml)
    cfg = config or {}
    for key in ("max_position_embeddings", "n_positions", "max_seq_length"):
        v = cfg.get(key) or (cfg.get("text_config") or {}).get(key)
        if isinstance(v, int) and v > 0:
            # RoBERTa-style models offset positions by padding_idx + 1
            limits.append(v - 2 if cfg.get("model_type") in ("roberta", "xlm-roberta", "camembert") else v)
            break
    return min(limits) if limits else 512


def _specials(tokenizer: Any) -> int:
    try:
        return int(tokenizer.num_special_tokens_to_add(pair=False))
    except Exception:  # noqa: BLE001 - a tokenizer without the method: assume the usual two
        return 2


def truncate_text(tokenizer: Any, text: str, limit: int, what: str = "text",
                  keep: str = "start") -> tuple[str, str | None]:
    """Cut ``text`` so that it encodes to at most ``limit`` tokens (specials included). Returns (text, notice)."""
    if tokenizer is None or not text:
        return text, None
    # Fast path: no tokenizer makes more tokens than a text has UTF-8 bytes (byte-level BPE and
    # byte-fallback SentencePiece are the worst case), plus a possible word-start piece; a text that
    # short always fits, and batches of short inputs skip one tokenisation per item.
    if len(text.encode("utf-8")) + 1 + _specials(tokenizer) <= limit:
        return text, None
    try:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    except Exception:
        enc = tokenizer(text, add_special_tokens=False)
    ids = enc["input_ids"]
    room = max(limit - _specials(tokenizer), 1)
    if len(ids) <= room:
        return text, None
    offsets = enc.get("offset_mapping") if hasattr(enc, "get") else None
    if offsets:
        cut = text[: offsets[room - 1][1]] if keep == "start" else text[offsets[len(ids) - room][0]:]
    else:
        cut = tokenizer.decode(ids[:room] if keep == "start" else ids[-room:], skip_special_tokens=True)
    return cut, _cut_notice(what, keep).format(n=fmt.number(len(ids)), limit=fmt.number(limit), room=fmt.number(room))


def _cut_notice(what: str, keep: str) -> str:
    """The notice for a text cut to the model's limit (``what``: text / prompt / question / context)."""
    if what == "prompt":
        return (_("The prompt is {n} tokens long; the model reads at most {limit}: only the first {room} tokens "
                  "were used.") if keep == "start" else
                _("The prompt is {n} tokens long; the model reads at most {limit}: only the last {room} tokens "
                  "were used."))
    if what == "question":
        return _("The question is {n} tokens long; the model reads at most {limit}: only the first {room} tokens "
                 "were used.")
    if what == "context":
        return _("The context is {n} tokens long; the model reads at most {limit}: only the first {room} tokens "
                 "were used.")
    return (_("The text is {n} tokens long; the model reads at most {limit}: only the first {room} tokens were "
              "used.") if keep == "start" else
            _("The text is {n} tokens long; the model reads at most {limit}: only the last {room} tokens were used."))


def pipe_text_limit(loaded: Any, text: str, notices: list[str], what: str = "text", keep: str = "start") -> str:
    """``text`` cut to what the loaded model reads (a notice added when cut)."""
    tok = getattr(loaded.pipe, "tokenizer", None) if loaded.pipe is not None else loaded.tokenizer
    limit = max_tokens(tok, loaded.config)
    text, notice = truncate_text(tok, text, limit, what, keep)
    if notice:
        notices.append(notice)
    return text


def decoder_limit(tokenizer: Any, config: dict) -> int:
    """Positions the generating decoder has (the text/decoder sub-config for multimodal models)."""
    cfg = config or {}
    sub = cfg.get("text_config") or cfg.get("decoder") or {}
    return max_tokens(tokenizer, {**cfg, **sub} if sub else cfg)


# --------------------------------------------------------------------------- outputs
def f(x: Any) -> float | None:
    """numpy / torch scalars -> float (None stays None)."""
    return float(x) if x is not None else None


def scores(rows: list[dict], label_key: str = "label") -> dict:
    """Pipeline rows -> the ``scores`` output, best first."""
    rows = sorted(rows, key=lambda r: -float(r["score"]))
    return {"labels": [str(r[label_key]) for r in rows], "scores": [f(r["score"]) for r in rows]}


def image_out_size(img) -> tuple[int, int]:
    return (int(img.width), int(img.height))


# --------------------------------------------------------------------------- predictions (TaskSpec.prediction)
def top_label(output: dict) -> str | None:
    """A ``scores`` output's best label (what a classification reference is compared with)."""
    labels = (output or {}).get("labels") or []
    return str(labels[0]) if labels else None


def answer_text(output: dict) -> str | None:
    """An ``answer`` output's answer span."""
    answer = (output or {}).get("answer")
    return None if answer is None else str(answer)


def output_text(output: dict) -> str | None:
    """A ``text`` output's text."""
    text = (output or {}).get("text")
    return None if text is None else str(text)


# --------------------------------------------------------------------------- generation
def cap_new_tokens(opts: Any, limit: int, notices: list[str]) -> int:
    """max_new_tokens, capped so that generation stays within the model's positions."""
    want = int(opts.max_new_tokens)
    if want <= limit - 8:
        return want
    capped = max(limit // 2, 1)
    notices.append(_("This model handles {limit} positions in all: max new tokens was lowered from {want} to "
                     "{capped} to leave room for the prompt.").format(limit=fmt.number(limit), want=fmt.number(want),
                                                                       capped=fmt.number(capped)))
    return capped


def gen_kwargs(opts: Any, max_new: int | None = None) -> dict:
    kw: dict[str, Any] = {"max_new_tokens": int(max_new if max_new is not None else opts.max_new_tokens)}
    if opts.do_sample:
        kw.update(do_sample=True, temperature=float(opts.temperature), top_p=float(opts.top_p))
    else:
        kw["do_sample"] = False
    from .timing import current

    timer = current()  # the runner times this run's generate calls (lib.tasks.timing)
    if timer is not None:
        kw["streamer"] = timer
    return kw


def chat_tokens(tokenizer: Any, messages: list[dict]) -> int:
    """How many tokens the chat template makes of ``messages``, as the text-generation pipeline
    feeds them (with the assistant's generation prompt, or continuing a final assistant message)."""
    final = messages[-1].get("role") == "assistant"
    enc = tokenizer.apply_chat_template(messages, add_generation_prompt=not final, continue_final_message=final,
                                        tokenize=True, return_dict=True)
    ids = enc["input_ids"]
    return len(ids[0]) if ids and isinstance(ids[0], list) else len(ids)


def fit_chat(tokenizer: Any, messages: list[dict], limit: int, notices: list[str],
             positions: int | None = None) -> list[dict]:
    """``messages`` whose prompt, once the chat template is applied, takes at most ``limit`` tokens
    (the model's positions minus the new tokens): the template's own tokens, the system prompt and
    the earlier messages count, and the last message is cut (its end kept) to the room they leave,
    with a notice. Raises :class:`TaskInputError` when they alone leave no room."""
    last = messages[-1].get("content")
    if not isinstance(last, str):
        return messages
    try:
        total = chat_tokens(tokenizer, messages)
    except Exception:  # noqa: BLE001 - a template that cannot be applied here: the pipeline will say so
        cut, notice = truncate_text(tokenizer, last, limit, "prompt", keep="end")
        if notice:
            notices.append(notice)
        return [*messages[:-1], {**messages[-1], "content": cut}]
    if total <= limit:
        return messages
    overhead = chat_tokens(tokenizer, [*messages[:-1], {**messages[-1], "content": ""}])
    where = (_("the model's {positions} positions minus the new tokens").format(positions=fmt.number(positions))
             if positions else _("the prompt's budget"))
    if overhead >= limit:
        if len(messages) > 1:
            text = _("The chat template and the system prompt or earlier messages already take {used} tokens of the "
                     "{limit} left for the prompt ({where}): shorten the system prompt or lower max new tokens.")
        else:
            text = _("The chat template already takes {used} tokens of the {limit} left for the prompt ({where}): "
                     "lower max new tokens.")
        raise TaskInputError(text.format(used=fmt.number(overhead), limit=fmt.number(limit), where=where))
    room = limit - overhead
    cut = last
    for _attempt in range(4):  # a cut can tokenise differently at the seam: check, and cut more if needed
        cut, _notice = truncate_text(tokenizer, last, room + _specials(tokenizer), "prompt", keep="end")
        fitted = [*messages[:-1], {**messages[-1], "content": cut}]
        over = chat_tokens(tokenizer, fitted) - limit
        if over <= 0:
            notices.append(_("The prompt is {n} tokens with the chat template; the model has room for {limit} "
                             "({where}): only the end of your message was used.").format(
                n=fmt.number(total), limit=fmt.number(limit), where=where))
            return fitted
        room -= over
        if room < 1:
            break
    raise TaskInputError(_("The prompt does not fit in {limit} tokens ({where}) even when cut: shorten it or lower "
                           "max new tokens.").format(limit=fmt.number(limit), where=where))


def has_chat_template(tokenizer_or_processor: Any) -> bool:
    return bool(getattr(tokenizer_or_processor, "chat_template", None))

