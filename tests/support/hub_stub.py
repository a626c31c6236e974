"""A local stand-in for the Hugging Face Hub, answering in the Hub's exact wire format.

Used by every test: tests/conftest.py starts one ``HubStub`` per test session and points
``HF_ENDPOINT`` at it before anything imports huggingface_hub. The formats follow the recorded
answers in ../shared/data/hub/api_examples (what huggingface_hub 2.4 parses):

* ``GET /api/models``: pipeline_tag, search, author, filter (repeated, every tag must match),
  num_parameters=min:…,max:… (``6B`` / ``500M`` / ``12k`` / plain integers, on ``safetensors.total``),
  gated, sort (descending), limit, expand (repeated: only those fields + id/_id), full, cardData,
  config, cursor; ``Link: <…&cursor=…>; rel="next"`` pagination.
* ``GET /api/models/{id}`` and ``/api/models/{id}/revision/{rev}``: default fields, ``expand``,
  ``blobs=true`` (siblings with size, blobId, lfs). 404 ``RepoNotFound`` / ``RevisionNotFound``.
* Inference Providers: ``expand=inferenceProviderMapping`` (object in model_info, list in the list) and
  ``inference_provider=all|name,…`` on the list (see the block "Inference Providers").
* ``GET /api/models/{id}/tree/{rev}[/path]?recursive=…``, ``POST /api/models/{id}/paths-info/{rev}``,
  ``GET /api/models/{id}/safetensors-metadata/{index}`` (sharded headers in one answer).
* ``HEAD``/``GET /{id}/resolve/{rev}/{path}``: real files of a registered folder with ETag (sha256 for
  LFS files, git blob sha1 otherwise), X-Repo-Commit, Content-Length, Accept-Ranges and ``Range`` (206),
  so ``hf_hub_download`` / ``snapshot_download`` / ``from_pretrained`` /
  ``HfApi.get_safetensors_metadata`` work against it. Gated repos answer 401/403 ``GatedRepo`` to
  downloads without an allowed token (``stub.allow_token``).

Dataset repos (create, preupload, LFS, commit, info, tree, resolve: what ``CommitScheduler`` and
``snapshot_download`` send) are answered by tests/support/hub_stub_datasets.py (``stub.datasets``).

Test controls: ``url``, ``add_model(dict)``, ``add_repo(repo_id, folder, info=None)``,
``remove_model(id)``, ``set_fault(kind, path_prefix=None, …)``, ``clear_faults()``, ``requests``
(log of :class:`StubRequest`), ``requests_to(prefix)``, ``reset()``, ``restore()``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from tests.support.hub_stub_datasets import DatasetRoutes, DatasetStore

FIXTURE = Path(__file__).with_name("hub_models.json")

# Fields the Hub accepts in ``expand`` for models (huggingface_hub 2.4 ExpandModelProperty_T).
EXPAND_FIELDS = (
    "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
    "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
    "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
    "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
    "transformersInfo", "trendingScore", "usedStorage", "widgetData",
)
LIST_DEFAULT_FIELDS = (
    "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name",
    "createdAt",
)
LIST_FULL_EXTRA = ("author", "sha", "lastModified", "gated", "disabled", "siblings")
INFO_DEFAULT_FIELDS = (
    "author", "sha", "lastModified", "private", "disabled", "gated", "pipeline_tag", "tags",
    "downloads", "library_name", "likes", "widgetData", "config", "cardData", "transformersInfo",
    "siblings", "spaces", "createdAt", "safetensors", "usedStorage",
)
SORT_KEYS = {
    "downloads": "downloads", "likes": "likes", "trendingScore": "trendingScore",
    "createdAt": "createdAt", "lastModified": "lastModified", "trending_score": "trendingScore",
    "created_at": "createdAt", "last_modified": "lastModified",
}
_ROUTE_WORDS = {"revision", "tree", "paths-info", "safetensors-metadata", "refs", "commits", "resolve"}
LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".onnx", ".h5", ".msgpack",
                ".model", ".npz", ".pkl", ".tflite", ".ot")
LFS_MIN_SIZE = 10 * 1024 * 1024
FAULT_KINDS = ("slow", "garbage", "garbage_shape", "reset", "stall")
DTYPE_SIZES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2,
               "I16": 2, "U16": 2, "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


@dataclass
class StubRequest:
    """One request the stub received (logged before any fault is applied).

    ``query`` is the parsed query string (every key maps to the list of its values, in order);
    ``query_string`` the raw one; ``headers`` the request headers with lowercase names; ``form``
    the parsed urlencoded body of a POST; ``fault`` the fault that answered it, if any.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    query_string: str
    headers: dict[str, str]
    form: dict[str, list[str]] = field(default_factory=dict)
    fault: str | None = None

    def param(self, key: str) -> str | None:
        vals = self.query.get(key)
        return vals[-1] if vals else None


