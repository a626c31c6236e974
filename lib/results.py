"""Discover's results: the table rows (with the fit badges), the selected row, and the CSV export.

Sizes are decimal (``lib.format.size_bytes``), as the Hub shows them and as the Model page's fit
table does. The page's table is an Arrow table built without pandas (a cold start needs neither
pandas nor ``pa.array``, which imports it); the CSV export and :func:`results_frame` use pandas.
"""
from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lib import format as fmt
from lib import tasks
from lib.hub.providers import providers_text
from lib.hub.records import ModelRecord
from lib.i18n import N_, _

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

HUB = "https://huggingface.co/"

# ---- results table ---------------------------------------------------------------------------

# The table's column names are stable English keys (the page's column_config is keyed by them, tests read
# them); the page shows each as ``_(name)`` (its label in the UI's language).
COLUMNS = (N_("Model"), N_("Task"), N_("Parameters"), N_("Weights"), N_("Downloads"), N_("Likes"), N_("License"),
           N_("Updated"))
FIT_COLUMN = N_("Fits here")
SPEED_COLUMN = N_("Speed here")  # estimated decode tokens/s of text-generation models on this machine (optional)
PROVIDERS_COLUMN = N_("Providers")  # the Inference Providers serving the model, when the source knows
LOCAL_COLUMN = N_("Local")
LOCAL_MARK = "local"  # the model is in the local Hugging Face cache (a cell value; "local" in Spanish too)
MOE_MARK = "MoE"  # after the parameter count: a mixture of experts (lib.fit.moe.listing_moe: model_type, tags)


def results_columns(records: Iterable[ModelRecord], fit: Mapping[str, str] | None = None,
                    local: Collection[str] | None = None, speed: Mapping[str, str] | None = None) -> dict[str, list]:
    """The table's columns (name -> one value per model, in the order given): the one rule for
    what Discover's table shows.

    ``Model`` holds the Hub URL (the page shows the id as the link text); ``Parameters`` is
    text in human units with estimates marked ``~`` and mixtures of experts marked ``MoE`` (total
    parameters; the listing has no active count); ``Weights`` is the size at the stored dtype
    (see :func:`weights_label`); ``Downloads`` / ``Likes`` are ints or None; ``Updated`` a
    timezone-aware datetime or None. ``fit`` (model id -> badge text), when given, adds a
    ``Fits here`` column beside ``Weights``. ``local`` (ids in the local Hugging Face cache,
    :func:`lib.hub.cache.local_ids`), when given, adds a ``Local`` column (``local`` or empty) after it.
    ``speed`` (model id -> ``12.3 tok/s``), when given, adds ``Speed here`` after those.
    ``Providers`` (``together, novita``; empty for none) follows ``Likes`` when the source knows them
    (the live Hub; the snapshot does not).
    """
    from lib.fit.moe import listing_moe

    records = list(records)
    cols = {
        "Model": [HUB + r.id for r in records],
        "Task": [tasks.display_name(r.pipeline_tag) if r.pipeline_tag else "–" for r in records],
        "Parameters": [fmt.params(r.params_total, r.params_exact) + (f" {MOE_MARK}" if listing_moe(r) else "")
                       for r in records],
        "Weights": [weights_label(r) for r in records],
        "Downloads": [r.downloads for r in records],
        "Likes": [r.likes for r in records],
        "License": [r.license or "–" for r in records],
        "Updated": [r.last_modified or r.created_at for r in records],
    }
    out = {}
    for name, values in cols.items():
        out[name] = values
        if name == "Weights":  # beside the size they are about, where a narrow window still shows them
            if fit is not None:
                out[FIT_COLUMN] = [fit.get(r.id, "–") for r in records]
            if local is not None:
                out[LOCAL_COLUMN] = [LOCAL_MARK if r.id in local else "" for r in records]
            if speed is not None:
                out[SPEED_COLUMN] = [speed.get(r.id, "") for r in records]
        if name == "Likes" and any(r.inference_providers is not None for r in records):
            out[PROVIDERS_COLUMN] = [providers_text(r.inference_providers) for r in records]
    return out


def results_table(records: Iterable[ModelRecord], fit: Mapping[str, str] | None = None,
                  local: Collection[str] | None = None, speed: Mapping[str, str] | None = None) -> pa.Table:
    """:func:`results_columns` as an Arrow table (what the page hands ``st.dataframe``).

    Built from raw buffers on purpose: pyarrow's ``pa.array`` imports pandas on first use, and
    neither is otherwise needed before Discover's table is on screen (cold start)."""
    import pyarrow as pa

    cols = results_columns(records, fit, local, speed)
    arrays = []
    for name, values in cols.items():
        if name in ("Downloads", "Likes"):
            arrays.append(_arrow_ints(values, pa.int64()))
        elif name == "Updated":
            arrays.append(_arrow_ints([_epoch_us(d) for d in values], pa.timestamp("us", tz="UTC")))
        else:
            arrays.append(_arrow_text(values))
    return pa.Table.from_arrays(arrays, names=list(cols))


def results_frame(records: Iterable[ModelRecord], fit: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`results_table` as a pandas DataFrame (nullable ``Int64`` counts, UTC datetimes)."""
    import pandas as pd
    import pyarrow as pa

    return results_table(records, fit).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def _epoch_us(d: datetime | None) -> int | None:
    if d is None:
        return None
    if d.tzinfo is None:  # naive: taken as UTC
        d = d.replace(tzinfo=UTC)
    return (d - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _arrow_text(values: Sequence[str]):
    import numpy as np
    import pyarrow as pa

    data = [str(v).encode() for v in values]
    offsets = np.zeros(len(data) + 1, np.int32)
    np.cumsum([len(b) for b in data], out=offsets[1:])
    return pa.StringArray.from_buffers(len(data), pa.py_buffer(offsets), pa.py_buffer(b"".join(data)))


def _arrow_ints(values: Sequence[int | None], typ):
    """64-bit values (ints or timestamps) with nulls for None."""
    import numpy as np
    import pyarrow as pa

    valid = np.array([v is not None for v in values], bool)
    data = np.array([0 if v is None else v for v in values], np.int64)
    nulls = int(len(values) - valid.sum())
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.Array.from_buffers(typ, len(values), [bitmap, pa.py_buffer(data)], null_count=nulls)


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
    return f"{_(b.kind.label)}: {b.tooltip}"


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
# The CSV is a file for programs: its column names stay English and stable in every UI language, and its
# values are raw (numbers, ISO dates), never formatted for a locale.

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
    return f"hubscout-{slug or 'models'}.csv"  # i18n: a file name


__all__ = ["HUB", "COLUMNS", "FIT_COLUMN", "PROVIDERS_COLUMN", "providers_text",
           "results_columns", "results_table", "results_frame", "weights_label",
           "fit_badges", "fit_tooltip", "model_id_from_url", "row_of", "CSV_COLUMNS", "results_csv", "csv_filename"]
