"""Hub Scout's job runner: model × task × a list of inputs, run in the background (no streamlit).

Public API::

    from lib.jobs import submit, submit_many, Job, JobProgress, warm_up
    job = submit("distilbert/…-sst-2-english", "text-classification",
                 [{"text": "I love it"}, {"text": "Awful"}], RunOptions(batch_size=16),
                 allowed=(gate.allowed, gate.reason), visitor=visitor_id, access=access)
    p = job.progress()        # state, message, bytes downloaded/total, items done/total, queue position,
                              # place in line for a model load (load_place)
    job.cancel()              # between batches; a queued or loading job stops at once
    job.wait(timeout)         # True once done / failed / cancelled
    job.items[i]              # ItemResult: output or error (title + message), latency
    job.result(i)             # the lib.runner.RunResult of one input (with its code)

States: ``queued`` → ``loading`` (its turn in the process-wide load queue: one model loads at a
time; then download bytes, load) → ``running`` (items done of total) → ``done`` / ``failed`` (the load,
or the visitor's run limit: ``job.error()``) / ``cancelled``. A bad input is that item's error;
the others still run. Items of one model run in batches of ``RunOptions.batch_size`` when the task has
a ``run_batch`` (``lib.tasks.TaskSpec``), one by one otherwise; a batch that fails is retried item by
item so that each input gets its own result or error. The runner measures; the job records its peak
into ``lib.fit.measured`` (``lib.jobs.measured.record``). ``submit_many(models, task, inputs)`` submits
one job per model over the same inputs (evaluation sessions). ``submit(…, on_item=, on_finish=)`` hands each
finished batch's item indexes, then the finished job, to a listener on the worker thread (a session writes
every cell as it comes); ``JobRunner.release(job)`` drops the job's model from the cache (one model in memory
at a time). ``warm_up()`` imports the runtime in the background when a page that can run models opens.

A model pre-download (the Local models page) is a :class:`lib.jobs.download.DownloadJob`
(``submit_download``), polled through the same :class:`JobProgress`.

Threads: this package is the one place that starts threads for model work (``JobRunner``'s pool).
"""
from __future__ import annotations

from .job import CANCELLED, DONE, FAILED, FINAL, LOADING, QUEUED, RUNNING, STATES, ItemResult, Job, JobProgress
from .limits import RunLimiter
from .runner import JobRunner, default_runner, hood_function, submit, submit_many
from .warmup import warm_up

__all__ = ["CANCELLED", "DONE", "FAILED", "FINAL", "LOADING", "QUEUED", "RUNNING", "STATES", "ItemResult", "Job",
           "JobProgress", "JobRunner", "RunLimiter", "default_runner", "hood_function", "submit", "submit_many",
           "warm_up"]
