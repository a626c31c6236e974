"""A run on a remote backend (Inference Providers, an Endpoint, a TGI / vLLM / OpenAI-compatible URL) as a job:
:meth:`lib.jobs.JobRunner.submit` with ``backend=`` a remote :class:`lib.hub.inference.Backend` returns a
:class:`RemoteJob`, read exactly as a local :class:`~lib.jobs.job.Job` (progress, items, ``result(i)``,
``error(i)``, ``cancel()``, ``wait()``, the ``on_item`` / ``on_finish`` listeners) — no model load, no load queue.

* **Per backend, a bounded number of requests in flight** (:data:`PER_BACKEND`): every job's items go into
  their backend's lane (one per backend key, :func:`lib.jobs.speeds.backend_key`, token left out), and at most
  that many lane workers run at once; jobs on other backends never wait for them.
* **Each item's failure is that item's error** (a :class:`~lib.runner.errors.RemoteFailed` in words, a bad
  input's BadInput); the others go on. A 429 is waited out once (its Retry-After, when no longer than the
  backend's timeout) and retried; a 503 while the model loads is retried with a growing pause (0.5 s, 1 s,
  2 s …, never past the server's own estimate) until the backend's timeout is spent.
* **A refusal before any request** (offline, a URL not allowed, no token for providers) fails the whole job
  at once, as a local job whose model cannot load: nothing is sent.
* **Streaming**: a text-generation item streams (:func:`lib.runner.remote.stream_text`); :meth:`RemoteJob.live`
  is the text so far with time to first token and tokens/s while it arrives. :meth:`RemoteJob.cancel`
  stops the streams at their next piece (the response is closed) and drops the items not yet sent; an item
  cut short stays ``skipped`` (a session leaves its cell missing), its text so far kept in ``live``.
* **Recorded per backend**: every item that finishes with a result gives a ``run_speeds`` row
  (:func:`lib.jobs.speeds.result_row`), all handed to the background writer as the job finishes, written in one
  transaction (``lib.jobs.speeds.flush()`` waits for it; ``speeds.recent`` does) (``record=False``: none).

No streamlit here.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lib import format as fmt
from lib import i18n
from lib.i18n import _
from lib.runner.result import RunOptions, RunResult

from .job import CANCELLED, DONE, FAILED, RUNNING, Job

__all__ = ["PER_BACKEND", "LiveText", "RemoteJob", "RemoteLanes"]

#: requests in flight at once per backend (all jobs together)
PER_BACKEND = 4
_FIRST_PAUSE_S = 0.5


@dataclass(frozen=True)
class LiveText:
    """A streamed item as it arrives: the text so far, time to first piece, pieces, pieces/s, finished."""

    text: str = ""
    ttft_s: float | None = None
    tokens: int = 0
    tokens_per_s: float | None = None
    finished: bool = False


class RemoteJob(Job):
    """model × task × inputs on ``backend`` (see the module doc). Beyond a :class:`Job`'s attributes:
    ``backend`` (with its token, never shown) and ``access`` (the visitor's, for the URL check).
    ``device`` is the backend in words, ``dtype`` ``remote``; there is no load (``load_s`` 0)."""

    def __init__(self, model: str, task: str, inputs: list[dict[str, Any]], opts: RunOptions | None, backend: Any, *,
                 access: Any = None, store: Any = None, record: bool = True,
                 on_item: Callable[[Job, list[int]], None] | None = None,
                 on_finish: Callable[[Job], None] | None = None):
        super().__init__(model, task, inputs, opts, store=store, record=record, on_item=on_item, on_finish=on_finish)
        self.backend = backend
        self.access = access if access is not None else getattr(self.opts, "access", None)
        self._results: list[RunResult | None] = [None] * len(self.inputs)
        self._live: dict[int, LiveText] = {}
        self._outstanding = 0  # items queued or in flight
        self._in_flight = 0
        self._lanes: RemoteLanes | None = None
        self._speeds: list[dict[str, Any]] = []  # run_speeds rows of the items that finished, written at the end

    # -- reading
    def result(self, index: int = 0) -> RunResult | None:
        """The item's :class:`~lib.runner.RunResult` (with its code and remote figures); None without one."""
        return self._results[index] if self.items[index].ok else None

    def live(self, index: int = 0) -> LiveText | None:
        """A streamed item's text so far and its figures (None: not streaming, or not started)."""
        with self._lock:
            return self._live.get(index)

    # -- control
    def cancel(self) -> None:
        """Stop: items not sent yet are dropped, streams stop at their next piece; what finished is kept."""
        self._cancel.set()
        dropped = self._lanes.drop(self) if self._lanes is not None else 0
        with self._lock:
            self._outstanding -= dropped
            idle = self._in_flight == 0
        if idle:
            self._finish(CANCELLED, self._cancel_message())

    def _cancel_message(self) -> str:
        done = sum(1 for it in self.items if it.status in ("ok", "error"))
        return _("Cancelled after {done} of {n}").format(done=fmt.number(done), n=fmt.number(len(self.items)))

    def _finish(self, state: str, message: str) -> bool:
        """As a Job's, handing the finished items' speed rows to the background writer (one transaction)."""
        with self._lock:
            rows, self._speeds = self._speeds, []
            final = self._progress.state in (DONE, FAILED, CANCELLED)
        if rows and not final:
            from .speeds import write_later

            write_later(rows, self.store)
        return super()._finish(state, message)

    # -- the work (lane threads)
    def _start(self, lanes: RemoteLanes) -> None:
        """Check the inputs and the backend, then queue the good items in the backend's lane."""
        from lib.hub.errors import HubError
        from lib.hub.inference import client
        from lib.runner.errors import RemoteFailed, RunnerError
        from lib.runner.remote import check_inputs

        if self.finished:  # cancelled before it started: nothing is checked or sent
            return
        n = len(self.inputs)
        valid = []
        for i, raw in enumerate(self.inputs):
            try:
                self._clean[i], self._input_notices[i] = check_inputs(self.task, raw)
                valid.append(i)
            except RunnerError as e:
                _item_error(self, i, e.title, str(e))
        self._items_finished(sorted(set(range(n)) - set(valid)))
        if n and not valid:
            self._finish(DONE, _("None of the {n} inputs could be run").format(n=fmt.number(n)))
            return
        try:  # refused before any request: offline, a URL not allowed, no token for providers
            client(self.backend, access=self.access)
        except HubError as e:
            self.error_title, self.error_message = RemoteFailed.title, RemoteFailed.from_hub(e).message
            self._finish(FAILED, self.error_title)
            return
        self.device, self.dtype = self.backend.label, "remote"
        if not n:
            self._finish(DONE, _("{backend} is ready").format(backend=self.backend.label))
            return
        with self._lock:
            self._outstanding = len(valid)
        self._set(state=RUNNING, message=_("Asking {backend}").format(backend=self.backend.label),
                  items_done=n - len(valid))
        self._lanes = lanes
        worker = lanes.add(self, valid)
        if worker is not None:
            worker()

    def _run_item(self, i: int) -> None:
        """One item on a lane thread: its result or its error, then the listeners, then maybe the end."""
        with self._lock:
            self._in_flight += 1
        try:
            if not self.cancel_requested:
                self._attempts(i)
        except Exception as e:  # noqa: BLE001 - an item never dies with a traceback
            from lib.runner.errors import described

            _item_error(self, i, _("The remote run failed"),
                        described(e, f"remote job {self.model} / {self.task}"))  # i18n: log context
        self._items_finished([i])
        done = sum(1 for it in self.items if it.status in ("ok", "error"))
        self._set(items_done=done,
                  message=_("Ran {done} of {n}").format(done=fmt.number(done), n=fmt.number(len(self.items))))
        with self._lock:
            self._in_flight -= 1
            self._outstanding -= 1
            last = self._outstanding <= 0 and self._in_flight == 0
        if last:
            if self.cancel_requested and any(it.status == "pending" for it in self.items):
                self._finish(CANCELLED, self._cancel_message())
            else:
                self._finish(DONE, _("Ran {done} of {n}").format(done=fmt.number(done), n=fmt.number(len(self.items))))

    def _attempts(self, i: int) -> None:
        """Run item ``i``: a 429 waited out once, a 503 retried with growing pauses within the timeout."""
        from lib.runner.errors import BadInput, RemoteFailed

        deadline = time.monotonic() + float(self.backend.timeout_s)
        pause, waited_429 = _FIRST_PAUSE_S, False
        while True:
            try:
                result = self._once(i)
            except BadInput as e:
                _item_error(self, i, e.title, str(e))
                return
            except RemoteFailed as e:
                wait = None
                if e.kind == "rate_limited" and not waited_429:
                    waited_429 = True
                    wait = float(e.retry_after if e.retry_after is not None else 1)
                elif e.kind == "loading":
                    wait = min(pause, float(e.retry_after)) if e.retry_after else pause
                    pause *= 2
                if wait is None or time.monotonic() + wait > deadline or self._live_started(i):
                    _item_error(self, i, e.title, str(e))
                    return
                if self._cancel.wait(wait):
                    return  # cancelled while waiting: the item stays pending (skipped)
                continue
            if result is None:
                return  # cancelled mid-stream
            it = self.items[i]
            self._results[i] = result
            it.output, it.latency_s = result.output, result.latency_s
            it.notices, it.status = list(result.notices), "ok"
            if self.record:
                from .speeds import result_row

                with self._lock:
                    self._speeds.append(result_row(self.model, self.task, self.backend, result))
            return

    def _live_started(self, i: int) -> bool:
        live = self.live(i)
        return live is not None and live.tokens > 0

    def _once(self, i: int) -> RunResult | None:
        from lib.runner.remote import run_remote, stream_text

        raw = self.inputs[i]
        if self.task != "text-generation":
            return run_remote(self.model, self.task, raw, self.opts, self.backend, access=self.access)
        stream = stream_text(self.model, raw, self.opts, self.backend, access=self.access)
        t0 = time.perf_counter()
        first = None
        n = 0
        pieces = iter(stream)
        try:
            for _piece in pieces:
                now = time.perf_counter()
                first = now if first is None else first
                n += 1
                rate = (n - 1) / (now - first) if n > 1 and now > first else None
                with self._lock:
                    self._live[i] = LiveText(stream.text, first - t0, n, rate)
                if self.cancel_requested:
                    return None
        finally:
            pieces.close()  # a stream stopped early releases its response
        with self._lock:
            old = self._live.get(i, LiveText())
            stats = stream.stats
            self._live[i] = LiveText(stream.text, stats.ttft_s if stats else old.ttft_s,
                                     stats.tokens or 0 if stats else old.tokens,
                                     stats.tokens_per_s if stats else old.tokens_per_s, True)
        return stream.result


def _item_error(job: Job, i: int, title: str, message: str) -> None:
    it = job.items[i]
    it.status, it.error_title, it.error_message = "error", title, message


class _Lane:
    def __init__(self) -> None:
        self.queue: deque[tuple[RemoteJob, int]] = deque()
        self.active = 0


class RemoteLanes:
    """One lane per backend: a queue of (job, item) and at most ``per_backend`` workers draining it on a shared
    pool of threads (made by :class:`lib.jobs.JobRunner`; the one place threads start for model work)."""

    def __init__(self, per_backend: int = PER_BACKEND, max_workers: int = 16):
        self.per_backend = max(1, int(per_backend))
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="hubscout-remote")
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}
        self._jobs: set[RemoteJob] = set()

    def submit(self, job: RemoteJob) -> RemoteJob:
        """Start ``job``: its inputs and backend are checked on a pool thread, then its items queued."""
        with self._lock:
            self._jobs.add(job)
        self._pool.submit(self._start, job)
        return job

    def _start(self, job: RemoteJob) -> None:
        try:
            with i18n.scope(job.lang):
                job._start(self)
        except Exception as e:  # noqa: BLE001 - a job never dies with a traceback
            from lib.runner.errors import described

            job.error_title = _("The remote run failed")
            job.error_message = described(e, f"remote job {job.model}")  # i18n: log context
            job._finish(FAILED, job.error_title)
        if job.finished:
            self._forget(job)

    def add(self, job: RemoteJob, indexes: list[int]) -> Callable[[], None] | None:
        """Queue ``job``'s items in its backend's lane and start the workers it may have; returns one more
        worker for the caller's own thread to run (one thread hand-off less per job), or None."""
        from .speeds import backend_key

        key = backend_key(job.backend)
        with self._lock:
            lane = self._lanes.setdefault(key, _Lane())
            lane.queue.extend((job, i) for i in indexes)
            starts = max(0, min(self.per_backend - lane.active, len(lane.queue)))
            lane.active += starts
        for _n in range(starts - 1):
            self._pool.submit(self._drain, key, lane)
        return (lambda: self._drain(key, lane)) if starts else None

    def _drain(self, key: str, lane: _Lane) -> None:
        while True:
            with self._lock:
                if not lane.queue:
                    lane.active -= 1
                    if not lane.active and self._lanes.get(key) is lane:
                        del self._lanes[key]
                    return
                job, i = lane.queue.popleft()
            with i18n.scope(job.lang):
                job._run_item(i)
            if job.finished:
                self._forget(job)

    def drop(self, job: RemoteJob) -> int:
        """Take ``job``'s items not yet sent out of its lane; returns how many."""
        with self._lock:
            dropped = 0
            for lane in self._lanes.values():
                keep = deque(x for x in lane.queue if x[0] is not job)
                dropped += len(lane.queue) - len(keep)
                lane.queue = keep
        return dropped

    def _forget(self, job: RemoteJob) -> None:
        with self._lock:
            self._jobs.discard(job)

    def shutdown(self, wait: bool = True) -> None:
        """Cancel every job and stop the threads (tests, benchmarks)."""
        with self._lock:
            jobs = list(self._jobs)
        for job in jobs:
            job.cancel()
        self._pool.shutdown(wait=wait, cancel_futures=True)
