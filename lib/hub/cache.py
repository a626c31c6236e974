"""huggingface_hub's local model cache: what it holds, deleting from it, and a guarded pre-download.

* :func:`scan` — the model repos in the cache (``scan_cache_dir``): size on disk, revisions, refs, dates;
* :func:`local_ids` — the ids of the models with a cached snapshot holding weights, from directory listings
  only (cheap: Discover marks them without scanning file sizes); :func:`snapshot_folder` — one of them;
* :func:`delete_plan` — a :class:`DeletePlan` for some revisions (``DeleteCacheStrategy``): the space it
  frees, shown before :meth:`DeletePlan.execute` runs it;
* :func:`download` — ``snapshot_download`` of chosen files with byte progress, stopped when the bytes
  written pass a limit (the free disk, or a cap standing in for it) or when cancelled; a stopped download
  leaves nothing behind (its partial blobs, snapshot links and refs are removed), so the repo is never
  listed half there.

The cache folder is :func:`lib.hub.gateway.cache_folder` (``HF_HUB_CACHE`` under ``HF_HOME``), read at each
call. No torch; huggingface_hub only inside the functions.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib.format import Size
from lib.hub import gateway
from lib.hub.errors import HubError
from lib.i18n import N_, Later

__all__ = ["CachedRevision", "CachedModel", "scan", "local_ids", "snapshot_folder", "DeletePlan", "delete_plan",
           "download", "free_disk_bytes", "disk_full_message"]


@dataclass(frozen=True)
class CachedRevision:
    """One cached commit of a model: its files (repo paths), size on disk, refs (``main`` …)."""

    commit: str
    size: int
    last_modified: float
    refs: tuple[str, ...]
    snapshot: Path
    files: tuple[str, ...]


@dataclass(frozen=True)
class CachedModel:
    """A model repo in the cache; ``revisions`` newest first."""

    repo_id: str
    size: int
    last_accessed: float
    last_modified: float
    revisions: tuple[CachedRevision, ...] = field(default_factory=tuple)


def scan(cache_dir: str | Path | None = None) -> list[CachedModel]:
    """The model repos of the cache, by id; [] when there is no cache (never the network)."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    folder = Path(cache_dir) if cache_dir is not None else gateway.cache_folder()
    try:
        info = scan_cache_dir(folder)
    except (CacheNotFound, OSError, ValueError):
        return []
    out = []
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        revs = []
        for rev in sorted(repo.revisions, key=lambda r: r.last_modified, reverse=True):
            files = tuple(sorted(f.file_path.relative_to(rev.snapshot_path).as_posix() for f in rev.files))
            revs.append(CachedRevision(rev.commit_hash, int(rev.size_on_disk), float(rev.last_modified),
                                       tuple(sorted(rev.refs)), Path(rev.snapshot_path), files))
        out.append(CachedModel(repo.repo_id, int(repo.size_on_disk), float(repo.last_accessed),
                               float(repo.last_modified), tuple(revs)))
    return sorted(out, key=lambda m: m.repo_id.lower())


def _repo_folder(repo_id: str, cache_dir: Path | None = None) -> Path:
    return (cache_dir or gateway.cache_folder()) / ("models--" + repo_id.replace("/", "--"))


def _has_weights(snapshot: Path) -> bool:
    from lib.hub.normalize import weight_file_kind

    return any(weight_file_kind(p.name) for p in snapshot.iterdir())


def snapshot_folder(repo_id: str, revision: str | None = None, cache_dir: str | Path | None = None) -> Path | None:
    """The cached snapshot of ``repo_id`` at ``revision`` (a commit sha, or a branch: ``main`` when None)
    that holds weights; None when there is none (a Model page lookup caches config.json alone)."""
    repo = _repo_folder(repo_id, Path(cache_dir) if cache_dir is not None else None)
    rev = revision or "main"
    try:
        if not (repo / "snapshots" / rev).is_dir():
            rev = (repo / "refs" / rev).read_text(encoding="utf-8").strip()
        snap = repo / "snapshots" / rev
        return snap if snap.is_dir() and _has_weights(snap) else None
    except (OSError, ValueError):
        return None


def local_ids(cache_dir: str | Path | None = None) -> frozenset[str]:
    """Ids of the models with a cached snapshot holding weights (not just the config.json a Model page
    lookup caches): a few directory listings, no sizes."""
    folder = Path(cache_dir) if cache_dir is not None else gateway.cache_folder()
    out = set()
    try:
        entries = list(folder.iterdir())
    except OSError:
        return frozenset()
    for entry in entries:
        if not entry.name.startswith("models--"):
            continue
        try:
            if any(_has_weights(snap) for snap in (entry / "snapshots").iterdir() if snap.is_dir()):
                out.add(entry.name[len("models--"):].replace("--", "/"))
        except OSError:
            continue
    return frozenset(out)


@dataclass
class DeletePlan:
    """What deleting some revisions frees (``expected_freed_size``, bytes) before it is done."""

    repo_id: str
    commits: tuple[str, ...]
    freed_bytes: int
    _strategy: Any = field(repr=False, default=None)

    def execute(self) -> None:
        """Delete (irreversible). Raises HubError(``error``) when the disk refuses."""
        try:
            self._strategy.execute()
        except OSError as e:
            raise HubError(Later(N_("Deleting {model} from the local cache failed ({error})."), model=self.repo_id,
                                 error=type(e).__name__), "error", repo_id=self.repo_id) from None


