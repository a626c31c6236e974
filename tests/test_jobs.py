"""The job runner (lib.jobs): model × task × inputs with progress, cancel, batches and per-item errors."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from lib import jobs
from lib.fit.measured import MeasuredStore
from lib.jobs import JobRunner
from lib.runner import RunOptions, run
from lib.runner.cache import ModelCache
from lib.runner.result import LoadProgress
from tests.support.batching import text_classification_batch, with_run_batch, with_spec

TEXTS = ["i love this movie", "this film is terrible and awful", "the weather is sunny", "paris is the capital",
         "the cat sat on the mat"]
OPTS = RunOptions(device="cpu", dtype="fp32", batch_size=2)


@pytest.fixture(scope="module")
def cache():
    return ModelCache(budget_bytes=2 * 1024**3)


@pytest.fixture
def runner(cache):
    r = JobRunner(max_workers=2, cache=cache)
    yield r
    r.shutdown()


@pytest.fixture
def classifier(tiny_model):
    return str(tiny_model("text-classification"))


def _texts(texts):
    return [{"text": t} for t in texts]


def test_items_run_one_by_one_without_run_batch(runner, classifier, cache, tmp_path):
    with with_run_batch("text-classification", None):
        job = runner.submit(classifier, "text-classification", _texts(TEXTS), OPTS, store=MeasuredStore(tmp_path))
        assert job.wait(120)
    p = job.progress()
    assert (p.state, p.items_done, p.items_total) == ("done", 5, 5)
    for text, item in zip(TEXTS, job.items):
        assert item.ok and not item.batched and item.latency_s > 0
        alone = run(classifier, "text-classification", {"text": text}, OPTS, cache=cache)
        assert item.output == alone.output
    res = job.result(0)
    assert res.output == job.items[0].output and res.code and res.device == "cpu" and res.dtype == "fp32"
    # the runner measured, the job recorded
    m = MeasuredStore(tmp_path).get(classifier, "fp32", "cpu")
    assert m is not None and job.measurement is not None and m.peak_bytes > 0


def test_items_run_in_batches_through_run_batch(runner, classifier):
    job = runner.submit(classifier, "text-classification", _texts(TEXTS), OPTS, record=False)
    assert job.wait(120)
    with with_run_batch("text-classification", None):
        one = runner.submit(classifier, "text-classification", _texts(TEXTS), OPTS, record=False)
        assert one.wait(120)
    assert job.state == "done" and all(it.ok and it.batched for it in job.items)
    for batched, single in zip(job.items, one.items):
        assert batched.output["labels"] == single.output["labels"]
        assert batched.output["scores"] == pytest.approx(single.output["scores"], abs=1e-4)


def test_a_bad_input_is_its_items_error_and_the_others_run(runner, classifier):
    job = runner.submit(classifier, "text-classification", _texts(["a fine day", "   ", "a bad day"]), OPTS,
                        record=False)
    assert job.wait(120)
    ok, bad, ok2 = job.items
    assert ok.ok and ok2.ok and bad.status == "error"
    assert bad.error_title == "Check the input" and "Traceback" not in bad.error_message and bad.error_message
    assert job.error(1) == (bad.error_title, bad.error_message) and job.error(0) is None
    assert job.progress().items_done == 3


def test_a_failing_batch_is_retried_item_by_item(runner, classifier, monkeypatch):
    from lib import tasks as registry

    def batch(loaded, items, task, opts):
        if any("boom" in it["text"] for it in items):
            raise RuntimeError("batch went boom")
        return text_classification_batch(loaded, items, task, opts)

    real = registry.get("text-classification").run

    def single(loaded, item, task, opts):
        if "boom" in item["text"]:
            raise RuntimeError("this input went boom\n  File ...")
        return real(loaded, item, task, opts)

    with with_spec("text-classification", run=single, run_batch=batch):
        job = runner.submit(classifier, "text-classification", _texts(["a fine day", "boom", "a day", "b day"]),
                            OPTS, record=False)
        assert job.wait(120)
    assert [it.status for it in job.items] == ["ok", "error", "ok", "ok"]
    # batches of 2 in length order: the item that shared the failed batch ran again alone, the other batch stayed
    assert sorted(it.batched for it in job.items if it.ok) == [False, True, True]
    assert job.items[1].error_title == "The run failed"
    assert "boom" in job.items[1].error_message and "File ..." not in job.items[1].error_message


def test_a_refused_load_fails_the_job_with_the_gates_reason(runner, classifier):
    job = runner.submit(classifier, "text-classification", _texts(TEXTS), RunOptions(device="cpu", dtype="bf16"),
                        allowed=(False, "Needs 9 GB; 4 GB free."), record=False)
    assert job.wait(60)
    assert job.state == "failed"
    assert job.error() == ("Model too large to load here", "Needs 9 GB; 4 GB free.")
    assert job.error(0) == job.error() and all(it.status == "skipped" for it in job.items)


def test_cancel_stops_a_running_job_between_batches(runner, classifier):
    started = threading.Event()

    def slow(loaded, items, task, opts):
        started.set()
        time.sleep(0.3)
        return text_classification_batch(loaded, items, task, opts)

    with with_run_batch("text-classification", slow):
        job = runner.submit(classifier, "text-classification", _texts(TEXTS * 8), OPTS, record=False)
        assert started.wait(120)
        t0 = time.perf_counter()
        job.cancel()
        assert job.wait(5)
        stopped = time.perf_counter() - t0
    p = job.progress()
    assert p.state == "cancelled" and stopped < 1.0
    assert 0 < p.items_done < 40
    assert {it.status for it in job.items} == {"ok", "skipped"}


def test_a_queued_job_shows_its_place_and_cancels_at_once(classifier, cache):
    runner = JobRunner(max_workers=1, cache=cache)
    gate = threading.Event()
    try:
        runner.background(gate.wait, 30)  # the only worker is busy
        first = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), OPTS, record=False)
        second = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), OPTS, record=False)
        assert first.progress().queue_position == 1 and second.progress().queue_position == 2
        second.cancel()
        assert second.finished and second.state == "cancelled"
        assert first.progress().queue_position == 1
        gate.set()
        assert first.wait(120) and first.state == "done"
    finally:
        gate.set()
        runner.shutdown()


def test_loading_progress_carries_the_download_bytes(runner, classifier, monkeypatch):
    from lib.runner import api

    release = threading.Event()
    real = api.prepare

    def prepare(model, task, opts=None, *, progress=None, **kw):
        progress(LoadProgress("download", "Downloading x", 5_000_000, 20_000_000))
        release.wait(30)
        return real(model, task, opts, progress=progress, **kw)

    monkeypatch.setattr(api, "prepare", prepare)
    job = runner.submit(classifier, "text-classification", _texts(TEXTS[:2]), OPTS, record=False)
    deadline = time.monotonic() + 30
    while job.progress().stage != "download" and time.monotonic() < deadline:
        time.sleep(0.01)
    p = job.progress()
    assert (p.state, p.done_bytes, p.total_bytes, p.fraction) == ("loading", 5_000_000, 20_000_000, 0.25)
    release.set()
    assert job.wait(120) and job.state == "done"


def test_hood_runs_after_the_run(runner, classifier):
    job = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), OPTS, hood=True, record=False)
    assert job.wait(120)
    assert job.hood is not None and job.hood_error is None
    assert job.hood.ids and job.hood.rows


def test_submit_many_runs_one_job_per_model(runner, classifier, tiny_model):
    refused = str(tiny_model("custom-code"))
    a, b = runner.submit_many([classifier, refused], "text-classification", _texts(TEXTS[:2]), OPTS, record=False)
    assert a.wait(120) and b.wait(120)
    assert a.state == "done" and all(it.ok for it in a.items)
    assert b.state == "failed" and b.error()[0] == "Custom code not allowed"


def test_a_store_that_cannot_be_written_does_not_fail_the_job(runner, classifier):
    class Broken:
        path = "/nowhere"

        def record(self, *a, **k):
            raise RuntimeError("database is locked")

    job = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), OPTS, store=Broken())
    assert job.wait(120) and job.state == "done" and job.items[0].ok


def test_an_empty_job_only_loads_the_model(classifier):
    cache = ModelCache(budget_bytes=2 * 1024**3)
    runner = JobRunner(max_workers=1, cache=cache)
    try:
        job = runner.submit(classifier, "text-classification", [], OPTS)
        assert job.wait(120) and job.state == "done" and len(cache) == 1
        again = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), OPTS, record=False)
        assert again.wait(120) and again.cached
    finally:
        runner.shutdown()


def test_warm_up_imports_the_runtime_once_in_the_background(tiny_model):
    folder = str(tiny_model("text-classification"))
    code = f"""
