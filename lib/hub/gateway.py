"""The Hub gateway: the only code in Hub Scout that asks huggingface_hub for Hub data.

Every function validates the id, honours the offline switch, runs under the deadline/attempt
policy (:mod:`lib.hub.policy`) and raises :class:`~lib.hub.errors.HubError` on any failure. Model
facts are cached per process for the TTL (:mod:`lib.hub.facts`); files are cached on disk by
huggingface_hub (``HF_HOME``), and the ``local_only`` / ``cached_*`` functions read only that.

Model facts (cached): :func:`model_info`, :func:`model_config`, :func:`model_card`,
:func:`safetensors_counts`, :func:`provider_mapping` (the Inference Providers serving it). Files:
:func:`download_file`, :func:`cached_file`,
:func:`download_snapshot`, :func:`cached_snapshot`, :func:`cached_repo`. The model list:
:func:`lib.hub.listing.list_models_page`.

torch / transformers are never imported here; huggingface_hub only inside the functions.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib.hub import policy
from lib.hub.errors import BAD_ANSWER_MESSAGE, HubError, repo_not_found
from lib.hub.facts import FACTS, forget, token_key
from lib.hub.ids import validate_model_id
from lib.i18n import N_, Later

__all__ = ["model_info", "model_config", "model_card", "card_text", "card_metadata", "safetensors_counts",
           "download_file", "cached_copy_intact",
           "provider_mapping", "cached_file", "download_snapshot", "cached_snapshot", "cached_repo", "CachedRepo",
           "forget",
           "is_offline", "cache_folder", "private_repos", "allow_private_repos", "private_repos_allowed",
           "refuse_seen_private"]

is_offline = policy.is_offline
_MAIN = "main"


def _online(repo_id: str) -> None:
    if policy.is_offline():
        raise HubError(policy.offline_message(), "offline", repo_id=repo_id)


def _key(what: str, mid: str, revision: str | None, token: str | bool | None, *extra: Any) -> tuple:
    return (what, mid, revision or _MAIN, token_key(token), *extra)


# ---- private repos -------------------------------------------------------------------------------
# The server's token may open private repos; on a public instance a visitor must not see them (lib.access).
# Unset: allowed unless this is a public instance. lib.ui sets it for each script run (admins: True);
# the runner sets it around its own lookups from the run's access.
_PRIVATE: ContextVar[bool | None] = ContextVar("hubscout_private_repos", default=None)
_SEEN_PRIVATE: set[str] = set()  # repos the Hub said are private (their local copies stay private too)
_SEEN_PUBLIC: set[str] = set()  # repos the Hub said are public in this process


def private_repos_allowed() -> bool:
    """Whether Hub answers about private repos may be shown / run in this context."""
    allowed = _PRIVATE.get()
    if allowed is not None:
        return allowed
    from lib.settings import get_settings

    return not get_settings().public


def allow_private_repos(allowed: bool) -> None:
    """Set :func:`private_repos_allowed` for the rest of this thread's work (a Streamlit script run)."""
    _PRIVATE.set(bool(allowed))


@contextmanager
def private_repos(allowed: bool) -> Iterator[None]:
    """Within the block, :func:`private_repos_allowed` is ``allowed``."""
    reset = _PRIVATE.set(bool(allowed))
    try:
        yield
    finally:
        _PRIVATE.reset(reset)


# ---- model facts (cached) -----------------------------------------------------------------------
def model_info(repo_id: str, *, revision: str | None = None, token: str | bool | None = None):
    """huggingface_hub's ``ModelInfo`` with the files' sizes (``files_metadata=True``: one
    ``GET /api/models/{id}?blobs=true``, whose default fields already hold task, library, tags, gated,
    downloads, likes, dates, cardData, ``config`` (with ``auto_map``) and ``safetensors``). Cached.
    A private repo is "not found" where :func:`private_repos_allowed` says no (a visitor of a public
    instance: the server's token must not open it)."""
    mid = validate_model_id(repo_id)
    _online(mid)

    def fetch():
        from huggingface_hub import HfApi

        p = policy.current()
        return policy.call(lambda: HfApi(token=token).model_info(mid, revision=revision, files_metadata=True,
                                                                timeout=p.call_timeout),
                           deadline=p.call_timeout, repo_id=mid, revision=revision)

    info = FACTS.fetch(_key("info", mid, revision, token), fetch)
    if not getattr(info, "private", False):
        _SEEN_PRIVATE.discard(mid)
        _SEEN_PUBLIC.add(mid)
        return info
    _SEEN_PRIVATE.add(mid)
    _SEEN_PUBLIC.discard(mid)
    if not private_repos_allowed():
        raise repo_not_found(mid)  # the same answer as a missing repo: no oracle of private names
    return info


