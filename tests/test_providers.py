"""Inference Providers (issue 11): the Hub's provider mapping through the gateway, Discover's
"Served by inference providers" filter (live and snapshot, in the URL) and the Model page's section.

The Hub stand-in serves ``inferenceProviderMapping`` for two seeded models (tests/support/hub_models.json:
Llama-3.1-8B-Instruct with two live providers and one staging, FLUX.1-dev with two) and filters the list
by ``inference_provider``.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from lib.catalog import source
from lib.catalog.live import EXPAND, LiveCatalog
from lib.catalog.query import CatalogQuery
from lib.hub import gateway, lookup
from lib.hub.errors import HubError
from lib.hub.providers import ProviderMapping, parse_mapping, providers_text
from lib.hub.records import ModelRecord

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
FLUX = "black-forest-labs/FLUX.1-dev"
SERVED = {LLAMA, FLUX}
UNSERVED = "openai-community/gpt2"
FIELD = "inferenceProviderMapping"


@pytest.fixture(autouse=True)
def fresh(hub_stub):
    from lib.ui import cached

    cached.clear()
    yield
    cached.clear()


# ---- parsing ---------------------------------------------------------------------------------------

def test_both_hub_shapes_read_the_same_and_unknown_fields_are_kept():
    as_info = {"together": {"providerId": "t/llama", "status": "live", "task": "conversational",
                            "adapter": "lora", "type": "single-model", "futureField": {"x": 1}},
               "fal-ai": {"providerId": "fal/x", "status": "staging", "task": "text-to-image"}}
    as_list = [{"provider": name, **entry} for name, entry in as_info.items()]
    a, b = parse_mapping(as_info), parse_mapping(as_list)
    assert a == b
    assert a[0] == ProviderMapping("together", "t/llama", "live", "conversational",
                                   {"adapter": "lora", "type": "single-model", "futureField": {"x": 1}})
    assert a[1].provider == "fal-ai" and not a[1].live and a[0].live
    assert providers_text(a) == "together, fal-ai (staging)" and providers_text(()) == providers_text(None) == ""


def test_reads_what_huggingface_hub_parses():
    """The same entries as huggingface_hub 2.4's ModelInfo.inference_provider_mapping, for both shapes."""
    from huggingface_hub.hf_api import ModelInfo

    raw = {"novita": {"providerId": "n/llama", "status": "live", "task": "conversational",
                      "adapterWeightsPath": "w.safetensors"}}
    for shape in (raw, [{"provider": "novita", **raw["novita"]}]):
        theirs = ModelInfo(id=LLAMA, inferenceProviderMapping=shape).inference_provider_mapping
        ours = parse_mapping(shape)
        assert [(m.provider, m.provider_id, m.status, m.task) for m in ours] == \
               [(m.provider, m.provider_id, m.status, m.task) for m in theirs]
        assert ours[0].extra == {"adapterWeightsPath": "w.safetensors"}
        assert parse_mapping(theirs) == ours  # its objects are read too (vars)


@pytest.mark.parametrize("raw,expected", [
    (None, ()), ("together", ()), (5, ()), (True, ()), ({}, ()), ([], ()),
    ([None, 3, "x", [1]], ()),  # entries that are not objects are skipped
    ([{"providerId": "no/provider", "status": "live"}], ()),  # an entry that names no provider
    ([{"provider": {"bad": 1}, "status": "live"}], ()),
    ({"groq": None, "x": "junk"}, ()),  # ModelInfo raises TypeError here
    ({"groq": {"status": "live"}}, (ProviderMapping("groq", status="live"),)),  # no providerId: KeyError there
    ({"groq": {"providerId": ["a"], "status": 1, "task": None}}, (ProviderMapping("groq", status="1"),)),
    ([{"provider": "a", "status": "live"}, {"provider": "a", "status": "error"}],
     (ProviderMapping("a", status="live"),)),  # a provider named twice: its first entry
])
def test_odd_shapes_never_raise(raw, expected):
    assert parse_mapping(raw) == expected


# ---- the gateway ------------------------------------------------------------------------------------

def test_gateway_sends_the_request_model_info_sends_and_caches_it(hub_stub):
    from huggingface_hub import HfApi

    found = gateway.provider_mapping(LLAMA)
    assert [(m.provider, m.status) for m in found] == [("together", "live"), ("novita", "live"),
                                                       ("featherless-ai", "staging")]
    assert found[0].provider_id == "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo" and found[0].task == "conversational"
    ours = hub_stub.requests_to(f"/api/models/{LLAMA}")
    assert len(ours) == 1
    assert gateway.provider_mapping(LLAMA) == found and len(hub_stub.requests) == 1  # cached
    hub_stub.requests.clear()
    info = HfApi().model_info(LLAMA, expand=[FIELD, "private"])
    theirs = hub_stub.requests_to(f"/api/models/{LLAMA}")[0]
    assert (ours[0].path, sorted(parse_qsl(ours[0].query_string))) == \
           (theirs.path, sorted(parse_qsl(theirs.query_string)))
    assert [(m.provider, m.provider_id, m.status, m.task) for m in info.inference_provider_mapping] == \
           [(m.provider, m.provider_id, m.status, m.task) for m in found]


