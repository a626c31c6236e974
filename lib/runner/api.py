"""run() / prepare(): the runner's entry points (see package docstring)."""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lib import format as fmt
from lib import i18n
from lib.i18n import _

from . import checks, loader
from . import inputs as inputs_mod
from .cache import ModelCache, shared_cache
from .errors import (
    BadInput,
    LoadFailed,
    LoadRefused,
    ModelUnavailable,
    NotRunnable,
    RemoteCodeRefused,
    RunFailed,
    RunnerError,
    described,
)
from .result import LoadProgress, RunOptions, RunResult


def _rss_now() -> int | None:
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except (ImportError, OSError):
        return None


# What this process held just before the runner first imported torch: the host app (Streamlit,
# pandas, the catalog…). lib.fit estimates a fresh process that only loads and runs the model; a run
# inside the app also carries this, so the UI compares a measured CPU peak with estimate + this.
_HOST_RSS_BEFORE_TORCH: int | None = None


def _note_host_rss() -> None:
    global _HOST_RSS_BEFORE_TORCH
    if _HOST_RSS_BEFORE_TORCH is None and "torch" not in sys.modules:
        _HOST_RSS_BEFORE_TORCH = _rss_now()


def host_process_bytes() -> int | None:
    """Resident bytes of this process just before the runner imported torch; None when torch was
    already imported by someone else (then it cannot be told apart)."""
    return _HOST_RSS_BEFORE_TORCH


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
        raise NotRunnable(_("Unknown task {task}.").format(task=repr(task)))
    if not spec.runnable:
        raise NotRunnable(_(spec.reason) if spec.reason else _("{task} cannot be run in place.").format(
            task=registry.display_name(spec.tag)))
    return spec


def prepare(model_id: str, task: str, opts: RunOptions | None = None, *,
            progress: Callable[[LoadProgress], None] | None = None,
            allowed: tuple[bool, str | None] = (True, None), cache: ModelCache | None = None,
            cancelled: Callable[[], bool] | None = None) -> Prepared:
    """Check, download and load ``model_id`` for ``task`` (cached process-wide).

    What the run's access (``opts.access``, see :mod:`lib.access`) withholds is refused here, before
    any download: model code, a fit override, a server folder, a private repo, a download over the cap.
    ``cancelled() -> True`` while the load waits for its turn: stop waiting (``LoadCancelled``; see
    ``ModelCache.get_or_load``).
    """
    opts = opts or RunOptions()
    from lib.hub.policy import offline_scope

    with offline_scope(opts.offline):  # this thread's Hub calls; the load runs on a pool thread (below)
        return _prepare(model_id, task, opts, progress=progress, allowed=allowed, cache=cache, cancelled=cancelled)


def _prepare(model_id: str, task: str, opts: RunOptions, *, progress, allowed, cache, cancelled) -> Prepared:
    _note_host_rss()
    from lib.access import access_for
    from lib.hub import gateway
    from lib.hub.errors import HubError
    from lib.hub.policy import is_offline, offline_scope

    from .device import resolve

    offline = is_offline()
    access = opts.access if opts.access is not None else access_for()
    _refuse_withheld(model_id, opts, access)
    spec = _spec(task)
    cache = shared_cache() if cache is None else cache
    device, dtype, notices = resolve(opts.device, opts.dtype)
    with gateway.private_repos(access.private_repos):
        facts = loader.inspect(model_id, opts.revision, opts.token, progress, folders=access.local_folders)
        if facts.is_local and facts.source != model_id:  # the Hub did not answer: its local-cache copy
            try:
                from lib.hub.offline import offline_record

                gateway.refuse_seen_private(model_id, listed_public=offline_record(model_id) is not None)
            except HubError as e:
                raise ModelUnavailable.from_hub(e) from None
    notices += facts.notices
    if not facts.is_local:  # the cap holds before any download (and before the fit verdict)
        from lib.access import download_refusal

        too_big = download_refusal(facts.download_bytes, access.max_download_bytes)
        if too_big:
            raise LoadRefused(too_big)
    if not access.remote_code and (facts.config.get("auto_map") or "custom_code" in facts.tags):
        from lib.access import REMOTE_CODE_OFF

        raise RemoteCodeRefused(_(REMOTE_CODE_OFF))  # not "allow remote code": this visitor cannot
    no_weights = checks.weights_problem(facts.files, _("This folder") if facts.source == model_id and facts.is_local
                                        else model_id)
    if no_weights:
        raise LoadFailed(no_weights)  # before any download: the load could only fail
    check = checks.check_model(facts.config, spec, trust_remote_code=opts.trust_remote_code,
                               tags=facts.tags, is_sentence_transformers=facts.is_sentence_transformers)
    notices += list(check.notices)
    ok, reason = allowed
    offload = tuple(sorted((str(k), int(v)) for k, v in opts.max_memory.items())) if opts.max_memory else None
    key = (facts.source, opts.revision, check.runner, spec.pipeline_task, device, dtype, opts.trust_remote_code) \
        + ((offload,) if offload else ())
    entry = cache.get(key)
    if entry is not None:
        return Prepared(model_id, task, check.runner, entry.value, True, 0.0, notices, facts.config)
    if not ok:
        raise LoadRefused(reason or _("The memory estimate says this model does not fit on this machine."))
    if not facts.has_safetensors and any(f.endswith((".bin", ".pt", ".pth", ".ckpt")) for f in facts.files):
        notices.append(_("This model only ships pickle weights (.bin): loaded with torch's safe weights-only "
                         "loader."))

    def load():
        with offline_scope(offline):  # a pool thread: the run's offline switch again
            folder = loader.download(facts, opts.token, progress)
            if progress:
                progress(LoadProgress("load", _("Loading {model} on {device} ({dtype})").format(
                    model=model_id, device=device, dtype=dtype)))
            return loader.load(folder, check.runner, spec.pipeline_task, device, dtype, config=facts.config,
                               trust_remote_code=opts.trust_remote_code,
                               use_safetensors=facts.has_safetensors or None,
                               sentence_transformers=facts.is_sentence_transformers, local_files_only=offline,
                               max_memory=opts.max_memory)

    load = i18n.in_current(load)  # a pool thread: the run's language again

    def waiting(place: int) -> None:  # one load at a time: this one's place in line
        from .cache import place_message

        if progress:
            progress(LoadProgress("queue", place_message(place), place=place))

    entry, cached = cache.get_or_load(key, load, timeout_s=opts.load_timeout_s, on_wait=waiting,
                                      cancelled=cancelled)
    if progress:
        progress(LoadProgress("ready", _("{model} is ready").format(model=model_id)))
    # the load's own time (download + build), not the wait for its turn
    return Prepared(model_id, task, check.runner, entry.value, cached, 0.0 if cached else entry.load_s,
                    notices, facts.config)


