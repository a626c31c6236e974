"""The Model page's memory section as plain data: the hosts × dtypes fit matrix, the estimate's
parts per host (table and stacked-bar spec) and measured peaks beside the estimate.

Sizes are decimal GB (``lib.format``), as the Hub and Discover show them. pandas is imported
when a table is built (never by Discover).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from lib import format as fmt
from lib.fit.dtypes import dtype_label
from lib.fit.estimate import PART_LABELS, estimate_memory
from lib.format import md_escape
from lib.hardware import host_label
from lib.i18n import _

if TYPE_CHECKING:
    import pandas as pd

FIT_STYLE = {"fits_gpu": ("green", "✓"), "offload": ("orange", "◐"), "fits_cpu": ("green", "✓"),
             "tight": ("orange", "⚠"), "no_fit": ("red", "✗"), "unknown": ("gray", "?")}
#: the parts' keys in display order (their labels: :data:`lib.fit.estimate.PART_LABELS`)
PART_ORDER = tuple(PART_LABELS)


def fit_matrix(table: Any, this_host: str, this_summary: str) -> pd.DataFrame:
    """The fit table (:class:`lib.fit.verdict.FitTable`) as hosts × dtypes; each cell (markdown)
    ``<mark> <verdict> — <reason with numbers>``."""
    import pandas as pd

    matrix = {}
    for host in table.hosts:
        label = f"**{md_escape(host_label(host))}**" + (f" ({md_escape(this_summary)})" if host == this_host else "")
        row = {}
        for d in table.dtypes:
            v = table.get(host, d)
            if v is None:
                row[dtype_label(d)] = "–"
                continue
            color, mark = FIT_STYLE.get(v.kind.value, ("gray", ""))
            row[dtype_label(d)] = f":{color}[**{mark} {md_escape(v.label)}**] — {md_escape(v.reason)}"
        matrix[label] = row
    df = pd.DataFrame.from_dict(matrix, orient="index")
    df.index.name = _("Host")
    return df


def _estimates(table: Any, host: str):
    for d in table.dtypes:
        v = table.get(host, d)
        if v is not None and v.estimate is not None:
            yield d, v.estimate


def parts_rows(table: Any, host: str) -> list[dict[str, Any]]:
    """The estimate's parts for ``host``, one row per (dtype, part): GB (decimal), whether it counts
    in the peak. The keys are field names (the chart's and the Model page's), not headers: the labels in
    the values are translated."""
    rows = []
    for d, est in _estimates(table, host):
        for p in est.parts():
            rows.append({"dtype": dtype_label(d), "Part": p.label, "GB": fmt.gb(p.bytes),
                         "Counted": p.in_total, "Note": p.note,
                         "Device": "GPU" if est.device == "cuda" else "CPU",
                         "order": PART_ORDER.index(p.key) if p.key in PART_ORDER else len(PART_ORDER)})
    return rows


def parts_table(table: Any, host: str) -> pd.DataFrame | None:
    """Parts × dtypes in GB with a note per part and the peak total; None when nothing is estimated."""
    import pandas as pd

    rows = parts_rows(table, host)
    if not rows:
        return None
    data = pd.DataFrame(rows)
    dtypes = list(dict.fromkeys(data["dtype"]))
    wide = data.pivot_table(index="Part", columns="dtype", values="GB", sort=False)[dtypes]
    wide.columns.name = None
    notes = data.drop_duplicates("Part").set_index("Part")["Note"]
    counted = data.groupby("Part", sort=False)["Counted"].all()
    note = _("Note")
    wide[note] = [n if counted[p] else _("{note} (not counted in the peak)").format(note=n) for p, n in notes.items()]
    totals = {dtype_label(d): fmt.gb(est.total) for d, est in _estimates(table, host)}
    wide.loc[_("Total (peak)")] = {**totals,
                                   note: _("weights + baseline + overhead + max(load peak, KV + activations)")}
    wide.index.name = _("Part")
    return wide


def parts_spec(dtype_order: Sequence[str]) -> dict[str, Any]:
    """Vega-Lite stacked horizontal bars: one bar per dtype, one segment per counted part."""
    return {
        "mark": {"type": "bar"},
        "height": {"step": 34},
        "encoding": {
            "y": {"field": "dtype", "type": "nominal", "sort": list(dtype_order), "title": None},
            "x": {"field": "GB", "type": "quantitative", "aggregate": "sum", "title": _("Estimated peak (GB)")},
            "color": {"field": "Part", "type": "nominal", "sort": [_(PART_LABELS[k]) for k in PART_ORDER],
                      "title": _("Part"), "legend": {"orient": "bottom"}},
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [
                {"field": "dtype", "type": "nominal"},
                {"field": "Part", "type": "nominal", "title": _("Part")},
                {"field": "GB", "type": "quantitative", "format": ".3f"},
                {"field": "Note", "type": "nominal", "title": _("Note")},
            ],
        },
    }


def estimate_notes(table: Any, host: str) -> list[str]:
    """The estimator's notes for ``host`` (no config, sliding window, quantisation …), once each."""
    out: dict[str, None] = {}
    for _d, est in _estimates(table, host):
        out.update(dict.fromkeys(est.notes))
    return list(out)


@dataclass(frozen=True)
class MeasuredRow:
    """A measured peak beside the estimate for the same model, dtype, device and context."""

    dtype: str
    device: str
    context_tokens: int | None
    measured: int
    estimated: int | None
    measured_at: float

    @property
    def estimate_error(self) -> float | None:
        """(estimated − measured) / measured: positive when the estimate is above the measurement."""
        return (self.estimated - self.measured) / self.measured if self.estimated and self.measured else None

    def as_dict(self) -> dict[str, Any]:
        from datetime import datetime

        err = self.estimate_error
        return {
            "dtype": self.dtype, _("Device"): self.device.upper() if self.device == "cpu" else self.device,
            _("Context"): fmt.number(self.context_tokens) if self.context_tokens else "–",
            _("Measured peak"): fmt.size_bytes(self.measured),
            _("Estimate"): fmt.size_bytes(self.estimated),
            _("Estimate vs measured"): signed_percent(err),
            _("When"): fmt.date(datetime.fromtimestamp(self.measured_at, UTC)) if self.measured_at else "–",
        }


def signed_percent(x: float | None) -> str:
    """``+12%`` / ``−5%`` (``+12 %`` in Spanish); ``–`` for None."""
    if x is None:
        return "–"
    return ("+" if x >= 0 else "") + fmt.percent(x)


def measured_rows(spec: Any, measurements: Sequence[Any], context: int | None = None) -> list[MeasuredRow]:
    """One row per stored measurement (lib.fit.measured.Measurement), with the estimate recomputed
    for its dtype, device and context (the measurement's own context when it recorded one)."""
    rows = []
    for m in measurements:
        ctx = m.context_tokens or context
        try:
            est = estimate_memory(spec, m.dtype, m.device if m.device in ("cpu", "cuda") else "cpu",
                                  context_tokens=ctx).total
        except ValueError:
            est = None
        rows.append(MeasuredRow(m.dtype, m.device, ctx, int(m.peak_bytes), est, float(m.measured_at or 0)))
    return rows


__all__ = ["FIT_STYLE", "PART_ORDER", "fit_matrix", "parts_rows", "parts_table", "parts_spec", "estimate_notes",
           "MeasuredRow", "measured_rows"]
