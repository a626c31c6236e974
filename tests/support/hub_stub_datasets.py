"""The Hub stand-in's dataset repos: what huggingface_hub 2.4 sends to create a repo, commit files to it
and download them again (``CommitScheduler``, ``create_commit``, ``snapshot_download``).

Read from huggingface_hub 2.4 (hf_api.py ``create_repo`` / ``create_commit`` / ``preupload_lfs_files``,
_commit_api.py ``_fetch_upload_modes`` / ``_prepare_commit_payload`` / ``_send_commit``, lfs.py
``post_lfs_batch_info`` / ``_upload_single_part``, _snapshot_download.py):

* ``POST /api/repos/create`` JSON ``{"name", "organization", "visibility"|"private", "type"}`` -> 200
  ``{"url", "name", "id"}``; 409 ``{"error", "url"}`` when it exists (``exist_ok`` accepts that and
  reads the url); 401 without a token.
* ``POST /api/datasets/{repo}/preupload/{rev}`` JSON ``{"files": [{"path", "sample", "size"}]}`` ->
  ``{"files": [{"path", "uploadMode": "regular"|"lfs", "shouldIgnore", "oid"}]}`` (``oid``: the git blob
  sha1 of the file already there, so an unchanged file is left out of the commit).
* ``POST /{datasets/}{repo}.git/info/lfs/objects/batch`` (LFS "basic" transfer) -> an upload ``href`` per
  object; ``PUT /lfs-upload/{oid}`` stores the bytes (sha256 checked).
* ``POST /api/datasets/{repo}/commit/{rev}`` NDJSON: ``{"key": "header", "value": {"summary", …}}``, then
  ``file`` (``content`` base64 inline), ``lfsFile`` (``oid`` of uploaded bytes), ``deletedFile`` lines ->
  ``{"commitUrl", "commitOid", "success"}``.
* ``GET /api/datasets/{repo}[/revision/{rev}]`` (the repo info ``snapshot_download`` and ``repo_info`` read),
  ``GET /api/datasets/{repo}/tree/{rev}[/path]?recursive=…``, ``HEAD``/``GET /datasets/{repo}/resolve/{rev}/{path}``.

Private repos answer 401 ``RepoNotFound`` without a token, as the Hub does. Every commit is kept (an old
commit's files still resolve). Tokens in ``HubStub.bad_tokens`` get 401 everywhere.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

LFS_THRESHOLD = 10 * 1024 * 1024  # the Hub stores files from 10 MB as LFS


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class DatasetRepo:
    """One dataset repo: its commits (oldest first), each a full {path: bytes} tree."""

    repo_id: str
    private: bool
    created: str
    commits: list[tuple[str, dict[str, bytes], str]] = field(default_factory=list)  # (sha, files, summary)

    @property
    def sha(self) -> str:
        return self.commits[-1][0] if self.commits else hashlib.sha1(("empty:" + self.repo_id).encode()).hexdigest()

    @property
    def files(self) -> dict[str, bytes]:
        return self.commits[-1][1] if self.commits else {}

    def files_at(self, rev: str) -> dict[str, bytes] | None:
        if rev in ("main", "refs/heads/main", self.sha):
            return self.files
        return next((files for sha, files, _ in self.commits if sha == rev), None)


class DatasetStore:
    """The stand-in's dataset repos and LFS objects (``HubStub.datasets``)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.repos: dict[str, DatasetRepo] = {}
        self.lfs: dict[str, bytes] = {}
        self.lfs_threshold = LFS_THRESHOLD
        self.log: list[dict] = []  # one entry per create / preupload / commit: what the client sent

    def clear(self) -> None:
        with self.lock:
            self.repos.clear()
            self.lfs.clear()
            self.log.clear()
            self.lfs_threshold = LFS_THRESHOLD

    def repo(self, repo_id: str) -> DatasetRepo | None:
        with self.lock:
            return self.repos.get(repo_id)

    def add_files(self, repo_id: str, files: dict[str, bytes], *, private: bool = True) -> str:
        """Create the repo if needed and commit ``files`` (test set-up); returns the commit sha."""
        with self.lock:
            repo = self.repos.setdefault(repo_id, DatasetRepo(repo_id, private, _now()))
            return self.commit(repo, files, [], "test set-up")

    def commit(self, repo: DatasetRepo, added: dict[str, bytes], deleted: list[str], summary: str) -> str:
        with self.lock:
            tree = dict(repo.files)
            tree.update(added)
            for p in deleted:
                tree.pop(p, None)
            digest = hashlib.sha1(repo.sha.encode())
            for p in sorted(tree):
                digest.update(p.encode() + git_blob_sha1(tree[p]).encode())
            sha = digest.hexdigest()
            repo.commits.append((sha, tree, summary))
            return sha


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _entry(path: str, data: bytes, threshold: int) -> dict:
    d: dict[str, Any] = {"type": "file", "oid": git_blob_sha1(data), "size": len(data), "path": path}
    if len(data) >= threshold:
        d["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
    return d


class DatasetRoutes:
    """Mixed into the stub's request handler: ``_dataset_route`` answers the paths above (True), or
    leaves the request to the model routes (False)."""

    def _bearer(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else None

    def _dataset_route(self, method: str, path: str, query: dict, form: dict) -> bool:
        store: DatasetStore = self.stub.datasets
        head = method == "HEAD"
        token = self._bearer()
        if token is not None and token in self.stub.bad_tokens:
            self._error(401, "Invalid credentials in Authorization header", head=head)
            return True
        if path == "/api/repos/create" and method == "POST":
            self._create_repo(store, form, token)
            return True
        if path.startswith("/lfs-upload/") and method == "PUT":
            data = self._body
            oid = path[len("/lfs-upload/"):]
            if hashlib.sha256(data).hexdigest() != oid:
                self._error(400, "LFS upload: the content does not match its oid")
                return True
            with store.lock:
                store.lfs[oid] = data
            self._send(200, b"", ctype="text/plain")
            return True
        if path.endswith(".git/info/lfs/objects/batch") and method == "POST":
            self._lfs_batch(store, form)
            return True
        if path.startswith("/api/datasets/"):
            self._dataset_api(store, method, path[len("/api/datasets/"):], query, form, token)
            return True
        if path.startswith("/datasets/") and "/resolve/" in path and method in ("GET", "HEAD"):
            before, after = path[len("/datasets/"):].split("/resolve/", 1)
            rev, _, filename = after.partition("/")
            self._dataset_resolve(store, method, before.strip("/"), rev, filename, token)
            return True
        return False

    # ---- writes -------------------------------------------------------------------------------
    def _create_repo(self, store: DatasetStore, form: dict, token: str | None) -> None:
        one = lambda k: (form.get(k) or [None])[0]  # noqa: E731
        if token is None:
            return self._error(401, "You must be authenticated to create a repo")
        name, org, kind = one("name"), one("organization"), one("type") or "model"
        private = one("visibility") == "private" or one("private") is True
        with store.lock:
            store.log.append({"op": "create", "name": name, "organization": org, "type": kind, "private": private})
        if kind != "dataset" or not name:
            return self._error(400, "This stand-in creates dataset repos only")
        repo_id = f"{org}/{name}" if org else name
        with store.lock:
            if repo_id in store.repos:  # the Hub's 409 carries the url too (create_repo(exist_ok=True) reads it)
                msg = "You already created this dataset repo"
                return self._json(409, {"error": msg, "url": f"{self.stub.url}/datasets/{repo_id}"},
                                  headers={"X-Error-Message": msg})
            store.repos[repo_id] = DatasetRepo(repo_id, private, _now())
        self._json(200, {"url": f"{self.stub.url}/datasets/{repo_id}", "name": repo_id, "id": repo_id})

    def _lfs_batch(self, store: DatasetStore, form: dict) -> None:
        objects = []
        for obj in form.get("objects") or []:
            oid, size = obj.get("oid"), obj.get("size")
            item: dict[str, Any] = {"oid": oid, "size": size}
            if oid not in store.lfs:
                item["actions"] = {"upload": {"href": f"{self.stub.url}/lfs-upload/{oid}"}}
            objects.append(item)
        self._json(200, {"transfer": "basic", "objects": objects})

    def _repo_or_error(self, store: DatasetStore, repo_id: str, token: str | None, head: bool = False):
        repo = store.repo(repo_id)
        if repo is None or (repo.private and token is None):
            self._error(401 if token is None else 404, "Repository Not Found", "RepoNotFound", head=head)
            return None
        return repo

    def _dataset_api(self, store: DatasetStore, method: str, rest: str, query: dict, form: dict,
                     token: str | None) -> None:
        segs = [s for s in rest.split("/") if s]
        if len(segs) < 2:
            return self._error(404, "Not found")
        repo_id, tail = f"{segs[0]}/{segs[1]}", segs[2:]
        repo = self._repo_or_error(store, repo_id, token, head=method == "HEAD")
        if repo is None:
            return None
        if method == "POST" and len(tail) >= 2 and tail[0] == "preupload":
            files = form.get("files") or []
            with store.lock:
                store.log.append({"op": "preupload", "repo": repo_id, "revision": "/".join(tail[1:]),
                                  "files": [{"path": f.get("path"), "size": f.get("size")} for f in files]})
                current = repo.files
            out = [{"path": f["path"], "uploadMode": "lfs" if f["size"] >= store.lfs_threshold else "regular",
                    "shouldIgnore": False,
                    "oid": (None if f["path"] not in current else
                            hashlib.sha256(current[f["path"]]).hexdigest() if f["size"] >= store.lfs_threshold
                            else git_blob_sha1(current[f["path"]]))} for f in files]
            return self._json(200, {"files": out})
        if method == "POST" and len(tail) >= 2 and tail[0] == "commit":
            return self._commit(store, repo, "/".join(tail[1:]))
        if method == "GET" and (not tail or tail[0] == "revision"):
            rev = "/".join(tail[1:]) or "main"
            files = repo.files_at(rev)
            if files is None:
                return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            sha = rev if rev not in ("main", "refs/heads/main") else repo.sha
            return self._json(200, {
                "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24], "id": repo_id, "author": segs[0],
                "sha": sha, "lastModified": _now(), "createdAt": repo.created, "private": repo.private,
                "disabled": False, "gated": False, "downloads": 0, "likes": 0, "tags": [], "cardData": None,
                "siblings": [{"rfilename": p} for p in sorted(files)]})
        if method == "GET" and len(tail) >= 2 and tail[0] == "tree":
            files = repo.files_at(tail[1])
            if files is None:
                return self._error(404, f"Invalid rev id: {tail[1]}", "RevisionNotFound")
            prefix = "/".join(tail[2:]).strip("/")
            recursive = (query.get("recursive") or [""])[-1].lower() == "true"
            out, dirs = [], {}
            for p in sorted(files):
                if prefix and not p.startswith(prefix + "/"):
                    continue
                parts = p[len(prefix) + 1 if prefix else 0:].split("/")
                for i in range(1, len(parts)):
                    d = "/".join(([prefix] if prefix else []) + parts[:i])
                    if recursive or i == 1:
                        dirs.setdefault(d, {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(),
                                            "size": 0, "path": d})
                if recursive or len(parts) == 1:
                    out.append(_entry(p, files[p], store.lfs_threshold))
            if prefix and not out and not dirs:
                return self._error(404, f"{prefix} does not exist on \"{tail[1]}\"", "EntryNotFound")
            return self._json(200, list(dirs.values()) + out)
        return self._error(404, "Not found")

    def _commit(self, store: DatasetStore, repo: DatasetRepo, revision: str) -> None:
        if revision not in ("main", "refs%2Fheads%2Fmain", "refs/heads/main"):
            return self._error(400, f"This stand-in commits to main only (not {revision!r})")
        added: dict[str, bytes] = {}
        deleted: list[str] = []
        summary = ""
        try:
            lines = [json.loads(line) for line in self._body.splitlines() if line.strip()]
            for item in lines:
                key, value = item["key"], item["value"]
                if key == "header":
                    summary = value.get("summary") or ""
                elif key == "file":
                    if value.get("encoding") != "base64":
                        raise ValueError("a file's content must be base64")
                    added[value["path"]] = base64.b64decode(value["content"])
                elif key == "lfsFile":
                    data = store.lfs.get(value["oid"])
                    if data is None:
                        return self._error(422, f"LFS object {value['oid']} was never uploaded")
                    added[value["path"]] = data
                elif key in ("deletedFile", "deletedFolder"):
                    deleted.append(value["path"])
                else:
                    raise ValueError(f"unknown commit line {key!r}")
        except (ValueError, KeyError, TypeError) as e:
            return self._error(400, f"Malformed commit payload: {e}")
        with store.lock:
            store.log.append({"op": "commit", "repo": repo.repo_id, "summary": summary, "added": sorted(added),
                              "deleted": deleted, "content_type": self.headers.get("Content-Type")})
            sha = store.commit(repo, added, deleted, summary)
        self._json(200, {"success": True, "commitOid": sha,
                         "commitUrl": f"{self.stub.url}/datasets/{repo.repo_id}/commit/{sha}"})

    # ---- downloads ----------------------------------------------------------------------------
    def _dataset_resolve(self, store: DatasetStore, method: str, repo_id: str, rev: str, filename: str,
                         token: str | None) -> None:
        head = method == "HEAD"
        repo = self._repo_or_error(store, repo_id, token, head=head)
        if repo is None:
            return
        files = repo.files_at(rev)
        if files is None:
            return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound", head=head)
        if filename not in files:
            return self._error(404, f"Entry not found: {filename}", "EntryNotFound", head=head)
        data = files[filename]
        entry = _entry(filename, data, store.lfs_threshold)
        etag = entry["lfs"]["oid"] if "lfs" in entry else entry["oid"]
        sha = rev if rev not in ("main", "refs/heads/main") else repo.sha
        headers = {"ETag": f'"{etag}"', "X-Repo-Commit": sha, "Accept-Ranges": "bytes",
                   "Date": formatdate(usegmt=True)}
        if "lfs" in entry:
            headers["X-Linked-Etag"] = f'"{etag}"'
            headers["X-Linked-Size"] = str(len(data))
        self._send(200, data, ctype="application/octet-stream", headers=headers, head=head)
