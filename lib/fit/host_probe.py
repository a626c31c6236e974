"""This machine's speed figures, measured once by a short probe and kept in the store.

The probe (:func:`measure`: a few seconds on a quiet machine; torch imported lazily) times:

- memory bandwidth: ``dst.copy_(src)`` of a 128 MB fp32 tensor, best of 4 — bytes read + written
  per second (STREAM's "copy"), on the threads torch uses for a model;
- matmul throughput at fp32 and bf16 as models compute (``torch.nn.functional.linear``): a
  prefill-sized GEMM (128 × 2048 by 2048 × 2048 on CPU), best of 3, and a decode-sized GEMV (one row
  by a 64 MB weight matrix), best of 5 — a CPU without bf16 instructions converts bf16 in software and
  its bf16 GEMV can be slower than reading the weights; and bf16 ``torch.addmm`` (GPT-2's Conv1D
  layers), whose CPU path is slower still;
- the framework's fixed cost of a decode step, per layer and per step: tiny random Llama-shaped
  models (2 and 10 layers of width 64) decode 12 tokens each (median step) — a small model's decode
  step is mostly that (Python, op dispatch, kernel launches);
- on a CUDA machine the same on the GPU (its memory and tensor cores), which is where models run.

The result goes into the store's ``meta`` table as JSON under ``host_probe:<fingerprint>``; the
fingerprint (CPU model, logical CPUs, RAM, GPUs, torch version) changes when the machine does, and
only then is the probe run again. :func:`cached` reads without probing (Discover, the Model page);
:func:`ensure` probes when nothing is cached (the runtime warm-up calls it, once torch is imported).
"""
from __future__ import annotations

import hashlib
import json
import platform
import threading
import time
from pathlib import Path
from typing import Any

from lib.fit.hosts import HostSpeed
from lib.hardware import THIS_MACHINE
from lib.i18n import _

KEY_PREFIX = "host_probe:"
COPY_BYTES = 128 * 10**6  # 4 × the largest CPU cache here (32 MB L3): a copy from memory, not cache
CPU_GEMM = (128, 2048)  # tokens × width: a prefill-sized linear
CPU_GEMV = 4096  # one row by a 4096 × 4096 (fp32: 64 MB) weight matrix
CPU_ADDMM = (64, 1024)
FRAMEWORK_TOKENS = 12  # decoded per tiny model
FLOP_KEYS = ("fp32", "bf16", "fp32_gemv", "bf16_gemv", "bf16_mm", "bf16_mm_gemv")
_LOCK = threading.Lock()
_PROBE_LOCK = threading.Lock()
_MEMO: dict[str, dict[str, Any] | None] = {}  # fingerprint key -> figures read or measured in this process


