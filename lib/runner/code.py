""""Use this model" code for transformers 5: a pipeline() one-liner and the Auto-class way.

``snippets(model_id, task, device, dtype, config=None) -> CodeSnippets``; ``run_code(...)`` is the exact
script reproducing one run (inputs included). Removed pipelines (translation, summarization,
text2text-generation, question-answering) only get the Auto-class code. Pure string building: the lines
common to every task are written here, each task's own lines come from its module (``TaskSpec.code``).
"""
from __future__ import annotations

# i18n: file code shown as code (its comments and example sentences stay English; notes about it are the UI's)
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib import tasks as registry

from .device import torch_dtype_name

#: Tasks whose pipeline transformers 5 removed (the Hub's task list says so): Auto-class code only.
REMOVED = frozenset(s.tag for s in registry.registry().values() if s.transformers_pipeline == "removed")


@dataclass(frozen=True)
class CodeSnippets:
    """``pipeline``: the one-liner (None for pipelines transformers 5 removed); ``auto``: Auto classes;
    ``library``: the sentence-transformers way, for sentence-transformers repos (else None)."""

    pipeline: str | None
    auto: str
    library: str | None = None


def example_for_code(task: str) -> dict[str, Any]:
    """The task's own example (its module's, in English: code is shown as code, the same in every UI language)
    as the code shows it: candidate labels as a list, example files by their name (``scene.png``)."""
    inp = dict(registry.example_inputs(task, "en", "[MASK]"))
    if isinstance(inp.get("labels"), str):
        inp["labels"] = [s.strip() for s in inp["labels"].split(",") if s.strip()]
    inp.pop("multi_label", None)
    for key in ("image", "audio"):
        if isinstance(inp.get(key), str):
            inp[key] = Path(inp[key]).name
    return inp


def _header(device: str, dtype: str) -> str:
    return f'device = "{device}"\ndtype = torch.{torch_dtype_name(dtype)}\n'


def pipeline_code(model_id: str, task: str, device: str, dtype: str, inputs: dict | None = None,
                  opts: Any = None) -> str | None:
    """The pipeline() way, or None where transformers 5 removed the pipeline."""
    spec = registry.get(task)
    if spec is None or not spec.pipeline_task:
        return None
    inp = inputs or example_for_code(task)
    call = spec.code.pipeline_call(inp, opts) if spec.code.pipeline_call else _default_call(inp)
    return (f"import torch\nfrom transformers import pipeline\n\n"
            f'pipe = pipeline("{spec.pipeline_task}", model={model_id!r}, device="{device}", '
            f"dtype=torch.{torch_dtype_name(dtype)})\n{_load_media(inp)}{call}print(result)\n")


def _default_call(inp: dict) -> str:
    return "result = pipe(image)\n" if "image" in inp else f"result = pipe({inp.get('text')!r})\n"


def _load_media(inp: dict) -> str:
    lines = ""
    if "image" in inp:
        lines += f'from PIL import Image\nimage = Image.open({_path(inp["image"], "photo.jpg")!r}).convert("RGB")\n'
    if "audio" in inp:
        lines += ("import wave, numpy as np\n"
                  f'with wave.open({_path(inp["audio"], "speech.wav")!r}) as w:\n'
                  "    rate = w.getframerate()\n"
                  "    audio = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)"
                  ".astype(np.float32) / 32768\n")
    return lines


def _path(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def auto_code(model_id: str, task: str, device: str, dtype: str, inputs: dict | None = None,
              config: dict | None = None, opts: Any = None) -> str:
    """The AutoTokenizer/AutoProcessor + AutoModelFor… way with eval(), inference_mode and post-processing
    (the task module writes the lines after loading: ``TaskSpec.code``)."""
    spec = registry.get(task)
    parts = spec.code if spec is not None else None
    inp = inputs or example_for_code(task)
    cls = parts.auto_class if parts else "AutoModel"
    proc = "AutoTokenizer" if parts and parts.processor == "tokenizer" else "AutoProcessor"
    name = "tokenizer" if proc == "AutoTokenizer" else "processor"
    code = (f"import torch\nfrom transformers import {proc}, {cls}\n\n{_header(device, dtype)}"
            f"model_id = {model_id!r}\n{name} = {proc}.from_pretrained(model_id)\n"
            f"model = {cls}.from_pretrained(model_id, dtype=dtype).to(device).eval()\n")
    if name == "processor":
        code += _load_media(inp)
    if parts and parts.auto_body:
        return code + parts.auto_body(inp, config, opts)
    return code + ("with torch.inference_mode():\n    outputs = model(**processor(images=image, "
                   f"text={inp.get('text')!r}, return_tensors=\"pt\").to(device))\nprint(outputs)\n")


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
