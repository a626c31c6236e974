"""lib.hub.backup against the Hub stand-in's dataset routes: CommitScheduler pushes (regular files inline,
large ones through LFS), snapshot downloads of what was committed, and the failures as HubErrors."""
from __future__ import annotations

import threading

import pytest

from lib.hub import backup
from lib.hub.errors import HubError

REPO = "team/folder-backup"
TOKEN = "hf_hubBackupTestToken0123456789"


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return TOKEN


def _start(folder, results):
    done = threading.Event()

    def on_push(r):
        results.append(r)
        done.set()

    b = backup.start(REPO, folder, every=10, on_push=on_push)
    assert done.wait(20)  # the scheduler's first push
    return b


def test_regular_and_lfs_files_are_committed_and_download_byte_exact(hub_stub, token, tmp_path):
    hub_stub.datasets.lfs_threshold = 1000
    src = tmp_path / "src"
    (src / "sessions").mkdir(parents=True)
    small, big = b'{"a": 1}', bytes(range(256)) * 8  # 2,048 bytes: LFS at this threshold
    (src / "sessions" / "small.json").write_bytes(small)
    (src / "sessions" / "big.json").write_bytes(big)
    results = []
    b = _start(src, results)
    try:
        assert results[0].ok and results[0].commit
        assert hub_stub.requests_to(f"/datasets/{REPO}.git/info/lfs/objects/batch", "POST")
        assert hub_stub.requests_to("/lfs-upload/", "PUT")
        (src / "sessions" / "small.json").write_bytes(b'{"a": 2}')
        b.push_now(20)
        commits = [e for e in hub_stub.datasets.log if e["op"] == "commit"]
        assert commits[-1]["added"] == ["sessions/small.json"]  # only the changed file
    finally:
        b.stop()
    files = backup.download(REPO, tmp_path / "dest", pattern="sessions/*.json")
    assert {p.name: p.read_bytes() for p in files} == {"small.json": b'{"a": 2}', "big.json": big}


def test_a_missing_repo_downloads_nothing_and_a_private_one_needs_the_token(hub_stub, token, tmp_path, monkeypatch):
    assert backup.download(REPO, tmp_path / "a", pattern="sessions/*.json") == []
    hub_stub.datasets.add_files(REPO, {"sessions/x.json": b"{}"}, private=True)
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HubError) as e:
        backup.download(REPO, tmp_path / "b", pattern="sessions/*.json")
    assert e.value.kind in ("auth", "not_found")
    with pytest.raises(HubError, match="no Hub token"):
        backup.start(REPO, tmp_path / "src", every=10, on_push=lambda r: None)


def test_a_failed_push_is_reported_not_raised(hub_stub, token, tmp_path):
    src = tmp_path / "src"
    (src / "sessions").mkdir(parents=True)
    (src / "sessions" / "one.json").write_bytes(b"{}")
    hub_stub.set_fault(403, f"/api/datasets/{REPO}/preupload")
    results = []
    b = _start(src, results)
    try:
        assert not results[0].ok and results[0].error.kind == "auth" and results[0].cause is not None
        hub_stub.clear_faults()
        b.push_now(20)
        assert results[-1].ok and results[-1].commit
    finally:
        b.stop()


def test_no_push_request_once_offline(hub_stub, token, tmp_path, monkeypatch):
    src = tmp_path / "src"
    (src / "sessions").mkdir(parents=True)
    results = []
    b = _start(src, results)
    try:
        (src / "sessions" / "one.json").write_bytes(b"{}")
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        hub_stub.reset()
        b.push_now(20)
        assert results[-1].error.kind == "offline" and hub_stub.requests == []
    finally:
        b.stop()