def refuse_seen_private(repo_id: str, *, listed_public: bool = False) -> None:
    """Before a local-cache copy is shown or run while the Hub does not answer, where private repos are
    not allowed (a visitor of a public instance): raise "not found" for a repo the Hub said is private,
    and refuse one that nothing confirms is public — the Hub said so in this process, or the catalog
    lists it (``listed_public``: the snapshot lists public repos only). A private repo an admin ran is in
    the local cache, and after a restart nothing remembers that it is private."""
    if private_repos_allowed():
        return
    if repo_id in _SEEN_PRIVATE:
        raise repo_not_found(repo_id)
    if repo_id in _SEEN_PUBLIC or listed_public:
        return
    raise HubError(Later(N_("The Hub cannot be reached to confirm that {model} is public, so this public instance "
                            "does not use its local copy. Try again when the Hub answers."), model=repo_id),
                   "unreachable", repo_id=repo_id)


def model_config(repo_id: str, *, revision: str | None = None, token: str | bool | None = None) -> dict:
    """The model's whole config.json (cached). HubError ``not_found`` when the repo has none,
    ``bad_answer`` when it is not a JSON object."""
    mid = validate_model_id(repo_id)
    _online(mid)

    def fetch() -> dict:
        path = download_file(mid, "config.json", revision=revision, token=token)
        try:
            return read_config_file(path, mid)
        except HubError as e:
            if e.kind != "bad_answer" or cached_copy_intact(path) is not False:
                raise
        # the local cache's copy went bad (a disk fault, an interrupted write): fetch it again
        return read_config_file(download_file(mid, "config.json", revision=revision, token=token, force=True), mid)

    return FACTS.fetch(_key("config", mid, revision, token), fetch)


def read_config_file(path: str | Path, repo_id: str | None = None) -> dict:
    """A config.json file parsed; HubError ``bad_answer`` when it is not JSON or not an object."""
    try:
        cfg = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise HubError(Later(N_("config.json is not valid JSON")), "bad_answer", repo_id=repo_id) from None
    if not isinstance(cfg, dict):
        raise HubError(Later(N_("config.json does not hold a JSON object")), "bad_answer", repo_id=repo_id)
    return cfg


def card_text(text: str) -> str:
    """A README's Markdown body: huggingface_hub's ``ModelCard`` drops the YAML front matter (a block
    that is not valid YAML is cut with the same pattern ModelCard uses)."""
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    text = text.lstrip("\ufeff")
    try:
        body = ModelCard(text, ignore_metadata_errors=True).text
    except Exception:  # noqa: BLE001 - YAML errors: keep the body, drop the broken block
        match = REGEX_YAML_BLOCK.search(text)
        body = text[match.end():] if match else text
    return body.lstrip("\r\n")


def card_metadata(text: str) -> dict[str, Any]:
    """A README's YAML front matter as a dict (``pipeline_tag``, ``license`` …), read by huggingface_hub's
    ``ModelCard``; ``{}`` when there is none or it is not valid YAML."""
    from huggingface_hub import ModelCard

    try:
        data = ModelCard(text.lstrip("\ufeff"), ignore_metadata_errors=True).data.to_dict()
    except Exception:  # noqa: BLE001 - a broken front matter tells nothing
        return {}
    return data if isinstance(data, dict) else {}


def model_card(repo_id: str, *, revision: str | None = None, token: str | bool | None = None,
               local_only: bool = False) -> str:
    """The model card's Markdown body (README.md without front matter). Cached unless ``local_only``
    (which reads only the local cache). HubError ``not_found`` when the repo has no README."""
    mid = validate_model_id(repo_id)

    def fetch() -> str:
        path = download_file(mid, "README.md", revision=revision, token=token, local_only=local_only)
        try:
            return card_text(Path(path).read_text(encoding="utf-8", errors="replace"))
        except OSError as e:
            raise HubError(Later(N_("The model card could not be read from the local cache")), "error",
                           repo_id=mid) from e

    if local_only:
        return fetch()
    _online(mid)
    return FACTS.fetch(_key("card", mid, revision, token), fetch)


