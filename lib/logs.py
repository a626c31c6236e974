"""The server-side log and the text people see: one place for both.

A failure's full detail (exception type, message, traceback) goes to the ``hubscout`` logger, with
every secret redacted (:func:`lib.hub.auth.redact`); what a page shows is :func:`for_people`: the
same text without server paths (cache folders, snapshot hashes, home directories), Python class
reprs, ``[Errno …]`` prefixes, memory addresses or tokens. :func:`configure` (called by the page
frame) attaches one stderr handler that redacts whatever reaches it.
"""
from __future__ import annotations

import logging
import re
import sys
import traceback

from lib.i18n import _

__all__ = ["LOGGER_NAME", "configure", "logger", "for_people", "log_failure", "RedactingFilter"]

LOGGER_NAME = "hubscout"
MAX_PEOPLE_CHARS = 300

# a Hub cache path: .../models--owner--name[/snapshots/<sha>][/file] -> owner/name[/file]; the folders
# before "models--" are found by a walk to the left (:func:`_hub_cache_paths`), so the work stays linear
_PART = r"[A-Za-z0-9_.]+(?:-[A-Za-z0-9_.]+)*"
_HUB_CACHE = re.compile(rf"models--({_PART})--({_PART})(?:[/\\](?:snapshots|blobs|refs)(?:[/\\][0-9a-fA-F]{{7,64}})?)?"
                        r"((?:[/\\][^\s'\"`()\[\]{}<>,;/\\]+)*)")
_PATH_STOP = frozenset(" \t\r\n'\"`()[]{}<>,;")
_CLASS_REPR = re.compile(r"<(?:class|enum|module|function|built-in function|bound method) '?([\w.<>]+?)'?"
                         r"(?: (?:from|at|of) [^>]*)?>")
_OBJECT_REPR = re.compile(r"<([\w.]+) object at 0x[0-9a-fA-F]+>")
_ADDRESS = re.compile(r"\s*\bat 0x[0-9a-fA-F]{6,}")
_ERRNO = re.compile(r"\[(?:Errno|WinError) -?\d+\]\s*")
# an absolute or home-relative path (not the path part of a URL): its last component is kept
_PATH = re.compile(r"(?<![\w.:/\\~-])(?:~[\w.\-]*|[A-Za-z]:)?(?:[/\\][^\s'\"`()\[\]{}<>,;:/\\]+)+[/\\]?"
                   r"|(?<![\w.:/\\~-])~(?=[/\\'\"]|$)")
_HASH = re.compile(r"\b([0-9a-f]{7})[0-9a-f]{33}(?:[0-9a-f]{24})?\b")
_TYPE_PREFIX = re.compile(r"(?:^|(?<=: ))(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Warning|Interrupt|Exit):\s+")


def _hub_cache_paths(text: str) -> str:
    """Each Hub cache path as its repo id (and the file inside the repo, if any)."""
    out: list[str] = []
    pos = 0
    for m in _HUB_CACHE.finditer(text):
        start = m.start()
        while start > pos and text[start - 1] not in _PATH_STOP:  # the cache folders before it
            start -= 1
        out.append(text[pos:start])
        out.append(f"{m.group(1)}/{m.group(2)}" + (m.group(3) or "").replace("\\", "/"))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _last_part(match: re.Match) -> str:
    text = match.group(0).rstrip("/\\")
    parts = [p for p in re.split(r"[/\\]", text) if p]
    last = parts[-1] if parts else ""
    if not last or last.startswith("~") or re.fullmatch(r"[A-Za-z]:", last):
        return _("a folder on the server")
    return last


def for_people(text: object, limit: int | None = MAX_PEOPLE_CHARS) -> str:
    """``text`` fit to show on a page: tokens redacted, Hub cache paths as the repo id, other paths as
    their last component, ``<class 'a.b.C'>`` as ``C``, no ``[Errno …]``, memory addresses, Python
    exception-type prefixes nor tracebacks; one paragraph, at most ``limit`` characters."""
    from lib.hub.auth import redact

    out = redact(text)
    if "Traceback (most recent call last)" in out:
        out = out.split("Traceback (most recent call last)")[0].strip() or _("An internal error occurred.")
    out = _hub_cache_paths(out)
    out = _CLASS_REPR.sub(lambda m: m.group(1).rsplit(".", 1)[-1], out)
    out = _OBJECT_REPR.sub(lambda m: m.group(1).rsplit(".", 1)[-1], out)
    out = _ADDRESS.sub("", out)
    out = _ERRNO.sub("", out)
    out = _PATH.sub(_last_part, out)
    out = _HASH.sub(r"\1", out)
    out = out.strip()
    at_start = _TYPE_PREFIX.match(out) is not None
    out = _TYPE_PREFIX.sub("", out)
    if at_start:  # "ValueError: could not …" -> "Could not …"
        out = out[:1].upper() + out[1:]
    out = re.sub(r"\s*\n\s*", " ", out).strip()
    if limit is not None and len(out) > limit:
        out = out[: limit - 1].rstrip() + "…"
    return out


def logger(name: str = "") -> logging.Logger:
    """The ``hubscout`` logger (or its child ``hubscout.<name>``)."""
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)


def log_failure(err: BaseException, context: str, name: str = "") -> None:
    """Log ``err`` in full (type, message, traceback), redacted, under ``context``."""
    from lib.hub.auth import redact

    detail = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    logger(name).warning("%s", redact(f"{context}: {detail}".rstrip()))


class RedactingFilter(logging.Filter):
    """Redacts a record's message, arguments and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        from lib.hub.auth import redact

        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_HANDLER: logging.Handler | None = None


def configure(level: int = logging.INFO) -> logging.Logger:
    """One redacting stderr handler on the ``hubscout`` logger (idempotent); returns the logger."""
    global _HANDLER
    log = logger()
    if _HANDLER is None or _HANDLER not in log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        log.addHandler(handler)
        log.setLevel(level)
        log.propagate = False  # never reaches a handler that does not redact
        _HANDLER = handler
    return log
