"""Text classification and zero-shot (NLI) classification."""
from __future__ import annotations

from typing import Any

from lib.i18n import N_, _

from . import hood as H
from .common import Output, f, pipe_text_limit, scores, text_example, top_label, widget_example
from .core import CodeParts, TaskSpec

BATCH_SIZE = 32


# --------------------------------------------------------------------------- text-classification
def run_text_classification(loaded, inputs: dict, task: str, opts) -> Output:
    notices: list[str] = []
    text = pipe_text_limit(loaded, inputs["text"], notices)
    return scores(loaded.pipe(text, top_k=None)), notices


def run_text_classification_batch(loaded, items: list[dict], task: str, opts) -> list[Output]:
    notices = [[] for _ in items]
    texts = [pipe_text_limit(loaded, it["text"], n) for it, n in zip(items, notices)]
    rows = loaded.pipe(texts, top_k=None, batch_size=BATCH_SIZE)
    return [(scores(r), n) for r, n in zip(rows, notices)]


def hood_text_classification(loaded, model_id: str, task: str, inputs: dict) -> H.UnderTheHood:
    import torch

    e = H.encode(loaded, inputs.get("text", ""))
    logits = e.net(**e.feed).logits.float().cpu()[0]
    probs = torch.softmax(logits, dim=-1)
    rows = [{"id": i, "label": e.id2label.get(i, str(i)), "logit": float(logits[i]),
             "probability": float(probs[i])} for i in range(logits.shape[-1])]
    rows.sort(key=lambda r: -r["probability"])
    code = H.code(model_id, "AutoModelForSequenceClassification", e.text_expr,
                  "logits = out.logits[0]\nprobs = logits.softmax(-1)\n"  # i18n: code shown as code
                  "for i, p in enumerate(probs):\n    print(model.config.id2label[i], float(logits[i]), float(p))\n")
    return e.view(_("sequence classification"), logits.shape, rows,
                  _("One logit per label; softmax over the labels gives the probabilities."), code)


def _auto_text_classification(inp: dict, config: dict | None, opts: Any) -> str:
    # i18n: code shown as code
    return (f'inputs = tokenizer({inp.get("text")!r}, truncation=True, return_tensors="pt").to(device)\n'
            "with torch.inference_mode():\n"
            "    probs = model(**inputs).logits.softmax(-1)[0]\n"
            "print({model.config.id2label[i]: round(float(p), 4) for i, p in enumerate(probs)})\n")


# --------------------------------------------------------------------------- zero-shot
def has_entailment_label(config: dict) -> bool:
    labels = (config.get("id2label") or {}).values()
    return any(str(v).lower().startswith("entail") for v in labels)


def _check_zero_shot(config: dict) -> str | None:
    if has_entailment_label(config):
        return None
    labels = ", ".join(str(v) for v in (config.get("id2label") or {}).values()) or _("none")
    return _("Zero-shot classification needs a model trained on natural-language inference, with an 'entailment' "
             "label; this model's labels are: {labels}.").format(labels=labels)


def _zero_shot_example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    ex = widget_example("zero-shot-classification", language)
    if isinstance(ex, dict):
        return {"text": ex.get("text", ""), "labels": ex.get("candidate_labels", ""),
                "multi_label": bool(ex.get("multi_class", False))}
    return {"text": _("I have a problem with my iphone that needs to be resolved asap!"),
            "labels": _("urgent, not urgent, phone, tablet, computer"), "multi_label": False}


def _zero_shot_out(res: dict) -> dict:
    return {"labels": list(res["labels"]), "scores": [f(s) for s in res["scores"]]}


def run_zero_shot_classification(loaded, inputs: dict, task: str, opts) -> Output:
    notices: list[str] = []
    text = pipe_text_limit(loaded, inputs["text"], notices)
    res = loaded.pipe(text, candidate_labels=inputs["labels"],
                      multi_label=bool(inputs.get("multi_label", len(inputs["labels"]) == 1)))
    return _zero_shot_out(res), notices


