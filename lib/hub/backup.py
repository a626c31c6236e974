"""A folder backed up to a private Hub dataset repo, and fetched back: the Hub side of session backups
(the session side is :mod:`lib.sessions.backup`).

* :func:`start` — creates the dataset repo (private) when it is missing and starts huggingface_hub's
  ``CommitScheduler`` on the folder: it pushes the files changed since its last push every ``every``
  minutes, and on :meth:`Backup.trigger`; each push's outcome goes to ``on_push`` (a
  :class:`PushResult`, a failure as a :class:`~lib.hub.errors.HubError`), never raised.
* :func:`download` — the repo's files under a path pattern, into a local folder
  (``snapshot_download``), for a restore.

The token is huggingface_hub's (``HF_TOKEN`` or a saved login, :mod:`lib.hub.auth`); it is never logged.
Both calls run under :mod:`lib.hub.policy` (offline switch, a deadline, every failure a HubError).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lib.hub import auth, policy
from lib.hub.errors import OFFLINE_MESSAGE, HubError, classify
from lib.i18n import N_, Later

__all__ = ["PushResult", "Backup", "start", "download", "NO_TOKEN_MESSAGE", "START_TIMEOUT_S"]

NO_TOKEN_MESSAGE = Later(N_("no Hub token: set HF_TOKEN (a token that may write) as a secret"))
START_TIMEOUT_S = 30.0  # creating the repo (or finding it there)
DOWNLOAD_TIMEOUT_S = 120.0  # a restore: the repo's listing and every file


@dataclass(frozen=True)
class PushResult:
    """One push of the scheduler: when it started and ended, the commit it made (None: nothing had
    changed), or the error that stopped it."""

    started: datetime
    at: datetime
    commit: str | None = None
    error: HubError | None = None
    cause: BaseException | None = None  # the original exception of a failure, for the server log

    @property
    def ok(self) -> bool:
        return self.error is None


def _scheduler_class(on_push: Callable[[PushResult], None]):
    from huggingface_hub import CommitScheduler

    class _Scheduler(CommitScheduler):
        """``CommitScheduler`` whose pushes report their outcome instead of raising in its thread."""

        def push_to_hub(self):
            started = datetime.now(UTC)
            if policy.is_offline():  # switched offline while running: no request at all
                on_push(PushResult(started, started, error=HubError(OFFLINE_MESSAGE, "offline", repo_id=self.repo_id)))
                return None
            try:
                info = super().push_to_hub()
            except Exception as e:  # noqa: BLE001 - every failure is reported, the scheduler carries on
                on_push(PushResult(started, datetime.now(UTC), error=classify(e, repo_id=self.repo_id), cause=e))
                return None
            on_push(PushResult(started, datetime.now(UTC), commit=getattr(info, "oid", None)))
            return info

    return _Scheduler


class Backup:
    """A running backup of a folder to a dataset repo (what :func:`start` returns)."""

    def __init__(self, scheduler) -> None:
        self._scheduler = scheduler
        self.repo_id: str = scheduler.repo_id

    def trigger(self) -> None:
        """Push the changed files now (in the scheduler's worker; the outcome goes to ``on_push``)."""
        self._scheduler.trigger()

    def push_now(self, timeout: float | None = None) -> None:
        """Push the changed files and wait for that push (tests, a clean shutdown)."""
        self._scheduler.trigger().result(timeout)

    def stop(self) -> None:
        """No more pushes (a stopped backup cannot be started again)."""
        self._scheduler.stop()


def start(repo_id: str, folder: Path, *, every: float, on_push: Callable[[PushResult], None],
          path_in_repo: str | None = None) -> Backup:
    """Back ``folder`` up to the dataset repo ``repo_id`` (created private when missing): a push every
    ``every`` minutes and on :meth:`Backup.trigger`. Raises HubError (no token, offline, 401/403, the
    Hub not answering within :data:`START_TIMEOUT_S`); pushes never raise, they report to ``on_push``."""
    if not auth.has_token():
        raise HubError(NO_TOKEN_MESSAGE, "auth", repo_id=repo_id)
    cls = _scheduler_class(on_push)
    gave_up = threading.Event()

    def make():
        # CommitScheduler's constructor creates the repo (exist_ok) and starts its thread: a push right away
        sched = cls(repo_id=repo_id, repo_type="dataset", folder_path=folder, every=every, private=True,
                    path_in_repo=path_in_repo, token=auth.token())
        if gave_up.is_set():  # the caller stopped waiting: this late scheduler must not run on its own
            sched.stop()
        return sched

    try:
        return Backup(policy.call(make, deadline=START_TIMEOUT_S, repo_id=repo_id))
    except HubError:
        gave_up.set()
        raise


def download(repo_id: str, dest: Path, *, pattern: str) -> list[Path]:
    """The files of dataset repo ``repo_id`` matching ``pattern`` (e.g. ``sessions/*.json``), downloaded
    into ``dest``; [] when the repo does not exist yet. Raises HubError for anything else."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import RepositoryNotFoundError

    def fetch() -> list[Path]:
        try:
            root = snapshot_download(repo_id, repo_type="dataset", local_dir=dest, allow_patterns=[pattern],
                                     token=auth.token())
        except RepositoryNotFoundError as e:
            if getattr(e.response, "status_code", None) == 404:
                return []  # a new repo: nothing to restore yet
            raise
        return sorted(p for p in Path(root).glob(pattern) if p.is_file())

    return policy.call(fetch, deadline=DOWNLOAD_TIMEOUT_S, repo_id=repo_id)
