"""KV-cache precision: the bytes one cached key or value element takes, and whether transformers can
keep the cache that way here.

transformers 5.24 keeps the KV cache in the model's dtype (``DynamicCache``), or quantized with
``generate(cache_implementation="quantized", cache_config={"backend": …})`` (:class:`QuantizedCache`):

- ``fp8``: backend ``fp8`` (``Fp8QuantizedLayer``): float8_e4m3fn with one scale per tensor, built in
  (no extra package), 1 byte per element;
- ``int8``: backend ``hqq`` with ``nbits=8`` (needs the ``hqq`` package); ``int4``: backend ``quanto``
  (``optimum-quanto``) or ``hqq`` with ``nbits=4``. Both group-wise (``q_group_size`` 64: a 16-bit scale
  and zero point per 64 elements, 4/64 byte each) and keep the last ``residual_length`` (128) tokens
  at the model's precision;
- ``bf16``: the plain cache of a model run at bf16/fp16 (the cache takes the model's dtype: a model run
  in fp32 keeps an fp32 cache).

Pure: no torch (packages are looked up with ``importlib.util.find_spec``).
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from lib.i18n import N_, _

KV_DTYPES = ("auto", "bf16", "fp8", "int8", "int4")
#: tokens a group-wise quantized cache keeps at the model's precision (QuantizedLayer's residual_length).
RESIDUAL_TOKENS = 128
#: a 16-bit scale and zero point per 64 elements (QuantizedLayer's q_group_size).
GROUP_META_BYTES = 4 / 64


@dataclass(frozen=True)
class KvPrecision:
    """One KV-cache precision choice.

    Attributes:
        key: ``auto`` / ``bf16`` / ``fp8`` / ``int8`` / ``int4``.
        label: for people, marked for the catalogue (``_(label)`` where shown: :func:`option_label`).
        element_bytes: bytes per cached element (None: the model's compute dtype).
        residual_tokens: newest tokens kept at the model's precision (group-wise quantized caches).
        backend: ``QuantizedCache`` backend (None: the plain cache).
        packages: the Python packages (import names) the backend needs, any one of them.
    """

    key: str
    label: str
    element_bytes: float | None
    residual_tokens: int = 0
    backend: str | None = None
    packages: tuple[str, ...] = ()


PRECISIONS: dict[str, KvPrecision] = {p.key: p for p in (
    KvPrecision("auto", N_("auto (the model's dtype)"), None),
    KvPrecision("bf16", N_("bf16 (16-bit)"), 2.0),
    KvPrecision("fp8", N_("fp8 (quantized cache, fp8 backend)"), 1.0, backend="fp8"),
    KvPrecision("int8", N_("int8 (quantized cache, HQQ backend)"), 1.0 + GROUP_META_BYTES, RESIDUAL_TOKENS, "hqq",
                ("hqq",)),
    KvPrecision("int4", N_("int4 (quantized cache, quanto or HQQ backend)"), 0.5 + GROUP_META_BYTES, RESIDUAL_TOKENS,
                "quanto", ("optimum.quanto", "hqq")),
)}


def normalize_kv(value: str | None) -> str:
    """A KV precision key from a URL value or a widget (``FP8`` -> ``fp8``); ``auto`` for anything else."""
    v = str(value or "").strip().lower()
    return v if v in PRECISIONS else "auto"


def element_bytes(kv: str, compute_bytes: float) -> float:
    """Bytes per cached element at ``kv`` for a model computing at ``compute_bytes`` per value (F1's
    speed estimate reads the cache at this many bytes per element). ``bf16`` on a model computing in fp32
    is still fp32: the plain cache takes the model's dtype."""
    p = PRECISIONS[normalize_kv(kv)]
    if p.element_bytes is None or (p.backend is None and compute_bytes > p.element_bytes):
        return compute_bytes
    return p.element_bytes


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package missing
        return False


def unsupported(kv: str) -> str | None:
    """Why transformers cannot keep the cache at ``kv`` on this installation, None when it can."""
    p = PRECISIONS[normalize_kv(kv)]
    if not p.packages or any(_installed(n) for n in p.packages):
        return None
    names = ["optimum-quanto" if n == "optimum.quanto" else n for n in p.packages]
    needs = names[0] if len(names) == 1 else _("{first} or {second}").format(first=", ".join(names[:-1]),
                                                                            second=names[-1])
    return _("transformers' {backend} cache backend needs {packages}, which is not installed here").format(
        backend=p.backend, packages=needs)


def option_label(kv: str) -> str:
    """The selector's label: ``int8 (quantized cache, HQQ backend) — not available here``."""
    p = PRECISIONS[normalize_kv(kv)]
    if unsupported(p.key):
        return _("{precision} — not available here").format(precision=_(p.label))
    return _(p.label)


def parse_batch(value: str | int | None, default: int = 1, most: int = 256) -> int:
    """A batch size from a URL value: an integer in 1..``most``; ``default`` for anything else."""
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return n if 1 <= n <= most else default


__all__ = ["KV_DTYPES", "RESIDUAL_TOKENS", "GROUP_META_BYTES", "KvPrecision", "PRECISIONS", "normalize_kv",
           "element_bytes", "unsupported", "option_label", "parse_batch"]