def _refuse_withheld(model_id: str, opts: RunOptions, access) -> None:
    """Raise for what ``access`` withholds from this run (before anything is looked up)."""
    from lib import access as policy
    from lib.local_models import looks_like_path

    if opts.trust_remote_code and not access.remote_code:
        raise RemoteCodeRefused(_(policy.REMOTE_CODE_OFF))
    if opts.fit_override and not access.load_anyway:
        raise LoadRefused(_(policy.LOAD_ANYWAY_OFF))
    if not access.local_folders and looks_like_path(model_id):
        raise ModelUnavailable(_(policy.HUB_IDS_ONLY), kind="invalid_id")


_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def _read_hwm() -> int | None:
    """The kernel's peak resident set size of this process (VmHWM), in bytes; None off Linux."""
    try:
        with open(_STATUS, encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def _reset_hwm() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: ``5`` into clear_refs). False when not possible."""
    try:
        with open(_CLEAR_REFS, "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


class _PeakRSS:
    """Peak process RSS while a run is in progress.

    On Linux the kernel tracks it exactly (VmHWM, reset just before the run): no cost per call.
    Elsewhere a thread samples RSS every few ms (it competes for the GIL, so it is the fallback only).
    """

    def __init__(self, interval: float = 0.005):
        self._interval = interval
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.peak = 0

    def _loop(self, proc) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, proc.memory_info().rss)

    def __enter__(self):
        if _reset_hwm() and _read_hwm() is not None:
            return self
        import psutil

        proc = psutil.Process()
        self.peak = proc.memory_info().rss
        self._thread = threading.Thread(target=self._loop, args=(proc,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread is None:
            self.peak = _read_hwm() or 0
            return
        import psutil

        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, psutil.Process().memory_info().rss)


def check_inputs(task: str, raw_inputs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Validate and normalise one input for ``task``: ``(clean, notices)``; raises BadInput/NotRunnable."""
    return inputs_mod.validate(_spec(task).input_kind, raw_inputs)


@dataclass
class Executed:
    """What :func:`execute` produced for a list of clean inputs.

    Attributes:
        outputs: one ``(output, notices)`` per input, in order.
        latency_s: wall time of the whole call (model already loaded).
        peak_bytes / memory_kind: see :class:`~lib.runner.result.Measurement`.
        batched: the task's ``run_batch`` ran the inputs together.
        timings: per input run one by one, its ``generate`` timing (:class:`lib.tasks.timing.TokenTiming`:
            prompt tokens, TTFT, prefill and decode tokens/s), None when it generated nothing; empty
            for a batch.
        latencies: per input run one by one, its wall time.
    """

    outputs: list[tuple[dict[str, Any], list[str]]]
    latency_s: float
    peak_bytes: int
    memory_kind: str
    batched: bool
    timings: list[Any] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