def safetensors_counts(repo_id: str, files: Iterable[str], *, revision: str | None = None,
                       token: str | bool | None = None) -> dict[str, int]:
    """Exact parameter counts per dtype from the safetensors headers (cached): one Range GET of
    ``model.safetensors``'s header, or the Hub's one-request sharded metadata when there is an
    index; ``{}`` when the repo has neither."""
    mid = validate_model_id(repo_id)
    names = set(files)
    _online(mid)

    def fetch() -> dict[str, int]:
        from huggingface_hub import HfApi

        p = policy.current()
        api = HfApi(token=token)
        if "model.safetensors" in names:
            get = lambda: api.parse_safetensors_file_metadata(  # noqa: E731
                mid, "model.safetensors", revision=revision, token=token, timeout=p.call_timeout)
        elif "model.safetensors.index.json" in names:
            get = lambda: api.get_sharded_safetensors_metadata(  # noqa: E731
                mid, revision=revision, token=token, timeout=p.call_timeout)
        else:
            return {}
        meta = policy.call(get, deadline=p.call_timeout, repo_id=mid, revision=revision)
        return {k.upper(): int(v) for k, v in dict(meta.parameter_count).items()}

    return FACTS.fetch(_key("safetensors", mid, revision, token), fetch)


def provider_mapping(repo_id: str, *, token: str | bool | None = None) -> tuple:
    """The Inference Providers serving the model (:class:`lib.hub.providers.ProviderMapping`, ``()`` when
    none): the request ``HfApi.model_info(id, expand=["inferenceProviderMapping", "private"])`` sends,
    answered JSON read by :func:`lib.hub.providers.parse_mapping` (ModelInfo itself raises on an entry
    it does not expect). Cached. ``private`` keeps a visitor of a public instance from a private repo's."""
    from lib.hub import providers

    mid = validate_model_id(repo_id)
    _online(mid)

    def fetch() -> tuple:
        from huggingface_hub import constants
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        p = policy.current()

        def get() -> Any:
            # i18n: a URL
            r = get_session().get(f"{constants.ENDPOINT}/api/models/{mid}", headers=build_hf_headers(token=token),
                                  params={"expand": [providers.FIELD, "private"]}, timeout=p.call_timeout)
            hf_raise_for_status(r)
            return r.json()

        data = policy.call(get, deadline=p.call_timeout, repo_id=mid)
        if not isinstance(data, dict):
            raise HubError(BAD_ANSWER_MESSAGE, "bad_answer", repo_id=mid)
        return bool(data.get("private")), providers.parse_mapping(data.get(providers.FIELD))

    private, found = FACTS.fetch(_key("providers", mid, None, token), fetch)
    if private:
        _SEEN_PRIVATE.add(mid)
        if not private_repos_allowed():
            raise repo_not_found(mid)
    return found


# ---- files ----------------------------------------------------------------------------------------
def cache_folder() -> Path:
    """huggingface_hub's model cache folder (``HF_HUB_CACHE``, under ``HF_HOME``); it may not exist yet."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def cached_file(repo_id: str, filename: str, *, revision: str | None = None) -> str | None:
    """The path of ``filename`` in huggingface_hub's local cache, or None (never the network)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        path = try_to_load_from_cache(repo_id, filename, revision=revision)
    except Exception:  # noqa: BLE001 - an unreadable cache or an odd id: not cached
        return None
    return path if isinstance(path, str) else None


def cached_copy_intact(path: str | Path) -> bool | None:
    """Whether a file of huggingface_hub's cache still holds what the Hub sent: its blob is named by the
    file's ETag (the git blob sha1, or the sha256 of an LFS file), checked here. None when that cannot be
    told (not a cache path, unreadable)."""
    import hashlib

    try:
        blob = Path(path).resolve()
        name = blob.name
        if blob.parent.name != "blobs" or len(name) not in (40, 64):
            return None
        data = blob.read_bytes()
    except OSError:
        return None
    if len(name) == 64:
        return hashlib.sha256(data).hexdigest() == name
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == name


