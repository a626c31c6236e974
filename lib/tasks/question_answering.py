"""Extractive question answering (a pipeline transformers 5 removed): span QA over the context in
overlapping windows, decoded with offset mappings."""
from __future__ import annotations

from typing import Any

from lib import format as fmt
from lib.i18n import N_, _

from . import hood as H
from .common import Output, answer_text, max_tokens, widget_example
from .core import CodeParts, TaskInputError, TaskSpec


def example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    ex = widget_example("question-answering", language)
    if isinstance(ex, dict):
        return {"question": ex.get("text", ""), "context": ex.get("context", "")}
    return {"question": _("Where do I live?"), "context": _("My name is Wolfgang and I live in Berlin")}


def run_question_answering(loaded, inputs: dict, task: str, opts, max_answer_tokens: int = 30,
                           stride: int = 128) -> Output:
    import torch

    notices: list[str] = []
    tok, model = loaded.tokenizer, loaded.model
    question, context = inputs["question"], inputs["context"]
    limit = min(max_tokens(tok, loaded.config), 384)
    q_len = len(tok(question, add_special_tokens=False)["input_ids"])
    if q_len > limit // 2:
        raise TaskInputError(_("The question is {n} tokens long; keep it under {limit}.").format(
            n=fmt.number(q_len), limit=fmt.number(limit // 2)))
    stride = min(stride, max(limit - q_len - 8, 1) // 2)
    pad_right = tok.padding_side == "right"
    enc = tok(question if pad_right else context, context if pad_right else question,
              truncation="only_second" if pad_right else "only_first", max_length=limit, stride=stride,
              return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, return_tensors="pt")
    offsets = enc.pop("offset_mapping")
    enc.pop("overflow_to_sample_mapping", None)
    windows = offsets.shape[0]
    if windows > 1:
        notices.append(_("The context is longer than the model's {limit} tokens: read in {n} overlapping "
                         "windows.").format(limit=fmt.number(limit), n=fmt.number(windows)))
    feed = H.to_device(enc, loaded.device)
    with torch.inference_mode():
        out = model(**feed)
    start_logits = out.start_logits.float().cpu()
    end_logits = out.end_logits.float().cpu()
    ctx_index = 1 if pad_right else 0
    best = None
    for w in range(windows):
        seq_ids = enc.sequence_ids(w)
        is_ctx = torch.tensor([s == ctx_index for s in seq_ids])
        s_log = start_logits[w].masked_fill(~is_ctx, -1e4)
        e_log = end_logits[w].masked_fill(~is_ctx, -1e4)
        s_prob, e_prob = s_log.softmax(-1), e_log.softmax(-1)
        scores = torch.triu(s_prob[:, None] * e_prob[None, :])
        scores = torch.tril(scores, diagonal=max_answer_tokens - 1)
        scores = scores * is_ctx[:, None] * is_ctx[None, :]
        flat = int(scores.argmax())
        s_i, e_i = divmod(flat, scores.shape[1])
        score = float(scores[s_i, e_i])
        if score > 0 and (best is None or score > best[0]):
            best = (score, int(offsets[w][s_i][0]), int(offsets[w][e_i][1]))
    if best is None:
        return {"answer": "", "score": 0.0, "start": None, "end": None, "context": context}, \
            notices + [_("The model found no answer span in the context.")]
    score, start, end = best
    return {"answer": context[start:end], "score": score, "start": start, "end": end, "context": context}, notices


def hood_question_answering(loaded, model_id: str, task: str, inputs: dict) -> H.UnderTheHood:
    import torch

    e = H.encode(loaded, (inputs.get("question", ""), inputs.get("context", "")))
    out = e.net(**e.feed)
    s, end = out.start_logits.float().cpu()[0], out.end_logits.float().cpu()[0]
    ps, pe = torch.softmax(s, -1), torch.softmax(end, -1)
    start_col, end_col = _("start logit"), _("end logit")
    rows = [{"position": p, "token": t, "id": i, start_col: float(s[p]), "P(start)": float(ps[p]),
             end_col: float(end[p]), "P(end)": float(pe[p])} for p, (t, i) in enumerate(zip(e.tokens, e.ids))]
    rows.sort(key=lambda r: -(r["P(start)"] + r["P(end)"]))
    code = H.code(model_id, "AutoModelForQuestionAnswering", e.text_expr,
                  # i18n: code shown as code
                  "start = out.start_logits[0].softmax(-1)\nend = out.end_logits[0].softmax(-1)\n"
                  "s, e = int(start.argmax()), int(end.argmax())\n"
                  "print(tokenizer.decode(inputs['input_ids'][0, s:e + 1]))\n")
    return e.view(_("span question answering (start / end logits)"), s.shape, rows[:20],
                  _("Per token: how likely the answer starts / ends there (softmax over positions); the 20 likeliest "
                    "tokens."), code, id2label={})


def _auto_body(inp: dict, config: dict | None, opts: Any) -> str:
    return (f"question, context = {inp['question']!r}, {inp['context']!r}\n"  # i18n: code shown as code
            'inputs = tokenizer(question, context, truncation="only_second", return_offsets_mapping=True, '
            'return_tensors="pt")\n'
            'offsets = inputs.pop("offset_mapping")[0]\n'
            "in_context = torch.tensor([s == 1 for s in inputs.sequence_ids(0)])\n"
            "with torch.inference_mode():\n    out = model(**inputs.to(device))\n"
            "start = out.start_logits[0].cpu().masked_fill(~in_context, -1e4).softmax(-1)\n"
            "end = out.end_logits[0].cpu().masked_fill(~in_context, -1e4).softmax(-1)\n"
            "scores = torch.tril(torch.triu(start[:, None] * end[None, :]), diagonal=29)\n"
            "s, e = divmod(int(scores.argmax()), scores.shape[1])\n"
            "print(context[int(offsets[s][0]):int(offsets[e][1])], round(float(scores[s, e]), 4))\n")


TASKS = [
    TaskSpec(tag="question-answering", input_kind="question_context", run=run_question_answering,
             renderer="answer", example=example, model_classes=("MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES",),
             head=N_("a span question-answering head"), hood=hood_question_answering, metric="extractive_qa",
             prediction=answer_text,
             code=CodeParts("AutoModelForQuestionAnswering", auto_body=_auto_body, processor="tokenizer")),
]
