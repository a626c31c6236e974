"""One model load at a time (issue 8): the load queue, places in line, and what a load leaves behind.

Loads wait their turn in the process-wide ``lib.runner.cache.LOAD_QUEUE`` whichever cache they go to;
waiting jobs show their place ("2nd in line for a model load"); a cached model runs without waiting;
a load is checked for the precision it was asked for and a broken or failed one is never cached; a run
that fails on mixed dtypes drops the model from the cache (defect 3).
"""
from __future__ import annotations

import threading
import time

import pytest

from lib.jobs import JobRunner
from lib.jobs.job import JobProgress
from lib.runner import LoadFailed, RunOptions, run
from lib.runner import loader as loader_mod
from lib.runner.cache import LOAD_QUEUE, LoadQueue, ModelCache, looks_like_broken_model, ordinal, place_message

OPTS = RunOptions(device="cpu", dtype="fp32", batch_size=1)


def _until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


class Gate:
    """A loader that blocks until released, recording how many loads run at once."""

    running = 0
    most = 0
    lock = threading.Lock()

    def __init__(self, value="model"):
        self.value = value
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self):
        with Gate.lock:
            Gate.running += 1
            Gate.most = max(Gate.most, Gate.running)
        self.started.set()
        try:
            assert self.release.wait(30)
            return self.value, 10
        finally:
            with Gate.lock:
                Gate.running -= 1


@pytest.fixture(autouse=True)
def _reset_counts():
    Gate.running = Gate.most = 0
    yield


