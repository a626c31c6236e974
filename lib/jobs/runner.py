"""The job runner: a small thread pool that runs :class:`~lib.jobs.job.Job` objects.

This module is the one place in Hub Scout that starts threads for model work (jobs and the
runtime warm-up); pages submit jobs and poll them, ``lib/ui`` starts none. Model loads are shared,
de-duplicated and run one at a time by the runner's model cache (``lib.runner.cache``); a job only
waits for its load, and shows its place in line meanwhile (``JobProgress.load_place``). A job whose
model is already cached waits for no load. A run that fails because the cached model mixes dtypes
drops that model from the cache, so the next run loads it afresh.

On a public instance each visitor has a number of runs per hour (``submit(…, visitor=, access=)``,
:mod:`lib.jobs.limits`): over it, the job comes back failed at once, saying when the next run is possible.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from lib import format as fmt
from lib import i18n
from lib.i18n import _
from lib.runner.result import Measurement, RunOptions

from . import measured, speeds
from .job import CANCELLED, DONE, FAILED, LOADING, RUNNING, Job
from .limits import TITLE as LIMIT_TITLE
from .limits import RunLimiter, runs_per_hour

Allowed = tuple[bool, "str | None"]


class JobRunner:
    """Runs jobs on ``max_workers`` threads, oldest first.

    ``cache``: the model cache the jobs load into (None: the process-wide ``shared_cache()``).
    Jobs waiting for their model load hold a thread while they wait (loads run one at a time), so there
    are threads enough for a model that is already cached to run meanwhile.
    ``limiter``: counts runs per visitor (default: one per runner, so per process for the shared runner).
    """

    def __init__(self, max_workers: int = 8, cache: Any = None, limiter: RunLimiter | None = None):
        self.max_workers = max_workers
        self.cache = cache
        self.limiter = limiter or RunLimiter()
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="hubscout-job")
        self._lock = threading.Lock()
        self._queued: list[Job] = []
        self._lanes: Any = None  # lib.jobs.remote.RemoteLanes, made on the first remote job

    # -- submitting
    def submit(self, model: str, task: str, inputs: Iterable[Mapping[str, Any]], opts: RunOptions | None = None, *,
               allowed: Allowed = (True, None), hood: bool = False, hood_inputs: Mapping[str, Any] | None = None,
               store: Any = None, record: bool = True, visitor: str | None = None, access: Any = None,
               on_item: Callable[[Job, list[int]], None] | None = None,
               on_finish: Callable[[Job], None] | None = None, backend: Any = None) -> Job:
        """Queue ``model`` × ``task`` × ``inputs`` (raw input dicts, as ``lib.runner.run`` takes them).

        ``allowed``: the fit gate's ``(allowed, reason)``; a refused load fails the job with the reason.
        ``hood``: after the run, compute the task's under-the-hood view of ``hood_inputs`` (default: the
        first input). ``store``/``record``: where the job records its measured peak (default
        ``lib.fit.measured.MeasuredStore()``; ``record=False`` records nothing). An empty ``inputs`` list
        only loads the model into the cache (a warm-up).
        ``visitor`` / ``access``: who runs it and their :class:`lib.access.Access` (default: ``opts.access``); with a
        ``runs_per_hour`` limit a visitor over it gets the job back failed at once (title
        ``Run limit reached``, the message says when the next run is possible) and nothing runs.
        ``on_item`` / ``on_finish``: the job's listeners (:class:`~lib.jobs.job.Job`).
        ``backend``: a remote :class:`lib.hub.inference.Backend` runs the inputs there instead, as a
        :class:`lib.jobs.remote.RemoteJob` (read the same way; no load, ``allowed`` and ``hood`` do not apply;
        at most :data:`lib.jobs.remote.PER_BACKEND` requests in flight per backend). None or a local one: here.
        """
        if backend is not None and backend.remote:
            return self._submit_remote(model, task, inputs, opts, backend, store=store, record=record,
                                       visitor=visitor, access=access, on_item=on_item, on_finish=on_finish)
        job = Job(model, task, [dict(i) for i in inputs], opts, allowed=allowed, hood=hood,
                  hood_inputs=dict(hood_inputs) if hood_inputs is not None else None, cache=self.cache,
                  store=store, record=record, on_item=on_item, on_finish=on_finish)
        if access is None:  # the run's own access (RunOptions.access), when the caller set it there
            access = getattr(job.opts, "access", None)
        refusal = self.limiter.take(visitor or "anonymous", runs_per_hour(access))
        if refusal is not None:
            job.error_title, job.error_message = _(LIMIT_TITLE), refusal
            job._finish(FAILED, job.error_title)
            return job
        job._position = lambda j=job: self._position_of(j)
        with self._lock:
            self._queued.append(job)
        self._pool.submit(self._work, job)
        return job

    def _submit_remote(self, model: str, task: str, inputs: Iterable[Mapping[str, Any]], opts: RunOptions | None,
                       backend: Any, *, visitor: str | None, access: Any, **kw: Any) -> Job:
        from .remote import RemoteJob, RemoteLanes

        job = RemoteJob(model, task, [dict(i) for i in inputs], opts, backend, access=access, **kw)
        refusal = self.limiter.take(visitor or "anonymous", runs_per_hour(job.access))
        if refusal is not None:
            job.error_title, job.error_message = _(LIMIT_TITLE), refusal
            job._finish(FAILED, job.error_title)
            return job
        with self._lock:
            if self._lanes is None:
                self._lanes = RemoteLanes()
            lanes = self._lanes
        return lanes.submit(job)

    def submit_many(self, models: Iterable[str], task: str, inputs: Iterable[Mapping[str, Any]],
                    opts: RunOptions | None = None, *,
                    allowed: Allowed | Mapping[str, Allowed] | Callable[[str], Allowed] = (True, None),
                    **kwargs: Any) -> list[Job]:
        """One job per model over the same ``inputs`` (how an evaluation session runs several models).

        ``allowed`` is one verdict for all, a ``{model: verdict}`` mapping, or ``fn(model) -> verdict``.
        """
        inputs = [dict(i) for i in inputs]
        jobs = []
        for model in models:
            verdict = allowed(model) if callable(allowed) else (
                allowed.get(model, (True, None)) if isinstance(allowed, Mapping) else allowed)
            jobs.append(self.submit(model, task, inputs, opts, allowed=verdict, **kwargs))
        return jobs

    def background(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run a side task (the runtime warm-up) on the runner's threads."""
        return self._pool.submit(fn, *args)

    def release(self, job: Job) -> bool:
        """Drop ``job``'s model from this runner's model cache (a caller that keeps one model in memory at
        a time, e.g. an evaluation session on a tight host); False when it was not cached."""
        from lib.runner.cache import shared_cache

        prep = job._prepared
        if prep is None:
            return False
        return (self.cache if self.cache is not None else shared_cache()).evict_value(prep.loaded)

    def shutdown(self, wait: bool = True) -> None:
        """Cancel what is queued and stop the threads (tests, benchmarks)."""
        with self._lock:
            queued = list(self._queued)
        for job in queued:
            job.cancel()
        if self._lanes is not None:
            self._lanes.shutdown(wait=wait)
        self._pool.shutdown(wait=wait, cancel_futures=True)

    # -- internals
    def _position_of(self, job: Job) -> int | None:
        with self._lock:
            try:
                return self._queued.index(job) + 1
            except ValueError:
                return None

    def _work(self, job: Job) -> None:
        with i18n.scope(job.lang):
            self._work_in_language(job)

    def _work_in_language(self, job: Job) -> None:
        with self._lock:
            if job in self._queued:
                self._queued.remove(job)
        if job.finished:  # cancelled while queued
            return
        try:
            _run_job(job)
        except Exception as e:  # noqa: BLE001 - a job never dies with a traceback
            job.error_title = _("Run failed")
            job.error_message = _("Unexpected error: {error}").format(error=_short(e, job))
            job._finish(FAILED, job.error_title)


