"""Under the hood, shared part: the text path of one run step by step, on the model the runner loaded.

A task module's ``hood(loaded, model_id, task, inputs)`` (``TaskSpec.hood``) tokenizes with
:func:`encode`, runs its head and returns an :class:`UnderTheHood`; ``lib.runner.hood.under_the_hood``
finds the loaded model and calls it. torch is imported inside the functions only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lib import format as fmt
from lib.i18n import _

MAX_TOKENS = 256
_FEED_KEYS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass
class UnderTheHood:
    """The text path of one run, step by step.

    Attributes:
        tokens / ids: what the model's own tokenizer produced (special tokens included).
        head: what the output layer is (``sequence classification``, ``masked LM`` …).
        logits_shape: shape of the raw output tensor.
        rows: the main table — per label (classification), per token (NER), per candidate
            (fill-mask / next token) — with ``logit`` and ``probability`` columns.
        rows_caption: what the rows are.
        id2label: the label mapping from the config (empty when the head has none).
        code: the same steps as a script (AutoTokenizer + AutoModel…).
        notes: caveats (truncation, what softmax is taken over).
    """

    tokens: list[str]
    ids: list[int]
    head: str
    logits_shape: tuple[int, ...] = ()
    rows: list[dict] = field(default_factory=list)
    rows_caption: str = ""
    id2label: dict[int, str] = field(default_factory=dict)
    code: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Encoded:
    """The tokenizer step, shared by every task's view.

    net / tok: the model and its tokenizer; text: what was tokenized (a pair for question + context);
    tokens / ids: the tokens; feed: the tensors for the model, on its device; id2label: config labels;
    notes: caveats so far; text_expr: the text as Python source, for the code.
    """

    net: Any
    tok: Any
    device: str
    text: Any
    tokens: list[str]
    ids: list[int]
    feed: dict
    id2label: dict[int, str]
    notes: list[str]
    text_expr: str

    def view(self, head: str, shape, rows: list[dict], caption: str, code: str, *, id2label: dict | None = None,
             notes: list[str] | None = None) -> UnderTheHood:
        return UnderTheHood(self.tokens, self.ids, head, tuple(shape), rows, caption,
                            self.id2label if id2label is None else id2label, code, self.notes + (notes or []))


def model_and_tokenizer(loaded) -> tuple[Any, Any]:
    """The transformers model and tokenizer inside what the loader loaded (pipeline, Auto, sentence-transformers)."""
    if loaded.kind == "pipeline":
        return loaded.pipe.model, loaded.pipe.tokenizer
    if loaded.kind == "sentence_transformers":
        st_model = loaded.model
        first = st_model[0]
        return getattr(first, "auto_model", None) or getattr(first, "model", None), st_model.tokenizer
    return loaded.model, loaded.tokenizer


def to_device(enc: dict, device: str) -> dict:
    return {k: v.to(device) for k, v in enc.items() if k in _FEED_KEYS}


def encode(loaded, text: str | tuple[str, str], max_tokens: int = MAX_TOKENS) -> Encoded:
    """Tokenize ``text`` (or a text pair) with the loaded model's tokenizer. Raises ValueError without one."""
    net, tok = model_and_tokenizer(loaded)
    if net is None or tok is None:
        raise ValueError(_("This model has no tokenizer + model pair to show."))
    pair = isinstance(text, tuple)
    enc = tok(*text, return_tensors="pt", truncation=True, max_length=max_tokens) if pair else \
        tok(text, return_tensors="pt", truncation=True, max_length=max_tokens)
    ids = [int(i) for i in enc["input_ids"][0].tolist()]
    full = tok(*text)["input_ids"] if pair else tok(text)["input_ids"]
    notes = [_("Shown for the first {n} of {total} tokens.").format(n=fmt.number(len(ids)), total=fmt.number(len(full)))
             ] if len(full) > len(ids) else []
    cfg = getattr(net, "config", None)
    id2label = {int(k): str(v) for k, v in (getattr(cfg, "id2label", None) or {}).items()}
    text_expr = repr(text[0]) + ", " + repr(text[1]) if pair else repr(text)
    return Encoded(net, tok, loaded.device, text, tok.convert_ids_to_tokens(ids), ids,
                   to_device(enc, loaded.device), id2label, notes, text_expr)


def code(model_id: str, auto_class: str, text_expr: str, after: str) -> str:
    """The view's steps as a script: tokenizer, model, forward pass, then ``after``."""
    return (f'import torch\nfrom transformers import AutoTokenizer, {auto_class}\n\n'  # i18n: code shown as code
            f'tokenizer = AutoTokenizer.from_pretrained("{model_id}")\n'
            f'model = {auto_class}.from_pretrained("{model_id}")\n\n'
            f'inputs = tokenizer({text_expr}, return_tensors="pt")\n'
            'print(tokenizer.convert_ids_to_tokens(inputs["input_ids"][0]))\n'
            'with torch.inference_mode():\n    out = model(**inputs)\n' + after)


def topk_rows(logits_row, tokenizer, k: int = 10) -> list[dict]:
    """The ``k`` likeliest vocabulary entries of one logits row, with softmax over the vocabulary."""
    import torch

    probs = torch.softmax(logits_row.float(), dim=-1)
    top = torch.topk(probs, min(k, probs.shape[-1]))
    rows = []
    for p, i in zip(top.values.tolist(), top.indices.tolist()):
        rows.append({"token": tokenizer.convert_ids_to_tokens(int(i)), "id": int(i),
                     "logit": float(logits_row[int(i)]), "probability": float(p)})
    return rows
