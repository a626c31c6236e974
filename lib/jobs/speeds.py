"""Measured speeds per model and backend (the store's ``run_speeds`` table): written by the jobs (the runner
measures, its caller records, as measured peaks), read back as per-backend medians.

* :func:`backend_key` — where a run went, never with a secret: ``providers:<provider>``,
  ``url:<scheme>://<host>:<port>`` (the port always written, the path left out), ``local:<device family>``.
* :func:`record_result` — one row from a remote run's :class:`~lib.runner.RunResult` (time to first token,
  tokens/s, latency, tokens streamed). A store that cannot be written never fails the run.
* :func:`recent` — ``recent(model, backend=None, last=20)`` -> one :class:`SpeedSummary` per backend: the medians
  over that backend's last ``last`` rows for the model, most runs first.

No streamlit here.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["SpeedSummary", "backend_key", "record", "record_result", "recent"]

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


def record(model: str, task: str, backend: str, *, ttft_s: float | None = None, tokens_per_s: float | None = None,
           latency_s: float | None = None, new_tokens: int | None = None, prompt_tokens: int | None = None,
           dtype: str = "", store: Any = None) -> bool:
    """Write one row (``backend``: a :func:`backend_key`); True when written, False when the store failed."""
    try:
        from lib import store as db
        from lib.store.models import RunSpeed

        with db.session(_url(store), write=True) as s:
            s.add(RunSpeed(model_id=str(model)[:256], backend=backend[:256], task=str(task)[:64], dtype=dtype[:32],
                           prompt_tokens=prompt_tokens, new_tokens=new_tokens, ttft_s=ttft_s,
                           tokens_per_s=tokens_per_s, latency_s=latency_s, measured_at=time.time()))
        return True
    except Exception as e:  # noqa: BLE001 - a store that cannot be written must not fail the run
        from lib.logs import log_failure

        log_failure(e, f"recording the speed of {model}", "jobs")
        return False


def record_result(model: str, task: str, backend: Any, result: Any, store: Any = None) -> bool:
    """One row from a remote run's RunResult (its ``remote`` figures and latency)."""
    stats = getattr(result, "remote", None)
    return record(model, task, backend_key(backend), ttft_s=getattr(stats, "ttft_s", None),
                  tokens_per_s=getattr(stats, "tokens_per_s", None), latency_s=getattr(result, "latency_s", None),
                  new_tokens=getattr(stats, "tokens", None), dtype="remote", store=store)


def _median(values: list[float | None]) -> float | None:
    got = [float(v) for v in values if v is not None]
    return statistics.median(got) if got else None


def recent(model: str, backend: Any = None, *, last: int = 20, store: Any = None) -> list[SpeedSummary]:
    """Per backend, the medians of the last ``last`` runs of ``model`` (``backend``: a Backend or a key, to read
    that one alone). Most runs first; [] when nothing was measured or the store cannot be read."""
    from sqlalchemy import select

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
