"""A test-drive run feeds the fit check's "measured" column (lib.fit.measured): the runner measures,
its caller (a lib.jobs job) records."""
from __future__ import annotations

from lib.fit.measured import MeasuredStore
from lib.jobs import JobRunner
from lib.runner import RunOptions, run
from lib.runner.cache import ModelCache


def _job_run(folder, inputs, opts, cache):
    """One input through a job (which records the measurement), its RunResult."""
    runner = JobRunner(max_workers=1, cache=cache)
    try:
        job = runner.submit(folder, "text-classification", [inputs], opts)
        assert job.wait(300) and job.items[0].ok, job.error(0)
        return job.result(0)
    finally:
        runner.shutdown()


def test_the_runner_measures_but_records_nothing(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    folder = str(tiny_model("text-classification"))
    res = run(folder, "text-classification", {"text": "only measured"}, RunOptions(device="cpu", dtype="fp32"),
              cache=ModelCache(budget_bytes=2 * 1024**3))
    m = res.measurement
    assert (m.model_id, m.device, m.dtype, m.kind) == (folder, "cpu", "fp32", "process_rss_peak")
    assert m.peak_bytes == res.peak_memory_bytes and m.latency_s == res.latency_s
    assert MeasuredStore(tmp_path).lookup(folder) == []


def test_run_records_its_measured_peak(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    folder = str(tiny_model("text-classification"))
    res = _job_run(folder, {"text": "a fine day"}, RunOptions(device="cpu", dtype="fp32"),
                   ModelCache(budget_bytes=2 * 1024**3))
    store = MeasuredStore(tmp_path)
    m = store.get(folder, "fp32", "cpu")
    assert m is not None, store.lookup(folder)
    assert m.peak_bytes == res.peak_memory_bytes
    # A process that imported torch and holds a model has well over 100 MB resident.
    assert m.peak_bytes > 100 * 1024**2
    assert m.note == "process_rss_peak"


def test_peak_rss_sees_a_transient_allocation_inside_the_run():
    """The run's peak includes memory that was freed before the run ended (what a load/forward does)."""
    import numpy as np
    import psutil

    from lib.runner.api import _PeakRSS

    before = psutil.Process().memory_info().rss
    with _PeakRSS() as rss:
        block = np.ones(200 * 1024**2 // 8)  # 200 MiB, touched
        del block
    assert rss.peak >= before + 150 * 1024**2
    assert psutil.Process().memory_info().rss < rss.peak


def test_same_peak_is_not_rewritten(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    folder = str(tiny_model("text-classification"))
    cache = ModelCache(budget_bytes=2 * 1024**3)
    opts = RunOptions(device="cpu", dtype="fp32")
    _job_run(folder, {"text": "one"}, opts, cache)
    store = MeasuredStore(tmp_path)
    first = store.get(folder, "fp32", "cpu")
    _job_run(folder, {"text": "two"}, opts, cache)
    again = store.get(folder, "fp32", "cpu")
    assert again.measured_at == first.measured_at  # within 2 %: no second write


def test_cpu_peak_is_recorded_without_the_host_app(tiny_model, tmp_path, monkeypatch):
    """Inside the app the process also holds Streamlit & co.: the stored peak drops what the host held
    before torch, so that it compares with lib.fit's fresh-process estimate."""
    from lib.runner import api

    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(api, "_HOST_RSS_BEFORE_TORCH", 50 * 1024**2)
    folder = str(tiny_model("text-classification"))
    res = _job_run(folder, {"text": "host"}, RunOptions(device="cpu", dtype="fp32"),
                   ModelCache(budget_bytes=2 * 1024**3))
    m = MeasuredStore(tmp_path).get(folder, "fp32", "cpu")
    assert m.peak_bytes == res.peak_memory_bytes - 50 * 1024**2
    assert m.note == "process_rss_peak_minus_host_app"
