"""A test-drive run feeds the fit check's "measured" column (lib.fit.measured)."""
from __future__ import annotations

from lib.fit.measured import MeasuredStore
from lib.runner import RunOptions, run
from lib.runner.cache import ModelCache


def test_run_records_its_measured_peak(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    folder = str(tiny_model("text-classification"))
    res = run(folder, "text-classification", {"text": "a fine day"}, RunOptions(device="cpu", dtype="fp32"),
              cache=ModelCache(budget_bytes=2 * 1024**3))
    store = MeasuredStore(tmp_path)
    m = store.get(folder, "fp32", "cpu")
    assert m is not None, store.lookup(folder)
    assert m.peak_bytes == res.peak_memory_bytes
    # A process that imported torch and holds a model has well over 100 MB resident.
    assert m.peak_bytes > 100 * 1024**2
    assert m.note == "process_rss_peak"
