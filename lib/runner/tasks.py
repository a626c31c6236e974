"""Run functions named in ``lib.tasks`` (``TaskSpec.runner``) and output normalisation.

Each ``run_*(loaded, inputs, task, opts) -> (output, notices)``; the model is already loaded (see
``loader.Loaded``) and the inputs validated (``inputs.validate``). Outputs per renderer:

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

from typing import Any

from .errors import BadInput, RunFailed
from .loader import Loaded
from .result import RunOptions

Output = tuple[dict[str, Any], list[str]]


# --------------------------------------------------------------------------- helpers
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


def truncate_text(tokenizer: Any, text: str, limit: int, what: str = "text", keep: str = "start") -> tuple[str, str | None]:
    """Cut ``text`` so that it encodes to at most ``limit`` tokens (specials included). Returns (text, notice)."""
    if tokenizer is None or not text:
        return text, None
    try:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    except Exception:
        enc = tokenizer(text, add_special_tokens=False)
    ids = enc["input_ids"]
    n_special = 0
    try:
        n_special = tokenizer.num_special_tokens_to_add(pair=False)
    except Exception:
        pass
    room = max(limit - n_special, 1)
    if len(ids) <= room:
        return text, None
    offsets = enc.get("offset_mapping") if hasattr(enc, "get") else None
    if offsets:
        cut = text[: offsets[room - 1][1]] if keep == "start" else text[offsets[len(ids) - room][0]:]
    else:
        cut = tokenizer.decode(ids[:room] if keep == "start" else ids[-room:], skip_special_tokens=True)
    part = "first" if keep == "start" else "last"
    return cut, (f"The {what} is {len(ids):,} tokens long; the model reads at most {limit:,}: "
                 f"only the {part} {room:,} tokens were used.")


def _f(x: Any) -> float:
    return float(x) if x is not None else None  # numpy / torch scalars -> float


def _scores(rows: list[dict], label_key: str = "label") -> dict:
    rows = sorted(rows, key=lambda r: -float(r["score"]))
    return {"labels": [str(r[label_key]) for r in rows], "scores": [_f(r["score"]) for r in rows]}


def _pipe_text_limit(loaded: Loaded, text: str, notices: list[str], what: str = "text", keep: str = "start") -> str:
    tok = getattr(loaded.pipe, "tokenizer", None) if loaded.pipe is not None else loaded.tokenizer
    limit = max_tokens(tok, loaded.config)
    text, notice = truncate_text(tok, text, limit, what, keep)
    if notice:
        notices.append(notice)
    return text


def _image_out_size(img) -> tuple[int, int]:
    return (int(img.width), int(img.height))


# --------------------------------------------------------------------------- pipeline tasks
# --------------------------------------------------------------------------- pipeline tasks
# One run function per task served by a transformers-5 pipeline (the loader builds the pipeline from
# the registry's ``pipeline_task``); the registry names the function.
def run_text_classification(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    notices: list[str] = []
    text = _pipe_text_limit(loaded, inputs["text"], notices)
    return _scores(loaded.pipe(text, top_k=None)), notices


def run_token_classification(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    notices: list[str] = []
    text = _pipe_text_limit(loaded, inputs["text"], notices)
    try:
        rows = loaded.pipe(text, aggregation_strategy="simple")
    except ValueError:  # slow tokenizers cannot aggregate
        rows = loaded.pipe(text)
        notices.append("This tokenizer cannot group sub-words: entities are shown per token.")
    ents = [{"label": str(r.get("entity_group") or r.get("entity")), "score": _f(r["score"]),
             "word": str(r.get("word", "")), "start": r.get("start"), "end": r.get("end")} for r in rows]
    return {"text": text, "entities": ents}, notices


def run_fill_mask(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    pipe = loaded.pipe
    notices: list[str] = []
    text = inputs["text"]
    mask = pipe.tokenizer.mask_token
    if not mask:
        raise RunFailed("This tokenizer has no mask token, so it cannot fill masks.")
    for alias in ("[MASK]", "<mask>"):
        if alias != mask and alias in text and mask not in text:
            text = text.replace(alias, mask)
            notices.append(f"Replaced {alias} with this model's mask token {mask}.")
    n = text.count(mask)
    if n == 0:
        raise BadInput(f"Put the model's mask token {mask} where a word is missing, e.g. "
                       f"'Paris is the {mask} of France.'")
    text = _pipe_text_limit(loaded, text, notices)
    if mask not in text:
        raise BadInput(f"The mask token {mask} was cut off by truncation: move it nearer the start.")
    rows = pipe(text, top_k=5)
    if n > 1:
        rows = rows[0]
        notices.append(f"The text has {n} mask tokens: predictions are shown for the first one.")
    out = _scores(rows, "token_str")
    out["sequences"] = [str(r["sequence"]) for r in sorted(rows, key=lambda r: -r["score"])]
    return out, notices


def run_zero_shot_classification(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    notices: list[str] = []
    text = _pipe_text_limit(loaded, inputs["text"], notices)
    res = loaded.pipe(text, candidate_labels=inputs["labels"],
                      multi_label=bool(inputs.get("multi_label", len(inputs["labels"]) == 1)))
    return {"labels": list(res["labels"]), "scores": [_f(s) for s in res["scores"]]}, notices


def run_image_classification(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    return _scores(loaded.pipe(inputs["image"], top_k=10)), []


def run_zero_shot_image_classification(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    return _scores(loaded.pipe(inputs["image"], candidate_labels=inputs["labels"])), []


def run_object_detection(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    notices: list[str] = []
    rows = loaded.pipe(inputs["image"], threshold=opts.threshold)
    boxes = [{"label": str(r["label"]), "score": _f(r["score"]), **{k: int(v) for k, v in r["box"].items()}}
             for r in sorted(rows, key=lambda r: -r["score"])]
    if not boxes:
        notices.append(f"No object scored above the {opts.threshold:.2f} threshold.")
    return {"image_size": _image_out_size(inputs["image"]), "boxes": boxes}, notices


def run_image_segmentation(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    import numpy as np

    rows = loaded.pipe(inputs["image"])
    masks = [{"label": str(r["label"]), "score": _f(r.get("score")), "mask": np.asarray(r["mask"]) > 0}
             for r in rows]
    return {"image_size": _image_out_size(inputs["image"]), "masks": masks}, []


def run_depth_estimation(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    import numpy as np

    res = loaded.pipe(inputs["image"])
    depth = res["predicted_depth"]
    depth = depth.float().cpu().numpy() if hasattr(depth, "cpu") else np.asarray(depth, dtype=np.float32)
    return {"depth": np.squeeze(depth), "image": res.get("depth")}, []


def _audio_feed(loaded: Loaded, inputs: dict, notices: list[str]) -> tuple[dict, int]:
    """The clip resampled to the feature extractor's rate, as the pipeline takes it."""
    from .inputs import resample

    fe = getattr(loaded.pipe, "feature_extractor", None)
    rate = getattr(fe, "sampling_rate", None) or inputs["audio"]["sampling_rate"]
    audio = resample(inputs["audio"], rate)
    if audio is not inputs["audio"]:
        notices.append(f"Resampled the clip from {inputs['audio']['sampling_rate']} Hz to {rate} Hz.")
    return {"raw": audio["array"].copy(), "sampling_rate": audio["sampling_rate"]}, rate