def delete_plan(repo_id: str, commits: Iterable[str] | None = None,
                cache_dir: str | Path | None = None) -> DeletePlan:
    """A plan deleting ``commits`` of ``repo_id`` (None: all its revisions, the whole repo). HubError
    ``not_cached`` when the repo (or a commit) is not in the cache."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    folder = Path(cache_dir) if cache_dir is not None else gateway.cache_folder()
    try:
        info = scan_cache_dir(folder)
    except (CacheNotFound, OSError):
        raise HubError(Later(N_("{model} is not in the local cache"), model=repo_id), "not_cached",
                       repo_id=repo_id) from None
    repo = next((r for r in info.repos if r.repo_type == "model" and r.repo_id == repo_id), None)
    known = {r.commit_hash for r in repo.revisions} if repo is not None else set()
    wanted = tuple(sorted(known)) if commits is None else tuple(dict.fromkeys(commits))
    if repo is None or not wanted or any(c not in known for c in wanted):
        raise HubError(Later(N_("{model} (or that revision) is not in the local cache"), model=repo_id), "not_cached",
                       repo_id=repo_id)
    strategy = info.delete_revisions(*wanted)
    return DeletePlan(repo_id, wanted, int(strategy.expected_freed_size), strategy)


# ---- guarded download -----------------------------------------------------------------------------
def free_disk_bytes(folder: Path | None = None) -> int:
    """Free bytes on the disk holding the cache (its nearest existing parent)."""
    folder = folder or gateway.cache_folder()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return int(shutil.disk_usage(folder).free)


def disk_full_message(repo_id: str, done: int, limit: int | None) -> str:
    if limit is not None:
        return Later(N_("The disk filled up while downloading {model} (room for {room}): the download stopped "
                        "after {done} and its partial files were removed. Free some space (delete models below) "
                        "and try again."), model=repo_id, room=Size(limit), done=Size(done))
    return Later(N_("The disk filled up while downloading {model}: the download stopped after {done} and its "
                    "partial files were removed. Free some space (delete models below) and try again."),
                 model=repo_id, done=Size(done))


def _snapshot_state(repo: Path) -> tuple[set[Path], dict[Path, bytes]]:
    """Every file (and link) under ``repo``, and the refs' contents, before a download."""
    files: set[Path] = set()
    refs: dict[Path, bytes] = {}
    if repo.exists():
        for p in repo.rglob("*"):
            if p.is_file() or p.is_symlink():
                files.add(p)
                if p.parent.name == "refs" or "refs" in p.relative_to(repo).parts[:1]:
                    try:
                        refs[p] = p.read_bytes()
                    except OSError:
                        pass
    return files, refs


def _undo(repo: Path, existed: bool, before: set[Path], refs: dict[Path, bytes]) -> None:
    """Remove what a stopped download wrote under ``repo`` (new blobs, ``.incomplete`` parts, snapshot
    links, refs), restore the refs it changed; the whole repo folder when it was new."""
    if not existed:
        shutil.rmtree(repo, ignore_errors=True)
        return
    for p in sorted(repo.rglob("*"), key=lambda q: len(q.parts), reverse=True):
        try:
            if (p.is_file() or p.is_symlink()) and p not in before:
                p.unlink()
            elif p.is_dir() and not p.is_symlink() and not any(p.iterdir()) and p.parent != repo:
                p.rmdir()
        except OSError:
            continue
    for p, data in refs.items():
        try:
            if p.read_bytes() != data:
                p.write_bytes(data)
        except OSError:
            continue


def download(repo_id: str, *, revision: str | None, allow_patterns: list[str], token: str | bool | None = None,
             limit_bytes: int | None = None, on_bytes: Callable[[int], None] | None = None,
             cancelled: Callable[[], bool] | None = None) -> Path:
    """Download the files of ``repo_id`` matching ``allow_patterns`` into the cache (``revision``: the
    commit sha, so that huggingface_hub asks nothing twice). ``on_bytes(done)`` as bytes are written;
    the download stops with HubError ``disk_full`` when they pass ``limit_bytes`` (or the disk really
    fills), ``cancelled`` when ``cancelled()`` turns true; then nothing of it is kept."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    repo = _repo_folder(repo_id)
    existed = repo.exists()
    before, refs = _snapshot_state(repo)
    state = {"done": 0}

    class _Bytes(hf_tqdm):  # the bytes written to disk ("Reconstructing" bar of snapshot_download)
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._counts = kwargs.get("unit") == "B" and str(kwargs.get("desc") or "").startswith("Reconstruct")

        def update(self, n=1):
            if cancelled is not None and cancelled():
                raise HubError(Later(N_("Download of {model} cancelled"), model=repo_id), "cancelled", repo_id=repo_id)
            if self._counts and n:
                state["done"] += int(n)
                if limit_bytes is not None and state["done"] > limit_bytes:
                    raise HubError(disk_full_message(repo_id, state["done"], limit_bytes), "disk_full",
                                   repo_id=repo_id)
                if on_bytes is not None:
                    on_bytes(state["done"])
            return super().update(n)

    try:
        folder = gateway.download_snapshot(repo_id, revision=revision, token=token, allow_patterns=allow_patterns,
                                           tqdm_class=_Bytes)
    except HubError as e:
        _undo(repo, existed, before, refs)
        if e.kind == "disk_full" and "filled up" not in e.message:
            raise HubError(disk_full_message(repo_id, state["done"], None), "disk_full", repo_id=repo_id) from None
        raise
    return Path(folder)
