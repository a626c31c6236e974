"""Device and dtype choice: one rule for the runner, the fit gate and the "use this model" code.

:func:`choose` is the rule (pure: it is told what the host has); :func:`resolve` asks torch what
this host has (imported lazily), checks the request and applies the rule. The fit gate
(``lib.fit.gate.planned_device_dtype``) applies the same rule to detected hardware without torch.
"""
from __future__ import annotations

from lib import format as fmt
from lib.i18n import N_, _, ngettext

DTYPES = ("auto", "fp32", "bf16", "fp16")
_TORCH_NAMES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
FP16_ON_CPU = N_("fp16 is slow or unsupported on CPU: running in fp32 instead.")


def torch_dtype_name(dtype: str) -> str:
    """``fp16`` -> ``float16`` (the attribute name on torch)."""
    return _TORCH_NAMES[dtype]


def default_device(has_cuda: bool, has_mps: bool) -> str:
    """What ``auto`` means: a CUDA GPU, else Apple MPS, else the CPU."""
    return "cuda" if has_cuda else "mps" if has_mps else "cpu"


def default_dtype(device: str, bf16_supported: bool = True) -> str:
    """What ``auto`` means on ``device``: bf16 on a CUDA GPU (fp16 where it has no bf16), fp16 on
    MPS, fp32 on the CPU (bf16 matmuls are slow on most CPUs)."""
    if device.startswith("cuda"):
        return "bf16" if bf16_supported else "fp16"
    return "fp16" if device == "mps" else "fp32"


def choose(device: str | None, dtype: str | None, *, has_cuda: bool, has_mps: bool,
           bf16_supported: bool = True) -> tuple[str, str, list[str]]:
    """``(device, dtype, notices)`` for a request (``auto`` allowed) on a host with these devices.
    Does not check that a requested device exists (:func:`resolve` does); fp16 on the CPU becomes fp32."""
    notices: list[str] = []
    dev = (device or "auto").lower()
    if dev == "auto":
        dev = default_device(has_cuda, has_mps)
    dt = (dtype or "auto").lower()
    if dt == "auto":
        dt = default_dtype(dev, bf16_supported)
    elif dt == "fp16" and dev == "cpu":
        dt = "fp32"
        notices.append(_(FP16_ON_CPU))
    return dev, dt, notices


def resolve(device: str = "auto", dtype: str = "auto") -> tuple[str, str, list[str]]:
    """Return (device, dtype, notices) actually usable on this host.

    Raises DeviceUnavailable for a device that is not there or an unknown dtype.
    """
    from lib import runtime

    from .errors import DeviceUnavailable

    torch = runtime.torch()
    has_cuda = torch.cuda.is_available()
    has_mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    device = (device or "auto").lower()
    if device.startswith("cuda"):
        if not has_cuda:
            raise DeviceUnavailable(_("CUDA was requested but no CUDA GPU is available on this machine; choose CPU."))
        if ":" in device and int(device.split(":")[1]) >= torch.cuda.device_count():
            n = torch.cuda.device_count()
            raise DeviceUnavailable(ngettext("{device} does not exist: this machine has {n} GPU.",
                                             "{device} does not exist: this machine has {n} GPUs.", n).format(
                device=device, n=fmt.number(n)))
    elif device == "mps":
        if not has_mps:
            raise DeviceUnavailable(_("Apple MPS was requested but is not available on this machine; choose CPU."))
    elif device not in ("auto", "cpu"):
        raise DeviceUnavailable(_("Unknown device {device}: use auto, cpu, cuda, cuda:N or mps.").format(
            device=repr(device)))

    dtype = (dtype or "auto").lower()
    if dtype not in DTYPES:
        raise DeviceUnavailable(_("Unknown dtype {dtype}: use one of {choices}.").format(
            dtype=repr(dtype), choices=", ".join(DTYPES)))
    chosen = device if device != "auto" else default_device(has_cuda, has_mps)
    bf16 = bool(torch.cuda.is_bf16_supported()) if chosen.startswith("cuda") and dtype == "auto" else True
    return choose(device, dtype, has_cuda=has_cuda, has_mps=has_mps, bf16_supported=bf16)
