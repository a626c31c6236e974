"""Strict offline mode, piece by piece: the per-session switch in lib.hub.policy, RunOptions.offline carrying it
to the runner's threads (transformers' local_files_only), a session's plan and candidates offline, and the page
frame (the sidebar switch, the URL's ``offline=1``, the banner per page). The browser walk over every page is
tests/test_browser_offline.py."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.hub import policy
from lib.hub.errors import HubError
from lib.runner.result import RunOptions
from lib.ui.frame import MODE_KEY

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
REPO = "offline-unit/tiny-sentiment"


def _in_thread(fn):
    """``fn()`` on a fresh thread (as a job or a load runs): its result, or its exception raised here."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join(120)
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture
def cached_repo(hub_stub, tiny_model) -> str:
    """A tiny classifier served by the stand-in and downloaded into this process's Hugging Face cache."""
    from huggingface_hub import snapshot_download

    hub_stub.add_repo(REPO, tiny_model("text-classification"), info={"pipeline_tag": "text-classification"})
    snapshot_download(REPO)
    hub_stub.reset()  # the request log starts empty
    return REPO


# ---- lib.hub.policy --------------------------------------------------------------------------------
def test_offline_scope_turns_the_switch_on_for_its_block_only():
    assert not policy.session_offline() and not policy.is_offline()
    with policy.offline_scope(True):
        assert policy.session_offline() and policy.is_offline()
        with policy.offline_scope(False):  # an inner "off" never turns an outer "on" off
            assert policy.is_offline()
        assert _in_thread(policy.is_offline) is False  # a new thread starts without it: RunOptions carries it
    assert not policy.is_offline()


def test_gateway_refuses_inside_the_scope_with_no_request(hub_stub, cached_repo):
    from lib.hub import gateway
    from lib.hub.lookup import fetch_model_details

    with policy.offline_scope(True):
        with pytest.raises(HubError) as e:
            gateway.model_info(cached_repo)
        assert e.value.kind == "offline"
        details = fetch_model_details(cached_repo)  # the Model page's answer: snapshot + local cache
    assert details.source == "offline" and details.sha and any(f.path == "config.json" for f in details.files)
    assert hub_stub.requests == []


def test_registered_reader_is_the_session_switch_and_a_failing_one_counts_as_off(monkeypatch):
    monkeypatch.setattr(policy, "_reader", None)
    policy.use_session_switch(lambda: True)
    assert policy.is_offline() and RunOptions().offline
    policy.use_session_switch(lambda: 1 / 0)
    assert not policy.session_offline()
    policy.use_session_switch(None)
    assert not policy.is_offline()


def test_the_frames_reader_is_off_outside_a_script_run():
    from lib.ui import frame

    assert frame._session_switch() is False  # a job thread, a test: no browser session, no switch


# ---- the runner ------------------------------------------------------------------------------------
def test_run_options_take_the_switch_where_they_are_made():
    assert RunOptions().offline is False
    with policy.offline_scope(True):
        opts = RunOptions()
    assert opts.offline is True
    assert _in_thread(lambda: opts.offline) is True  # it travels with the options


def test_offline_run_on_a_job_thread_loads_from_the_cache_with_no_request(hub_stub, cached_repo):
    from lib.runner import run
    from lib.runner.cache import ModelCache

    result = _in_thread(lambda: run(cached_repo, "text-classification", {"text": "i love this movie"},
                                    RunOptions(device="cpu", offline=True), cache=ModelCache(budget_bytes=10**9)))
    assert result.output["labels"] and any("local cache" in n for n in result.notices)
    assert hub_stub.requests == []  # the old runner asked /api/models/<id> and config.json from its thread


def test_offline_text_generation_runs_from_the_cache(hub_stub, tiny_model):
    """local_files_only is for loading only: transformers' pipeline() keeps it among the pipeline's call
    arguments, and text generation then handed it to generate() ("model_kwargs are not used")."""
    from huggingface_hub import snapshot_download

    from lib.runner import run
    from lib.runner.cache import ModelCache

    repo = "offline/tiny-gpt2"
    hub_stub.add_repo(repo, tiny_model("text-generation"), info={"pipeline_tag": "text-generation"})
    snapshot_download(repo)
    hub_stub.reset()
    result = _in_thread(lambda: run(repo, "text-generation", {"text": "Hello"},
                                    RunOptions(device="cpu", offline=True, max_new_tokens=4),
                                    cache=ModelCache(budget_bytes=10**9)))
    assert isinstance(result.output["text"], str) and result.output["text"]  # generated, no error
    assert hub_stub.requests == []


def test_offline_load_tells_transformers_local_files_only(tiny_model, monkeypatch):
    from lib import runtime
    from lib.runner import loader

    T = runtime.transformers()
    runtime.pipelines()
    seen: list[dict] = []
    real = T.pipeline

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(T, "pipeline", spy)
    folder = str(tiny_model("text-classification"))
    loader.load(folder, "run_text_classification", "text-classification", "cpu", "fp32", config={},
                local_files_only=True)
    loader.load(folder, "run_text_classification", "text-classification", "cpu", "fp32", config={})
    assert seen[0].get("local_files_only") is True
    assert "local_files_only" not in seen[1] and "local_files_only" not in seen[1]["model_kwargs"]


# ---- sessions ----------------------------------------------------------------------------------------
def test_session_plan_on_a_runner_thread_stays_offline(hub_stub, cached_repo):
    from lib.sessions.plan import plan_fit

    plan = _in_thread(lambda: plan_fit([("c1", cached_repo)], RunOptions(device="cpu", offline=True)))
    assert "c1" in plan.gates
    assert hub_stub.requests == []


