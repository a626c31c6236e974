"""Pure logic behind the test-drive UI (no streamlit; torch only inside ``under_the_hood``).

* :func:`example_inputs` — a sensible starting input per task (the Hub's own widget examples from
  ``lib/data/default_widget_inputs.json``, plus Hub Scout's drawn image / synthesised clip in
  ``lib/data/examples/``) so that one click shows a model working.
* :func:`mask_token_of` / :func:`with_mask_token` — the model's own mask token for fill-mask.
* :func:`guess_task` — a pipeline tag from a local folder's ``config.json``.
* :func:`draw_boxes`, :func:`overlay_masks`, :func:`colorize_depth`, :func:`highlight_spans` — output pictures.
* :func:`under_the_hood` — the AutoTokenizer + AutoModel path step by step (tokens, ids, logits,
  softmax, id2label), reusing the runner's cached model.
"""
from __future__ import annotations

import html
import json
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
EXAMPLES = DATA / "examples"
EXAMPLE_IMAGE = EXAMPLES / "scene.png"
EXAMPLE_DOCUMENT = EXAMPLES / "document.png"
EXAMPLE_AUDIO = EXAMPLES / "chirp.wav"
EXAMPLE_NOTES = {
    EXAMPLE_IMAGE.name: "Example image: a street scene drawn with PIL shapes (house, tree, sun, road, red car).",
    EXAMPLE_DOCUMENT.name: "Example document: an invoice drawn with PIL (total $42.00).",
    EXAMPLE_AUDIO.name: "Example clip: 2 s synthesised audio, a 440 Hz tone then a rising chirp (not speech).",
}

# Tasks whose text path can be shown step by step under the hood.
HOOD_TASKS = {"text-classification", "token-classification", "fill-mask", "zero-shot-classification",
              "feature-extraction", "sentence-similarity", "text-generation", "question-answering",
              "translation", "summarization", "text2text-generation"}