import sys, time
from lib.jobs.warmup import is_warm, warm_up, warmed
from lib.runner import RunOptions
from lib.runner.cache import shared_cache
assert 'torch' not in sys.modules
f = warm_up(preload=({folder!r}, "text-classification", RunOptions(), (True, None)))
f.result(timeout=300)
assert warmed() and 'torch' in sys.modules and 'transformers.pipelines' in sys.modules
assert len(shared_cache()) == 1, "the preload put the model in the cache"
again = warm_up()
assert again.done(), "every step already ran: nothing is repeated"
from lib.runner.api import host_process_bytes
assert host_process_bytes(), 'the host app was noted before torch'
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert out.returncode == 0, out.stderr[-2000:]


def test_warm_up_for_preloads_only_small_local_models_the_gate_allows(monkeypatch, tiny_model):
    from types import SimpleNamespace

    from lib.jobs import warmup

    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda **kw: calls.append(kw))
    folder = str(tiny_model("text-classification"))
    ok = SimpleNamespace(allowed=True, blocked=False, reason="fits", estimate_bytes=200_000_000)
    warmup.warm_up_for(folder, "text-classification", gate=ok)
    assert calls[-1]["preload"][0] == folder and not calls[-1]["sentence_transformers"]
    big = SimpleNamespace(allowed=True, blocked=False, reason="fits", estimate_bytes=5_000_000_000)
    warmup.warm_up_for(folder, "text-classification", gate=big)
    assert calls[-1]["preload"] is None
    overridden = SimpleNamespace(allowed=True, blocked=True, reason="too big", estimate_bytes=300_000_000)
    warmup.warm_up_for(folder, "text-classification", gate=overridden)
    assert calls[-1]["preload"] is None
    warmup.warm_up_for("someone/not-downloaded", "text-classification", gate=ok)  # never downloads
    assert calls[-1]["preload"] is None
    st_model = SimpleNamespace(library_name="sentence-transformers", tags=())
    warmup.warm_up_for("sentence-transformers/x", "sentence-similarity", details=st_model)
    assert calls[-1]["sentence_transformers"]


