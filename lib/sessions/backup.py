"""Session backups to a private Hub dataset repo (``HUBSCOUT_BACKUP_REPO``), and the restore at start.

A Space's disk is wiped on every restart; with a backup repo set, each session lives on as its export
(the :mod:`lib.sessions.exchange` format, one ``sessions/<id>.json`` per session):

* every committed change (:mod:`lib.sessions.changes`) marks its session; a writer thread exports the
  marked sessions into ``<data dir>/backup/sessions/`` once writes pause for :data:`DEBOUNCE_S` (at
  most :data:`MAX_DELAY_S` after the first change), rewriting a file only when its content changed;
* huggingface_hub's ``CommitScheduler`` (:mod:`lib.hub.backup`) pushes the changed files every
  ``HUBSCOUT_BACKUP_EVERY`` minutes, and the writer triggers a push after each burst of writes (at
  most one per :data:`MIN_PUSH_GAP_S`);
* at start, when the store has no sessions, the repo's files are downloaded and each is imported
  through the validated import keeping its id (``import_session(restore=True)``); a file that does not
  validate is skipped and named.

Nothing here deletes a session, locally or in the repo. Failures (no token, offline, 401/403, the Hub
not answering) never raise: :func:`status` says "backups off: …" (the sidebar and the Sessions page
show it), the full detail goes to the server log (redacted), and the start is retried every
``HUBSCOUT_BACKUP_EVERY`` minutes; sessions keep being saved in this instance's store meanwhile.

The status is kept as data (the reason as the thread got it: English, or a catalogue msgid) and put in words
by :meth:`Status.line` in the language of the page that asks.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lib import format as fmt
from lib import logs
from lib.hub import backup as hub_backup
from lib.hub.errors import HubError
from lib.i18n import N_, _
from lib.settings import get_settings

from . import changes, store
from .errors import SessionError, SessionNotFound

__all__ = ["Status", "ensure_started", "status", "sync", "stop", "restore", "write_session", "folder",
           "DEBOUNCE_S", "MAX_DELAY_S", "MIN_PUSH_GAP_S"]

DEBOUNCE_S = 2.0
MAX_DELAY_S = 15.0
MIN_PUSH_GAP_S = 30.0
RETRY_WRITE_S = 10.0  # a session whose export failed is tried again this much later
PATTERN = "sessions/*.json"  # i18n: a file pattern
UNKNOWN_ERROR = N_("unknown error")
OFFLINE = N_("offline mode (HF_HUB_OFFLINE=1)")


@dataclass(frozen=True)
class Status:
    """Where backups stand. state: ``off`` (not configured), ``starting`` (restoring / connecting),
    ``on`` (the scheduler runs), ``failed`` (backups off for a reason, retried)."""

    state: str
    repo: str | None = None
    reason: str | None = None
    last_push: datetime | None = None
    push_error: str | None = None
    pending: bool = False
    restored: int = 0
    skipped: tuple[str, ...] = ()

    def line(self) -> str | None:
        """One line for people, in the current language (None when backups are not configured). A reason that
        is a catalogue message (:data:`OFFLINE`, the Hub's fixed messages) is translated here."""
        if self.state == "off":
            return None
        if self.state == "starting":
            return _("Backups: connecting to {repo} (restoring sessions if this store is empty)…").format(
                repo=self.repo)
        if self.state == "failed":
            return _("Backups off: {reason}. Sessions are kept in this instance's store; retrying.").format(
                reason=_(self.reason) if self.reason else _(UNKNOWN_ERROR))
        when = _utc(self.last_push) if self.last_push else None
        if self.push_error:
            error = _(self.push_error)
            if when:
                return _("Backup to {repo} failed: {error} (last good {when}); retrying.").format(
                    repo=self.repo, error=error, when=when)
            return _("Backup to {repo} failed: {error}; retrying.").format(repo=self.repo, error=error)
        if self.pending or not when:
            if when:
                return _("Backup to {repo}: changes pending (last pushed {when})").format(repo=self.repo, when=when)
            return _("Backup to {repo}: changes pending").format(repo=self.repo)
        return _("Backed up to {repo} at {when}").format(repo=self.repo, when=when)


def _utc(when: datetime) -> str:
    """A moment in UTC, the day in the language's style and a 24-hour time (``Mar 5, 2024 14:03 UTC``)."""
    when = when.astimezone(UTC) if when.tzinfo else when
    return f"{fmt.date(when)} {when:%H:%M} UTC"


def folder(data_dir: Path | None = None) -> Path:
    """The folder the scheduler watches (``sessions/<id>.json`` under it)."""
    return (data_dir or get_settings().data_dir) / "backup"


def write_session(session_id: str, root: Path) -> bool:
    """Export one session into ``root/sessions/<id>.json``; True when the file changed (written
    atomically: the scheduler never reads half a file)."""
    data = json.dumps(store.export_session(session_id), ensure_ascii=False, sort_keys=True).encode()
    path = root / "sessions" / f"{session_id}.json"
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = root.parent / "backup-tmp"  # outside the watched folder
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, suffix=".json")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return True


