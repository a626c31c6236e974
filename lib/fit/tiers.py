"""Fit tiers with offload: when a model is too big for the GPU but its layers can be split between GPU
memory and host RAM (transformers' ``device_map="auto"`` with ``max_memory``, through accelerate).

The tiers, best first: fits on the GPU / partial offload / CPU only / does not fit
(:class:`lib.fit.verdict.FitKind`). This module is the offload arithmetic (pure, no torch):

- what stays on the GPU whatever the split: the framework baseline (CUDA context, cuBLAS workspace),
  the allocator overhead, the run's KV cache and activations (or the load transient when larger), and
  the embeddings and output head (placed first by accelerate, needed by every token);
- ``per_layer`` = (weights − embeddings and head) / layers: the decoder layers are the unit accelerate
  moves (``_no_split_modules``);
- layers on the GPU = ⌊(VRAM − what stays) / per_layer⌋ − 1: accelerate keeps room for one more layer,
  where each offloaded layer's weights land while it runs; the others wait in host RAM (``per_layer``
  bytes each) and cross the PCIe link at every forward pass;
- slow-down of a decode step against the whole model on the GPU (each token reads every weight once):
  (GPU bytes / GPU bandwidth + offloaded bytes / link bandwidth) / (all bytes / GPU bandwidth).

The GPU's memory bandwidth and its host link come from :data:`LINKS` (vendor figures; the link at a
practical host-to-device copy rate: PCIe 3.0 x16 ≈ 12, 4.0 ≈ 25, 5.0 ≈ 50 GB/s of the 16 / 32 / 64
theoretical). A GPU not in it gets no slow-down figure, only the split.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib.fit.dtypes import BYTES_PER_PARAM
from lib.fit.estimate import CPU_IMPORT_BYTES, CPU_LOAD_MACHINERY_BYTES, MemoryEstimate
from lib.i18n import _

G = 10**9
PCIE3, PCIE4, PCIE5 = 12 * G, 25 * G, 50 * G
#: (part of the GPU's name, memory bandwidth B/s, host link B/s), most specific first. Bandwidths are the
#: vendors' datasheet figures (the same as lib.fit.hosts' speed table for the profile GPUs).
LINKS: tuple[tuple[str, float, float], ...] = (
    ("H200", 4_800 * G, PCIE5), ("H100", 3_350 * G, PCIE5), ("A100", 2_039 * G, PCIE4),
    ("A10G", 600 * G, PCIE4), ("A10", 600 * G, PCIE4), ("L40S", 864 * G, PCIE4), ("L4", 300 * G, PCIE4),
    ("T4", 320 * G, PCIE3), ("V100", 900 * G, PCIE3), ("4090", 1_008 * G, PCIE4), ("3090", 936 * G, PCIE4),
)


def link_of(gpu_name: str | None) -> tuple[float, float] | None:
    """``(GPU memory bandwidth, host link bandwidth)`` in bytes/s for a GPU name, None when unknown."""
    name = (gpu_name or "").upper()
    return next(((bw, link) for key, bw, link in LINKS if key in name), None)


@dataclass(frozen=True)
class OffloadPlan:
    """How a model too big for the GPU splits between GPU memory and host RAM.

    Attributes:
        layers: decoder layers in all; ``gpu_layers`` of them on the GPU, the rest in RAM.
        per_layer: weight bytes of one layer; ``fixed_weights``: embeddings + head (on the GPU).
        gpu_bytes: estimated peak GPU memory with this split; ``ram_bytes``: host RAM it needs
            (framework + offloaded layers).
        offloaded: weight bytes in RAM (cross the link every forward pass).
        gpu_weight_budget: the ``max_memory`` for the GPU: weight bytes it may hold (the GPU layers, the
            embeddings and head, and the one layer's room accelerate keeps free when it offloads).
        slowdown: decode time ÷ the time with everything on the GPU (None: GPU bandwidth unknown).
    """

    layers: int
    gpu_layers: int
    per_layer: int
    fixed_weights: int
    gpu_bytes: int
    ram_bytes: int
    offloaded: int
    gpu_weight_budget: int
    slowdown: float | None

    @property
    def offloaded_share(self) -> float:
        total = self.fixed_weights + self.layers * self.per_layer
        return self.offloaded / total if total else 0.0

    def max_memory(self, ram_budget: int, gpu_index: int = 0) -> dict[Any, int]:
        """accelerate's ``max_memory``: the GPU holds ``gpu_weight_budget``, RAM ``ram_budget``."""
        return {gpu_index: int(self.gpu_weight_budget), "cpu": int(ram_budget)}

    @property
    def summary(self) -> str:
        """``12 of 32 layers on the GPU, 20 in RAM (6.2 GB); ~3.4× slower than all on the GPU``."""
        from lib import format as fmt

        off = self.layers - self.gpu_layers
        text = _("{on_gpu} of {layers} layers on the GPU, {in_ram} in RAM ({size})").format(
            on_gpu=self.gpu_layers, layers=self.layers, in_ram=off, size=fmt.size_bytes(self.offloaded))
        if self.slowdown is not None:
            text = _("{split}; ~{factor}× slower than all on the GPU").format(
                split=text, factor=fmt.number(self.slowdown, decimals=1))
        return text


def _fixed_weights(config: Any, dtype: str, weights: int) -> int:
    """Embeddings + output head bytes at ``dtype`` (int8/int4: kept 16-bit), at most the weights."""
    if config is None or not config.vocab_size or not config.hidden_size:
        return 0
    b = 2.0 if dtype in ("int8", "int4") else BYTES_PER_PARAM.get(dtype, 2.0)
    n = config.vocab_size * config.hidden_size * (1 if config.tie_word_embeddings else 2)
    return min(int(n * b), weights)


def offload_plan(cuda: MemoryEstimate, config: Any, vram: int, gpu_name: str | None = None) -> OffloadPlan | None:
    """The split of ``cuda`` (an estimate on the GPU, over ``vram``) between GPU and RAM; None when the
    layers are unknown, no layer fits beside what must stay on the GPU, or everything fits anyway."""
    layers = getattr(config, "num_layers", None) if config is not None else None
    if not layers or cuda.device != "cuda":
        return None
    fixed = _fixed_weights(config, cuda.dtype, cuda.weights)
    per_layer = (cuda.weights - fixed) // layers
    if per_layer <= 0:
        return None
    stays = cuda.total - cuda.weights + fixed  # baseline + overhead + max(load extra, KV + activations) + embeddings
    n = (vram - stays) // per_layer - 1  # one layer's room for the offloaded layer that runs
    if n < 1 or n >= layers:
        return None
    offloaded = (layers - n) * per_layer
    slowdown = None
    link = link_of(gpu_name)
    if link is not None:
        bw, pcie = link
        on_gpu = cuda.weights - offloaded
        slowdown = (on_gpu / bw + offloaded / pcie) / (cuda.weights / bw)
    ram = CPU_IMPORT_BYTES + CPU_LOAD_MACHINERY_BYTES + offloaded
    return OffloadPlan(int(layers), int(n), int(per_layer), int(fixed), int(stays + (n + 1) * per_layer), int(ram),
                       int(offloaded), int(fixed + (n + 1) * per_layer), slowdown)


__all__ = ["LINKS", "link_of", "OffloadPlan", "offload_plan"]