def test_the_module_level_submit_uses_one_shared_runner():
    assert jobs.default_runner() is jobs.default_runner()


def test_lib_ui_starts_no_threads():
    """Model runs go through lib.jobs: no module in lib/ui starts a thread of its own."""
    from pathlib import Path

    ui = Path(__file__).resolve().parents[1] / "lib" / "ui"
    for path in ui.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "threading" not in text and "ThreadPoolExecutor" not in text, path.name


# ------------------------------------------------------------------ runs per visitor and hour (issue 8)
class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_limiter_counts_runs_per_visitor_over_a_sliding_hour():
    from lib.jobs.limits import RunLimiter

    clock = _Clock()
    limiter = RunLimiter(clock=clock)
    assert [limiter.take("ann", 3) for _ in range(3)] == [None, None, None]
    clock.now += 600
    refusal = limiter.take("ann", 3)
    assert refusal == "3 runs per hour on this public instance; next run possible in 50 min."
    assert limiter.left("ann", 3) == 0 and limiter.take("bob", 3) is None  # visitors are counted apart
    clock.now += 50 * 60 + 1  # the first three runs left the hour
    assert limiter.take("ann", 3) is None and limiter.left("ann", 3) == 2
    assert all(limiter.take("ann", None) is None for _ in range(100))  # None: no limit
    assert limiter.take("cid", 1) is None
    assert limiter.take("cid", 1).startswith("1 run per hour")


