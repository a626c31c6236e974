"""A repo's files for the Model page: what each file is, the files table, the weight formats and
the size of the main weights.

Pure functions over :class:`lib.hub.client.ModelDetails` (no network).
"""
from __future__ import annotations

from dataclasses import dataclass

from lib import format as fmt
from lib.hub.client import ModelDetails, RepoFileInfo

#: weight-file extension -> what the files table calls it.
WEIGHT_KINDS = {".safetensors": "weights (safetensors)", ".gguf": "weights (GGUF)", ".onnx": "weights (ONNX)",
                ".bin": "weights (pickle)", ".pt": "weights (pickle)", ".pth": "weights (pickle)",
                ".ckpt": "weights (pickle)", ".pkl": "weights (pickle)", ".pickle": "weights (pickle)",
                ".h5": "weights (Keras/TF)", ".msgpack": "weights (Flax)", ".tflite": "weights (TF Lite)"}
FORMAT_LABELS = {"safetensors": "safetensors", "pickle": "pickle (.bin/.pt)", "gguf": "GGUF", "onnx": "ONNX"}
# the main weights, in the order the size of a repo is taken from (safetensors first)
_MAIN_FORMATS = ((".safetensors",), (".gguf",), (".bin", ".pt", ".pth", ".ckpt"), (".onnx",))
_TOKENIZER_FILES = ("vocab.txt", "vocab.json", "merges.txt", "special_tokens_map.json", "spiece.model",
                    "sentencepiece.bpe.model", "added_tokens.json")


def file_kind(path: str) -> str:
    """What a repo file is, in words: ``weights (safetensors)``, ``config``, ``tokenizer`` …"""
    p = path.lower()
    name = p.rsplit("/", 1)[-1]
    if name == "training_args.bin":
        return "training arguments (pickle)"
    for ext, kind in WEIGHT_KINDS.items():
        if p.endswith(ext):
            return kind
    if name.endswith(".safetensors.index.json") or name.endswith(".bin.index.json"):
        return "weights index"
    if name == "config.json":
        return "config"
    if name == "generation_config.json":
        return "generation config"
    if "tokenizer" in name or name in _TOKENIZER_FILES:
        return "tokenizer"
    if "processor" in name or name == "preprocessor_config.json" or "chat_template" in name:
        return "processor"
    if name == "readme.md":
        return "model card"
    if name.endswith(".py"):
        return "code"
    if name.startswith(".git"):
        return "git"
    return "other"


@dataclass(frozen=True)
class FileRow:
    """One row of the files table."""

    path: str
    size: int | None
    size_text: str
    kind: str


def file_rows(details: ModelDetails) -> list[FileRow]:
    """The repo's files, weights first, then by path."""
    def order(f: RepoFileInfo) -> tuple[int, str]:
        return (0 if file_kind(f.path).startswith("weights") else 1, f.path)

    return [FileRow(f.path, f.size, fmt.size_bytes(f.size), file_kind(f.path))
            for f in sorted(details.files, key=order)]


def formats_text(details: ModelDetails) -> str:
    """``safetensors, pickle (.bin/.pt)`` or a sentence saying none was found."""
    if not details.weight_formats:
        return "no weight files found" + (" in the local cache" if details.source == "offline" else "")
    return ", ".join(FORMAT_LABELS.get(f, f) for f in details.weight_formats)


def weights_total(details: ModelDetails) -> int | None:
    """Bytes of the weight files of the main format (safetensors first), None when unknown."""
    for exts in _MAIN_FORMATS:
        sizes = [f.size for f in details.files if f.path.lower().endswith(exts)
                 and not f.path.endswith("training_args.bin")]
        if sizes:
            return sum(sizes) if all(s is not None for s in sizes) else None
    return None


__all__ = ["WEIGHT_KINDS", "FORMAT_LABELS", "file_kind", "FileRow", "file_rows", "formats_text", "weights_total"]
