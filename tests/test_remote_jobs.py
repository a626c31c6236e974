"""Remote runs through lib.jobs (issue 11), over real HTTP to the support servers on 127.0.0.1
(tests/support/inference_servers.py): a list of inputs on a URL backend via ``submit(backend=)``, each failure
kind as that item's error (429 waited out once, 503 retried within the timeout), a bounded number of requests
in flight per backend, cancel mid-stream, the ``run_speeds`` rows (no secret) and their medians."""
from __future__ import annotations

import threading
import time

import pytest

from lib.hub.inference import Backend
from lib.jobs import JobRunner, speeds
from lib.jobs.remote import RemoteJob
from lib.runner.result import RunOptions
from tests.support.inference_servers import InferenceServer

SECRET = "sk-jobs-0123456789abcdefghij"
OPTS = RunOptions(max_new_tokens=6, device="cpu")


@pytest.fixture(scope="module")
def chat_server(request, tiny_model):
    srv = InferenceServer(tiny_model("gpt2"), "text-generation", api="openai", token=SECRET)
    srv.start()
    request.addfinalizer(srv.stop)
    return srv


@pytest.fixture(scope="module")
def cls_server(request, tiny_model):
    srv = InferenceServer(tiny_model("text-classification"), "text-classification", api="tgi")
    srv.start()
    request.addfinalizer(srv.stop)
    return srv


@pytest.fixture
def chat(chat_server):
    chat_server.clear_faults()
    chat_server.requests.clear()
    yield chat_server
    chat_server.clear_faults()


@pytest.fixture
def cls(cls_server):
    cls_server.clear_faults()
    cls_server.requests.clear()
    yield cls_server
    cls_server.clear_faults()


@pytest.fixture
def runner():
    r = JobRunner(max_workers=2)
    yield r
    r.shutdown()


@pytest.fixture
def store_url(tmp_path):
    return f"sqlite:///{tmp_path / 'speeds.db'}"


def _chat(srv, **kw) -> Backend:
    return Backend(kind="url", url=srv.url, token=SECRET, **kw)


def test_a_list_of_inputs_runs_on_a_url_backend_as_a_job(runner, cls, store_url):
    texts = ["i love it", "awful", "fine I guess"]
    finished = []
    job = runner.submit("tiny-bert", "text-classification", [{"text": t} for t in texts], OPTS,
                        backend=Backend(kind="url", url=cls.url), store=store_url,
                        on_finish=lambda j: finished.append(j.progress().state))
    assert isinstance(job, RemoteJob)
    assert job.wait(60)
    p = job.progress()
    assert p.state == "done" and p.items_done == 3 and p.items_total == 3 and finished == ["done"]
    assert [it.status for it in job.items] == ["ok"] * 3 and job.error() is None
    for i in range(3):
        r = job.result(i)
        assert r.renderer == "scores" and r.output == job.items[i].output and len(r.output["labels"]) == 2
        assert r.memory_kind == "remote" and "text_classification(" in r.code
    assert job.device == cls.url.split("//")[1] and job.dtype == "remote" and job.measurement is None
    assert len([r for r in cls.requests if r[0] == "POST"]) == 3
    assert runner.release(job) is False  # nothing loaded here


def test_a_bad_input_is_that_items_error(runner, cls, store_url):
    job = runner.submit("tiny-bert", "text-classification", [{"text": "good"}, {"text": ""}, {"nope": 1}], OPTS,
                        backend=Backend(kind="url", url=cls.url), store=store_url)
    assert job.wait(60) and job.progress().state == "done"
    assert [it.status for it in job.items] == ["ok", "error", "error"]
    assert job.error(1)[0] == "Check the input" and "Traceback" not in job.error(2)[1]


