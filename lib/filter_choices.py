"""Discover's filter choices: parameter-range presets, and the options and labels of the task and
facet (library, language, license) pickers.

Pure stdlib (no Streamlit): ``lib/ui/discover.py`` lays them out.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lib import tasks

# ---- parameter-range presets ------------------------------------------------------------------


@dataclass(frozen=True)
class ParamPreset:
    """A named parameter range; ``None`` bounds are open."""

    label: str
    min: int | None
    max: int | None


PARAM_PRESETS: tuple[ParamPreset, ...] = (
    ParamPreset("Any size", None, None),
    ParamPreset("< 100M", None, 100 * 10**6),
    ParamPreset("< 1B", None, 10**9),
    ParamPreset("< 8B", None, 8 * 10**9),
    ParamPreset("8B – 70B", 8 * 10**9, 70 * 10**9),
    ParamPreset("> 70B", 70 * 10**9, None),
)
CUSTOM = "Custom range"


def preset_labels() -> list[str]:
    return [p.label for p in PARAM_PRESETS] + [CUSTOM]


def preset_for(params_min: int | None, params_max: int | None) -> str:
    """The preset label matching a range, or ``CUSTOM``."""
    for p in PARAM_PRESETS:
        if p.min == params_min and p.max == params_max:
            return p.label
    return CUSTOM


def preset_range(label: str) -> tuple[int | None, int | None] | None:
    """(min, max) for a preset label; None for the custom choice."""
    for p in PARAM_PRESETS:
        if p.label == label:
            return p.min, p.max
    return None


# ---- filter choices --------------------------------------------------------------------------

_SHORT_MODALITY = {
    "nlp": "Text", "multimodal": "Multimodal", "cv": "Vision", "audio": "Audio",
    "tabular": "Tabular", "rl": "RL", "other": "Other",
}


def task_options(counts: Mapping[str, int] | None = None) -> list[str]:
    """``""`` (any task) then the Hub's tasks grouped by modality, by name inside a group."""
    out = [""]
    for _label, specs in tasks.grouped_by_modality(include_hidden=True):
        out.extend(s.tag for s in specs)
    return out


def task_label(tag: str, counts: Mapping[str, int] | None = None) -> str:
    """``Vision › Image Classification (123)`` for a tag; ``Any task`` for ``""``."""
    if not tag:
        return "Any task"
    spec = tasks.get(tag)
    if spec is None:
        text = tag
    else:
        text = f"{_SHORT_MODALITY.get(spec.modality, spec.modality_label)} › {tasks.display_name(tag)}"
    if counts and tag in counts:
        text += f"  ({counts[tag]:,})"
    return text


def facet_options(facet: Sequence[tuple[str, int]] | None, current: str | None = None) -> list[str]:
    """``""`` (any), then facet values by count; a current value outside the facet is kept."""
    values = [v for v, _ in (facet or ()) if v]
    out = [""] + values
    if current and current not in values:
        out.insert(1, current)
    return out


def facet_label(value: str, counts: Mapping[str, int] | None = None, any_label: str = "Any") -> str:
    if not value:
        return any_label
    if counts and value in counts:
        return f"{value}  ({counts[value]:,})"
    return value


__all__ = ["ParamPreset", "PARAM_PRESETS", "CUSTOM", "preset_labels", "preset_for", "preset_range", "task_options",
           "task_label", "facet_options", "facet_label"]
