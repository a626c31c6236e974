"""Measured peak memory per (model, dtype, device), recorded after test-drive runs.

Kept in the store (:mod:`lib.store`, table ``measured_peaks``): ``MeasuredStore()`` uses the
configured store (``HUBSCOUT_DATABASE_URL``, else ``<HUBSCOUT_DATA_DIR>/hubscout.db``);
``MeasuredStore(directory)`` the SQLite file in that directory. One row per (model, dtype, device):
a new measurement replaces the old one (an upsert, so concurrent writers never lose each other's rows).

Earlier versions kept a ``measured.json`` in the data directory: the first store opened for that
directory imports it once (rows already in the store win), notes the import in the ``meta`` table,
and leaves the file where it is. An unreadable file is skipped (and noted), never an error.

SQLAlchemy is imported on first use, not at import: ``lib.fit`` is on Discover's path.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Measurement", "MeasuredStore", "default_dir", "LEGACY_FILENAME"]

LEGACY_FILENAME = "measured.json"
_imported: set[tuple[str, str]] = set()  # (store url, legacy file) already checked in this process
_import_lock = threading.Lock()


def default_dir() -> Path:
    """The data directory (``HUBSCOUT_DATA_DIR``, default ``~/.cache/hubscout``)."""
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
    """Read/write measured peaks. ``MeasuredStore()``: the configured store; ``MeasuredStore(dir)``:
    the SQLite store in ``dir``.

    ``url`` is the store's URL with any password masked; ``path`` the SQLite file (None for a server).
    """

    def __init__(self, directory: str | Path | None = None):
        from lib.settings import DATABASE_FILENAME, get_settings

        settings = get_settings()
        if directory is not None:
            self.directory = Path(directory).expanduser()
            self._url = f"sqlite:///{self.directory / DATABASE_FILENAME}"
        else:
            self.directory = settings.data_dir
            self._url = settings.store_url
        self.path: Path | None = (self.directory / DATABASE_FILENAME
                                  if self._url == f"sqlite:///{self.directory / DATABASE_FILENAME}" else None)
        from lib.settings import _mask_url

        self.url = _mask_url(self._url) or ""

    def __repr__(self) -> str:
        return f"MeasuredStore({self.url!r})"

    # --------------------------------------------------------------------------- internals
    def _session(self, write: bool = False):
        from lib import store

        self._import_legacy()
        return store.session(self._url, write=write)

    def _import_legacy(self) -> None:
        """Import ``<directory>/measured.json`` into this store once (see the module doc)."""
        legacy = self.directory / LEGACY_FILENAME
        key = (self._url, str(legacy))
        if key in _imported:
            return
        with _import_lock:
            if key in _imported:
                return
            if legacy.is_file():
                _import_json(self._url, legacy)
            _imported.add(key)

    @staticmethod
    def _measurement(row) -> Measurement:
        return Measurement(row.model_id, row.dtype, row.device, int(row.peak_bytes), row.context_tokens,
                           float(row.measured_at or 0.0), row.note or "")

    # --------------------------------------------------------------------------- API
    def record(self, model_id: str, dtype: str, device: str, peak_bytes: int, *,
               context_tokens: int | None = None, note: str = "") -> Measurement:
        """Store (replace) the measurement for (model, dtype, device) and return it."""
        if not model_id or peak_bytes is None or int(peak_bytes) <= 0:
            raise ValueError("a measurement needs a model id and a positive peak")  # i18n: a programmer's error
        from lib import store
        from lib.store.models import MeasuredPeak

        m = Measurement(str(model_id), str(dtype), str(device), int(peak_bytes),
                        None if context_tokens is None else int(context_tokens), time.time(), str(note))
        with self._session(write=True) as s:
            store.upsert(s, MeasuredPeak, {
                "model_id": m.model_id, "dtype": m.dtype, "device": m.device, "peak_bytes": m.peak_bytes,
                "context_tokens": m.context_tokens, "measured_at": m.measured_at, "note": m.note})
        return m

    def lookup(self, model_id: str, dtype: str | None = None, device: str | None = None) -> list[Measurement]:
        """Measurements for a model (optionally one dtype/device), newest first."""
        from sqlalchemy import select

        from lib.store.models import MeasuredPeak

        q = select(MeasuredPeak).where(MeasuredPeak.model_id == model_id)
        if dtype is not None:
            q = q.where(MeasuredPeak.dtype == dtype)
        if device is not None:
            q = q.where(MeasuredPeak.device == device)
        with self._session() as s:
            rows = s.scalars(q.order_by(MeasuredPeak.measured_at.desc())).all()
            return [self._measurement(r) for r in rows]

    def get(self, model_id: str, dtype: str, device: str) -> Measurement | None:
        found = self.lookup(model_id, dtype, device)
        return found[0] if found else None


def _legacy_rows(path: Path) -> list[Measurement] | None:
    """The measurements of a legacy ``measured.json``; None when it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    out = []
    for row in data.values():
        try:
            m = Measurement(**row)
            if m.model_id and int(m.peak_bytes) > 0:
                out.append(m)
        except (TypeError, ValueError):
            continue
    return out


def _import_json(url: str, path: Path) -> None:
    from sqlalchemy.exc import IntegrityError

    from lib import store
    from lib.store.models import MeasuredPeak, Meta

    marker = f"import:{LEGACY_FILENAME}:{path.resolve()}"
    try:
        with store.session(url, write=True) as s:
            if store.meta_get(s, marker) is not None:
                return
            rows = _legacy_rows(path)
            for m in rows or ():
                store.upsert(s, MeasuredPeak, {
                    "model_id": m.model_id, "dtype": m.dtype, "device": m.device, "peak_bytes": int(m.peak_bytes),
                    "context_tokens": m.context_tokens, "measured_at": float(m.measured_at or 0.0),
                    "note": m.note or ""}, update=())  # rows already in the store are newer: kept
            note = "unreadable, skipped" if rows is None else f"{len(rows)} rows"  # i18n: a store marker, not shown
            s.add(Meta(key=marker, value=f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {note}"))
    except IntegrityError:  # another process imported it at the same moment
        pass
