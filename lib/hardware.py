"""Detect the hardware this process runs on, without importing torch.

RAM comes from psutil; NVIDIA GPUs from ``nvidia-smi`` (present wherever the driver is); Apple
MPS from the platform. Loading a model later may refine this with torch (``torch.cuda.mem_get_info``),
but Discover and the sidebar never pay for importing torch.

Memory is kept in bytes and shown in decimal GB (``lib.format.size_bytes``), as the Hub shows sizes.
"""
from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache

import psutil

from lib.format import number, size_bytes
from lib.i18n import N_, _

MiB = 1024**2  # nvidia-smi reports memory in MiB
#: The name of this machine as a host (a stable key, compared in code; shown through :func:`host_label`).
THIS_MACHINE = N_("This machine")


def host_label(name: str) -> str:
    """A host's name for people: ``This machine`` in the UI's language; profile and GPU names as they are."""
    return _(name) if name == THIS_MACHINE else name


@dataclass(frozen=True)
class GPU:
    name: str
    total_bytes: int
    free_bytes: int | None = None
    kind: str = "cuda"  # cuda | mps
    compute_capability: tuple[int, int] | None = None  # (8, 0) for A100; flash attention needs >= 8.0


@dataclass(frozen=True)
class Hardware:
    """A host to check models against: this machine or a named profile."""

    name: str
    ram_total_bytes: int
    ram_available_bytes: int | None = None
    cpu_count: int | None = None
    gpus: tuple[GPU, ...] = field(default_factory=tuple)
    is_profile: bool = False

    @property
    def has_cuda(self) -> bool:
        return any(g.kind == "cuda" for g in self.gpus)

    @property
    def has_mps(self) -> bool:
        return any(g.kind == "mps" for g in self.gpus)

    def summary(self) -> str:
        """``25.8 GB RAM (12.3 GB free), NVIDIA L4 (24.2 GB)`` — decimal GB."""
        if self.ram_available_bytes is not None and not self.is_profile:
            ram = _("{total} RAM ({free} free)").format(total=size_bytes(self.ram_total_bytes),
                                                       free=size_bytes(self.ram_available_bytes))
        else:
            ram = _("{total} RAM").format(total=size_bytes(self.ram_total_bytes))
        if not self.gpus:
            return _("{ram}, no GPU").format(ram=ram)
        g = self.gpus[0]
        vram = size_bytes(g.total_bytes) if g.kind == "cuda" else _("shared memory")
        more = f" ×{len(self.gpus)}" if len(self.gpus) > 1 else ""
        return f"{ram}, {g.name}{more} ({vram})"

    def lines(self) -> str:
        """RAM, CPU threads, then each GPU with its memory, as markdown list lines (decimal GB)."""
        total = size_bytes(self.ram_total_bytes)
        out = [_("- RAM: **{total}** ({free} free)").format(total=total, free=size_bytes(self.ram_available_bytes))
               if self.ram_available_bytes else _("- RAM: **{total}**").format(total=total)]
        if self.cpu_count:
            out.append(_("- CPU: {n} threads").format(n=number(self.cpu_count)))
        if not self.gpus:
            out.append(_("- GPU: none detected"))
        for g in self.gpus:
            if g.kind == "cuda":
                out.append(_("- GPU: **{gpu}**, {vram} VRAM").format(gpu=g.name, vram=size_bytes(g.total_bytes)))
            else:
                out.append(_("- GPU: **{gpu}**, shares RAM").format(gpu=g.name))
        return "\n".join(out)


def parse_nvidia_smi(out: str) -> tuple[GPU, ...]:
    """Parse ``nvidia-smi --query-gpu=name,memory.total,memory.free,compute_cap --format=csv,noheader,nounits``.

    Memory is in MiB; ``compute_cap`` may be missing (older drivers) or ``[N/A]``. Bad lines are skipped.
    """
    gpus = []
    for line in (out or "").strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 3:
            continue
        try:
            total = int(float(parts[1])) * MiB
            free = int(float(parts[2])) * MiB
        except ValueError:
            continue
        cc = None
        if len(parts) >= 4:
            try:
                major, _sep, minor = parts[3].partition(".")
                cc = (int(major), int(minor or 0))
            except ValueError:
                cc = None
        gpus.append(GPU(parts[0], total, free, compute_capability=cc))
    return tuple(gpus)