def forget() -> None:
    """Drop what this process remembers of the probe (tests)."""
    with _LOCK:
        _MEMO.clear()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fingerprint() -> dict[str, Any]:
    """What identifies this machine's speed (no torch import: the version comes from its metadata)."""
    import psutil

    from lib import hardware

    try:
        from importlib.metadata import version

        torch_version = version("torch")
    except Exception:  # noqa: BLE001 - no torch: the figures cannot be measured, the key still is one
        torch_version = ""
    return {"machine": platform.machine(), "cpu": _cpu_model(), "cpus": psutil.cpu_count(logical=True),
            "ram": int(psutil.virtual_memory().total // 10**9),
            "gpus": [g.name for g in hardware.detect().gpus if g.kind == "cuda"], "torch": torch_version}


def key_for(fp: dict[str, Any]) -> str:
    return KEY_PREFIX + hashlib.sha1(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:16]


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _i in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return max(best, 1e-9)


def _bandwidth(torch: Any, dev: Any, sync: Any) -> float:
    """Bytes read + written per second by a COPY_BYTES copy, best of 4."""
    src = torch.ones(COPY_BYTES // 4, dtype=torch.float32, device=dev)
    dst = torch.empty_like(src)

    def copy() -> None:
        dst.copy_(src)
        sync()

    copy()  # first touch of the pages
    return 2 * COPY_BYTES / _best(copy, 4)


def figures(torch: Any, device: str) -> dict[str, float]:
    """Bandwidth and matmul rates on ``device`` (the probe without its framework part)."""
    dev = torch.device(device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    out = {"bandwidth": _bandwidth(torch, dev, sync)}
    cuda = dev.type == "cuda"
    tokens, width = (4096, 8192) if cuda else CPU_GEMM  # a prefill-sized GEMM (torch.nn.functional.linear)
    vec = 16384 if cuda else CPU_GEMV  # a decode GEMV over a weight matrix larger than the CPU's caches
    for key, dt in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        x = torch.ones(tokens, width, dtype=dt, device=dev)
        w = torch.ones(width, width, dtype=dt, device=dev)

        def gemm(x=x, w=w) -> None:
            torch.nn.functional.linear(x, w)
            sync()

        gemm()
        out[key] = 2.0 * tokens * width * width / _best(gemm, 3)
        x = torch.ones(1, vec, dtype=dt, device=dev)
        w = torch.ones(vec * (1 if key == "fp32" else 2), vec, dtype=dt, device=dev)

        def gemv(x=x, w=w) -> None:
            torch.nn.functional.linear(x, w)
            sync()

        gemv()
        out[key + "_gemv"] = 2.0 * w.shape[0] * vec / _best(gemv, 5)
        del x, w
    # torch.addmm, as GPT-2-style Conv1D layers multiply: on a CPU without bf16 instructions its bf16
    # path is far slower than linear's (fp32: the same BLAS call as linear)
    m, k = (4096, 8192) if cuda else CPU_ADDMM
    bias = torch.zeros(k, dtype=torch.bfloat16, device=dev)
    for rows, name in ((m, "bf16_mm"), (1, "bf16_mm_gemv")):
        x = torch.ones(rows, k, dtype=torch.bfloat16, device=dev)
        w = torch.ones(k, k, dtype=torch.bfloat16, device=dev)

        def addmm(x=x, w=w) -> None:
            torch.addmm(bias, x, w)
            sync()

        addmm()
        out[name] = 2.0 * rows * k * k / _best(addmm, 2)
    return out


def _framework(torch: Any, device: str) -> dict[str, float]:
    """The framework's fixed cost of one decode step: tiny random Llama-shaped models with 2 and 10
    layers (hidden size 64: no time goes to arithmetic) decode FRAMEWORK_TOKENS tokens each (the median
    step: a busy machine's stalls do not count); the difference per layer is the cost of one layer's ops
    (Python, dispatch, launches), the rest the step's."""
    from lib import runtime
    from lib.tasks.timing import timing

    tf = runtime.transformers()

    steps = {}
    for layers in (2, 10):
        cfg = tf.LlamaConfig(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2,
                             num_hidden_layers=layers, vocab_size=256, max_position_embeddings=256,
                             bos_token_id=0, eos_token_id=1, pad_token_id=0)
        model = tf.LlamaForCausalLM(cfg).to(device).eval()
        ids = torch.ones(1, 8, dtype=torch.long, device=device)
        with timing() as timer:
            model.generate(ids, max_new_tokens=2, min_new_tokens=2, do_sample=False, streamer=timer)
            model.generate(ids, max_new_tokens=FRAMEWORK_TOKENS, min_new_tokens=FRAMEWORK_TOKENS, do_sample=False,
                           streamer=timer)
        steps[layers] = timer.last.step_median_s or 0.0
    per_layer = max((steps[10] - steps[2]) / 8, 0.0)
    return {"layer_s": per_layer, "step_s": max(steps[2] - 2 * per_layer, 0.0)}


def measure() -> dict[str, Any]:
    """Run the probe now (imports torch): ``{"cpu": {...}, "cuda": {...}?, "threads", "seconds"}``."""
    from lib import runtime

    torch = runtime.torch()
    t0 = time.perf_counter()
    with torch.inference_mode():
        result: dict[str, Any] = {"cpu": figures(torch, "cpu") | _framework(torch, "cpu"),
                                  "threads": torch.get_num_threads()}
        try:
            if torch.cuda.is_available():
                result["cuda"] = figures(torch, "cuda") | _framework(torch, "cuda")
                result["gpu"] = torch.cuda.get_device_name(0)
        except Exception:  # noqa: BLE001 - a broken CUDA setup: the CPU figures still hold
            pass
    result["seconds"] = round(time.perf_counter() - t0, 3)
    result["measured_at"] = time.time()
    return result


def _url(url: str | None) -> str:
    if url:
        return url
    from lib.settings import get_settings

    return get_settings().store_url


def cached(url: str | None = None) -> dict[str, Any] | None:
    """The stored probe of this machine (its current fingerprint), None when never measured or the store
    cannot be read. Never probes."""
    fp = fingerprint()
    key = key_for(fp)
    with _LOCK:
        if _MEMO.get(key) is not None:  # this process read or measured it already (any store)
            return _MEMO[key]
    try:
        from lib import store

        with store.session(_url(url)) as s:
            raw = store.meta_get(s, key)
        data = json.loads(raw) if raw else None
    except Exception:  # noqa: BLE001 - a broken store: nothing cached
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("cpu"), dict):
        return None
    with _LOCK:
        _MEMO[key] = data
    return data


def save(result: dict[str, Any], url: str | None = None) -> bool:
    """Store ``result`` under this machine's fingerprint; False when the store cannot be written."""
    fp = fingerprint()
    key = key_for(fp)
    try:
        from lib import store
        from lib.store.models import Meta

        with store.session(_url(url), write=True) as s:
            store.upsert(s, Meta, {"key": key, "value": json.dumps(result | {"fingerprint": fp})})
    except Exception:  # noqa: BLE001 - the figures still serve this process
        ok = False
    else:
        ok = True
    with _LOCK:
        _MEMO[key] = result
    return ok


def ensure(url: str | None = None) -> dict[str, Any]:
    """The stored probe, or a new one (measured and stored) when this machine has none yet."""
    with _PROBE_LOCK:  # one probe at a time in this process; the second caller finds the first's result
        found = cached(url)
        if found is not None:
            return found
        result = measure()
        save(result, url)
        return result


def host_speed(result: dict[str, Any] | None, name: str = THIS_MACHINE, device: str | None = None) -> HostSpeed | None:
    """This machine as a :class:`HostSpeed` — on ``device`` (``cpu`` / ``cuda``; default: its GPU when it
    has one) — None without a probe (or without figures for that device)."""
    if not result:
        return None
    gpu = result.get("cuda")
    if device is None:
        device = "cuda" if isinstance(gpu, dict) else "cpu"
    fig = result.get(device)
    if not isinstance(fig, dict) or not fig.get("bandwidth"):
        return None
    when = time.strftime("%Y-%m-%d", time.gmtime(float(result.get("measured_at") or 0)))
    what = result.get("gpu") or "CPU"  # i18n: a device name
    flops = {k: float(fig[k]) for k in FLOP_KEYS if fig.get(k)}
    return HostSpeed(name, device, float(fig["bandwidth"]), flops, layer_s=fig.get("layer_s"),
                     step_s=fig.get("step_s"),
                     source=_("measured here ({device}, {date})").format(device=what, date=when), measured=True,
                     calibrated=device == "cpu",
                     note=_("measured by the probe") if device == "cpu"
                     else _("measured by the probe; GPU factors not yet calibrated"))


__all__ = ["KEY_PREFIX", "THIS_MACHINE", "forget", "figures", "fingerprint", "key_for", "measure", "cached", "save",
           "ensure",
           "host_speed"]
