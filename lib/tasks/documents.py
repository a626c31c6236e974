"""Documents and tables: table question answering (TAPAS …) and document question answering
(Donut OCR-free; LayoutLM-style models need Tesseract OCR)."""
from __future__ import annotations

from typing import Any

from lib import format as fmt
from lib.i18n import N_, _

from .archs import serves
from .common import EXAMPLE_DOCUMENT, Output, decoder_limit, f, output_text, truncate_text, widget_example
from .core import CodeParts, TaskRunError, TaskSpec

#: The prompt transformers' DocumentQuestionAnsweringPipeline gives Donut (the answer follows it).
DONUT_PROMPT = "<s_docvqa><s_question>{}</s_question><s_answer>"

OCR_NEEDED = N_("This document model reads OCR'd words and boxes (LayoutLM style) and needs Tesseract OCR, "
                "which is not installed here; OCR-free models such as Donut run in place.")

DOC_QA_CLASSES = ("MODEL_FOR_DOCUMENT_QUESTION_ANSWERING_MAPPING_NAMES",)
VLM_CLASSES = ("MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES",)


# --------------------------------------------------------------------------- tables
def _table_example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    ex = widget_example("table-question-answering", language)
    if isinstance(ex, dict) and ex.get("table"):
        return {"table": {k: [str(v) for v in vals] for k, vals in ex["table"].items()}, "text": ex.get("text", "")}
    return {"table": {_("city"): ["Paris", "Berlin"], _("people"): ["2.1M", "3.7M"]},
            "text": _("Which city has more people?")}


def run_table_question_answering(loaded, inputs: dict, task: str, opts) -> Output:
    res = loaded.pipe(table=inputs["table"], query=inputs["text"])
    out = {"text": str(res.get("answer", "")), "cells": [str(c) for c in res.get("cells", [])],
           "aggregator": res.get("aggregator")}
    return out, []


def _pipeline_table(inp: dict, opts: Any) -> str:
    return f"result = pipe(table={inp['table']!r}, query={inp.get('text')!r})\n"  # i18n: code shown as code


def _auto_table(inp: dict, config: dict | None, opts: Any) -> str:
    return (f"import pandas as pd\ntable = pd.DataFrame({inp['table']!r})\n"  # i18n: code shown as code
            f'inputs = processor(table=table, queries={inp.get("text")!r}, return_tensors="pt").to(device)\n'
            "with torch.inference_mode():\n    outputs = model(**inputs)\n"
            "coords, = processor.convert_logits_to_predictions(inputs, outputs.logits.cpu())[:1]\n"
            "print([table.iat[r, c] for r, c in coords[0]])\n")


# --------------------------------------------------------------------------- documents
def _document_example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    return {"image": str(EXAMPLE_DOCUMENT), "text": _("What is the total?")}


def check_document_qa(config: dict) -> str | None:
    """transformers' document-QA pipeline serves LayoutLM v1-v3 (extractive, OCR) and Donut only.

    A vision-encoder-decoder must have a ``donut-swin`` encoder (the pipeline refuses others at load);
    other image-text-to-text models would be loaded as if they were LayoutLM and fail inside the run.
    """
    archs = tuple(config.get("architectures") or ())
    model_type = config.get("model_type")
    if model_type == "vision-encoder-decoder":
        encoder = (config.get("encoder") or {}).get("model_type")
        if encoder != "donut-swin":
            return _("The document-question-answering pipeline runs Donut vision-encoder-decoders (donut-swin "
                     "encoder) only; this one has a {encoder} encoder. Try it as image-to-text.").format(
                encoder=encoder or _("unknown"))
        return None
    if serves(DOC_QA_CLASSES, archs, model_type):
        return None
    if serves(VLM_CLASSES, archs, model_type):
        return _("This is a vision-language model ({architectures}); the document-question-answering pipeline runs "
                 "LayoutLM and Donut models only. Ask it about the document as image-text-to-text.").format(
            architectures=", ".join(archs) or model_type)
    return None


