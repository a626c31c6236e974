"""Discover's results: the table rows (with the fit badges), the selected row, and the CSV export.

Sizes are decimal (``lib.format.size_bytes``), as the Hub shows them and as the Model page's fit
table does. pandas is imported when a table is built.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from lib import format as fmt
from lib import tasks
from lib.hub.records import ModelRecord

if TYPE_CHECKING:
    import pandas as pd

HUB = "https://huggingface.co/"

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


__all__ = ["HUB", "COLUMNS", "FIT_COLUMN", "results_frame", "weights_label", "fit_badges", "fit_tooltip",
           "model_id_from_url", "row_of", "CSV_COLUMNS", "results_csv", "csv_filename"]
