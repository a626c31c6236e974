"""The Hub gateway: one error type with kinds, one deadline/attempt policy, one offline switch, and
one per-process facts cache shared by the Model page, the test-drive and the runner."""
from __future__ import annotations

import json
import shutil
import time

import pytest

from lib.hub import facts, gateway, listing, policy
from lib.hub.errors import KINDS, HubError
from lib.hub.policy import Policy
from tests.support.hub_stub import closed_port_url

RID = "gw/tiny"


@pytest.fixture
def repo(hub_stub, tmp_path):
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"architectures": ["BertModel"], "model_type": "bert"}))
    (folder / "README.md").write_text("---\nlicense: mit\n---\n\n# Tiny card\nText.\n")
    hub_stub.add_repo(RID, folder, info={"pipeline_tag": "fill-mask"})
    return folder


@pytest.fixture
def fast_policy(monkeypatch):
    """A 0.5 s call deadline, so that slow-Hub cases stay quick."""
    monkeypatch.setattr(policy, "current", lambda: Policy(list_timeout=0.5, call_timeout=0.5))


def info_requests(hub_stub, rid=RID):
    """model_info requests (the Model page's providers section asks ``expand=inferenceProviderMapping`` apart)."""
    return [r for r in hub_stub.requests_to(f"/api/models/{rid}")
            if "/tree/" not in r.path and "expand=" not in r.query_string]


# ---- one error type ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fault,kind,words", [
    (404, "not_found", f"No model {RID} on the Hub"),
    (401, "auth", "check HF_TOKEN"),
    (403, "auth", "check HF_TOKEN"),
    (429, "rate_limited", "Hub rate limit reached (429) — retry in 7 s"),
    (500, "server", "Hub server error (500)"),
    (503, "server", "Hub server error (503)"),
    ("garbage", "bad_answer", "Hub returned data Hub Scout could not read"),
    ("reset", "unreachable", "Hub unreachable (connection closed without an answer)"),
    ("slow", "timeout", "Hub answered slower than 0.5 s"),
])
def test_every_failure_is_one_error_type_with_a_kind(hub_stub, repo, fast_policy, fault, kind, words):
    hub_stub.set_fault(fault, f"/api/models/{RID}", delay=3)
    t = time.perf_counter()
    with pytest.raises(HubError) as e:
        gateway.model_info(RID)
    assert e.value.kind == kind and e.value.kind in KINDS and words in e.value.message
    assert e.value.repo_id == RID and "Traceback" not in str(e.value)
    assert (e.value.retry_after == 7) == (kind == "rate_limited")
    assert time.perf_counter() - t < 2.9  # under the stand-in's 3 s delay: the deadline, not the Hub, ended it
    assert len(hub_stub.requests) == 1  # one attempt: a failing Hub is reported, not hammered


def test_gated_invalid_offline_and_refused(hub_stub, repo, monkeypatch):
    hub_stub.add_repo("gw/gated", repo, info={"gated": "manual"})
    with pytest.raises(HubError) as e:
        gateway.model_card("gw/gated")
    assert e.value.kind == "gated" and "HF_TOKEN" in e.value.message
    with pytest.raises(HubError) as e:
        gateway.model_info("../etc/passwd")
    assert e.value.kind == "invalid_id"
    with pytest.raises(HubError) as e:
        gateway.download_file(RID, "nope.json")
    assert e.value.kind == "not_found" and "nope.json" in e.value.message
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "ENDPOINT", closed_port_url())
    with pytest.raises(HubError) as e:
        listing.list_models_page([("limit", "1")])
    assert e.value.kind == "unreachable" and e.value.message == "Hub unreachable (connection refused)"


def test_attempts_retry_only_what_may_pass(hub_stub, repo, monkeypatch):
    hub_stub.set_fault(503, f"/api/models/{RID}", times=1)
    monkeypatch.setattr(policy, "current", lambda: Policy(attempts=2))
    assert gateway.model_info(RID).id == RID and len(info_requests(hub_stub)) == 2
    hub_stub.reset()
    hub_stub.set_fault(404, "/api/models/gw/other")
    with pytest.raises(HubError):
        gateway.model_info("gw/other")
    assert len(hub_stub.requests) == 1  # "not found" is an answer: never retried