@pytest.mark.parametrize("fault, kind, words", [
    (401, "auth", "refused the token (401)"),
    (402, "credits", "credits are used up (402)"),
    (404, "not_found", "(404)"),
    (500, "server", "failed (500)"),
    ("reset", "unreachable", "closed the connection"),
])
def test_each_failure_is_one_items_error_and_the_others_run(runner, chat, store_url, fault, kind, words):
    chat.set_fault(fault, times=1)
    job = runner.submit("tiny-model", "text-generation", [{"text": "hello"}, {"text": "the cat"}, {"text": "a b"}],
                        OPTS, backend=_chat(chat), store=store_url)
    assert job.wait(60) and job.progress().state == "done"
    failed = [i for i, it in enumerate(job.items) if it.status == "error"]
    assert len(failed) == 1 and sum(it.ok for it in job.items) == 2
    title, message = job.error(failed[0])
    assert title == "The remote run failed" and words in message
    assert SECRET not in message and "Traceback" not in message


def test_a_429_is_waited_out_once(runner, chat, store_url):
    chat.set_fault(429, times=1, retry_after=1)
    t = time.monotonic()
    job = runner.submit("tiny-model", "text-generation", [{"text": "hello"}], OPTS, backend=_chat(chat),
                        store=store_url)
    assert job.wait(60) and job.items[0].ok
    assert time.monotonic() - t >= 1.0  # its Retry-After respected
    assert len(chat.requests) == 2
    chat.set_fault(429, times=2, retry_after=1)  # a second 429 in a row: the item's error, in words
    job = runner.submit("tiny-model", "text-generation", [{"text": "hello"}], OPTS, backend=_chat(chat),
                        store=store_url)
    assert job.wait(60) and job.items[0].status == "error"
    assert "rate limit reached (429) — retry in 1 s" in job.error(0)[1]


def test_a_503_while_loading_is_retried_within_the_timeout(runner, chat, store_url):
    chat.set_fault(503, times=2)  # the server says ~20 s; Hub Scout looks again after 0.5 s, then 1 s
    job = runner.submit("tiny-model", "text-generation", [{"text": "hello"}], OPTS, backend=_chat(chat),
                        store=store_url)
    assert job.wait(60) and job.items[0].ok and len(chat.requests) == 3
    chat.set_fault(503)  # still loading when the timeout is spent: the item's error
    t = time.monotonic()
    job = runner.submit("tiny-model", "text-generation", [{"text": "hello"}], OPTS,
                        backend=_chat(chat, timeout_s=2.0), store=store_url)
    assert job.wait(60) and job.items[0].status == "error" and "the model is loading (503)" in job.error(0)[1]
    assert time.monotonic() - t < 5


def test_at_most_four_requests_in_flight_per_backend(runner, cls, store_url):
    cls.set_fault("slow", delay=0.3)
    job = runner.submit("tiny-bert", "text-classification", [{"text": f"text {i}"} for i in range(10)], OPTS,
                        backend=Backend(kind="url", url=cls.url), store=store_url)
    seen = set()
    while not job.wait(0.01):
        seen.add(cls._busy)
    assert job.progress().state == "done" and all(it.ok for it in job.items)
    assert max(seen) == 4


def test_a_refused_backend_fails_the_job_and_sends_nothing(runner, chat, store_url, settings_override):
    settings_override(public=True, inference_hosts=frozenset({"example.org"}))
    job = runner.submit("tiny-model", "text-generation", [{"text": "hi"}, {"text": "ho"}], OPTS, backend=_chat(chat),
                        store=store_url)
    assert job.wait(10) and job.progress().state == "failed"
    assert "only to example.org" in job.error()[1] and job.error(1)[1] == job.error()[1]
    assert chat.requests == []


