"""What the model page needs from the Hub, in the fewest requests (huggingface_hub 2.4).

``fetch_model_details(id)`` costs:
1. ``HfApi.model_info(id, files_metadata=True)``: one ``GET /api/models/{id}?blobs=true`` whose
   default fields already hold the facts (task, library, tags, gated, downloads, likes, dates,
   cardData: license / languages / datasets / base model), ``config`` (with ``auto_map``),
   ``safetensors`` (parameters per dtype) and the siblings *with sizes* (``expand`` cannot be
   combined with ``files_metadata`` in 2.4, and ``expand=siblings`` has no sizes, so this is the
   one call that has everything);
2. the README (model card) through ``hf_hub_download`` (HEAD + GET, cached by huggingface_hub);
3. only when the info lacks ``safetensors`` but the repo has safetensors weights: one Range GET of
   the header (``parse_safetensors_file_metadata``) or, when sharded, the Hub's one-request
   ``get_sharded_safetensors_metadata``;
4. only when the info lacks ``config``: config.json (for ``auto_map``).

Offline (HF_HUB_OFFLINE=1) or when the Hub cannot be reached, details come from the catalog
snapshot record and huggingface_hub's local cache, with ``missing`` saying what is unknown.
"""
from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

from lib.hub.records import DTYPE_BYTES, ModelRecord, languages_from_tags, parse_datetime

DEFAULT_TIMEOUT = 10.0
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.\-]{0,95}/)?[A-Za-z0-9][\w.\-]{0,95}$")


# ---- request counting ---------------------------------------------------------------------------
class RequestCounter:
    """HTTP requests sent by huggingface_hub's shared session in this thread while active."""

    def __init__(self) -> None:
        self.count = 0


_local = threading.local()


def _count_hook(request) -> None:
    for c in getattr(_local, "counters", ()):
        c.count += 1


@contextmanager
def count_requests() -> Iterator[RequestCounter]:
    """Count the HTTP requests huggingface_hub makes in this thread (redirects included)."""
    from huggingface_hub.utils import get_session

    hooks = get_session().event_hooks["request"]
    if _count_hook not in hooks:
        hooks.append(_count_hook)
    counter = RequestCounter()
    stack = _local.__dict__.setdefault("counters", [])
    stack.append(counter)
    try:
        yield counter
    finally:
        stack.remove(counter)


# ---- errors ---------------------------------------------------------------------------------------
class ModelLookupError(Exception):
    """A model page request that cannot be answered; ``message`` is shown as is.

    kind: ``invalid_id``, ``not_found``, ``revision_not_found``, ``gated`` (401/403 on a gated
    repo), ``auth``.
    """

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.message = message
        self.kind = kind


def validate_model_id(model_id: str) -> str:
    """Strip and check a Hub model id (``owner/name`` or legacy ``name``); raise ModelLookupError."""
    mid = (model_id or "").strip().strip("/")
    if mid.startswith("https://huggingface.co/"):
        mid = mid[len("https://huggingface.co/"):].strip("/")
    if not mid or not _REPO_ID.match(mid) or ".." in mid or "--" in mid or mid.endswith((".", "-")):
        raise ModelLookupError(
            f"“{model_id}” is not a valid Hub model id: use owner/name with letters, digits, "
            "'-', '_' or '.' (for example Qwen/Qwen2.5-0.5B-Instruct).", "invalid_id")
    return mid


# ---- details --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RepoFileInfo:
    """One file of the repo: path, size in bytes (None when unknown), stored with Git LFS."""

    path: str
    size: int | None = None
    lfs: bool = False


