"""Model-page lookups through the Hub gateway: few requests, every fact, clear errors, offline details."""
from __future__ import annotations

import json

import pytest

from lib.hub.errors import HubError
from lib.hub.facts import forget
from lib.hub.ids import validate_model_id
from lib.hub.lookup import fetch_model_details
from lib.hub.offline import offline_model_details
from tests.test_hub_stub import write_safetensors


@pytest.fixture
def repo(hub_stub, tmp_path):
    folder = tmp_path / "repo"
    folder.mkdir()
    write_safetensors(folder / "model.safetensors", {"w": ("BF16", [8, 4]), "n": ("F32", [4])})
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["TinyModel"], "model_type": "tiny", "auto_map": {"AutoModel": "modeling_tiny.TinyModel"}}))
    (folder / "README.md").write_text("---\nlicense: apache-2.0\nlanguage: [en, fr]\ndatasets: [squad]\n"
                                      "base_model: org/base\n---\n# Tiny\nCard text.\n")
    hub_stub.add_repo("org/tiny", folder, info={"pipeline_tag": "text-generation", "downloads": 42, "likes": 3})
    return folder


def test_details_from_one_info_call_plus_card(hub_stub, repo):
    d = fetch_model_details("org/tiny")
    assert d.pipeline_tag == "text-generation" and d.library_name == "transformers"
    assert d.license == "apache-2.0" and d.languages == ("en", "fr") and d.datasets == ("squad",)
    assert d.base_models == ("org/base",) and d.downloads == 42 and d.likes == 3
    assert d.params_by_dtype == {"BF16": 32, "F32": 4} and d.params_total == 36
    assert d.custom_code and d.config["auto_map"] and d.weight_formats == ("safetensors",) and not d.pickle_only
    assert d.card.startswith("# Tiny") and "license:" not in d.card
    sizes = {f.path: f.size for f in d.files}
    assert sizes["config.json"] == (repo / "config.json").stat().st_size and d.total_size == sum(sizes.values())
    info_calls = hub_stub.requests_to("/api/models/org/tiny")
    assert len(info_calls) == 1 and info_calls[0].query == {"blobs": ["true"]}
    # info + README: one HEAD first (a file not cached yet is asked for once, without huggingface_hub's
    # retries), then hf_hub_download's HEAD + GET
    assert d.requests == len(hub_stub.requests) == 4
    assert d.record.id == "org/tiny" and d.record.params_total == 36 and d.missing == ()


def test_safetensors_header_read_only_when_info_lacks_it(hub_stub, repo):
    hub_stub.add_repo("org/nost", repo, info={"safetensors": None})
    d = fetch_model_details("org/nost", with_card=False)
    assert d.params_by_dtype == {"BF16": 32, "F32": 4} and d.param_source == "safetensors header"
    ranged = [r for r in hub_stub.requests if "range" in r.headers]
    assert len(ranged) == 1 and ranged[0].path.endswith("/org/nost/resolve/main/model.safetensors")
    assert d.requests == 2


def test_pickle_only_and_no_safetensors(hub_stub, tmp_path):
    folder = tmp_path / "pkl"
    folder.mkdir()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x02not really a pickle")
    (folder / "config.json").write_text('{"model_type": "bert"}')
    hub_stub.add_repo("org/pkl", folder)
    d = fetch_model_details("org/pkl")
    assert d.weight_formats == ("pickle",) and d.pickle_only and not d.custom_code
    assert d.params_total is None and any("exact parameter count" in m for m in d.missing)
    assert any("README" in m for m in d.missing)
    assert d.requests == 1


def test_errors_are_typed_and_clear(hub_stub, repo):
    with pytest.raises(HubError) as e:
        fetch_model_details("nobody/nothing")
    assert e.value.kind == "not_found" and "nobody/nothing" in e.value.message
    for bad in ("", "a b/c", "../etc/passwd", "org/na--me", "x" * 200, "a/b/c"):
        with pytest.raises(HubError) as e:
            fetch_model_details(bad)
        assert e.value.kind == "invalid_id"
    assert validate_model_id(" https://huggingface.co/org/tiny/ ") == "org/tiny"
    assert validate_model_id("gpt2") == "gpt2"


def test_gated_model_without_token(hub_stub, repo):
    hub_stub.add_repo("org/gated", repo, info={"gated": "manual"})
    d = fetch_model_details("org/gated")
    assert d.gated == "manual" and d.params_total == 36  # metadata is public
    assert d.card is None and any("gated" in m for m in d.missing)
    hub_stub.set_fault(403, "/api/models/org/gated")
    forget("org/gated")  # the answer above is cached for the TTL ("Refresh" drops it)
    with pytest.raises(HubError) as e:
        fetch_model_details("org/gated")
    assert e.value.kind == "auth" and "HF_TOKEN" in e.value.message


def test_hub_down_or_offline_uses_cache_and_snapshot(hub_stub, repo, monkeypatch):
    from lib.catalog import source
    from lib.hub.records import ModelRecord

    class Snap:
        def get(self, mid):
            return ModelRecord.from_api({"id": mid, "pipeline_tag": "text-generation", "downloads": 7,
                                         "safetensors": {"parameters": {"BF16": 32, "F32": 4}, "total": 36}})
    monkeypatch.setattr(source, "current_snapshot", lambda: Snap())
    fetch_model_details("org/tiny")  # fills huggingface_hub's cache with README.md
    forget("org/tiny")  # as after the TTL
    hub_stub.set_fault(503, "/api/models")
    d = fetch_model_details("org/tiny")
    assert d.source == "offline" and d.missing[0] == "Hub not used: Hub server error (503)"
    assert d.downloads == 7 and d.params_total == 36 and d.card.startswith("# Tiny")
    assert "README.md" in {f.path for f in d.files}
    hub_stub.reset()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    d = fetch_model_details("org/tiny")
    assert d.source == "offline" and hub_stub.requests == [] and d.requests == 0
    assert d.missing[0] == "Hub not used: Offline mode (HF_HUB_OFFLINE=1)"
    unknown = offline_model_details("org/never-seen")
    assert unknown.card is None and any("local cache" in m for m in unknown.missing)