def test_offline_candidate_freezes_the_cached_revision(hub_stub, cached_repo):
    from lib.access import access_for
    from lib.hub.gateway import cached_repo as local_copy
    from lib.sessions.candidates import check_one

    with policy.offline_scope(True):
        check = check_one(cached_repo, access_for())
    assert check.problem is None and check.revision == local_copy(cached_repo).sha
    assert "local cache" in (check.note or "")
    assert hub_stub.requests == []


# ---- the page frame ------------------------------------------------------------------------------------
def test_every_page_has_its_own_offline_text():
    from lib.ui.frame import NAV, OFFLINE_NOTES, offline_banner

    for _script, label, _icon in NAV:
        assert label in OFFLINE_NOTES, f"{label}: say what works offline and what does not"
        works, not_offline = OFFLINE_NOTES[label]
        assert works in offline_banner(label) and not_offline in offline_banner(label)
    assert offline_banner("A page added later").startswith("**Offline**")


def _banner(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


def test_url_switch_turns_the_page_offline_and_the_catalog_to_the_snapshot(monkeypatch):
    monkeypatch.setenv("HUBSCOUT_CATALOG", "live")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["offline"] = "1"
    at.run()
    assert not at.exception
    assert "**Offline**" in _banner(at) and "Works:" in _banner(at)
    assert at.sidebar.toggle(key="offline_switch").value is True
    assert at.sidebar.radio(key=MODE_KEY).value == "snapshot" and at.sidebar.radio(key=MODE_KEY).disabled
    assert "Snapshot only" in "\n".join(m.value for m in at.markdown)
    assert "not used while offline" in "\n".join(m.value for m in at.sidebar.markdown)
    # off again: the catalog choice made before comes back, and the URL forgets the switch
    at.sidebar.toggle(key="offline_switch").set_value(False).run()
    assert not at.exception and "**Offline**" not in _banner(at)
    assert at.sidebar.radio(key=MODE_KEY).value == "live" and "offline" not in at.query_params


def test_sidebar_switch_goes_into_the_url_and_env_fixes_it_on(monkeypatch):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert "**Offline**" not in _banner(at)
    at.sidebar.toggle(key="offline_switch").set_value(True).run()
    assert "**Offline**" in _banner(at) and at.query_params.get("offline") == "1"

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    switch = at.sidebar.toggle(key="offline_switch")
    assert switch.value is True and switch.disabled
    assert "**Offline**" in _banner(at) and "offline" not in at.query_params


def test_offline_messages_name_the_switch_that_is_on(hub_stub, monkeypatch):
    from lib.hub.errors import OFFLINE_MESSAGE
    from lib.hub.lookup import fetch_model_details

    with policy.offline_scope(True):
        assert policy.offline_message() == policy.SWITCH_MESSAGE
        details = fetch_model_details("offline-unit/not-cached")
        assert details.missing[0] == f"Hub not used: {policy.SWITCH_MESSAGE}"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with policy.offline_scope(True):
        assert policy.offline_message() == OFFLINE_MESSAGE  # the instance's switch is the reason
    assert hub_stub.requests == []


def test_no_sign_in_offline(monkeypatch):
    """Sign-in goes to the Hub's OAuth: offline, the public instance's sidebar offers none."""
    monkeypatch.setenv("HUBSCOUT_PUBLIC", "1")
    auth = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "id",
            "client_secret": "secret", "server_metadata_url": "https://huggingface.co/.well-known/openid-configuration"}
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = auth
    at.run()
    assert [b.label for b in at.sidebar.button] == ["Sign in (admins)"]
    at.query_params["offline"] = "1"
    at.run()
    assert not at.exception and not at.sidebar.button
    assert "Sign-in needs the Hub" in "\n".join(c.value for c in at.sidebar.caption)


def test_rater_is_not_offered_sign_in_offline(tmp_path, monkeypatch):
    from lib import store as db
    from lib.sessions import store

    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HUBSCOUT_DATABASE_URL", raising=False)
    db.dispose_all()
    info = store.create_session("Offline rating", "text-classification", ["a/one", "b/two"], [{"text": "hi"}],
                                {"dtype": "auto", "device": "cpu"})
    auth = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "id",
            "client_secret": "secret", "server_metadata_url": "https://huggingface.co/.well-known/openid-configuration"}

    def rate_page(offline: bool) -> list[str]:
        at = AppTest.from_file(APP, default_timeout=60)
        at.secrets["auth"] = auth
        at.switch_page("pages/4_Sessions.py")
        at.query_params.update({"session": info.id, "view": "Rate", **({"offline": "1"} if offline else {})})
        at.run()
        assert not at.exception
        return [b.label for b in at.main.button]

    try:
        assert any("Sign in to rate" in label for label in rate_page(False))
        assert not any("Sign in to rate" in label for label in rate_page(True))
    finally:
        db.dispose_all()


def _links_script():
    import streamlit as st

    from lib.ui.links import carried_params

    st.write(repr(sorted(carried_params(model="a/b").items())))


def test_links_between_pages_keep_the_offline_switch():
    """An "Open" / "Try it" link made by lib.ui.links keeps ``offline=1`` as the sidebar's links do (it dropped
    it: only source= and shortlist= were carried)."""
    at = AppTest.from_function(_links_script, default_timeout=30)
    at.query_params.update({"offline": "1", "source": "snapshot", "shortlist": "x/y", "other": "z"})
    at.run()
    assert not at.exception
    assert at.markdown[0].value == repr(sorted({"offline": "1", "source": "snapshot", "shortlist": "x/y",
                                                "model": "a/b"}.items()))