@dataclass
class Fault:
    kind: str | int
    path_prefix: str | None
    times: int | None  # None = until cleared
    retry_after: int
    delay: float
    method: str | None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)


@dataclass
class RepoFileEntry:
    path: str
    size: int
    blob_id: str  # git blob sha1
    sha256: str | None  # set for LFS files
    local: Path

    @property
    def etag(self) -> str:
        return self.sha256 or self.blob_id

    def tree_json(self) -> dict:
        d: dict[str, Any] = {"type": "file", "oid": self.blob_id, "size": self.size, "path": self.path}
        if self.sha256:
            d["lfs"] = {"oid": self.sha256, "size": self.size, "pointerSize": 134}
        return d


@dataclass
class StubRepo:
    repo_id: str
    folder: Path
    sha: str
    files: dict[str, RepoFileEntry]


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _object_id(repo_id: str) -> str:
    return hashlib.sha1(repo_id.encode()).hexdigest()[:24]


def parse_param_count(text: str) -> int:
    """``6B`` / ``500M`` / ``12k`` / ``1.5B`` / ``123456`` -> int (raises ValueError)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMbBtT]?)\s*", text)
    if not m:
        raise ValueError(f"bad parameter count {text!r}")
    mult = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}[m.group(2).lower()]
    return int(round(float(m.group(1)) * mult))


def safetensors_header(path: Path) -> dict:
    """The JSON header of a .safetensors file."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n))


def safetensors_param_counts(files: Iterable[Path]) -> dict[str, int]:
    """Parameter counts per dtype over the tensors of the given safetensors files."""
    counts: dict[str, int] = {}
    for p in files:
        for name, t in safetensors_header(p).items():
            if name == "__metadata__":
                continue
            n = 1
            for dim in t["shape"]:
                n *= int(dim)
            counts[t["dtype"]] = counts.get(t["dtype"], 0) + n
    return counts


class _QuietServer(ThreadingHTTPServer):
    """Clients hanging up mid-answer (the "reset" and "slow" faults, a test ending while a download is in
    flight) are part of the tests, not errors worth a traceback on stderr."""

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


