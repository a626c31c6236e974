"""The Hub stand-in answers the way the real huggingface_hub 2.4 client expects."""
from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.support.hub_stub import closed_port_url, parse_param_count, safetensors_param_counts


def write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> None:
    """A valid safetensors file with zeroed data: {name: (dtype, shape)}."""
    sizes = {"F32": 4, "BF16": 2, "F16": 2, "I64": 8}
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, (dtype, shape) in tensors.items():
        n = sizes[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * offset)


@pytest.fixture
def tiny_repo(hub_stub, tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    write_safetensors(folder / "model.safetensors", {"w": ("F32", [10, 10]), "b": ("BF16", [10])})
    (folder / "config.json").write_text(json.dumps({"architectures": ["BertModel"], "model_type": "bert"}))
    (folder / "README.md").write_text("---\nlicense: mit\nlanguage: en\n---\n# Tiny\nA tiny model.\n")
    hub_stub.add_repo("fake-org/tiny", folder, info={"pipeline_tag": "feature-extraction", "downloads": 5})
    return folder


def test_list_models_default_format_and_pagination(hub_stub):
    api = HfApi()
    models = list(api.list_models(pipeline_tag="text-generation", sort="downloads", limit=3))
    assert len(models) == 3
    assert all(m.pipeline_tag == "text-generation" for m in models)
    assert [m.downloads for m in models] == sorted((m.downloads for m in models), reverse=True)
    # limit=3 is one page; the Link header announced a next page that was not fetched
    assert len(hub_stub.requests_to("/api/models")) == 1
    r = httpx2.get(f"{hub_stub.url}/api/models", params={"pipeline_tag": "text-generation", "limit": 2})
    assert 'rel="next"' in r.headers["Link"] and "cursor=" in r.headers["Link"]
    second = httpx2.get(r.links["next"]["url"]).json()
    assert {m["id"] for m in second}.isdisjoint({m["id"] for m in r.json()})


def test_list_models_follows_pages_when_no_limit(hub_stub):
    everything = list(HfApi().list_models(pipeline_tag="fill-mask"))
    assert len(everything) >= 4  # seeded rows of that task
    assert len(hub_stub.requests_to("/api/models")) == 1


def test_list_models_filters_and_expand(hub_stub):
    api = HfApi()
    out = list(api.list_models(filter=["license:apache-2.0"], search="minilm",
                               expand=["author", "safetensors", "gated", "cardData"], limit=5))
    assert out and all("minilm" in m.id.lower() for m in out)
    assert all("license:apache-2.0" in (hub_stub.model(m.id)["tags"]) for m in out)
    m = out[0]
    assert m.author and m.downloads is None  # expand returns only the listed fields
    q = hub_stub.requests[-1].query
    assert q["expand"] == ["author", "safetensors", "gated", "cardData"]
    assert q["filter"] == ["license:apache-2.0"]


def test_num_parameters_and_gated_filters(hub_stub):
    api = HfApi()
    out = list(api.list_models(num_parameters="min:100M,max:1B", limit=50, expand=["safetensors"]))
    assert out and all(100e6 <= m.safetensors.total <= 1e9 for m in out)
    hub_stub.add_model({"id": "acme/locked", "gated": "manual", "pipeline_tag": "text-generation"})
    gated = list(api.list_models(gated=True, limit=50))
    assert [m.id for m in gated] == ["acme/locked"]
    assert hub_stub.requests[-1].query["gated"] == ["true"]
    assert parse_param_count("1.5B") == 1_500_000_000 and parse_param_count("12k") == 12_000


def test_bad_expand_is_a_400(hub_stub):
    with pytest.raises(HfHubHTTPError) as e:
        list(HfApi().list_models(expand=["nonsense"], limit=1))
    assert e.value.response.status_code == 400


def test_model_info_default_expand_and_errors(hub_stub, tiny_repo):
    api = HfApi()
    info = api.model_info("fake-org/tiny")
    assert info.pipeline_tag == "feature-extraction" and info.safetensors.total == 110
    assert info.safetensors.parameters == {"F32": 100, "BF16": 10}
    assert info.card_data["license"] == "mit" and "license:mit" in info.tags
    assert {s.rfilename for s in info.siblings} == {"model.safetensors", "config.json", "README.md"}
    assert all(s.size is None for s in info.siblings)
    blobs = api.model_info("fake-org/tiny", files_metadata=True)
    sizes = {s.rfilename: s.size for s in blobs.siblings}
    assert sizes["config.json"] == (tiny_repo / "config.json").stat().st_size
    assert next(s for s in blobs.siblings if s.rfilename == "model.safetensors").lfs.size == sizes["model.safetensors"]
    exp = api.model_info("fake-org/tiny", expand=["downloads", "siblings"])
    assert exp.downloads == 5 and exp.pipeline_tag is None
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/nothing")
    with pytest.raises(RevisionNotFoundError):
        api.model_info("fake-org/tiny", revision="v9")


def test_downloads_tree_paths_info_and_safetensors_metadata(hub_stub, tiny_repo):
    p = hf_hub_download("fake-org/tiny", "config.json")
    assert Path(p).read_bytes() == (tiny_repo / "config.json").read_bytes()
    folder = snapshot_download("fake-org/tiny")
    assert sorted(x.name for x in Path(folder).iterdir()) == ["README.md", "config.json", "model.safetensors"]
    api = HfApi()
    tree = list(api.list_repo_tree("fake-org/tiny", recursive=True))
    assert {f.path for f in tree} == {"README.md", "config.json", "model.safetensors"}
    info = api.get_paths_info("fake-org/tiny", ["model.safetensors", "missing.bin"])
    assert [f.path for f in info] == ["model.safetensors"] and info[0].lfs is not None
    meta = api.get_safetensors_metadata("fake-org/tiny")
    assert meta.parameter_count == {"F32": 100, "BF16": 10}
    ranged = [r for r in hub_stub.requests_to("/fake-org/tiny/resolve") if "range" in r.headers]
    assert ranged, "safetensors metadata is read with a Range request"
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("fake-org/tiny", "nope.txt")


def test_range_request_answers_206(hub_stub, tiny_repo):
    r = httpx2.get(f"{hub_stub.url}/fake-org/tiny/resolve/main/model.safetensors", headers={"Range": "bytes=0-7"})
    assert r.status_code == 206 and len(r.content) == 8
    size = (tiny_repo / "model.safetensors").stat().st_size
    assert r.headers["Content-Range"] == f"bytes 0-7/{size}"
    assert r.headers["X-Repo-Commit"] == hub_stub.model("fake-org/tiny")["sha"]
    assert r.headers["ETag"].strip('"') == hub_stub._repos["fake-org/tiny"].files["model.safetensors"].sha256


def test_sharded_safetensors_metadata(hub_stub, tmp_path):
    folder = tmp_path / "sharded"
    folder.mkdir()
    write_safetensors(folder / "model-00001-of-00002.safetensors", {"embed": ("BF16", [64, 16])})
    write_safetensors(folder / "model-00002-of-00002.safetensors", {"head": ("BF16", [64, 16]), "n": ("F32", [16])})
    (folder / "model.safetensors.index.json").write_text(json.dumps({
        "metadata": {"total_size": 4160},
        "weight_map": {"embed": "model-00001-of-00002.safetensors", "head": "model-00002-of-00002.safetensors",
                       "n": "model-00002-of-00002.safetensors"}}))
    info = hub_stub.add_repo("fake-org/sharded", folder)
    assert info["safetensors"] == {"parameters": {"BF16": 2048, "F32": 16}, "total": 2064}
    meta = HfApi().get_sharded_safetensors_metadata("fake-org/sharded")
    assert meta.parameter_count == {"BF16": 2048, "F32": 16}
    meta2 = HfApi().get_safetensors_metadata("fake-org/sharded")
    assert meta2.parameter_count == {"BF16": 2048, "F32": 16}
    assert safetensors_param_counts([folder / "model-00001-of-00002.safetensors"]) == {"BF16": 1024}


def test_gated_repo_downloads_need_an_allowed_token(hub_stub, tiny_repo):
    hub_stub.add_repo("fake-org/gated", tiny_repo, info={"gated": "manual"})
    with pytest.raises(GatedRepoError):
        hf_hub_download("fake-org/gated", "config.json")
    with pytest.raises(GatedRepoError):
        hf_hub_download("fake-org/gated", "config.json", token="hf_nope")
    hub_stub.allow_token("hf_ok")
    assert Path(hf_hub_download("fake-org/gated", "config.json", token="hf_ok")).exists()
    assert hub_stub.requests_to("/fake-org/gated")[-1].headers["authorization"] == "Bearer hf_ok"


@pytest.mark.parametrize("kind,status", [(404, 404), (429, 429), (500, 500), (503, 503)])
def test_status_faults(hub_stub, kind, status):
    hub_stub.set_fault(kind, "/api/models")
    r = httpx2.get(f"{hub_stub.url}/api/models?limit=1")
    assert r.status_code == status
    if status == 429:
        assert r.headers["Retry-After"] == "7"
    assert hub_stub.requests[-1].fault == str(kind)


def test_other_faults_and_prefix_and_times(hub_stub):
    hub_stub.set_fault("garbage", "/api/models", times=1)
    r = httpx2.get(f"{hub_stub.url}/api/models?limit=1")
    assert r.status_code == 200 and r.text.startswith("<html>")
    assert isinstance(httpx2.get(f"{hub_stub.url}/api/models?limit=1").json(), list)  # times=1 used up
    hub_stub.set_fault("garbage_shape", "/api/models")
    assert isinstance(httpx2.get(f"{hub_stub.url}/api/models?limit=1").json(), dict)
    hub_stub.clear_faults()
    hub_stub.set_fault("reset", "/api/models")
    with pytest.raises(httpx2.TransportError):
        httpx2.get(f"{hub_stub.url}/api/models?limit=1")
    assert httpx2.get(f"{hub_stub.url}/api/other").status_code == 404  # prefix did not match
    hub_stub.clear_faults()
    hub_stub.set_fault("slow", "/api/models", delay=3.0)
    t = time.perf_counter()
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.get(f"{hub_stub.url}/api/models?limit=1", timeout=0.2)
    assert time.perf_counter() - t < 2.5  # the client gave up long before the slow answer (loose: a busy machine)
    with pytest.raises(ValueError):
        hub_stub.set_fault("explode")


def test_closed_port_refuses():
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(closed_port_url() + "/api/models", timeout=1)