def is_donut_pipeline(pipe: Any) -> bool:
    """The document-QA pipeline takes its generative (Donut) path for a vision-encoder-decoder model."""
    return type(pipe.model.config).__name__ == "VisionEncoderDecoderConfig"


def run_document_qa(loaded, inputs: dict, task: str, opts) -> Output:
    """Image + question -> ``{"text", "score"}`` through the document-question-answering pipeline.

    Donut (OCR-free) generates the answer: the question is cut to fit the decoder and max new tokens
    is capped to the decoder's positions (the pipeline ignores call-time generation arguments, so the
    cap goes through the model's generation config for the duration of the call); it gives no score.
    LayoutLM-style models extract a span from OCR'd words: without Tesseract they get a clear error.
    """
    pipe = loaded.pipe
    notices: list[str] = []
    question = inputs["text"]
    if not is_donut_pipeline(pipe):
        try:
            rows = pipe(image=inputs["image"], question=question)
        except (ValueError, ImportError) as e:
            if "tesseract" in str(e).lower() or "ocr" in str(e).lower():
                raise TaskRunError(_(OCR_NEEDED)) from None
            raise
        rows = rows if isinstance(rows, list) else [rows]
        best = rows[0] if rows else {"answer": ""}
        return {"text": str(best.get("answer") or "").strip(), "score": f(best.get("score"))}, notices
    tok = pipe.tokenizer
    limit = decoder_limit(tok, loaded.config)
    frame = len(tok(DONUT_PROMPT.format(""), add_special_tokens=False)["input_ids"])
    question, notice = truncate_text(tok, question, max(limit // 2 - frame, 1), "question")
    if notice:
        notices.append(notice)
    prompt_len = len(tok(DONUT_PROMPT.format(question), add_special_tokens=False)["input_ids"])
    room = max(limit - prompt_len, 1)
    want = int(opts.max_new_tokens)
    new = min(want, room)
    if new < want:
        notices.append(_("The decoder has {limit} positions and the prompt takes {used}: max new tokens was lowered "
                         "from {want} to {new}.").format(limit=fmt.number(limit), used=fmt.number(prompt_len),
                                                         want=fmt.number(want), new=fmt.number(new)))
    gc = pipe.model.generation_config
    saved = (gc.max_new_tokens, gc.max_length)
    gc.max_new_tokens, gc.max_length = new, None
    try:
        rows = pipe(image=inputs["image"], question=question)
    finally:
        gc.max_new_tokens, gc.max_length = saved
    rows = rows if isinstance(rows, list) else [rows]
    answer = rows[0].get("answer") if rows else None
    if answer is None:
        notices.append(_("The model did not finish an answer (no </s_answer> in what it generated within {new} new "
                         "tokens): try more new tokens, or a checkpoint fine-tuned for DocVQA.").format(
            new=fmt.number(new)))
    return {"text": str(answer or "").strip(), "score": f(rows[0].get("score")) if rows else None}, notices


def _pipeline_document(inp: dict, opts: Any) -> str:
    return f"result = pipe(image=image, question={inp.get('text')!r})\n"  # i18n: code shown as code


TASKS = [
    TaskSpec(tag="table-question-answering", input_kind="table_question", run=run_table_question_answering,
             renderer="text", pipeline_task="table-question-answering", example=_table_example,
             model_classes=("MODEL_FOR_TABLE_QUESTION_ANSWERING_MAPPING_NAMES",
                            "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES"), guess_rank=60,
             metric="extractive_qa", prediction=output_text,
             code=CodeParts("AutoModelForTableQuestionAnswering", _pipeline_table, _auto_table)),
    TaskSpec(tag="document-question-answering", input_kind="image_question", run=run_document_qa, renderer="text",
             pipeline_task="document-question-answering", example=_document_example,
             model_classes=(*DOC_QA_CLASSES, *VLM_CLASSES), check=check_document_qa, guess_rank=60,
             metric="extractive_qa", prediction=output_text,
             code=CodeParts("AutoModelForDocumentQuestionAnswering", _pipeline_document)),
]
