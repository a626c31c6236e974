"""Warm the model runtime up in the background, so that a page's first Run does not pay for it.

The first run in a process pays once for importing torch and transformers, transformers' model machinery
(and its pipeline machinery, or sentence-transformers, when the run uses them) and torch's first kernels:
several seconds, against tens of milliseconds for the run itself. The test-drive section (Model page,
Playground) calls :func:`warm_up_for` when it shows a model; it returns at once and does the work on the
job runner's threads. Each step runs once per process, and a warm-up imports what the shown model's run
imports, in that order: a plain sentence-transformers repo (run through AutoModel and its pooling config,
:mod:`lib.tasks.embeddings`) needs neither transformers.pipelines nor sentence-transformers.

Last, it measures this machine's speed once (:func:`lib.fit.host_probe.ensure`: a few seconds, then kept
in the store) for the speed estimates.

Optionally it also loads the shown model's weights into the runner's cache (``preload``), when the
model is small, its files are already on this machine and the fit gate allows the load: then the
first Run skips the load too. Nothing is downloaded by a warm-up.
"""
from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

_LOCK = threading.Lock()
_STEPS: dict[str, Future] = {}  # step name -> its future, from the moment the step starts
_ASKED: dict[str, None] = {}  # every step a warm-up asked for, in order

# off: warm_up does nothing (a test that checks what a page imports by itself)
ENABLED = True

# off: a warm-up does not measure this machine's speed (lib.fit.host_probe); the tests turn it off
PROBE = True

# weights up to this size are pre-loaded when their files are local (decimal bytes, as the Hub counts)
PRELOAD_MAX_BYTES = 1_000_000_000


def _torch() -> None:
    from lib.runner import api

    api._note_host_rss()  # before torch: the measured peak must stay comparable with lib.fit's estimate
    from lib import runtime

    runtime.torch()

    from lib.runner import checks, code, device, inputs, loader  # noqa: F401 - the runner's own modules

    device.resolve("auto", "auto")


def _sentence_transformers() -> None:
    from lib import runtime

    runtime.sentence_transformers()


def _models() -> None:
    from lib import runtime

    runtime.models()  # what AutoModel.from_pretrained imports, under the runtime's import lock


def _kernels() -> None:
    import torch

    with torch.inference_mode():  # torch's first kernels (thread pool, oneDNN) start once
        x = torch.ones(2, 4, 32)
        h = torch.nn.functional.linear(x, torch.ones(32, 32)).softmax(-1)
        h = torch.nn.functional.gelu(torch.nn.functional.layer_norm(h, (32,)))
        torch.nn.functional.scaled_dot_product_attention(h, h, h)
        torch.nn.functional.embedding(torch.zeros(2, 4, dtype=torch.long), torch.ones(8, 32))


def _host_probe() -> None:
    from lib.fit import host_probe

    host_probe.ensure()  # once per machine: later processes read the stored figures


def _pipelines() -> None:
    from lib import runtime

    runtime.pipelines()  # transformers.pipelines and the Auto classes, under the runtime's import lock
    _kernels()


def _step(name: str, fn) -> None:
    """Run ``fn`` once per process under ``name``; a step another warm-up started is waited for."""
    with _LOCK:
        f = _STEPS.get(name)
        mine = f is None
        if mine:
            f = _STEPS[name] = Future()
    if not mine:
        f.exception()  # wait for it
        return
    try:
        fn()
        f.set_result(None)
    except BaseException as e:  # noqa: BLE001 - a failed warm-up only means the first run pays
        f.set_exception(e)


def _sequence(steps: list[tuple[str, Any]]) -> None:
    for name, fn in steps:
        _step(name, fn)


