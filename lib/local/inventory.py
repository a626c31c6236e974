"""What is on this machine: huggingface_hub's cache and the configured model folders, as one list.

Each :class:`LocalModel` says its size, revisions (cache) and dates, the task from its config
(:func:`lib.local_models.guess_task`), whether it runs offline (:func:`readiness`: config + weights +
the tokenizer / processor its task needs), whether it fits this machine (:func:`fit_label`, from the
safetensors headers and config through :func:`lib.fit.gate.fit_gate`) and a damaged weights file
(:func:`lib.local_models.safetensors_problem`). Folders of ``HUBSCOUT_MODEL_DIRS`` are listed read-only.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib import local_models
from lib.hub import cache as hub_cache
from lib.hub.cache import CachedRevision
from lib.i18n import N_, _

__all__ = ["visible", "presence", "LocalModel", "Readiness", "inventory", "model_folders", "readiness", "fit_label",
           "MAX_CHILDREN"]

#: The most child folders looked at per configured folder (a huge tree is never walked).
MAX_CHILDREN = 500
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "spiece.model",
                   "sentencepiece.bpe.model", "tokenizer.model")
PROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json", "image_processor_config.json",
                   "feature_extractor_config.json")
#: input kinds (lib.tasks.core.INPUT_KINDS) whose models take pictures or sound (a processor), and the ones
#: that also take text (a tokenizer as well).
_MEDIA_KINDS = {"image", "image_labels", "image_prompt", "image_question", "audio"}
_MEDIA_AND_TEXT = {"image_labels", "image_prompt", "image_question"}


@dataclass(frozen=True)
class Readiness:
    """Whether a folder runs with no network: ``ok``, else what is ``missing`` (in words)."""

    ok: bool
    missing: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """In words, in the current language (the rows are cached: never stored translated)."""
        if self.ok:
            return _("runs offline")
        return _("missing {what}").format(what=", ".join(_(MISSING.get(m, m)) for m in self.missing))


#: what :func:`readiness` finds missing (kept as these codes; shown translated).
MISSING: dict[str, str] = {
    "config.json": "config.json",  # i18n: a file name
    "weights": N_("weights"),
    "tokenizer": N_("tokenizer"),
    "processor": N_("processor"),
    "whole weights": N_("whole weights"),  # i18n: the key is a code
}


@dataclass(frozen=True)
class LocalModel:
    """One row of the Local models page.

    ``name``: the Hub id (cache) or the folder's path (folder). ``folder``: the newest snapshot / the
    folder. ``fit``/``fit_reason``: :func:`fit_label` (``fit`` a code; ``fit_reason`` in the language of the
    run that listed it: the listing is cached, so the page shows ``fit`` only). ``problem``: a damaged weights
    file (a :class:`lib.local_models.Damage`: English, ``.text()`` in the current language), or None.
    """

    name: str
    source: str  # "cache" | "folder"
    folder: Path
    size: int
    last_used: float | None
    last_modified: float | None
    task: str | None
    offline: Readiness
    fit: str
    fit_reason: str
    problem: str | None = None
    revisions: tuple[CachedRevision, ...] = field(default_factory=tuple)

    @property
    def deletable(self) -> bool:
        """Only the Hub cache is deleted from; configured folders are read-only."""
        return self.source == "cache"


def model_folders(dirs: Iterable[Path]) -> list[Path]:
    """The child folders of ``dirs`` that are model folders (``is_local_folder``), at most
    :data:`MAX_CHILDREN` looked at per folder; unreadable ones are skipped."""
    out: list[Path] = []
    for d in dirs:
        try:
            with os.scandir(Path(d).expanduser()) as it:
                children = [Path(e.path) for _, e in zip(range(MAX_CHILDREN), it, strict=False)
                            if e.is_dir(follow_symlinks=True)]
        except OSError:
            continue
        out.extend(c for c in sorted(children) if local_models.is_local_folder(str(c)))
    return out


def _task_needs(task: str | None) -> tuple[bool, bool]:
    """(tokenizer, processor) a model of ``task`` needs to run."""
    from lib import tasks

    spec = tasks.registry().get(task or "")
    kind = getattr(spec, "input_kind", None)
    if kind is None:
        return True, False
    return (kind not in _MEDIA_KINDS or kind in _MEDIA_AND_TEXT), kind in _MEDIA_KINDS


def readiness(folder: Path, files: Iterable[str], task: str | None) -> Readiness:
    """Config + weights + the tokenizer / processor ``task`` needs, among ``files`` (paths in the folder)."""
    names = {f.rsplit("/", 1)[-1] for f in files}
    missing = []
    if "config.json" not in names and "modules.json" not in names:
        missing.append("config.json")
    if not any(n.endswith(WEIGHT_SUFFIXES) for n in names):
        missing.append("weights")
    tok, proc = _task_needs(task)
    if tok and not names.intersection(TOKENIZER_FILES):
        missing.append("tokenizer")
    if proc and not names.intersection(PROCESSOR_FILES):
        missing.append("processor")
    return Readiness(not missing, tuple(missing))


def fit_label(folder: Path, hardware: Any) -> tuple[str, str]:
    """(``fits`` / ``tight`` / ``too large`` / ``unknown``, the reason) for this machine (the first is a code,
    not a text: see :data:`FIT_LABELS`)."""
    from lib.fit.gate import fit_gate

    gate = fit_gate(str(folder), None, "auto", "auto", hardware)
    if gate.estimate is None:
        return "unknown", gate.reason
    if not gate.allowed:
        return "too large", gate.reason  # i18n: a code
    return ("tight" if gate.tight else "fits"), gate.reason


def _row(name: str, source: str, folder: Path, files: Iterable[str], size: int, used: float | None,
         modified: float | None, hardware: Any, revisions: tuple[CachedRevision, ...] = ()) -> LocalModel:
    files = list(files)
    task = local_models.guess_task(folder)
    problem = local_models.safetensors_problem(folder)
    fit, why = fit_label(folder, hardware) if hardware is not None else ("unknown", "")
    ready = readiness(folder, files, task)
    if problem:
        ready = Readiness(False, (*ready.missing, "whole weights"))  # i18n: a code of MISSING
    return LocalModel(name, source, folder, size, used, modified, task, ready, fit, why, problem, revisions)


def _folder_row(path: Path, hardware: Any) -> LocalModel | None:
    try:
        files = local_models.folder_files(path)
    except local_models.FolderProblem:
        return None
    size, modified = 0, 0.0
    for f in files:
        try:
            st = (path / f).stat()
        except OSError:
            continue
        size += st.st_size
        modified = max(modified, st.st_mtime)
    return _row(str(path), "folder", path, files, size, None, modified or None, hardware)


def inventory(hardware: Any = None, *, dirs: Iterable[Path] | None = None,
              cache_dir: str | Path | None = None) -> list[LocalModel]:
    """The cache's models (newest revision's facts; all revisions listed), then the configured folders'
    (``dirs``; default ``HUBSCOUT_MODEL_DIRS``). ``hardware``: for the fit badge (None: unknown)."""
    from lib.settings import get_settings

    rows = []
    for m in hub_cache.scan(cache_dir):
        if not m.revisions:
            continue
        newest = m.revisions[0]
        rows.append(_row(m.repo_id, "cache", newest.snapshot, newest.files, m.size, m.last_accessed,
                         m.last_modified, hardware, m.revisions))
    for path in model_folders(get_settings().model_dirs if dirs is None else dirs):
        row = _folder_row(path, hardware)
        if row is not None:
            rows.append(row)
    return rows


def presence(model: str, revision: str | None = None, *, offline: bool = False) -> str | None:
    """Where a session candidate's weights are, in words, when that matters: None when a Hub model's
    ``revision`` is in the local cache (or a folder exists); else "not in the local cache: will download on
    run" (or "cannot run offline" when ``offline``), or "folder not found on this machine"."""
    if local_models.looks_like_path(model) or local_models.is_local_folder(model):
        return None if local_models.is_local_folder(model) else _("folder not found on this machine")
    if hub_cache.snapshot_folder(model, revision) is not None:
        return None
    if offline:
        return _("not in the local cache: cannot run offline")
    return _("not in the local cache: will download on run")


def visible(rows: list[LocalModel]) -> list[LocalModel]:
    """The rows this visitor may see: all of them, except where private repos are not allowed (a visitor
    of a public instance), where a cached repo shows only when it is known public (the Hub said so in this
    process, or the catalog lists it: :func:`lib.hub.gateway.refuse_seen_private`) — a private repo an admin
    ran must not be named to strangers."""
    from lib.hub import gateway
    from lib.hub.errors import HubError

    if gateway.private_repos_allowed():
        return rows
    from lib.catalog.source import current_snapshot

    snapshot = current_snapshot()
    out = []
    for r in rows:
        if r.source == "cache":
            try:
                gateway.refuse_seen_private(r.name, listed_public=snapshot.get(r.name) is not None)
            except HubError:
                continue
        out.append(r)
    return out
