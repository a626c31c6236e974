"""Discover's charts: downloads vs parameters, and models per task or library (data frames and
Altair charts; Altair is imported only when a chart is drawn, off the start-up path).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from lib import format as fmt
from lib import tasks
from lib.hub.records import ModelRecord
from lib.i18n import _

if TYPE_CHECKING:
    import pandas as pd

# ---- charts ----------------------------------------------------------------------------------


def scatter_frame(records: Iterable[ModelRecord]) -> pd.DataFrame:
    """Models with both a parameter count and downloads > 0 (log axes cannot show zero)."""
    import pandas as pd

    rows = [
        {
            "id": r.id,
            "task": tasks.display_name(r.pipeline_tag) if r.pipeline_tag else _("Unknown task"),
            "parameters": r.params_total,
            "params_label": fmt.params(r.params_total, r.params_exact),
            "downloads": r.downloads,
            "likes": r.likes or 0,
        }
        for r in records
        if r.params_total and r.downloads
    ]
    return pd.DataFrame(rows, columns=["id", "task", "parameters", "params_label", "downloads", "likes"])


def counts_frame(records: Iterable[ModelRecord], by: str = "task") -> pd.DataFrame:
    """How many of the results per task (display name) or per library, most first."""
    import pandas as pd

    if by not in ("task", "library"):
        raise ValueError("by must be 'task' or 'library'")  # i18n: a programmer's error
    if by == "task":
        keys = [tasks.display_name(r.pipeline_tag) if r.pipeline_tag else _("Unknown task") for r in records]
    else:
        keys = [r.library_name or _("unknown") for r in records]
    s = pd.Series(keys, dtype="object").value_counts()
    return pd.DataFrame({by: s.index.astype(str), "models": s.to_numpy()})


# ---- charts (Altair, imported only when a chart is drawn: after the table, off the start-up path) ----


def scatter_chart(data):
    """Downloads vs parameters, log–log, coloured by task, the id in the tooltip; zoom and pan."""
    import altair as alt

    si = "replace(datum.label, 'G', 'B')"  # i18n: Vega code. SI "G" reads as billions of parameters / downloads
    return (
        alt.Chart(data)
        .mark_circle(size=70, opacity=0.75)
        .encode(
            x=alt.X("parameters:Q", title=_("Parameters"), scale=alt.Scale(type="log"),
                    axis=alt.Axis(format="~s", labelExpr=si)),
            y=alt.Y("downloads:Q", title=_("Downloads (30 days)"), scale=alt.Scale(type="log"),
                    axis=alt.Axis(format="~s", labelExpr=si)),
            color=alt.Color("task:N", title=_("Task"), legend=alt.Legend(orient="bottom", columns=2, labelLimit=180)),
            tooltip=[alt.Tooltip("id:N", title=_("Model")), alt.Tooltip("task:N", title=_("Task")),
                     alt.Tooltip("params_label:N", title=_("Parameters")),
                     alt.Tooltip("downloads:Q", title=_("Downloads"), format=",")],
        )
        .properties(height=320)
        .interactive()
    )


def counts_chart(counts, by: str):
    """Horizontal bars: models per task / library, most first."""
    import altair as alt

    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("models:Q", title=_("Models")),
            y=alt.Y(f"{by}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)),
            tooltip=[alt.Tooltip(f"{by}:N", title=_("Task") if by == "task" else _("Library")),
                     alt.Tooltip("models:Q", title=_("Models"))],
        )
        .properties(height=alt.Step(22))
    )


__all__ = ["scatter_frame", "counts_frame", "scatter_chart", "counts_chart"]