def test_cancel_mid_stream_stops_it_and_keeps_the_text_so_far(runner, chat, store_url):
    chat.set_fault("drip", delay=0.25)
    opts = RunOptions(max_new_tokens=20, device="cpu")
    job = runner.submit("tiny-model", "text-generation", [{"text": "hello"}, {"text": "the cat"}], opts,
                        backend=_chat(chat), store=store_url)
    end = time.monotonic() + 30
    while (job.live(0) is None or job.live(0).tokens < 2) and time.monotonic() < end:
        time.sleep(0.02)
    live = job.live(0)
    assert live.tokens >= 2 and live.ttft_s is not None and not live.finished
    t = time.monotonic()
    job.cancel()
    assert job.wait(5) and time.monotonic() - t < 1.0
    assert job.progress().state == "cancelled" and job.items[0].status == "skipped"
    assert job.live(0).text.startswith(live.text) and job.result(0) is None
    assert speeds.recent("tiny-model", store=store_url) == []  # a run cut short measures nothing


def test_each_finished_item_writes_a_speed_row_without_secrets(runner, chat, store_url):
    from lib import store
    from lib.store.models import RunSpeed

    job = runner.submit("tiny-model", "text-generation", [{"text": "hello"}, {"text": "the cat"}], OPTS,
                        backend=_chat(chat), store=store_url)
    assert job.wait(60) and all(it.ok for it in job.items)
    assert speeds.flush()  # the job handed its rows to the background writer
    with store.session(store_url) as s:
        rows = s.execute(RunSpeed.__table__.select()).all()
    assert len(rows) == 2
    key = f"url:{chat.url}"
    for row in rows:
        m = row._mapping
        assert m["model_id"] == "tiny-model" and m["backend"] == key and m["task"] == "text-generation"
        assert m["ttft_s"] > 0 and m["new_tokens"] == 6 and m["tokens_per_s"] > 0 and m["latency_s"] > 0
        assert SECRET not in repr(tuple(row))
    [summary] = speeds.recent("tiny-model", store=store_url)
    assert summary.backend == key and summary.runs == 2 and summary.ttft_s > 0 and summary.label == chat.url[7:]


def test_recent_gives_per_backend_medians_of_the_last_runs(store_url):
    for ttft in (0.1, 0.2, 0.9, 0.3):
        speeds.record_figures("m", "text-generation", "providers:together", ttft_s=ttft, tokens_per_s=ttft * 100,
                      latency_s=1.0, store=store_url)
    speeds.record_figures("m", "text-generation", "url:http://h:80", ttft_s=0.05, store=store_url)
    speeds.record_figures("other", "text-generation", "url:http://h:80", ttft_s=9.0, store=store_url)
    together, url = speeds.recent("m", store=store_url)
    assert (together.backend, together.runs) == ("providers:together", 4)
    assert together.ttft_s == pytest.approx(0.25) and together.tokens_per_s == pytest.approx(25)
    assert (url.runs, url.ttft_s, url.tokens_per_s) == (1, 0.05, None)
    [last2] = speeds.recent("m", Backend(kind="providers", provider="together"), last=2, store=store_url)
    assert last2.runs == 2 and last2.ttft_s == pytest.approx(0.6)  # the newest two: 0.9 and 0.3
    assert speeds.recent("nothing", store=store_url) == []


def test_backend_keys_carry_no_secret():
    assert speeds.backend_key(Backend(kind="providers", provider="Together", token=SECRET)) == "providers:together"
    assert speeds.backend_key(Backend(kind="url", url="https://Ep.example/v1/x?k=1", token=SECRET)) == \
        "url:https://ep.example:443"
    assert speeds.backend_key(Backend(kind="url", url="http://127.0.0.1:8080/")) == "url:http://127.0.0.1:8080"
    assert speeds.backend_key(None, "cuda:1") == "local:cuda"


# --------------------------------------------------------------------------- credentials per backend
OTHER = "sk-other-9876543210zyxwvutsrq"


@pytest.fixture
def tgi_locked(request, tiny_model):
    srv = InferenceServer(tiny_model("gpt2-plain"), "text-generation", api="tgi", token=OTHER)
    srv.start()
    request.addfinalizer(srv.stop)
    return srv


