"""Auto mode falls back to the snapshot fast and says why; live mode raises; snapshot never calls."""
from __future__ import annotations

import time

import pytest

from lib.catalog import source
from lib.catalog.query import CatalogQuery
from lib.catalog.result import SearchResult, SourceInfo
from lib.hub.errors import HubError
from lib.hub.records import ModelRecord
from tests.support.hub_stub import closed_port_url


class FakeSnapshot:
    """Stands in for SnapshotCatalog (its contract: .info, .search(q), .get(id)) in these tests."""

    info = SourceInfo(kind="snapshot", label="Test snapshot", date="2026-05-10")

    def __init__(self):
        self.queries = []

    def search(self, q):
        self.queries.append(q)
        return SearchResult(records=[ModelRecord(id="snap/model")], source=self.info)

    def get(self, model_id):
        return None


@pytest.fixture
def snap(monkeypatch):
    fake = FakeSnapshot()
    monkeypatch.setattr(source, "current_snapshot", lambda: fake)
    monkeypatch.setenv("HUBSCOUT_LIVE_TIMEOUT", "0.5")
    return fake


FAULTS = [
    (404, "Hub answered not found (404)"),
    (429, "Hub rate limit reached (429) — retry in 7 s"),
    (500, "Hub server error (500)"),
    (503, "Hub server error (503)"),
    ("slow", "Hub answered slower than 0.5 s"),
    ("garbage", "Hub returned data Hub Scout could not read"),
    ("reset", "Hub unreachable (connection closed without an answer)"),
]


@pytest.mark.parametrize("fault,reason", FAULTS)
def test_auto_falls_back_fast_with_reason(hub_stub, snap, fault, reason):
    hub_stub.set_fault(fault, "/api/models", delay=3)
    t = time.perf_counter()
    r = source.search(CatalogQuery(task="text-generation"), mode="auto")
    took = time.perf_counter() - t
    assert r.source.kind == "snapshot" and r.fallback_reason.startswith(reason)
    assert [x.id for x in r.records] == ["snap/model"] and snap.queries
    assert took < 1.5, f"fallback took {took:.2f} s"
    assert len(hub_stub.requests) == 1


@pytest.mark.parametrize("fault,reason", FAULTS)
def test_live_mode_raises_with_reason(hub_stub, snap, fault, reason):
    hub_stub.set_fault(fault, "/api/models", delay=3)
    with pytest.raises(HubError) as e:
        source.search(CatalogQuery(), mode="live")
    assert e.value.reason.startswith(reason) and not snap.queries


