"""What :mod:`lib.sessions.store` reads back: a session (:class:`SessionInfo`), its candidates (a model and
where it runs) and inputs, and the one-line summary the session list shows."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

__all__ = ["Candidate", "SessionInput", "SessionInfo", "SessionSummary"]


@dataclass(frozen=True)
class Candidate:
    """A model of a session (``c1``..), its frozen revision, its measured stats, and where it runs:
    ``backend`` is None for this machine, else the backend's URL parameters
    (:meth:`lib.hub.inference.Backend.params`: kind, provider or URL; never a token)."""

    id: str
    model: str
    revision: str | None
    stats: dict = field(default_factory=dict, compare=False)
    backend: dict | None = None

    @property
    def remote(self) -> Any:
        """The :class:`~lib.hub.inference.Backend` it runs on (None: this machine)."""
        from .candidates import backend_of

        return backend_of(self.backend)

    @property
    def name(self) -> str:
        """The model, and its backend when remote (``owner/name · Inference Providers (auto)``)."""
        from .candidates import name

        return name(self.model, self.backend)


@dataclass(frozen=True)
class SessionInput:
    id: str
    text: str | None
    reference: str | None
    inputs: dict = field(default_factory=dict, compare=False)  # raw runner inputs, media as bytes


@dataclass(frozen=True)
class SessionInfo:
    id: str
    name: str
    task: str
    created: datetime
    settings: dict
    candidates: tuple[Candidate, ...]
    inputs: tuple[SessionInput, ...]

    def candidate(self, candidate_id: str) -> Candidate:
        return next(c for c in self.candidates if c.id == candidate_id)


class SessionSummary(NamedTuple):
    id: str
    name: str
    task: str
    created: datetime
    n_candidates: int
    n_inputs: int
    n_votes: int
