""""Use this model" code for transformers 5: a pipeline() one-liner and the Auto-class way.

``snippets(model_id, task, device, dtype, config=None) -> CodeSnippets``; ``run_code(...)`` is the exact
script reproducing one run (inputs included). Removed pipelines (translation, summarization,
text2text-generation, question-answering) only get the Auto-class code. Pure string building.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .device import torch_dtype_name

_AUTO_CLASS = {
    "text-classification": "AutoModelForSequenceClassification",
    "zero-shot-classification": "AutoModelForSequenceClassification",
    "token-classification": "AutoModelForTokenClassification",
    "fill-mask": "AutoModelForMaskedLM",
    "feature-extraction": "AutoModel",
    "sentence-similarity": "AutoModel",
    "text-generation": "AutoModelForCausalLM",
    "image-classification": "AutoModelForImageClassification",
    "object-detection": "AutoModelForObjectDetection",
    "image-segmentation": "AutoModelForSemanticSegmentation",
    "zero-shot-image-classification": "AutoModelForZeroShotImageClassification",
    "image-text-to-text": "AutoModelForImageTextToText",
    "image-to-text": "AutoModelForImageTextToText",
    "automatic-speech-recognition": "AutoModelForCTC",
    "audio-classification": "AutoModelForAudioClassification",
    "text-to-audio": "AutoModelForTextToWaveform",
    "text-to-speech": "AutoModelForTextToWaveform",
    "depth-estimation": "AutoModelForDepthEstimation",
    "table-question-answering": "AutoModelForTableQuestionAnswering",
    "document-question-answering": "AutoModelForDocumentQuestionAnswering",
    "translation": "AutoModelForSeq2SeqLM",
    "summarization": "AutoModelForSeq2SeqLM",
    "text2text-generation": "AutoModelForSeq2SeqLM",
    "question-answering": "AutoModelForQuestionAnswering",
}
_TEXT_INPUT = {"text-classification", "zero-shot-classification", "token-classification", "fill-mask",
               "feature-extraction", "sentence-similarity", "text-generation", "translation", "summarization",
               "text2text-generation", "question-answering", "text-to-audio", "text-to-speech",
               "table-question-answering"}
REMOVED = {"translation", "summarization", "text2text-generation", "question-answering"}


@dataclass(frozen=True)
class CodeSnippets:
    """``pipeline``: the one-liner (None for pipelines transformers 5 removed); ``auto``: Auto classes;
    ``library``: the sentence-transformers way, for sentence-transformers repos (else None)."""

    pipeline: str | None
    auto: str
    library: str | None = None


def _example_inputs(task: str, config: dict | None) -> dict[str, Any]:
    return {
        "fill-mask": {"text": "Paris is the [MASK] of France."},
        "zero-shot-classification": {"text": "I loved this film.", "labels": ["cinema", "sport", "politics"]},
        "question-answering": {"question": "What is the capital of France?",
                               "context": "Paris is the capital and largest city of France."},
        "sentence-similarity": {"source": "A man is eating food.",
                                "sentences": ["A man is eating a meal.", "A plane is taking off."]},
        "zero-shot-image-classification": {"image": "photo.jpg", "labels": ["a cat", "a dog"]},
        "table-question-answering": {"table": {"city": ["Paris", "Berlin"], "people": ["2.1M", "3.7M"]},
                                     "text": "Which city has more people?"},
        "document-question-answering": {"image": "invoice.png", "text": "What is the total?"},
        "image-text-to-text": {"image": "photo.jpg", "text": "Describe this image."},
        "image-to-text": {"image": "photo.jpg", "text": ""},
        "automatic-speech-recognition": {"audio": "speech.wav"},
        "audio-classification": {"audio": "speech.wav"},
    }.get(task) or ({"image": "photo.jpg"} if task in ("image-classification", "object-detection",
                                                        "image-segmentation", "depth-estimation")
                    else {"text": "Hub Scout helps you pick a model."})


def _header(device: str, dtype: str) -> str:
    return f'device = "{device}"\ndtype = torch.{torch_dtype_name(dtype)}\n'


def pipeline_code(model_id: str, task: str, device: str, dtype: str, inputs: dict | None = None,
                  opts: Any = None) -> str | None:
    """The pipeline() way, or None where transformers 5 removed the pipeline."""
    from lib import tasks as registry

    spec = registry.get(task)
    ptask = spec.pipeline_task if spec else None
    if task in REMOVED or not ptask:
        return None
    inp = inputs or _example_inputs(task, None)
    call = _pipeline_call(task, inp, opts)
    return (f"import torch\nfrom transformers import pipeline\n\n"
            f'pipe = pipeline("{ptask}", model={model_id!r}, device="{device}", '
            f"dtype=torch.{torch_dtype_name(dtype)})\n{call}print(result)\n")


def _load_media(inp: dict) -> str:
    lines = ""
    if "image" in inp:
        lines += f'from PIL import Image\nimage = Image.open({_path(inp["image"], "photo.jpg")!r}).convert("RGB")\n'
    if "audio" in inp:
        lines += ("import wave, numpy as np\n"
                  f'with wave.open({_path(inp["audio"], "speech.wav")!r}) as w:\n'
                  "    rate = w.getframerate()\n"
                  "    audio = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768\n")
    return lines


def _path(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def _pipeline_call(task: str, inp: dict, opts: Any) -> str:
    media = _load_media(inp)
    t = inp.get("text")
    gen = f"max_new_tokens={getattr(opts, 'max_new_tokens', 64)}"
    if task == "zero-shot-classification":
        return media + f"result = pipe({t!r}, candidate_labels={inp['labels']!r})\n"
    if task == "zero-shot-image-classification":
        return media + f"result = pipe(image, candidate_labels={inp['labels']!r})\n"
    if task == "token-classification":
        return f'result = pipe({t!r}, aggregation_strategy="simple")\n'
    if task == "text-generation":
        msgs = inp.get("messages") or [{"role": "user", "content": t}]
        return f"messages = {msgs!r}\nresult = pipe(messages, {gen})  # plain models: pipe(prompt_text, …)\n"
    if task in ("image-text-to-text", "image-to-text"):
        return media + f"result = pipe(images=image, text={t or None!r}, {gen})\n"
    if task == "table-question-answering":
        return f"result = pipe(table={inp['table']!r}, query={t!r})\n"
    if task == "document-question-answering":
        return media + f"result = pipe(image=image, question={t!r})\n"
    if task in ("automatic-speech-recognition", "audio-classification"):
        return media + 'result = pipe({"raw": audio, "sampling_rate": rate})\n'
    if "image" in inp:
        return media + "result = pipe(image)\n"
    return f"result = pipe({t!r})\n"


def auto_code(model_id: str, task: str, device: str, dtype: str, inputs: dict | None = None,
              config: dict | None = None, opts: Any = None) -> str:
    """The AutoTokenizer/AutoProcessor + AutoModelFor… way with eval(), inference_mode and post-processing."""
    inp = inputs or _example_inputs(task, config)
    cls = _AUTO_CLASS.get(task, "AutoModel")
    mnt = getattr(opts, "max_new_tokens", 64)
    head = (f"import torch\nfrom transformers import {{proc}}, {cls}\n\n{_header(device, dtype)}"
            f"model_id = {model_id!r}\n")
    load = f"model = {cls}.from_pretrained(model_id, dtype=dtype).to(device).eval()\n"
    t = inp.get("text")
    if task in ("text-classification", "token-classification", "fill-mask", "zero-shot-classification",
                "feature-extraction", "sentence-similarity", "text-generation", "translation", "summarization",
                "text2text-generation", "question-answering"):
        code = head.format(proc="AutoTokenizer") + "tokenizer = AutoTokenizer.from_pretrained(model_id)\n" + load
        return code + _auto_text_body(task, inp, config, mnt)
    code = head.format(proc="AutoProcessor") + "processor = AutoProcessor.from_pretrained(model_id)\n" + load
    code += _load_media(inp)
    if task in ("image-classification", "audio-classification"):
        feed = ('processor(images=image, return_tensors="pt")' if "image" in inp else
                "processor(audio, sampling_rate=rate, return_tensors=\"pt\")")
        return code + (f"inputs = {feed}.to(device)\nwith torch.inference_mode():\n"
                       "    probs = model(**inputs).logits.softmax(-1)[0]\n"
                       "for p, i in zip(*probs.topk(min(5, probs.numel()))):\n"
                       "    print(model.config.id2label[int(i)], round(float(p), 4))\n")
    if task == "zero-shot-image-classification":
        return code + (f"labels = {inp['labels']!r}\n"
                       'inputs = processor(images=image, text=labels, padding=True, return_tensors="pt").to(device)\n'
                       "with torch.inference_mode():\n    probs = model(**inputs).logits_per_image.softmax(-1)[0]\n"
                       "print(dict(zip(labels, probs.tolist())))\n")
    if task == "object-detection":
        return code + ('inputs = processor(images=image, return_tensors="pt").to(device)\n'
                       "with torch.inference_mode():\n    outputs = model(**inputs)\n"
                       "result = processor.post_process_object_detection(outputs, threshold=0.5, "
                       "target_sizes=[image.size[::-1]])[0]\n"
                       'for s, l, b in zip(result["scores"], result["labels"], result["boxes"]):\n'
                       "    print(model.config.id2label[int(l)], round(float(s), 3), [round(float(x)) for x in b])\n")
    if task == "image-segmentation":
        return code + ('inputs = processor(images=image, return_tensors="pt").to(device)\n'
                       "with torch.inference_mode():\n    outputs = model(**inputs)\n"
                       "seg = processor.post_process_semantic_segmentation(outputs, target_sizes=[image.size[::-1]])[0]\n"
                       "print({model.config.id2label[int(i)] for i in seg.unique()})\n")
    if task == "depth-estimation":
        return code + ('inputs = processor(images=image, return_tensors="pt").to(device)\n'
                       "with torch.inference_mode():\n    depth = model(**inputs).predicted_depth[0]\n"
                       "print(depth.shape, float(depth.min()), float(depth.max()))\n")
    if task in ("image-text-to-text", "image-to-text"):
        return code + (f"inputs = processor(images=image, text={t or None!r}, return_tensors=\"pt\").to(device)\n"
                       f"with torch.inference_mode():\n    ids = model.generate(**inputs, max_new_tokens={mnt})\n"
                       "print(processor.batch_decode(ids, skip_special_tokens=True)[0])\n")
    if task == "automatic-speech-recognition":
        return code + ('inputs = processor(audio, sampling_rate=rate, return_tensors="pt").to(device)\n'
                       "with torch.inference_mode():\n    ids = model(**inputs).logits.argmax(-1)\n"
                       "print(processor.batch_decode(ids)[0])  # seq2seq models (Whisper): "
                       "AutoModelForSpeechSeq2Seq + model.generate\n")
    if task in ("text-to-audio", "text-to-speech"):
        return code + (f'inputs = processor(text={t!r}, return_tensors="pt").to(device)\n'
                       "with torch.inference_mode():\n    waveform = model(**inputs).waveform[0]\n"
                       "print(waveform.shape, model.config.sampling_rate)\n")
    if task == "table-question-answering":
        return code + (f"import pandas as pd\ntable = pd.DataFrame({inp['table']!r})\n"
                       f'inputs = processor(table=table, queries={t!r}, return_tensors="pt").to(device)\n'
                       "with torch.inference_mode():\n    outputs = model(**inputs)\n"
                       "coords, = processor.convert_logits_to_predictions(inputs, outputs.logits.cpu())[:1]\n"
                       "print([table.iat[r, c] for r, c in coords[0]])\n")
    return code + ("with torch.inference_mode():\n    outputs = model(**processor(images=image, "
                   f"text={t!r}, return_tensors=\"pt\").to(device))\nprint(outputs)\n")


def _auto_text_body(task: str, inp: dict, config: dict | None, mnt: int) -> str:
    t = inp.get("text")
    infer = "with torch.inference_mode():\n"
    if task == "text-classification":
        return (f'inputs = tokenizer({t!r}, truncation=True, return_tensors="pt").to(device)\n{infer}'
                "    probs = model(**inputs).logits.softmax(-1)[0]\n"
                "print({model.config.id2label[i]: round(float(p), 4) for i, p in enumerate(probs)})\n")
    if task == "token-classification":
        return (f"text = {t!r}\n"
                'inputs = tokenizer(text, truncation=True, return_offsets_mapping=True, return_tensors="pt")\n'
                'offsets = inputs.pop("offset_mapping")[0].tolist()\n'
                f"{infer}    ids = model(**inputs.to(device)).logits.argmax(-1)[0].tolist()\n"
                "for (s, e), i in zip(offsets, ids):\n"
                "    label = model.config.id2label[i]\n"
                '    if e > s and label != "O":\n        print(text[s:e], label)\n')
    if task == "fill-mask":
        return (f"text = {t!r}.replace(\"[MASK]\", tokenizer.mask_token)\n"
                'inputs = tokenizer(text, truncation=True, return_tensors="pt").to(device)\n'
                "pos = (inputs.input_ids[0] == tokenizer.mask_token_id).nonzero()[0, 0]\n"
                f"{infer}    probs = model(**inputs).logits[0, pos].softmax(-1)\n"
                "for p, i in zip(*probs.topk(5)):\n    print(tokenizer.decode([int(i)]), round(float(p), 4))\n")
    if task == "zero-shot-classification":
        return (f"text, labels = {t!r}, {inp['labels']!r}\n"
                "entail = next(i for i, l in model.config.id2label.items() if l.lower().startswith(\"entail\"))\n"
                "pairs = tokenizer([text] * len(labels), [f\"This example is {l}.\" for l in labels], "
                'padding=True, truncation=True, return_tensors="pt").to(device)\n'
                f"{infer}    scores = model(**pairs).logits[:, entail].softmax(-1)\n"
                "print(dict(zip(labels, scores.tolist())))\n")
    if task in ("feature-extraction", "sentence-similarity"):
        texts = [inp["source"], *inp["sentences"]] if task == "sentence-similarity" else [t]
        return (f"texts = {texts!r}\n"
                'inputs = tokenizer(texts, padding=True, truncation=True, return_tensors="pt").to(device)\n'
                f"{infer}    hidden = model(**inputs).last_hidden_state\n"
                "mask = inputs.attention_mask.unsqueeze(-1).to(hidden.dtype)\n"
                "emb = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)  # mean pooling\n"
                + ("print((emb[:1] @ emb[1:].T)[0].tolist())\n"
                   if task == "sentence-similarity" else "print(emb.shape)\n"))
    if task == "text-generation":
        msgs = inp.get("messages") or [{"role": "user", "content": t}]
        return (f"messages = {msgs!r}\n"
                "if tokenizer.chat_template:\n"
                '    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", '
                "return_dict=True).to(device)\nelse:\n"
                '    inputs = tokenizer(messages[-1]["content"], return_tensors="pt").to(device)\n'
                f"{infer}    ids = model.generate(**inputs, max_new_tokens={mnt}, do_sample=False, "
                "pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)\n"
                'print(tokenizer.decode(ids[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True))\n')
    if task in ("translation", "summarization", "text2text-generation"):
        from .tasks import seq2seq_prefix

        prefix, _ = seq2seq_prefix(config or {}, task)
        return (f"text = {prefix!r} + {t!r}  # prefix from config task_specific_params\n"
                'inputs = tokenizer(text, truncation=True, return_tensors="pt").to(device)\n'
                f"{infer}    ids = model.generate(**inputs, max_new_tokens={mnt})\n"
                "print(tokenizer.decode(ids[0], skip_special_tokens=True))\n")
    if task == "question-answering":
        return (f"question, context = {inp['question']!r}, {inp['context']!r}\n"
                'inputs = tokenizer(question, context, truncation="only_second", return_offsets_mapping=True, '
                'return_tensors="pt")\n'
                'offsets = inputs.pop("offset_mapping")[0]\n'
                "in_context = torch.tensor([s == 1 for s in inputs.sequence_ids(0)])\n"
                f"{infer}    out = model(**inputs.to(device))\n"
                "start = out.start_logits[0].cpu().masked_fill(~in_context, -1e4).softmax(-1)\n"
                "end = out.end_logits[0].cpu().masked_fill(~in_context, -1e4).softmax(-1)\n"
                "scores = torch.tril(torch.triu(start[:, None] * end[None, :]), diagonal=29)\n"
                "s, e = divmod(int(scores.argmax()), scores.shape[1])\n"
                "print(context[int(offsets[s][0]):int(offsets[e][1])], round(float(scores[s, e]), 4))\n")
    return ""


ST_TASKS = ("sentence-similarity", "feature-extraction")


def sentence_transformers_code(model_id: str, task: str, device: str, inputs: dict | None = None) -> str:
    """SentenceTransformer(...).encode + similarity: how a sentence-transformers repo is meant to be used
    (its own pooling and normalisation from modules.json, which the Auto-class code re-implements)."""
    inputs = inputs or {}
    if task == "sentence-similarity":
        source = inputs.get("source") or "A man is eating food."
        sentences = inputs.get("sentences") or ["A man is eating a meal.", "A plane is taking off."]
        return (
            "from sentence_transformers import SentenceTransformer\n\n"
            f"model = SentenceTransformer({model_id!r}, device={device!r})\n"
            f"source = model.encode([{source!r}])\n"
            f"others = model.encode({list(sentences)!r})\n"
            "print(model.similarity(source, others)[0].tolist())  # cosine similarity per sentence\n"
        )
    text = inputs.get("text") or "Hub Scout helps you pick a model."
    return (
        "from sentence_transformers import SentenceTransformer\n\n"
        f"model = SentenceTransformer({model_id!r}, device={device!r})\n"
        f"embedding = model.encode({text!r})\n"
        "print(embedding.shape, embedding[:8])\n"
    )


def snippets(model_id: str, task: str, device: str = "cpu", dtype: str = "fp32", config: dict | None = None,
             inputs: dict | None = None, opts: Any = None, *, sentence_transformers: bool = False) -> CodeSnippets:
    """Both ways of using ``model_id`` for ``task`` on ``device`` in ``dtype`` (plus the
    sentence-transformers way for such repos)."""
    lib_code = (sentence_transformers_code(model_id, task, device, inputs)
                if sentence_transformers and task in ST_TASKS else None)
    return CodeSnippets(pipeline_code(model_id, task, device, dtype, inputs, opts),
                        auto_code(model_id, task, device, dtype, inputs, config, opts), lib_code)


def run_code(model_id: str, task: str, device: str, dtype: str, inputs: dict, config: dict | None = None,
             opts: Any = None, *, sentence_transformers: bool = False) -> str:
    """Exact code reproducing a run: what the runner used — sentence-transformers for such repos, else
    the pipeline call where one exists, else the Auto-class code."""
    shown = _shown_inputs(inputs)
    s = snippets(model_id, task, device, dtype, config, shown, opts, sentence_transformers=sentence_transformers)
    return s.library or s.pipeline or s.auto


def _shown_inputs(inputs: dict) -> dict:
    out = dict(inputs)
    if "image" in out and not isinstance(out["image"], str):
        out["image"] = "your_image.png"
    if "audio" in out and not isinstance(out["audio"], str):
        out["audio"] = "your_clip.wav"
    return out