# --------------------------------------------------------------------------- examples
@lru_cache(maxsize=1)
def _widget_inputs() -> dict[str, dict[str, list]]:
    try:
        return json.loads((DATA / "default_widget_inputs.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _widget_example(task: str, language: str) -> Any:
    data = _widget_inputs()
    for lang in (language, "en"):
        rows = (data.get(lang) or {}).get(task)
        if rows:
            return rows[0]
    return None


def example_inputs(task: str, language: str = "en", mask_token: str | None = None) -> dict[str, Any]:
    """Starting inputs for ``task`` in ``lib.runner.inputs.validate`` keys (images/audio as file paths).

    Text comes from the Hub's own widget examples in ``language`` (falling back to English)."""
    from lib import tasks as registry

    spec = registry.get(task)
    kind = spec.input_kind if spec else "text"
    ex = _widget_example(task, language)
    if kind == "masked_text":
        text = ex if isinstance(ex, str) else "Paris is the <mask> of France."
        return {"text": with_mask_token(text, mask_token)}
    if kind == "text_labels":
        if isinstance(ex, dict):
            return {"text": ex.get("text", ""), "labels": ex.get("candidate_labels", ""),
                    "multi_label": bool(ex.get("multi_class", False))}
        return {"text": "I have a problem with my iphone that needs to be resolved asap!",
                "labels": "urgent, not urgent, phone, tablet, computer", "multi_label": False}
    if kind == "question_context":
        if isinstance(ex, dict):
            return {"question": ex.get("text", ""), "context": ex.get("context", "")}
        return {"question": "Where do I live?", "context": "My name is Wolfgang and I live in Berlin"}
    if kind == "text_pair":
        if isinstance(ex, dict):
            return {"source": ex.get("source_sentence", ""), "sentences": list(ex.get("sentences", []))}
        return {"source": "That is a happy person", "sentences": ["That is a happy dog", "Today is a sunny day"]}
    if kind == "chat":
        conv = _widget_example("conversational", language) if task == "text-generation" else None
        return {"text": conv if isinstance(conv, str) else (ex if isinstance(ex, str) else "Once upon a time,")}
    if kind == "table_question":
        if isinstance(ex, dict) and ex.get("table"):
            return {"table": {k: [str(v) for v in vals] for k, vals in ex["table"].items()}, "text": ex.get("text", "")}
        return {"table": {"city": ["Paris", "Berlin"], "people": ["2.1M", "3.7M"]}, "text": "Which city has more people?"}
    if kind == "image":
        return {"image": str(EXAMPLE_IMAGE)}
    if kind == "image_labels":
        return {"image": str(EXAMPLE_IMAGE), "labels": "a house, a car, a cat, a beach"}
    if kind == "image_question":
        return {"image": str(EXAMPLE_DOCUMENT), "text": "What is the total?"}
    if kind == "image_prompt":
        return {"image": str(EXAMPLE_IMAGE), "text": "Describe this image." if task == "image-text-to-text" else ""}
    if kind == "audio":
        return {"audio": str(EXAMPLE_AUDIO)}
    if isinstance(ex, str):
        return {"text": ex}
    if task in ("text-to-audio", "text-to-speech"):
        return {"text": "Hello! This is a test drive of a speech model."}
    return {"text": "Hub Scout helps you pick a model from the Hugging Face Hub."}


MASK_ALIASES = ("<mask>", "[MASK]")


def with_mask_token(text: str, mask_token: str | None) -> str:
    """Replace the usual mask spellings (``<mask>``, ``[MASK]``) in ``text`` by ``mask_token``."""
    if not mask_token:
        return text
    for alias in MASK_ALIASES:
        if alias != mask_token:
            text = text.replace(alias, mask_token)
    return text


def _token_text(v: Any) -> str | None:
    if isinstance(v, str):
        return v or None
    if isinstance(v, dict):
        return v.get("content") or None
    return None


def mask_token_from_folder(folder: str | Path) -> str | None:
    """The mask token named in a model folder's tokenizer_config.json / special_tokens_map.json."""
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        p = Path(folder) / name
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        tok = _token_text(data.get("mask_token"))
        if tok:
            return tok
    return None


def mask_token_of(model: str, token: str | None = None, *, allow_download: bool = False) -> str | None:
    """The model's own mask token without loading the model: a local folder's files, else the
    tokenizer files already in the local Hub cache; only with ``allow_download`` one small
    download of them (rendering a page must not cost Hub requests). None when unknown."""
    if is_local_folder(model):
        return mask_token_from_folder(model)
    from huggingface_hub import hf_hub_download, try_to_load_from_cache
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        path = try_to_load_from_cache(model, name)
        if not isinstance(path, str) and allow_download:
            try:
                path = hf_hub_download(model, name, token=token)
            except (HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled, OSError, ValueError):
                path = None  # missing file, offline, gated: unknown
        if isinstance(path, str):
            tok = mask_token_from_folder(Path(path).parent)
            if tok:
                return tok
    return None


# --------------------------------------------------------------------------- local folders
def is_local_folder(model: str | None) -> bool:
    """Whether ``model`` names an existing folder (rather than a Hub id)."""
    if not model:
        return False
    try:
        p = Path(model).expanduser()
        return p.is_dir()
    except (OSError, ValueError):
        return False


# class-name suffix -> pipeline tag (checked in order; longest first where they overlap)
_ARCH_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ForZeroShotImageClassification", "zero-shot-image-classification"),
    ("ForSequenceClassification", "text-classification"),
    ("ForTokenClassification", "token-classification"),
    ("ForQuestionAnswering", "question-answering"),
    ("ForTableQuestionAnswering", "table-question-answering"),
    ("ForDocumentQuestionAnswering", "document-question-answering"),
    ("ForMaskedLM", "fill-mask"),
    ("ForCausalLM", "text-generation"),
    ("LMHeadModel", "text-generation"),
    ("ForConditionalGeneration", "text2text-generation"),
    ("ForImageClassification", "image-classification"),
    ("ForObjectDetection", "object-detection"),
    ("ForSemanticSegmentation", "image-segmentation"),
    ("ForInstanceSegmentation", "image-segmentation"),
    ("ForUniversalSegmentation", "image-segmentation"),
    ("ForImageSegmentation", "image-segmentation"),
    ("ForDepthEstimation", "depth-estimation"),
    ("ForCTC", "automatic-speech-recognition"),
    ("ForSpeechSeq2Seq", "automatic-speech-recognition"),
    ("ForAudioClassification", "audio-classification"),
    ("ForImageTextToText", "image-text-to-text"),
    ("ForVision2Seq", "image-to-text"),
)
_SPEECH_GEN = ("Whisper", "Speech2Text")
_IMAGE_GEN = ("Blip", "Llava", "Pix2Struct", "Git", "Idefics", "PaliGemma", "Qwen2VL", "Florence")


def guess_task(folder: str | Path) -> str | None:
    """A pipeline tag guessed from a local model folder (config.json ``architectures``, model type,
    sentence-transformers files). None when nothing fits."""
    folder = Path(folder)
    if (folder / "modules.json").exists() or (folder / "sentence_bert_config.json").exists():
        return "sentence-similarity"
    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if cfg.get("pipeline_tag"):
        return str(cfg["pipeline_tag"])
    archs = [str(a) for a in (cfg.get("architectures") or [])]
    audio = _is_audio_folder(folder, cfg)
    for arch in archs:
        if audio and arch.endswith("ForSequenceClassification"):
            return "audio-classification"
        if arch.startswith("VisionEncoderDecoder"):
            return "image-to-text"
        if arch.startswith("Vits") or arch.endswith(("ForTextToSpeech", "ForTextToWaveform")):
            return "text-to-audio"
        if arch.startswith("CLIP") or arch.startswith("SigLIP") or arch.startswith("Siglip"):
            return "zero-shot-image-classification"
        if arch.endswith("ForConditionalGeneration"):
            if arch.startswith(_SPEECH_GEN):
                return "automatic-speech-recognition"
            if arch.startswith(_IMAGE_GEN):
                return "image-text-to-text"
        for suffix, tag in _ARCH_SUFFIXES:
            if arch.endswith(suffix):
                return tag
        if arch.endswith("Model"):
            return "feature-extraction"
    return None


_AUDIO_TYPES = ("wav2vec2", "hubert", "wavlm", "whisper", "audio-spectrogram-transformer", "data2vec-audio",
                "unispeech", "sew", "speech_to_text", "seamless_m4t", "clap", "mctct")


def _is_audio_folder(folder: Path, cfg: dict) -> bool:
    """An audio model: its model type, or a feature extractor with a sampling rate."""
    mt = str(cfg.get("model_type") or "")
    if mt.startswith(_AUDIO_TYPES):
        return True
    try:
        pre = json.loads((folder / "preprocessor_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return "sampling_rate" in pre and "image_processor_type" not in pre


def safetensors_param_count(folder: str | Path) -> int | None:
    """Exact parameter count from the headers of a folder's ``*.safetensors`` files (no weights read)."""
    files = sorted(Path(folder).glob("*.safetensors"))
    if not files:
        return None
    total = 0
    try:
        for f in files:
            with open(f, "rb") as fh:
                (n,) = struct.unpack("<Q", fh.read(8))
                if n > 100_000_000:
                    return None
                header = json.loads(fh.read(n))
            for name, meta in header.items():
                if name == "__metadata__":
                    continue
                count = 1
                for d in meta.get("shape", []):
                    count *= int(d)
                total += count
    except (OSError, ValueError, struct.error):
        return None
    return total


# --------------------------------------------------------------------------- output pictures
PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240),
           (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (170, 110, 40), (128, 0, 0)]


def label_color(label: str, labels: list[str]) -> tuple[int, int, int]:
    """A stable colour per label (position in ``labels``)."""
    i = labels.index(label) if label in labels else abs(hash(label))
    return PALETTE[i % len(PALETTE)]


def hex_color(rgb: tuple[int, int, int]) -> str:
    return "#%02x%02x%02x" % rgb


def draw_boxes(image, boxes: list[dict]):
    """A copy of ``image`` with each box drawn and labelled ``label score``."""
    from PIL import ImageDraw

    img = image.convert("RGB").copy()
    d = ImageDraw.Draw(img)
    labels = list(dict.fromkeys(b["label"] for b in boxes))
    width = max(2, round(min(img.size) / 160))
    for b in boxes:
        color = label_color(b["label"], labels)
        d.rectangle([b["xmin"], b["ymin"], b["xmax"], b["ymax"]], outline=color, width=width)
        text = f"{b['label']} {b['score']:.2f}"
        tx, ty = b["xmin"] + width, max(b["ymin"] - 12, 0)
        bbox = d.textbbox((tx, ty), text)
        d.rectangle(bbox, fill=color)
        d.text((tx, ty), text, fill=(255, 255, 255))
    return img


def overlay_masks(image, masks: list[dict], alpha: float = 0.5):
    """``image`` with each boolean mask tinted in its label's colour."""
    import numpy as np
    from PIL import Image

    base = np.asarray(image.convert("RGB"), dtype=np.float32)
    out = base.copy()
    labels = list(dict.fromkeys(m["label"] for m in masks))
    for m in masks:
        mask = np.asarray(m["mask"], dtype=bool)
        if mask.shape != base.shape[:2]:
            mask = np.asarray(Image.fromarray(mask.astype("uint8") * 255).resize(
                (base.shape[1], base.shape[0]), Image.NEAREST)) > 0
        color = np.array(label_color(m["label"], labels), dtype=np.float32)
        out[mask] = (1 - alpha) * out[mask] + alpha * color
    return Image.fromarray(out.clip(0, 255).astype("uint8"))


_DEPTH_STOPS = [(0.0, (13, 8, 135)), (0.25, (126, 3, 168)), (0.5, (204, 71, 120)), (0.75, (248, 149, 64)),
                (1.0, (240, 249, 33))]  # plasma-like: far = dark blue, near = yellow


def colorize_depth(depth):
    """Relative depth (HxW floats) -> an RGB PIL image (near = bright)."""
    import numpy as np
    from PIL import Image

    d = np.asarray(depth, dtype=np.float32)
    d = np.squeeze(d)
    lo, hi = float(np.nanmin(d)), float(np.nanmax(d))
    t = (d - lo) / (hi - lo) if hi > lo else np.zeros_like(d)
    xs = [s[0] for s in _DEPTH_STOPS]
    rgb = np.stack([np.interp(t, xs, [s[1][c] for s in _DEPTH_STOPS]) for c in range(3)], axis=-1)
    return Image.fromarray(rgb.astype("uint8"))


def highlight_spans(text: str, spans: list[dict], labels: list[str] | None = None) -> str:
    """HTML of ``text`` with each ``{start, end, label}`` span marked in its label's colour (escaped)."""
    spans = sorted((s for s in spans if s.get("start") is not None and s.get("end") is not None),
                   key=lambda s: s["start"])
    labels = labels or list(dict.fromkeys(s.get("label", "") for s in spans))
    out, pos = [], 0
    for s in spans:
        start, end = int(s["start"]), int(s["end"])
        if start < pos or end <= start:
            continue
        out.append(html.escape(text[pos:start]))
        r, g, b = label_color(s.get("label", ""), labels)
        tag = html.escape(str(s.get("label", "")))
        out.append(f'<mark style="background: rgba({r},{g},{b},0.25); border-bottom: 2px solid rgb({r},{g},{b}); '
                   f'padding: 0 2px; border-radius: 3px">{html.escape(text[start:end])}'
                   + (f' <sup style="font-size: 0.7em; color: rgb({r},{g},{b})">{tag}</sup>' if tag else "")
                   + "</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


# --------------------------------------------------------------------------- under the hood
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


def hood_text(task: str, inputs: dict) -> str | tuple[str, str]:
    """The text (or text pair) fed to the tokenizer under the hood for ``task``."""
    if task == "question-answering":
        return (inputs.get("question", ""), inputs.get("context", ""))
    if task == "sentence-similarity":
        return inputs.get("source", "")
    if task == "text-generation" and inputs.get("messages"):
        return inputs["messages"][-1]["content"]
    return inputs.get("text", "")


def _model_and_tokenizer(loaded) -> tuple[Any, Any]:
    if loaded.kind == "pipeline":
        return loaded.pipe.model, loaded.pipe.tokenizer
    if loaded.kind == "sentence_transformers":
        st_model = loaded.model
        first = st_model[0]
        return getattr(first, "auto_model", None) or getattr(first, "model", None), st_model.tokenizer
    return loaded.model, loaded.tokenizer


def _code(model_id: str, auto_class: str, text_expr: str, after: str) -> str:
    return (f'import torch\nfrom transformers import AutoTokenizer, {auto_class}\n\n'
            f'tokenizer = AutoTokenizer.from_pretrained("{model_id}")\n'
            f'model = {auto_class}.from_pretrained("{model_id}")\n\n'
            f'inputs = tokenizer({text_expr}, return_tensors="pt")\n'
            'print(tokenizer.convert_ids_to_tokens(inputs["input_ids"][0]))\n'
            'with torch.inference_mode():\n    out = model(**inputs)\n' + after)


def _topk_rows(logits_row, tokenizer, k: int = 10) -> list[dict]:
    import torch

    probs = torch.softmax(logits_row.float(), dim=-1)
    top = torch.topk(probs, min(k, probs.shape[-1]))
    rows = []
    for p, i in zip(top.values.tolist(), top.indices.tolist()):
        rows.append({"token": tokenizer.convert_ids_to_tokens(int(i)), "id": int(i),
                     "logit": float(logits_row[int(i)]), "probability": float(p)})
    return rows


def under_the_hood(model: str, task: str, inputs: dict, opts: Any = None, *, cache: Any = None,
                   max_tokens: int = 256) -> UnderTheHood:
    """Tokenizer output, raw logits, softmax and label mapping for a text task, computed on the
    runner's cached model (``lib.runner.prepare``; loads it only if it is not cached yet).

    Raises ``lib.runner.RunnerError`` for a model that cannot be loaded, ValueError for tasks
    without a text path (see ``HOOD_TASKS``)."""
    if task not in HOOD_TASKS:
        raise ValueError(f"No step-by-step view for {task}.")
    import torch

    from lib.runner import prepare

    prep = prepare(model, task, opts, cache=cache)
    net, tok = _model_and_tokenizer(prep.loaded)
    if net is None or tok is None:
        raise ValueError("This model has no tokenizer + model pair to show.")
    device = prep.loaded.device
    text = hood_text(task, inputs)
    notes: list[str] = []
    pair = isinstance(text, tuple)
    enc = tok(*text, return_tensors="pt", truncation=True, max_length=max_tokens) if pair else \
        tok(text, return_tensors="pt", truncation=True, max_length=max_tokens)
    ids = [int(i) for i in enc["input_ids"][0].tolist()]
    full = tok(*text)["input_ids"] if pair else tok(text)["input_ids"]
    if len(full) > len(ids):
        notes.append(f"Shown for the first {len(ids)} of {len(full)} tokens.")
    tokens = tok.convert_ids_to_tokens(ids)
    feed = {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    cfg = getattr(net, "config", None)
    id2label = {int(k): str(v) for k, v in (getattr(cfg, "id2label", None) or {}).items()}
    mid = model
    text_expr = repr(text[0]) + ", " + repr(text[1]) if pair else repr(text)

    with torch.inference_mode():
        if task in ("text-classification", "token-classification"):
            logits = net(**feed).logits.float().cpu()[0]
            probs = torch.softmax(logits, dim=-1)
            if task == "text-classification":
                rows = [{"id": i, "label": id2label.get(i, str(i)), "logit": float(logits[i]),
                         "probability": float(probs[i])} for i in range(logits.shape[-1])]
                rows.sort(key=lambda r: -r["probability"])
                code = _code(mid, "AutoModelForSequenceClassification", text_expr,
                             "logits = out.logits[0]\nprobs = logits.softmax(-1)\n"
                             "for i, p in enumerate(probs):\n    print(model.config.id2label[i], float(logits[i]), float(p))\n")
                return UnderTheHood(tokens, ids, "sequence classification", tuple(logits.shape), rows,
                                    "One logit per label; softmax over the labels gives the probabilities.",
                                    id2label, code, notes)
            rows = []
            for pos, (t, i) in enumerate(zip(tokens, ids)):
                best = int(probs[pos].argmax())
                rows.append({"position": pos, "token": t, "id": i, "label": id2label.get(best, str(best)),
                             "logit": float(logits[pos, best]), "probability": float(probs[pos, best])})
            code = _code(mid, "AutoModelForTokenClassification", text_expr,
                         "probs = out.logits[0].softmax(-1)\nbest = probs.argmax(-1)\n"
                         "tokens = tokenizer.convert_ids_to_tokens(inputs['input_ids'][0])\n"
                         "for t, b, p in zip(tokens, best, probs):\n    print(t, model.config.id2label[int(b)], float(p[b]))\n")
            return UnderTheHood(tokens, ids, "token classification", tuple(logits.shape), rows,
                                "Each token gets one logit per label; the best label and its softmax probability.",
                                id2label, code, notes)
        if task == "fill-mask":
            mask_id = tok.mask_token_id
            if mask_id is None or mask_id not in ids:
                raise ValueError(f"Put the mask token {tok.mask_token} in the text to see its predictions.")
            pos = ids.index(mask_id)
            logits = net(**feed).logits.float().cpu()[0]
            rows = _topk_rows(logits[pos], tok)
            code = _code(mid, "AutoModelForMaskedLM", text_expr,
                         "pos = (inputs['input_ids'][0] == tokenizer.mask_token_id).nonzero()[0, 0]\n"
                         "probs = out.logits[0, pos].softmax(-1)\ntop = probs.topk(10)\n"
                         "print(tokenizer.convert_ids_to_tokens(top.indices), top.values)\n")
            return UnderTheHood(tokens, ids, "masked language model", tuple(logits.shape), rows,
                                f"Top 10 of {logits.shape[-1]:,} vocabulary logits at the mask (position {pos}); "
                                "softmax over the whole vocabulary.", {}, code, notes)
        if task == "zero-shot-classification":
            labels = inputs.get("labels") or []
            if isinstance(labels, str):
                labels = [s.strip() for s in labels.split(",") if s.strip()]
            entail = next((i for i, l in id2label.items() if l.lower().startswith("entail")), None)
            contra = next((i for i, l in id2label.items() if l.lower().startswith("contra")), None)
            rows = []
            shape: tuple[int, ...] = ()
            for lab in labels[:16]:
                hyp = f"This example is {lab}."
                e = tok(text, hyp, return_tensors="pt", truncation=True, max_length=max_tokens)
                e = {k: v.to(device) for k, v in e.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
                lg = net(**e).logits.float().cpu()[0]
                shape = tuple(lg.shape)
                row = {"candidate": lab, "hypothesis": hyp}
                for i in range(lg.shape[-1]):
                    row[f"logit {id2label.get(i, i)}"] = float(lg[i])
                if entail is not None and contra is not None:
                    row["P(entailment vs contradiction)"] = float(torch.softmax(lg[[contra, entail]], -1)[1])
                rows.append(row)
            code = _code(mid, "AutoModelForSequenceClassification",
                         f"{text!r}, 'This example is <label>.'",
                         "print(out.logits.softmax(-1), model.config.id2label)\n")
            return UnderTheHood(tokens, ids, "natural-language inference (premise, hypothesis)", shape, rows,
                                "Each candidate becomes a hypothesis; its NLI logits, and softmax over "
                                "entailment vs contradiction.", id2label, code,
                                notes + ["Tokens shown for the premise alone."])
        if task in ("feature-extraction", "sentence-similarity"):
            hidden = net(**feed).last_hidden_state.float().cpu()[0]
            norms = hidden.norm(dim=-1)
            rows = [{"position": p, "token": t, "id": i, "hidden norm": float(n),
                     "first values": ", ".join(f"{x:+.3f}" for x in hidden[p, :4].tolist())}
                    for p, (t, i, n) in enumerate(zip(tokens, ids, norms.tolist()))]
            code = _code(mid, "AutoModel", text_expr,
                         "hidden = out.last_hidden_state[0]          # one vector per token\n"
                         "mask = inputs['attention_mask'][0].unsqueeze(-1)\n"
                         "sentence = (hidden * mask).sum(0) / mask.sum()  # mean pooling\n"
                         "sentence = torch.nn.functional.normalize(sentence, dim=-1)\n")
            return UnderTheHood(tokens, ids, "encoder (no head): hidden states", tuple(hidden.shape), rows,
                                "One hidden vector per token; the sentence embedding is their (masked) mean. "
                                "No logits and no softmax: there is no classification head.", {}, code, notes)
        if task == "question-answering":
            out = net(**feed)
            s, e = out.start_logits.float().cpu()[0], out.end_logits.float().cpu()[0]
            ps, pe = torch.softmax(s, -1), torch.softmax(e, -1)
            rows = [{"position": p, "token": t, "id": i, "start logit": float(s[p]), "P(start)": float(ps[p]),
                     "end logit": float(e[p]), "P(end)": float(pe[p])} for p, (t, i) in enumerate(zip(tokens, ids))]
            rows.sort(key=lambda r: -(r["P(start)"] + r["P(end)"]))
            code = _code(mid, "AutoModelForQuestionAnswering", text_expr,
                         "start = out.start_logits[0].softmax(-1)\nend = out.end_logits[0].softmax(-1)\n"
                         "s, e = int(start.argmax()), int(end.argmax())\n"
                         "print(tokenizer.decode(inputs['input_ids'][0, s:e + 1]))\n")
            return UnderTheHood(tokens, ids, "span question answering (start / end logits)", tuple(s.shape),
                                rows[:20], "Per token: how likely the answer starts / ends there "
                                "(softmax over positions); the 20 likeliest tokens.", {}, code, notes)
        if task == "text-generation":
            logits = net(**feed).logits.float().cpu()[0]
            rows = _topk_rows(logits[-1], tok)
            code = _code(mid, "AutoModelForCausalLM", text_expr,
                         "probs = out.logits[0, -1].softmax(-1)   # the next token\ntop = probs.topk(10)\n"
                         "print(tokenizer.convert_ids_to_tokens(top.indices), top.values)\n")
            return UnderTheHood(tokens, ids, "causal language model", tuple(logits.shape), rows,
                                "The next token: top 10 of the vocabulary logits at the last position; "
                                "generation repeats this step (greedy picks the first row).", {}, code,
                                notes + ["Shown for the raw prompt, without the chat template."])
        # seq2seq: the first decoder step
        start = getattr(getattr(net, "generation_config", None), "decoder_start_token_id", None)
        if start is None:
            start = getattr(cfg, "decoder_start_token_id", None) or getattr(cfg, "pad_token_id", 0) or 0
        dec = torch.tensor([[int(start)]], device=device)
        logits = net(**feed, decoder_input_ids=dec).logits.float().cpu()[0]
        rows = _topk_rows(logits[-1], tok)
        code = (f'import torch\nfrom transformers import AutoTokenizer, AutoModelForSeq2SeqLM\n\n'
                f'tokenizer = AutoTokenizer.from_pretrained("{mid}")\n'
                f'model = AutoModelForSeq2SeqLM.from_pretrained("{mid}")\n'
                f'inputs = tokenizer({text_expr}, return_tensors="pt")\n'
                'start = torch.tensor([[model.generation_config.decoder_start_token_id]])\n'
                'with torch.inference_mode():\n    out = model(**inputs, decoder_input_ids=start)\n'
                'top = out.logits[0, -1].softmax(-1).topk(10)\n'
                'print(tokenizer.convert_ids_to_tokens(top.indices), top.values)\n')
        return UnderTheHood(tokens, ids, "encoder-decoder language model", tuple(logits.shape), rows,
                            "The decoder's first output token: top 10 vocabulary logits and softmax.", {}, code,
                            notes + ["Shown without the task prefix the run may add."])
