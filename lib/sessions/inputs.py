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

At most :data:`MAX_ROWS` inputs. Every bad case raises :class:`InputsError` with a message for people.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import PurePosixPath
from typing import Any

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


def _too_many(n: int, what: str) -> InputsError:
    return InputsError(f"{what} has {n:,} inputs; a session takes at most {MAX_ROWS}. Split it, or keep the "
                       f"first {MAX_ROWS}.")


def _item(text: str | None, reference: str | None = None, raw: dict | None = None) -> dict:
    return {"text": text, "reference": reference or None, "inputs": raw if raw is not None else {"text": text}}


def parse_text_lines(text: str) -> list[dict]:
    """One input per non-empty line of ``text`` (no references)."""
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise InputsError("Type at least one input (one per line).")
    if len(lines) > MAX_ROWS:
        raise _too_many(len(lines), "The text")
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
    raise InputsError(f"{name} cannot be read as text: save it as UTF-8 (in a spreadsheet: CSV UTF-8) and "
                      "upload it again.")


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
                raise InputsError(f"Line {reader.line_num} of {name} has more cells than its header "
                                  f"({len(fields)}): put quotes around texts that contain the separator "
                                  f"{dialect.delimiter!r}, or name every column in the header.")
            rows.append({k: v for k, v in row.items() if k is not None})
    except csv.Error as e:
        raise InputsError(f"{name} is not a readable CSV file ({e}).") from None
    if not fields:
        raise InputsError(f"{name} is empty: it needs a header row (e.g. text,reference) and one input per row.")
    return rows


def _json_rows(name: str, text: str) -> list[dict[str, Any]]:
    stripped = text.strip()
    if stripped.startswith("["):  # a JSON array of objects is accepted too
        try:
            rows = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise InputsError(f"{name} is not valid JSON (line {e.lineno}: {e.msg}).") from None
        numbered = list(enumerate(rows, 1)) if isinstance(rows, list) else [(1, rows)]
    else:
        numbered = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    numbered.append((n, json.loads(line)))
                except json.JSONDecodeError as e:
                    raise InputsError(f"Line {n} of {name} is not JSON ({e.msg}): JSON lines files hold one "
                                      'object per line, e.g. {"text": "...", "reference": "..."}.') from None
    for n, row in numbered:
        if not isinstance(row, dict):
            raise InputsError(f"Line {n} of {name} is not a JSON object: each line should be like "
                              '{"text": "...", "reference": "..."}.')
    return [row for _, row in numbered]


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
    name = PurePosixPath(filename or "the file").name
    if not data or not data.strip():
        raise InputsError(f"{name} is empty: it needs a header row (e.g. text,reference) and one input per row.")
    if len(data) > MAX_FILE_BYTES:
        raise InputsError(f"{name} is {len(data) / 10**6:.1f} MB; the limit is {MAX_FILE_BYTES // 10**6} MB.")
    text = _decode(name, data)
    lower = name.lower()
    is_json = lower.endswith((".jsonl", ".ndjson", ".json")) or (
        not lower.endswith((".csv", ".tsv")) and text.lstrip()[:1] in ("{", "["))
    rows = _json_rows(name, text) if is_json else _csv_rows(name, text)
    if not rows:
        raise InputsError(f"{name} has a header but no rows: add one input per row.")
    if len(rows) > MAX_ROWS:
        raise _too_many(len(rows), name)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    text_col = _pick(columns, TEXT_COLUMNS)
    ref_col = _pick(columns, REFERENCE_COLUMNS)
    if text_col is None:
        texty = [c for c in columns if c != ref_col and any(_is_text(row.get(c)) for row in rows)]
        if len(texty) != 1:
            shown = ", ".join(repr(c) for c in columns[:12]) or "none"
            raise InputsError(f"{name} has no text column: name one column {', '.join(TEXT_COLUMNS)} "
                              f"(and optionally one {', '.join(REFERENCE_COLUMNS)}). Its columns: {shown}.")
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
        raise InputsError(f"Every row of {name} has an empty {text_col!r}: nothing to run.")
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
            raise InputsError(f"{name} unpacks to more than {MAX_ZIP_BYTES // 10**6} MB.")
        out = []
        for info in infos:
            base = PurePosixPath(info.filename).name
            if info.filename.startswith("__MACOSX/") or base.startswith("."):
                continue
            if info.file_size > MAX_FILE_BYTES:
                raise InputsError(f"{base} in {name} is {info.file_size / 10**6:.1f} MB; the limit per file is "
                                  f"{MAX_FILE_BYTES // 10**6} MB.")
            out.append((info.filename, zf.read(info)))
        return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, OSError, EOFError) as e:
        raise InputsError(f"{name} is not a readable zip file ({e}).") from None


