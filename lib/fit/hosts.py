"""How fast each host is: memory bandwidth and matmul throughput per dtype — the speed estimate's
host figures, in ONE table.

The hosts are :data:`lib.hardware.PROFILES` (same names; their memory lives there) plus this machine,
whose figures come from a short probe (:mod:`lib.fit.host_probe`, cached in the store). The profile
rows are the vendors' published figures (dense, no sparsity), each with its source; the GPU rows are
not yet calibrated against a run on that GPU, and say so.

Pure data: no torch, no I/O.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lib.hardware import host_label
from lib.i18n import N_, _

T = 10**12
G = 10**9
UNCALIBRATED = N_("from vendor bandwidth, not yet calibrated")


@dataclass(frozen=True)
class HostSpeed:
    """One host's speed figures.

    Attributes:
        name: the host (a :data:`lib.hardware.PROFILES` name, or ``This machine``).
        device: ``cpu`` or ``cuda`` — where the model runs on that host.
        bandwidth: memory bandwidth in bytes/s (the GPU's memory on a GPU host).
        flops: FLOP/s per dtype (``fp32``, ``bf16``; ``fp16`` = bf16 when missing); measured hosts also
            ``fp32_gemv`` / ``bf16_gemv``: one row at a time, as decoding multiplies; ``bf16_mm`` /
            ``bf16_mm_gemv``: through ``torch.addmm`` (GPT-2's Conv1D layers).
        source: a URL (vendor figures) or ``measured here …`` (the probe).
        layer_s / step_s: the framework's fixed cost of a forward pass per layer and per step, in
            seconds (measured hosts; None for vendor rows).
        measured: figures measured on the host itself by :mod:`lib.fit.host_probe` (the probe's
            achieved bandwidth and matmul rate, not a peak: the efficiency factors differ, see
            :mod:`lib.fit.speed`).
        calibrated: the speed model's efficiency factors were fitted on this kind of host.
        note: one line for the table (``from vendor bandwidth, not yet calibrated`` …): the vendor rows' are
            marked for the catalogue and translated where shown (``_(host.note)``).
    """

    name: str
    device: str
    bandwidth: float
    flops: Mapping[str, float] = field(default_factory=dict)
    source: str = ""
    layer_s: float | None = None
    step_s: float | None = None
    measured: bool = False
    calibrated: bool = False
    note: str = ""

    def flops_at(self, dtype: str, decode: bool = False, addmm: bool = False) -> float | None:
        """FLOP/s for computing at ``dtype`` (int8/int4 weights are dequantised to 16 bit); ``decode``:
        the one-row (GEMV) rate when the host has one (measured hosts), else the GEMM rate; ``addmm``:
        the model multiplies with ``torch.addmm`` (GPT-2's Conv1D), measured apart for bf16."""
        key = {"fp16": "bf16", "int8": "bf16", "int4": "bf16", "stored": "bf16"}.get(dtype, dtype)
        if dtype == "fp16" and "fp16" in self.flops:
            key = "fp16"
        if addmm and self.flops.get(key + "_mm"):
            key += "_mm"
        if decode and self.flops.get(key + "_gemv"):
            return self.flops[key + "_gemv"]
        return self.flops.get(key) or self.flops.get("fp32")


# Vendor figures (dense tensor-core rates; the datasheets' "with sparsity" figures are twice these).
# Names are lib.hardware.PROFILES' names; tests/test_fit_speed.py checks that both lists agree.
VENDOR: tuple[HostSpeed, ...] = (
    # A Space's cpu-basic: 2 vCPU, 16 GB (https://huggingface.co/pricing#spaces). No published bandwidth
    # or FLOP/s: two cores of a current x86 server — ~10 GB/s memory bandwidth per core in use, AVX2 FMA
    # 2 × 8 fp32 lanes × 2 FLOP × ~2.5 GHz = 80 GFLOP/s per core; bf16 without AVX512-BF16/AMX is
    # converted in software (~1/4 the fp32 rate, as the probe measures on such CPUs).
    HostSpeed("Space cpu-basic", "cpu", 20 * G, {"fp32": 160 * G, "bf16": 40 * G},  # i18n: a host name
              "https://huggingface.co/pricing#spaces", note=N_("from its 2 vCPUs (no published figures), "
                                                                "not yet calibrated")),
    HostSpeed("NVIDIA T4 16 GB", "cuda", 320 * G, {"fp32": 8.1 * T, "fp16": 65 * T, "bf16": 8.1 * T},
              "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/tesla-t4/"
              "t4-tensor-core-datasheet-951643.pdf",
              note=N_("from vendor bandwidth, not yet calibrated; no bf16 tensor cores (bf16 at the fp32 rate)")),
    HostSpeed("NVIDIA L4 24 GB", "cuda", 300 * G, {"fp32": 30.3 * T, "bf16": 121 * T},
              "https://www.nvidia.com/en-us/data-center/l4/", note=UNCALIBRATED),
    # AWS's A10G is the A10's cloud variant; NVIDIA publishes the A10's sheet.
    HostSpeed("NVIDIA A10G 24 GB", "cuda", 600 * G, {"fp32": 31.2 * T, "bf16": 125 * T},
              "https://www.nvidia.com/en-us/data-center/products/a10-gpu/",
              note=N_("from vendor bandwidth, not yet calibrated (A10 sheet)")),
    HostSpeed("NVIDIA A100 80 GB", "cuda", 2_039 * G, {"fp32": 19.5 * T, "bf16": 312 * T},
              "https://www.nvidia.com/en-us/data-center/a100/",
              note=N_("from vendor bandwidth, not yet calibrated (SXM)")),
    HostSpeed("NVIDIA H100 80 GB", "cuda", 3_350 * G, {"fp32": 67 * T, "bf16": 989 * T},
              "https://www.nvidia.com/en-us/data-center/h100/",
              note=N_("from vendor bandwidth, not yet calibrated (SXM)")),
)
BY_NAME: dict[str, HostSpeed] = {h.name: h for h in VENDOR}


def vendor(name: str) -> HostSpeed | None:
    """The vendor row of a :data:`lib.hardware.PROFILES` host, None when there is none."""
    return BY_NAME.get(name)


def rows() -> list[dict[str, object]]:
    """The table as rows (for the Model page's "host figures" expander and the README). The keys are the
    Model page's column names (it adds this machine's row with the same keys, and renames them for people);
    the notes are translated."""
    out = []
    for h in VENDOR:
        # i18n: the column keys below are stable names (the Model page adds a row with the same keys); shown
        out.append({"Host": host_label(h.name), "Runs on": "GPU" if h.device == "cuda" else "CPU",  # i18n: keys
                    "Bandwidth (GB/s)": round(h.bandwidth / G, 1),  # i18n: through column_labels()
                    "fp32 TFLOP/s": round(h.flops.get("fp32", 0) / T, 2),  # i18n: through column_labels()
                    # i18n: a column key, shown through column_labels()
                    "bf16/fp16 TFLOP/s": round(max(h.flops.get("bf16", 0), h.flops.get("fp16", 0)) / T, 2),
                    "Note": _(h.note) if h.note else "", "Source": h.source})
    return out


#: :func:`rows`' column keys -> their headers (marked; :func:`column_labels` translates them).
COLUMNS: dict[str, str] = {
    "Host": N_("Host"), "Runs on": N_("Runs on"),  # i18n: keys (the values are the headers)
    "Bandwidth (GB/s)": N_("Bandwidth (GB/s)"),  # i18n: a key (the value is the header)
    "fp32 TFLOP/s": N_("fp32 TFLOP/s"),  # i18n: a key (the value is the header)
    "bf16/fp16 TFLOP/s": N_("bf16/fp16 TFLOP/s"),  # i18n: a key (the value is the header)
    "Note": N_("Note"), "Source": N_("Source"),
}


def column_labels() -> dict[str, str]:
    """:func:`rows`' column keys -> headers in the UI's language (``DataFrame.rename(columns=…)`` after the
    rows are complete)."""
    return {key: _(label) for key, label in COLUMNS.items()}


__all__ = ["HostSpeed", "VENDOR", "BY_NAME", "UNCALIBRATED", "vendor", "rows", "COLUMNS", "column_labels"]
