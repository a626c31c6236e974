"""Typed runner inputs/outputs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lib.hub.policy import session_offline

if TYPE_CHECKING:
    from lib.access import Access


@dataclass
class RunOptions:
    """How to run a model.

    Attributes:
        device: ``auto`` (CUDA, then MPS, then CPU) / ``cpu`` / ``cuda`` / ``cuda:1`` / ``mps``.
        dtype: ``auto`` / ``fp32`` / ``bf16`` / ``fp16``.
        trust_remote_code: allow code from the model repository (explicit opt-in).
        revision: Hub revision (branch, tag or commit), None for the default branch.
        token: Hub token, None to use ``HF_TOKEN`` / the local login.
        load_timeout_s: limit for download + load (from the load's turn: the wait in the load line is not counted).
        max_new_tokens / temperature / top_p / do_sample: generation settings.
        system_prompt: optional system message for chat models.
        threshold: minimum score for object-detection boxes.
        batch_size: inputs per batch when a job runs many inputs through a task's ``run_batch``.
        access: what the visitor may do (:class:`lib.access.Access`); None: the instance's policy for an
            anonymous visitor (``lib.access.access_for()``). The runner refuses model code, fit overrides,
            server folders, private repos and downloads over the cap that it does not allow.
        fit_override: the caller's fit verdict was an explicit "Load anyway" past the memory check.
        offline: this run must not use the network (model from the local cache only, transformers'
            ``local_files_only``). Default: the browser session's offline switch where the options are made
            (:func:`lib.hub.policy.session_offline`: a page's script run), which is how the switch
            reaches the job threads; ``HF_HUB_OFFLINE`` holds everywhere anyway.
        max_memory: the partial-offload tier (:class:`lib.fit.tiers.OffloadPlan.max_memory`): bytes of
            weights per device (``{0: …, "cpu": …}``); the model loads with ``device_map="auto"``, the
            layers that do not fit the first device wait on the next (RAM, then disk). None: one device.
    """

    device: str = "auto"
    dtype: str = "auto"
    trust_remote_code: bool = False
    revision: str | None = None
    token: str | None = None
    load_timeout_s: float = 600.0
    max_new_tokens: int = 64
    temperature: float = 0.7
    top_p: float = 0.95
    do_sample: bool = False
    system_prompt: str | None = None
    threshold: float = 0.5
    batch_size: int = 16
    access: Access | None = None
    fit_override: bool = False
    offline: bool = field(default_factory=session_offline)
    max_memory: dict[Any, int] | None = None


@dataclass
class LoadProgress:
    """One progress report. ``stage``: ``resolve`` / ``queue`` (waiting for its turn to load: ``place`` in
    line, 1 = next) / ``download`` / ``load`` / ``ready``."""

    stage: str
    message: str
    done_bytes: int = 0
    total_bytes: int = 0
    place: int | None = None

    @property
    def fraction(self) -> float | None:
        return (self.done_bytes / self.total_bytes) if self.total_bytes else None


@dataclass(frozen=True)
class Measurement:
    """What a run measured; the runner returns it and its caller records it (``lib.jobs.measured``).

    Attributes:
        model_id: the model (Hub id or folder) that ran.
        device / dtype: where and how it ran (``cpu`` / ``cuda:0`` …, ``fp32`` …).
        peak_bytes: CUDA max allocated during the run on CUDA, else the process RSS peak.
        kind: ``cuda_max_allocated`` or ``process_rss_peak``.
        latency_s: wall time of the measured call (model already loaded).
        host_bytes: on CPU, what this process held just before the runner first imported torch (the host
            app); None when unknown.
    """

    model_id: str
    device: str
    dtype: str
    peak_bytes: int
    kind: str
    latency_s: float
    host_bytes: int | None = None


@dataclass(frozen=True)
class RemoteStats:
    """A remote run's figures (:mod:`lib.runner.remote`).

    Attributes:
        backend: where it ran, in words (``Inference Providers (auto)``, ``host:port``).
        ttft_s: time to first token (streamed text), else None.
        tokens: pieces streamed (the server's tokens), else None.
        tokens_per_s: tokens after the first per second of streaming, else None.
    """

    backend: str
    ttft_s: float | None = None
    tokens: int | None = None
    tokens_per_s: float | None = None


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        model_id / task: what ran.
        output: normalised output; its shape depends on ``renderer`` (see lib/runner/tasks.py docstring).
        renderer: name of the output renderer in ``lib.ui.outputs``.
        latency_s: wall time of the run itself (model already loaded).
        load_s: time spent loading (0 when the model came from the cache).
        cached: the model came from the process-wide cache.
        peak_memory_bytes: CUDA max allocated during the run on CUDA, else process RSS peak.
        memory_kind: ``cuda_max_allocated`` or ``process_rss_peak``.
        device / dtype: where and how it ran (``cpu`` / ``fp32`` …).
        notices: things the user should know (truncation, dtype fallback …).
        code: Python that reproduces this run with transformers (with its inputs).
        host_bytes: see :class:`Measurement`.
        remote: a remote run's figures (:class:`RemoteStats`); None for a local run.
    """

    model_id: str
    task: str
    output: dict[str, Any]
    renderer: str
    latency_s: float
    load_s: float
    cached: bool
    peak_memory_bytes: int
    memory_kind: str
    device: str
    dtype: str
    notices: list[str] = field(default_factory=list)
    code: str = ""
    host_bytes: int | None = None
    remote: RemoteStats | None = None

    @property
    def measurement(self) -> Measurement:
        """The run's measurement, for its caller to record (the runner stores nothing)."""
        return Measurement(self.model_id, self.device, self.dtype, self.peak_memory_bytes, self.memory_kind,
                           self.latency_s, self.host_bytes)