def test_a_model_no_provider_serves(hub_stub):
    assert gateway.provider_mapping(UNSERVED) == ()
    served = lookup.served_by(UNSERVED)
    assert served.known and served.providers == () and served.live == ()


def test_odd_answers_from_the_hub(hub_stub):
    """An entry ModelInfo would choke on is read; a body that is not JSON is a clear bad answer."""
    hub_stub.add_model({"id": "odd/one", FIELD: {"together": {"status": "live"}, "x": "junk", "y": None}})
    found = gateway.provider_mapping("odd/one")
    assert [(m.provider, m.provider_id, m.status) for m in found] == [("together", None, "live")]
    hub_stub.add_model({"id": "odd/two", FIELD: "not a mapping"})
    assert gateway.provider_mapping("odd/two") == ()
    hub_stub.add_model({"id": "odd/three"})
    hub_stub.set_fault("garbage_shape", "/api/models/odd/three", times=1)  # an object without the field: none
    assert gateway.provider_mapping("odd/three") == ()
    gateway.forget("odd/three")
    hub_stub.set_fault("garbage", "/api/models/odd/three")  # not JSON
    with pytest.raises(HubError) as e:
        gateway.provider_mapping("odd/three")
    assert e.value.kind == "bad_answer"
    served = lookup.served_by("odd/three")  # the page's call never raises
    assert not served.known and "Only the Hub knows" in served.problem


def test_missing_model_and_hub_down(hub_stub):
    served = lookup.served_by("nobody/nothing")
    assert not served.known and served.kind == "not_found"
    hub_stub.set_fault(503, f"/api/models/{FLUX}")
    served = lookup.served_by(FLUX)
    assert served.kind == "server" and served.problem.startswith("Only the Hub knows")
    assert len(hub_stub.requests_to(f"/api/models/{FLUX}")) == 1  # one attempt, then the failure is kept briefly
    assert lookup.served_by(FLUX).kind == "server" and len(hub_stub.requests_to(f"/api/models/{FLUX}")) == 1


def test_offline_asks_nothing(hub_stub):
    from lib.hub import policy

    with policy.offline_scope(True):
        served = lookup.served_by(LLAMA)
        with pytest.raises(HubError) as e:
            gateway.provider_mapping(LLAMA)
    assert e.value.kind == "offline"
    assert served.kind == "offline" and "Only the Hub knows" in served.problem and "Offline" in served.problem
    snap = lookup.served_by(LLAMA, offline_reason="Snapshot-only catalog mode")
    assert snap.problem.endswith("Snapshot-only catalog mode.")
    assert hub_stub.requests == []


def test_a_private_repo_stays_hidden_on_a_public_instance(hub_stub):
    hub_stub.add_model({"id": "secret/served", "private": True,
                        FIELD: {"together": {"providerId": "s", "status": "live", "task": "conversational"}}})
    with gateway.private_repos(False):
        with pytest.raises(HubError) as e:
            gateway.provider_mapping("secret/served")
        assert e.value.kind == "not_found"
    with gateway.private_repos(True):
        assert gateway.provider_mapping("secret/served")[0].provider == "together"


# ---- Discover: the query, live and snapshot ---------------------------------------------------------

def test_url_round_trip():
    q = CatalogQuery(task="text-generation", providers=True)
    assert q.to_params() == {"task": "text-generation", "providers": "1"}
    assert CatalogQuery.from_params(q.to_params()) == q.normalized()
    assert "providers" not in CatalogQuery().to_params()
    for raw, on in (("1", True), ("true", True), ("on", True), ("0", False), ("false", False), ("", False)):
        got, problems = CatalogQuery.parse_params({"providers": raw})
        assert got.providers is on and problems == ()
    got, problems = CatalogQuery.parse_params({"providers": "maybe"})
    assert got.providers is False and "providers=`maybe`" in problems[0]


def test_live_filter_sends_what_list_models_sends(hub_stub):
    from huggingface_hub import HfApi

    result = LiveCatalog().search(CatalogQuery(providers=True, sort="downloads", limit=50))
    assert {r.id for r in result.records} == SERVED
    ours = parse_qsl(hub_stub.requests_to("/api/models")[0].query_string)
    assert ("inference_provider", "all") in ours and (("expand", FIELD)) in ours
    hub_stub.requests.clear()
    theirs = list(HfApi().list_models(inference_provider="all", expand=list(EXPAND), sort="downloads", limit=50))
    assert ours == parse_qsl(hub_stub.requests_to("/api/models")[0].query_string)
    llama = next(r for r in result.records if r.id == LLAMA)
    want = next(m for m in theirs if m.id == LLAMA).inference_provider_mapping
    assert [(m.provider, m.provider_id, m.status, m.task) for m in llama.inference_providers] == \
           [(m.provider, m.provider_id, m.status, m.task) for m in want]


