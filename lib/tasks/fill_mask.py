"""Fill-mask: the model's guesses for its own mask token."""
from __future__ import annotations

from typing import Any

from lib import format as fmt
from lib.i18n import N_, _

from . import hood as H
from .common import Output, pipe_text_limit, scores, widget_example
from .core import CodeParts, TaskInputError, TaskRunError, TaskSpec

#: The usual spellings of a mask token; a text may use either whatever the model's own token is.
MASK_ALIASES = ("<mask>", "[MASK]")

BATCH_SIZE = 32


def with_mask_token(text: str, mask_token: str | None) -> str:
    """Replace the usual mask spellings (``<mask>``, ``[MASK]``) in ``text`` by ``mask_token``."""
    if not mask_token:
        return text
    for alias in MASK_ALIASES:
        if alias != mask_token:
            text = text.replace(alias, mask_token)
    return text


def example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    ex = widget_example("fill-mask", language)
    text = ex if isinstance(ex, str) else _("Paris is the <mask> of France.")
    return {"text": with_mask_token(text, mask_token)}


def _prepared(loaded, text: str, notices: list[str]) -> tuple[str, int]:
    """The text with the model's mask token, cut to fit; (text, number of masks). Raises for no mask."""
    mask = loaded.pipe.tokenizer.mask_token
    if not mask:
        raise TaskRunError(_("This tokenizer has no mask token, so it cannot fill masks."))
    for alias in MASK_ALIASES:
        if alias != mask and alias in text and mask not in text:
            text = text.replace(alias, mask)
            notices.append(_("Replaced {alias} with this model's mask token {mask}.").format(alias=alias, mask=mask))
    n = text.count(mask)
    if n == 0:
        raise TaskInputError(_("Put the model's mask token {mask} where a word is missing, e.g. "
                               "'Paris is the {mask} of France.'").format(mask=mask))
    text = pipe_text_limit(loaded, text, notices)
    if mask not in text:
        raise TaskInputError(_("The mask token {mask} was cut off by truncation: move it nearer the start.").format(
            mask=mask))
    return text, n


def _output(rows: list, n: int, notices: list[str]) -> dict:
    if n > 1:
        rows = rows[0]
        notices.append(_("The text has {n} mask tokens: predictions are shown for the first one.").format(
            n=fmt.number(n)))
    out = scores(rows, "token_str")
    out["sequences"] = [str(r["sequence"]) for r in sorted(rows, key=lambda r: -r["score"])]
    return out


def run_fill_mask(loaded, inputs: dict, task: str, opts) -> Output:
    notices: list[str] = []
    text, n = _prepared(loaded, inputs["text"], notices)
    return _output(loaded.pipe(text, top_k=5), n, notices), notices


def run_fill_mask_batch(loaded, items: list[dict], task: str, opts) -> list[Output]:
    """One pipeline call for the items with one mask each (a list answer per item); the rest one by one."""
    notices = [[] for _ in items]
    prepared = [_prepared(loaded, it["text"], n) for it, n in zip(items, notices)]
    single = [i for i, (_, n) in enumerate(prepared) if n == 1]
    rows: dict[int, list] = {}
    if single:
        res = loaded.pipe([prepared[i][0] for i in single], top_k=5, batch_size=BATCH_SIZE)
        rows.update(zip(single, res if len(single) > 1 else [res]))
    for i, (text, _n) in enumerate(prepared):
        if i not in rows:
            rows[i] = loaded.pipe(text, top_k=5)
    return [(_output(rows[i], prepared[i][1], notices[i]), notices[i]) for i in range(len(items))]


def hood_fill_mask(loaded, model_id: str, task: str, inputs: dict) -> H.UnderTheHood:
    e = H.encode(loaded, inputs.get("text", ""))
    mask_id = e.tok.mask_token_id
    if mask_id is None or mask_id not in e.ids:
        raise ValueError(_("Put the mask token {mask} in the text to see its predictions.").format(
            mask=e.tok.mask_token))
    pos = e.ids.index(mask_id)
    logits = e.net(**e.feed).logits.float().cpu()[0]
    rows = H.topk_rows(logits[pos], e.tok)
    code = H.code(model_id, "AutoModelForMaskedLM", e.text_expr,
                  # i18n: code shown as code
                  "pos = (inputs['input_ids'][0] == tokenizer.mask_token_id).nonzero()[0, 0]\n"
                  "probs = out.logits[0, pos].softmax(-1)\ntop = probs.topk(10)\n"
                  "print(tokenizer.convert_ids_to_tokens(top.indices), top.values)\n")
    return e.view(_("masked language model"), logits.shape, rows,
                  _("Top 10 of {n} vocabulary logits at the mask (position {position}); softmax over the whole "
                    "vocabulary.").format(n=fmt.number(logits.shape[-1]), position=pos), code, id2label={})


def _auto_body(inp: dict, config: dict | None, opts: Any) -> str:
    return (f"text = {inp.get('text')!r}.replace(\"[MASK]\", tokenizer.mask_token)\n"  # i18n: code shown as code
            'inputs = tokenizer(text, truncation=True, return_tensors="pt").to(device)\n'
            "pos = (inputs.input_ids[0] == tokenizer.mask_token_id).nonzero()[0, 0]\n"
            "with torch.inference_mode():\n    probs = model(**inputs).logits[0, pos].softmax(-1)\n"
            "for p, i in zip(*probs.topk(5)):\n    print(tokenizer.decode([int(i)]), round(float(p), 4))\n")


TASKS = [
    TaskSpec(tag="fill-mask", input_kind="masked_text", run=run_fill_mask, run_batch=run_fill_mask_batch,
             renderer="scores", pipeline_task="fill-mask", example=example,
             model_classes=("MODEL_FOR_MASKED_LM_MAPPING_NAMES",), head=N_("a masked-language-model head"),
             hood=hood_fill_mask, code=CodeParts("AutoModelForMaskedLM", auto_body=_auto_body, processor="tokenizer")),
]
