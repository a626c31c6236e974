"""Token classification (named entities …): entities over the text, sub-words grouped."""
from __future__ import annotations

from typing import Any

from lib.i18n import N_, _

from . import hood as H
from .common import Output, f, pipe_text_limit, text_example
from .core import CodeParts, TaskSpec

BATCH_SIZE = 32


def _entities(rows: list[dict]) -> list[dict]:
    return [{"label": str(r.get("entity_group") or r.get("entity")), "score": f(r["score"]),
             "word": str(r.get("word", "")), "start": r.get("start"), "end": r.get("end")} for r in rows]


def run_token_classification(loaded, inputs: dict, task: str, opts) -> Output:
    notices: list[str] = []
    text = pipe_text_limit(loaded, inputs["text"], notices)
    try:
        rows = loaded.pipe(text, aggregation_strategy="simple")
    except ValueError:  # slow tokenizers cannot aggregate
        rows = loaded.pipe(text)
        notices.append(_("This tokenizer cannot group sub-words: entities are shown per token."))
    return {"text": text, "entities": _entities(rows)}, notices


def run_token_classification_batch(loaded, items: list[dict], task: str, opts) -> list[Output]:
    notices = [[] for _ in items]
    texts = [pipe_text_limit(loaded, it["text"], n) for it, n in zip(items, notices)]
    try:
        results = loaded.pipe(texts, aggregation_strategy="simple", batch_size=BATCH_SIZE)
    except ValueError:  # slow tokenizers cannot aggregate
        results = loaded.pipe(texts, batch_size=BATCH_SIZE)
        for n in notices:
            n.append(_("This tokenizer cannot group sub-words: entities are shown per token."))
    return [({"text": t, "entities": _entities(rows)}, n) for t, rows, n in zip(texts, results, notices)]


def hood_token_classification(loaded, model_id: str, task: str, inputs: dict) -> H.UnderTheHood:
    import torch

    e = H.encode(loaded, inputs.get("text", ""))
    logits = e.net(**e.feed).logits.float().cpu()[0]
    probs = torch.softmax(logits, dim=-1)
    rows = []
    for pos, (t, i) in enumerate(zip(e.tokens, e.ids)):
        best = int(probs[pos].argmax())
        rows.append({"position": pos, "token": t, "id": i, "label": e.id2label.get(best, str(best)),
                     "logit": float(logits[pos, best]), "probability": float(probs[pos, best])})
    code = H.code(model_id, "AutoModelForTokenClassification", e.text_expr,
                  "probs = out.logits[0].softmax(-1)\nbest = probs.argmax(-1)\n"  # i18n: code shown as code
                  "tokens = tokenizer.convert_ids_to_tokens(inputs['input_ids'][0])\n"
                  "for t, b, p in zip(tokens, best, probs):\n"
                  "    print(t, model.config.id2label[int(b)], float(p[b]))\n")
    return e.view(_("token classification"), logits.shape, rows,
                  _("Each token gets one logit per label; the best label and its softmax probability."), code)


def _pipeline_call(inp: dict, opts: Any) -> str:
    return f'result = pipe({inp.get("text")!r}, aggregation_strategy="simple")\n'  # i18n: code shown as code


def _auto_body(inp: dict, config: dict | None, opts: Any) -> str:
    return (f"text = {inp.get('text')!r}\n"  # i18n: code shown as code
            'inputs = tokenizer(text, truncation=True, return_offsets_mapping=True, return_tensors="pt")\n'
            'offsets = inputs.pop("offset_mapping")[0].tolist()\n'
            "with torch.inference_mode():\n    ids = model(**inputs.to(device)).logits.argmax(-1)[0].tolist()\n"
            "for (s, e), i in zip(offsets, ids):\n"
            "    label = model.config.id2label[i]\n"
            '    if e > s and label != "O":\n        print(text[s:e], label)\n')


TASKS = [
    TaskSpec(tag="token-classification", input_kind="text", run=run_token_classification,
             run_batch=run_token_classification_batch, renderer="entities", pipeline_task="token-classification",
             example=text_example("token-classification", N_("My name is Wolfgang and I live in Berlin")),
             model_classes=("MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES",), head=N_("a token-classification head"),
             hood=hood_token_classification,
             code=CodeParts("AutoModelForTokenClassification", _pipeline_call, _auto_body, "tokenizer")),
]