def _run_smi(exe: str, fields: str) -> str | None:
    try:
        return subprocess.run(
            [exe, f"--query-gpu={fields}", "--format=csv,noheader,nounits"],  # i18n: a command line
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def _nvidia_smi() -> tuple[GPU, ...]:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return ()
    out = _run_smi(exe, "name,memory.total,memory.free,compute_cap")  # i18n: nvidia-smi fields
    if out is None:  # drivers before 510 do not know compute_cap
        out = _run_smi(exe, "name,memory.total,memory.free")  # i18n: nvidia-smi fields
    return parse_nvidia_smi(out or "")


def _torch_gpus() -> tuple[GPU, ...]:
    """CUDA GPUs via torch, ONLY when torch is already imported (never imports it)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return ()
    try:
        if not torch.cuda.is_available():
            return ()
        gpus = []
        for i in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(i)
            props = torch.cuda.get_device_properties(i)
            gpus.append(GPU(props.name, int(total), int(free),
                            compute_capability=(int(props.major), int(props.minor))))
        return tuple(gpus)
    except Exception:  # noqa: BLE001 - a broken CUDA setup means "no usable GPU", not a crash
        return ()


def _mps() -> tuple[GPU, ...]:
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        total = psutil.virtual_memory().total
        return (GPU("Apple Silicon (MPS)", total, None, kind="mps"),)  # i18n: a GPU name
    return ()


def detect() -> Hardware:
    """This machine now (RAM available changes; call again to refresh)."""
    vm = psutil.virtual_memory()
    return Hardware(
        name=THIS_MACHINE,
        ram_total_bytes=int(vm.total),
        ram_available_bytes=int(vm.available),
        cpu_count=psutil.cpu_count(logical=True),
        gpus=_gpus(),
    )


@lru_cache(maxsize=1)
def _gpus() -> tuple[GPU, ...]:
    return _nvidia_smi() or _mps()


def refine_with_torch(hw: Hardware) -> Hardware:
    """``hw`` with free/total VRAM and compute capability from ``torch.cuda`` — only if torch is
    already imported (e.g. after a model was loaded); otherwise ``hw`` unchanged."""
    gpus = _torch_gpus()
    if not gpus:
        return hw
    return Hardware(hw.name, hw.ram_total_bytes, hw.ram_available_bytes, hw.cpu_count, gpus, hw.is_profile)


def refresh_gpus() -> None:
    _gpus.cache_clear()


# Hosts to check against besides this machine. GPU memory is what ``nvidia-smi --query-gpu=memory.total``
# reports on each card (in MiB; the CUDA context is part of the estimate, not taken off here): a
# "16 GB" T4 exposes 15,360 MiB = 16.1 GB, an "80 GB" H100 81,559 MiB = 85.5 GB. RAM is the Space
# hardware's figure, in decimal GB as Hugging Face lists it.
PROFILES: tuple[Hardware, ...] = (
    # i18n: host and GPU names (not translated)
    Hardware("Space cpu-basic", 16 * 10**9, 16 * 10**9, 2, (), True),
    Hardware("NVIDIA T4 16 GB", 16 * 10**9, None, 4,
             (GPU("Tesla T4", 15_360 * MiB, compute_capability=(7, 5)),), True),
    Hardware("NVIDIA L4 24 GB", 30 * 10**9, None, 8,
             (GPU("NVIDIA L4", 23_034 * MiB, compute_capability=(8, 9)),), True),
    Hardware("NVIDIA A10G 24 GB", 30 * 10**9, None, 8,
             (GPU("NVIDIA A10G", 23_028 * MiB, compute_capability=(8, 6)),), True),
    Hardware("NVIDIA A100 80 GB", 140 * 10**9, None, 12,
             (GPU("NVIDIA A100 80GB", 81_920 * MiB, compute_capability=(8, 0)),), True),
    Hardware("NVIDIA H100 80 GB", 200 * 10**9, None, 16,
             (GPU("NVIDIA H100 80GB", 81_559 * MiB, compute_capability=(9, 0)),), True),
)
