"""Running a session (lib.sessions.run): every candidate on every missing input through lib.jobs, each cell
written as it finishes, resumable (even after kill -9), one model in memory at a time when memory is tight."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from lib import store as db
from lib.hardware import Hardware
from lib.jobs import JobRunner
from lib.runner import RunOptions, run
from lib.runner.cache import ModelCache
from lib.sessions import store
from lib.sessions.errors import SessionError, SessionNotFound
from lib.sessions.plan import FitPlan, plan_fit, run_options
from lib.sessions.run import active, start_run
from lib.tasks.classification import run_text_classification_batch
from tests.support.batching import with_spec

ROOT = Path(__file__).resolve().parents[1]
TASK = "text-classification"
TEXTS = ["i love this movie", "this film is terrible and awful", "the weather is sunny", "paris is the capital",
         "the cat sat on the mat"]
SETTINGS = {"dtype": "fp32", "device": "cpu", "generation": {}, "batch_size": 2}


@pytest.fixture(autouse=True)
def _own_store(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path / "data"))
    yield
    db.dispose_all()


@pytest.fixture(scope="module")
def cache():
    return ModelCache(budget_bytes=2 * 10**9)


@pytest.fixture
def runner(cache):
    r = JobRunner(max_workers=3, cache=cache)
    yield r
    r.shutdown()


@pytest.fixture(scope="module")
def models(tiny_model, tmp_path_factory):
    """Two classifier folders: the tiny one and a copy under another name (two candidates)."""
    first = tiny_model(TASK)
    second = tmp_path_factory.mktemp("copies") / "classifier-b"
    shutil.copytree(first, second)
    return [str(first), str(second)]


def _session(models, texts=TEXTS, name="run test"):
    return store.create_session(name, TASK, list(models), [{"text": t} for t in texts], dict(SETTINGS))


class Counter:
    """Counts the inputs the task's run functions see (the runner's calls), optionally slowed down."""

    def __init__(self, delay: float = 0.0):
        self.items, self.delay, self.lock = 0, delay, threading.Lock()
        self.seen: list = []  # whatever ``probe()`` returns, at each call

    def probe(self):
        return None

    def _count(self, n: int) -> None:
        with self.lock:
            self.items += n
            self.seen.append(self.probe())
        if self.delay:
            time.sleep(self.delay)

    def batch(self, loaded, items, task, opts):
        self._count(len(items))
        return run_text_classification_batch(loaded, items, task, opts)

    def __enter__(self):
        from lib import tasks

        spec = tasks.get(TASK)

        def one(loaded, item, task, opts):
            self._count(1)
            return spec.run(loaded, item, task, opts)

        self._ctx = with_spec(TASK, run=one, run_batch=self.batch)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def _missing(sid):
    return sum(len(v) for v in store.missing_cells(sid).values())


def _same_output(a, b):
    return a["labels"] == b["labels"] and a["scores"] == pytest.approx(b["scores"], abs=1e-4)


# ------------------------------------------------------------------ a full run
def test_a_run_fills_every_cell_and_records_each_candidates_stats(models, cache):
    info = _session(models)
    runner = JobRunner(max_workers=3, cache=ModelCache(budget_bytes=2 * 10**9))  # loads: load_s is measured
    try:
        with Counter() as calls:
            r = start_run(info.id, runner=runner)
            assert r.wait(120)
    finally:
        runner.shutdown()
    assert calls.items == 10 and r.plan.together, r.plan  # two tiny models fit together: both jobs at once
    cells = store.outputs(info.id)
    assert len(cells) == 10 and store.missing_cells(info.id) == {"c1": [], "c2": []}
    opts = RunOptions(device="cpu", dtype="fp32")
    for n, text in enumerate(TEXTS, 1):
        alone = run(models[0], TASK, {"text": text}, opts, cache=cache).output
        for cid in ("c1", "c2"):
            cell = cells[(f"i{n}", cid)]
            assert cell["error"] is None and cell["latency_s"] > 0 and _same_output(cell["output"], alone)
    for p in r.progress().values():
        assert (p.state, p.done, p.total, p.errors) == ("done", 5, 5, 0) and p.message == "5 of 5"
    for c in store.get_session(info.id).candidates:
        s = c.stats
        assert 0 < s["latency_p50_s"] <= s["latency_p95_s"] and s["peak_bytes"] > 0 and s["load_s"] > 0
        assert (s["device"], s["dtype"], s["error"]) == ("cpu", "fp32", None)
    assert r.finished and len(store.export_session(info.id)["outputs"]) == 10
    assert not r.jobs and r.info.inputs == ()  # a finished run kept for active() holds no inputs nor outputs


def test_cells_are_written_as_they_finish_and_a_second_run_fills_only_the_missing(runner, models):
    info = _session(models, TEXTS * 2)
    with Counter(delay=0.15) as slow:
        r = start_run(info.id, runner=runner, fit=False)
        deadline = time.monotonic() + 60
        while _missing(info.id) == 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not r.finished and _missing(info.id) < 20  # cells are in the store while the run goes on
        states = {cid: p.state for cid, p in r.progress().items()}
        assert states["c2"] == "waiting"  # one at a time, as asked
        assert start_run(info.id, runner=runner) is r and active(info.id) is r  # a second Run joins this one
        r.cancel()
        assert r.wait(60)
    assert {p.state for p in r.progress().values()} == {"cancelled"}
    assert r.summary().startswith("c1 cancelled: Cancelled after ") and "c2 cancelled" in r.summary()
    missing = _missing(info.id)
    assert 0 < missing < 20 and slow.items == 20 - missing
    before = store.outputs(info.id)
    with Counter() as calls:
        again = start_run(info.id, runner=runner)
        assert again.wait(120)
    assert calls.items == missing and _missing(info.id) == 0
    after = store.outputs(info.id)
    assert all(after[k] == v for k, v in before.items())  # nothing written before was run or written again
    with Counter() as none:
        third = start_run(info.id, runner=runner)
    assert third.finished and none.items == 0 and not third.jobs
    assert [p.message for p in third.progress().values()] == ["Nothing left to run"] * 2


# ------------------------------------------------------------------ failures
def test_a_candidate_that_cannot_load_gets_its_error_per_cell_and_the_other_completes(runner, models, tmp_path):
    later = tmp_path / "arrives-later"
    info = _session([str(later), models[0]])
    r = start_run(info.id, runner=runner)
    assert r.wait(120)
    cells = store.outputs(info.id)
    assert not r.plan.together and "unknown" in r.plan.reason  # no size for a missing folder: careful plan
    for n in range(1, 6):
        bad, good = cells[(f"i{n}", "c1")], cells[(f"i{n}", "c2")]
        assert bad["output"] is None and bad["error"]["title"] and bad["error"]["message"]
        assert "Traceback" not in bad["error"]["message"] and str(tmp_path) not in bad["error"]["message"]
        assert good["error"] is None and good["output"]["labels"]
    p1, p2 = r.progress().values()
    assert (p1.state, p1.errors, p1.done) == ("failed", 5, 5) and (p2.state, p2.done) == ("done", 5)
    stats = store.get_session(info.id).candidates[0].stats
    assert stats["error"] and stats["latency_p50_s"] is None

    shutil.copytree(models[0], later)  # the folder is there now
    with Counter() as calls:
        assert start_run(info.id, runner=runner).wait(60)
    assert calls.items == 0 and store.outputs(info.id)[("i1", "c1")]["error"]  # failed cells rerun only if asked
    with Counter() as calls:
        r = start_run(info.id, runner=runner, retry_errors=True)
        assert r.wait(120)
    assert calls.items == 5 and all(v["error"] is None for v in store.outputs(info.id).values())
    assert store.get_session(info.id).candidates[0].stats["error"] is None


def test_a_bad_input_is_that_cells_error(runner, models):
    info = _session(models, ["a fine day", "   ", "a bad day"])
    assert start_run(info.id, runner=runner).wait(120)
    cells = store.outputs(info.id)
    assert cells[("i2", "c1")]["error"]["title"] == "Check the input" and cells[("i1", "c1")]["output"]
    assert store.missing_cells(info.id) == {"c1": [], "c2": []}


def test_a_visitor_over_the_run_limit_leaves_the_cells_missing(models, cache):
    import dataclasses

    from lib.access import access_for
    from lib.jobs.limits import RunLimiter

    info = _session(models)
    runner = JobRunner(max_workers=2, cache=cache, limiter=RunLimiter())
    try:
        r = start_run(info.id, runner=runner, visitor="v1", fit=False,
                      access=dataclasses.replace(access_for(), runs_per_hour=1))
        assert r.wait(120)
    finally:
        runner.shutdown()
    p1, p2 = r.progress().values()
    assert p1.state == "done" and p2.state == "failed" and p2.message.startswith("Run limit reached")
    assert store.missing_cells(info.id) == {"c1": [], "c2": ["i1", "i2", "i3", "i4", "i5"]}  # not errors: run later


def test_a_cell_the_store_could_not_take_stays_missing_and_the_next_run_fills_it(runner, models, monkeypatch):
    info = _session(models)
    real = store.record_output

    def flaky(session_id, candidate_id, input_id, **kw):
        if (candidate_id, input_id) == ("c1", "i3"):
            raise OSError("disk full")
        if (candidate_id, input_id) == ("c2", "i1") and kw.get("output") is not None:
            raise SessionError("The output of c2 on i1 cannot be stored (not JSON).")
        return real(session_id, candidate_id, input_id, **kw)

    monkeypatch.setattr(store, "record_output", flaky)
    r = start_run(info.id, runner=runner)
    assert r.wait(120) and [p.state for p in r.progress().values()] == ["done", "done"]
    assert store.missing_cells(info.id) == {"c1": ["i3"], "c2": []}
    assert store.outputs(info.id)[("i1", "c2")]["error"]["title"] == "Output not stored"  # not retried forever
    assert r.progress()["c2"].errors == 1
    monkeypatch.setattr(store, "record_output", real)
    with Counter() as calls:
        assert start_run(info.id, runner=runner).wait(120)
    assert calls.items == 1 and store.missing_cells(info.id) == {"c1": [], "c2": []}


def test_an_unknown_session_is_a_clear_error(runner):
    with pytest.raises(SessionNotFound):
        start_run("nope", runner=runner)


# ------------------------------------------------------------------ memory
def test_when_they_do_not_fit_together_one_model_is_in_memory_at_a_time(models):
    opts = RunOptions(device="cpu", dtype="fp32")
    roomy = Hardware("roomy", 64 * 10**9, 64 * 10**9)
    one = plan_fit([("c1", models[0])], opts, hardware=roomy, details={}).estimates["c1"]
    # room for one (tight), not for two
    tight = Hardware("tight", one + 60_000, one + 60_000)
    plan = plan_fit([("c1", models[0]), ("c2", models[1])], opts, hardware=tight, details={})
    assert not plan.together and "One model in memory at a time" in plan.reason
    assert plan.gates == {"c1": (True, None), "c2": (True, None)}
    assert plan_fit([("c1", models[0]), ("c2", models[1])], opts, hardware=roomy, details={}).together
    budget = plan_fit([("c1", models[0]), ("c2", models[1])], opts, hardware=roomy, details={}, cache_budget=1000)
    assert not budget.together and "budget" in budget.reason
    too_small = Hardware("small", one // 2, one // 2)
    refused = plan_fit([("c1", models[0])], opts, hardware=too_small, details={})
    assert refused.gates["c1"][0] is False and "blocked" in refused.gates["c1"][1]

    info = _session(models)
    cache = ModelCache(budget_bytes=2 * 10**9)
    runner = JobRunner(max_workers=3, cache=cache)
    try:
        with Counter() as calls:
            calls.probe = lambda: len(cache)
            r = start_run(info.id, runner=runner, hardware=tight)
            assert r.wait(120)
        assert not r.plan.together and max(calls.seen) == 1 and cache.loads == 2 and len(cache) == 0
        assert _missing(info.id) == 0
        info2 = _session(models, name="roomy")
        r = start_run(info2.id, runner=runner, hardware=roomy)
        assert r.wait(120) and r.plan.together and len(cache) == 2  # together: both stay cached
    finally:
        runner.shutdown()


def test_a_candidate_the_memory_gate_refuses_gets_the_reason_in_each_cell(models):
    info = _session(models)
    plan = FitPlan(True, "test", gates={"c1": (False, "blocked: 9 GB needed, 1 GB available RAM.")})
    runner = JobRunner(max_workers=2, cache=ModelCache(budget_bytes=10**9))  # not loaded yet: the gate decides
    try:
        assert start_run(info.id, runner=runner, fit=plan).wait(120)
    finally:
        runner.shutdown()
    cells = store.outputs(info.id)
    assert all(cells[(f"i{n}", "c1")]["error"]["message"].startswith("blocked: 9 GB") for n in range(1, 6))
    assert all(cells[(f"i{n}", "c2")]["output"] for n in range(1, 6))


def test_run_options_come_from_the_sessions_settings():
    opts = run_options({"dtype": "bf16", "device": "cpu", "batch_size": 4,
                        "generation": {"max_new_tokens": 12, "do_sample": True, "unknown": 1}})
    assert (opts.dtype, opts.device, opts.batch_size, opts.max_new_tokens, opts.do_sample) == ("bf16", "cpu", 4, 12,
                                                                                               True)
    assert run_options({}).batch_size == 16


# ------------------------------------------------------------------ the job listeners (lib.jobs)
def test_job_listeners_hear_each_batch_and_the_end_and_cannot_break_the_job(runner, models):
    heard, ended = [], []

    def on_item(job, indexes):
        heard.append(sorted(indexes))
        raise RuntimeError("a listener bug")

    job = runner.submit(models[0], TASK, [{"text": t} for t in ["a b", " ", "the cat", "a dog", "sunny"]],
                        RunOptions(device="cpu", dtype="fp32", batch_size=2), record=False,
                        on_item=on_item, on_finish=lambda j: ended.append(j.state))
    assert job.wait(60) and job.state == "done" and ended == ["done"]
    assert heard[0] == [1] and sorted(i for h in heard[1:] for i in h) == [0, 2, 3, 4]
    assert all(len(h) <= 2 for h in heard[1:])  # batch by batch, not at the end
    assert runner.release(job) and not runner.release(job)


# ------------------------------------------------------------------ kill -9 and resume
KILLED_RUN = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from lib import tasks
    from lib.sessions.run import active, start_run
    from tests.support.batching import with_spec

    spec = tasks.get("text-classification")

    def slow(loaded, items, task, opts):
        time.sleep(0.2)
        return spec.run_batch(loaded, items, task, opts)

    with with_spec("text-classification", run_batch=slow):
        run = start_run(sys.argv[1], fit=bool(int(sys.argv[2])))
        run.wait(300)
    print("finished", flush=True)
""")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, monkeypatch):
    """The store on SQLite (the data dir) or on a fresh PostgreSQL database (skipped, saying why, without one)."""
    if request.param == "postgresql":
        monkeypatch.setenv("HUBSCOUT_DATABASE_URL", request.getfixturevalue("pg_url"))
    return request.param