def restore(repo_id: str, data_dir: Path) -> tuple[int, list[str]]:
    """Import every session file of the repo (ids kept) whose session is not in the store. Returns
    (sessions restored, files skipped with the reason). Raises HubError when the repo cannot be read."""
    data_dir.mkdir(parents=True, exist_ok=True)
    dest = Path(tempfile.mkdtemp(prefix="restore-", dir=data_dir))
    try:
        files = hub_backup.download(repo_id, dest, pattern=PATTERN)
        present = {s.id for s in store.list_sessions(limit=1_000_000)}
        n, skipped = 0, []
        for path in files:
            if path.stem in present:
                continue
            try:
                store.import_session(path.read_bytes(), restore=True)
                n += 1
            except (SessionError, OSError) as e:  # SessionFormatError is a SessionError
                skipped.append(f"{path.name}: {logs.for_people(e, 200)}")
        return n, skipped
    finally:
        shutil.rmtree(dest, ignore_errors=True)


class _Backups:
    """The process's backup: the writer thread, the scheduler and the status."""

    def __init__(self, repo: str, data_dir: Path, every: float) -> None:
        self.repo, self.data_dir, self.every = repo, data_dir, every
        self.root = folder(data_dir)
        self.cond = threading.Condition()
        self.dirty: set[str] = set()
        self.writing: set[str] = set()
        self.first_dirty = self.last_dirty = 0.0
        self.hub: hub_backup.Backup | None = None
        self.state, self.reason = "starting", None
        self.restored, self.skipped = 0, ()
        self.last_ok: hub_backup.PushResult | None = None
        self.push_error: str | None = None
        self.last_write = 0.0  # wall clock of the newest file written
        self.push_wanted = False
        self.last_trigger = 0.0
        self.next_connect = 0.0
        self.stopped = False
        self.needs_restore: bool | None = None  # decided once: the store was empty at the first start
        self.store_url = get_settings().store_url
        self.thread = threading.Thread(target=self._loop, name="session-backup", daemon=True)

    # ---- listeners ------------------------------------------------------------------------------
    def mark(self, session_id: str) -> None:
        with self.cond:
            now = time.monotonic()
            if not self.dirty:
                self.first_dirty = now
            self.dirty.add(session_id)
            self.last_dirty = now
            self.cond.notify()

    def on_push(self, result: hub_backup.PushResult) -> None:
        with self.cond:
            if result.ok:
                self.last_ok, self.push_error = result, None
            else:
                self.push_error = result.error.message if result.error else UNKNOWN_ERROR
        if not result.ok and result.cause is not None:
            logs.log_failure(result.cause, f"session backup push to {self.repo}", "backup")  # i18n: a log's context

    # ---- the writer thread -------------------------------------------------------------------------
    def _connect(self) -> None:
        """Restore when the store is empty, then start the scheduler. Sets state on/failed."""
        from lib.hub.policy import is_offline

        try:
            if self.needs_restore is None:
                self.needs_restore = not store.list_sessions(limit=1)
            if is_offline():
                raise HubError(OFFLINE, "offline")
            if self.needs_restore:
                with self.cond:
                    self.state = "starting"
                self.restored, skipped = restore(self.repo, self.data_dir)
                self.skipped = tuple(skipped)
                self.needs_restore = False
            self.hub = hub_backup.start(self.repo, self.root, every=self.every, on_push=self.on_push)
        except Exception as e:  # noqa: BLE001 - backups off for a reason, said once, retried later
            with self.cond:
                self.state = "failed"
                self.reason = e.message if isinstance(e, HubError) else logs.for_people(e, 200)
                self.next_connect = time.monotonic() + self.every * 60
            logs.log_failure(e, f"session backup to {self.repo}", "backup")  # i18n: a log's context
            return
        # at a clean exit (SIGTERM) the sessions changed within the debounce are written first: this
        # handler, registered after the scheduler's own final push, runs before it
        atexit.register(self._write_at_exit)
        with self.cond:
            self.state, self.reason = "on", None
            self.push_wanted = True

    def _write_at_exit(self) -> None:
        if not self.stopped:
            self._write_dirty()

    def _write_dirty(self) -> None:
        with self.cond:
            ids, self.dirty = self.dirty, set()
            self.writing = ids  # still pending while being written
        wrote, failed = False, set()
        for sid in sorted(ids):
            try:
                wrote |= write_session(sid, self.root)
            except SessionNotFound:
                continue
            except Exception as e:  # noqa: BLE001 - a failed export (disk full…) is logged and tried again later
                logs.log_failure(e, f"session backup: writing {sid}", "backup")  # i18n: a log's context
                failed.add(sid)
        with self.cond:
            if failed:
                self.dirty |= failed
                self.first_dirty = self.last_dirty = time.monotonic() + RETRY_WRITE_S
            if wrote:
                self.last_write = time.time()
                self.push_wanted = True
            self.writing = set()

    def _loop(self) -> None:
        changes.subscribe(self.mark)
        try:
            for s in store.list_sessions(limit=1_000_000):  # the folder mirrors the store (unchanged files kept)
                self.mark(s.id)
        except Exception as e:  # noqa: BLE001 - the store will say so on the pages too
            logs.log_failure(e, "session backup: listing sessions", "backup")  # i18n: a log's context
        self._connect()
        while True:
            with self.cond:
                while not self.stopped:
                    now = time.monotonic()
                    waits = []
                    if self.dirty:
                        due = min(self.last_dirty + DEBOUNCE_S, self.first_dirty + MAX_DELAY_S)
                        waits.append(due - now)
                    if self.push_wanted and self.hub is not None:
                        waits.append(self.last_trigger + MIN_PUSH_GAP_S - now)
                    if self.state == "failed":
                        waits.append(self.next_connect - now)
                    if waits and min(waits) <= 0:
                        break
                    self.cond.wait(min(waits) if waits else None)
                if self.stopped:
                    return
                write = bool(self.dirty) and min(self.last_dirty + DEBOUNCE_S,
                                                 self.first_dirty + MAX_DELAY_S) <= time.monotonic()
                connect = self.state == "failed" and self.next_connect <= time.monotonic()
            try:
                if write:
                    self._write_dirty()
                if connect:
                    self._connect()
                self._maybe_trigger()
            except Exception as e:  # noqa: BLE001 - the thread lives on; the next change tries again
                logs.log_failure(e, "session backup", "backup")  # i18n: a log's context
                time.sleep(1.0)

    def _maybe_trigger(self) -> None:
        with self.cond:
            if self.hub is None or not self.push_wanted or time.monotonic() - self.last_trigger < MIN_PUSH_GAP_S:
                return
            self.push_wanted, self.last_trigger = False, time.monotonic()
        self.hub.trigger()

    def status(self) -> Status:
        with self.cond:
            last = self.last_ok.at if self.last_ok else None
            started = self.last_ok.started.timestamp() if self.last_ok else 0.0
            pending = bool(self.dirty or self.writing) or self.last_write > started
            return Status(self.state, self.repo, self.reason, last, self.push_error, pending, self.restored,
                          self.skipped)

    def sync(self, timeout: float | None) -> None:
        self._write_dirty()
        if self.hub is not None:
            self.hub.push_now(timeout)

    def stop(self) -> None:
        changes.unsubscribe(self.mark)
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        if self.hub is not None:
            self.hub.stop()


