"""The inputs of a session, typed in or uploaded, as the items :func:`lib.sessions.store.create_session`
takes: ``{"text": str|None, "reference": str|None, "inputs": {raw runner inputs}}``.

* :func:`parse_text_lines` — one input per non-empty line;
* :func:`parse_table` — a CSV (comma, semicolon or tab) or JSON lines file: a text column (named
  ``text``, ``input``, ``sentence``, ``question`` or ``prompt``, else the only column of text) and
  an optional reference column (``reference``, ``label``, ``answer`` or ``target``). Columns named
  like a runner input (``context``, ``labels``, ``source``, ``sentences``) are passed to the runner
  too, so question answering gets its context;
* :func:`parse_media` — images or audio clips, as files or inside a zip; a CSV among them with a
  file column (``file``, ``filename``, ``path``, ``image`` or ``audio``) and a reference column gives
  each file its reference;
* :func:`check_kind` — every input has what the task's input kind needs (an image for an image
  task, a question and a context for question answering...);
* :func:`check_references` — references that cannot be right for the task (a label the model does not have).

At most :data:`MAX_ROWS` inputs. Every bad case raises :class:`InputsError` with a message for people, in the
language of the call (:mod:`lib.i18n`: made when raised, never kept).
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import PurePosixPath
from typing import Any

from lib import format as fmt
from lib.i18n import N_, _, ngettext

from .errors import InputsError

__all__ = ["MAX_ROWS", "MAX_FILE_BYTES", "TEXT_COLUMNS", "REFERENCE_COLUMNS", "IMAGE_EXTENSIONS",
           "AUDIO_EXTENSIONS", "parse_text_lines", "parse_table", "parse_media", "check_kind", "check_references"]

MAX_ROWS = 500
MAX_FILE_BYTES = 20 * 10**6          # one uploaded file or one file inside a zip (decimal MB)
MAX_ZIP_BYTES = 500 * 10**6          # everything inside one zip, uncompressed
TEXT_COLUMNS = ("text", "input", "sentence", "question", "prompt")
REFERENCE_COLUMNS = ("reference", "label", "answer", "target")
RUNNER_COLUMNS = ("context", "labels", "source", "sentences")
FILE_COLUMNS = ("file", "filename", "path", "image", "audio")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff")  # lib.runner.inputs.AUDIO_FORMATS (a test checks)


def _too_many(n: int, name: str | None = None, *, upload: bool = False) -> InputsError:
    """Too many inputs in the typed text (no ``name``), an upload, or the file ``name``."""
    if upload:
        text = _("The upload has {n} inputs; a session takes at most {max}. Split it, or keep the first {max}.")
    elif name is None:
        text = _("The text has {n} inputs; a session takes at most {max}. Split it, or keep the first {max}.")
    else:
        text = _("{name} has {n} inputs; a session takes at most {max}. Split it, or keep the first {max}.")
    return InputsError(text.format(name=name, n=fmt.number(n), max=fmt.number(MAX_ROWS)))


def _item(text: str | None, reference: str | None = None, raw: dict | None = None) -> dict:
    return {"text": text, "reference": reference or None, "inputs": raw if raw is not None else {"text": text}}


def parse_text_lines(text: str) -> list[dict]:
    """One input per non-empty line of ``text`` (no references)."""
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise InputsError(_("Type at least one input (one per line)."))
    if len(lines) > MAX_ROWS:
        raise _too_many(len(lines))
    return [_item(line) for line in lines]


# ------------------------------------------------------------------ tables
def _decode(name: str, data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data[:4096]:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    raise InputsError(_("{name} cannot be read as text: save it as UTF-8 (in a spreadsheet: CSV UTF-8) and "
                        "upload it again.").format(name=name))


_JSON_LINE = '{"text": "...", "reference": "..."}'  # i18n: a JSON example (its keys are the columns' names)


class _OneColumn(csv.excel):
    delimiter = "\x1f"  # a header without , ; or tab: one column, whose texts may hold commas


def _csv_rows(name: str, text: str) -> list[dict[str, Any]]:
    header = text.lstrip("\n\r").split("\n", 1)[0]
    if not any(d in header for d in ",;\t"):
        dialect: type[csv.Dialect] = _OneColumn
    else:
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel_tab if name.lower().endswith(".tsv") else csv.excel
    try:
        reader = csv.DictReader(io.StringIO(text), dialect=dialect)
        fields = [f for f in (reader.fieldnames or []) if f is not None]
        rows = []
        for row in reader:
            if row.get(None):  # more cells than the header names: they would be lost
                raise InputsError(_("Line {line} of {name} has more cells than its header ({n}): put quotes "
                                    "around texts that contain the separator {separator}, or name every column "
                                    "in the header.").format(line=fmt.number(reader.line_num), name=name,
                                                             n=fmt.number(len(fields)),
                                                             separator=repr(dialect.delimiter)))
            rows.append({k: v for k, v in row.items() if k is not None})
    except csv.Error as e:
        raise InputsError(_("{name} is not a readable CSV file ({error}).").format(name=name, error=e)) from None
    if not fields:
        raise _empty(name)
    return rows


def _empty(name: str) -> InputsError:
    return InputsError(_("{name} is empty: it needs a header row (e.g. text,reference) and one input per row.")
                       .format(name=name))


def _json_rows(name: str, text: str) -> list[dict[str, Any]]:
    stripped = text.strip()
    if stripped.startswith("["):  # a JSON array of objects is accepted too
        try:
            rows = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise InputsError(_("{name} is not valid JSON (line {line}: {error}).")
                              .format(name=name, line=fmt.number(e.lineno), error=e.msg)) from None
        numbered = list(enumerate(rows, 1)) if isinstance(rows, list) else [(1, rows)]
    else:
        numbered = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    numbered.append((n, json.loads(line)))
                except json.JSONDecodeError as e:
                    raise InputsError(_("Line {line} of {name} is not JSON ({error}): JSON lines files hold one "
                                        "object per line, e.g. {example}.")
                                      .format(line=fmt.number(n), name=name, error=e.msg, example=_JSON_LINE)
                                      ) from None
    for n, row in numbered:
        if not isinstance(row, dict):
            raise InputsError(_("Line {line} of {name} is not a JSON object: each line should be like {example}.")
                              .format(line=fmt.number(n), name=name, example=_JSON_LINE))
    return [row for _n, row in numbered]


def _is_text(value: Any) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        float(value)
        return False
    except ValueError:
        return True


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.strip() or None


def parse_table(filename: str, data: bytes) -> list[dict]:
    """Inputs from a CSV or JSON lines upload (see the module's docstring for the columns)."""
    name = PurePosixPath(filename or _("the file")).name
    if not data or not data.strip():
        raise _empty(name)
    if len(data) > MAX_FILE_BYTES:
        raise InputsError(_("{name} is {size}; the limit is {limit}.").format(
            name=name, size=fmt.size_bytes(len(data)), limit=fmt.size_bytes(MAX_FILE_BYTES)))
    text = _decode(name, data)
    lower = name.lower()
    is_json = lower.endswith((".jsonl", ".ndjson", ".json")) or (
        not lower.endswith((".csv", ".tsv")) and text.lstrip()[:1] in ("{", "["))
    rows = _json_rows(name, text) if is_json else _csv_rows(name, text)
    if not rows:
        raise InputsError(_("{name} has a header but no rows: add one input per row.").format(name=name))
    if len(rows) > MAX_ROWS:
        raise _too_many(len(rows), name)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    text_col = _pick(columns, TEXT_COLUMNS)
    ref_col = _pick(columns, REFERENCE_COLUMNS)
    if text_col is None:
        texty = [c for c in columns if c != ref_col and any(_is_text(row.get(c)) for row in rows)]
        if len(texty) != 1:
            shown = ", ".join(repr(c) for c in columns[:12]) or "–"
            raise InputsError(_("{name} has no text column: name one column {text_columns} (and optionally one "
                                "{reference_columns}). Its columns: {columns}.").format(
                name=name, text_columns=", ".join(TEXT_COLUMNS), reference_columns=", ".join(REFERENCE_COLUMNS),
                columns=shown))
        text_col = texty[0]
    extra = {c.strip().lower(): c for c in columns if c.strip().lower() in RUNNER_COLUMNS}
    items = []
    for row in rows:
        text = _as_text(row.get(text_col))
        if text is None:
            continue
        raw: dict[str, Any] = {"text": text}
        if text_col.strip().lower() == "question":
            raw["question"] = text
        for key, col in extra.items():
            if row.get(col) not in (None, ""):
                raw[key] = row[col]
        items.append(_item(text, _as_text(row.get(ref_col)) if ref_col else None, raw))
    if not items:
        raise InputsError(_("Every row of {name} has an empty {column}: nothing to run.")
                          .format(name=name, column=repr(text_col)))
    return items


# ------------------------------------------------------------------ media
def _media_kind(name: str) -> str | None:
    lower = name.lower()
    return "image" if lower.endswith(IMAGE_EXTENSIONS) else "audio" if lower.endswith(AUDIO_EXTENSIONS) else None


def _unzip(name: str, data: bytes) -> list[tuple[str, bytes]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            raise InputsError(_("{name} unpacks to more than {limit}.")
                              .format(name=name, limit=fmt.size_bytes(MAX_ZIP_BYTES)))
        out = []
        for info in infos:
            base = PurePosixPath(info.filename).name
            if info.filename.startswith("__MACOSX/") or base.startswith("."):
                continue
            if info.file_size > MAX_FILE_BYTES:
                raise InputsError(_("{file} in {name} is {size}; the limit per file is {limit}.").format(
                    file=base, name=name, size=fmt.size_bytes(info.file_size), limit=fmt.size_bytes(MAX_FILE_BYTES)))
            out.append((info.filename, zf.read(info)))
        return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, OSError, EOFError) as e:
        raise InputsError(_("{name} is not a readable zip file ({error}).").format(name=name, error=e)) from None


def _check_image(name: str, data: bytes) -> None:
    """A readable image within the runner's pixel limit (header and checksum only: fast)."""
    from PIL import Image, UnidentifiedImageError

    from lib.runner.inputs import MAX_IMAGE_PIXELS

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise InputsError(_("{name} is {width}×{height}: too many pixels (limit {limit} megapixels).")
                                  .format(name=name, width=img.width, height=img.height,
                                          limit=fmt.number(MAX_IMAGE_PIXELS // 10**6)))
            img.verify()
    except InputsError:
        raise
    except Image.DecompressionBombError:
        raise InputsError(_("{name} has too many pixels (limit {limit} megapixels).")
                          .format(name=name, limit=fmt.number(MAX_IMAGE_PIXELS // 10**6))) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InputsError(_("{name} is not a readable image.").format(name=name)) from None


def _references(tables: list[tuple[str, bytes]]) -> dict[str, str]:
    refs: dict[str, str] = {}
    for name, data in tables:
        rows = _csv_rows(name, _decode(name, data))
        columns = list(dict.fromkeys(k for row in rows for k in row))
        file_col, ref_col = _pick(columns, FILE_COLUMNS), _pick(columns, REFERENCE_COLUMNS)
        if file_col is None or ref_col is None:
            raise InputsError(_("{name} should have a file column ({file_columns}) and a reference column "
                                "({reference_columns}) to give the files their references.").format(
                name=name, file_columns=", ".join(FILE_COLUMNS), reference_columns=", ".join(REFERENCE_COLUMNS)))
        for row in rows:
            if row.get(file_col) and _as_text(row.get(ref_col)):
                refs[PurePosixPath(row[file_col].strip()).name] = _as_text(row[ref_col])
    return refs


def parse_media(files: list[tuple[str, bytes]]) -> list[dict]:
    """Inputs from uploaded images or audio clips (zips unpacked), one per file in name order:
    ``{"text": file name, "reference": from a CSV among the files or None, "inputs": {"image"|"audio": bytes}}``."""
    found: list[tuple[str, bytes]] = []
    tables: list[tuple[str, bytes]] = []
    skipped: list[str] = []
    for name, data in files or []:
        members = _unzip(name, data) if name.lower().endswith(".zip") else [(name, data)]
        for member, blob in members:
            base = PurePosixPath(member).name
            if _media_kind(base):
                if len(blob) > MAX_FILE_BYTES:
                    raise InputsError(_("{name} is {size}; the limit per file is {limit}.").format(
                        name=base, size=fmt.size_bytes(len(blob)), limit=fmt.size_bytes(MAX_FILE_BYTES)))
                if not blob:
                    raise InputsError(_("{name} is empty.").format(name=base))
                found.append((member, blob))
            elif base.lower().endswith(".csv"):
                tables.append((base, blob))
            else:
                skipped.append(base)
    if not found:
        exts = {"images": ", ".join(IMAGE_EXTENSIONS), "audio": ", ".join(AUDIO_EXTENSIONS)}
        if skipped:
            text = _("No image or audio file to use (found only: {files}). Images: {images}; audio: {audio}; or a "
                     "zip of them.").format(files=", ".join(sorted(skipped)[:8]), **exts)
        else:
            text = _("No image or audio file to use. Images: {images}; audio: {audio}; or a zip of them."
                     ).format(**exts)
        raise InputsError(text)
    kinds = {_media_kind(n) for n, _blob in found}
    if len(kinds) > 1:
        raise InputsError(_("The files mix images and audio clips: a session's inputs are all of one kind."))
    if len(found) > MAX_ROWS:
        raise _too_many(len(found), upload=True)
    kind = kinds.pop()
    refs = _references(tables)
    found.sort(key=lambda f: f[0].lower())
    items = []
    for member, blob in found:
        base = PurePosixPath(member).name
        if kind == "image":
            _check_image(base, blob)
        items.append(_item(base, refs.get(base), {kind: blob}))
    return items


# ------------------------------------------------------------------ inputs vs the task
_IMAGE = N_("an image (upload image files or a zip of them)")
# input kind (lib.tasks.INPUT_KINDS) -> (keys every input needs, what to give, said for people: N_, shown with _())
_NEEDS = {
    "image": (("image",), _IMAGE),
    "image_labels": (("image",), _IMAGE),
    "image_question": (("image",), _IMAGE),
    "image_prompt": (("image",), _IMAGE),
    "audio": (("audio",), N_("an audio clip (upload audio files or a zip of them)")),
    "question_context": (("question", "context"), N_("a question and a context (a table with question and "
                                                     "context columns)")),
    "text_pair": (("source", "sentences"), N_("a source sentence and sentences to compare (a table with source "
                                              "and sentences columns)")),
    "table_question": (("table",), N_("a table and a question")),
}
_TEXT = (("text",), N_("some text"))


def check_kind(input_kind: str | None, items: list[dict]) -> None:
    """Raise InputsError when an input lacks what ``input_kind`` needs (text kinds need text)."""
    keys, what = _NEEDS.get(input_kind or "text", _TEXT)
    for n, item in enumerate(items, 1):
        raw = item.get("inputs") if isinstance(item, dict) else None
        raw = raw if isinstance(raw, dict) else {"text": item.get("text")} if isinstance(item, dict) else {}
        if keys == ("text",) and raw.get("messages"):
            continue
        missing = [k for k in keys if raw.get(k) in (None, "", b"")]
        if missing:
            raise InputsError(_("This task needs {what} for each input; input {n} has no {keys}.").format(
                what=_(what), n=fmt.number(n), keys=_(" or ").join(missing)))


# ------------------------------------------------------------------ references
def check_references(task: str, references: list[str | None], labels: list[str] | None) -> list[str]:
    """Problems with the references for ``task`` (empty list: none). ``labels``: the model's labels
    for a classification task (None where the task has no fixed labels)."""
    problems: list[str] = []
    given = [(n, r) for n, r in enumerate(references, 1) if r is not None and str(r).strip()]
    if given and len(given) < len(references):
        problems.append(_("Only {n} of {total} inputs have a reference: metrics will use those inputs only.")
                        .format(n=fmt.number(len(given)), total=fmt.number(len(references))))
    if labels:
        known = {str(label) for label in labels}
        folded = {str(label).casefold(): str(label) for label in labels}
        wrong = [(n, str(r).strip()) for n, r in given if str(r).strip() not in known]
        if wrong:
            shown = ", ".join(_("{reference} (input {n})").format(reference=repr(r), n=fmt.number(n))
                              for n, r in wrong[:5]) + (" …" if len(wrong) > 5 else "")
            hint = [f"{r!r} → {folded[r.casefold()]!r}" for _n, r in wrong[:3] if r.casefold() in folded]
            text = ngettext("{n} reference is not among the model's labels for {task}: {references}. Its labels: "
                            "{labels}.",
                            "{n} references are not among the model's labels for {task}: {references}. Its labels: "
                            "{labels}.", len(wrong)).format(
                n=fmt.number(len(wrong)), task=task, references=shown,
                labels=", ".join(sorted(known)[:12]) + (" …" if len(known) > 12 else ""))
            if hint:
                text += " " + _("Different case: {pairs}.").format(pairs=", ".join(hint))
            problems.append(text)
    return problems
