"""LiveCatalog sends exactly one /api/models request with the right query, and maps failures."""
from __future__ import annotations

import pytest

from lib.catalog.live import EXPAND, LiveCatalog, format_param_count
from lib.catalog.query import CatalogQuery
from lib.hub.errors import HubError

BASE_EXPAND = [("expand", e) for e in EXPAND]


def sent(hub_stub) -> list[tuple[str, str]]:
    reqs = hub_stub.requests_to("/api/models")
    assert len(reqs) == 1, "one search = one request"
    from urllib.parse import parse_qsl
    return parse_qsl(reqs[0].query_string, keep_blank_values=True)


@pytest.mark.parametrize("query,expected", [
    (CatalogQuery(task="text-generation"),
     [("pipeline_tag", "text-generation"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(search="MiniLM"), [("search", "MiniLM"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(author="Qwen"), [("author", "Qwen"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(library="Transformers"), [("filter", "transformers"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(language="en"), [("filter", "en"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(license="apache-2.0"), [("filter", "license:apache-2.0"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(library="transformers", language="es", license="mit"),
     [("filter", "transformers"), ("filter", "es"), ("filter", "license:mit"),
      ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(params_min=100_000_000, params_max=1_500_000_000),
     [("num_parameters", "min:100M,max:1500M"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(params_max=7_000_000_000), [("num_parameters", "max:7B"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(gated=True), [("gated", "true"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(gated=False), [("gated", "false"), ("sort", "downloads"), ("limit", "100")]),
    (CatalogQuery(sort="likes", limit=20), [("sort", "likes"), ("limit", "20")]),
    (CatalogQuery(sort="trending"), [("sort", "trendingScore"), ("limit", "100")]),
    (CatalogQuery(sort="created"), [("sort", "createdAt"), ("limit", "100")]),
    (CatalogQuery(sort="modified"), [("sort", "lastModified"), ("limit", "100")]),
])
def test_exact_query_string(hub_stub, query, expected):
    LiveCatalog().search(query)
    assert sent(hub_stub) == expected + BASE_EXPAND


def test_one_request_returns_every_column(hub_stub):
    r = LiveCatalog().search(CatalogQuery(task="text-generation", sort="downloads", limit=3))
    assert r.requests == 1 and len(hub_stub.requests) == 1
    assert r.source.kind == "live" and r.fallback_reason is None
    assert len(r.records) == 3 and r.has_more  # Link rel=next was present, not followed
    qwen = next(x for x in LiveCatalog().search(CatalogQuery(author="Qwen", limit=50)).records
                if x.id == "Qwen/Qwen2.5-0.5B-Instruct")
    assert qwen.pipeline_tag == "text-generation" and qwen.library_name == "transformers"
    assert qwen.params_by_dtype == {"BF16": 494032768} and qwen.params_total == 494032768 and qwen.params_exact
    assert qwen.license == "apache-2.0" and qwen.languages == ("en",)
    assert qwen.downloads == 3500000 and qwen.likes == 400 and qwen.created_at.year == 2024
    assert qwen.last_modified is not None and qwen.gated is False and "chat" in qwen.tags


def test_filters_are_applied_by_the_hub(hub_stub):
    r = LiveCatalog().search(CatalogQuery(task="fill-mask", params_min=100_000_000, params_max=1_000_000_000, limit=50))
    assert r.records and all(x.pipeline_tag == "fill-mask" and 1e8 <= x.params_total <= 1e9 for x in r.records)
    assert not r.has_more


def test_min_downloads_and_likes_are_client_side(hub_stub):
    r = LiveCatalog().search(CatalogQuery(task="text-generation", min_downloads=1_000_000, limit=3))
    assert all(x.downloads >= 1_000_000 for x in r.records)
    assert dict(sent(hub_stub))["limit"] == "3"  # sorted by downloads: the first page already has them
    assert r.notes and "not a Hub search parameter" in r.notes[0]
    hub_stub.reset()
    r = LiveCatalog().search(CatalogQuery(min_likes=100, sort="downloads", limit=10))
    assert dict(sent(hub_stub))["limit"] == "200"  # still one request, a larger page
    assert r.records and all(x.likes >= 100 for x in r.records) and r.requests == 1


def test_token_is_sent_when_hf_token_set(hub_stub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    LiveCatalog().search(CatalogQuery(limit=1))
    assert hub_stub.requests[-1].headers["authorization"] == "Bearer hf_secret"
    monkeypatch.delenv("HF_TOKEN")
    LiveCatalog().search(CatalogQuery(limit=1))
    assert "authorization" not in hub_stub.requests[-1].headers


@pytest.mark.parametrize("fault,reason", [
    (404, "Hub answered not found (404)"),
    (429, "Hub rate limit reached (429) — retry in 7 s"),
    (500, "Hub server error (500)"),
    (503, "Hub server error (503)"),
    ("garbage", "Hub returned data Hub Scout could not read"),
    ("garbage_shape", "Hub returned data Hub Scout could not read"),
    ("reset", "Hub unreachable (connection closed without an answer)"),
])
def test_failures_raise_with_reason_without_retrying(hub_stub, fault, reason):
    hub_stub.set_fault(fault, "/api/models")
    with pytest.raises(HubError) as e:
        LiveCatalog().search(CatalogQuery(limit=5))
    assert e.value.reason.startswith(reason)
    assert len(hub_stub.requests) == 1  # huggingface_hub's backoff retries are not used


def test_slow_hub_times_out(hub_stub):
    import time
    hub_stub.set_fault("slow", "/api/models", delay=2)
    t = time.perf_counter()
    with pytest.raises(HubError) as e:
        LiveCatalog(timeout=0.5).search(CatalogQuery(limit=5))
    assert e.value.reason == "Hub answered slower than 0.5 s" and e.value.kind == "timeout"
    assert time.perf_counter() - t < 1.5


def test_connection_refused_and_offline(hub_stub, monkeypatch):
    from tests.support.hub_stub import closed_port_url
    with pytest.raises(HubError) as e:
        LiveCatalog(endpoint=closed_port_url()).search(CatalogQuery())
    assert e.value.reason == "Hub unreachable (connection refused)"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubError) as e:
        LiveCatalog().search(CatalogQuery())
    assert e.value.reason == "Offline mode (HF_HUB_OFFLINE=1)" and hub_stub.requests == []


def test_format_param_count():
    assert [format_param_count(n) for n in (6_000_000_000, 500_000_000, 12_000, 1_234_567, 2 * 10**12)] == \
        ["6B", "500M", "12K", "1234567", "2T"]


# ---- the request is the one huggingface_hub's own HfApi.list_models sends ---------------------
@pytest.mark.parametrize("query,kwargs", [
    (CatalogQuery(task="text-classification", search="bert", limit=7),
     dict(pipeline_tag="text-classification", search="bert", limit=7, sort="downloads")),
    (CatalogQuery(author="Qwen", library="transformers", language="en", license="apache-2.0", sort="likes"),
     dict(author="Qwen", filter=["transformers", "en", "license:apache-2.0"], sort="likes", limit=100)),
    (CatalogQuery(params_min=100_000_000, params_max=8_000_000_000, gated=False, sort="created"),
     dict(num_parameters="min:100M,max:8B", gated=False, sort="created_at", limit=100)),
    (CatalogQuery(sort="trending", limit=3), dict(sort="trending_score", limit=3)),
    (CatalogQuery(sort="modified", limit=3), dict(sort="last_modified", limit=3)),
])
def test_same_request_and_records_as_hfapi_list_models(hub_stub, query, kwargs):
    """LiveCatalog bypasses list_models only for its retry loop and missing timeout: the query it
    sends and the records it builds must equal what HfApi.list_models sends and parses."""
    from urllib.parse import parse_qsl

    from huggingface_hub import HfApi

    from lib.hub.records import ModelRecord

    ours = LiveCatalog().search(query)
    ours_qs = parse_qsl(hub_stub.requests_to("/api/models")[0].query_string, keep_blank_values=True)
    hub_stub.requests.clear()
    theirs = list(HfApi().list_models(expand=list(EXPAND), **kwargs))
    reqs = hub_stub.requests_to("/api/models")
    theirs_qs = parse_qsl(reqs[0].query_string, keep_blank_values=True)
    assert sorted(ours_qs) == sorted(theirs_qs)
    assert [r.id for r in ours.records] == [m.id for m in theirs][: len(ours.records)]
    from_hfapi = [ModelRecord.from_api({k: v for k, v in vars(m).items() if v is not None}) for m in theirs]
    for a, b in zip(ours.records, from_hfapi):
        assert (a.pipeline_tag, a.params_total, dict(a.params_by_dtype), a.downloads, a.license, a.gated) == \
               (b.pipeline_tag, b.params_total, dict(b.params_by_dtype), b.downloads, b.license, b.gated)
