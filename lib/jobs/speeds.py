"""Measured speeds per model and backend (the store's ``run_speeds`` table): written by the jobs (the runner
measures, its caller records, as measured peaks), read back as per-backend medians.

* :func:`backend_key` — where a run went, never with a secret: ``providers:<provider>``,
  ``url:<scheme>://<host>:<port>`` (the port always written, the path left out), ``local:<device family>``.
* :func:`result_row` — the row of a remote run's :class:`~lib.runner.RunResult` (time to first token, tokens/s,
  latency, tokens streamed); :func:`write_later` — rows for the background writer (a job hands its rows over as
  it finishes: its waiters never wait for the commit), :func:`flush` waits for them (:func:`recent` does);
  :func:`write` — rows in one transaction now; :func:`record` — one row now. A store that cannot be written
  never fails the run.
* :func:`recent` — ``recent(model, backend=None, last=20)`` -> one :class:`SpeedSummary` per backend: the medians
  over that backend's last ``last`` rows for the model, most runs first.

No streamlit here.
"""
from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["SpeedSummary", "backend_key", "flush", "record", "recent", "result_row", "row", "write", "write_later"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def backend_key(backend: Any, device: str | None = None) -> str:
    """The backend as the store keeps it (see the module doc); a token is never part of it."""
    kind = getattr(backend, "kind", "local") if backend is not None else "local"
    if kind == "providers":
        return f"providers:{(backend.provider or 'auto').strip().lower()}"
    if kind == "url":
        url = backend.base_url or ""
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            port = parts.port or _DEFAULT_PORTS.get(scheme)
        except ValueError:
            return "url:?"
        host = (parts.hostname or "").lower()
        host = f"[{host}]" if ":" in host else host
        return f"url:{scheme}://{host}:{port}" if port else f"url:{scheme}://{host}"
    from .measured import device_family

    return f"local:{device_family(device or 'cpu')}"


@dataclass(frozen=True)
class SpeedSummary:
    """Medians of one backend's recent runs of a model (None: no run measured it)."""

    backend: str
    runs: int
    ttft_s: float | None = None
    tokens_per_s: float | None = None
    latency_s: float | None = None

    @property
    def label(self) -> str:
        """The backend key in words: ``Inference Providers (together)``, ``127.0.0.1:8080``, ``this machine (cpu)``."""
        kind, _, rest = self.backend.partition(":")
        if kind == "providers":
            return f"Inference Providers ({rest})"
        if kind == "url":
            return urlsplit(rest).netloc or rest
        return f"this machine ({rest})" if rest else "this machine"


def _url(store: Any) -> str | None:
    """A store argument as an SQLAlchemy URL: None (the configured store), a URL, or a MeasuredStore."""
    if store is None or isinstance(store, str):
        return store
    return getattr(store, "_url", None)


def row(model: str, task: str, backend: str, *, ttft_s: float | None = None, tokens_per_s: float | None = None,
        latency_s: float | None = None, new_tokens: int | None = None, prompt_tokens: int | None = None,
        dtype: str = "") -> dict[str, Any]:
    """One ``run_speeds`` row (``backend``: a :func:`backend_key`), measured now."""
    return dict(model_id=str(model)[:256], backend=backend[:256], task=str(task)[:64], dtype=dtype[:32],
                prompt_tokens=prompt_tokens, new_tokens=new_tokens, ttft_s=ttft_s, tokens_per_s=tokens_per_s,
                latency_s=latency_s, measured_at=time.time())


def result_row(model: str, task: str, backend: Any, result: Any) -> dict[str, Any]:
    """The row of a remote run's RunResult (its ``remote`` figures and latency)."""
    stats = getattr(result, "remote", None)
    return row(model, task, backend_key(backend), ttft_s=getattr(stats, "ttft_s", None),
               tokens_per_s=getattr(stats, "tokens_per_s", None), latency_s=getattr(result, "latency_s", None),
               new_tokens=getattr(stats, "tokens", None), dtype="remote")


def write(rows: list[dict[str, Any]], store: Any = None) -> bool:
    """Write ``rows`` in one transaction (a job writes its items' rows once, as it finishes: a write per item
    would cost a transaction each); True when written, False when the store failed (logged, never raised)."""
    if not rows:
        return True
    try:
        from sqlalchemy import insert

        from lib import store as db
        from lib.store.models import RunSpeed

        with db.session(_url(store), write=True) as s:
            s.execute(insert(RunSpeed.__table__), rows)
        return True
    except Exception as e:  # noqa: BLE001 - a store that cannot be written must not fail the run
        from lib.logs import log_failure

        log_failure(e, f"recording {len(rows)} run speed(s)", "jobs")
        return False


_pending: list[tuple[Any, list[dict[str, Any]]]] = []
_pending_lock = threading.Lock()
_idle = threading.Condition(_pending_lock)
_writing = False
_writer: Any = None  # a one-thread executor, made on the first write_later


def write_later(rows: list[dict[str, Any]], store: Any = None) -> None:
    """Hand ``rows`` to the background writer (one thread: a job's waiters do not wait for the store's commit);
    :func:`recent` and :func:`flush` see them written."""
    global _writing, _writer
    if not rows:
        return
    url = _url(store)
    if url is None:  # the store configured now (a later change of settings must not move these rows)
        from lib.settings import get_settings

        url = get_settings().store_url
    with _pending_lock:
        _pending.append((url, rows))
        if _writing:
            return
        _writing = True
        if _writer is None:
            from concurrent.futures import ThreadPoolExecutor

            _writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubscout-speeds")
        writer = _writer
    writer.submit(_drain)


def _drain() -> None:
    global _writing
    while True:
        with _pending_lock:
            batch = list(_pending)
            _pending.clear()
            if not batch:
                _writing = False
                _idle.notify_all()
                return
        by_store: dict[Any, list[dict[str, Any]]] = {}
        for store, rows in batch:
            by_store.setdefault(_url(store), []).extend(rows)
        for url, rows in by_store.items():
            write(rows, url)


def flush(timeout: float = 10.0) -> bool:
    """Wait until every row handed to :func:`write_later` so far is written (or failed); True when idle."""
    with _pending_lock:
        return _idle.wait_for(lambda: not _writing and not _pending, timeout)


def record(model: str, task: str, backend: str, *, store: Any = None, **figures: Any) -> bool:
    """Write one row now (``figures``: :func:`row`'s)."""
    return write([row(model, task, backend, **figures)], store)


def _median(values: list[float | None]) -> float | None:
    got = [float(v) for v in values if v is not None]
    return statistics.median(got) if got else None


def recent(model: str, backend: Any = None, *, last: int = 20, store: Any = None) -> list[SpeedSummary]:
    """Per backend, the medians of the last ``last`` runs of ``model`` (``backend``: a Backend or a key, to read
    that one alone). Most runs first; [] when nothing was measured or the store cannot be read."""
    from sqlalchemy import select

    flush()  # the rows this process's jobs handed over are read too
    try:
        from lib import store as db
        from lib.store.models import RunSpeed

        cols = (RunSpeed.ttft_s, RunSpeed.tokens_per_s, RunSpeed.latency_s)
        with db.session(_url(store)) as s:
            if backend is not None:
                keys = [backend if isinstance(backend, str) else backend_key(backend)]
            else:
                keys = list(s.scalars(select(RunSpeed.backend).where(RunSpeed.model_id == model).distinct()))
            per = {key: s.execute(select(*cols).where(RunSpeed.model_id == model, RunSpeed.backend == key)
                                  .order_by(RunSpeed.measured_at.desc(), RunSpeed.id.desc())
                                  .limit(max(1, int(last)))).all() for key in keys}
    except Exception as e:  # noqa: BLE001 - no figures rather than a broken page
        from lib.logs import log_failure

        log_failure(e, f"reading the speeds of {model}", "jobs")
        return []
    out = [SpeedSummary(key, len(runs), _median([r[0] for r in runs]), _median([r[1] for r in runs]),
                        _median([r[2] for r in runs])) for key, runs in per.items() if runs]
    return sorted(out, key=lambda s: (-s.runs, s.backend))