def _short(e: BaseException, job: Job) -> str:
    """What people see of an unexpected error (no paths, class reprs, type names or tokens); the server log
    gets it in full, redacted."""
    from lib.runner.errors import described

    return described(e, f"job {job.model} / {job.task}")


def _chunks(seq: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(seq), size):
        yield seq[start:start + size]


def _run_job(job: Job) -> None:
    from lib.runner import api
    from lib.runner.errors import RunnerError

    n = len(job.inputs)
    try:
        spec = api._spec(job.task)
    except RunnerError as e:
        job.error_title, job.error_message = e.title, str(e)
        job._finish(FAILED, e.title)
        return

    # 1. the inputs: a bad one is that item's error, the others still run
    valid: list[int] = []
    for i, raw in enumerate(job.inputs):
        try:
            job._clean[i], job._input_notices[i] = api.check_inputs(job.task, raw)
            valid.append(i)
        except RunnerError as e:
            _item_error(job, i, e.title, str(e))
        except Exception as e:  # noqa: BLE001 - an odd input must not stop the others
            _item_error(job, i, _("Check the input"), _short(e, job))
    job._items_finished(sorted(set(range(n)) - set(valid)))
    if n and not valid:
        job._finish(DONE, _("None of the {n} inputs could be run").format(n=fmt.number(n)))
        return

    # 2. the model (loads once per process; a rerun finds it in the cache)
    if job.cancel_requested:
        job._finish(CANCELLED, "Cancelled")
        return
    job._set(state=LOADING, stage="resolve", message=_("Checking {model}").format(model=job.model))

    def on_progress(p) -> None:
        job._set(stage=p.stage, message=p.message, done_bytes=p.done_bytes, total_bytes=p.total_bytes,
                 load_place=getattr(p, "place", None) if p.stage == "queue" else None)

    try:
        prep = api.prepare(job.model, job.task, job.opts, progress=on_progress, allowed=job.allowed, cache=job.cache,
                           cancelled=lambda: job.cancel_requested)
    except RunnerError as e:
        if job.cancel_requested:  # cancelled while it waited: it has no error of its own
            job._finish(CANCELLED, "Cancelled")
            return
        job.error_title, job.error_message = e.title, str(e)
        job._finish(FAILED, e.title)
        return
    if job.cancel_requested:
        job._finish(CANCELLED, "Cancelled")
        return
    job._prepared = prep
    job.load_s, job.cached, job.load_notices = prep.load_s, prep.cached, list(prep.notices)
    job.device, job.dtype = prep.loaded.device, prep.loaded.dtype
    if not n:
        job._finish(DONE, _("{model} is loaded").format(model=job.model))
        return

    # 3. the inputs, in batches where the task can batch
    size = max(1, int(job.opts.batch_size or 1)) if getattr(spec, "run_batch", None) else 1
    if size > 1:
        valid = _by_length(job, valid)
    done = n - len(valid)
    job._set(state=RUNNING, stage="", message=_("Running {model}").format(model=job.model), done_bytes=0, total_bytes=0,
             items_done=done, load_place=None)
    peak: tuple[int, str] | None = None
    busy = 0.0
    timed: list = []  # (generate timing or None, latency) per input run one by one
    for chunk in _chunks(valid, size):
        if job.cancel_requested:
            break
        try:
            ex = api.execute(prep, job.task, [job._clean[i] for i in chunk], job.opts, batch=size > 1)
        except RunnerError as e:
            if len(chunk) == 1 and size == 1:
                _item_error(job, chunk[0], e.title, _drop_if_broken(job, prep, str(e)))
            else:  # find the input that failed: the others still get their result
                for i in chunk:
                    if job.cancel_requested:
                        break
                    peak, busy = _one(job, prep, i, peak, busy)
        except Exception as e:  # noqa: BLE001 - never a traceback
            message = _drop_if_broken(job, prep, _("Unexpected error: {error}").format(error=_short(e, job)))
            for i in chunk:
                _item_error(job, i, _("Run failed"), message)
        else:
            share = ex.latency_s / len(chunk)
            for i, (output, notices) in zip(chunk, ex.outputs):
                it = job.items[i]
                it.output, it.notices, it.latency_s = output, list(notices), share
                it.batched, it.status = ex.batched, "ok"
            busy += ex.latency_s
            peak = _max_peak(peak, ex.peak_bytes, ex.memory_kind)
            timed.extend(zip(ex.timings, ex.latencies) if ex.timings else ((None, share) for _ in chunk))
        job._items_finished(chunk)
        done = sum(1 for it in job.items if it.status in ("ok", "error"))
        job._set(items_done=done, message=_("Ran {done} of {n}").format(done=fmt.number(done), n=fmt.number(n)))

    # 4. the measurement: the runner measured, the job records
    job._peak = peak
    if peak is not None:
        job.measurement = Measurement(job.model, prep.loaded.device, prep.loaded.dtype, peak[0], peak[1], busy,
                                      api.host_process_bytes())
        if job.record:
            measured.record(job.measurement, job.store)
    if job.record and timed:
        speeds.record(job, prep, timed)  # measured speed beside the estimate (store table run_speeds)

    # 5. the under-the-hood view of the first input
    if job.hood_wanted and not job.cancel_requested and any(it.ok for it in job.items):
        _hood(job)

    if job.cancel_requested and any(it.status == "pending" for it in job.items):
        job._finish(CANCELLED, _("Cancelled after {done} of {n}").format(done=fmt.number(done), n=fmt.number(n)))
    else:
        job._finish(DONE, _("Ran {done} of {n}").format(done=fmt.number(done), n=fmt.number(n)))


