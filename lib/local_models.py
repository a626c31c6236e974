"""Model folders on this machine, and a model's mask token without loading the model.

* :func:`is_local_folder` — a Hub id or a model folder? (a folder with ``config.json`` or ``modules.json``
  at its top; anything else is "not a model folder", whether it exists or not: no existence oracle);
* :func:`looks_like_path` — text that names a place on disk rather than a Hub id;
* :func:`folder_files` — a model folder's files, bounded (a huge tree such as ``~`` or ``/usr`` is never
  walked; unreadable entries are skipped), :class:`FolderProblem` when it is not a model folder;
* :func:`guess_task` — a folder's pipeline tag from its ``config.json`` (transformers' auto mappings,
  through ``lib.tasks.archs``) or its sentence-transformers files.
* :func:`safetensors_param_count` — exact parameter count from the ``*.safetensors`` headers;
  :func:`safetensors_problem` — a weights file cut short or unreadable (a damaged download).
* :func:`mask_token_from_folder` / :func:`mask_token_of` — the model's own mask token for fill-mask.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lib import format as fmt
from lib import i18n
from lib import tasks as registry
from lib.i18n import N_, _
from lib.tasks.archs import task_for_config

#: A model folder holds one of these at its top.
MODEL_FILES = ("config.json", "modules.json")
#: The most files (and depth) a model folder may have: a model is a few dozen files, a few levels deep.
MAX_FOLDER_FILES = 2000
MAX_FOLDER_DEPTH = 4
#: (English; show it as ``_(NOT_A_MODEL_FOLDER)``: :func:`folder_files` raises it translated)
NOT_A_MODEL_FOLDER = N_("Not a model folder on this machine: enter a Hub id (owner/name) or a folder that holds "
                        "a model's config.json.")


class FolderProblem(ValueError):
    """A folder that cannot be used as a model folder (the message says why, without server paths)."""


def looks_like_path(text: str | None) -> bool:
    """Whether ``text`` names a place on disk (``/…``, ``~…``, ``./…``, ``../…``, ``C:\\…``, backslashes)
    rather than a Hub id."""
    t = (text or "").strip()
    return bool(t) and (t.startswith(("/", "~", ".", "\\")) or "\\" in t or (len(t) > 1 and t[1] == ":"))


def is_local_folder(model: str | None) -> bool:
    """Whether ``model`` names a model folder on this machine (``config.json`` or ``modules.json`` at its
    top). Any other path — missing, unreadable, or a folder without a model — is not one, alike."""
    if not model:
        return False
    try:
        p = Path(model).expanduser()
        return any((p / name).is_file() for name in MODEL_FILES)
    except (OSError, ValueError, RuntimeError):  # unreadable, NUL in the name, ~user unknown
        return False


def folder_files(folder: str | Path, *, limit: int = MAX_FOLDER_FILES, depth: int = MAX_FOLDER_DEPTH) -> list[str]:
    """The files of a model folder, relative and ``/``-separated, walked at most ``depth`` levels deep
    without following links to folders; unreadable entries are skipped. Raises :class:`FolderProblem` when
    ``folder`` is not a model folder or holds more than ``limit`` files (never walks a whole tree)."""
    root = Path(folder).expanduser()
    if not is_local_folder(str(root)):
        raise FolderProblem(_(NOT_A_MODEL_FOLDER))
    out: list[str] = []
    stack: list[tuple[str, int]] = [("", 0)]
    while stack:
        rel, level = stack.pop()
        try:
            with os.scandir(root / rel if rel else root) as it:
                entries = list(it)
        except OSError:
            continue
        for e in entries:
            name = f"{rel}/{e.name}" if rel else e.name
            try:
                if e.is_dir(follow_symlinks=False):
                    if level + 1 < depth and e.name not in (".git", ".cache"):
                        stack.append((name, level + 1))
                elif e.is_file():
                    out.append(name)
            except OSError:
                continue
            if len(out) > limit:
                raise FolderProblem(_("This folder holds more than {n} files: not a model folder.").format(
                    n=fmt.number(limit)))
    return sorted(out)


def read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def guess_task(folder: str | Path) -> str | None:
    """A pipeline tag guessed from a local model folder (config.json ``pipeline_tag``, else the task whose
    transformers auto mapping holds its ``architectures``; sentence-transformers files mean
    sentence-similarity). None when nothing fits."""
    folder = Path(folder)
    if (folder / "modules.json").exists() or (folder / "sentence_bert_config.json").exists():
        return "sentence-similarity"
    cfg = read_json(folder / "config.json")
    if not cfg:
        return None
    return task_for_config(cfg, registry.registry().values())


def safetensors_param_count(folder: str | Path) -> int | None:
    """Exact parameter count from the headers of a folder's ``*.safetensors`` files (read with the
    ``safetensors`` package: headers only, no weights). None when there are none or one is unreadable."""
    from safetensors import SafetensorError, safe_open

    files = sorted(Path(folder).glob("*.safetensors"))
    if not files:
        return None
    total = 0
    try:
        for f in files:
            with safe_open(str(f), framework="numpy") as fh:
                for name in fh.keys():  # noqa: SIM118 - a safetensors file handle, not a dict
                    count = 1
                    for d in fh.get_slice(name).get_shape():
                        count *= int(d)
                    total += count
    except (OSError, ValueError, SafetensorError):
        return None
    return total


class Damage(str):
    """A damaged weights file in words: the English text (kept in cached listings, compared in tests), and
    :meth:`text` in the current language (what a page shows)."""

    file: str
    size: int | None
    need: int | None

    def __new__(cls, file: str, size: int | None = None, need: int | None = None) -> Damage:
        with i18n.scope("en"):
            english = _damage_text(file, size, need)
        self = super().__new__(cls, english)
        self.file, self.size, self.need = file, size, need
        return self

    def __reduce__(self):  # pickled by st.cache_data
        return (Damage, (self.file, self.size, self.need))

    def text(self) -> str:
        return _damage_text(self.file, self.size, self.need)


def _damage_text(file: str, size: int | None, need: int | None) -> str:
    if size is None or need is None:
        return _("{file} is damaged (its header cannot be read)").format(file=file)
    return _("{file} is cut short ({size} of {need})").format(file=file, size=fmt.size_bytes(size),
                                                            need=fmt.size_bytes(need))


def safetensors_problem(folder: str | Path) -> str | None:
    """What is wrong with a folder's ``*.safetensors`` files, in words (a file cut short, a header that
    cannot be read), from their headers and sizes alone (no weights read); None when they look whole or
    there are none. A truncated download or a damaged cache entry shows here before a load fails."""
    for f in sorted(Path(folder).glob("*.safetensors")):
        try:
            size = f.stat().st_size
            with f.open("rb") as fh:
                head = fh.read(8)
                n = int.from_bytes(head, "little") if len(head) == 8 else -1
                if n < 2 or n > min(size, 100_000_000):
                    return Damage(f.name)
                header = json.loads(fh.read(n))
            ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            return Damage(f.name)
        need = 8 + n + max(ends, default=0)
        if size < need:
            return Damage(f.name, size, need)
    return None


def damaged_message(problem: str, *, folder: bool = False) -> str:
    """What people see about a damaged local copy (:func:`safetensors_problem`) and what to do (``folder``:
    a configured model folder, whose weights file is replaced rather than downloaded again)."""
    what = problem.text() if isinstance(problem, Damage) else problem
    if folder:
        return _("The local copy of this model is damaged: {problem}. Replace its weights file.").format(
            problem=what)
    return _("The local copy of this model is damaged: {problem}. Delete it on the Local models page and "
             "download it again.").format(problem=what)


def _token_text(v: Any) -> str | None:
    if isinstance(v, str):
        return v or None
    if isinstance(v, dict):
        return v.get("content") or None
    return None


def mask_token_from_folder(folder: str | Path) -> str | None:
    """The mask token named in a model folder's tokenizer_config.json / special_tokens_map.json."""
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        tok = _token_text(read_json(Path(folder) / name).get("mask_token"))
        if tok:
            return tok
    return None


def mask_token_of(model: str, token: str | None = None, *, allow_download: bool = False) -> str | None:
    """The model's own mask token without loading the model: a local folder's files, else the
    tokenizer files already in the local Hub cache; only with ``allow_download`` one small
    download of them (rendering a page must not cost Hub requests). None when unknown."""
    if is_local_folder(model):
        return mask_token_from_folder(model)
    from lib.hub import gateway
    from lib.hub.errors import HubError

    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        path = gateway.cached_file(model, name)
        if path is None and allow_download:
            try:
                path = gateway.download_file(model, name, token=token)
            except HubError:
                path = None  # missing file, offline, gated, bad id: unknown
        if path is not None:
            tok = mask_token_from_folder(Path(path).parent)
            if tok:
                return tok
    return None
