"""Device and dtype choice (torch imported lazily)."""
from __future__ import annotations

DTYPES = ("auto", "fp32", "bf16", "fp16")
_TORCH_NAMES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def torch_dtype_name(dtype: str) -> str:
    """``fp16`` -> ``float16`` (the attribute name on torch)."""
    return _TORCH_NAMES[dtype]


def resolve(device: str = "auto", dtype: str = "auto") -> tuple[str, str, list[str]]:
    """Return (device, dtype, notices) actually usable on this host.

    Raises DeviceUnavailable for a device that is not there or an unknown dtype.
    """
    import torch

    from .errors import DeviceUnavailable

    notices: list[str] = []
    device = (device or "auto").lower()
    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    elif device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceUnavailable("CUDA was requested but no CUDA GPU is available on this machine; choose CPU.")
        if ":" in device and int(device.split(":")[1]) >= torch.cuda.device_count():
            raise DeviceUnavailable(f"{device} does not exist: this machine has {torch.cuda.device_count()} GPU(s).")
    elif device == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise DeviceUnavailable("Apple MPS was requested but is not available on this machine; choose CPU.")
    elif device != "cpu":
        raise DeviceUnavailable(f"Unknown device {device!r}: use auto, cpu, cuda, cuda:N or mps.")

    dtype = (dtype or "auto").lower()
    if dtype not in DTYPES:
        raise DeviceUnavailable(f"Unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}.")
    if dtype == "auto":
        if device.startswith("cuda"):
            dtype = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        elif device == "mps":
            dtype = "fp16"
        else:
            dtype = "fp32"
    elif dtype == "fp16" and device == "cpu":
        dtype = "fp32"
        notices.append("fp16 is slow or unsupported on CPU: running in fp32 instead.")
    return device, dtype, notices
