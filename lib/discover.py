"""Discover page logic: filter choices, the results table, chart data and the CSV export.

Pure pandas / stdlib (no Streamlit): the page file calls these and only lays the answers out.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from lib import format as fmt
from lib import tasks
from lib.hub.records import ModelRecord

HUB = "https://huggingface.co/"

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
        text = f"{_SHORT_MODALITY.get(spec.modality, spec.modality_label)} › {spec.name}"
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


# ---- results table ---------------------------------------------------------------------------

COLUMNS = ("Model", "Task", "Parameters", "Weights", "Downloads", "Likes", "License", "Updated")
FIT_COLUMN = "Fits here"


def results_frame(records: Iterable[ModelRecord], fit: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per model, in the order given.

    ``Model`` holds the Hub URL (the page shows the id as the link text); ``Parameters`` is
    text in human units with estimates marked ``~``; ``Weights`` is the size at the stored dtype
    (see :func:`weights_label`);
    ``fit`` (model id -> badge text), when given, adds a ``Fits here`` column.
    """
    import pandas as pd

    rows = []
    for r in records:
        row = {
            "Model": HUB + r.id,
            "Task": tasks.display_name(r.pipeline_tag) if r.pipeline_tag else "–",
            "Parameters": fmt.params(r.params_total, r.params_exact),
            "Weights": weights_label(r),
            "Downloads": r.downloads,
            "Likes": r.likes,
            "License": r.license or "–",
            "Updated": r.last_modified or r.created_at,
        }
        if fit is not None:
            row[FIT_COLUMN] = fit.get(r.id, "–")
        rows.append(row)
    cols = list(COLUMNS)
    if fit is not None:  # beside the size it is about
        cols.insert(cols.index("Weights") + 1, FIT_COLUMN)
    df = pd.DataFrame(rows, columns=cols)
    for c in ("Downloads", "Likes"):
        df[c] = pd.array(df[c], dtype="Int64")
    df["Updated"] = pd.to_datetime(df["Updated"], utc=True)
    return df


def weights_label(r: ModelRecord) -> str:
    """Weights size at the stored dtype (``15.2 GB``); ``~`` when the dtype is unknown (float32
    assumed, what ``ModelRecord.weights_bytes`` does) or the parameter count is an estimate."""
    size = r.weights_bytes
    if size is None:
        return "–"
    exact = bool(r.params_by_dtype) and r.params_exact
    return fmt.size_bytes(size) if exact else f"~{fmt.size_bytes(size)}"


def fit_badges(records: Iterable[ModelRecord], hw) -> dict[str, str]:
    """``{model id: "CPU bf16"}`` for the ``Fits here`` column (lib.fit.verdict.badge: weights
    from the listing's counts, checked against this machine's GPU and RAM; no torch).

    Plain text: the table draws on a canvas, where emoji depend on the viewer's fonts."""
    from lib.fit.verdict import badge

    out = {}
    for r in records:
        b = badge(r, hw)
        out[r.id] = b.text
    return out


def fit_tooltip(record: ModelRecord, hw) -> str:
    """The badge's explanation, for the selected model."""
    from lib.fit.verdict import badge

    b = badge(record, hw)
    return f"{b.kind.label}: {b.tooltip}"


def model_id_from_url(url: str) -> str:
    return url[len(HUB):] if url.startswith(HUB) else url


def row_of(records: Sequence[ModelRecord], model_id: str | None) -> int | None:
    """Index of ``model_id`` in the results, or None."""
    if not model_id:
        return None
    for i, r in enumerate(records):
        if r.id == model_id:
            return i
    return None


# ---- charts ----------------------------------------------------------------------------------


def scatter_frame(records: Iterable[ModelRecord]) -> pd.DataFrame:
    """Models with both a parameter count and downloads > 0 (log axes cannot show zero)."""
    import pandas as pd

    rows = [
        {
            "id": r.id,
            "task": tasks.display_name(r.pipeline_tag) if r.pipeline_tag else "Unknown task",
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
        raise ValueError("by must be 'task' or 'library'")
    if by == "task":
        keys = [tasks.display_name(r.pipeline_tag) if r.pipeline_tag else "Unknown task" for r in records]
    else:
        keys = [r.library_name or "unknown" for r in records]
    s = pd.Series(keys, dtype="object").value_counts()
    return pd.DataFrame({by: s.index.astype(str), "models": s.to_numpy()})


# ---- export ----------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "url", "pipeline_tag", "task", "library", "params_total", "params_exact",
               "weights_bytes", "main_dtype", "downloads", "likes", "license", "languages",
               "gated", "created_at", "last_modified")


def results_csv(records: Iterable[ModelRecord]) -> bytes:
    """The results as CSV (raw numbers, ISO dates), UTF-8."""
    import pandas as pd

    rows = [
        {
            "id": r.id,
            "url": r.hub_url,
            "pipeline_tag": r.pipeline_tag or "",
            "task": tasks.display_name(r.pipeline_tag) if r.pipeline_tag else "",
            "library": r.library_name or "",
            "params_total": r.params_total,
            "params_exact": r.params_exact if r.params_total is not None else None,
            "weights_bytes": r.weights_bytes,
            "main_dtype": r.main_dtype or "",
            "downloads": r.downloads,
            "likes": r.likes,
            "license": r.license or "",
            "languages": " ".join(r.languages),
            "gated": r.gated if r.gated else False,
            "created_at": r.created_at.isoformat() if r.created_at else "",
            "last_modified": r.last_modified.isoformat() if r.last_modified else "",
        }
        for r in records
    ]
    df = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    for c in ("params_total", "weights_bytes", "downloads", "likes"):
        df[c] = pd.array(df[c], dtype="Int64")
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def csv_filename(params: Mapping[str, str]) -> str:
    """``hubscout-text-classification.csv`` style name from the query's URL params."""
    bits = [params.get("task"), params.get("search"), params.get("author")]
    slug = "-".join(b for b in bits if b).replace("/", "_").replace(" ", "_")[:60]
    return f"hubscout-{slug or 'models'}.csv"


# ---- charts (Altair, imported only when a chart is drawn: after the table, off the start-up path) ----


def scatter_chart(data):
    """Downloads vs parameters, log–log, coloured by task, the id in the tooltip; zoom and pan."""
    import altair as alt

    si = "replace(datum.label, 'G', 'B')"  # SI "G" reads as billions of parameters / downloads
    return (
        alt.Chart(data)
        .mark_circle(size=70, opacity=0.75)
        .encode(
            x=alt.X("parameters:Q", title="Parameters", scale=alt.Scale(type="log"),
                    axis=alt.Axis(format="~s", labelExpr=si)),
            y=alt.Y("downloads:Q", title="Downloads (30 days)", scale=alt.Scale(type="log"),
                    axis=alt.Axis(format="~s", labelExpr=si)),
            color=alt.Color("task:N", title="Task", legend=alt.Legend(orient="bottom", columns=2, labelLimit=180)),
            tooltip=[alt.Tooltip("id:N", title="Model"), alt.Tooltip("task:N", title="Task"),
                     alt.Tooltip("params_label:N", title="Parameters"),
                     alt.Tooltip("downloads:Q", title="Downloads", format=",")],
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
            x=alt.X("models:Q", title="Models"),
            y=alt.Y(f"{by}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)),
            tooltip=[alt.Tooltip(f"{by}:N", title=by.capitalize()), alt.Tooltip("models:Q", title="Models")],
        )
        .properties(height=alt.Step(22))
    )
