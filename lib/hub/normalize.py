"""The one reading of the Hub's model fields: languages, licenses, library, parameter counts, dtype
sizes, weight-file kinds, gating and dates.

Live records (:mod:`lib.hub.records`), the embedded snapshot's build (``scripts/build_snapshot.py``)
and a user's dump (:mod:`lib.catalog.snapshot`) all read Hub fields through these functions, so a
filter means the same thing whichever source answers — and what the Hub's ``filter=`` means: a
model is found by a tag it carries.

* **Languages**: the Hub turns a card's ``language:`` (ISO 639-1 or ISO 639-3 codes, or
  ``multilingual``) into bare tags (``en``, ``yue``, ``multilingual``). Among tags, a language is a
  two-letter ISO 639-1 code (deprecated ones such as ``iw`` included), a three-letter ISO 639-3 code
  that is not also a common ML tag (``jax``, ``opt``, ``vit``, ``asr`` are codes of real languages,
  but on the Hub they are a framework, a model family and tasks), or ``multilingual``. Card
  languages count as given.
* **Licenses**: every ``license:x`` tag, then the card's ``license`` (a string or a list); a filter
  value ``license:x`` and ``x`` mean the same.
* **Library**: ``library_name``, else the first tag naming a library (framework/format tags carried by
  nearly every repo — ``pytorch``, ``safetensors`` … — are never taken as *the* library). A library
  filter matches ``library_name`` or any library tag.
* **Parameters**: ``safetensors.total`` (or the sum of ``safetensors.parameters``) is exact; any other
  count is an estimate unless its source says otherwise.
* **Weight files**: one rule for what a repo file is (:func:`weight_file_kind`).

Pure Python, no imports from the rest of ``lib``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------
# Languages
# ---------------------------------------------------------------------------------------------
_ISO_FILE = Path(__file__).resolve().parents[1] / "data" / "iso639.txt"
# Deprecated ISO 639-1 codes still found on Hub cards: Hebrew, Indonesian, Yiddish, Javanese,
# Moldavian, Serbo-Croatian, Bihari.
DEPRECATED_ISO639_1 = frozenset({"iw", "in", "ji", "jw", "mo", "sh", "bh"})
# ISO 639-3 codes that on the Hub are (almost always) something else: frameworks, model families,
# tasks, methods, file formats. As tags they are not languages; in a card's ``language:`` they are.
ML_TAGS_NOT_LANGUAGES = frozenset(["api", "app", "asr", "aud", "bge", "bio", "bit", "bpe", "cfg", "cli", "cot", "cpu", "crf", "csv", "ctc", "dac", "dev", "dna", "doc", "ema", "emb", "env", "esm", "gan", "git", "gnn", "hub", "int", "jax", "knn", "kto", "law", "lcm", "lda", "llm", "log", "max", "med", "mel", "mit", "mlp", "mlx", "moe", "mpt", "ner", "nli", "nlu", "opt", "pos", "ppo", "pro", "ptq", "rag", "ram", "rnn", "sam", "sdk", "seg", "ser", "snr", "ssd", "stt", "sts", "svm", "tag", "tpu", "trl", "tsv", "tts", "url", "vae", "vid", "vit", "wav", "xml"])  # noqa: E501  (data: one literal of codes)
MULTILINGUAL = "multilingual"


@lru_cache(maxsize=1)
def _iso_codes() -> tuple[frozenset[str], frozenset[str]]:
    two: set[str] = set()
    three: set[str] = set()
    target = None
    for line in _ISO_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line == "iso639-1:":
            target = two
        elif line == "iso639-3:":
            target = three
        elif target is not None:
            target.update(line.split())
    return frozenset(two | DEPRECATED_ISO639_1), frozenset(three)


def is_language_tag(tag: str) -> bool:
    """Whether a Hub tag is a language: ISO 639-1, ISO 639-3 (less ML tags) or ``multilingual``."""
    if not isinstance(tag, str) or not tag.isascii() or not tag.isalpha() or not tag.islower():
        return False
    if len(tag) == 2:
        return tag in _iso_codes()[0]
    if len(tag) == 3:
        return tag in _iso_codes()[1] and tag not in ML_TAGS_NOT_LANGUAGES
    return tag == MULTILINGUAL


def _strings(value: Any) -> list[str]:
    """A card field that may be a string, a list of strings or missing -> clean strings."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return []
    return [s for s in (str(v).strip() for v in value if v is not None) if s]


