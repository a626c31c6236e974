"""What every catalog source returns."""
from __future__ import annotations

from dataclasses import dataclass, field

from lib.hub.records import ModelRecord


@dataclass(frozen=True)
class SourceInfo:
    """Which catalog answered, for the sidebar and banners.

    kind: ``live`` (the Hub API) or ``snapshot`` (embedded or user-supplied file).
    label: short words for the UI, e.g. ``Hugging Face Hub (live)`` or
        ``Embedded snapshot of 2026-05-10``.
    date: the snapshot's date (ISO) when kind is snapshot.
    sources: where the snapshot's data came from (attribution lines).
    """

    kind: str
    label: str
    date: str | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    records: list[ModelRecord]
    source: SourceInfo
    fallback_reason: str | None = None  # set when auto mode fell back from live to snapshot
    elapsed_s: float = 0.0
    has_more: bool = False  # more results exist beyond the limit
    requests: int = 0  # Hub HTTP requests this answer cost (0 for the snapshot)
    notes: tuple[str, ...] = field(default_factory=tuple)
    unsupported: str | None = None  # a filter this source cannot apply: no rows, and this says why
