"""The Model page's facts table, and where its details came from, as plain data.

Pure functions over :class:`lib.hub.details.ModelDetails` (no Streamlit, no network). Values are
Markdown, already escaped (:func:`lib.format.md_escape`); unknown values are ``–``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lib import format as fmt
from lib import tasks
from lib.format import md_escape
from lib.hub.details import ModelDetails
from lib.i18n import _, ngettext

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Fact:
    """One row of the facts table: ``label`` and ``value`` (markdown, already escaped)."""

    label: str
    value: str


_HIDDEN_TAG_PREFIXES = ("license:", "dataset:", "base_model:", "region:", "arxiv:", "doi:")


def gated_text(details: ModelDetails) -> str:
    """``No`` / ``Yes (manual approval)`` / ``Yes (automatic approval)`` / ``Unknown (…)``."""
    unknown = bool(details.record is not None and (details.record.extra or {}).get("gated_unknown"))
    g = details.gated
    if g and str(g).lower() != "false":
        kind = str(g).lower()
        if kind == "manual":
            return _("Yes (manual approval)")
        if kind == "auto":
            return _("Yes (automatic approval)")
        return _("Yes")
    if unknown and details.source == "offline":
        return _("Unknown (the snapshot does not record it)")
    return _("No")


def base_models(details: ModelDetails) -> tuple[str, ...]:
    """The card's base model(s), else the Hub's ``base_model:<id>`` tags."""
    if details.base_models:
        return details.base_models
    return tuple(t.split(":", 1)[1] for t in details.tags if t.startswith("base_model:") and t.count(":") == 1)


def shown_tags(details: ModelDetails) -> tuple[str, ...]:
    """Tags worth listing: those the other facts do not already say (license, datasets, …)."""
    skip = {details.pipeline_tag, details.library_name, *details.languages}
    return tuple(t for t in details.tags if t and t not in skip and not t.startswith(_HIDDEN_TAG_PREFIXES))


def _join(values: Sequence[str], limit: int = 12) -> str:
    if not values:
        return "–"
    shown = ", ".join(md_escape(v) for v in values[:limit])
    if len(values) <= limit:
        return shown
    return _("{shown} and {n} more").format(shown=shown, n=fmt.number(len(values) - limit))


def facts(details: ModelDetails) -> list[Fact]:
    """The facts table rows, in the order the page shows them. Unknown values are ``–``."""
    task = details.pipeline_tag
    task_text = (f"{md_escape(tasks.display_name(task))} (`{task}`)" if task
                 else _("– (the Hub lists no task for this model)"))
    downloads = fmt.compact(details.downloads)
    if details.downloads is not None:
        as_of = (details.record.extra or {}).get("downloads_as_of") if details.record is not None else None
        downloads = (_("{n} (last 30 days, as of {date})").format(n=downloads, date=fmt.date(as_of))
                     if as_of and details.source == "offline" else _("{n} (last 30 days)").format(n=downloads))
    created = fmt.date(details.created_at)
    modified = fmt.date(details.last_modified)
    if details.last_modified is not None:
        modified = _("{date} ({ago})").format(date=modified, ago=fmt.ago(details.last_modified))
    return [
        Fact(_("Task"), task_text),
        Fact(_("Library"), md_escape(details.library_name) if details.library_name else "–"),
        Fact(_("License"), md_escape(details.license) if details.license else "–"),
        Fact(_("Gated"), gated_text(details)),
        Fact(_("Downloads"), downloads),
        Fact(_("Likes"), fmt.compact(details.likes)),
        Fact(_("Created"), created),
        Fact(_("Last modified"), modified),
        Fact(_("Languages"), _join(details.languages, 20)),
        Fact(_("Datasets"), _join(details.datasets)),
        Fact(_("Base model"), _join(base_models(details))),
        Fact(_("Tags"), " ".join(f"`{t.replace('`', '').replace('|', '/')}`" for t in shown_tags(details)[:40]) or "–"),
        Fact(_("On the Hub"), f"[{md_escape(details.id)}]({details.hub_url})"),
    ]


def facts_frame(rows: Sequence[Fact]) -> pd.DataFrame:
    """The facts as a one-column table indexed by label (cells are markdown, for ``st.table``)."""
    import pandas as pd

    df = pd.DataFrame({_("Value"): [r.value for r in rows]}, index=[f"**{r.label}**" for r in rows])
    df.index.name = _("Fact")
    return df


def source_note(details: ModelDetails) -> str:
    """One line: where these details came from."""
    if details.source == "live":
        return ngettext("Live from the Hub ({n} request)", "Live from the Hub ({n} requests)", details.requests).format(
            n=fmt.number(details.requests))
    return _("From the catalog snapshot and the local cache (the Hub was not asked)")


__all__ = ["Fact", "facts", "facts_frame", "gated_text", "base_models", "shown_tags", "source_note"]