def execute(prep: Prepared, task: str, clean: list[dict[str, Any]], opts: RunOptions | None = None, *,
            batch: bool | None = None) -> Executed:
    """Run the loaded model on already validated inputs (see :func:`check_inputs`).

    With ``batch`` (default: when there are two or more inputs) the inputs go through the task's
    ``run_batch`` when it has one (one pipeline call for the batch), else through its per-item run
    function one by one. Raises RunnerError subclasses only: a
    failure of any input fails the call (a job then retries a failed batch item by item).
    """
    from lib import tasks as registry

    opts = opts or RunOptions()
    spec = _spec(task)
    own = prep.runner == spec.runner  # checks may pick another runner (e.g. a sentence-transformers model)
    batch_fn = spec.run_batch if own and (len(clean) > 1 if batch is None else batch) else None
    fn = spec.run if own else registry.run_functions()[prep.runner]
    loaded = prep.loaded

    import torch

    on_cuda = loaded.device.startswith("cuda")
    if on_cuda:
        torch.cuda.reset_peak_memory_stats()
    from lib.tasks.timing import timing

    timings: list[Any] = []
    latencies: list[float] = []
    t0 = time.perf_counter()
    try:
        with _PeakRSS() as rss, torch.inference_mode():
            if batch_fn is not None:
                outputs = list(batch_fn(loaded, clean, task, opts))
                if len(outputs) != len(clean):
                    raise RunFailed(_("The batch gave {n} outputs for {inputs} inputs.").format(
                        n=fmt.number(len(outputs)), inputs=fmt.number(len(clean))))
            else:
                outputs = []
                for item in clean:
                    t_item = time.perf_counter()
                    with timing() as timer:  # the generate calls of this input, token by token
                        outputs.append(fn(loaded, item, task, opts))
                    timings.append(timer.last)
                    latencies.append(time.perf_counter() - t_item)
    except RunnerError:
        raise
    except registry.TaskInputError as e:
        raise BadInput(str(e)) from None
    except registry.TaskRunError as e:
        raise RunFailed(str(e)) from None
    except (torch.cuda.OutOfMemoryError, MemoryError):
        raise RunFailed(_("Ran out of memory during the run: try a shorter input, a smaller dtype or another "
                          "device.")) from None
    except (ValueError, KeyError, IndexError, TypeError, RuntimeError) as e:
        why = described(e, f"running {prep.model_id} for {task}")  # i18n: the server log's context
        raise RunFailed(_("The model failed on this input: {why}").format(why=why)) from None
    latency = time.perf_counter() - t0
    if on_cuda:
        peak, kind = int(torch.cuda.max_memory_allocated()), "cuda_max_allocated"
    else:
        peak, kind = int(rss.peak), "process_rss_peak"
    return Executed(outputs, latency, peak, kind, batch_fn is not None, timings, latencies)


def result_for(prep: Prepared, task: str, clean: dict[str, Any], output: dict[str, Any], notices: list[str],
               latency_s: float, peak_bytes: int, memory_kind: str, opts: RunOptions | None = None) -> RunResult:
    """The RunResult of one input (with the code that reproduces it)."""
    from . import code as code_mod

    opts = opts or RunOptions()
    loaded = prep.loaded
    code = code_mod.run_code(prep.model_id, task, loaded.device, loaded.dtype, clean, prep.config, opts,
                             sentence_transformers=loaded.is_sentence_transformers)
    return RunResult(model_id=prep.model_id, task=task, output=output, renderer=_spec(task).renderer,
                     latency_s=latency_s, load_s=prep.load_s, cached=prep.cached, peak_memory_bytes=peak_bytes,
                     memory_kind=memory_kind, device=loaded.device, dtype=loaded.dtype, notices=notices,
                     code=code, host_bytes=host_process_bytes())


def run(model_id: str, task: str, raw_inputs: dict[str, Any], opts: RunOptions | None = None, *,
        progress: Callable[[LoadProgress], None] | None = None,
        allowed: tuple[bool, str | None] = (True, None), cache: ModelCache | None = None) -> RunResult:
    """Run ``model_id`` on ``raw_inputs`` for ``task``. Raises RunnerError subclasses only.

    The result carries the run's measurement (``RunResult.measurement``: peak memory, kind, latency,
    device, dtype); the runner records nothing: its caller (a ``lib.jobs`` job) does.
    """
    opts = opts or RunOptions()
    clean, notices = check_inputs(task, raw_inputs)
    prep = prepare(model_id, task, opts, progress=progress, allowed=allowed, cache=cache)
    done = execute(prep, task, [clean], opts)
    output, run_notices = done.outputs[0]
    return result_for(prep, task, clean, output, notices + prep.notices + run_notices, done.latency_s,
                      done.peak_bytes, done.memory_kind, opts)
