"""Hub Scout's generic model runner (no streamlit; torch/transformers imported lazily).

Public API::

    from lib.runner import run, prepare, RunOptions, RunResult, RunnerError
    result = run("distilbert/distilbert-base-uncased-finetuned-sst-2-english", "text-classification",
                 {"text": "I love it"}, RunOptions(device="auto", dtype="auto"),
                 progress=lambda p: ..., allowed=(True, None))

``run`` validates the inputs, checks the model against the task BEFORE loading (config.json
architectures, remote code), honours the caller's fit verdict (``allowed=(False, reason)`` refuses
the load), downloads with byte progress, loads once into the shared LRU cache, runs under
``torch.inference_mode()`` and returns a :class:`RunResult`. Every failure is a :class:`RunnerError`
subclass whose message is meant for the user.

The runner measures (``RunResult.measurement``: peak memory, kind, latency, device, dtype) but records
nothing: its caller does (``lib.jobs``, which also runs many inputs in batches:
``check_inputs`` → ``prepare`` → ``execute`` → ``result_for``).
"""
from __future__ import annotations

from .api import Executed, Prepared, check_inputs, execute, prepare, result_for, run
from .errors import (
    BadInput,
    DeviceUnavailable,
    LoadFailed,
    LoadRefused,
    LoadTimeout,
    ModelUnavailable,
    NotRunnable,
    RemoteCodeRefused,
    RunFailed,
    RunnerError,
    TaskMismatch,
)
from .result import LoadProgress, Measurement, RunOptions, RunResult

__all__ = ["BadInput", "DeviceUnavailable", "Executed", "LoadFailed", "LoadProgress", "LoadRefused", "LoadTimeout",
           "Measurement", "ModelUnavailable", "NotRunnable", "Prepared", "RemoteCodeRefused", "RunFailed",
           "RunOptions", "RunResult", "RunnerError", "TaskMismatch", "check_inputs", "execute", "prepare",
           "result_for", "run"]
