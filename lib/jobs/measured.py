"""Record what a run measured into the fit check's "measured" store (``lib.fit.measured``).

The runner only measures (``lib.runner.Measurement``); a job, its caller, records here.
"""
from __future__ import annotations

import threading

from lib.runner.result import Measurement

_RECORDED: dict[tuple[str, str, str, str], int] = {}
_LOCK = threading.Lock()


def device_family(device: str) -> str:
    """``cuda:1`` -> ``cuda``; ``mps``; anything else ``cpu`` (the store's device column)."""
    device = str(device)
    return "cuda" if device.startswith("cuda") else ("mps" if device == "mps" else "cpu")


def comparable_peak(m: Measurement) -> tuple[int, str]:
    """The peak and its kind as lib.fit compares them: on CPU the peak is the whole process's, so what
    the host app held before torch was imported is taken off (lib.fit estimates a fresh process)."""
    peak, kind = int(m.peak_bytes), m.kind
    if kind == "process_rss_peak" and m.host_bytes and peak > m.host_bytes:
        return peak - int(m.host_bytes), "process_rss_peak_minus_host_app"
    return peak, kind


def record(m: Measurement, store=None) -> bool:
    """Store ``m`` for (model, dtype, device family); True when written.

    A repeated run with about the same peak (within 2 %) is not written again: a test-drive rerun
    must not pay for a write. A store that cannot be written (read-only home, full disk, database
    down) must not fail the run: the failure is swallowed and False returned.
    """
    if not m.model_id or not m.peak_bytes or m.peak_bytes <= 0:
        return False
    try:
        if store is None:
            from lib.fit.measured import MeasuredStore

            store = MeasuredStore()
        peak, kind = comparable_peak(m)
        family = device_family(m.device)
        where = str(getattr(store, "path", None) or getattr(store, "url", None) or id(store))
        key = (where, m.model_id, m.dtype, family)
        with _LOCK:
            last = _RECORDED.get(key)
            if last is not None and abs(peak - last) <= 0.02 * last:
                return False
        store.record(m.model_id, m.dtype, family, peak, note=kind)
        with _LOCK:
            _RECORDED[key] = peak
        return True
    except Exception:  # noqa: BLE001 - any store failure (OS, SQL, bad value) must not fail the run
        return False