def _in_thread(fn, *args, **kwargs):
    out: dict = {}

    def go():
        try:
            out["value"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out["error"] = e

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t, out


# ------------------------------------------------------------------ the queue itself
def test_ordinals_and_the_message():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    assert place_message(2).startswith("2nd in line for a model load")


def test_the_queue_serves_tickets_in_order_one_at_a_time():
    q = LoadQueue()
    a, b, c = q.ticket(), q.ticket(), q.ticket()
    assert (q.place(a), q.place(b), q.place(c)) == (1, 2, 3)
    order = []

    def load(t):
        with q.turn(t):
            order.append(("start", t))
            time.sleep(0.05)
            order.append(("end", t))

    threads = [threading.Thread(target=load, args=(t,)) for t in (c, b, a)]  # asked in the wrong order
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == [("start", a), ("end", a), ("start", b), ("end", b), ("start", c), ("end", c)]
    assert q.place(a) == q.place(c) == 0 and q.waiting() == 0 and not q.busy()


def test_loads_into_different_caches_still_run_one_at_a_time():
    one, two = ModelCache(budget_bytes=10**9), ModelCache(budget_bytes=10**9)
    first, second = Gate("a"), Gate("b")
    t1, out1 = _in_thread(one.get_or_load, "a", first)
    assert first.started.wait(10)
    t2, out2 = _in_thread(two.get_or_load, "b", second)
    time.sleep(0.3)
    assert not second.started.is_set()  # waits for the first load
    first.release.set()
    assert second.started.wait(10)
    second.release.set()
    t1.join(10)
    t2.join(10)
    assert out1["value"][0].value == "a" and out2["value"][0].value == "b" and Gate.most == 1


def test_waiting_requests_learn_their_place_and_a_cached_model_does_not_wait():
    cache = ModelCache(budget_bytes=10**9)
    cache.put("ready", "R", 10)
    first, second, third = Gate("1"), Gate("2"), Gate("3")
    places = {"2": [], "3": []}
    t1, _ = _in_thread(cache.get_or_load, "k1", first)
    assert first.started.wait(10)
    t2, _ = _in_thread(cache.get_or_load, "k2", second, on_wait=places["2"].append)
    assert _until(lambda: places["2"] == [1])
    t3, _ = _in_thread(cache.get_or_load, "k3", third, on_wait=places["3"].append)
    assert _until(lambda: places["3"] == [2])
    # a cached model is answered at once, whatever the queue holds
    t0 = time.perf_counter()
    entry, cached = cache.get_or_load("ready", Gate("never"))
    assert cached and entry.value == "R" and time.perf_counter() - t0 < 0.05
    first.release.set()
    assert second.started.wait(10) and _until(lambda: places["3"] == [2, 1])
    second.release.set()
    third.release.set()
    for t in (t1, t2, t3):
        t.join(10)
    assert set(cache.keys()) == {"ready", "k1", "k2", "k3"} and Gate.most == 1


def test_the_load_timeout_counts_from_the_loads_turn_not_the_wait():
    from lib.runner import LoadTimeout

    cache = ModelCache(budget_bytes=10**9)
    first = Gate("slow")
    t1, _ = _in_thread(cache.get_or_load, "first", first)
    assert first.started.wait(10)
    t2, out2 = _in_thread(cache.get_or_load, "quick", lambda: ("quick", 1), timeout_s=0.3)
    time.sleep(0.8)  # longer than the timeout, in line
    first.release.set()
    t2.join(10)
    assert out2["value"][0].value == "quick"
    with pytest.raises(LoadTimeout):  # its own load taking too long still times out
        cache.get_or_load("slow-itself", lambda: (time.sleep(0.5), 1), timeout_s=0.05)
    t1.join(10)


def test_a_failed_load_is_not_cached_and_frees_the_line():
    cache = ModelCache(budget_bytes=10**9)

    def broken():
        raise LoadFailed("no weights")

    with pytest.raises(LoadFailed):
        cache.get_or_load("bad", broken)
    assert "bad" not in cache and not LOAD_QUEUE.busy()
    entry, cached = cache.get_or_load("bad", lambda: ("fixed", 1))  # asked again: loads again
    assert entry.value == "fixed" and not cached


def test_a_load_everyone_gave_up_on_leaves_the_line_and_never_runs():
    from lib.runner.cache import LoadCancelled

    cache = ModelCache(budget_bytes=10**9)
    blocker = Gate("first")
    t1, _ = _in_thread(cache.get_or_load, "first", blocker)
    assert blocker.started.wait(10)
    ran = []
    give_up = threading.Event()
    t2, out2 = _in_thread(cache.get_or_load, "unwanted", lambda: (ran.append(1), 1), cancelled=give_up.is_set)
    shared_gate = threading.Event()
    t3, out3 = _in_thread(cache.get_or_load, "shared", lambda: ("shared", 1), cancelled=shared_gate.is_set)
    # t3's request must make the load (its loader) before t4 asks: threads may start in any order
    assert _until(lambda: getattr(cache._inflight.get("shared"), "waiters", 0) == 1)
    t4, out4 = _in_thread(cache.get_or_load, "shared", lambda: ("twice", 1))  # waits for the same load
    assert _until(lambda: LOAD_QUEUE.waiting() == 2)
    # both requests for "shared" are attached to its one load before one of them gives up (on a busy machine
    # the second thread may start late, and would then start a load of its own)
    assert _until(lambda: getattr(cache._inflight.get("shared"), "waiters", 0) == 2)
    give_up.set()
    shared_gate.set()  # one of the two requests for "shared" gives up: the other still wants it
    t2.join(10)
    t3.join(10)
    assert isinstance(out2.get("error"), LoadCancelled) and isinstance(out3.get("error"), LoadCancelled)
    assert LOAD_QUEUE.waiting() == 1
    blocker.release.set()
    t1.join(10)
    t4.join(10)
    assert out4["value"][0].value == "shared"
    assert not ran and "unwanted" not in cache
    entry, cached = cache.get_or_load("unwanted", lambda: ("now", 1))  # asked again later: it loads
    assert entry.value == "now" and not cached


# ------------------------------------------------------------------ jobs show their place
def test_a_job_waiting_for_a_load_shows_its_place_and_a_cached_model_runs_meanwhile(tiny_model):
    cache = ModelCache(budget_bytes=2 * 1024**3)
    folder = str(tiny_model("text-classification"))
    ready = run(folder, "text-classification", {"text": "warm"}, OPTS, cache=cache)  # cached
    runner = JobRunner(max_workers=4, cache=cache)
    blocker = Gate()
    other = ModelCache(budget_bytes=10**9)  # a load elsewhere in the process holds the one slot
    t, _ = _in_thread(other.get_or_load, "someone else's model", blocker)
    try:
        assert blocker.started.wait(10)
        waiting = runner.submit(folder, "text-classification", [{"text": "i love it"}],
                                RunOptions(device="cpu", dtype="bf16"), record=False)
        assert _until(lambda: waiting.progress().load_place == 1)
        p = waiting.progress()
        assert p.state == "loading" and p.stage == "queue" and p.message.startswith("1st in line for a model load")
        behind = runner.submit(str(tiny_model("token-classification")), "token-classification",
                               [{"text": "john works at google"}], OPTS, record=False)
        assert _until(lambda: behind.progress().load_place == 2)
        assert behind.progress().message.startswith("2nd in line for a model load")
        # the cached model runs without waiting for the line
        now = runner.submit(folder, "text-classification", [{"text": "i love it"}], OPTS, record=False)
        assert now.wait(30) and now.state == "done" and now.cached and now.items[0].ok
        assert not waiting.finished and not ready.cached
        blocker.release.set()
        assert waiting.wait(120) and behind.wait(120)
        assert waiting.state == behind.state == "done" and waiting.progress().load_place is None
        assert waiting.dtype == "bf16"
    finally:
        blocker.release.set()
        t.join(10)
        runner.shutdown()


def test_cancelling_a_job_in_line_takes_its_load_out_of_the_line(tiny_model):
    cache = ModelCache(budget_bytes=2 * 1024**3)
    runner = JobRunner(max_workers=2, cache=cache)
    blocker = Gate()
    other = ModelCache(budget_bytes=10**9)
    t, _ = _in_thread(other.get_or_load, "someone else's model", blocker)
    try:
        assert blocker.started.wait(10)
        job = runner.submit(str(tiny_model("text-classification")), "text-classification", [{"text": "hi"}],
                            OPTS, record=False)
        assert _until(lambda: job.progress().load_place == 1)
        job.cancel()
        assert job.finished and job.state == "cancelled" and job.error(0) is None
        assert _until(lambda: LOAD_QUEUE.waiting() == 0)
        blocker.release.set()
        t.join(10)
        time.sleep(0.3)
        assert len(cache) == 0 and cache.loads == 0  # the load never ran
    finally:
        blocker.release.set()
        runner.shutdown()


def test_the_test_drive_shows_the_place_in_line():
    from lib.ui.test_drive import _progress_text

    p = JobProgress("loading", place_message(2), stage="queue", load_place=2)
    assert "2nd in line for a model load" in _progress_text(p)


# ------------------------------------------------------------------ defect 3: what a load leaves behind
def test_a_load_that_comes_out_at_the_wrong_precision_is_refused_and_not_cached(tiny_model, monkeypatch):
    import torch

    real = loader_mod._load

    def half_cast(*args, **kwargs):  # what a parallel load at bf16 used to do to an fp32 model
        loaded = real(*args, **kwargs)
        target = loaded.pipe.model if loaded.pipe is not None else loaded.model
        for name, module in target.named_modules():
            if name.endswith("attention.output.dense"):
                module.to(torch.bfloat16)
        return loaded

    monkeypatch.setattr(loader_mod, "_load", half_cast)
    cache = ModelCache(budget_bytes=2 * 1024**3)
    folder = str(tiny_model("text-classification"))
    with pytest.raises(LoadFailed) as err:
        run(folder, "text-classification", {"text": "i love it"}, OPTS, cache=cache)
    assert "bf16 instead of fp32" in str(err.value) and "not kept" in str(err.value)
    assert len(cache) == 0
    monkeypatch.setattr(loader_mod, "_load", real)
    again = run(folder, "text-classification", {"text": "i love it"}, OPTS, cache=cache)
    assert not again.cached and again.output["labels"]


def test_dtype_problem_allows_what_a_model_keeps_in_fp32_on_purpose():
    import torch

    class Tiny(torch.nn.Module):
        _keep_in_fp32_modules = ["norm"]

        def __init__(self):
            super().__init__()
            self.dense = torch.nn.Linear(4, 4)
            self.norm = torch.nn.LayerNorm(4)

    m = Tiny().to(torch.bfloat16)
    assert loader_mod.dtype_problem(m, torch.bfloat16) is None
    m.norm.float()
    assert loader_mod.dtype_problem(m, torch.bfloat16) is None  # kept in fp32 on purpose
    m.dense.float()
    assert "fp32" in loader_mod.dtype_problem(m, torch.bfloat16)
    assert loader_mod.dtype_problem(Tiny(), torch.float32) is None
    assert "bf16" in loader_mod.dtype_problem(Tiny().to(torch.bfloat16), torch.float32)
    assert "meta device" in loader_mod.dtype_problem(Tiny().to("meta"), torch.float32)


def test_a_load_puts_torchs_default_dtype_back_to_fp32(tiny_model):
    import torch

    torch.set_default_dtype(torch.bfloat16)  # what two overlapping loads used to leave behind
    try:
        res = run(str(tiny_model("image-classification")), "image-classification",
                  {"image": _image()}, OPTS, cache=ModelCache(budget_bytes=10**9))
        assert torch.get_default_dtype() == torch.float32 and res.dtype == "fp32"
    finally:
        torch.set_default_dtype(torch.float32)


def _image():
    from PIL import Image

    return Image.new("RGB", (32, 32), "white")


def test_dtype_mismatch_errors_are_recognised():
    for text in ("The model failed on this input: RuntimeError: mixed dtype (CPU): expect parameter to have "
                 "scalar type of Float", "RuntimeError: mat1 and mat2 must have the same dtype, but got BFloat16 "
                 "and Float", "self and mat2 must have the same dtype", "expected scalar type Float but found "
                 "BFloat16", "Input type (c10::BFloat16) and bias type (float) should be the same",
                 "RuntimeError: Tensor on device meta is not on the expected device cpu!"):
        assert looks_like_broken_model(text), text
    for text in ("index out of range in self", "CUDA out of memory", "Check the input", ""):
        assert not looks_like_broken_model(text)


def test_a_run_failing_on_mixed_dtypes_drops_the_model_from_the_cache(tiny_model):
    import torch

    cache = ModelCache(budget_bytes=2 * 1024**3)
    folder = str(tiny_model("text-classification"))
    first = run(folder, "text-classification", {"text": "i love it"}, OPTS, cache=cache)
    (key,) = cache.keys()
    value = cache.peek(key).value  # corrupt the cached model as a leaked load did
    target = value.pipe.model if value.pipe is not None else value.model
    target.bert.encoder.layer[0].attention.output.dense.to(torch.bfloat16)
    runner = JobRunner(max_workers=1, cache=cache)
    try:
        bad = runner.submit(folder, "text-classification", [{"text": "i love it"}], OPTS, record=False)
        assert bad.wait(60)
        title, message = bad.error(0)
        assert "dtype" in message and "dropped from memory" in message
        assert key not in cache
        good = runner.submit(folder, "text-classification", [{"text": "i love it"}], OPTS, record=False)
        assert good.wait(120) and good.items[0].ok and not good.cached
        assert good.items[0].output["scores"] == pytest.approx(first.output["scores"], abs=1e-5)
    finally:
        runner.shutdown()
