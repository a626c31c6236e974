"""Measured speeds per model and backend (store table ``run_speeds``), beside the speed estimate: written by the
jobs (the runner measures, its caller records, as measured peaks), read back per backend.

Local runs (:func:`record`): the runner times each input (``Executed.timings``:
:class:`lib.tasks.timing.TokenTiming` for the inputs that generated; ``latencies``); the job records one row per
run: backend ``local:<device>``, prompt / new tokens, TTFT, decode and prefill tokens/s, latency — and the
estimate for the same model, dtype and context on this machine (:func:`lib.fit.speed.estimate_speed`, with the
host probe's stored figures; none when this machine was never probed).

Remote runs (:mod:`lib.jobs.remote`): :func:`result_row` is the row of a remote RunResult (TTFT, tokens/s,
latency, tokens streamed) under :func:`backend_key` — where it ran, never with a secret: ``providers:<provider>``,
``url:<scheme>://<host>:<port>`` (the port always written, the path left out), ``local:<device family>``; a job
hands its rows to :func:`write_later` as it finishes (a background writer, one transaction: its waiters never
wait for the commit); :func:`flush` waits for them. :func:`write` / :func:`record_figures` write now.

Reading: :func:`lookup` (the newest rows of a model); :func:`recent` (``recent(model, backend=None, last=20)``
-> one :class:`SpeedSummary` per backend: medians over that backend's last rows, most runs first).
A store that cannot be written or read never fails a run or a page.
"""
from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lib.i18n import _

from .measured import device_family


def _params(loaded: Any) -> int | None:
    model = getattr(loaded, "model", None)
    if model is None and getattr(loaded, "pipe", None) is not None:
        model = getattr(loaded.pipe, "model", None)
    try:
        return int(sum(p.numel() for p in model.parameters())) if model is not None else None
    except Exception:  # noqa: BLE001 - not a torch module (a sentence-transformers wrapper …): no count
        return None


def estimate_for(model_id: str, task: str, config: dict, params: int | None, dtype: str, device: str,
                 prompt: int | None, new: int | None, url: str | None = None):
    """The speed estimate (:class:`lib.fit.speed.SpeedEstimate`) for a run here, None without one."""
    from lib.fit import host_probe
    from lib.fit.spec import ModelSpec, model_config
    from lib.fit.speed import estimate_speed

    host = host_probe.host_speed(host_probe.cached(url), device=device)
    if host is None or not params:
        return None
    spec = ModelSpec(model_id=model_id, params_total=params, params_exact=True, config=model_config(config),
                     pipeline_tag=task)
    try:
        return estimate_speed(spec, host, dtype, context_tokens=(prompt or 0) + (new or 0) or None,
                              prompt_tokens=prompt or None)
    except ValueError:
        return None


def row(model_id: str, task: str, device: str, dtype: str, timed: Sequence[tuple[Any, float]],
        estimate: Any = None) -> dict[str, Any] | None:
    """The ``run_speeds`` row of a run: the last input that generated (its timing), else the median
    latency per input; None when nothing was timed."""
    if not timed:
        return None
    gen = [(t, lat) for t, lat in timed if t is not None and t.new_tokens]
    out: dict[str, Any] = {"model_id": model_id, "backend": f"local:{device_family(device)}", "task": task,
                           "dtype": dtype, "measured_at": time.time()}
    if gen:
        t, lat = gen[-1]
        out.update(prompt_tokens=t.prompt_tokens, new_tokens=t.new_tokens, ttft_s=t.ttft_s,
                   tokens_per_s=t.decode_tokens_per_s, prefill_tokens_per_s=t.prefill_tokens_per_s, latency_s=lat)
    else:
        out["latency_s"] = statistics.median(lat for _, lat in timed)
    if estimate is not None and estimate.generative:
        out.update(estimated_tokens_per_s=estimate.decode_tokens_per_s,
                   estimated_prefill_tokens_per_s=estimate.prefill_tokens_per_s)
    return out


def record(job: Any, prep: Any, timed: Sequence[tuple[Any, float]]) -> bool:
    """Store the run's speed (see the module doc); True when a row was written."""
    try:
        url = getattr(job.store, "_url", None)  # the job's MeasuredStore: the same database
        loaded = prep.loaded
        draft = row(job.model, job.task, loaded.device, loaded.dtype, timed)
        if draft is None:
            return False
        est = None
        if draft.get("prompt_tokens"):
            est = estimate_for(job.model, job.task, prep.config, _params(loaded), loaded.dtype,
                               device_family(loaded.device), draft["prompt_tokens"], draft.get("new_tokens"), url)
        values = row(job.model, job.task, loaded.device, loaded.dtype, timed, est)
        from lib import store
        from lib.store.models import RunSpeed

        with store.session(url, write=True) as s:
            s.add(RunSpeed(**values))
        return True
    except Exception:  # noqa: BLE001 - any store failure must not fail the run
        return False