def _check_image(name: str, data: bytes) -> None:
    """A readable image within the runner's pixel limit (header and checksum only: fast)."""
    from PIL import Image, UnidentifiedImageError

    from lib.runner.inputs import MAX_IMAGE_PIXELS

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise InputsError(f"{name} is {img.width}×{img.height}: too many pixels (limit "
                                  f"{MAX_IMAGE_PIXELS // 10**6} megapixels).")
            img.verify()
    except InputsError:
        raise
    except Image.DecompressionBombError:
        raise InputsError(f"{name} has too many pixels (limit {MAX_IMAGE_PIXELS // 10**6} megapixels).") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InputsError(f"{name} is not a readable image.") from None


def _references(tables: list[tuple[str, bytes]]) -> dict[str, str]:
    refs: dict[str, str] = {}
    for name, data in tables:
        rows = _csv_rows(name, _decode(name, data))
        columns = list(dict.fromkeys(k for row in rows for k in row))
        file_col, ref_col = _pick(columns, FILE_COLUMNS), _pick(columns, REFERENCE_COLUMNS)
        if file_col is None or ref_col is None:
            raise InputsError(f"{name} should have a file column ({', '.join(FILE_COLUMNS)}) and a reference "
                              f"column ({', '.join(REFERENCE_COLUMNS)}) to give the files their references.")
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
                    raise InputsError(f"{base} is {len(blob) / 10**6:.1f} MB; the limit per file is "
                                      f"{MAX_FILE_BYTES // 10**6} MB.")
                if not blob:
                    raise InputsError(f"{base} is empty.")
                found.append((member, blob))
            elif base.lower().endswith(".csv"):
                tables.append((base, blob))
            else:
                skipped.append(base)
    if not found:
        what = f" (found only: {', '.join(sorted(skipped)[:8])})" if skipped else ""
        raise InputsError("No image or audio file to use" + what + f". Images: {', '.join(IMAGE_EXTENSIONS)}; "
                          f"audio: {', '.join(AUDIO_EXTENSIONS)}; or a zip of them.")
    kinds = {_media_kind(n) for n, _ in found}
    if len(kinds) > 1:
        raise InputsError("The files mix images and audio clips: a session's inputs are all of one kind.")
    if len(found) > MAX_ROWS:
        raise _too_many(len(found), "The upload")
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
_NEEDS = {  # input kind (lib.tasks.INPUT_KINDS) -> (keys every input needs, what to give, said for people)
    "image": (("image",), "an image (upload image files or a zip of them)"),
    "image_labels": (("image",), "an image (upload image files or a zip of them)"),
    "image_question": (("image",), "an image (upload image files or a zip of them)"),
    "image_prompt": (("image",), "an image (upload image files or a zip of them)"),
    "audio": (("audio",), "an audio clip (upload audio files or a zip of them)"),
    "question_context": (("question", "context"), "a question and a context (a table with question and "
                                                  "context columns)"),
    "text_pair": (("source", "sentences"), "a source sentence and sentences to compare (a table with source "
                                           "and sentences columns)"),
    "table_question": (("table",), "a table and a question"),
}


def check_kind(input_kind: str | None, items: list[dict]) -> None:
    """Raise InputsError when an input lacks what ``input_kind`` needs (text kinds need text)."""
    keys, what = _NEEDS.get(input_kind or "text", (("text",), "some text"))
    for n, item in enumerate(items, 1):
        raw = item.get("inputs") if isinstance(item, dict) else None
        raw = raw if isinstance(raw, dict) else {"text": item.get("text")} if isinstance(item, dict) else {}
        if keys == ("text",) and raw.get("messages"):
            continue
        missing = [k for k in keys if raw.get(k) in (None, "", b"")]
        if missing:
            raise InputsError(f"This task needs {what} for each input; input {n} has no {' or '.join(missing)}.")


# ------------------------------------------------------------------ references
def check_references(task: str, references: list[str | None], labels: list[str] | None) -> list[str]:
    """Problems with the references for ``task`` (empty list: none). ``labels``: the model's labels
    for a classification task (None where the task has no fixed labels)."""
    problems: list[str] = []
    given = [(n, r) for n, r in enumerate(references, 1) if r is not None and str(r).strip()]
    if given and len(given) < len(references):
        problems.append(f"Only {len(given)} of {len(references)} inputs have a reference: metrics will use those "
                        "inputs only.")
    if labels:
        known = {str(label) for label in labels}
        folded = {str(label).casefold(): str(label) for label in labels}
        wrong = [(n, str(r).strip()) for n, r in given if str(r).strip() not in known]
        if wrong:
            shown = ", ".join(f"{r!r} (input {n})" for n, r in wrong[:5]) + (" …" if len(wrong) > 5 else "")
            hint = [f"{r!r} → {folded[r.casefold()]!r}" for _, r in wrong[:3] if r.casefold() in folded]
            problems.append(
                f"{len(wrong)} reference{'s are' if len(wrong) > 1 else ' is'} not among the model's labels for "
                f"{task}: {shown}. Its labels: {', '.join(sorted(known)[:12])}"
                f"{' …' if len(known) > 12 else ''}." + (f" Different case: {', '.join(hint)}." if hint else ""))
    return problems