def card_languages(value: Any) -> tuple[str, ...]:
    """A card's ``language:`` (string or list) -> lowercase codes, as declared, without repeats."""
    return tuple(dict.fromkeys(s.lower() for s in _strings(value)))


def languages(tags: Iterable[str] = (), card_language: Any = None) -> tuple[str, ...]:
    """A model's languages: the card's, then the language tags it does not already list."""
    out = dict.fromkeys(card_languages(card_language))
    for t in tags or ():
        if is_language_tag(t):
            out.setdefault(t)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Licenses
# ---------------------------------------------------------------------------------------------
LICENSE_PREFIX = "license:"


def license_value(value: Any) -> str | None:
    """A license as a filter or tag value -> the bare lowercase id: ``License:MIT`` -> ``mit``."""
    if value is None:
        return None
    s = str(value).strip().lower()
    if s.startswith(LICENSE_PREFIX):
        s = s[len(LICENSE_PREFIX):].strip()
    return s or None


def licenses(tags: Iterable[str] = (), card_license: Any = None) -> tuple[str, ...]:
    """Every ``license:`` tag (in tag order), then the card's license(s) not already listed."""
    out: dict[str, None] = {}
    for t in tags or ():
        if isinstance(t, str) and t[:len(LICENSE_PREFIX)].lower() == LICENSE_PREFIX:
            v = license_value(t)
            if v:
                out.setdefault(v)
    for v in _strings(card_license):
        lv = license_value(v)
        if lv:
            out.setdefault(lv)
    return tuple(out)


def license_tag(value: Any) -> str | None:
    """The Hub tag a license filter sends: ``mit`` or ``license:mit`` -> ``license:mit``."""
    v = license_value(value)
    return None if v is None else LICENSE_PREFIX + v


# ---------------------------------------------------------------------------------------------
# Library
# ---------------------------------------------------------------------------------------------
# The Hub's library names (``library_name`` values, also carried as tags).
KNOWN_LIBRARIES: tuple[str, ...] = (
    "transformers", "sentence-transformers", "diffusers", "gguf", "timm", "transformers.js", "open_clip",
    "pyannote-audio", "speechbrain", "peft", "adapter-transformers", "flair", "spacy", "fastai", "keras",
    "tf-keras", "setfit", "span-marker", "nemo", "espnet", "asteroid", "allennlp", "paddlenlp", "fasttext",
    "sklearn", "stable-baselines3", "ml-agents", "sample-factory", "mlx", "onnx", "openvino", "coreml",
    "tensorflowtts", "stanza", "fairseq", "bertopic", "unity-sentis", "ctranslate2", "pythae", "k2",
    "llamafile", "mlc-llm", "joblib", "model2vec", "pxia", "lerobot", "f5-tts", "tensorrt", "liveportrait",
    "moshi", "pytorch", "tf", "jax", "safetensors", "sana", "chronos-forecasting", "vllm",
)
# Frameworks / formats tagged on nearly every repo: never taken as *the* library (not guessed).
WEAK_LIBRARY_TAGS = frozenset({"pytorch", "tf", "jax", "safetensors", "onnx"})
_KNOWN_LIBRARY_SET = frozenset(KNOWN_LIBRARIES)


def is_library_tag(tag: str) -> bool:
    return tag in _KNOWN_LIBRARY_SET


