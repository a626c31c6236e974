"""Verdicts with injected hardware: every kind, the tight boundary, warnings, the load gate, badges."""
import subprocess
import sys
import time

from lib.fit.estimate import estimate_memory
from lib.fit.spec import ModelSpec
from lib.fit.verdict import (
    TIGHT_MARGIN,
    FitKind,
    Severity,
    badge,
    fit_table,
    load_allowed,
    load_warnings,
    verdict,
)
from lib.hardware import GPU, PROFILES, Hardware
from lib.hub.records import ModelRecord

GiB = 1024**3
CPU_ONLY = Hardware("box", 16 * GiB, 12 * GiB, 4)
WITH_GPU = Hardware("gpu box", 64 * GiB, 60 * GiB, 8, (GPU("Fake GPU", 24 * GiB, 24 * GiB, compute_capability=(8, 9)),))


def spec(params, **kw):
    return ModelSpec("org/m", params_total=params, params_by_dtype={"BF16": params}, params_exact=True, **kw)


def test_all_kinds():
    assert verdict(spec(1_000_000_000), "bf16", WITH_GPU).kind is FitKind.FITS_GPU
    v = verdict(spec(2_000_000_000), "bf16", CPU_ONLY)
    assert v.kind is FitKind.FITS_CPU and v.device == "cpu" and "GB" in v.reason and v.slow
    assert verdict(spec(100_000_000), "bf16", CPU_ONLY).slow is False
    big = verdict(spec(70_000_000_000), "bf16", WITH_GPU)
    assert big.kind is FitKind.NO_FIT and "too big for the GPU" in big.reason
    # GPU too small but RAM large enough -> falls back to CPU
    v = verdict(spec(15_000_000_000), "bf16", WITH_GPU)
    assert v.kind is FitKind.FITS_CPU and v.device == "cpu" and "too big for the GPU" in v.reason
    assert verdict(ModelSpec("x"), "bf16", CPU_ONLY).kind is FitKind.UNKNOWN


def test_tight_boundary():
    s = spec(1_000_000_000)
    need = estimate_memory(s, "bf16", "cpu").total
    just_fits = Hardware("h", need * 2, int(need / (1 - TIGHT_MARGIN)) + 1024, 2)
    tight = Hardware("h", need * 2, int(need / (1 - TIGHT_MARGIN)) - 1024, 2)
    exact = Hardware("h", need * 2, need, 2)
    over = Hardware("h", need * 2, need - 1, 2)
    assert verdict(s, "bf16", just_fits).kind is FitKind.FITS_CPU
    assert verdict(s, "bf16", tight).kind is FitKind.TIGHT
    assert verdict(s, "bf16", exact).kind is FitKind.TIGHT
    assert verdict(s, "bf16", over).kind is FitKind.NO_FIT


def test_load_gate_and_override():
    s = spec(10_000_000_000)
    e = estimate_memory(s, "bf16", "cpu")
    d = load_allowed(e, CPU_ONLY, override=False)
    assert not d.allowed and "blocked" in d.reason and "GB" in d.reason
    d2 = load_allowed(e, CPU_ONLY, override=True)
    assert d2.allowed and d2.overridden
    small = estimate_memory(spec(100_000_000), "bf16", "cpu")
    assert load_allowed(small, CPU_ONLY).allowed
    gpu_est = estimate_memory(spec(100_000_000), "bf16", "cuda")
    assert not load_allowed(gpu_est, CPU_ONLY).allowed  # no GPU for a GPU estimate


def test_warnings():
    s = spec(8_000_000_000, gated="manual", requires_custom_code=True, pickle_weights=True)
    codes = {w.code: w for w in load_warnings(s, CPU_ONLY)}
    assert {"too_big", "no_gpu_large", "gated_no_token", "custom_code", "pickle"} <= set(codes)
    assert codes["too_big"].severity is Severity.ERROR
    assert "gated_no_token" not in {w.code for w in load_warnings(s, CPU_ONLY, has_token=True)}
    ws = load_warnings(spec(1_500_000_000), CPU_ONLY)
    assert [w.code for w in ws] == ["slow_cpu"]
    assert load_warnings(spec(100_000_000), WITH_GPU) == []
    assert [w.code for w in load_warnings(ModelSpec("x"), CPU_ONLY)] == ["size_unknown"]
    sev = [w.severity for w in load_warnings(s, CPU_ONLY)]
    assert sev == sorted(sev, key=[Severity.ERROR, Severity.WARNING, Severity.INFO].index)


