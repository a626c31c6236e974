"""run() / prepare(): the runner's entry points (see package docstring)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from . import checks, inputs as inputs_mod, loader
from .cache import ModelCache, shared_cache
from .errors import BadInput, LoadRefused, NotRunnable, RunFailed, RunnerError
from .result import LoadProgress, RunOptions, RunResult


@dataclass
class Prepared:
    """A model loaded (or found in the cache) for one task; ``run`` uses it."""

    model_id: str
    task: str
    runner: str
    loaded: loader.Loaded
    cached: bool
    load_s: float
    notices: list[str]
    config: dict


def _spec(task: str):
    from lib import tasks as registry

    spec = registry.get(task)
    if spec is None:
        raise NotRunnable(f"Unknown task {task!r}.")
    if not spec.runnable:
        raise NotRunnable(spec.reason or f"{spec.name} cannot be run in place.")
    return spec


def prepare(model_id: str, task: str, opts: RunOptions | None = None, *,
            progress: Callable[[LoadProgress], None] | None = None,
            allowed: tuple[bool, str | None] = (True, None), cache: ModelCache | None = None) -> Prepared:
    """Check, download and load ``model_id`` for ``task`` (cached process-wide)."""
    from .device import resolve

    opts = opts or RunOptions()
    spec = _spec(task)
    cache = shared_cache() if cache is None else cache
    device, dtype, notices = resolve(opts.device, opts.dtype)
    facts = loader.inspect(model_id, opts.revision, opts.token, progress)
    check = checks.check_model(facts.config, task, spec.runner, trust_remote_code=opts.trust_remote_code,
                               tags=facts.tags, is_sentence_transformers=facts.is_sentence_transformers)
    notices += list(check.notices)
    ok, reason = allowed
    key = (facts.source, opts.revision, check.runner, spec.pipeline_task, device, dtype, opts.trust_remote_code)
    entry = cache.get(key)
    if entry is not None:
        return Prepared(model_id, task, check.runner, entry.value, True, 0.0, notices, facts.config)
    if not ok:
        raise LoadRefused(reason or "The memory estimate says this model does not fit on this machine.")
    if not facts.has_safetensors and any(f.endswith((".bin", ".pt", ".pth", ".ckpt")) for f in facts.files):
        notices.append("This model only ships pickle weights (.bin): loaded with torch's safe weights-only loader.")

    def load():
        folder = loader.download(facts, opts.token, progress)
        if progress:
            progress(LoadProgress("load", f"Loading {model_id} on {device} ({dtype})"))
        return loader.load(folder, check.runner, spec.pipeline_task, device, dtype, config=facts.config,
                           trust_remote_code=opts.trust_remote_code, use_safetensors=facts.has_safetensors or None,
                           sentence_transformers=facts.is_sentence_transformers)

    t0 = time.perf_counter()
    entry, cached = cache.get_or_load(key, load, timeout_s=opts.load_timeout_s)
    if progress:
        progress(LoadProgress("ready", f"{model_id} is ready"))
    return Prepared(model_id, task, check.runner, entry.value, cached, 0.0 if cached else time.perf_counter() - t0,
                    notices, facts.config)


class _PeakRSS:
    """Samples process RSS every few ms while a run is in progress."""

    def __init__(self, interval: float = 0.005):
        import psutil

        self._proc = psutil.Process()
        self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(interval,), daemon=True)

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def _record_measured(model_id: str, dtype: str, device: str, peak: int, kind: str) -> None:
    """Record the run's measured peak for the fit check's "measured" column (lib.fit.measured).

    A store that cannot be written (read-only home, full disk) must not fail the run itself.
    """
    from lib.fit.measured import MeasuredStore

    family = "cuda" if str(device).startswith("cuda") else ("mps" if device == "mps" else "cpu")
    try:
        MeasuredStore().record(model_id, dtype, family, peak, note=kind)
    except (OSError, ValueError):
        pass


def run(model_id: str, task: str, raw_inputs: dict[str, Any], opts: RunOptions | None = None, *,
        progress: Callable[[LoadProgress], None] | None = None,
        allowed: tuple[bool, str | None] = (True, None), cache: ModelCache | None = None) -> RunResult:
    """Run ``model_id`` on ``raw_inputs`` for ``task``. Raises RunnerError subclasses only."""
    from . import code as code_mod
    from .tasks import RUNNERS

    opts = opts or RunOptions()
    spec = _spec(task)
    clean, notices = inputs_mod.validate(spec.input_kind, raw_inputs)
    prep = prepare(model_id, task, opts, progress=progress, allowed=allowed, cache=cache)
    notices += prep.notices
    loaded = prep.loaded
    fn = RUNNERS[prep.runner]

    import torch

    on_cuda = loaded.device.startswith("cuda")
    if on_cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    try:
        with _PeakRSS() as rss, torch.inference_mode():
            output, run_notices = fn(loaded, clean, task, opts)
    except RunnerError:
        raise
    except (torch.cuda.OutOfMemoryError, MemoryError):
        raise RunFailed("Ran out of memory during the run: try a shorter input, a smaller dtype or another device.") from None
    except (ValueError, KeyError, IndexError, TypeError, RuntimeError) as e:
        msg = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise RunFailed(f"The model failed on this input: {type(e).__name__}: {msg}") from None
    latency = time.perf_counter() - t0
    if on_cuda:
        peak, kind = int(torch.cuda.max_memory_allocated()), "cuda_max_allocated"
    else:
        peak, kind = int(rss.peak), "process_rss_peak"
    _record_measured(model_id, loaded.dtype, loaded.device, peak, kind)
    code = code_mod.run_code(model_id, task, loaded.device, loaded.dtype, clean, prep.config, opts)
    return RunResult(model_id=model_id, task=task, output=output, renderer=spec.renderer, latency_s=latency,
                     load_s=prep.load_s, cached=prep.cached, peak_memory_bytes=peak, memory_kind=kind,
                     device=loaded.device, dtype=loaded.dtype, notices=notices + run_notices, code=code)