def library(library_name: Any = None, tags: Iterable[str] = ()) -> str | None:
    """``library_name`` when given, else the first tag naming a library (not a framework tag)."""
    if isinstance(library_name, str) and library_name.strip():
        return library_name.strip()
    return next((t for t in tags or () if t in _KNOWN_LIBRARY_SET and t not in WEAK_LIBRARY_TAGS), None)


def library_tags(library_name: Any = None, tags: Iterable[str] = ()) -> tuple[str, ...]:
    """What a library filter matches for one model: its library_name and every library tag."""
    out: dict[str, None] = {}
    if isinstance(library_name, str) and library_name.strip():
        out.setdefault(library_name.strip().lower())
    for t in tags or ():
        if t in _KNOWN_LIBRARY_SET:
            out.setdefault(t)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Parameter counts and dtype sizes
# ---------------------------------------------------------------------------------------------
# Bytes per parameter for the dtype names the Hub uses in ``safetensors.parameters``.
DTYPE_BYTES: dict[str, float] = {
    "F64": 8, "I64": 8, "U64": 8,
    "F32": 4, "I32": 4, "U32": 4,
    "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
    "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "I8": 1, "U8": 1, "BOOL": 1,
    "F4": 0.5, "F6_E2M3": 0.75, "F6_E3M2": 0.75,
}
DEFAULT_DTYPE_BYTES = 4.0  # an unknown dtype (or only a total) counts as F32


def dtype_bytes(dtype: str | None) -> float:
    """Bytes per parameter of a safetensors dtype name (``BF16`` -> 2); F32's 4 when unknown."""
    return float(DTYPE_BYTES.get(str(dtype or "").upper(), DEFAULT_DTYPE_BYTES))


def weights_bytes(by_dtype: Mapping[str, int] | None, total: int | None = None) -> int | None:
    """Bytes of the weights at their stored dtypes; F32 assumed when only a total is known."""
    if by_dtype:
        return int(sum(int(n) * dtype_bytes(d) for d, n in by_dtype.items()))
    if total:
        return int(total * DEFAULT_DTYPE_BYTES)
    return None


PARAM_SOURCE_SAFETENSORS = "safetensors"
PARAM_SOURCE_ESTIMATE = "estimate"


@dataclass(frozen=True)
class ParamCount:
    """A parameter count and how sure it is.

    total: parameters, None when unknown. by_dtype: per safetensors dtype (upper-case names).
    exact: True only for the Hub's safetensors metadata (or a source that says it copied it).
    source: where the count came from, in words (None when unknown).
    """

    total: int | None = None
    by_dtype: Mapping[str, int] = field(default_factory=dict)
    exact: bool = False
    source: str | None = None


def _pos_int(v: Any) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f) or f <= 0:
        return None
    return int(f)


def safetensors_fields(st: Any) -> tuple[dict[str, int], int | None]:
    """The Hub's ``safetensors`` field (dict, or huggingface_hub's SafeTensorsInfo) -> (by_dtype, total)."""
    if st is None:
        return {}, None
    if not isinstance(st, Mapping):
        st = {"parameters": getattr(st, "parameters", None), "total": getattr(st, "total", None)}
    params = st.get("parameters")
    by: dict[str, int] = {}
    if isinstance(params, Mapping):
        for k, v in params.items():
            n = _pos_int(v)
            if n:
                by[str(k).upper()] = by.get(str(k).upper(), 0) + n
    elif isinstance(params, (list, tuple)):  # a map column read back as (key, value) pairs
        for item in params:
            if isinstance(item, (list, tuple)) and len(item) == 2 and (n := _pos_int(item[1])):
                by[str(item[0]).upper()] = by.get(str(item[0]).upper(), 0) + n
    return by, _pos_int(st.get("total"))