def test_live_records_know_their_providers_and_the_column(hub_stub):
    from lib import results

    records = LiveCatalog().search(CatalogQuery(limit=1000)).records
    by_id = {r.id: r for r in records}
    assert by_id[UNSERVED].inference_providers == ()  # asked: served by none
    cols = results.results_columns(records)
    assert list(cols).index(results.PROVIDERS_COLUMN) == list(cols).index("Likes") + 1
    cell = dict(zip([u.removeprefix(results.HUB) for u in cols["Model"]], cols[results.PROVIDERS_COLUMN]))
    assert cell[LLAMA] == "together, novita, featherless-ai (staging)" and cell[UNSERVED] == ""
    # a record that does not know (the snapshot's): no column
    assert results.PROVIDERS_COLUMN not in results.results_columns([ModelRecord(id="a/b")])
    assert ModelRecord.from_api({"id": "a/b"}).inference_providers is None


def test_snapshot_says_it_cannot_filter_by_providers(hub_stub):
    from lib.hub import policy

    q = CatalogQuery(providers=True)
    snap = source.search(q, mode="snapshot")
    assert snap.records == [] and "snapshot does not know" in snap.unsupported
    assert source.search(CatalogQuery(), mode="snapshot").records  # without the filter it answers
    with policy.offline_scope(True):  # auto mode falls back to the snapshot: the same words
        auto = source.search(q, mode="auto")
    assert auto.fallback_reason and auto.records == [] and auto.unsupported == snap.unsupported
    assert hub_stub.requests == []


# ---- pages -------------------------------------------------------------------------------------------

def _open(page: str, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    at.switch_page(page)
    return at.run()


def _alerts(at: AppTest) -> str:
    return "\n".join(a.value for a in (*at.error, *at.warning, *at.info)).replace("\\", "")


def test_discover_filter_live_and_in_the_url(hub_stub):
    at = _open("pages/1_Discover.py", {"providers": "1", "source": "live"})
    assert not at.exception
    assert at.checkbox(key="d_providers").value is True
    df = at.dataframe[0].value
    cells = dict(zip((u.removeprefix("https://huggingface.co/") for u in df["Model"]), df["Providers"]))
    assert cells == {LLAMA: "together, novita, featherless-ai (staging)", FLUX: "fal-ai, replicate"}
    assert at.query_params["providers"] == "1"
    at.checkbox(key="d_providers").uncheck().run()
    assert not at.exception and "providers" not in at.query_params
    assert len(at.dataframe[0].value) > len(SERVED)


def test_discover_filter_on_the_snapshot_says_so(hub_stub):
    at = _open("pages/1_Discover.py", {"providers": "1", "source": "snapshot"})
    assert not at.exception
    assert "snapshot does not know which models Inference Providers serve" in _alerts(at)
    assert "No model matches" not in _alerts(at) and not at.dataframe
    at.button(key="d_providers_off").click().run()
    assert not at.exception and at.checkbox(key="d_providers").value is False
    assert at.dataframe and "providers" not in at.query_params
    assert hub_stub.requests == []


def _section(at: AppTest):
    return next((d.value for d in at.dataframe if "Provider id" in d.value.columns), None)


def test_model_page_lists_the_providers(hub_stub):
    at = _open("pages/2_Model.py", {"model": LLAMA})
    assert not at.exception
    assert any(s.value == "Served by inference providers" for s in at.subheader)
    table = _section(at)
    assert table is not None
    assert table.to_dict("records") == [
        {"Provider": "together", "Provider id": "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", "Status": "live",
         "Task": "conversational"},
        {"Provider": "novita", "Provider id": "meta-llama/llama-3.1-8b-instruct", "Status": "live",
         "Task": "conversational"},
        {"Provider": "featherless-ai", "Provider id": "meta-llama/Llama-3.1-8B-Instruct", "Status": "staging",
         "Task": "conversational"}]
    assert any("3 providers list this model, 2 live" in c.value for c in at.caption)
    asked = [r for r in hub_stub.requests_to(f"/api/models/{LLAMA}") if FIELD in r.query_string]
    assert len(asked) == 1


def test_model_page_not_served_and_offline(hub_stub):
    at = _open("pages/2_Model.py", {"model": UNSERVED})
    assert not at.exception and _section(at) is None
    assert "Not served by any inference provider" in _alerts(at)
    hub_stub.requests.clear()
    at = _open("pages/2_Model.py", {"model": LLAMA, "source": "snapshot"})
    assert not at.exception and _section(at) is None
    assert "Only the Hub knows which Inference Providers serve this model" in _alerts(at)
    assert hub_stub.requests == []