@dataclass(frozen=True)
class ModelDetails:
    """Everything the model page shows about one model.

    Attributes:
        id, author, pipeline_tag, library_name, license, gated, downloads, likes, created_at,
        last_modified, languages, datasets, base_models, tags: the Hub's facts.
        card: model card text (README.md, front matter removed) or None.
        files: repo files with sizes; ``total_size`` their sum when all sizes are known.
        weight_formats: among ``safetensors``, ``pickle`` (.bin/.pt/.pth/.ckpt/.pkl), ``gguf``, ``onnx``.
        pickle_only: weights exist only as pickle files (loading them can run code).
        custom_code: ``custom_code`` tag or ``auto_map`` in the config (needs trust_remote_code).
        params_by_dtype / params_total: exact counts from safetensors metadata (None when unknown).
        param_source: where the count came from, in words.
        config: the Hub's config summary (architectures, model_type, auto_map) when known.
        source: ``live`` (from the Hub) or ``offline`` (snapshot record + local cache).
        requests: HTTP requests this answer cost.
        missing: what is unknown, in words (offline or partial answers).
        record: the same model as a catalog :class:`ModelRecord` (fit checks reuse it).
    """

    id: str
    author: str | None = None
    pipeline_tag: str | None = None
    library_name: str | None = None
    license: str | None = None
    gated: bool | str = False
    downloads: int | None = None
    likes: int | None = None
    created_at: datetime | None = None
    last_modified: datetime | None = None
    languages: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    base_models: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    card: str | None = None
    files: tuple[RepoFileInfo, ...] = ()
    weight_formats: tuple[str, ...] = ()
    pickle_only: bool = False
    custom_code: bool = False
    params_by_dtype: dict[str, int] = field(default_factory=dict)
    params_total: int | None = None
    param_source: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    sha: str | None = None
    source: str = "live"
    requests: int = 0
    missing: tuple[str, ...] = ()
    record: ModelRecord | None = None

    @property
    def total_size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return sum(sizes) if sizes and all(s is not None for s in sizes) else None

    @property
    def weights_bytes(self) -> int | None:
        if self.params_by_dtype:
            return int(sum(n * DTYPE_BYTES.get(d.upper(), 4) for d, n in self.params_by_dtype.items()))
        return None

    @property
    def hub_url(self) -> str:
        return f"https://huggingface.co/{self.id}"


PICKLE_EXT = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


def weight_formats(paths: list[str]) -> tuple[tuple[str, ...], bool]:
    """(formats found among the file names, pickle_only)."""
    found: list[str] = []
    lower = [p.lower() for p in paths]
    weights = [p for p in lower if not p.endswith(("training_args.bin",))]
    if any(p.endswith(".safetensors") for p in weights):
        found.append("safetensors")
    if any(p.endswith(PICKLE_EXT) for p in weights):
        found.append("pickle")
    if any(p.endswith(".gguf") for p in weights):
        found.append("gguf")
    if any(p.endswith(".onnx") for p in weights):
        found.append("onnx")
    return tuple(found), found == ["pickle"]


def _strip_front_matter(text: str) -> str:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end >= 0:
            return text[end + 4:].lstrip("\n")
    return text