def test_each_url_gets_its_own_token_from_the_settings(runner, chat, tgi_locked, store_url, monkeypatch, caplog):
    from lib import store
    from lib.settings import get_settings
    from lib.store.models import RunSpeed

    chat_host, tgi_host = chat.url.split("//")[1], tgi_locked.url.split("//")[1].split(":")[0]
    monkeypatch.setenv("HUBSCOUT_INFERENCE_TOKENS", f"{chat_host}={SECRET}, {tgi_host}={OTHER}")
    monkeypatch.setenv("HUBSCOUT_INFERENCE_TOKEN", "sk-default-00000000000000000")  # the fallback loses
    s = get_settings()
    assert SECRET not in repr(s) and OTHER not in repr(s) and not s.problems
    with caplog.at_level("DEBUG"):
        a = runner.submit("tiny-model", "text-generation", [{"text": "hi"}], OPTS,
                          backend=Backend(kind="url", url=chat.url), store=store_url)
        b = runner.submit("m", "text-generation", [{"text": "hi"}], OPTS,
                          backend=Backend(kind="url", url=tgi_locked.url, chat=False), store=store_url)
        assert a.wait(60) and b.wait(60) and a.items[0].ok and b.items[0].ok, (a.error(0), b.error(0))
    assert chat.requests[-1][2] == f"Bearer {SECRET}"  # host:port entry
    assert tgi_locked.requests[-1][2] == f"Bearer {OTHER}"  # host-only entry: any port
    assert SECRET not in a.result(0).code and "HUBSCOUT_INFERENCE_TOKEN" in a.result(0).code
    # a wrong token for that host: the 401 in words, naming where the token comes from, never the token
    monkeypatch.setenv("HUBSCOUT_INFERENCE_TOKENS", f"{chat_host}=sk-wrong-00000000000000000")
    with caplog.at_level("DEBUG"):
        c = runner.submit("tiny-model", "text-generation", [{"text": "hi"}], OPTS,
                          backend=Backend(kind="url", url=chat.url), store=store_url)
        assert c.wait(60) and c.items[0].status == "error"
    message = c.error(0)[1]
    assert "refused the token (401)" in message and f"the token for {chat_host}" in message
    assert "HUBSCOUT_INFERENCE_TOKENS" in message and "sk-wrong" not in message
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "(auth)" in logged and "sk-wrong" not in logged and SECRET not in logged and OTHER not in logged
    assert speeds.flush()
    with store.session(store_url) as db:
        rows = db.execute(RunSpeed.__table__.select()).all()
    assert len(rows) == 2 and not any(t in repr(rows) for t in (SECRET, OTHER, "sk-wrong"))


def test_bad_token_entries_are_named_by_position_never_by_value(monkeypatch):
    from lib.settings import get_settings

    monkeypatch.setenv("HUBSCOUT_INFERENCE_TOKENS", f"together={SECRET},{OTHER},bad name=x,=y")
    s = get_settings()
    assert dict(s.inference_tokens) == {"together": SECRET}
    [problem] = [p for p in s.problems if "HUBSCOUT_INFERENCE_TOKENS" in p]
    assert "entries 2, 3, 4" in problem and OTHER not in problem and SECRET not in repr(s)


@pytest.fixture
def router(monkeypatch, hub_stub, request, tiny_model):
    """hf-inference pointed at a local TEI server, ``org/served`` mapped to it."""
    from huggingface_hub import constants
    from huggingface_hub.inference._providers import PROVIDERS

    tei = InferenceServer(tiny_model("feature-extraction"), "feature-extraction", api="tgi")
    tei.start()
    request.addfinalizer(tei.stop)
    monkeypatch.setattr(constants, "INFERENCE_PROXY_TEMPLATE", tei.url + "/{provider}")
    for helper in PROVIDERS["hf-inference"].values():
        monkeypatch.setattr(helper, "base_url", tei.url + "/hf-inference")
    hub_stub.add_model({"id": "org/served", "pipeline_tag": "feature-extraction", "inferenceProviderMapping": {
        "hf-inference": {"status": "live", "providerId": "org/served", "task": "feature-extraction"}}})
    return tei


