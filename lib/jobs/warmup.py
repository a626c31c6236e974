"""Warm the model runtime up in the background, so that a page's first Run does not pay for it.

The first run in a process pays once for importing torch and transformers (and sentence-transformers
for its models), transformers' pipeline machinery and torch's first kernels: several seconds, against
tens of milliseconds for the run itself. The Model page and the Playground call :func:`warm_up` when
they open; it returns at once and does that work on the job runner's threads, once per process.

Optionally (``preload``) it also loads one small model into the runner's cache, as a job with no
inputs, so that its first run skips the load too; the caller decides when that is sensible (the
model's files are on this machine and its estimate fits the memory budget).
"""
from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

_LOCK = threading.Lock()
_RUNTIME: Future | None = None
_EXTRAS: dict[str, Future] = {}
_PRELOADED: dict[tuple, Any] = {}

# sizes up to which a preload of a model's weights is considered (decimal bytes, as the Hub counts)
PRELOAD_MAX_BYTES = 1_000_000_000


def _runtime() -> None:
    """Import what every first run pays for, once."""
    from lib.runner import api

    api._note_host_rss()  # before torch: the measured peak must be comparable with lib.fit's estimate
    import torch

    from lib.runner import checks, code, device, inputs, loader, tasks  # noqa: F401 - the runner's own modules

    device.resolve("auto", "auto")
    import transformers

    transformers.pipeline  # noqa: B018 - the lazy module imports transformers.pipelines here
    transformers.AutoConfig, transformers.AutoTokenizer, transformers.AutoModel  # noqa: B018
    transformers.AutoModelForSequenceClassification  # noqa: B018
    with torch.inference_mode():  # torch's first kernels (thread pool, oneDNN) start once
        x = torch.ones(4, 32)
        torch.nn.functional.linear(x, torch.ones(32, 32)).softmax(-1)
        torch.nn.functional.layer_norm(x, (32,))


def _sentence_transformers() -> None:
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        pass


def warm_up(*, sentence_transformers: bool = False, preload: tuple[str, str, Any] | None = None,
            runner: Any = None) -> Future:
    """Start the runtime warm-up in the background (idempotent; returns the warm-up's future).

    ``sentence_transformers``: also import sentence-transformers (its models load through it).
    ``preload``: ``(model, task, RunOptions)`` to load into the model cache after the runtime is warm
    (once per model, task and options; refused loads and failures are silent, a Run reports them).
    """
    global _RUNTIME
    from .runner import default_runner

    runner = runner or default_runner()
    with _LOCK:
        if _RUNTIME is None:
            _RUNTIME = runner.background(_runtime)
        future = _RUNTIME
        if sentence_transformers and "st" not in _EXTRAS:
            _EXTRAS["st"] = Future()
            future.add_done_callback(lambda _f: _chain(_EXTRAS["st"], runner.background(_sentence_transformers)))
        if preload is not None:
            model, task, opts = preload
            key = (model, task, repr(opts))
            if key not in _PRELOADED:
                _PRELOADED[key] = Future()  # -> the preload Job, once the runtime is warm
                future.add_done_callback(lambda _f, k=key: _PRELOADED[k].set_result(
                    runner.submit(model, task, [], opts, record=False)))
    return future


def _chain(outer: Future, inner: Future) -> None:
    inner.add_done_callback(lambda f: outer.set_exception(f.exception()) if f.exception() else outer.set_result(None))


def preloaded(model: str, task: str, opts: Any) -> Any:
    """The preload Job for (model, task, opts) once it was submitted, else None (tests, benchmarks)."""
    with _LOCK:
        f = _PRELOADED.get((model, task, repr(opts)))
    return f.result() if f is not None and f.done() else None


def warmed() -> bool:
    """True once the runtime warm-up finished (tests, benchmarks)."""
    with _LOCK:
        return _RUNTIME is not None and _RUNTIME.done()