# ---- one deadline for every call, files included ----------------------------------------------------
def test_a_slow_config_json_costs_the_deadline_not_minutes(hub_stub, repo, fast_policy):
    """Issue 8, defect 9: a config.json that takes 30 s used to cost 105 s (etag + download
    timeouts, retried). Under the policy every Hub call, file downloads included, ends at its deadline."""
    hub_stub.set_fault("slow", f"/{RID}/resolve/main/config.json", delay=30)
    t = time.perf_counter()
    with pytest.raises(HubError) as e:
        gateway.model_config(RID)
    assert e.value.kind == "timeout" and time.perf_counter() - t < 1.5
    t = time.perf_counter()
    with pytest.raises(HubError):
        gateway.model_config(RID)
    assert time.perf_counter() - t < 0.1  # the failure is remembered briefly: no second wait


def test_config_problems_say_what_went_wrong(hub_stub, tmp_path):
    from lib.hub.lookup import fetch_config_json

    for name, body in (("gw/garbage", "{not json"), ("gw/list", "[1, 2]")):
        folder = tmp_path / name.split("/")[1]
        folder.mkdir()
        (folder / "config.json").write_text(body)
        hub_stub.add_repo(name, folder)
    assert fetch_config_json("gw/garbage") == (None, "config.json is not valid JSON")
    assert fetch_config_json("gw/list") == (None, "config.json does not hold a JSON object")
    hub_stub.add_repo("gw/never-downloaded", tmp_path / "list")
    hub_stub.set_fault(500, "/gw/never-downloaded/resolve")
    assert fetch_config_json("gw/never-downloaded")[1] == \
        "config.json could not be downloaded (Hub server error (500))"
    hub_stub.set_fault(403, "/gw/forbidden/resolve")
    hub_stub.add_repo("gw/forbidden", tmp_path / "list")
    assert fetch_config_json("gw/forbidden")[1] == "config.json was refused (403): HF_TOKEN has no access to it"
    assert fetch_config_json("gw/garbage", offline=True) == (None, "config.json is not valid JSON")


# ---- one offline switch -----------------------------------------------------------------------------
def test_offline_switch_stops_every_call_but_local_reads(hub_stub, repo, monkeypatch):
    path = gateway.download_file(RID, "config.json")
    hub_stub.reset()
    facts.forget()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert policy.is_offline()
    for call in (lambda: gateway.model_info(RID), lambda: gateway.model_config(RID),
                 lambda: gateway.download_file(RID, "config.json"), lambda: listing.list_models_page([]),
                 lambda: gateway.download_snapshot(RID)):
        with pytest.raises(HubError) as e:
            call()
        assert e.value.kind == "offline" and e.value.message == "Offline mode (HF_HUB_OFFLINE=1)"
    assert gateway.download_file(RID, "config.json", local_only=True) == path
    assert gateway.cached_file(RID, "README.md") is None
    with pytest.raises(HubError) as e:
        gateway.download_file(RID, "README.md", local_only=True)
    assert e.value.kind == "not_cached"
    assert hub_stub.requests == []


def test_card_front_matter_is_dropped_by_modelcard(hub_stub, repo, tmp_path):
    assert gateway.model_card(RID) == "# Tiny card\nText.\n"
    assert gateway.card_text("\ufeff---\nlicense: [unclosed\n---\n# Body") == "# Body"
    assert gateway.card_text("# No front matter") == "# No front matter"


# ---- one facts cache ----------------------------------------------------------------------------------
def test_successes_are_cached_failures_only_briefly(hub_stub, repo, monkeypatch):
    monkeypatch.setattr(facts, "ERROR_TTL_S", 0.3)
    hub_stub.set_fault(500, f"/api/models/{RID}", times=1)
    with pytest.raises(HubError):
        gateway.model_info(RID)
    with pytest.raises(HubError):
        gateway.model_info(RID)  # within the error TTL: the remembered failure, no request
    assert len(info_requests(hub_stub)) == 1
    time.sleep(0.35)
    assert gateway.model_info(RID).id == RID  # the Hub is back: the next call asks it
    gateway.model_info(RID)
    assert gateway.model_config(RID)["model_type"] == "bert"
    asked = len(hub_stub.requests_to(f"/{RID}/resolve/main/config.json"))
    gateway.model_config(RID)
    assert len(info_requests(hub_stub)) == 2 and asked >= 1
    assert len(hub_stub.requests_to(f"/{RID}/resolve/main/config.json")) == asked
    facts.forget(RID)  # "Refresh"
    gateway.model_info(RID)
    assert len(info_requests(hub_stub)) == 3