def test_a_provider_gets_its_own_key_instead_of_hf_token(runner, router, store_url, monkeypatch):
    from lib.hub.inference import credential

    own = "hf_providerkey0123456789abcdefgh"
    monkeypatch.setenv("HF_TOKEN", "hf_general0123456789abcdefghijk")
    monkeypatch.setenv("HUBSCOUT_INFERENCE_TOKENS", f"hf-inference={own},together={SECRET}")
    assert credential(Backend(kind="providers", provider="together")) == SECRET
    assert credential(Backend(kind="providers", provider="auto")) == "hf_general0123456789abcdefghijk"
    backend = Backend(kind="providers", provider="hf-inference")
    job = runner.submit("org/served", "feature-extraction", [{"text": "hello"}], OPTS, backend=backend,
                        store=store_url)
    assert job.wait(60) and job.items[0].ok, job.error(0)
    assert router.requests[-1][2] == f"Bearer {own}"
    code = job.result(0).code
    assert 'api_key=os.environ["HF_INFERENCE_API_KEY"]' in code and own not in code
    [row] = speeds.recent("org/served", store=store_url)
    assert row.backend == "providers:hf-inference" and row.latency_s > 0 and row.ttft_s is None


def test_a_store_that_cannot_be_written_never_fails_the_run(runner, cls, tmp_path, caplog):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    bad = f"sqlite:///{blocked / 'sub' / 'speeds.db'}"
    with caplog.at_level("WARNING"):
        job = runner.submit("tiny-bert", "text-classification", [{"text": "good"}], OPTS,
                            backend=Backend(kind="url", url=cls.url), store=bad)
        assert job.wait(60) and job.items[0].ok and job.progress().state == "done"
        assert speeds.flush()
    assert speeds.recent("tiny-bert", store=bad) == []


def test_a_job_cancelled_before_it_starts_sends_nothing(cls, store_url):
    from lib.jobs.remote import RemoteLanes

    gate = threading.Event()
    lanes = RemoteLanes(max_workers=1)
    lanes._pool.submit(gate.wait, 10)  # the only thread is busy: the job waits to start
    job = RemoteJob("tiny-bert", "text-classification", [{"text": "a"}, {"text": "b"}], OPTS,
                    Backend(kind="url", url=cls.url), store=store_url)
    lanes.submit(job)
    assert job.progress().state == "queued"
    job.cancel()
    assert job.finished and job.progress().state == "cancelled"
    gate.set()
    lanes.shutdown()
    assert cls.requests == [] and [it.status for it in job.items] == ["skipped", "skipped"]


def test_rows_handed_over_together_share_one_transaction_and_flush_writes_them_now(store_url, monkeypatch):
    """A burst of one-item jobs (a session's cells, repeated Playground runs) costs one commit, not one each;
    flush() (what speeds.recent does before reading) does not wait out the gathering pause."""
    from lib import store
    from lib.store.models import RunSpeed

    speeds.flush()
    writes: list[int] = []
    real = speeds.write
    monkeypatch.setattr(speeds, "GATHER_S", 30.0)  # longer than this test may take: flush must cut it short
    monkeypatch.setattr(speeds, "write", lambda rows, url=None: writes.append(len(rows)) or real(rows, url))
    for n in range(5):
        speeds.write_later([speeds.figures_row("burst-model", "text-classification", "url:http://h:1",
                                               latency_s=0.01 * (n + 1), dtype="remote")], store_url)
    t = time.monotonic()
    assert speeds.flush(timeout=20)
    assert time.monotonic() - t < 20
    assert writes == [5]
    [summary] = speeds.recent("burst-model", store=store_url)
    assert summary.runs == 5 and summary.latency_s == pytest.approx(0.03)
    with store.session(store_url) as s:
        rows = s.execute(RunSpeed.__table__.select().where(RunSpeed.model_id == "burst-model")).all()
    assert len(rows) == 5