def warm_up(*, sentence_transformers: bool = False, st_library: bool = False,
            preload: tuple[str, str, Any, Any] | None = None, runner: Any = None) -> Future:
    """Start warming up in the background; returns at once with the warm-up's future.

    ``sentence_transformers``: the shown model is a sentence-transformers repo: its run loads it through
    transformers' AutoModel (no transformers.pipelines); ``st_library``: its layout is not a plain one (or
    not known on this machine yet), so sentence-transformers itself is imported too. ``preload``:
    ``(model, task, RunOptions, (allowed, reason))`` to load into the runner's model cache once its
    libraries are imported (the caller checked that it is small and local; a refused or failing load is
    silent, a Run reports it). Each step runs once per process.
    """
    from .runner import default_runner

    if not ENABLED:
        off = Future()
        off.set_result(None)
        return off
    runner = runner or default_runner()
    steps: list[tuple[str, Any]] = [("torch", _torch)]
    if sentence_transformers:
        steps.append(("models", _models))
        if st_library:
            steps.append(("sentence_transformers", _sentence_transformers))
    else:
        steps.append(("pipelines", _pipelines))
    if preload is not None:
        model, task, opts, allowed = preload

        def load() -> None:
            from lib.runner import api

            api.prepare(model, task, opts, allowed=allowed, cache=runner.cache)

        steps.append((f"preload:{model}|{task}|{opts!r}", load))
    steps.append(("kernels", _kernels) if sentence_transformers else ("pipelines", _pipelines))
    if PROBE:
        steps.append(("host_probe", _host_probe))  # the Model page's speed estimate for this machine
    with _LOCK:
        if all(name in _STEPS for name, _ in steps):
            done = Future()
            done.set_result(None)
            return done
        _ASKED.update(dict.fromkeys(name for name, _ in steps))
    return runner.background(_sequence, steps)


def warmed() -> bool:
    """True once a warm-up ran and every step the warm-ups asked for has finished (tests, benchmarks)."""
    with _LOCK:
        return bool(_ASKED) and all(name in _STEPS and _STEPS[name].done() for name in _ASKED)


def is_warm(step: str) -> bool:
    """True once ``step`` (``torch``, ``models``, ``sentence_transformers``, ``pipelines``, ``kernels``,
    ``preload:…``) finished."""
    with _LOCK:
        return step in _STEPS and _STEPS[step].done()


def warm_up_for(model: str, task: str | None, *, details: Any = None, gate: Any = None, opts: Any = None) -> None:
    """The test-drive's one-line warm-up for the model it shows (``details``: its Hub facts, None for a
    folder; ``gate``: the fit gate of the default device/dtype). Never raises."""
    try:
        from pathlib import Path

        folder = Path(model).expanduser()
        local = folder.is_dir()
        from lib.tasks import embeddings

        tags = set(getattr(details, "tags", ()) or ())
        st_model = (getattr(details, "library_name", None) == "sentence-transformers"
                    or "sentence-transformers" in tags or (local and (folder / "modules.json").is_file()))
        # the runner reads a sentence-transformers repo itself only for the embedding tasks (a cross-encoder
        # shown as text-classification runs through a pipeline)
        st_model = st_model and task in {spec.tag for spec in embeddings.TASKS}
        st_library = st_model and not _plain_layout_here(model, local)
        preload = None
        if task and gate is not None and gate.allowed and not getattr(gate, "blocked", False) and gate.estimate_bytes \
                and gate.estimate_bytes <= PRELOAD_MAX_BYTES and _files_here(model, local):
            from lib.runner.cache import shared_cache
            from lib.runner.result import RunOptions

            if gate.estimate_bytes <= shared_cache().budget_bytes // 4:
                preload = (model, task, opts or RunOptions(), (gate.allowed, gate.reason))
        warm_up(sentence_transformers=st_model, st_library=st_library, preload=preload)
    except Exception:  # noqa: BLE001 - a warm-up must never break the page
        pass


def _files_here(model: str, local: bool) -> bool:
    """The model's files are on this machine (a folder, or a complete copy in the Hub cache): a preload
    downloads nothing."""
    if local:
        return True
    try:
        from lib.hub.gateway import cached_snapshot

        folder = cached_snapshot(model)
        return folder is not None and (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))
    except Exception:  # noqa: BLE001
        return False


def _plain_layout_here(model: str, local: bool) -> bool:
    """The model's files are on this machine and its sentence-transformers layout is a plain one (run
    without importing sentence-transformers)."""
    try:
        from lib.tasks.embeddings import plain_sentence_transformers

        if local:
            folder = model
        else:
            from lib.hub.gateway import cached_snapshot

            folder = cached_snapshot(model)
        return folder is not None and plain_sentence_transformers(folder) is not None
    except Exception:  # noqa: BLE001
        return False