def test_rate_limit_is_held_as_long_as_the_hub_asked_never_longer_than_the_ttl(monkeypatch):
    cache = facts.Facts()

    def limited():
        raise HubError("Hub rate limit reached (429) — retry in 120 s", "rate_limited", retry_after=120)

    for retry_ttl, want in (("600", 120), ("60", 60)):
        monkeypatch.setenv("HUBSCOUT_CACHE_TTL", retry_ttl)
        with pytest.raises(HubError):
            cache.fetch(("info", "o/m", retry_ttl), limited)
        expires = cache._entries[("info", "o/m", retry_ttl)][0]
        assert want - 1 < expires - time.monotonic() <= want


def test_cache_is_keyed_by_the_token_in_use(hub_stub, repo, monkeypatch):
    gateway.model_info(RID)
    monkeypatch.setenv("HF_TOKEN", "hf_other_user")
    gateway.model_info(RID)
    assert len(info_requests(hub_stub)) == 2
    assert info_requests(hub_stub)[-1].headers["authorization"] == "Bearer hf_other_user"
    assert not any("hf_other_user" in str(k) for k in facts.FACTS._entries)  # only a hash is kept


def test_degraded_details_are_not_kept(hub_stub, repo, monkeypatch):
    """Issue 8, defect 10: one 500 must not leave every later visitor an offline view for 10 minutes."""
    from lib.hub.lookup import fetch_model_details

    monkeypatch.setattr(facts, "ERROR_TTL_S", 0.3)
    hub_stub.set_fault(500, f"/api/models/{RID}", times=1)
    assert fetch_model_details(RID).source == "offline"
    time.sleep(0.35)
    d = fetch_model_details(RID)
    assert d.source == "live" and d.pipeline_tag == "fill-mask"
    hub_stub.add_repo("gw/card-later", repo)  # a README not in the local cache yet
    hub_stub.set_fault(500, "/gw/card-later/resolve/main/README.md", times=1)
    d = fetch_model_details("gw/card-later")
    assert d.source == "live" and "model card (download failed)" in d.missing
    time.sleep(0.35)
    assert fetch_model_details("gw/card-later").card == "# Tiny card\nText.\n"


def test_model_page_then_run_fetches_the_model_once(hub_stub, tiny_model, tmp_path, monkeypatch):
    """A model the Model page looked up is not looked up again when it is run: the runner gets
    model_info and config.json from the gateway's facts cache; only the files it loads are downloaded
    (the info's commit sha spares snapshot_download its own model_info request)."""
    from streamlit.testing.v1 import AppTest

    from lib.runner import RunOptions, run
    from lib.runner.cache import ModelCache
    from lib.ui import cached

    rid = "gw/page-then-run"
    folder = tmp_path / "bert"
    shutil.copytree(tiny_model("bert-sequence"), folder)
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# A tiny classifier\n")
    hub_stub.add_repo(rid, folder, info={"pipeline_tag": "text-classification"})
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path / "data"))
    cached.clear()

    at = AppTest.from_file("../streamlit_app.py", default_timeout=120)
    at.query_params["model"] = rid
    at.switch_page("pages/2_Model.py").run()
    assert not at.exception and [h.value for h in at.header] == [rid]
    page = list(hub_stub.requests)
    config_gets = lambda: hub_stub.requests_to(f"/{rid}/resolve/main/config.json", "GET")  # noqa: E731
    assert len(info_requests(hub_stub, rid)) == 1 and len(config_gets()) == 1

    res = run(rid, "text-classification", {"text": "i love it"}, RunOptions(device="cpu", dtype="fp32"),
              cache=ModelCache(budget_bytes=2 * 1024**3))
    assert res.output["labels"]
    ran = hub_stub.requests[len(page):]
    assert len(info_requests(hub_stub, rid)) == 1, "the run asked model_info again"
    assert len(config_gets()) == 1
    assert not any("/revision/" in r.path for r in ran)  # snapshot_download did not resolve the revision
    downloaded = {r.path.rsplit("/", 1)[-1] for r in ran if "/resolve/" in r.path and r.method == "GET"}
    assert "model.safetensors" in downloaded and "config.json" not in downloaded
    print(f"\nModel page: {len(page)} Hub requests; run after it: {len(ran)} "
          f"({sum('/tree/' in r.path for r in ran)} tree listing, "
          f"{sum('/resolve/' in r.path for r in ran)} file HEAD/GET, 0 model_info, 0 config.json)")