def _one(job: Job, prep: Any, i: int, peak, busy: float):
    from lib.runner import api
    from lib.runner.errors import RunnerError

    try:
        ex = api.execute(prep, job.task, [job._clean[i]], job.opts, batch=False)
    except RunnerError as e:
        _item_error(job, i, e.title, _drop_if_broken(job, prep, str(e)))
        return peak, busy
    except Exception as e:  # noqa: BLE001
        _item_error(job, i, _("Run failed"),
                    _drop_if_broken(job, prep, _("Unexpected error: {error}").format(error=_short(e, job))))
        return peak, busy
    it = job.items[i]
    (it.output, notices), it.latency_s, it.status = ex.outputs[0], ex.latency_s, "ok"
    it.notices = list(notices)
    return _max_peak(peak, ex.peak_bytes, ex.memory_kind), busy + ex.latency_s


def _drop_if_broken(job: Job, prep: Any, message: str) -> str:
    """A run error saying tensors of different dtypes met means the cached model is broken (its weights
    are not all of one precision): drop it from the cache so the next run loads it afresh. Returns the
    message to show (it says so when the model was dropped)."""
    from lib.runner.cache import looks_like_broken_model, shared_cache

    if not looks_like_broken_model(message):
        return message
    cache = job.cache if job.cache is not None else shared_cache()
    if cache.evict_value(prep.loaded):
        message += " " + _("The model was dropped from memory: the next run loads it afresh.")
    return message