def run_audio_classification(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    notices: list[str] = []
    feed, _ = _audio_feed(loaded, inputs, notices)
    return _scores(loaded.pipe(feed, top_k=5)), notices


def run_speech_recognition(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    notices: list[str] = []
    feed, rate = _audio_feed(loaded, inputs, notices)
    kw: dict[str, Any] = {}
    if feed["raw"].size / rate > 30:
        kw["chunk_length_s"] = 30
        notices.append("The clip is longer than 30 s: transcribed in 30 s chunks.")
    res = loaded.pipe(feed, **kw)
    return {"text": str(res["text"]).strip()}, notices


def run_text_to_audio(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    import numpy as np

    notices: list[str] = []
    text = _pipe_text_limit(loaded, inputs["text"], notices)
    res = loaded.pipe(text)
    audio = np.asarray(res["audio"], dtype=np.float32).squeeze()
    return {"audio": audio, "sampling_rate": int(res["sampling_rate"])}, notices


def run_table_question_answering(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    res = loaded.pipe(table=inputs["table"], query=inputs["text"])
    out = {"text": str(res.get("answer", "")), "cells": [str(c) for c in res.get("cells", [])],
           "aggregator": res.get("aggregator")}
    return out, []


# --------------------------------------------------------------------------- document QA
DONUT_PROMPT = "<s_docvqa><s_question>{}</s_question><s_answer>"
"""The prompt transformers' DocumentQuestionAnsweringPipeline gives Donut (the answer follows it)."""

OCR_NEEDED = ("This document model reads OCR'd words and boxes (LayoutLM style) and needs Tesseract OCR, "
              "which is not installed here; OCR-free models such as Donut run in place.")


def is_donut_pipeline(pipe: Any) -> bool:
    """The document-QA pipeline takes its generative (Donut) path for a vision-encoder-decoder model."""
    return type(pipe.model.config).__name__ == "VisionEncoderDecoderConfig"


def run_document_qa(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    """Image + question -> ``{"text", "score"}`` through the document-question-answering pipeline.

    Donut (OCR-free) generates the answer: the question is cut to fit the decoder and max new tokens
    is capped to the decoder's positions (the pipeline ignores call-time generation arguments, so the
    cap goes through the model's generation config for the duration of the call); it gives no score.
    LayoutLM-style models extract a span from OCR'd words: without Tesseract they get a clear RunFailed.
    """
    pipe = loaded.pipe
    notices: list[str] = []
    question = inputs["text"]
    if not is_donut_pipeline(pipe):
        try:
            rows = pipe(image=inputs["image"], question=question)
        except (ValueError, ImportError) as e:
            if "tesseract" in str(e).lower() or "ocr" in str(e).lower():
                raise RunFailed(OCR_NEEDED) from None
            raise
        rows = rows if isinstance(rows, list) else [rows]
        best = rows[0] if rows else {"answer": ""}
        return {"text": str(best.get("answer") or "").strip(), "score": _f(best.get("score"))}, notices
    tok = pipe.tokenizer
    limit = _decoder_limit(tok, loaded.config)
    frame = len(tok(DONUT_PROMPT.format(""), add_special_tokens=False)["input_ids"])
    question, notice = truncate_text(tok, question, max(limit // 2 - frame, 1), "question")
    if notice:
        notices.append(notice)
    prompt_len = len(tok(DONUT_PROMPT.format(question), add_special_tokens=False)["input_ids"])
    room = max(limit - prompt_len, 1)
    want = int(opts.max_new_tokens)
    new = min(want, room)
    if new < want:
        notices.append(f"The decoder has {limit} positions and the prompt takes {prompt_len}: max new tokens "
                       f"was lowered from {want} to {new}.")
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
        notices.append("The model did not finish an answer (no </s_answer> in what it generated within "
                       f"{new} new tokens): try more new tokens, or a checkpoint fine-tuned for DocVQA.")
    return {"text": str(answer or "").strip(), "score": _f(rows[0].get("score")) if rows else None}, notices


# --------------------------------------------------------------------------- generation
def _decoder_limit(tokenizer: Any, config: dict) -> int:
    """Positions the generating decoder has (the text/decoder sub-config for multimodal models)."""
    cfg = config or {}
    sub = cfg.get("text_config") or cfg.get("decoder") or {}
    return max_tokens(tokenizer, {**cfg, **sub} if sub else cfg)


def _cap_new_tokens(opts: RunOptions, limit: int, notices: list[str]) -> int:
    """max_new_tokens, capped so that generation stays within the model's positions."""
    want = int(opts.max_new_tokens)
    if want <= limit - 8:
        return want
    capped = max(limit // 2, 1)
    notices.append(f"This model handles {limit} positions in all: max new tokens was lowered from {want} "
                   f"to {capped} to leave room for the prompt.")
    return capped


def _gen_kwargs(opts: RunOptions, max_new: int | None = None) -> dict:
    kw: dict[str, Any] = {"max_new_tokens": int(max_new if max_new is not None else opts.max_new_tokens)}
    if opts.do_sample:
        kw.update(do_sample=True, temperature=float(opts.temperature), top_p=float(opts.top_p))
    else:
        kw["do_sample"] = False
    return kw


def has_chat_template(tokenizer_or_processor: Any) -> bool:
    return bool(getattr(tokenizer_or_processor, "chat_template", None))


def run_text_generation(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    """Plain completion, or chat when the tokenizer has a chat template."""
    pipe = loaded.pipe
    notices: list[str] = []
    tok = pipe.tokenizer
    total = max_tokens(tok, loaded.config)
    new = _cap_new_tokens(opts, total, notices)
    limit = max(total - new, 8)
    kw = _gen_kwargs(opts, new)
    if tok.pad_token_id is None and tok.eos_token_id is not None:
        kw["pad_token_id"] = tok.eos_token_id
    if has_chat_template(tok):
        messages = list(inputs.get("messages") or [{"role": "user", "content": inputs["text"]}])
        if opts.system_prompt and not any(m["role"] == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": opts.system_prompt})
        last = messages[-1]["content"]
        last, notice = truncate_text(tok, last, limit, "prompt", keep="end")
        if notice:
            notices.append(notice)
        messages[-1] = {**messages[-1], "content": last}
        res = pipe(messages, **kw)
        gen = res[0]["generated_text"]
        text = gen[-1]["content"] if isinstance(gen, list) else str(gen)
        return {"text": str(text), "chat": True}, notices
    prompt = inputs.get("text") or "\n".join(m["content"] for m in inputs["messages"])
    prompt, notice = truncate_text(tok, prompt, limit, "prompt", keep="end")
    if notice:
        notices.append(notice)
    notices.append("This model has no chat template: it continues your text instead of answering it.")
    res = pipe(prompt, return_full_text=False, **kw)
    return {"text": str(res[0]["generated_text"]), "chat": False, "prompt": prompt}, notices


def run_image_text_to_text(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    """Image + prompt -> text (captioners and vision-language chat models)."""
    import torch

    notices: list[str] = []
    prompt = inputs.get("text") or ""
    tok = loaded.tokenizer if loaded.pipe is None else getattr(loaded.pipe, "tokenizer", None)
    kw = _gen_kwargs(opts, _cap_new_tokens(opts, _decoder_limit(tok, loaded.config), notices))
    if loaded.pipe is not None:
        pipe = loaded.pipe
        kw = {"max_new_tokens": kw.pop("max_new_tokens"), "generate_kwargs": kw}
        if has_chat_template(getattr(pipe, "processor", None)):
            content = [{"type": "image", "image": inputs["image"]}]
            if prompt:
                content.append({"type": "text", "text": prompt})
            res = pipe(text=[{"role": "user", "content": content}], return_full_text=False, **kw)
        else:
            res = pipe(images=inputs["image"], text=prompt, return_full_text=False, **kw)
        res = res[0] if isinstance(res, list) else res
        text = res["generated_text"]
        if isinstance(text, list):
            text = text[-1]["content"]
        return {"text": str(text).strip()}, notices
    pixel = loaded.processor(images=inputs["image"], return_tensors="pt")["pixel_values"]
    pixel = pixel.to(loaded.device, dtype=next(loaded.model.parameters()).dtype)
    if prompt:
        notices.append("This captioning model does not read prompts: the prompt was ignored.")
    with torch.inference_mode():
        ids = loaded.model.generate(pixel_values=pixel, **kw)
    return {"text": loaded.tokenizer.decode(ids[0], skip_special_tokens=True).strip()}, notices


def seq2seq_prefix(config: dict, task: str) -> tuple[str, str | None]:
    """(prefix, params key) from config ``task_specific_params`` for the task ('' when none)."""
    params = (config or {}).get("task_specific_params") or {}
    if task == "summarization" and "summarization" in params:
        return params["summarization"].get("prefix") or "", "summarization"
    if task == "translation":
        keys = [k for k in params if k.startswith("translation")]
        if keys:
            return params[keys[0]].get("prefix") or "", keys[0]
    return "", None


def run_seq2seq(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    """translation / summarization / text2text-generation with AutoModelForSeq2SeqLM + generate."""
    import torch

    notices: list[str] = []
    tok, model = loaded.tokenizer, loaded.model
    prefix, key = seq2seq_prefix(loaded.config, task)
    text = inputs.get("text") or "\n".join(m["content"] for m in inputs.get("messages", []))
    if prefix and not text.startswith(prefix.strip()):
        text = prefix + text
        notices.append(f"Added the model's {key} prefix {prefix.strip()!r}.")
    limit = max_tokens(tok, loaded.config) if (tok.model_max_length or 0) < 1_000_000 else 512
    enc = tok(text, return_tensors="pt", truncation=True, max_length=limit)
    full = len(tok(text, add_special_tokens=True)["input_ids"])
    if full > limit:
        notices.append(f"The text is {full:,} tokens long; the model reads at most {limit:,}: the rest was cut.")
    enc = {k: v.to(loaded.device) for k, v in enc.items()}
    with torch.inference_mode():
        ids = model.generate(**enc, **_gen_kwargs(opts))
    return {"text": tok.decode(ids[0], skip_special_tokens=True).strip()}, notices


# --------------------------------------------------------------------------- extractive QA
def run_question_answering(loaded: Loaded, inputs: dict, task: str, opts: RunOptions,
                           max_answer_tokens: int = 30, stride: int = 128) -> Output:
    """Span QA over the context in overlapping windows, decoded with offset mappings."""
    import torch

    notices: list[str] = []
    tok, model = loaded.tokenizer, loaded.model
    question, context = inputs["question"], inputs["context"]
    limit = min(max_tokens(tok, loaded.config), 384)
    q_len = len(tok(question, add_special_tokens=False)["input_ids"])
    if q_len > limit // 2:
        raise BadInput(f"The question is {q_len} tokens long; keep it under {limit // 2}.")
    stride = min(stride, max(limit - q_len - 8, 1) // 2)
    pad_right = tok.padding_side == "right"
    enc = tok(question if pad_right else context, context if pad_right else question,
              truncation="only_second" if pad_right else "only_first", max_length=limit, stride=stride,
              return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, return_tensors="pt")
    offsets = enc.pop("offset_mapping")
    enc.pop("overflow_to_sample_mapping", None)
    windows = offsets.shape[0]
    if windows > 1:
        notices.append(f"The context is longer than the model's {limit} tokens: read in {windows} overlapping windows.")
    feed = {k: v.to(loaded.device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
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
            notices + ["The model found no answer span in the context."]
    score, start, end = best
    return {"answer": context[start:end], "score": score, "start": start, "end": end, "context": context}, notices


# --------------------------------------------------------------------------- embeddings
def embed(loaded: Loaded, texts: list[str], notices: list[str]):
    """L2-normalised sentence embeddings (numpy [n, dim]) and the pooling used."""
    import numpy as np
    import torch

    if loaded.kind == "sentence_transformers":
        m = loaded.model
        limit = getattr(m, "max_seq_length", None) or 512
        for t in texts:
            _, notice = truncate_text(m.tokenizer, t, limit, "text")
            if notice and notice not in notices:
                notices.append(notice)
        vec = m.encode(texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vec, dtype=np.float32), "sentence-transformers"
    tok, model = loaded.tokenizer, loaded.model
    limit = max_tokens(tok, loaded.config)
    for t in texts:
        _, notice = truncate_text(tok, t, limit, "text")
        if notice and notice not in notices:
            notices.append(notice)
    enc = tok(texts, padding=True, truncation=True, max_length=limit, return_tensors="pt")
    enc = {k: v.to(loaded.device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state.float()
    mask = enc["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    pooled = torch.nn.functional.normalize(pooled, dim=-1)
    return pooled.cpu().numpy(), "mean"


def run_feature_extraction(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    import numpy as np

    notices: list[str] = []
    vecs, pooling = embed(loaded, [inputs["text"]], notices)
    v = vecs[0]
    return {"dim": int(v.shape[0]), "norm": float(np.linalg.norm(v)), "vector": [float(x) for x in v],
            "pooling": pooling}, notices


def run_sentence_similarity(loaded: Loaded, inputs: dict, task: str, opts: RunOptions) -> Output:
    notices: list[str] = []
    texts = [inputs["source"], *inputs["sentences"]]
    vecs, pooling = embed(loaded, texts, notices)
    matrix = vecs @ vecs.T
    return {"source": inputs["source"], "sentences": list(inputs["sentences"]),
            "scores": [float(x) for x in matrix[0, 1:]], "matrix": [[float(x) for x in row] for row in matrix],
            "labels": texts, "pooling": pooling}, notices


RUNNERS = {f.__name__: f for f in (
    run_text_classification, run_token_classification, run_fill_mask, run_zero_shot_classification,
    run_image_classification, run_zero_shot_image_classification, run_object_detection,
    run_image_segmentation, run_depth_estimation, run_audio_classification, run_speech_recognition,
    run_text_to_audio, run_table_question_answering, run_document_qa,
    run_feature_extraction, run_text_generation, run_image_text_to_text, run_seq2seq,
    run_question_answering, run_sentence_similarity)}
"""Run functions by the name lib/tasks.py gives each task."""
