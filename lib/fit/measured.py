"""Measured peak memory per (model, dtype, device), recorded by test-drive runs.

A small JSON store (default ``~/.cache/hubscout/measured.json``; ``$HUBSCOUT_DATA_DIR/measured.json``
when that variable is set, or any directory passed in). Writes go to a temporary file in the same
directory followed by an atomic ``os.replace``, under an advisory ``fcntl`` lock where available,
so concurrent threads/processes never leave a half-written file (last writer wins per key).
A corrupt or unreadable file reads as empty instead of raising.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

_LOCK = threading.Lock()
FILENAME = "measured.json"


def default_dir() -> Path:
    from lib.settings import get_settings

    return get_settings().data_dir


@dataclass(frozen=True)
class Measurement:
    """One measured run: peak bytes of ``model_id`` at ``dtype`` on ``device`` (``cpu``/``cuda``)."""

    model_id: str
    dtype: str
    device: str
    peak_bytes: int
    context_tokens: int | None = None
    measured_at: float = 0.0  # unix time
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.model_id}|{self.dtype}|{self.device}"


class MeasuredStore:
    """Read/write measured peaks. ``MeasuredStore()`` uses :func:`default_dir`."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else default_dir()
        self.path = self.directory / FILENAME

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with _LOCK:
            try:
                import fcntl
            except ImportError:  # Windows: the thread lock + atomic replace still hold
                yield
                return
            with open(self.directory / (FILENAME + ".lock"), "a+") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)

    def record(self, model_id: str, dtype: str, device: str, peak_bytes: int, *,
               context_tokens: int | None = None, note: str = "") -> Measurement:
        """Store (replace) the measurement for (model, dtype, device) and return it."""
        if not model_id or peak_bytes is None or int(peak_bytes) <= 0:
            raise ValueError("a measurement needs a model id and a positive peak")
        m = Measurement(str(model_id), str(dtype), str(device), int(peak_bytes), context_tokens, time.time(), note)
        with self._locked():
            data = self._read()
            data[m.key] = asdict(m)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".measured-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, indent=1, sort_keys=True)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return m

    def lookup(self, model_id: str, dtype: str | None = None, device: str | None = None) -> list[Measurement]:
        """Measurements for a model (optionally one dtype/device), newest first."""
        out = []
        for row in self._read().values():
            try:
                m = Measurement(**row)
            except TypeError:
                continue
            if m.model_id == model_id and (dtype is None or m.dtype == dtype) and (device is None or m.device == device):
                out.append(m)
        return sorted(out, key=lambda m: -m.measured_at)

    def get(self, model_id: str, dtype: str, device: str) -> Measurement | None:
        found = self.lookup(model_id, dtype, device)
        return found[0] if found else None