def download_file(repo_id: str, filename: str, *, revision: str | None = None, token: str | bool | None = None,
                  local_only: bool = False, force: bool = False) -> str:
    """Local path of one (small) file of a model, under the call deadline; ``local_only``: only
    huggingface_hub's cache (HubError ``not_cached`` when it is not there). Not for weights: see
    :func:`download_snapshot`.

    A file already cached costs ``hf_hub_download``'s one HEAD (when the Hub fails, the cached copy is
    used, without retries). A file not cached yet is first asked for once with ``get_hf_file_metadata``:
    on a failed HEAD, ``hf_hub_download`` would retry 5 times with 1-2-4-8-8 s sleeps (waiting out a
    429 too) — 23 s for a 500 on config.json, and more requests to a Hub in trouble. That costs one
    HEAD more on a first download; a failure costs one request and is reported as it is. ``force``:
    download again even when cached (a cached copy that cannot be read).
    """
    mid = validate_model_id(repo_id)
    if local_only:
        path = cached_file(mid, filename, revision=revision)
        if path is None:
            raise HubError(Later(N_("{file} of {model} is not in the local cache"), file=filename, model=mid),
                           "not_cached", repo_id=mid)
        return path
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    p = policy.current()

    def fetch() -> str:
        if cached_file(mid, filename, revision=revision) is None:
            get_hf_file_metadata(hf_hub_url(mid, filename, revision=revision), token=token, timeout=p.call_timeout)
        return hf_hub_download(mid, filename, revision=revision, token=token, etag_timeout=p.call_timeout,
                               force_download=force)

    return policy.call(fetch, deadline=p.call_timeout, repo_id=mid, filename=filename, revision=revision)


def download_snapshot(repo_id: str, *, revision: str | None = None, token: str | bool | None = None,
                      ignore_patterns: list[str] | None = None, tqdm_class: Any = None,
                      allow_patterns: list[str] | None = None) -> str:
    """Local folder with the model's files (``snapshot_download``). Pass the commit sha from
    :func:`model_info` as ``revision``: huggingface_hub then skips its own ``repo_info`` request and
    cached files cost no request. No overall deadline (the size is known beforehand; the runner's load
    timeout bounds it) but a stall limit (:attr:`lib.hub.policy.Policy.stall_timeout`): each metadata
    request must answer within it, and the download fails (HubError ``timeout``, "Download stalled …")
    when no bytes arrive for that long — huggingface_hub alone would wait 10 s per read and resume 5
    times. ``allow_patterns``: only these files (``lib.hub.cache.download``: a pre-download)."""
    mid = validate_model_id(repo_id)
    from huggingface_hub import snapshot_download

    p = policy.current()
    heartbeat = policy.Heartbeat()
    bars = _beating(tqdm_class, heartbeat)
    return policy.call(lambda: snapshot_download(mid, revision=revision, token=token, ignore_patterns=ignore_patterns,
                                                 allow_patterns=allow_patterns, tqdm_class=bars,
                                                 etag_timeout=p.stall_timeout),
                       deadline=None, repo_id=mid, revision=revision, stall=p.stall_timeout, heartbeat=heartbeat)


def _beating(tqdm_class: Any, heartbeat: policy.Heartbeat) -> Any:
    """``tqdm_class`` (default: huggingface_hub's tqdm) that beats ``heartbeat`` on every update: the
    bytes of a download arriving."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    base = tqdm_class or hf_tqdm

    class Beating(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            heartbeat.beat()
            super().__init__(*args, **kwargs)

        def update(self, n=1):
            heartbeat.beat()
            return super().update(n)

    return Beating


def cached_snapshot(repo_id: str, revision: str | None = None) -> Path | None:
    """The complete local-cache snapshot folder of ``repo_id`` (no network), or None."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
    except Exception:  # noqa: BLE001 - not cached (LocalEntryNotFoundError) or an unreadable cache
        return None


@dataclass(frozen=True)
class CachedRepo:
    """What huggingface_hub's local cache holds of a model: its newest cached commit and files."""

    sha: str
    files: tuple[tuple[str, int], ...]  # (path in the repo, bytes on disk)


def cached_repo(repo_id: str) -> CachedRepo | None:
    """The newest cached revision of ``repo_id`` (``scan_cache_dir``), or None (never the network)."""
    from huggingface_hub import scan_cache_dir

    try:
        repo = next((r for r in scan_cache_dir().repos if r.repo_type == "model" and r.repo_id == repo_id), None)
        if repo is None or not repo.revisions:
            return None
        rev = max(repo.revisions, key=lambda r: r.last_modified)
        return CachedRepo(rev.commit_hash, tuple((f.file_path.relative_to(rev.snapshot_path).as_posix(),
                                                  f.size_on_disk) for f in rev.files))
    except Exception:  # noqa: BLE001 - an unreadable cache is an empty one
        return None