def run_zero_shot_batch(loaded, items: list[dict], task: str, opts) -> list[Output]:
    """Items sharing labels and multi-label setting go through the pipeline in one call."""
    out: list[Output | None] = [None] * len(items)
    groups: dict[tuple, list[int]] = {}
    for i, it in enumerate(items):
        key = (tuple(it["labels"]), bool(it.get("multi_label", len(it["labels"]) == 1)))
        groups.setdefault(key, []).append(i)
    for (labels, multi), idx in groups.items():
        notices = {i: [] for i in idx}
        texts = [pipe_text_limit(loaded, items[i]["text"], notices[i]) for i in idx]
        res = loaded.pipe(texts, candidate_labels=list(labels), multi_label=multi, batch_size=BATCH_SIZE)
        res = res if isinstance(res, list) else [res]
        for i, r in zip(idx, res):
            out[i] = (_zero_shot_out(r), notices[i])
    return out  # type: ignore[return-value]


def hood_zero_shot(loaded, model_id: str, task: str, inputs: dict) -> H.UnderTheHood:
    import torch

    text = inputs.get("text", "")
    e = H.encode(loaded, text)
    labels = inputs.get("labels") or []
    if isinstance(labels, str):
        labels = [s.strip() for s in labels.split(",") if s.strip()]
    entail = next((i for i, lab in e.id2label.items() if lab.lower().startswith("entail")), None)
    contra = next((i for i, lab in e.id2label.items() if lab.lower().startswith("contra")), None)
    rows = []
    shape: tuple[int, ...] = ()
    for lab in labels[:16]:
        hyp = f"This example is {lab}."  # i18n: the pipeline's hypothesis template, a model input
        enc = e.tok(text, hyp, return_tensors="pt", truncation=True, max_length=H.MAX_TOKENS)
        lg = e.net(**H.to_device(enc, e.device)).logits.float().cpu()[0]
        shape = tuple(lg.shape)
        row = {"candidate": lab, "hypothesis": hyp}
        for i in range(lg.shape[-1]):
            row[f"logit {e.id2label.get(i, i)}"] = float(lg[i])
        if entail is not None and contra is not None:
            row["P(entailment vs contradiction)"] = float(torch.softmax(lg[[contra, entail]], -1)[1])
        rows.append(row)
    code = H.code(model_id, "AutoModelForSequenceClassification",  # i18n: code shown as code
                  f"{text!r}, 'This example is <label>.'",  # i18n: code shown as code
                  "print(out.logits.softmax(-1), model.config.id2label)\n")
    return e.view(_("natural-language inference (premise, hypothesis)"), shape, rows,
                  _("Each candidate becomes a hypothesis; its NLI logits, and softmax over entailment vs "
                    "contradiction."), code, notes=[_("Tokens shown for the premise alone.")])


def _pipeline_zero_shot(inp: dict, opts: Any) -> str:
    return f"result = pipe({inp.get('text')!r}, candidate_labels={inp['labels']!r})\n"  # i18n: code shown as code


def _auto_zero_shot(inp: dict, config: dict | None, opts: Any) -> str:
    return (f"text, labels = {inp.get('text')!r}, {inp['labels']!r}\n"  # i18n: code shown as code
            "entail = next(i for i, l in model.config.id2label.items() if l.lower().startswith(\"entail\"))\n"
            "pairs = tokenizer([text] * len(labels), [f\"This example is {l}.\" for l in labels], "
            'padding=True, truncation=True, return_tensors="pt").to(device)\n'
            "with torch.inference_mode():\n    scores = model(**pairs).logits[:, entail].softmax(-1)\n"
            "print(dict(zip(labels, scores.tolist())))\n")


SEQUENCE_CLASSES = ("MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",)

TASKS = [
    TaskSpec(tag="text-classification", input_kind="text", run=run_text_classification,
             run_batch=run_text_classification_batch, renderer="scores", pipeline_task="text-classification",
             example=text_example("text-classification", N_("I like you. I love you")),
             model_classes=SEQUENCE_CLASSES, head=N_("a sequence-classification head"), guess_rank=40,
             hood=hood_text_classification, metric="classification", prediction=top_label,
             code=CodeParts("AutoModelForSequenceClassification", auto_body=_auto_text_classification,
                            processor="tokenizer")),
    TaskSpec(tag="zero-shot-classification", input_kind="text_labels", run=run_zero_shot_classification,
             run_batch=run_zero_shot_batch, renderer="scores", pipeline_task="zero-shot-classification",
             example=_zero_shot_example, model_classes=SEQUENCE_CLASSES,
             head=N_("a sequence-classification (NLI) head"), check=_check_zero_shot, guess_rank=60,
             hood=hood_zero_shot, metric="classification", prediction=top_label,
             code=CodeParts("AutoModelForSequenceClassification", _pipeline_zero_shot, _auto_zero_shot,
                            "tokenizer")),
]