def test_a_run_killed_with_sigkill_and_resumed_loses_and_duplicates_no_cell(runner, models, tmp_path, database):
    texts = [f"{a} {b}" for a in ("the cat", "a dog", "my team") for b in ("is good", "was bad", "runs", "ate")]
    info = _session(models, texts)
    total = 2 * len(texts)
    script = tmp_path / "killed_run.py"
    script.write_text(KILLED_RUN.format(root=str(ROOT)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), info.id, "1"], env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _missing(info.id) > total - 6 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()[-2000:]
    missing = _missing(info.id)
    assert 0 < missing <= total - 6, "the run was not killed mid-way"
    before = store.outputs(info.id)

    with Counter() as calls:
        resumed = start_run(info.id, runner=runner)
        assert resumed.wait(120)
    assert calls.items == missing  # only the missing cells ran
    rows = store.export_session(info.id)["outputs"]
    assert len(rows) == total and len({(o["input"], o["candidate"]) for o in rows}) == total
    after = store.outputs(info.id)
    assert all(after[k] == v for k, v in before.items())
    clean = _session(models, texts, name="clean")
    assert start_run(clean.id, runner=runner).wait(120)
    reference = store.outputs(clean.id)
    assert set(reference) == set(after)
    assert all(v["error"] is None and _same_output(v["output"], reference[k]["output"]) for k, v in after.items())


def test_hub_candidates_are_planned_from_their_hub_details(hub_stub):
    """A Hub id's size comes from its details (the gateway, through the Hub stand-in), as on the Model page."""
    opts = RunOptions(device="cpu", dtype="fp32")
    small = Hardware("small", 2 * 10**9, 2 * 10**9)
    plan = plan_fit([("c1", "google-bert/bert-base-uncased"), ("c2", "FacebookAI/xlm-roberta-large")], opts,
                    hardware=small)
    assert plan.estimates["c1"] and plan.estimates["c2"] > plan.estimates["c1"]
    assert plan.gates["c1"] == (True, None) and plan.gates["c2"][0] is False and "GB" in plan.gates["c2"][1]
    assert not plan.together
    roomy = Hardware("roomy", 64 * 10**9, 64 * 10**9)
    assert plan_fit([("c1", "google-bert/bert-base-uncased"), ("c2", "FacebookAI/xlm-roberta-large")], opts,
                    hardware=roomy).together
    unknown = plan_fit([("c1", "nobody/no-such-model"), ("c2", "google-bert/bert-base-uncased")], opts,
                       hardware=roomy)
    assert not unknown.together and "nobody/no-such-model is unknown" in unknown.reason
