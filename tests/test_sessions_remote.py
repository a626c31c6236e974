"""Sessions with remote candidates (issue 11 item 2): a candidate is a model and where it runs. Over real HTTP to
the support servers on 127.0.0.1 (tests/support/inference_servers.py): a local tiny model and a URL-backed
candidate on the same inputs (outputs, votes, leaderboard, stats), a 402 on one candidate (its cells say so, the
other is fine), export → import keeping the backends (never a token; an old export = local), the setup form
choosing a remote backend, the Model page's Add to session carrying it, and the refusals (a host a public
instance does not allow, a task remote backends lack, a folder sent remote)."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import store as db
from lib.access import LOCAL, Access
from lib.hub.inference import Backend
from lib.jobs import JobRunner
from lib.runner.cache import ModelCache
from lib.sessions import candidates as cands
from lib.sessions import exchange, report, store
from lib.sessions.errors import SessionError
from lib.sessions.run import start_run
from lib.tasks.common import top_label
from tests.support.inference_servers import InferenceServer

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
TASK = "text-classification"
TEXTS = ["i love this movie", "this film is terrible and awful", "the weather is sunny"]
SETTINGS = {"dtype": "fp32", "device": "cpu", "generation": {"max_new_tokens": 6}, "batch_size": 2}


@pytest.fixture(autouse=True)
def _own_store(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HUBSCOUT_DATABASE_URL", raising=False)
    db.dispose_all()
    yield
    db.dispose_all()


@pytest.fixture(scope="module")
def cls_server(request, tiny_model):
    """A TGI/TEI-compatible server backed by the same tiny classifier the local candidate loads."""
    srv = InferenceServer(tiny_model(TASK), TASK, api="tgi")
    srv.start()
    request.addfinalizer(srv.stop)
    return srv


@pytest.fixture
def cls(cls_server):
    cls_server.clear_faults()
    cls_server.requests.clear()
    yield cls_server
    cls_server.clear_faults()


@pytest.fixture
def runner():
    r = JobRunner(max_workers=3, cache=ModelCache(budget_bytes=2 * 10**9))
    yield r
    r.shutdown()


def _url(srv) -> dict:
    return Backend(kind="url", url=srv.url).params()


def _mixed(local: str, srv, name: str = "mixed") -> str:
    """A session: the local tiny classifier (c1) and the same model served at ``srv`` (c2)."""
    info = store.create_session(name, TASK, [local, "tiny-classifier"], [{"text": t} for t in TEXTS],
                                dict(SETTINGS), backends=[None, _url(srv)])
    return info.id


def _run(sid: str, runner, fit: bool | None = True):
    run = start_run(sid, runner=runner, fit=fit)
    assert run.wait(120), run.summary()
    return run


def _label(cell: dict) -> str | None:
    return top_label(cell["output"])


# --------------------------------------------------------------------------- running local + remote together
def test_a_local_and_a_url_candidate_run_the_same_inputs_then_votes_make_a_leaderboard(cls, tiny_model, runner):
    local = str(tiny_model(TASK))
    sid = _mixed(local, cls)
    info = store.get_session(sid)
    assert info.candidates[0].backend is None and info.candidates[0].remote is None
    assert info.candidates[1].backend == {"backend": "url", "url": cls.url}
    host = cls.url.split("//", 1)[1]
    assert info.candidates[1].name == f"tiny-classifier · {host}"

    _run(sid, runner)
    cells = store.outputs(sid)
    assert all(not v for v in store.missing_cells(sid).values())
    assert not [k for k, v in cells.items() if v["error"]], cells
    # the server computes with the same tiny model: the same answer per input as the local run
    for n in range(1, len(TEXTS) + 1):
        assert _label(cells[(f"i{n}", "c1")]) == _label(cells[(f"i{n}", "c2")])
    assert len([r for r in cls.requests if r[0] == "POST"]) == len(TEXTS)  # each remote cell one request

    stats = store.get_session(sid).candidates[1].stats
    assert stats["device"] == host and stats["peak_bytes"] is None and stats["latency_p50_s"] > 0
    assert store.get_session(sid).candidates[0].stats["device"] == "cpu"

    store.cast_vote(sid, "ana", "i1", "c2", "c1", "left")
    store.cast_vote(sid, "bo", "i1", "c1", "c2", "right")
    store.cast_vote(sid, "ana", "i2", "c1", "c2", "tie")
    rep = report.report(store.export_session(sid), resamples=50)
    board = {r["candidate"]: r for r in rep["leaderboard"]}
    assert board["c2"]["wins"] == 2 and board["c1"]["losses"] == 2 and board["c2"]["elo"] > board["c1"]["elo"]
    assert board["c2"]["runs_on"] == host and board["c1"]["runs_on"] == "this machine"
    assert board["c2"]["name"] == f"tiny-classifier · {host}" and board["c1"]["name"] == local

    resumed = start_run(sid, runner=runner, fit=True)  # resumable: nothing left, nothing sent again
    assert resumed.wait(5) and len([r for r in cls.requests if r[0] == "POST"]) == len(TEXTS)


def test_a_402_on_one_candidate_is_its_cells_credits_message_and_the_other_runs(cls, tiny_model, runner):
    sid = _mixed(str(tiny_model(TASK)), cls, "no credits")
    cls.set_fault(402)
    run = _run(sid, runner, fit=None)  # the memory plan decides for the local candidate only
    assert set(run.plan.gates) == {"c1"}
    assert run.progress()["c2"].name == f"tiny-classifier · {cls.url.split('//', 1)[1]}"
    cells = store.outputs(sid)
    for n in range(1, len(TEXTS) + 1):
        assert cells[(f"i{n}", "c1")]["output"] and not cells[(f"i{n}", "c1")]["error"]
        err = cells[(f"i{n}", "c2")]["error"]
        assert cells[(f"i{n}", "c2")]["output"] is None and "credits are used up (402)" in err["message"], err
        assert "Traceback" not in json.dumps(err)
    # the failed cells run again on request once the credits are back
    cls.clear_faults()
    assert start_run(sid, runner=runner, fit=True, retry_errors=True).wait(120)
    assert not [k for k, v in store.outputs(sid).items() if v["error"]]


def test_a_remote_text_generation_records_time_to_first_token_and_tokens_per_second(request, tiny_model, runner):
    srv = InferenceServer(tiny_model("gpt2"), "text-generation", api="openai")
    srv.start()
    request.addfinalizer(srv.stop)
    info = store.create_session("gen", "text-generation", [str(tiny_model("gpt2")), "tiny-gpt2"],
                                [{"text": "the cat sat on the mat"}, {"text": "paris is"}], dict(SETTINGS),
                                backends=[None, _url(srv)])
    _run(info.id, runner)
    cells = store.outputs(info.id)
    assert not [k for k, v in cells.items() if v["error"]], cells
    stats = store.get_session(info.id).candidates[1].stats
    assert stats["ttft_p50_s"] is not None and stats["ttft_p50_s"] > 0 and stats["tokens_per_s"] > 0
    assert "ttft_p50_s" not in store.get_session(info.id).candidates[0].stats  # a local run streams nothing
    md = report.markdown(store.export_session(info.id), resamples=10)
    assert "ran on this machine" in md and f"ran on {srv.url.split('//', 1)[1]} (time to first token" in md


def test_a_candidates_own_token_reaches_its_server_and_is_never_stored(request, tiny_model, runner):
    secret = "sk-session-0123456789abcdefghij"
    srv = InferenceServer(tiny_model(TASK), TASK, api="tgi", token=secret)
    srv.start()
    request.addfinalizer(srv.stop)
    sid = _mixed(str(tiny_model(TASK)), srv, "tokens")
    _run(sid, runner)  # no token for it: each cell says the server refused
    assert all("refused the token (401)" in store.outputs(sid)[(f"i{n}", "c2")]["error"]["message"]
               for n in range(1, len(TEXTS) + 1))
    host = srv.url.split("//", 1)[1]
    assert start_run(sid, runner=runner, fit=True, retry_errors=True, tokens={host: secret}).wait(120)
    assert not [k for k, v in store.outputs(sid).items() if v["error"]]
    assert srv.requests[-1][2] == f"Bearer {secret}"
    assert secret not in json.dumps(store.export_session(sid))


# --------------------------------------------------------------------------- export / import / CSV
def test_export_import_keeps_the_backends_never_a_token_and_an_old_export_is_local(cls, tiny_model):
    sid = _mixed(str(tiny_model(TASK)), cls, "to share")
    exp = json.loads(json.dumps(store.export_session(sid)))
    assert [c["backend"] for c in exp["candidates"]] == [None, {"backend": "url", "url": cls.url}]
    back = store.import_session(exp)
    assert back.id != sid and [c.backend for c in back.candidates] == [None, {"backend": "url", "url": cls.url}]

    exp["candidates"][1]["backend"] = {"backend": "providers", "provider": "together", "token": "hf_leakleakleak0123"}
    kept = store.import_session(exp)
    assert kept.candidates[1].backend == {"backend": "providers", "provider": "together"}
    assert "hf_leak" not in json.dumps(store.export_session(kept.id))

    for c in exp["candidates"]:
        c.pop("backend")  # an export made before sessions had remote candidates
    assert all(c.backend is None for c in store.import_session(exp).candidates)

    store.record_output(sid, "c1", "i1", output={"labels": ["POSITIVE"], "scores": [0.9]})
    store.record_output(sid, "c2", "i1", output={"labels": ["POSITIVE"], "scores": [0.8]})
    rows = list(csv.DictReader(io.StringIO(exchange.to_csv(store.export_session(sid)))))
    assert [(r["candidate"], r["runs_on"]) for r in rows] == [("c1", "this machine"),
                                                              ("c2", cls.url.split("//", 1)[1])]


@pytest.mark.parametrize("backend, words", [
    ({"backend": "ftp"}, "should be local, providers or url"),
    ({"backend": "url", "url": "file:///etc/passwd"}, "is not a server URL"),
    ({"backend": "providers", "provider": "../../x"}, "should be a provider's name"),
    ("providers", "should be an object"),
])
def test_an_import_with_a_damaged_backend_is_refused_and_writes_nothing(cls, tiny_model, backend, words):
    sid = _mixed(str(tiny_model(TASK)), cls, "damaged")
    exp = json.loads(json.dumps(store.export_session(sid)))
    exp["candidates"][1]["backend"] = backend
    before = len(store.list_sessions())
    with pytest.raises(SessionError, match=words):
        store.import_session(exp)
    assert len(store.list_sessions()) == before


# --------------------------------------------------------------------------- checks and refusals
def test_entries_round_trip_and_the_same_model_is_fine_on_another_backend():
    for text, backend in (("org/m @ providers", Backend(kind="providers")),
                          ("org/m @ providers:together", Backend(kind="providers", provider="together")),
                          ("tiny @ url:http://127.0.0.1:9/v1", Backend(kind="url", url="http://127.0.0.1:9/v1"))):
        model, parsed = cands.parse_entry(text)
        assert parsed == backend and cands.entry(model, parsed) == text
    assert cands.parse_entry("org/m") == ("org/m", None) and cands.parse_entry("org/m @ local") == ("org/m", None)
    info = store.create_session("twice", TASK, ["org/m", "org/m"], [{"text": "x"}], dict(SETTINGS),
                                backends=[None, {"backend": "providers"}])
    assert [c.name for c in info.candidates] == ["org/m", "org/m · Inference Providers (auto)"]
    with pytest.raises(SessionError, match="listed twice"):
        store.create_session("twice", TASK, ["org/m", "org/m"], [{"text": "x"}], dict(SETTINGS),
                             backends=[{"backend": "providers"}, {"backend": "providers"}])


def test_a_public_instance_refuses_a_url_host_an_admin_did_not_allow(cls):
    public = Access(public=True, admin=False, remote_code=False, load_anyway=False, local_folders=False,
                    private_repos=False, max_download_bytes=None, runs_per_hour=None,
                    inference_hosts=frozenset({"inference.example.org"}))
    checks, problems = cands.check([f"tiny @ url:{cls.url}", "tiny @ url:https://inference.example.org"], public)
    assert checks[0].problem and "only to inference.example.org, not to 127.0.0.1" in checks[0].problem
    assert checks[1].problem is None and checks[1].backend.url == "https://inference.example.org"
    assert any("127.0.0.1" in p for p in problems) and cls.requests == []  # nothing sent
    assert cands.check_one(f"tiny @ url:{cls.url}", LOCAL).problem is None  # a private instance: any host


def test_remote_candidates_need_a_remote_task_and_a_hub_id_and_are_not_refused_for_their_size(tiny_model):
    with pytest.raises(SessionError, match="fill-mask does not run on a remote backend"):
        store.create_session("masks", "fill-mask", ["a/b", "c/d"], [{"text": "x [MASK]"}], dict(SETTINGS),
                             backends=[None, {"backend": "providers"}])
    problems = cands.task_problems("fill-mask", [("a/b", None), ("c/d", {"backend": "providers"})])
    assert len(problems) == 1 and "c/d · Inference Providers (auto)" in problems[0]
    odd = cands.check_one("a/b @ providers:../../x", LOCAL, details=lambda m: None)
    assert odd.problem == "'../../x' is not a provider's name."
    folder = cands.check_one(f"{tiny_model(TASK)} @ providers", LOCAL)
    assert folder.problem and "not a folder" in folder.problem
    big = cands.check_one("meta-llama/Llama-3.1-405B @ providers", LOCAL, details=lambda m: type(
        "D", (), {"sha": "f" * 40, "pipeline_tag": "text-generation", "source": "live"})())
    assert big.problem is None and big.task == "text-generation" and big.revision is None  # no size check


# --------------------------------------------------------------------------- the pages
def _page(params: dict[str, str], page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.switch_page(page)
    return at.run()


def test_the_setup_form_adds_a_remote_candidate_and_creates_a_mixed_session(cls, tiny_model, tmp_path):
    local = tmp_path / "local-classifier"
    shutil.copytree(tiny_model(TASK), local)
    at = _page({"shortlist": str(local)}, "pages/4_Sessions.py")
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="sess_new_r_model").input("tiny-classifier")
    at.radio(key="sess_new_r_kind").set_value("url")
    at.run()
    at.text_input(key="sess_new_r_url").input(cls.url)
    at.button(key="sess_new_r_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    entry = f"tiny-classifier @ url:{cls.url}"
    assert at.multiselect(key="sess_new_models").value == [str(local), entry]
    assert any("runs on 127.0.0.1" in c.value for c in at.caption)
    at.text_input(key="sess_new_name").input("mixed from the form")
    at.text_area(key="sess_new_lines").input("good\nbad")
    at.button(key="sess_new_create").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    info = store.get_session(at.query_params["session"])
    assert [(c.model, c.backend) for c in info.candidates] == [
        (str(local), None), ("tiny-classifier", {"backend": "url", "url": cls.url})]
    table = at.dataframe[0].value  # the Run section's candidates table says where each runs
    assert list(table["runs on"]) == ["this machine", cls.url.split("//", 1)[1]]


def test_the_model_pages_run_remotely_section_adds_the_model_with_its_backend(hub_stub, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    hub_stub.add_model({"id": "org/served", "pipeline_tag": "text-classification", "inferenceProviderMapping": {
        "together": {"status": "live", "providerId": "org/served", "task": "text-classification"}}})
    at = _page({"model": "org/served"}, "pages/2_Model.py")
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="m_rd_provider").set_value("together").run()
    at.button(key="m_rd_shortlist_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["shortlist"] == "org/served @ providers:together"
    at.switch_page("pages/4_Sessions.py").run()
    assert at.multiselect(key="sess_new_models").value == ["org/served @ providers:together"]


def test_the_playgrounds_remote_run_adds_the_model_with_its_url(hub_stub, cls, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    hub_stub.add_model({"id": "org/classifier", "pipeline_tag": TASK})
    at = _page({"model": "org/classifier", "task": TASK, "backend": "url", "url": cls.url}, "pages/3_Playground.py")
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="pg_rd_shortlist_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["shortlist"] == f"org/classifier @ url:{cls.url}"
    assert cls.requests == []  # adding runs nothing
