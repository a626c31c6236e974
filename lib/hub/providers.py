"""Which Inference Providers serve a model: the Hub's ``inferenceProviderMapping``, read as a small typed list.

The Hub answers it in two shapes (huggingface_hub 2.4's ``ModelInfo`` harmonises them the same way):
``GET /api/models/{id}?expand=inferenceProviderMapping`` gives an object keyed by provider
(``{"together": {"providerId": …, "status": "live", "task": "conversational"}}``), ``GET /api/models``
with that ``expand`` a list of entries that name their provider (``[{"provider": "together", …}]``).

Unlike ``ModelInfo`` (whose ``InferenceProviderMapping`` raises ``KeyError`` on an entry without
``providerId`` and ``ValueError`` on any other shape), :func:`parse_mapping` never raises: an entry that
is not an object or names no provider is skipped, a missing field is None, and fields this record has no
attribute for (``adapter``, ``adapterWeightsPath``, ``type``, anything newer) are kept in ``extra`` (nulls
dropped).
No network here: :func:`lib.hub.gateway.provider_mapping` fetches, :func:`lib.hub.lookup.served_by`
says it for people.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FIELD = "inferenceProviderMapping"  # the Hub's field (and ``expand`` value)
LIVE = "live"


@dataclass(frozen=True)
class ProviderMapping:
    """One provider serving the model.

    Attributes:
        provider: the provider's name as the Hub spells it (``together``, ``fal-ai``, ``hf-inference``).
        provider_id: the model's id on the provider's side (``providerId``), None when not said.
        status: ``live``, ``staging`` (only the model's owners can use it), ``error``, or None.
        task: the task the provider serves it for (``conversational``, ``text-to-image`` …), or None.
        extra: every other field, as received.
    """

    provider: str
    provider_id: str | None = None
    status: str | None = None
    task: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        return self.status == LIVE


_KNOWN = {"provider": "provider", "providerId": "provider_id", "provider_id": "provider_id",
          "status": "status", "task": "task"}
_DROP = {"hfModelId", "hf_model_id"}  # the model's own id: known already
_API_NAMES = {"adapter_weights_path": "adapterWeightsPath"}  # huggingface_hub's attribute -> the Hub's field


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        v = v.strip()
        return v or None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    return None  # an object or a list where a name belongs: not a name


def _entry(data: Any, provider: Any = None) -> ProviderMapping | None:
    if not isinstance(data, Mapping):
        data = vars(data) if hasattr(data, "__dict__") else None  # huggingface_hub's InferenceProviderMapping
        if data is None:
            return None
    known: dict[str, str | None] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if key in _KNOWN:
            known.setdefault(_KNOWN[key], _text(value))
        elif key not in _DROP and value is not None:
            extra[_API_NAMES.get(key, key)] = value
    name = _text(provider) or known.pop("provider", None)
    known.pop("provider", None)
    if not name:
        return None
    return ProviderMapping(provider=name, extra=extra, **known)


def parse_mapping(raw: Any) -> tuple[ProviderMapping, ...]:
    """The Hub's ``inferenceProviderMapping`` (object keyed by provider, or list of entries; also
    huggingface_hub's list of ``InferenceProviderMapping``) as entries, in the order given; ``()`` for
    None, an empty answer or one of any other shape. Never raises. A provider named twice keeps its
    first entry."""
    if raw is None or isinstance(raw, (str, bytes)):
        return ()
    if isinstance(raw, Mapping):
        found = (_entry(value, provider) for provider, value in raw.items())
    elif isinstance(raw, Iterable):
        found = (_entry(value) for value in raw)
    else:
        return ()
    out: list[ProviderMapping] = []
    seen: set[str] = set()
    for entry in found:
        if entry is not None and entry.provider not in seen:
            seen.add(entry.provider)
            out.append(entry)
    return tuple(out)


def providers_text(mappings: Iterable[ProviderMapping] | None) -> str:
    """One cell: ``together, novita``; a provider not live says its status (``fal-ai (staging)``);
    ``""`` when none."""
    if not mappings:
        return ""
    return ", ".join(m.provider if m.live or m.status is None else f"{m.provider} ({m.status})" for m in mappings)


__all__ = ["FIELD", "ProviderMapping", "parse_mapping", "providers_text"]
