"""Run every candidate of an evaluation session on every input it lacks (the running is lib.jobs').

::

    run = start_run(session_id, visitor=visitor_id, access=access)   # returns at once
    run.progress()      # candidate id -> CandidateProgress: done / total / state / message
    run.summary()       # one line per candidate, for after the run
    active(session_id)  # the run of that session this process started last (a page rerun finds it)
    run.cancel()        # stops between batches; what finished is kept
    run.wait(timeout)   # True once every candidate is done, failed or cancelled

* **Resumable**: only the cells with neither an output nor an error run (``store.missing_cells``); a run
  killed mid-way (even the process, ``kill -9``) loses at most the batches in flight, and the next run fills
  exactly those. Failed cells run again only when asked (``retry_errors=True`` clears them first).
* **Each cell is written as it finishes**: the job's ``on_item`` listener writes each batch, not the end.
* **Batched**: one job per candidate over its missing inputs, in batches of the session's ``batch_size``.
* **Memory**: :func:`lib.sessions.plan.plan_fit` asks lib.fit (each candidate's gate, and ``load_allowed``
  for all together within the model cache's budget). Together: every job submitted at once, the load queue
  loads them in turn. Else (or a size unknown) one after the other, each model leaving the cache when its
  candidate is done — the next job submitted by the previous one's ``on_finish``: no thread waits.
* **Errors per cell**: an input a candidate fails on gets that error in its cell; a candidate that cannot
  load (refused by the memory gate, no such folder, no weights …) gets its load error in each of its
  missing cells and the others go on. A visitor's run limit or a cancel leaves the cells missing.
* **Stats per candidate** (``store.set_candidate_stats``, :mod:`lib.sessions.runstats`): latency p50 / p95
  over its cells with an output, peak memory (host app taken off on CPU, as lib.fit compares it), load time
  (kept from an earlier run when the model came from the cache), device, dtype, the load error.
* **Remote candidates** (a model on Inference Providers or a server URL, :attr:`Candidate.remote`): submitted
  with ``backend=`` as soon as the run starts, beside the local ones and never in their memory plan or load
  line; each item's failure (402 credits, 429, 503 …) is that cell's error in words; their stats say where
  they ran and, for a streamed text generation, the median time to first token and tokens/s.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from lib import format as fmt
from lib import i18n
from lib.format import Number
from lib.i18n import N_, Later, _
from lib.jobs import CANCELLED, DONE, FAILED, FINAL, LOADING, QUEUED, Job, JobRunner, default_runner
from lib.jobs.limits import is_limit_title
from lib.runner.result import RunOptions
from lib.sessions import store
from lib.sessions.errors import SessionError
from lib.sessions.plan import FitPlan, plan_fit, run_options
from lib.sessions.runstats import candidate_stats, item_speed, remote_stats

WAITING = "waiting"
#: a candidate's state (:attr:`CandidateProgress.state`) as people read it
STATES = {WAITING: N_("waiting"), QUEUED: N_("queued"), LOADING: N_("loading"), "running": N_("running"),
          DONE: N_("done"), FAILED: N_("failed"), CANCELLED: N_("cancelled")}


# ---------------------------------------------------------------------------------------------- progress
@dataclass(frozen=True)
class CandidateProgress:
    """One candidate's part of a run.

    Attributes:
        candidate / model: its id and model.
        state: ``waiting`` (its turn comes after the model before it), ``queued`` / ``loading`` /
            ``running`` (its job's), ``done`` / ``failed`` (it could not load: its cells hold the error) /
            ``cancelled``.
        done / total: cells of this candidate that hold an output or an error / inputs of the session.
        errors: cells that got an error in this run.
        message: what is happening, for people.
    """

    candidate: str
    model: str
    state: str
    done: int
    total: int
    errors: int
    message: str
    name: str = ""  # the model and, when remote, its backend (``owner/name · Inference Providers (auto)``)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def finished(self) -> bool:
        return self.state in FINAL


# ---------------------------------------------------------------------------------------------- the run
class SessionRun:
    """A run of one session's missing cells, made by :func:`start_run`. Read it from any thread.

    Attributes:
        session_id, info (the session as it was when the run started; without its inputs once finished),
        opts (the run's RunOptions).
        plan: the :class:`FitPlan` (None until the background start has made it).
    """

    def __init__(self, info: Any, missing: Mapping[str, list[str]], runner: JobRunner, opts: RunOptions, *,
                 visitor: str | None = None, tokens: Any = None):
        self.session_id = info.id
        self.info = info
        self.runner = runner
        self.opts = opts
        self.visitor = visitor
        self.plan: FitPlan | None = None
        self._lock = threading.Lock()
        self._candidates = {c.id: c for c in info.candidates}
        self._inputs = {i.id: i for i in info.inputs}
        self._total = len(info.inputs)
        order = {i.id: n for n, i in enumerate(info.inputs)}
        self._todo = {cid: sorted((i for i in missing.get(cid, []) if i in order), key=order.__getitem__)
                      for cid in self._candidates}
        self._filled = {cid: len(info.inputs) - len(self._todo[cid]) for cid in self._candidates}
        self._errors = dict.fromkeys(self._candidates, 0)
        self._recorded: dict[str, set[int]] = {cid: set() for cid in self._candidates}
        self._jobs: dict[str, Job] = {}
        self._final: dict[str, tuple[str, str]] = {
            cid: (DONE, Later(N_("Nothing left to run"))) for cid, todo in self._todo.items() if not todo}
        self._remote = {cid: _with_token(c.remote, tokens) for cid, c in self._candidates.items()
                        if c.remote is not None}
        self._speeds: dict[str, list[tuple[float | None, float | None]]] = {cid: [] for cid in self._remote}
        self._queue = [cid for cid in self._candidates if self._todo[cid] and cid not in self._remote]
        self._remote_queue = [cid for cid in self._remote if self._todo[cid]]
        self._cancelled = False
        self._done = threading.Event()
        if not self._queue and not self._remote_queue:
            self._done.set()

    # -- reading
    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every candidate is done, failed or cancelled (or ``timeout`` s); True when finished."""
        return self._done.wait(timeout)

    @property
    def jobs(self) -> dict[str, Job]:
        """candidate id -> its job while the run goes on (a candidate with nothing to run has none)."""
        with self._lock:
            return dict(self._jobs)

    def progress(self) -> dict[str, CandidateProgress]:
        """candidate id -> its :class:`CandidateProgress`, in the session's order."""
        out = {}
        total = self._total
        for cid, c in self._candidates.items():
            with self._lock:
                final, job = self._final.get(cid), self._jobs.get(cid)
                done, errors = self._filled[cid], self._errors[cid]
            if final is not None:
                state, message = final[0], str(final[1])  # a Later: in the reader's language
            elif job is None and cid in self._remote:
                state, message = WAITING, _("Starts on {where}").format(where=self._remote[cid].label)
            elif job is None:
                state = WAITING
                message = (_("Checking the memory estimate") if self.plan is None else _("Waits for its turn")
                           if self.plan.together else
                           _("Waits for the model before it (one model in memory at a time)"))
            else:
                p = job.progress()
                state = p.state
                message = (_("Ran {done} of {total}").format(done=fmt.number(done), total=fmt.number(total))
                           if p.state not in (QUEUED, LOADING) else p.message)
            out[cid] = CandidateProgress(cid, c.model, state, done, total, errors, message, c.name)
        return out

    def summary(self) -> str:
        """What the run did, in words: ``c1 done: 5 of 5 · c2 failed: Model not found: …``."""
        return " · ".join(_("{candidate} {state}: {message}").format(
            candidate=p.candidate, state=_(STATES.get(p.state, p.state)), message=p.message)
            for p in self.progress().values())

    # -- control
    def cancel(self) -> None:
        """Stop: waiting candidates never start, running ones stop after their current batch (what finished
        is kept; the rest stays missing for the next run)."""
        with self._lock:
            self._cancelled = True
            waiting, self._queue, self._remote_queue = self._queue + self._remote_queue, [], []
            jobs = list(self._jobs.values())
        for cid in waiting:
            self._settle(cid, CANCELLED, Later(N_("Cancelled before it started")))
        for job in jobs:
            job.cancel()

    # -- the work (runner threads)
    def _start(self, fit: Any, hardware: Any) -> None:
        while True:  # remote candidates first: they wait for no memory plan and no load
            with self._lock:
                if self._cancelled or not self._remote_queue:
                    break
                cid = self._remote_queue.pop(0)
            self._submit(cid)
        try:
            if isinstance(fit, FitPlan):
                plan = fit
            elif fit is None:
                with self._lock:
                    todo = list(self._queue)
                plan = plan_fit([(cid, self._candidates[cid].model) for cid in todo], self.opts, hardware=hardware,
                                cache_budget=self._cache_budget())
            else:
                plan = FitPlan(bool(fit), _("All models may stay in memory together.") if fit
                               else _("One model in memory at a time, as asked."))
        except Exception as e:  # noqa: BLE001 - no estimate: the careful plan
            from lib.logs import log_failure

            log_failure(e, f"session {self.session_id}: fit plan")  # i18n: a log message
            plan = FitPlan(False, _("One model in memory at a time: no memory estimate."))
        self.plan = plan
        if plan.together:
            while self._submit_next():
                pass
        else:
            self._submit_next()

    def _cache_budget(self) -> int:
        from lib.runner.cache import shared_cache

        cache = self.runner.cache if self.runner.cache is not None else shared_cache()
        return int(cache.budget_bytes)

    def _submit_next(self) -> bool:
        """Submit the next waiting local candidate's job; False when none is left."""
        while True:
            with self._lock:
                if self._cancelled or not self._queue:
                    return False
                cid = self._queue.pop(0)
            if self._submit(cid):
                return True

    def _submit(self, cid: str) -> bool:
        """Submit candidate ``cid``'s job (a remote one with its backend); False when it could not start."""
        c = self._candidates[cid]
        opts = replace(self.opts, revision=c.revision) if c.revision and cid not in self._remote else self.opts
        plan = self.plan or FitPlan(False, "")
        where = {"backend": self._remote[cid]} if cid in self._remote else {
            "allowed": plan.gates.get(cid, (True, None))}
        try:
            job = self.runner.submit(c.model, self.info.task, [self._inputs[i].inputs for i in self._todo[cid]],
                                     opts, visitor=self.visitor, **where,
                                     on_item=lambda j, idx, cid=cid: self._record(cid, j, idx),
                                     on_finish=lambda j, cid=cid: self._finished(cid, j))
        except Exception as e:  # noqa: BLE001 - e.g. the runner was shut down: nothing ran, cells stay missing
            from lib.runner.errors import described

            reason = described(e, f"session {self.session_id}")  # i18n: the log's context
            self._settle(cid, FAILED, Later(N_("Could not start: {reason}"), reason=reason))
            return False
        with self._lock:
            self._jobs[cid] = job
            cancelled = self._cancelled
        if cancelled:
            job.cancel()
        return True

    def _record(self, cid: str, job: Job, indexes: list[int]) -> None:
        """Write the finished items ``indexes`` of ``job`` into their cells (each once), in one transaction."""
        with self._lock:
            mine = [i for i in indexes if i not in self._recorded[cid]]
            self._recorded[cid].update(mine)
        cells = []
        for i in mine:
            item = job.items[i]
            if item.status == "ok":
                cells.append((i, {"output": item.output, "latency_s": item.latency_s}))
                if cid in self._remote:
                    self._speeds[cid].append(item_speed(job, i))
            else:
                # stored in English when it is ours: translated where shown (lib.ui.sessions_view)
                cells.append((i, {"error": {"title": item.error_title or N_("Run failed"),
                                            "message": item.error_message or ""}}))
        self._write(cid, cells)

    def _write(self, cid: str, cells: list[tuple[int, dict]]) -> None:
        """Store ``cells`` (item index, {"output", "latency_s"} or {"error"}) of candidate ``cid``: one
        transaction for them all (``store.record_outputs``). When that fails, each cell on its own: an
        output the store cannot encode gets the reason as its error, a cell that cannot be written stays
        missing (the next run fills it), the others are kept."""
        if not cells:
            return
        rows = [{"candidate": cid, "input": self._todo[cid][i], **cell} for i, cell in cells]
        try:
            store.record_outputs(self.session_id, rows)
            written = [row.get("error") for row in rows]
        except Exception:  # noqa: BLE001 - one by one: each cell's own outcome
            written = [self._write_one(cid, i, row) for (i, _cell), row in zip(cells, rows)]
        with self._lock:
            for error in written:
                if error is not False:
                    self._filled[cid] += 1
                    self._errors[cid] += error is not None

    def _write_one(self, cid: str, i: int, row: dict) -> dict | None | bool:
        """One cell alone: its error (None: an output), or False when it could not be written."""
        error = row.get("error")
        try:
            try:
                store.record_output(self.session_id, cid, row["input"], output=row.get("output"), error=error,
                                    latency_s=row.get("latency_s"))
            except SessionError as e:  # an output the store cannot encode: that cell's error, not a retry
                error = {"title": N_("Output not stored"), "message": str(e)}  # translated where shown
                store.record_output(self.session_id, cid, row["input"], error=error)
        except Exception as e:  # noqa: BLE001 - the cell stays missing: the next run fills it
            from lib.logs import log_failure

            log_failure(e, f"session {self.session_id}: recording {cid}/{row['input']}")  # i18n: a log message
            with self._lock:
                self._recorded[cid].discard(i)
            return False
        return error

    def _finished(self, cid: str, job: Job) -> None:
        """``job``'s on_finish: what is not written yet, the load error per cell, the stats, the next model.
        Whatever fails here, the candidate is settled and the next one starts (the run always ends)."""
        error = job.error()
        try:
            self._record(cid, job, [i for i, it in enumerate(job.items) if it.status in ("ok", "error")])
            load_failed = job.state == FAILED and error is not None and not is_limit_title(error[0])
            if load_failed:
                self._record_load_error(cid, job, error)
            if (cid in self._remote and job.state != CANCELLED) or load_failed or getattr(job, "device", None):
                self._write_stats(cid, job, error if load_failed else None)
            if cid in self._remote:
                pass  # nothing of it in this machine's memory, and no local candidate waits for it
            elif self.plan is not None and not self.plan.together and not job.cached:
                self.runner.release(job)  # one model in memory at a time
        except Exception as e:  # noqa: BLE001 - logged; the cells not written stay missing
            from lib.logs import log_failure

            log_failure(e, f"session {self.session_id}: finishing {cid}")  # i18n: a log message
        finally:
            with self._lock:
                done, total, errors = self._filled[cid], self._total, self._errors[cid]
            counts = {"done": Number(done), "total": Number(total), "errors": Number(errors)}
            if job.state == DONE:
                state, message = DONE, Later(N_("{done} of {total}, {errors} with an error") if errors
                                             else N_("{done} of {total}"), **counts)
            elif job.state == CANCELLED:
                state, message = CANCELLED, Later(N_("Cancelled after {done} of {total}"), **counts)
            else:
                state, message = FAILED, f"{error[0]}: {error[1]}" if error else Later(N_("Run failed"))
            self._settle(cid, state, message)
            if cid not in self._remote and (self.plan is None or not self.plan.together):
                self._submit_next()

    def _record_load_error(self, cid: str, job: Job, error: tuple[str, str]) -> None:
        with self._lock:
            left = [i for i in range(len(job.items)) if i not in self._recorded[cid]]
            self._recorded[cid].update(left)
        self._write(cid, [(i, {"error": {"title": error[0], "message": error[1]}}) for i in left])

    def _write_stats(self, cid: str, job: Job, error: tuple[str, str] | None) -> None:
        previous = self._candidates[cid].stats
        try:
            stats = (remote_stats(self.session_id, cid, self._remote[cid].label, self._speeds[cid], error, previous)
                     if cid in self._remote else candidate_stats(self.session_id, cid, job, error, previous))
            store.set_candidate_stats(self.session_id, cid, stats)
        except Exception as e:  # noqa: BLE001 - stats are a summary: the cells are written
            from lib.logs import log_failure

            log_failure(e, f"session {self.session_id}: stats of {cid}")  # i18n: a log message

    def _settle(self, cid: str, state: str, message: str) -> None:
        """``message``: kept, read by every visitor of the session (a :class:`lib.i18n.Later` when it is ours)."""
        with self._lock:
            self._final[cid] = (state, message)
            if len(self._final) < len(self._candidates):
                return
            # finished: a run kept for active() holds its counts, not the inputs (media) nor the jobs' outputs
            self._inputs, self._jobs = {}, {}
            self.info = replace(self.info, inputs=())
            self._done.set()

    def __repr__(self) -> str:
        return f"<SessionRun {self.session_id} {'finished' if self.finished else 'running'}>"


_RUNS: dict[str, SessionRun] = {}
_RUNS_LOCK = threading.Lock()
_KEEP_FINISHED = 32


def active(session_id: str) -> SessionRun | None:
    """The run of ``session_id`` this process started last (finished or not); None when there is none."""
    with _RUNS_LOCK:
        return _RUNS.get(session_id)


def _remember(run: SessionRun) -> None:
    with _RUNS_LOCK:
        _RUNS.pop(run.session_id, None)
        _RUNS[run.session_id] = run
        finished = [sid for sid, r in _RUNS.items() if r.finished]
        for sid in finished[:max(0, len(finished) - _KEEP_FINISHED)]:
            del _RUNS[sid]


def _with_token(backend: Any, tokens: Any) -> Any:
    """A remote candidate's backend with its own token from ``tokens`` (the page's Streamlit secrets), if any."""
    from lib.hub.inference import backend_token, with_token

    token = backend_token(backend, tokens)
    return with_token(backend, token) if token else backend


def start_run(session_id: str, *, runner: JobRunner | None = None, access: Any = None, visitor: str | None = None,
              fit: FitPlan | bool | None = None, retry_errors: bool = False, options: RunOptions | None = None,
              hardware: Any = None, tokens: Any = None) -> SessionRun:
    """Run every candidate of ``session_id`` on the inputs it has no output or error for; returns at once.

    ``runner``: the job runner (default: the process-wide one). ``access`` / ``visitor``: the visitor's
    :class:`lib.access.Access` (the runner refuses what it withholds; each candidate counts as one run
    against ``runs_per_hour``) and id. ``fit``: None decides from lib.fit (:func:`plan_fit`, on a runner
    thread: a Hub model's size may need the Hub), True / False forces all-together / one-at-a-time, or a
    :class:`FitPlan`. ``retry_errors``: clear the failed cells first so they run again. ``options``: the
    RunOptions (default: from the session's settings). ``hardware``: the host to plan for (default: this
    machine). ``tokens``: ``{provider or host: token}`` for remote candidates (Streamlit secrets' table, read by
    the page; kept in memory only). Raises SessionNotFound for an unknown session.

    While a run of the same session started by this process is still going, that run is returned and
    nothing new starts (two raters pressing Run do not run the same cells twice).
    """
    info = store.get_session(session_id)
    with _RUNS_LOCK:
        going = _RUNS.get(session_id)
        if going is not None and not going.finished:
            return going
    if retry_errors:
        store.clear_errors(session_id)
    missing = store.missing_cells(session_id)
    runner = runner if runner is not None else default_runner()
    opts = options if options is not None else run_options(info.settings, access)
    if access is not None and opts.access is None:
        opts = replace(opts, access=access)
    run = SessionRun(info, missing, runner, opts, visitor=visitor, tokens=tokens)
    _remember(run)
    if not run.finished:
        runner.background(i18n.in_current(run._start), fit, hardware)  # its plan speaks the submitter's language
    return run


__all__ = ["CandidateProgress", "FitPlan", "SessionRun", "WAITING", "active", "candidate_stats", "plan_fit",
           "run_options", "start_run"]