def lookup(model_id: str, url: str | None = None, limit: int = 20) -> list[Any]:
    """The newest measured speeds of ``model_id`` (RunSpeed rows, detached), newest first; [] on failure."""
    try:
        from sqlalchemy import select

        from lib import store
        from lib.store.models import RunSpeed

        with store.session(url) as s:
            rows = s.scalars(select(RunSpeed).where(RunSpeed.model_id == model_id)
                             .order_by(RunSpeed.measured_at.desc()).limit(limit)).all()
            s.expunge_all()
            return list(rows)
    except Exception:  # noqa: BLE001 - a broken store: nothing measured
        return []


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
        kind, _sep, rest = self.backend.partition(":")
        if kind == "providers":
            return _("Inference Providers ({provider})").format(provider=rest)
        if kind == "url":
            return urlsplit(rest).netloc or rest
        return _("this machine ({device})").format(device=rest) if rest else _("this machine")


def _url(store: Any) -> str | None:
    """A store argument as an SQLAlchemy URL: None (the configured store), a URL, or a MeasuredStore."""
    if store is None or isinstance(store, str):
        return store
    return getattr(store, "_url", None)


def figures_row(model: str, task: str, backend: str, *, ttft_s: float | None = None,
                tokens_per_s: float | None = None, latency_s: float | None = None, new_tokens: int | None = None,
                prompt_tokens: int | None = None, dtype: str = "") -> dict[str, Any]:
    """One ``run_speeds`` row (``backend``: a :func:`backend_key`), measured now."""
    return dict(model_id=str(model)[:256], backend=backend[:256], task=str(task)[:64], dtype=dtype[:32],
                prompt_tokens=prompt_tokens, new_tokens=new_tokens, ttft_s=ttft_s, tokens_per_s=tokens_per_s,
                latency_s=latency_s, measured_at=time.time())


def result_row(model: str, task: str, backend: Any, result: Any) -> dict[str, Any]:
    """The row of a remote run's RunResult (its ``remote`` figures and latency)."""
    stats = getattr(result, "remote", None)
    return figures_row(model, task, backend_key(backend), ttft_s=getattr(stats, "ttft_s", None),
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

        log_failure(e, f"recording {len(rows)} run speed(s)", "jobs")  # i18n: log context
        return False


_pending: list[tuple[Any, list[dict[str, Any]]]] = []
_pending_lock = threading.Lock()
_idle = threading.Condition(_pending_lock)
_writing = False
_writer: Any = None  # a one-thread executor, made on the first write_later
_now = threading.Event()  # set by flush(): write what is pending without waiting for more
#: the writer gathers the rows handed over within this long into one transaction (a burst of one-item jobs —
#: a session's cells, the Playground's runs — costs one commit, not one per job; flush() cuts it short)
GATHER_S = 0.25


def write_later(rows: list[dict[str, Any]], store: Any = None) -> None:
    """Hand ``rows`` to the background writer (one thread: a job's waiters do not wait for the store's commit;
    rows handed over within :data:`GATHER_S` share a transaction); :func:`recent` and :func:`flush` see them
    written."""
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
        _now.wait(GATHER_S)
        with _pending_lock:
            batch = list(_pending)
            _pending.clear()
            if not batch:
                _writing = False
                _now.clear()
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
        if not _writing and not _pending:
            return True
        _now.set()
        return _idle.wait_for(lambda: not _writing and not _pending, timeout)


def record_figures(model: str, task: str, backend: str, *, store: Any = None, **figures: Any) -> bool:
    """Write one row now (``figures``: :func:`figures_row`'s)."""
    return write([figures_row(model, task, backend, **figures)], store)


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

        log_failure(e, f"reading the speeds of {model}", "jobs")  # i18n: log context
        return []
    out = [SpeedSummary(key, len(runs), _median([r[0] for r in runs]), _median([r[1] for r in runs]),
                        _median([r[2] for r in runs])) for key, runs in per.items() if runs]
    return sorted(out, key=lambda s: (-s.runs, s.backend))


__all__ = ["SpeedSummary", "backend_key", "estimate_for", "figures_row", "flush", "lookup", "recent", "record",
           "record_figures", "result_row", "row", "write", "write_later"]
