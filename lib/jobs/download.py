"""A model pre-download in the background, polled like a run: :func:`submit_download` -> :class:`DownloadJob`.

The download itself is :func:`lib.hub.cache.download` (chosen files, byte progress, stopped past a byte
limit or when cancelled, nothing kept when it stops). The job runs on the shared :class:`JobRunner`'s
threads; :meth:`DownloadJob.progress` is a :class:`~lib.jobs.job.JobProgress` (``loading`` / stage
``download`` with bytes done / total, then ``done`` / ``failed`` / ``cancelled``), as a test-drive job's.
No streamlit here.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from lib import i18n
from lib.hub.errors import HubError
from lib.i18n import _

from .job import CANCELLED, DONE, FAILED, LOADING, QUEUED, JobProgress, Tracked
from .runner import default_runner

__all__ = ["DownloadJob", "submit_download"]


class DownloadJob(Tracked):
    """One pre-download. ``folder``: the snapshot folder once done; ``error_message`` when it failed."""

    def __init__(self, repo_id: str, total_bytes: int | None):
        self.repo_id = repo_id
        self.total_bytes = total_bytes or 0
        self.folder: Path | None = None
        self.error_kind: str | None = None
        self.error_message: str | None = None
        super().__init__(JobProgress(QUEUED, _("Waiting to download {model}").format(model=repo_id),
                                     total_bytes=self.total_bytes))

    def cancel(self) -> None:
        """Stop at the next bytes written (what was written is removed)."""
        self._cancel.set()

    def _bytes(self, done: int) -> None:
        """Bytes written so far (called on huggingface_hub's download threads: the job's own language)."""
        with i18n.scope(self.lang):
            message = _("Downloading {model}").format(model=self.repo_id)
        with self._lock:
            total = max(self.total_bytes, done)
            self._progress = JobProgress(LOADING, message, "download", done, total)

    def _finish(self, state: str, message: str) -> None:
        with self._lock:
            p = self._progress
            self._progress = JobProgress(state, message, "ready" if state == DONE else p.stage,
                                         p.done_bytes, p.total_bytes)
            self.finished_at = time.monotonic()
        self._done.set()


def submit_download(repo_id: str, *, revision: str | None, allow_patterns: list[str], total_bytes: int | None,
                    limit_bytes: int | None, token: str | bool | None = None,
                    on_finish: Callable[[DownloadJob], None] | None = None) -> DownloadJob:
    """Start downloading ``allow_patterns`` of ``repo_id`` at ``revision`` (stopped past ``limit_bytes``)."""
    from lib.hub import cache

    job = DownloadJob(repo_id, total_bytes)

    def work() -> None:
        job._bytes(0)
        try:
            job.folder = cache.download(repo_id, revision=revision, allow_patterns=allow_patterns, token=token,
                                        limit_bytes=limit_bytes, on_bytes=job._bytes,
                                        cancelled=job._cancel.is_set)
        except HubError as e:
            job.error_kind, job.error_message = e.kind, e.message
            job._finish(CANCELLED if e.kind == "cancelled" else FAILED, e.message)
        except Exception as e:  # noqa: BLE001 - a job never dies with a traceback
            from lib.runner.errors import described

            job.error_kind, job.error_message = "error", described(e, f"downloading {repo_id}")  # i18n: log context
            job._finish(FAILED, job.error_message)
        else:
            job._finish(DONE, _("Downloaded {model}").format(model=repo_id))
        if on_finish is not None:
            try:
                on_finish(job)
            except Exception:  # noqa: BLE001 - a listener never fails the job
                pass

    default_runner().background(i18n.in_current(work))
    return job