def param_count(safetensors: Any = None, params_total: Any = None, params_exact: Any = None,
                param_source: Any = None) -> ParamCount:
    """The one rule: ``safetensors.total`` (else the sum of its per-dtype counts) is exact; otherwise a
    given ``params_total`` keeps the flag its source gave (estimated unless it says exact)."""
    by, total = safetensors_fields(safetensors)
    if total is None and by:
        total = sum(by.values())
    if total is not None:
        return ParamCount(total, by, True, str(param_source) if param_source else PARAM_SOURCE_SAFETENSORS)
    p = _pos_int(params_total)
    if p is None:
        return ParamCount(None, {}, False, None)
    unknown = params_exact is None or (isinstance(params_exact, float) and math.isnan(params_exact))
    exact = not unknown and bool(params_exact)
    src = str(param_source) if param_source else (PARAM_SOURCE_SAFETENSORS if exact else PARAM_SOURCE_ESTIMATE)
    return ParamCount(p, {}, exact, src)


# ---------------------------------------------------------------------------------------------
# Weight files
# ---------------------------------------------------------------------------------------------
PICKLE_SUFFIXES: tuple[str, ...] = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
# Weight-file suffix -> kind. Pickle files can run code when loaded.
WEIGHT_SUFFIXES: dict[str, str] = {
    ".safetensors": "safetensors", ".gguf": "gguf", ".onnx": "onnx",
    **{s: "pickle" for s in PICKLE_SUFFIXES},
    ".h5": "keras", ".keras": "keras", ".msgpack": "flax", ".tflite": "tflite",
}
# Kinds in the order they are listed (and preferred as a repo's main format).
WEIGHT_KINDS: tuple[str, ...] = ("safetensors", "gguf", "pickle", "onnx", "keras", "flax", "tflite")
# Kinds that can stand in for pickle (a repo with one of these is not "pickle only").
_NOT_PICKLE_LOADABLE = ("safetensors", "gguf", "onnx")
# Pickle files that are not weights.
NOT_WEIGHT_FILES = frozenset({"training_args.bin", "optimizer.pt", "scheduler.pt", "rng_state.pth",
                              "scaler.pt"})


def weight_file_kind(path: str) -> str | None:
    """What weights a repo file holds: ``safetensors``, ``pickle`` (.bin/.pt/.pth/.ckpt/.pkl/.pickle),
    ``gguf``, ``onnx``, ``keras``, ``flax``, ``tflite``; None for other files (and for training state
    such as ``training_args.bin``)."""
    p = str(path).lower()
    name = p.rsplit("/", 1)[-1]
    if name in NOT_WEIGHT_FILES or name.startswith("rng_state"):
        return None
    dot = name.rfind(".")
    return WEIGHT_SUFFIXES.get(name[dot:]) if dot >= 0 else None


def weight_formats(paths: Iterable[str]) -> tuple[str, ...]:
    """The weight kinds among a repo's files, in :data:`WEIGHT_KINDS` order."""
    found = {k for k in (weight_file_kind(p) for p in paths) if k}
    return tuple(k for k in WEIGHT_KINDS if k in found)


def pickle_only(paths_or_formats: Iterable[str]) -> bool:
    """Weights only as pickle: no safetensors, GGUF or ONNX file beside them. Takes file paths or
    the kinds :func:`weight_formats` returned."""
    items = list(paths_or_formats)
    kinds = set(items) if set(items) <= set(WEIGHT_KINDS) else set(weight_formats(items))
    return "pickle" in kinds and not kinds.intersection(_NOT_PICKLE_LOADABLE)


# ---------------------------------------------------------------------------------------------
# Gating and dates
# ---------------------------------------------------------------------------------------------
def gated_value(value: Any) -> bool | str:
    """The Hub's ``gated`` (False, ``"auto"``, ``"manual"``, sometimes True/"true"/"false") -> False,
    ``"auto"``, ``"manual"`` or True."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    s = str(value).strip().lower()
    if s in ("", "false", "0", "none", "no"):
        return False
    if s in ("auto", "manual"):
        return s
    return True


def parse_datetime(value: Any) -> datetime | None:
    """Parse the Hub's ISO dates (``2022-03-02T23:29:04.000Z``) or pass datetimes through (UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