class HubStub:
    """The Hub stand-in. ``start()`` binds 127.0.0.1 on a free port and serves in a daemon thread."""

    def __init__(self, models: Iterable[dict] | None = None, *, slow_s: float = 5.0):
        self.slow_s = slow_s
        self._lock = threading.RLock()
        self._seed = [dict(m) for m in (models if models is not None else json.loads(FIXTURE.read_text()))]
        self._models: dict[str, dict] = {}
        self._repos: dict[str, StubRepo] = {}
        self._faults: list[Fault] = []
        self._allowed_tokens: set[str] = set()
        self.requests: list[StubRequest] = []
        self.datasets = DatasetStore()  # dataset repos (tests/support/hub_stub_datasets.py)
        self.bad_tokens: set[str] = set()  # tokens answered 401 by the dataset routes
        self.restore()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> HubStub:
        handler = type("Handler", (_Handler,), {"stub": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]  # kept after stop: answers still in flight use it
        self._thread = threading.Thread(target=self._server.serve_forever, name="hub-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        port = getattr(self, "_port", None)
        assert port, "stub not started"
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- data -----------------------------------------------------------------------------------
    def restore(self) -> None:
        """Back to the seeded model list: drops added models and repos, faults and the log."""
        with self._lock:
            self._models = {}
            self._repos = {}
            for m in self._seed:
                self.add_model(m)
            self.reset()

    def add_model(self, model: dict) -> dict:
        """Add (or replace) a model given as Hub JSON (``id`` required; other fields optional)."""
        m = dict(model)
        rid = m.get("id") or m.get("modelId")
        if not rid:
            raise ValueError("a stub model needs an id")
        m["id"] = rid
        m.setdefault("_id", _object_id(rid))
        m.setdefault("modelId", rid)
        m.setdefault("author", rid.split("/")[0] if "/" in rid else None)
        m.setdefault("sha", hashlib.sha1(("sha:" + rid).encode()).hexdigest())
        m.setdefault("private", False)
        m.setdefault("disabled", False)
        m.setdefault("gated", False)
        m.setdefault("downloads", 0)
        m.setdefault("likes", 0)
        m.setdefault("trendingScore", 0)
        m.setdefault("tags", [])
        m.setdefault("createdAt", _now_iso())
        m.setdefault("lastModified", m["createdAt"])
        m.setdefault("siblings", [])
        m.setdefault("spaces", [])
        m.setdefault("widgetData", None)
        with self._lock:
            self._models[rid] = m
        return m

    def remove_model(self, repo_id: str) -> None:
        with self._lock:
            self._models.pop(repo_id, None)
            self._repos.pop(repo_id, None)

    def model(self, repo_id: str) -> dict | None:
        with self._lock:
            return self._models.get(repo_id)

    def add_repo(self, repo_id: str, folder: str | Path, info: dict | None = None) -> dict:
        """Serve a local folder (e.g. written by ``save_pretrained``) as the Hub repo ``repo_id``.

        Siblings (with sizes), ``safetensors`` parameter counts per dtype (from the root-level
        ``*.safetensors`` headers), ``config`` (from config.json), ``cardData`` (README front
        matter), ``usedStorage`` and base tags are derived from the files; ``info`` (Hub JSON field
        names, e.g. ``{"pipeline_tag": "text-classification", "gated": "manual", "downloads": 10}``)
        overrides or adds fields. Returns the model's JSON as the stub will serve it.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(folder)
        files: dict[str, RepoFileEntry] = {}
        digest = hashlib.sha1(repo_id.encode())
        for p in sorted(folder.rglob("*")):
            if not p.is_file() or ".cache" in p.relative_to(folder).parts or ".git" in p.parts:
                continue
            rel = p.relative_to(folder).as_posix()
            data = p.read_bytes()
            blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            lfs = rel.endswith(LFS_SUFFIXES) or len(data) >= LFS_MIN_SIZE
            files[rel] = RepoFileEntry(rel, len(data), blob, hashlib.sha256(data).hexdigest() if lfs else None, p)
            digest.update(rel.encode() + blob.encode())
        sha = digest.hexdigest()
        m: dict[str, Any] = {"id": repo_id, "sha": sha, "lastModified": _now_iso(), "createdAt": _now_iso()}
        m["siblings"] = [{"rfilename": f} for f in files]
        m["usedStorage"] = sum(f.size for f in files.values())
        tags: list[str] = []
        config = None
        if "config.json" in files:
            try:
                config = json.loads(files["config.json"].local.read_text())
            except ValueError:
                config = None
        if isinstance(config, dict):
            m["config"] = {k: config[k] for k in ("architectures", "model_type", "auto_map") if k in config}
            if config.get("architectures") or config.get("model_type"):
                m["library_name"] = "transformers"
                tags.append("transformers")
            if config.get("auto_map"):
                tags.append("custom_code")
        st_files = [f.local for name, f in files.items() if "/" not in name and name.endswith(".safetensors")]
        if st_files:
            tags.append("safetensors")
            counts = safetensors_param_counts(st_files)
            if counts:
                m["safetensors"] = {"parameters": counts, "total": sum(counts.values())}
        if any(n.endswith(".gguf") for n in files):
            tags.append("gguf")
        if any(n.endswith((".bin", ".pt", ".pth")) for n in files):
            tags.append("pytorch")
        if isinstance(config, dict) and config.get("model_type"):
            tags.append(str(config["model_type"]))
        if "README.md" in files:
            card = _front_matter(files["README.md"].local.read_text(errors="replace"))
            if card:
                m["cardData"] = card
                if card.get("license"):
                    tags.append(f"license:{card['license']}")
        info = dict(info or {})
        if info.get("pipeline_tag"):
            tags.append(info["pipeline_tag"])
        m["tags"] = list(dict.fromkeys(tags + list(info.pop("tags", []) or [])))
        m.update(info)
        with self._lock:
            self._repos[repo_id] = StubRepo(repo_id, folder, m["sha"], files)
        return self.add_model(m)

    def allow_token(self, token: str) -> None:
        """Tokens in this set may download gated repos (others get 403, none gets 401)."""
        self._allowed_tokens.add(token)

    # ---- faults and log -------------------------------------------------------------------------
    def set_fault(self, kind: str | int, path_prefix: str | None = None, *, times: int | None = None,
                  retry_after: int = 7, delay: float | None = None, method: str | None = None) -> None:
        """Make matching requests fail.

        kind: an HTTP status (404, 429 with ``Retry-After: retry_after``, 500, 503, 401, 403, …,
        as int or str), ``"slow"`` (sleep ``delay`` — default ``slow_s`` — then answer normally),
        ``"garbage"`` (200 with a non-JSON body), ``"garbage_shape"`` (200 with JSON of the wrong
        shape), ``"reset"`` (close the connection without answering), ``"stall"`` (answer, but stop
        for ``delay`` seconds halfway through the body: a download that stalls). path_prefix: only paths
        starting with it (``/api/models``, ``/org/name/resolve``); times: only the next N matches.
        """
        if isinstance(kind, str) and kind.isdigit():
            kind = int(kind)
        if not isinstance(kind, int) and kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; use an HTTP status or one of {FAULT_KINDS}")
        with self._lock:
            self._faults.append(Fault(kind, path_prefix, times, retry_after,
                                      self.slow_s if delay is None else delay, method))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Clear faults, the request log, allowed / bad tokens and dataset repos (models and repos stay)."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()
            self._allowed_tokens.clear()
            self.bad_tokens.clear()
            self.datasets.clear()

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[StubRequest]:
        with self._lock:
            return [r for r in self.requests
                    if r.path.startswith(path_prefix) and (method is None or r.method == method)]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.matches(method, path):
                    if f.times is not None:
                        f.times -= 1
                        if f.times <= 0:
                            self._faults.remove(f)
                    return f
        return None


# ---- Inference Providers (issue 11) ------------------------------------------------------------------
# A model's ``inferenceProviderMapping`` is kept as given: the object keyed by provider that
# ``GET /api/models/{id}?expand=inferenceProviderMapping`` answers (a list of entries naming their provider
# is taken too). Asked for with ``expand``, model_info answers that object ({} for none) and the list the
# list of entries ([] for none), the two shapes huggingface_hub's ModelInfo reads. ``GET /api/models``
# filters by ``inference_provider``: ``all`` (served live by any provider) or comma-separated names.
PROVIDER_FIELD = "inferenceProviderMapping"


def provider_entries(model: dict) -> list[dict]:
    """The model's mapping as the list's entries (``provider`` named in each)."""
    raw = model.get(PROVIDER_FIELD)
    if isinstance(raw, dict):
        return [{"provider": name, **(value if isinstance(value, dict) else {})} for name, value in raw.items()]
    return [dict(e) for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []


def with_providers(out: dict, model: dict, expand: list[str], *, listing: bool) -> dict:
    """``out`` with the mapping in the shape the route answers, when ``expand`` asked for it."""
    if PROVIDER_FIELD not in expand:
        return out
    raw = model.get(PROVIDER_FIELD)
    if listing:
        out[PROVIDER_FIELD] = provider_entries(model)
    elif isinstance(raw, list):
        out[PROVIDER_FIELD] = {e["provider"]: {k: v for k, v in e.items() if k != "provider"}
                               for e in provider_entries(model) if "provider" in e}
    else:
        out[PROVIDER_FIELD] = raw if raw is not None else {}
    return out


def serving(models: list[dict], value: str) -> list[dict]:
    """The models a provider (``all``: any) serves live."""
    wanted = {v.strip() for v in value.split(",") if v.strip()}
    return [m for m in models if any(e.get("status") == "live" and ("all" in wanted or e.get("provider") in wanted)
                                     for e in provider_entries(m))]


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connections are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def _front_matter(text: str) -> dict:
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    try:
        import yaml
        data = yaml.safe_load(text[3:end])
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


def _num(v: Any) -> float:
    try:
        return float(v or 0)
    except (TypeError, ValueError):
        return 0.0


class _Handler(DatasetRoutes, BaseHTTPRequestHandler):
    stub: HubStub
    protocol_version = "HTTP/1.1"
    server_version = "FakeHub/0.1"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    # ---- plumbing ---------------------------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        form: dict[str, list[str]] = {}
        self._body = b""
        if method in ("POST", "PUT"):
            n = int(self.headers.get("Content-Length") or 0)
            body = self._body = self.rfile.read(n) if n else self._chunked_body()
            if "json" in (self.headers.get("Content-Type") or ""):
                try:
                    form = {k: v if isinstance(v, list) else [v] for k, v in json.loads(body or b"{}").items()}
                except ValueError:
                    form = {}
            elif method == "POST":
                form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        req = StubRequest(method, path, query, parts.query, {k.lower(): v for k, v in self.headers.items()}, form)
        with self.stub._lock:
            self.stub.requests.append(req)
        fault = self.stub._take_fault(method, path)
        if fault is not None:
            req.fault = str(fault.kind)
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "stall":
                self._stall_s = fault.delay  # _send stops halfway through the body
            elif fault.kind == "reset":
                self.close_connection = True
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            elif fault.kind == "garbage":
                return self._send(200, b"<html><body>Bad gateway, try later</body></html>",
                                  ctype="text/html; charset=utf-8", head=method == "HEAD")
            elif fault.kind == "garbage_shape":
                return self._json(200, {"models": "not what you expected", "count": "many"}, head=method == "HEAD")
            else:
                status = int(fault.kind)
                headers = {}
                msg = {401: "Invalid credentials in Authorization header", 403: "Forbidden",
                       404: "Repository not found", 429: "You have exceeded our rate limit",
                       }.get(status, "Internal Error - We're working hard to fix this as soon as possible!")
                if status == 429:
                    headers["Retry-After"] = str(fault.retry_after)
                if status == 404:
                    headers["X-Error-Code"] = "RepoNotFound"
                headers["X-Error-Message"] = msg
                return self._json(status, {"error": msg}, headers=headers, head=method == "HEAD")
        try:
            self._route(method, path, query, form)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _chunked_body(self) -> bytes:
        """A body sent with ``Transfer-Encoding: chunked`` (an LFS upload from a file object)."""
        if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
            return b""
        out = bytearray()
        while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)):
            out += self.rfile.read(size)
            self.rfile.readline()
        self.rfile.readline()
        return bytes(out)

    def _send(self, status: int, body: bytes, *, ctype: str = "application/json; charset=utf-8",
              headers: dict | None = None, head: bool = False) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            stall = getattr(self, "_stall_s", None)
            if not head and stall and len(body) > 1:
                self._stall_s = None
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                time.sleep(stall)
                self.wfile.write(body[len(body) // 2:])
            elif not head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _json(self, status: int, obj: Any, *, headers: dict | None = None, head: bool = False) -> None:
        self._send(status, json.dumps(obj).encode(), headers=headers, head=head)

    def _error(self, status: int, message: str, code: str | None = None, head: bool = False) -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._json(status, {"error": message}, headers=headers, head=head)

    # ---- routing ----------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict, form: dict) -> None:
        head = method == "HEAD"
        if self._dataset_route(method, path, query, form):  # dataset repos: tests/support/hub_stub_datasets.py
            return None
        if path.rstrip("/") == "/api/models":
            if method != "GET":
                return self._error(405, "Method not allowed", head=head)
            return self._list_models(query)
        if path.startswith("/api/models/"):
            segs = [s for s in path[len("/api/models/"):].split("/") if s != ""]
            if not segs:
                return self._error(404, "Not found", head=head)
            if len(segs) >= 2 and segs[1] not in _ROUTE_WORDS:
                repo_id, rest = f"{segs[0]}/{segs[1]}", segs[2:]
            else:
                repo_id, rest = segs[0], segs[1:]
            model = self.stub.model(repo_id)
            if model is None:
                return self._error(404, "Repository not found", "RepoNotFound", head=head)
            if not rest:
                return self._model_info(model, query, "main")
            if rest[0] == "revision" and len(rest) >= 2:
                rev = "/".join(rest[1:])
                return self._model_info(model, query, rev)
            if rest[0] == "tree" and len(rest) >= 2:
                return self._tree(model, rest[1], "/".join(rest[2:]), query)
            if rest[0] == "paths-info" and len(rest) >= 2 and method == "POST":
                return self._paths_info(model, rest[1], form)
            if rest[0] == "safetensors-metadata" and len(rest) >= 2:
                return self._sharded_metadata(model, "/".join(rest[1:]))
            return self._error(404, "Not found", head=head)
        if "/resolve/" in path and method in ("GET", "HEAD"):
            before, after = path.split("/resolve/", 1)
            repo_id = before.strip("/")
            if repo_id.startswith("models/"):
                repo_id = repo_id[len("models/"):]
            rev, _, filename = after.partition("/")
            return self._resolve(method, repo_id, rev, filename)
        return self._error(404, "Not found", head=head)

    def _check_rev(self, model: dict, rev: str) -> bool:
        return rev in ("main", model["sha"]) or rev == "refs/heads/main"

    # ---- /api/models ------------------------------------------------------------------------
    def _list_models(self, q: dict[str, list[str]]) -> None:
        one = lambda k: (q.get(k) or [None])[-1]  # noqa: E731
        expand = q.get("expand") or []
        bad = [e for e in expand if e not in EXPAND_FIELDS]
        if bad:
            return self._error(400, f'"expand" must be one of {list(EXPAND_FIELDS)} (got {bad[0]!r})')
        if expand and (one("full") or one("cardData") or one("config")):
            return self._error(400, "expand cannot be combined with full, cardData or config")
        with self.stub._lock:
            models = list(self.stub._models.values())
        if (v := one("search")):
            models = [m for m in models if v.lower() in m["id"].lower()]
        if (v := one("author")):
            models = [m for m in models if (m.get("author") or "").lower() == v.lower()]
        if (v := one("pipeline_tag")):
            models = [m for m in models if m.get("pipeline_tag") == v]
        for tag in q.get("filter") or []:
            models = [m for m in models if tag in (m.get("tags") or []) or tag == m.get("library_name")]
        if (v := one("gated")) is not None:
            want = v.lower() == "true"
            models = [m for m in models if bool(m.get("gated")) == want]
        if (v := one("inference_provider")):
            models = serving(models, v)  # the block "Inference Providers" above
        if (v := one("num_parameters")):
            lo, hi = 0, None
            try:
                for part in v.split(","):
                    key, _, num = part.partition(":")
                    if key == "min":
                        lo = parse_param_count(num)
                    elif key == "max":
                        hi = parse_param_count(num)
                    else:
                        raise ValueError(part)
            except ValueError:
                return self._error(400, f"Invalid num_parameters: {v}")
            models = [m for m in models if (m.get("safetensors") or {}).get("total") is not None
                      and m["safetensors"]["total"] >= lo and (hi is None or m["safetensors"]["total"] <= hi)]
        sort = one("sort")
        if sort:
            key = SORT_KEYS.get(sort)
            if key is None:
                return self._error(400, f"Invalid sort: {sort}")
            if key in ("createdAt", "lastModified"):
                models.sort(key=lambda m: m.get(key) or "", reverse=True)
            else:
                models.sort(key=lambda m: _num(m.get(key)), reverse=True)
        try:
            limit = min(int(one("limit") or 1000), 1000)
            offset = int(base64.b64decode(one("cursor")).decode()) if one("cursor") else 0
        except ValueError:
            return self._error(400, "Invalid limit or cursor")
        page = models[offset:offset + limit]
        headers = {}
        if offset + limit < len(models):
            pairs = [(k, v) for k, vals in q.items() if k != "cursor" for v in vals]
            pairs.append(("cursor", base64.b64encode(str(offset + limit).encode()).decode()))
            headers["Link"] = f'<{self.stub.url}/api/models?{urlencode(pairs)}>; rel="next"'
        full = (one("full") or "").lower() == "true"
        body = []
        for m in page:
            if expand:
                body.append(with_providers(self._pick(m, expand), m, expand, listing=True))
                continue
            fields = list(LIST_DEFAULT_FIELDS) + (list(LIST_FULL_EXTRA) if full else [])
            if (one("cardData") or "").lower() == "true":
                fields.append("cardData")
            if (one("config") or "").lower() == "true":
                fields.append("config")
            item = self._pick(m, fields)
            if "siblings" in item:
                item["siblings"] = [{"rfilename": s["rfilename"]} for s in item["siblings"]]
            item["modelId"] = m["id"]
            body.append(item)
        self._json(200, body, headers=headers)

    @staticmethod
    def _pick(m: dict, fields: Iterable[str]) -> dict:
        """id/_id plus the listed fields the model has (the Hub omits unknown ones, e.g. no task)."""
        out = {"_id": m["_id"], "id": m["id"]}
        for f in fields:
            if f in m and (m[f] is not None or f == "widgetData"):
                out[f] = m[f]
        return out

    # ---- /api/models/{id} -------------------------------------------------------------------
    def _model_info(self, model: dict, q: dict, rev: str) -> None:
        if not self._check_rev(model, rev):
            return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        expand = q.get("expand") or []
        bad = [e for e in expand if e not in EXPAND_FIELDS]
        if bad:
            return self._error(400, f'"expand" must be one of {list(EXPAND_FIELDS)} (got {bad[0]!r})')
        blobs = (q.get("blobs") or [""])[-1].lower() == "true"
        out = with_providers(self._pick(model, expand if expand else INFO_DEFAULT_FIELDS), model, expand,
                             listing=False)
        if not expand:
            out["modelId"] = model["id"]
            out.setdefault("siblings", [])
        if "siblings" in out:
            repo = self.stub._repos.get(model["id"])
            sibs = []
            for s in out["siblings"]:
                s = dict(s)
                if not blobs:
                    s = {"rfilename": s["rfilename"]}
                elif repo and s["rfilename"] in repo.files:
                    fe = repo.files[s["rfilename"]]
                    s.update({"size": fe.size, "blobId": fe.blob_id})
                    if fe.sha256:
                        s["lfs"] = {"sha256": fe.sha256, "size": fe.size, "pointerSize": 134}
                sibs.append(s)
            out["siblings"] = sibs
        self._json(200, out)

    def _tree(self, model: dict, rev: str, sub: str, q: dict) -> None:
        if not self._check_rev(model, rev):
            return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        repo = self.stub._repos.get(model["id"])
        files = list(repo.files.values()) if repo else []
        recursive = (q.get("recursive") or [""])[-1].lower() == "true"
        prefix = sub.strip("/") + "/" if sub.strip("/") else ""
        out, dirs = [], {}
        for f in files:
            if not f.path.startswith(prefix):
                continue
            rest = f.path[len(prefix):]
            parts = rest.split("/")
            for i in range(1, len(parts)):
                d = prefix + "/".join(parts[:i])
                if recursive or i == 1:
                    dirs.setdefault(d, {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(),
                                        "size": 0, "path": d})
            if recursive or len(parts) == 1:
                out.append(f.tree_json())
        if prefix and not out and not dirs:
            return self._error(404, f"{sub} does not exist on \"{rev}\"", "EntryNotFound")
        self._json(200, list(dirs.values()) + out)

    def _paths_info(self, model: dict, rev: str, form: dict) -> None:
        if not self._check_rev(model, rev):
            return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        repo = self.stub._repos.get(model["id"])
        out = []
        for p in form.get("paths", []):
            if repo and p in repo.files:
                out.append(repo.files[p].tree_json())
            elif repo and any(f.startswith(p.rstrip("/") + "/") for f in repo.files):
                out.append({"type": "directory", "oid": hashlib.sha1(p.encode()).hexdigest(), "size": 0, "path": p})
        self._json(200, out)

    def _sharded_metadata(self, model: dict, filename: str) -> None:
        repo = self.stub._repos.get(model["id"])
        if not repo or filename not in repo.files:
            return self._error(404, f"Entry not found: {filename}", "EntryNotFound")
        try:
            index = json.loads(repo.files[filename].local.read_text())
            base = filename.rsplit("/", 1)[0] + "/" if "/" in filename else ""
            shards = sorted(set(index.get("weight_map", {}).values()))
            headers = {s: safetensors_header(repo.files[base + s].local) for s in shards}
        except (ValueError, KeyError, OSError) as e:
            return self._error(400, f"Could not parse safetensors index: {e}")
        self._json(200, {"index": {k: v for k, v in index.items() if k != "weight_map"}, "headers": headers})

    # ---- /{id}/resolve/{rev}/{path} ---------------------------------------------------------
    def _resolve(self, method: str, repo_id: str, rev: str, filename: str) -> None:
        head = method == "HEAD"
        model = self.stub.model(repo_id)
        repo = self.stub._repos.get(repo_id)
        if model is None:
            return self._error(404, "Repository not found", "RepoNotFound", head=head)
        if not self._check_rev(model, rev):
            return self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound", head=head)
        if model.get("gated") and model.get("gated") != "false":
            auth = self.headers.get("Authorization") or ""
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
            if token is None:
                return self._error(401, f"Access to model {repo_id} is restricted. You must have access to it "
                                   "and be authenticated to access it. Please log in.", "GatedRepo", head=head)
            if token not in self.stub._allowed_tokens:
                return self._error(403, f"Access to model {repo_id} is restricted and you are not in the "
                                   "authorized list. Visit https://huggingface.co/" + repo_id + " to ask for access.",
                                   "GatedRepo", head=head)
        fe = repo.files.get(filename) if repo else None
        if fe is None:
            return self._error(404, f"Entry not found: {filename}", "EntryNotFound", head=head)
        data = fe.local.read_bytes()
        headers = {
            "ETag": f'"{fe.etag}"', "X-Repo-Commit": repo.sha, "Accept-Ranges": "bytes",
            "Date": formatdate(usegmt=True),
        }
        if fe.sha256:
            headers["X-Linked-Etag"] = f'"{fe.sha256}"'
            headers["X-Linked-Size"] = str(fe.size)
        status = 200
        rng = self.headers.get("Range") or self.headers.get("range")
        if rng and not head:
            m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            if not m or (m.group(1) == "" and m.group(2) == ""):
                return self._error(416, "Invalid range")
            if m.group(1) == "":
                start, end = max(0, len(data) - int(m.group(2))), len(data) - 1
            else:
                start = int(m.group(1))
                end = min(int(m.group(2)), len(data) - 1) if m.group(2) else len(data) - 1
            if start >= len(data) and len(data) > 0:
                headers["Content-Range"] = f"bytes */{len(data)}"
                return self._send(416, b"", ctype="application/octet-stream", headers=headers)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            data = data[start:end + 1]
            status = 206
        self._send(status, data, ctype="application/octet-stream", headers=headers, head=head)

