"""The dtypes the memory estimate knows: their keys, labels and bytes per parameter.

Bytes per element come from one table, :data:`lib.hub.normalize.DTYPE_BYTES` (keyed by the Hub's
safetensors dtype names, also importable from ``lib.hub.records``); this module maps Hub names
(``BF16``) and torch names (``bfloat16``) onto the estimate's keys (``bf16``).
"""
from __future__ import annotations

from lib.hub.normalize import DTYPE_BYTES, dtype_bytes
from lib.i18n import N_, _

#: dtype choices the UI offers; fp16 is accepted as an alias of bf16 (same size).
DTYPES: tuple[str, ...] = ("fp32", "bf16", "int8", "int4")
DTYPE_LABELS: dict[str, str] = {
    "fp32": "fp32", "bf16": "bf16 / fp16", "fp16": "fp16", "int8": "int8", "int4": "int4",  # i18n: dtype names
    "stored": N_("as stored"),
}
#: Hub safetensors dtype names -> our dtype keys.
HUB_DTYPE: dict[str, str] = {"F32": "fp32", "F64": "fp32", "BF16": "bf16", "F16": "fp16",
                             "I8": "int8", "U8": "int8", "F8_E4M3": "int8", "F8_E5M2": "int8"}
#: torch / config.json dtype names -> our dtype keys.
TORCH_DTYPE: dict[str, str] = {"float32": "fp32", "float": "fp32", "bfloat16": "bf16", "float16": "fp16",
                               "half": "fp16", "int8": "int8"}
#: bytes per parameter at each of our dtypes (int4: half a byte).
BYTES_PER_PARAM: dict[str, float] = {
    "fp32": DTYPE_BYTES["F32"], "bf16": DTYPE_BYTES["BF16"], "fp16": DTYPE_BYTES["F16"], "int8": DTYPE_BYTES["I8"],
    "int4": 0.5,
}
FLOAT_DTYPES = ("fp32", "bf16", "fp16")


def dtype_label(dtype: str) -> str:
    """The label of a dtype key, in the UI's language (``as stored``; the dtype names stay)."""
    label = DTYPE_LABELS.get(dtype, dtype)
    return _(label) if dtype == "stored" else label


def from_hub(name: str) -> str | None:
    """``BF16`` -> ``bf16``; None for a Hub dtype with no estimate key (``I64``, ``BOOL`` …)."""
    return HUB_DTYPE.get(str(name).upper())


def from_torch(name: str | None) -> str | None:
    """``torch.bfloat16`` / ``bfloat16`` -> ``bf16``; None when unknown."""
    return TORCH_DTYPE.get(str(name or "").lower().replace("torch.", "")) if name else None


def hub_bytes(name: str) -> float:
    """Bytes per element of a Hub safetensors dtype (F32's 4 when unknown)."""
    return dtype_bytes(name)


def normalize_dtype(dtype: str) -> str:
    """``"bfloat16"``, ``"BF16"``, ``"torch.float16"`` … -> ``bf16`` / ``fp16`` / ``fp32`` / ``int8`` / ``int4``.

    Raises ValueError naming the accepted values.
    """
    key = str(dtype).strip().lower().replace("torch.", "")
    key = TORCH_DTYPE.get(key, key)
    key = HUB_DTYPE.get(key.upper(), key)
    if key in BYTES_PER_PARAM or key == "stored":
        return key
    raise ValueError(_("unknown dtype {dtype}: use one of {choices} (fp16 also accepted)").format(
        dtype=repr(dtype), choices=", ".join(DTYPES)))


__all__ = ["DTYPES", "DTYPE_LABELS", "BYTES_PER_PARAM", "FLOAT_DTYPES", "HUB_DTYPE", "TORCH_DTYPE", "from_hub",
           "from_torch", "hub_bytes", "normalize_dtype", "dtype_label"]