def test_offline_and_connection_refused(hub_stub, snap, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    r = source.search(CatalogQuery(), mode="auto")
    assert r.fallback_reason == "Offline mode (HF_HUB_OFFLINE=1)" and hub_stub.requests == []
    with pytest.raises(HubError, match="Offline mode"):
        source.search(CatalogQuery(), mode="live")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    import huggingface_hub.constants as c
    monkeypatch.setattr(c, "ENDPOINT", closed_port_url())
    t = time.perf_counter()
    r = source.search(CatalogQuery(), mode="auto")
    assert r.fallback_reason == "Hub unreachable (connection refused)" and time.perf_counter() - t < 1.0
    with pytest.raises(HubError, match=r"Hub unreachable \(connection refused\)"):
        source.search(CatalogQuery(), mode="live")


def test_failure_is_remembered_briefly(hub_stub, snap):
    hub_stub.set_fault(503, "/api/models", times=1)
    assert source.search(CatalogQuery(), mode="auto").fallback_reason == "Hub server error (503)"
    again = source.search(CatalogQuery(), mode="auto")
    assert again.fallback_reason.startswith("Hub server error (503) (Hub not asked again for")
    assert len(hub_stub.requests) == 1  # the second search did not wait on the Hub
    live = source.search(CatalogQuery(limit=2), mode="live")  # live mode always retries, and succeeds
    assert live.source.kind == "live" and source.remembered_failure() is None
    assert source.search(CatalogQuery(limit=2), mode="auto").source.kind == "live"


def test_rate_limit_is_remembered_for_retry_after(hub_stub, snap):
    hub_stub.set_fault(429, "/api/models", retry_after=120, times=1)
    source.search(CatalogQuery(), mode="auto")
    err, left = source.remembered_failure()
    assert err.kind == "rate_limited" and err.retry_after == 120 and 100 < left <= 120


def test_snapshot_mode_never_touches_the_network(hub_stub, snap):
    r = source.search(CatalogQuery(), mode="snapshot")
    assert r.source.kind == "snapshot" and r.fallback_reason is None and hub_stub.requests == []


def test_auto_uses_the_hub_when_it_answers(hub_stub, snap):
    r = source.search(CatalogQuery(task="fill-mask", limit=2))
    assert r.source.kind == "live" and r.requests == 1 and len(r.records) == 2 and not snap.queries


def test_mode_and_timeout_from_env(monkeypatch):
    for raw, want in (("live", "live"), (" SNAPSHOT ", "snapshot"), ("auto", "auto"), ("bogus", "auto"), ("", "auto")):
        monkeypatch.setenv("HUBSCOUT_CATALOG", raw)
        assert source.mode_from_env() == want
    monkeypatch.delenv("HUBSCOUT_CATALOG")
    assert source.mode_from_env() == "auto"
    monkeypatch.delenv("HUBSCOUT_LIVE_TIMEOUT", raising=False)
    assert source.live_timeout() == 3.0
    monkeypatch.setenv("HUBSCOUT_LIVE_TIMEOUT", "1.5")
    assert source.live_timeout() == 1.5
    monkeypatch.setenv("HUBSCOUT_LIVE_TIMEOUT", "soon")
    assert source.live_timeout() == 3.0
    with pytest.raises(ValueError):
        source.search(CatalogQuery(), mode="sometimes")


def test_current_snapshot_honours_the_env(monkeypatch, tmp_path):
    snapshot = pytest.importorskip("lib.catalog.snapshot")
    dump = tmp_path / "models.jsonl"
    dump.write_text('{"id": "me/tiny", "pipeline_tag": "fill-mask", "downloads": 3}\n')
    monkeypatch.setenv("HUBSCOUT_SNAPSHOT_FILE", str(dump))
    cat = source.current_snapshot()
    assert cat.get("me/tiny") is not None and len(cat) == 1
    monkeypatch.delenv("HUBSCOUT_SNAPSHOT_FILE")
    calls = []
    monkeypatch.setattr(snapshot.SnapshotCatalog, "embedded", classmethod(lambda cls: calls.append(1) or "embedded"))
    assert source.current_snapshot() == "embedded" and calls == [1]


def test_user_snapshot_file_loads_once_per_version_and_a_bad_one_falls_back(monkeypatch, tmp_path):
    """A dump of the whole Hub takes seconds to load: once per process and file version. A file that
    cannot be read leaves the embedded snapshot answering, with the reason for the sidebar."""
    import json
    import os

    from lib.catalog.snapshot import SnapshotCatalog

    loads = []
    real = SnapshotCatalog.from_file.__func__
    monkeypatch.setattr(SnapshotCatalog, "from_file",
                        classmethod(lambda cls, p: (loads.append(str(p)), real(cls, p))[1]))
    dump = tmp_path / "hub.jsonl"
    dump.write_text(json.dumps({"id": "o/one", "downloads": 5}) + "\n")
    monkeypatch.setenv("HUBSCOUT_SNAPSHOT_FILE", str(dump))
    first = source.current_snapshot()
    assert source.current_snapshot() is first and len(first) == 1 and len(loads) == 1
    assert source.snapshot_problem() is None

    dump.write_text(json.dumps({"id": "o/one"}) + "\n" + json.dumps({"id": "o/two"}) + "\n")
    os.utime(dump, ns=(1, 10**18))  # a new version of the file
    assert len(source.current_snapshot()) == 2 and len(loads) == 2

    dump.write_text("this is not json\n")
    os.utime(dump, ns=(1, 2 * 10**18))
    assert source.current_snapshot() is SnapshotCatalog.embedded()
    assert "could not be loaded" in source.snapshot_problem()
    from lib import i18n

    with i18n.scope("es"):  # kept for the process, said in the reader's language (the loader's reason too)
        assert str(source.snapshot_problem()) == ("No se pudo cargar HUBSCOUT_SNAPSHOT_FILE=hub.jsonl: hub.jsonl: "
                                                  "se esperaba un archivo parquet o JSON Lines (un objeto de modelo "
                                                  "del Hub por línea)")
    assert source.current_snapshot() is SnapshotCatalog.embedded() and len(loads) == 3  # not retried

    monkeypatch.setenv("HUBSCOUT_SNAPSHOT_FILE", str(tmp_path / "missing.parquet"))
    assert source.current_snapshot() is SnapshotCatalog.embedded()
    assert "cannot be read" in source.snapshot_problem()


def test_bad_snapshot_file_is_a_sidebar_message_not_a_traceback(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    monkeypatch.setenv("HUBSCOUT_SNAPSHOT_FILE", str(bad))
    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    at = AppTest.from_file("../streamlit_app.py", default_timeout=60)
    at.switch_page("pages/1_Discover.py").run()
    assert not at.exception
    assert any("could not be loaded" in e.value and "embedded snapshot is used instead" in e.value
               for e in at.sidebar.error)
    assert len(at.dataframe) == 1  # Discover still answers, from the embedded snapshot


# ---- in Spanish (issue 13): a reason kept by the process speaks the language of whoever reads it ----------


def test_a_remembered_failure_is_said_in_the_readers_language(hub_stub, snap):
    from lib import i18n

    source.forget_hub_failure()
    hub_stub.set_fault(503, "/api/models")
    with i18n.scope("en"):  # the first visitor reads English
        first = source.search(CatalogQuery(), mode="auto").fallback_reason
        assert str(first) == "Hub server error (503)"
    with i18n.scope("es"):  # a later one, Spanish: the same kept error, in Spanish, and the Hub not asked again
        again = source.search(CatalogQuery(), mode="auto").fallback_reason
        shown = str(again)
        assert shown.startswith("Error del servidor del Hub (503) (no se vuelve a consultar al Hub durante"), shown
        assert f"{again}" == shown and format(again) == shown  # f-strings and format() say it in the language too
    assert again.startswith("Hub server error (503) (Hub not asked again for")  # code still compares English
    assert len(hub_stub.requests) == 1
    source.forget_hub_failure()


@pytest.mark.parametrize("fault,english,spanish", [
    (503, "Hub server error (503)", "Error del servidor del Hub (503)"),
    ("garbage", "Hub returned data Hub Scout could not read", "El Hub devolvió datos que Hub Scout no pudo leer"),
    ("reset", "Hub unreachable (connection closed without an answer)",
     "Hub inaccesible (la conexión se cerró sin respuesta)"),
])
def test_hub_errors_in_both_languages_even_when_raised_on_the_hub_call_thread(hub_stub, fault, english, spanish):
    """policy runs the call on a 'hub-call' thread; the error is said where it is shown, in that reader's language."""
    import pickle

    from lib import i18n
    from lib.catalog.live import LiveCatalog

    hub_stub.set_fault(fault, "/api/models")
    with i18n.scope("es"), pytest.raises(HubError) as caught:
        LiveCatalog(timeout=2).search(CatalogQuery())
    err = caught.value
    assert err.message == english  # the value code compares and logs
    with i18n.scope("es"):
        assert str(err) == spanish and f"{err.message}" == spanish
        assert str(pickle.loads(pickle.dumps(err.message))) == spanish  # survives a cache that pickles it
    with i18n.scope("en"):
        assert str(err) == english


def test_the_providers_filter_note_and_the_catalog_labels_in_both_languages(monkeypatch):
    from lib import i18n
    from lib.catalog.live import LiveCatalog

    monkeypatch.setattr(source, "current_snapshot", lambda: FakeSnapshot())
    r = source.search(CatalogQuery(providers=True), mode="snapshot")
    with i18n.scope("es"):
        assert str(r.unsupported).startswith("La instantánea no sabe qué modelos sirven los Inference Providers")
        assert str(LiveCatalog().info.label) == "Hub de Hugging Face (en vivo)"
    with i18n.scope("en"):
        assert str(r.unsupported).startswith("The snapshot does not know which models Inference Providers serve")
        assert str(LiveCatalog().info.label) == "Hugging Face Hub (live)"
