"""A job: one model × one task × a list of inputs, with progress, cancel and per-item results.

A :class:`Job` is shared between the worker thread that runs it and whoever polls it (a page's
script thread): the worker writes under the job's lock, readers take snapshots (:meth:`Job.progress`)
and never call into the worker. No streamlit here.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from lib import i18n
from lib.i18n import _
from lib.runner.result import Measurement, RunOptions, RunResult

QUEUED, LOADING, RUNNING, DONE, FAILED, CANCELLED = "queued", "loading", "running", "done", "failed", "cancelled"
STATES = (QUEUED, LOADING, RUNNING, DONE, FAILED, CANCELLED)
FINAL = frozenset({DONE, FAILED, CANCELLED})

_IDS = itertools.count(1)


@dataclass(frozen=True)
class JobProgress:
    """A snapshot of a job, safe to read from any thread.

    Attributes:
        state: ``queued`` / ``loading`` / ``running`` / ``done`` / ``failed`` / ``cancelled``.
        message: what is happening, for people ("Downloading …", "Running 12 of 256").
        stage: the load stage while loading (``resolve`` / ``download`` / ``load`` / ``ready``), else "".
        done_bytes / total_bytes: download progress (0 when unknown or not downloading).
        items_done / items_total: inputs finished (with a result or an error) / submitted.
        queue_position: 1 for the next job to start, while queued; else None.
        load_place: while the job waits for its model load's turn (one load at a time, ``stage``
            ``queue``): 1 for the next load to start, 2 behind it …; else None. ``message`` says it in
            words ("2nd in line for a model load …").
        elapsed_s: seconds since the job was submitted.
    """

    state: str
    message: str
    stage: str = ""
    done_bytes: int = 0
    total_bytes: int = 0
    items_done: int = 0
    items_total: int = 0
    queue_position: int | None = None
    elapsed_s: float = 0.0
    load_place: int | None = None

    @property
    def fraction(self) -> float | None:
        """Download fraction while loading, items fraction while running, None when unknown."""
        if self.state == LOADING:
            if self.stage == "ready":
                return 1.0
            return self.done_bytes / self.total_bytes if self.total_bytes else None
        if self.state == RUNNING:
            return self.items_done / self.items_total if self.items_total else None
        return 1.0 if self.state in FINAL else 0.0

    @property
    def finished(self) -> bool:
        return self.state in FINAL


@dataclass
class ItemResult:
    """The outcome of one input.

    Attributes:
        index: position in the submitted list.
        status: ``pending`` / ``ok`` / ``error`` / ``skipped`` (the job failed or was cancelled first).
        output: the task's normalised output (``lib.runner.tasks`` docstring), when ``ok``.
        notices: what the user should know about this input (truncation, resampling …).
        latency_s: this input's share of the run: its own call, or its batch's time divided by the
            batch size when it ran in a batch (``batched``).
        error_title / error_message: a RunnerError's title and message, never a traceback.
    """

    index: int
    status: str = "pending"
    output: dict[str, Any] | None = None
    notices: list[str] = field(default_factory=list)
    latency_s: float | None = None
    batched: bool = False
    error_title: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Tracked:
    """What every background job shares with whoever polls it: a progress snapshot with its elapsed time,
    ``finished`` / :meth:`wait`, and a cancel request (what cancelling does is the job's own). The worker
    writes ``_progress`` under ``_lock`` and sets ``_done`` last; ``finished_at`` stops the clock."""

    def __init__(self, progress: JobProgress):
        self.submitted_at = time.monotonic()
        self.lang = i18n.current()  # its messages speak the language of the run that submitted it
        self.finished_at: float | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._cancel = threading.Event()
        self._progress = progress

    def progress(self) -> JobProgress:
        """A snapshot of the job's state and counters."""
        with self._lock:
            p = self._progress
        end = self.finished_at if self.finished_at is not None else time.monotonic()
        return replace(p, elapsed_s=end - self.submitted_at)

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is finished (or ``timeout`` s passed); True when finished."""
        return self._done.wait(timeout)


class Job(Tracked):
    """One model × task × inputs. Made by :meth:`lib.jobs.JobRunner.submit`; read it, cancel it, wait for it.

    Attributes (read-only for callers):
        id, model, task, inputs (the raw inputs as submitted), opts, allowed (the fit gate's verdict).
        items: one :class:`ItemResult` per input.
        error_title / error_message: why the whole job failed (load refused, model unavailable …).
        load_s / cached / device / dtype / load_notices: the load, once it happened.
        measurement: the peak over the job's calls (recorded into lib.fit.measured by the job).
        hood / hood_error: the under-the-hood view of the first input, when asked (``hood=True``).

    Listeners (optional, for a caller that must keep each result as it comes, e.g. an evaluation session
    writing every cell to its store): ``on_item(job, indexes)`` is called on the worker thread each time
    items finish (a batch, or the inputs found bad before the load), with the indexes of the items that now
    have an output or an error; ``on_finish(job)`` once, when the job reaches a final state, before its
    waiters wake (on the thread that finished it: the worker, or the caller of :meth:`cancel` /
    ``submit``). A listener that raises is logged and never fails the job.
    """

    def __init__(self, model: str, task: str, inputs: list[dict[str, Any]], opts: RunOptions | None = None, *,
                 allowed: tuple[bool, str | None] = (True, None), hood: bool = False,
                 hood_inputs: dict[str, Any] | None = None, cache: Any = None, store: Any = None,
                 record: bool = True, on_item: Callable[[Job, list[int]], None] | None = None,
                 on_finish: Callable[[Job], None] | None = None):
        self.id = next(_IDS)
        self.model = model
        self.task = task
        self.inputs = list(inputs)
        self.opts = opts or RunOptions()
        self.allowed = allowed
        self.hood_wanted = hood
        self.hood_inputs = hood_inputs
        self.cache = cache
        self.store = store
        self.record = record
        self.items = [ItemResult(i) for i in range(len(self.inputs))]
        self.error_title: str | None = None
        self.error_message: str | None = None
        self.load_s = 0.0
        self.cached = False
        self.device: str | None = None
        self.dtype: str | None = None
        self.load_notices: list[str] = []
        self.measurement: Measurement | None = None
        self.hood: Any = None
        self.hood_error: str | None = None
        super().__init__(JobProgress(QUEUED, _("Waiting for a free worker"), items_total=len(self.inputs)))
        self._clean: list[dict[str, Any] | None] = [None] * len(self.inputs)
        self._input_notices: list[list[str]] = [[] for _ in self.inputs]
        self._prepared: Any = None
        self._peak: tuple[int, str] | None = None
        self._position = None  # set by the runner: () -> queue position
        self._on_item, self._on_finish = on_item, on_finish

    # -- reading
    @property
    def state(self) -> str:
        return self._progress.state

    def progress(self) -> JobProgress:
        """A snapshot of the job's state and counters (with its place in the queue while queued)."""
        p = super().progress()
        if p.state == QUEUED and self._position is not None:
            p = replace(p, queue_position=self._position())
        return p

    def result(self, index: int = 0) -> RunResult | None:
        """The :class:`~lib.runner.RunResult` of one input that ran (with the code that reproduces it),
        as ``lib.runner.run`` returns for a single input; None when that input has no output."""
        item = self.items[index]
        if not item.ok or self._prepared is None:
            return None
        from lib.runner.api import result_for

        peak, kind = self._peak or (0, "process_rss_peak")
        return result_for(self._prepared, self.task, self._clean[index], item.output,
                          self._input_notices[index] + self.load_notices + item.notices,
                          item.latency_s or 0.0, peak, kind, self.opts)

    def error(self, index: int | None = None) -> tuple[str, str] | None:
        """(title, message) of the job's failure (``index`` None) or of one input's; None when fine."""
        if index is None:
            return (self.error_title, self.error_message) if self.error_title else None
        item = self.items[index]
        if item.status == "error":
            return item.error_title or _("Run failed"), item.error_message or ""
        if item.status in ("skipped", "pending") and self.error_title:
            return self.error_title, self.error_message or ""
        return None

    # -- control
    def cancel(self) -> None:
        """Stop the job: a queued or loading job is cancelled at once (a load already under way goes on
        in the background and lands in the model cache; one still waiting for its turn leaves the line
        unless another job waits for it too); a running one stops after the current batch."""
        self._cancel.set()
        with self._lock:
            state = self._progress.state
        if state in (QUEUED, LOADING):
            self._finish(CANCELLED, "Cancelled")

    # -- written by the worker
    def _set(self, **changes: Any) -> None:
        with self._lock:
            if self._progress.state in FINAL:
                return
            self._progress = replace(self._progress, **changes)

    def _finish(self, state: str, message: str) -> bool:
        with self._lock:
            if self._progress.state in FINAL:
                return False
            done = sum(1 for it in self.items if it.status in ("ok", "error"))
            for it in self.items:
                if it.status == "pending":
                    it.status = "skipped"
            self._progress = replace(self._progress, state=state, message=message, items_done=done)
            self.finished_at = time.monotonic()
        if self._on_finish is not None:
            self._tell(self._on_finish, self)
        self._done.set()
        return True

    def _items_finished(self, indexes: list[int]) -> None:
        """Tell the ``on_item`` listener which items now have an output or an error (worker thread)."""
        done = [i for i in indexes if self.items[i].status in ("ok", "error")]
        if self._on_item is not None and done:
            self._tell(self._on_item, self, done)

    def _tell(self, listener: Callable[..., None], *args: Any) -> None:
        try:
            listener(*args)
        except Exception as e:  # noqa: BLE001 - a listener never fails the job
            from lib.logs import log_failure

            log_failure(e, f"job {self.id} listener", "jobs")  # i18n: log context

    def __repr__(self) -> str:
        p = self._progress
        return f"<Job {self.id} {self.model} {self.task} {p.state} {p.items_done}/{p.items_total}>"
