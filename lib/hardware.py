"""Detect the hardware this process runs on, without importing torch.

RAM comes from psutil; NVIDIA GPUs from ``nvidia-smi`` (present wherever the driver is); Apple
MPS from the platform. Loading a model later may refine this with torch (``torch.cuda.mem_get_info``),
but Discover and the sidebar never pay for importing torch.
"""
from __future__ import annotations

import platform
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache

import psutil

GiB = 1024**3


@dataclass(frozen=True)
class GPU:
    name: str
    total_bytes: int
    free_bytes: int | None = None
    kind: str = "cuda"  # cuda | mps


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
        ram = f"{self.ram_total_bytes / GiB:.0f} GB RAM"
        if self.ram_available_bytes is not None and not self.is_profile:
            ram = f"{self.ram_total_bytes / GiB:.0f} GB RAM ({self.ram_available_bytes / GiB:.1f} GB free)"
        if not self.gpus:
            return f"{ram}, no GPU"
        g = self.gpus[0]
        vram = f"{g.total_bytes / GiB:.0f} GB" if g.kind == "cuda" else "shared memory"
        more = f" ×{len(self.gpus)}" if len(self.gpus) > 1 else ""
        return f"{ram}, {g.name}{more} ({vram})"


def _nvidia_smi() -> tuple[GPU, ...]:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return ()
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3:
            try:
                gpus.append(GPU(parts[0], int(float(parts[1])) * 1024**2, int(float(parts[2])) * 1024**2))
            except ValueError:
                continue
    return tuple(gpus)


def _mps() -> tuple[GPU, ...]:
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        total = psutil.virtual_memory().total
        return (GPU("Apple Silicon (MPS)", total, None, kind="mps"),)
    return ()


def detect() -> Hardware:
    """This machine now (RAM available changes; call again to refresh)."""
    vm = psutil.virtual_memory()
    return Hardware(
        name="This machine",
        ram_total_bytes=int(vm.total),
        ram_available_bytes=int(vm.available),
        cpu_count=psutil.cpu_count(logical=True),
        gpus=_gpus(),
    )


@lru_cache(maxsize=1)
def _gpus() -> tuple[GPU, ...]:
    return _nvidia_smi() or _mps()


def refresh_gpus() -> None:
    _gpus.cache_clear()


# Hosts to check against besides this machine.
PROFILES: tuple[Hardware, ...] = (
    Hardware("Space cpu-basic", 16 * 10**9, 16 * 10**9, 2, (), True),
    Hardware("NVIDIA T4 16 GB", 16 * 10**9, None, 4, (GPU("Tesla T4", 16 * GiB - 1 * GiB // 2),), True),
    Hardware("NVIDIA L4 24 GB", 30 * 10**9, None, 8, (GPU("NVIDIA L4", 24 * GiB - 1 * GiB // 2),), True),
    Hardware("NVIDIA A10G 24 GB", 30 * 10**9, None, 8, (GPU("NVIDIA A10G", 24 * GiB - 1 * GiB // 2),), True),
    Hardware("NVIDIA A100 80 GB", 140 * 10**9, None, 12, (GPU("NVIDIA A100 80GB", 80 * GiB - 1 * GiB // 2),), True),
    Hardware("NVIDIA H100 80 GB", 200 * 10**9, None, 16, (GPU("NVIDIA H100 80GB", 80 * GiB - 1 * GiB // 2),), True),
)