def _as_tuple(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    return tuple(str(x) for x in v)


def _lookup_error(err: BaseException, model_id: str) -> ModelLookupError | None:
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    if isinstance(err, GatedRepoError):
        return ModelLookupError(f"{model_id} is gated: accept its conditions on {ModelRecord(model_id).hub_url} "
                                "and set HF_TOKEN to a token with access.", "gated")
    if isinstance(err, RevisionNotFoundError):
        return ModelLookupError(f"{model_id} has no such revision.", "revision_not_found")
    if isinstance(err, RepositoryNotFoundError):
        return ModelLookupError(f"No model {model_id} on the Hub (or it is private and HF_TOKEN has no access).",
                                "not_found")
    if isinstance(err, HfHubHTTPError) and err.response is not None and err.response.status_code in (401, 403):
        return ModelLookupError(f"The Hub refused access to {model_id} ({err.response.status_code}): "
                                "check HF_TOKEN.", "auth")
    return None


def fetch_model_details(model_id: str, token: str | bool | None = None, *,
                        timeout: float = DEFAULT_TIMEOUT, with_card: bool = True) -> ModelDetails:
    """Details for the model page. Raises :class:`ModelLookupError` for bad ids, 404 and gated
    refusals; falls back to :func:`offline_model_details` when offline or the Hub is unavailable."""
    from lib.catalog.live import classify_error, hub_offline

    mid = validate_model_id(model_id)
    if hub_offline():
        return offline_model_details(mid, reason="Offline mode (HF_HUB_OFFLINE=1)")
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    with count_requests() as counter:
        try:
            info = api.model_info(mid, files_metadata=True, timeout=timeout)
        except Exception as e:  # noqa: BLE001
            lookup = _lookup_error(e, mid)
            if lookup:
                raise lookup from e
            return offline_model_details(mid, reason=classify_error(e, timeout).reason)
        missing: list[str] = []
        data = _from_info(info)
        sibs = [s.rfilename for s in (info.siblings or [])]
        # exact parameters when the info has no safetensors block
        if not data["params_by_dtype"] and any(s.endswith(".safetensors") for s in sibs):
            try:
                if "model.safetensors" in sibs:
                    meta = api.parse_safetensors_file_metadata(mid, "model.safetensors", token=token, timeout=timeout)
                    counts = dict(meta.parameter_count)
                elif "model.safetensors.index.json" in sibs:
                    meta = api.get_sharded_safetensors_metadata(mid, token=token, timeout=timeout)
                    counts = dict(meta.parameter_count)
                else:
                    counts = {}
                if counts:
                    data["params_by_dtype"] = {k.upper(): int(v) for k, v in counts.items()}
                    data["params_total"] = sum(counts.values())
                    data["param_source"] = "safetensors header"
            except Exception as e:  # noqa: BLE001
                missing.append(f"parameter count (safetensors header unreadable: {classify_error(e, timeout).reason})")
        if data["params_total"] is None:
            missing.append("exact parameter count (no safetensors weights)")
        # custom code needs auto_map: the info's config has it; fetch config.json only without it
        if not data["config"] and "config.json" in sibs:
            try:
                path = api.hf_hub_download(mid, "config.json")
                with open(path, encoding="utf-8") as f:
                    cfg = json.load(f)
                data["config"] = {k: cfg[k] for k in ("architectures", "model_type", "auto_map") if k in cfg}
            except Exception:  # noqa: BLE001
                missing.append("config (auto_map unknown)")
        data["custom_code"] = "custom_code" in data["tags"] or bool(data["config"].get("auto_map"))
        card = None
        if with_card and "README.md" in sibs:
            try:
                path = api.hf_hub_download(mid, "README.md")
                with open(path, encoding="utf-8", errors="replace") as f:
                    card = _strip_front_matter(f.read())
            except Exception as e:  # noqa: BLE001
                lookup = _lookup_error(e, mid)
                missing.append("model card (gated: needs a token with access)" if lookup and lookup.kind == "gated"
                               else "model card (download failed)")
        elif with_card:
            missing.append("model card (the repo has no README.md)")
    return ModelDetails(**data, card=card, source="live", requests=counter.count, missing=tuple(missing),
                        record=ModelRecord.from_api(_record_dict(info)))


def _record_dict(info) -> dict:
    d = {k: v for k, v in vars(info).items() if k not in ("siblings", "card_data", "safetensors", "config")}
    d["cardData"] = dict(info.card_data.to_dict()) if info.card_data is not None else {}
    if info.safetensors is not None:
        d["safetensors"] = {"parameters": dict(info.safetensors.parameters), "total": info.safetensors.total}
    return d


def _from_info(info) -> dict[str, Any]:
    card = info.card_data.to_dict() if info.card_data is not None else {}
    tags = tuple(info.tags or ())
    files = tuple(
        RepoFileInfo(s.rfilename, s.size, s.lfs is not None) for s in (info.siblings or [])
    )
    formats, pickle_only = weight_formats([f.path for f in files])
    lic = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None) or (
        card.get("license") if isinstance(card.get("license"), str) else None)
    langs = _as_tuple(card.get("language")) or languages_from_tags(tags)
    datasets = _as_tuple(card.get("datasets")) or tuple(t.split(":", 1)[1] for t in tags if t.startswith("dataset:"))
    base = _as_tuple(card.get("base_model")) or tuple(
        t.split(":", 1)[1] for t in tags if t.startswith("base_model:") and t.count(":") == 1)
    st = info.safetensors
    by_dtype = {k.upper(): int(v) for k, v in (st.parameters or {}).items()} if st is not None else {}
    gated = info.gated if info.gated not in (None, "false") else False
    return dict(
        id=info.id, author=info.author or (info.id.split("/")[0] if "/" in info.id else None),
        pipeline_tag=info.pipeline_tag, library_name=info.library_name, license=lic, gated=gated,
        downloads=info.downloads, likes=info.likes, created_at=parse_datetime(info.created_at),
        last_modified=parse_datetime(info.last_modified), languages=langs, datasets=datasets,
        base_models=base, tags=tags, files=files, weight_formats=formats, pickle_only=pickle_only,
        params_by_dtype=by_dtype, params_total=(st.total if st is not None else None),
        param_source="safetensors (Hub metadata)" if st is not None else None,
        config={k: v for k, v in (info.config or {}).items() if k in ("architectures", "model_type", "auto_map")},
        sha=info.sha,
    )