_lock = threading.Lock()
_current: _Backups | None = None


def ensure_started() -> Status:
    """Start the backup of this process once (a no-op while the settings stay the same): the restore
    and the scheduler run in a background thread. Returns the current :class:`Status`."""
    global _current
    s = get_settings()
    if not s.backup_repo:
        if _current is not None:
            stop()
        return Status("off")
    key = (s.backup_repo, s.data_dir, s.backup_every, s.store_url)
    with _lock:
        cur = _current
        if cur is None or (cur.repo, cur.data_dir, cur.every, cur.store_url) != key:
            if cur is not None:
                cur.stop()
            cur = _Backups(s.backup_repo, s.data_dir, s.backup_every)
            _current = cur
            cur.thread.start()
    return cur.status()


def status() -> Status:
    """Where backups stand (``Status("off")`` when not configured or not started)."""
    cur = _current
    return cur.status() if cur is not None else Status("off")


def sync(timeout: float | None = 60.0) -> Status:
    """Write every changed session now and push, waiting for the push (tests; a clean shutdown)."""
    cur = _current
    if cur is not None:
        cur.sync(timeout)
    return status()


def stop() -> None:
    """Stop the writer and the scheduler (tests; settings changed)."""
    global _current
    with _lock:
        cur, _current = _current, None
    if cur is not None:
        cur.stop()
