"""Fit verdicts: does a model fit a host at a dtype? Plus pre-load warnings and the load gate.

- :func:`verdict` — one (estimate pair, host) → :class:`Verdict` with kind, numbers and a reason.
- :func:`fit_table` — every dtype × host for the model page.
- :func:`badge` — a cheap verdict for Discover from a ModelRecord's listing counts only (no config,
  no torch; ~µs per row).
- :func:`load_warnings` — typed warnings shown before anything is loaded.
- :func:`load_allowed` — the gate: loading is blocked when the estimate exceeds available memory,
  unless the user overrides explicitly.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from lib import format as fmt
from lib.fit.dtypes import DTYPES, hub_bytes, normalize_dtype
from lib.fit.estimate import (
    CPU_IMPORT_BYTES,
    CPU_LOAD_MACHINERY_BYTES,
    CUBLAS_WORKSPACE_BYTES,
    CUDA_CONTEXT_BYTES,
    MemoryEstimate,
    estimate_memory,
)
from lib.fit.spec import ModelSpec
from lib.fit.tiers import OffloadPlan, offload_plan
from lib.hardware import GPU, PROFILES, Hardware
from lib.i18n import N_, _

#: an estimate above (1 - TIGHT_MARGIN) × limit is "tight".
TIGHT_MARGIN = 0.15
#: on CPU, models above this many parameters run, but slowly.
SLOW_CPU_PARAMS = 1_000_000_000
#: "no GPU and a large model" warning threshold.
LARGE_MODEL_PARAMS = 3_000_000_000


class FitKind(str, Enum):
    """Verdict kinds, best first."""

    FITS_GPU = "fits_gpu"
    OFFLOAD = "offload"
    FITS_CPU = "fits_cpu"
    TIGHT = "tight"
    NO_FIT = "no_fit"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return _(_KIND_LABELS[self])


_KIND_LABELS = {
    FitKind.FITS_GPU: N_("Fits on GPU"),
    FitKind.OFFLOAD: N_("Partial offload"),
    FitKind.FITS_CPU: N_("Fits in RAM (CPU)"),
    FitKind.TIGHT: N_("Tight"),
    FitKind.NO_FIT: N_("Does not fit"),
    FitKind.UNKNOWN: N_("Unknown size"),
}


@dataclass(frozen=True)
class Verdict:
    """Whether a model fits one host at one dtype.

    Attributes:
        kind: the verdict.
        host: the host's name (``This machine``, ``NVIDIA T4 16 GB`` …).
        dtype: ``fp32`` / ``bf16`` / ``int8`` / ``int4`` / ``stored``.
        device: where it would run: ``cuda`` or ``cpu`` (None when unknown).
        required_bytes: estimated peak on that device.
        limit_bytes: memory available for it there (free VRAM / available RAM when known, else total).
        reason: one line for the UI, with the numbers.
        slow: True on CPU above ~1B parameters.
        estimate: the estimate the verdict used.
        offload: the GPU/RAM split of the partial-offload tier (:class:`lib.fit.tiers.OffloadPlan`).
    """

    kind: FitKind
    host: str
    dtype: str
    device: str | None
    required_bytes: int | None
    limit_bytes: int | None
    reason: str
    slow: bool = False
    estimate: MemoryEstimate | None = field(default=None, compare=False, repr=False)
    offload: OffloadPlan | None = None

    @property
    def tier(self) -> str:
        """``gpu`` (fits on the GPU) / ``offload`` (partial offload) / ``cpu`` (CPU only) / ``none``
        (does not fit) / ``unknown``; a tight fit is in the tier of its device."""
        if self.kind is FitKind.OFFLOAD:
            return "offload"
        if self.kind in (FitKind.NO_FIT, FitKind.UNKNOWN):
            return "none" if self.kind is FitKind.NO_FIT else "unknown"
        return "gpu" if self.device == "cuda" else "cpu"

    @property
    def label(self) -> str:
        text = self.kind.label
        if self.kind is FitKind.TIGHT:
            text = _("Tight on GPU") if self.device == "cuda" else _("Tight on CPU RAM")
        if self.slow and self.kind in (FitKind.FITS_CPU, FitKind.TIGHT) and self.device == "cpu":
            text = _("{verdict} — slow").format(verdict=text)
        return text

    @property
    def headroom_fraction(self) -> float | None:
        """1 − required/limit (negative when it does not fit)."""
        if not self.required_bytes or not self.limit_bytes:
            return None
        return 1 - self.required_bytes / self.limit_bytes

    def as_row(self) -> dict[str, Any]:
        """Flat dict for a table."""
        return {"host": self.host, "dtype": self.dtype, "verdict": self.label, "kind": self.kind.value,
                "device": self.device, "required_gb": _gb_or_none(self.required_bytes),
                "limit_gb": _gb_or_none(self.limit_bytes), "reason": self.reason}


def _gb(n: int | float) -> str:
    """A size in the reasons: decimal units, as the Hub and every other size in the UI."""
    return fmt.size_bytes(n)


def _gb_or_none(n: int | None) -> float | None:
    return None if n is None else round(fmt.gb(n), 2)


def _limits(hw: Hardware) -> tuple[GPU | None, int | None, int]:
    gpu = next((g for g in hw.gpus if g.kind == "cuda"), None)
    vram = None
    if gpu is not None:
        vram = gpu.free_bytes if (gpu.free_bytes is not None and not hw.is_profile) else gpu.total_bytes
    ram = hw.ram_available_bytes if hw.ram_available_bytes is not None else hw.ram_total_bytes
    return gpu, vram, int(ram)


def _classify(required: int, limit: int) -> str:
    if required > limit:
        return "over"
    if required > (1 - TIGHT_MARGIN) * limit:
        return "tight"
    return "ok"


def verdict_from_estimates(cpu: MemoryEstimate | None, cuda: MemoryEstimate | None, hw: Hardware,
                           config: Any = None) -> Verdict:
    """Decide from ready estimates: the GPU first (when the host has one), then a partial offload
    (layers split between the GPU and RAM: needs ``config``'s layers, :func:`lib.fit.tiers.offload_plan`),
    else CPU RAM (CPU only)."""
    est = cuda or cpu
    dtype = est.dtype if est else "?"
    if cpu is None and cuda is None:
        return Verdict(FitKind.UNKNOWN, hw.name, dtype, None, None, None, _("model size unknown"))
    gpu, vram, ram = _limits(hw)
    gpu_note = ""
    if gpu is not None and cuda is not None and vram:
        state = _classify(cuda.total, vram)
        free = not hw.is_profile and gpu.free_bytes is not None
        where = (_("{need} of {limit} free VRAM") if free else _("{need} of {limit} VRAM")).format(
            need=_gb(cuda.total), limit=_gb(vram))
        if state == "ok":
            return Verdict(FitKind.FITS_GPU, hw.name, dtype, "cuda", cuda.total, vram,
                           _("needs {where} on {gpu}").format(where=where, gpu=gpu.name), estimate=cuda)
        if state == "tight":
            return Verdict(FitKind.TIGHT, hw.name, dtype, "cuda", cuda.total, vram,
                           _("needs {where}: under {margin} headroom").format(
                               where=where, margin=fmt.percent(TIGHT_MARGIN)), estimate=cuda)
        gpu_note = _("too big for the GPU ({where})").format(where=where)
        plan = offload_plan(cuda, config, vram, gpu.name)
        if plan is not None and _classify(plan.ram_bytes, ram) != "over":
            return Verdict(FitKind.OFFLOAD, hw.name, dtype, "cuda", plan.gpu_bytes, vram,
                           _clauses(gpu_note, plan.summary), estimate=cuda, offload=plan)
    if cpu is None:
        return Verdict(FitKind.NO_FIT, hw.name, dtype, "cuda", cuda.total if cuda else None, vram,
                       gpu_note or _("no estimate for CPU"), estimate=cuda)
    slow = (cpu.params or 0) > SLOW_CPU_PARAMS
    slow_note = _("expect slow generation on CPU") if slow else ""
    state = _classify(cpu.total, ram)
    available = hw.ram_available_bytes is not None and not hw.is_profile
    where = (_("{need} of {limit} available RAM") if available else _("{need} of {limit} RAM")).format(
        need=_gb(cpu.total), limit=_gb(ram))
    if state == "ok":
        runs = (_("runs on CPU only: needs {where}") if gpu_note else _("runs on CPU: needs {where}")).format(
            where=where)
        return Verdict(FitKind.FITS_CPU, hw.name, dtype, "cpu", cpu.total, ram,
                       _clauses(gpu_note, runs, slow_note), slow=slow, estimate=cpu)
    if state == "tight":
        tight = _("CPU: needs {where}, under {margin} headroom").format(where=where,
                                                                       margin=fmt.percent(TIGHT_MARGIN))
        return Verdict(FitKind.TIGHT, hw.name, dtype, "cpu", cpu.total, ram,
                       _clauses(gpu_note, tight, slow_note), slow=slow, estimate=cpu)
    return Verdict(FitKind.NO_FIT, hw.name, dtype, "cpu", cpu.total, ram,
                   _clauses(gpu_note, _("needs {where}").format(where=where)), slow=slow, estimate=cpu)


def _clauses(*parts: str) -> str:
    """Clauses of one reason, each a whole translated message, joined with ``; `` (empty ones left out)."""
    return "; ".join(p for p in parts if p)


def verdict(spec: ModelSpec, dtype: str, hw: Hardware, *, context_tokens: int | None = None,
            batch: int = 1, kv_dtype: str = "auto") -> Verdict:
    """Verdict for one dtype on one host (estimates computed here; ``kv_dtype``: lib.fit.kv)."""
    try:
        dtype = normalize_dtype(dtype)
        cpu = estimate_memory(spec, dtype, "cpu", context_tokens=context_tokens, batch=batch, kv_dtype=kv_dtype)
    except ValueError as exc:
        return Verdict(FitKind.UNKNOWN, hw.name, str(dtype), None, None, None, str(exc))
    cuda = None
    gpu = next((g for g in hw.gpus if g.kind == "cuda"), None)
    if gpu is not None:
        cuda = estimate_memory(spec, dtype, "cuda", context_tokens=context_tokens, batch=batch, kv_dtype=kv_dtype,
                               compute_capability=gpu.compute_capability)
    return verdict_from_estimates(cpu, cuda, hw, spec.config)


@dataclass(frozen=True)
class FitTable:
    """dtype × host verdicts for the model page (``rows`` in host-major order)."""

    dtypes: tuple[str, ...]
    hosts: tuple[str, ...]
    rows: tuple[Verdict, ...]

    def get(self, host: str, dtype: str) -> Verdict | None:
        return next((v for v in self.rows if v.host == host and v.dtype == dtype), None)

    def records(self) -> list[dict[str, Any]]:
        """Rows as flat dicts (a DataFrame-ready list)."""
        return [v.as_row() for v in self.rows]


def fit_table(spec: ModelSpec, hosts: Sequence[Hardware] | None = None, dtypes: Iterable[str] = DTYPES, *,
              context_tokens: int | None = None, batch: int = 1, kv_dtype: str = "auto") -> FitTable:
    """Verdicts for every dtype on every host (default: this machine + :data:`lib.hardware.PROFILES`)."""
    if hosts is None:
        from lib.hardware import detect

        hosts = (detect(), *PROFILES)
    if spec.is_quantized and spec.quantized_bytes:
        dtypes = ("stored",)
    dts = tuple(normalize_dtype(d) for d in dtypes)
    rows = tuple(verdict(spec, d, h, context_tokens=context_tokens, batch=batch, kv_dtype=kv_dtype)
                 for h in hosts for d in dts)
    return FitTable(dts, tuple(h.name for h in hosts), rows)


# ---- Discover badge ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Badge:
    """A short fit badge for one listing row: ``kind``, ``text`` (e.g. ``GPU bf16``), ``tooltip``."""

    kind: FitKind
    text: str
    tooltip: str
    dtype: str | None = None


# What the runner would load at: on a GPU bf16 first (its auto dtype there), then quantized; on the CPU
# fp32 first (the runner's auto dtype on CPU: bf16 matmuls are slow on most CPUs), then smaller.
_BADGE_GPU_DTYPES = (("bf16", 2.0), ("int8", 1.0), ("int4", 0.5))
_BADGE_CPU_DTYPES = (("fp32", 4.0), ("bf16", 2.0), ("int8", 1.0), ("int4", 0.5))


def badge(record: Any, hw: Hardware) -> Badge:
    """Cheap verdict for Discover from listing counts only (params_total / params_by_dtype).

    Weights + the framework baseline + 20 % for runtime (KV cache, activations, load transient),
    checked on the GPU (if any) at bf16, int8, int4, then in RAM at fp32, bf16, int8, int4: the first
    that fits is the badge. Never imports torch; a few microseconds per row.
    """
    n = getattr(record, "params_total", None)
    by = getattr(record, "params_by_dtype", None) or {}
    if not n and by:
        n = sum(by.values())
    if not n:
        return Badge(FitKind.UNKNOWN, _("size ?"), _("parameter count unknown"))
    exact = bool(getattr(record, "params_exact", False))
    gpu, vram, ram = _limits(hw)
    stored = sum(c * hub_bytes(d) for d, c in by.items()) if by else None
    cpu_base = CPU_IMPORT_BYTES + CPU_LOAD_MACHINERY_BYTES
    gpu_base = CUDA_CONTEXT_BYTES + CUBLAS_WORKSPACE_BYTES

    def weights(i: int, b: float) -> float:
        # an already-quantized (8/4-bit) checkpoint loads at its stored size
        return min(n * b, stored) if stored is not None and i == 0 else n * b

    if gpu is not None and vram:
        for i, (dt, b) in enumerate(_BADGE_GPU_DTYPES):
            need = gpu_base + 1.2 * weights(i, b)
            state = _classify(int(need), vram)
            if state != "over":
                kind = FitKind.FITS_GPU if state == "ok" else FitKind.TIGHT
                text = (_("GPU {dtype}") if kind is FitKind.FITS_GPU else _("tight GPU {dtype}")).format(dtype=dt)
                return Badge(kind, text, _approx(_("~{need} of {limit} VRAM at {dtype}").format(
                    need=_gb(need), limit=_gb(vram), dtype=dt), exact), dt)
    for i, (dt, b) in enumerate(_BADGE_CPU_DTYPES):
        need = cpu_base + 1.2 * weights(i, b)
        state = _classify(int(need), ram)
        if state != "over":
            slow = n > SLOW_CPU_PARAMS
            kind = FitKind.FITS_CPU if state == "ok" else FitKind.TIGHT
            text = (_("CPU {dtype}") if kind is FitKind.FITS_CPU else _("tight CPU {dtype}")).format(dtype=dt)
            if slow:
                text = _("{badge} (slow)").format(badge=text)
            return Badge(kind, text, _approx(_("~{need} of {limit} RAM at {dtype}").format(
                need=_gb(need), limit=_gb(ram), dtype=dt), exact), dt)
    need = cpu_base + 1.2 * n * 0.5
    return Badge(FitKind.NO_FIT, _("too big"), _approx(_("~{need} even at int4; {limit} RAM").format(
        need=_gb(need), limit=_gb(ram)), exact))


def _approx(tooltip: str, exact: bool) -> str:
    return tooltip if exact else _("{tooltip} (size estimated)").format(tooltip=tooltip)


# ---- warnings and the load gate -----------------------------------------------------------------
class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class FitWarning:
    """A warning shown before loading: ``code`` is stable for tests/UI, ``message`` is for people."""

    severity: Severity
    code: str
    message: str


def load_warnings(spec: ModelSpec, hw: Hardware, estimate: MemoryEstimate | None = None, *,
                  has_token: bool = False, trust_remote_code: bool = False) -> list[FitWarning]:
    """Warnings before anything is loaded (in severity order, errors first).

    Codes: ``too_big`` (estimate above available memory: loading blocked without override),
    ``tight``, ``no_gpu_large`` (no GPU and > 3B parameters), ``slow_cpu`` (CPU and > 1B),
    ``gated_no_token``, ``custom_code`` (remote code never runs without opt-in), ``pickle``
    (weights only as pickle files, which can run code when loaded), ``size_unknown``.
    """
    out: list[FitWarning] = []
    gpu, vram, ram = _limits(hw)
    n = spec.params_total or 0
    if estimate is None:
        try:
            estimate = estimate_memory(spec, "bf16", "cuda" if gpu is not None else "cpu",
                                       compute_capability=gpu.compute_capability if gpu else None)
        except ValueError:
            estimate = None
    if estimate is None:
        out.append(FitWarning(Severity.WARNING, "size_unknown", _("Model size unknown: memory use cannot be checked.")))
    else:
        decision = load_allowed(estimate, hw, override=False)
        if not decision.allowed:
            out.append(FitWarning(Severity.ERROR, "too_big", decision.reason))
        elif decision.tight:
            out.append(FitWarning(Severity.WARNING, "tight", decision.reason))
    if gpu is None and n > LARGE_MODEL_PARAMS:
        out.append(FitWarning(Severity.WARNING, "no_gpu_large",
                              _("No GPU here and the model has {n}B parameters: it will be very slow on CPU.").format(
                                  n=fmt.number(n / 1e9, decimals=1))))
    elif (gpu is None or (estimate is not None and estimate.device == "cpu")) and n > SLOW_CPU_PARAMS:
        out.append(FitWarning(Severity.INFO, "slow_cpu",
                              _("{n}B parameters on CPU: expect slow generation.").format(
                                  n=fmt.number(n / 1e9, decimals=1))))
    if spec.gated and str(spec.gated).lower() != "false" and not has_token:
        out.append(FitWarning(Severity.ERROR, "gated_no_token",
                              _("Gated model: accept its terms on the Hub and set HF_TOKEN to download it.")))
    if spec.requires_custom_code:
        msg = (_("Needs custom code from the repo: it will only run if you opt in to trust_remote_code.")
               if not trust_remote_code else _("Runs custom code from the repo (you opted in)."))
        out.append(FitWarning(Severity.WARNING, "custom_code", msg))
    if spec.pickle_weights:
        out.append(FitWarning(Severity.WARNING, "pickle",
                              _("Weights are pickle files (.bin/.pt): loading them can execute code. "
                                "Prefer safetensors.")))
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(out, key=lambda w: order[w.severity])


@dataclass(frozen=True)
class LoadDecision:
    """Result of the load gate: ``allowed`` with the ``reason`` either way."""

    allowed: bool
    reason: str
    tight: bool = False
    overridden: bool = False


def load_allowed(estimate: MemoryEstimate, hardware: Hardware, override: bool = False) -> LoadDecision:
    """Whether loading may start: blocked when the estimate exceeds the memory available on the
    estimate's device, unless ``override`` is True (an explicit user choice)."""
    gpu, vram, ram = _limits(hardware)
    if estimate.device == "cuda":
        if gpu is None or not vram:
            return LoadDecision(False, _("no CUDA GPU on this host for a GPU estimate"))
        limit = vram
        nums = _("{need} needed at {dtype}, {limit} {gpu} VRAM")
    else:
        limit = ram
        nums = (_("{need} needed at {dtype}, {limit} available RAM") if hardware.ram_available_bytes is not None
                else _("{need} needed at {dtype}, {limit} RAM"))
    need = estimate.total
    state = _classify(need, limit)
    nums = nums.format(need=_gb(need), dtype=estimate.dtype_label, limit=_gb(limit), gpu=gpu.name if gpu else "")
    if state == "over":
        if override:
            return LoadDecision(True, _("over the limit ({numbers}): loading anyway at your request").format(
                numbers=nums), overridden=True)
        return LoadDecision(False, _("blocked: {numbers}. Pick a lower precision.").format(numbers=nums))
    if state == "tight":
        return LoadDecision(True, _("tight: {numbers}").format(numbers=nums), tight=True)
    return LoadDecision(True, _("fits: {numbers}").format(numbers=nums))


__all__ = ["FitKind", "Verdict", "verdict", "verdict_from_estimates", "FitTable", "fit_table", "Badge", "badge",
           "Severity", "FitWarning", "load_warnings", "LoadDecision", "load_allowed", "TIGHT_MARGIN"]