def _by_length(job: Job, order: list[int]) -> list[int]:
    """Text inputs sorted by length, so that a batch pads little (each result keeps its own index)."""
    texts = [job._clean[i].get("text") for i in order]
    if not all(isinstance(t, str) for t in texts):
        return order
    return [i for _, i in sorted(zip((len(t) for t in texts), order))]


def _max_peak(peak, value: int, kind: str):
    return (value, kind) if peak is None or value > peak[0] else peak


def _item_error(job: Job, i: int, title: str, message: str) -> None:
    it = job.items[i]
    it.status, it.error_title, it.error_message = "error", title, message


def hood_function(task: str) -> Callable[..., Any] | None:
    """The under-the-hood view ``fn(model, task, inputs, opts, cache=…)`` for ``task``, None when it has none."""
    from lib.runner.hood import has_hood, under_the_hood

    return under_the_hood if has_hood(task) else None


def _hood(job: Job) -> None:
    from lib.runner.errors import RunnerError

    fn = hood_function(job.task)
    if fn is None:
        return
    first = next(i for i, it in enumerate(job.items) if it.ok)
    inputs = job.hood_inputs if job.hood_inputs is not None else job.inputs[first]
    job._set(message=_("Looking under the hood"))
    try:
        job.hood = fn(job.model, job.task, inputs, job.opts, cache=job.cache)
    except RunnerError as e:
        job.hood_error = str(e)
    except Exception as e:  # noqa: BLE001 - the view is optional
        job.hood_error = _short(e, job)[:250]


_DEFAULT: JobRunner | None = None
_DEFAULT_LOCK = threading.Lock()


def default_runner() -> JobRunner:
    """The process-wide job runner (created on first use), shared by every session."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = JobRunner()
        return _DEFAULT


def submit(model: str, task: str, inputs: Iterable[Mapping[str, Any]], opts: RunOptions | None = None,
           **kwargs: Any) -> Job:
    """:meth:`JobRunner.submit` on the process-wide runner."""
    return default_runner().submit(model, task, inputs, opts, **kwargs)


def submit_many(models: Iterable[str], task: str, inputs: Iterable[Mapping[str, Any]],
                opts: RunOptions | None = None, **kwargs: Any) -> list[Job]:
    """:meth:`JobRunner.submit_many` on the process-wide runner."""
    return default_runner().submit_many(models, task, inputs, opts, **kwargs)


__all__ = ["JobRunner", "default_runner", "hood_function", "submit", "submit_many"]
