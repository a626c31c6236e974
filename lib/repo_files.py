"""A repo's files for the Model page: what each file is, the files table, the weight formats and
the size of the main weights. Which files are weights, and of what kind, is the one rule of
:func:`lib.hub.normalize.weight_file_kind`; this module only names them for people.

Pure functions over :class:`lib.hub.details.ModelDetails` (no network).
"""
from __future__ import annotations

from dataclasses import dataclass

from lib import format as fmt
from lib.hub import normalize
from lib.hub.details import ModelDetails, RepoFileInfo
from lib.hub.normalize import PICKLE_SUFFIXES, weight_file_kind
from lib.i18n import N_, _

#: weight kind (lib.hub.normalize.weight_file_kind) -> what the files table calls such a file.
WEIGHT_KINDS = {"safetensors": N_("weights (safetensors)"), "gguf": N_("weights (GGUF)"),
                "onnx": N_("weights (ONNX)"), "pickle": N_("weights (pickle)"), "keras": N_("weights (Keras/TF)"),
                "flax": N_("weights (Flax)"), "tflite": N_("weights (TF Lite)")}
FORMAT_LABELS = {"safetensors": "safetensors", "pickle": "pickle (.bin/.pt)", "gguf": "GGUF",  # i18n: names
                 "onnx": "ONNX", "keras": "Keras/TF", "flax": "Flax", "tflite": "TF Lite"}
_TOKENIZER_FILES = ("vocab.txt", "vocab.json", "merges.txt", "special_tokens_map.json", "spiece.model",
                    "sentencepiece.bpe.model", "added_tokens.json")


def file_kind(path: str) -> str:
    """What a repo file is, in words (the UI's language): ``weights (safetensors)``, ``config``, ``tokenizer`` …"""
    name = path.lower().rsplit("/", 1)[-1]
    kind = weight_file_kind(path)
    if kind is not None:
        return _(WEIGHT_KINDS[kind]) if kind in WEIGHT_KINDS else _("weights ({kind})").format(kind=kind)
    if name.endswith(PICKLE_SUFFIXES):  # pickle files that are not weights: training state
        return _("training arguments (pickle)") if name == "training_args.bin" else _("training state (pickle)")
    if name.endswith(".safetensors.index.json") or name.endswith(".bin.index.json"):
        return _("weights index")
    if name == "config.json":
        return _("config")
    if name == "generation_config.json":
        return _("generation config")
    if "tokenizer" in name or name in _TOKENIZER_FILES:
        return _("tokenizer")
    if "processor" in name or name == "preprocessor_config.json" or "chat_template" in name:
        return _("processor")
    if name == "readme.md":
        return _("model card")
    if name.endswith(".py"):
        return _("code")
    if name.startswith(".git"):
        return "git"  # i18n: a tool's name
    return _("other")


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
        return (0 if weight_file_kind(f.path) is not None else 1, f.path)

    return [FileRow(f.path, f.size, fmt.size_bytes(f.size), file_kind(f.path))
            for f in sorted(details.files, key=order)]


def formats_text(details: ModelDetails) -> str:
    """``safetensors, pickle (.bin/.pt)`` or a sentence saying none was found."""
    if not details.weight_formats:
        return _("no weight files found in the local cache") if details.source == "offline" \
            else _("no weight files found")
    return ", ".join(FORMAT_LABELS.get(f, f) for f in details.weight_formats)


def weights_total(details: ModelDetails) -> int | None:
    """Bytes of the weight files of the main format (safetensors first, in
    ``lib.hub.normalize.WEIGHT_KINDS`` order), None when unknown."""
    by_kind: dict[str, list[int | None]] = {}
    for f in details.files:
        kind = weight_file_kind(f.path)
        if kind is not None:
            by_kind.setdefault(kind, []).append(f.size)
    for kind in normalize.WEIGHT_KINDS:
        sizes = by_kind.get(kind)
        if sizes:
            return sum(sizes) if all(s is not None for s in sizes) else None
    return None


__all__ = ["WEIGHT_KINDS", "FORMAT_LABELS", "file_kind", "FileRow", "file_rows", "formats_text", "weights_total"]