def test_fit_table_covers_dtypes_and_hosts():
    t = fit_table(spec(7_000_000_000), hosts=(CPU_ONLY, *PROFILES))
    assert len(t.rows) == 4 * (1 + len(PROFILES))
    assert t.get("NVIDIA A100 80 GB", "bf16").kind is FitKind.FITS_GPU
    assert t.get("Space cpu-basic", "fp32").kind is FitKind.NO_FIT
    assert t.get("NVIDIA T4 16 GB", "int4").kind is FitKind.FITS_GPU
    rec = t.records()[0]
    assert set(rec) >= {"host", "dtype", "verdict", "reason", "required_gb", "limit_gb"}


def test_badge_is_cheap_and_torch_free():
    rows = [ModelRecord.from_api({"id": f"o/m{i}", "safetensors": {"parameters": {"BF16": 10**6 * (i + 1) * 37}}})
            for i in range(1000)]
    t0 = time.perf_counter()
    badges = [badge(r, CPU_ONLY) for r in rows]
    assert time.perf_counter() - t0 < 1.0
    assert badges[0].kind is FitKind.FITS_CPU and badges[0].text.startswith("CPU")
    assert badge(ModelRecord(id="x"), CPU_ONLY).kind is FitKind.UNKNOWN
    assert badge(ModelRecord(id="x", params_total=400 * 10**9), CPU_ONLY).kind is FitKind.NO_FIT
    assert badge(ModelRecord(id="x", params_total=7 * 10**9), WITH_GPU).text == "GPU bf16"
    code = ("import sys; from lib.fit.verdict import badge; from lib.hardware import detect; "
            "from lib.hub.records import ModelRecord; badge(ModelRecord(id='a', params_total=10**9), detect()); "
            "sys.exit(1 if 'torch' in sys.modules or 'transformers' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_badge_prefers_what_the_runner_would_load():
    """CPU: fp32 (the runner's auto dtype there) while it fits, then smaller; a GPU is tried first,
    down to int4, before falling back to RAM."""
    from lib.hardware import GPU, Hardware

    gib = 1024**3
    small = ModelRecord(id="s", params_total=110_000_000, params_exact=True)
    assert badge(small, CPU_ONLY).text == "CPU fp32"
    # 7B: fp32 = 28 GB + baseline does not fit 24 GB of RAM; bf16 (14 GB) does
    big = ModelRecord(id="b", params_total=7_000_000_000, params_exact=True)
    ram24 = Hardware("h", 24 * gib, 22 * gib, 8, ())
    assert badge(big, ram24).text == "CPU bf16 (slow)"
    # with a 12 GB GPU, 7B fits on it at int8 (7 GB + runtime) before RAM is considered
    gpu12 = Hardware("g", 64 * gib, 60 * gib, 8, (GPU("small GPU", 12 * gib, 12 * gib),))
    assert badge(big, gpu12).text == "GPU int8"


# ---- in Spanish (issue 13): the words are translated, the codes stay -------------------------------------
def test_verdicts_badges_and_warnings_in_spanish():
    from lib import i18n

    with i18n.scope("es"):
        gpu = verdict(spec(1_000_000_000), "bf16", WITH_GPU)
        assert gpu.kind is FitKind.FITS_GPU and gpu.kind.value == "fits_gpu" and gpu.tier == "gpu"
        assert gpu.label == "Cabe en la GPU"
        assert gpu.reason.startswith("necesita ") and "de VRAM libre en Fake GPU" in gpu.reason
        assert "," in gpu.reason.split(" de ")[0]  # a decimal comma: 2,7 GB
        cpu = verdict(spec(15_000_000_000), "bf16", WITH_GPU)
        assert cpu.reason.startswith("demasiado grande para la GPU (")
        assert "; solo se ejecuta en CPU: necesita" in cpu.reason
        assert cpu.label == "Cabe en RAM (CPU) — lento"
        assert verdict(ModelSpec("x"), "bf16", CPU_ONLY).label == "Tamaño desconocido"
        b = badge(ModelRecord(id="org/big", params_total=400_000_000_000), CPU_ONLY)
        assert b.kind is FitKind.NO_FIT and b.text == "demasiado grande" and "incluso en int4" in b.tooltip
        assert b.tooltip.endswith("(tamaño estimado)")
        codes = {w.code: w.message for w in load_warnings(spec(7_000_000_000, gated="auto"), CPU_ONLY)}
        assert codes["gated_no_token"].startswith("Modelo restringido")
        assert "7,0 mil millones de parámetros" in codes["no_gpu_large"]
        est = estimate_memory(spec(70_000_000_000), "bf16", "cpu")
        assert load_allowed(est, CPU_ONLY).reason.startswith("bloqueado: se necesitan ")
        assert est.parts()[0].label == "Pesos"
    with i18n.scope("en"):  # the same objects' texts, made again in English
        assert verdict(spec(1_000_000_000), "bf16", WITH_GPU).label == "Fits on GPU"
        assert FitKind.NO_FIT.label == "Does not fit"