def test_submit_refuses_a_visitor_over_the_limit_at_once(classifier, cache):
    from types import SimpleNamespace

    from lib.jobs.limits import RunLimiter

    runner = JobRunner(max_workers=1, cache=cache, limiter=RunLimiter())
    public = SimpleNamespace(runs_per_hour=2)  # an Access-like object
    try:
        ok = [runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), OPTS, record=False,
                            visitor="session-a", access=public) for _ in range(2)]
        refused = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), OPTS, record=False,
                                visitor="session-a", access=public)
        assert refused.finished and refused.state == "failed"
        title, message = refused.error(0)
        assert title == "Run limit reached"
        assert message.startswith("2 runs per hour on this public instance; next run possible in ")
        assert message.endswith(" min.") and "Traceback" not in message
        other = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), OPTS, record=False,
                              visitor="session-b", access=public)
        admin = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), OPTS, record=False,
                              visitor="session-a", access=SimpleNamespace(runs_per_hour=None))
        for job in ok + [other, admin]:
            assert job.wait(120) and job.state == "done" and job.items[0].ok
    finally:
        runner.shutdown()


def test_the_limit_also_comes_from_the_runs_own_access(classifier, cache):
    """The test-drive puts the visitor's Access into RunOptions.access; submit reads the limit there."""
    import dataclasses

    from lib.access import LOCAL

    runner = JobRunner(max_workers=1, cache=cache)
    opts = dataclasses.replace(OPTS)
    opts.access = dataclasses.replace(LOCAL, runs_per_hour=1)  # RunOptions.access: local freedoms, 1 run an hour
    try:
        first = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), opts, record=False, visitor="v")
        second = runner.submit(classifier, "text-classification", _texts(TEXTS[:1]), opts, record=False, visitor="v")
        assert second.state == "failed" and second.error(0)[0] == "Run limit reached"
        assert first.wait(120) and first.state == "done"
    finally:
        runner.shutdown()


def test_the_test_drive_counts_runs_per_visitor(tiny_model, monkeypatch, tmp_path):
    """Run twice in one browser session over a limit of 1 per hour: the second says why; another
    session still runs."""
    from lib.jobs import runner as jobs_runner
    from tests.test_testdrive_app import errors, section

    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(jobs_runner, "runs_per_hour", lambda access: 1)  # a public instance, 1 run per hour
    fresh = JobRunner(max_workers=2)
    monkeypatch.setattr(jobs_runner, "_DEFAULT", fresh)
    folder = str(tiny_model("text-classification"))
    try:
        at = section(folder, "text-classification")
        at.button(key="t_run").click().run()
        assert errors(at) == []
        at.button(key="t_run").click().run()
        errs = errors(at)
        assert len(errs) == 1 and errs[0].startswith("**Run limit reached**")
        assert "1 run per hour on this public instance; next run possible in 60 min." in errs[0]
        other = section(folder, "text-classification")  # another visitor
        other.button(key="t_run").click().run()
        assert errors(other) == []
    finally:
        fresh.shutdown()


def test_a_download_says_its_progress_in_its_submitters_language_on_any_thread():
    """huggingface_hub reports bytes from its own threads: the message is still the submitter's language."""
    import threading

    from lib import i18n
    from lib.jobs.download import DownloadJob

    with i18n.scope("es"):
        job = DownloadJob("org/model", 100)
    t = threading.Thread(target=job._bytes, args=(10,))  # a fresh thread: no language of its own
    t.start()
    t.join()
    assert job.progress().message == "Descargando org/model"