def offline_model_details(model_id: str, reason: str = "Offline mode (HF_HUB_OFFLINE=1)") -> ModelDetails:
    """Details from the catalog snapshot record and huggingface_hub's local cache, no network.

    ``missing`` starts with ``reason`` and lists every fact that is unknown.
    """
    mid = validate_model_id(model_id)
    record = None
    try:
        from lib.catalog.source import current_snapshot
        record = current_snapshot().get(mid)
    except Exception:  # noqa: BLE001 - a missing/broken snapshot only means fewer facts
        record = None
    missing: list[str] = [f"Hub not used: {reason}"]
    files: list[RepoFileInfo] = []
    card = None
    config: dict[str, Any] = {}
    sha = None
    try:
        from huggingface_hub import scan_cache_dir, try_to_load_from_cache

        repo = next((r for r in scan_cache_dir().repos if r.repo_type == "model" and r.repo_id == mid), None)
        if repo is not None:
            rev = max(repo.revisions, key=lambda r: r.last_modified)
            sha = rev.commit_hash
            files = [RepoFileInfo(f.file_path.relative_to(rev.snapshot_path).as_posix(),
                                  f.size_on_disk) for f in rev.files]
        readme = try_to_load_from_cache(mid, "README.md", revision=sha)
        if isinstance(readme, str):
            with open(readme, encoding="utf-8", errors="replace") as f:
                card = _strip_front_matter(f.read())
        cfg_path = try_to_load_from_cache(mid, "config.json", revision=sha)
        if isinstance(cfg_path, str):
            with open(cfg_path, encoding="utf-8") as f:
                cfg = json.load(f)
            config = {k: cfg[k] for k in ("architectures", "model_type", "auto_map") if k in cfg}
    except Exception:  # noqa: BLE001 - cache unreadable: treat as empty
        pass
    if record is None:
        missing.append("facts (model not in the catalog snapshot)")
    if not files:
        missing.append("file list (model not in the local cache)")
    else:
        missing.append("full file list (only files in the local cache are listed)")
    if card is None:
        missing.append("model card (not in the local cache)")
    if not config:
        missing.append("config (custom code unknown)")
    formats, pickle_only = weight_formats([f.path for f in files])
    r = record or ModelRecord(id=mid, author=mid.split("/")[0] if "/" in mid else None)
    if not r.params_exact:
        missing.append("exact parameter count")
    extra_card = dict(r.extra.get("cardData") or {}) if r.extra else {}
    return ModelDetails(
        id=mid, author=r.author, pipeline_tag=r.pipeline_tag, library_name=r.library_name, license=r.license,
        gated=r.gated, downloads=r.downloads, likes=r.likes, created_at=r.created_at,
        last_modified=r.last_modified, languages=r.languages,
        datasets=_as_tuple(extra_card.get("datasets")) or tuple(t.split(":", 1)[1] for t in r.tags if t.startswith("dataset:")),
        base_models=_as_tuple(extra_card.get("base_model")),
        tags=r.tags, card=card, files=tuple(files), weight_formats=formats, pickle_only=pickle_only,
        custom_code="custom_code" in r.tags or bool(config.get("auto_map")),
        params_by_dtype=dict(r.params_by_dtype) if r.params_exact else {},
        params_total=r.params_total, param_source=r.param_source, config=config, sha=sha,
        source="offline", requests=0, missing=tuple(missing), record=record,
    )


def fetch_config_json(model_id: str, token: str | bool | None = None, *, offline: bool = False,
                      revision: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """The full ``config.json`` of a model (the memory estimate and the parameter count need it).

    ``(config, None)`` on success, ``(None, reason)`` otherwise. Live: ``hf_hub_download`` (cached
    by huggingface_hub, so a second call costs at most a HEAD). ``offline`` (or HF_HUB_OFFLINE):
    only huggingface_hub's local cache is read, never the network.
    """
    from lib.catalog.live import hub_offline

    mid = validate_model_id(model_id)
    try:
        if offline or hub_offline():
            from huggingface_hub import try_to_load_from_cache

            path = try_to_load_from_cache(mid, "config.json", revision=revision)
            if not isinstance(path, str):
                return None, "config.json is not in the local cache"
        else:
            from huggingface_hub import hf_hub_download

            path = hf_hub_download(mid, "config.json", token=token)
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except Exception as e:  # noqa: BLE001 - any failure only means "config unknown"
        lookup = _lookup_error(e, mid)
        if lookup is not None and lookup.kind in ("gated", "auth"):
            return None, "config.json needs a token with access (gated model)"
        from huggingface_hub.errors import LocalEntryNotFoundError, RemoteEntryNotFoundError

        if isinstance(e, RemoteEntryNotFoundError):
            return None, "the repo has no config.json"
        if isinstance(e, LocalEntryNotFoundError):
            return None, "config.json could not be downloaded and is not in the local cache"
        if isinstance(e, ValueError):
            return None, "config.json is not valid JSON"
        return None, f"config.json could not be downloaded ({type(e).__name__})"
    if not isinstance(cfg, dict):
        return None, "config.json does not hold a JSON object"
    return cfg, None
