"""The one JSON encoder of sessions: outputs, raw inputs, settings and stats go through here, both
into the store's Text columns and into the export file.

* :func:`encode` turns a value into plain JSON values: ``bytes`` -> ``{"$bytes": base64}``, a numpy
  array -> ``{"$ndarray": {"dtype", "shape", "b64"}}`` (masks, audio, depth maps), a PIL image ->
  ``{"$image": PNG base64}``, numpy scalars -> Python numbers, tuples -> lists, NaN/inf -> None.
  :func:`decode` turns those markers back (numpy / PIL imported only when one is met).
  ``encode(encode(x)) == encode(x)``: an export's outputs can be stored again as they are.
* :func:`to_json` / :func:`from_json`: ``json.dumps(encode(x))`` / ``decode(json.loads(text))``.
* :func:`inputs_to_export` / :func:`inputs_from_export`: a raw runner input dict with media
  (``{"image": b"..."}``) <-> the export's shape, media as base64 under ``"media_b64"``
  (``{"media_b64": {"image": "iVBOR..."}}``).
* :func:`now_iso` / :func:`parse_time`: ISO-8601 UTC times, as stored and exported.
* :func:`error_dict`: a cell's error as stored and exported, ``{"title", "message"}``.
* :func:`plain_text`: text for a plain text column (NUL characters dropped: PostgreSQL refuses them;
  inside JSON they are escaped and kept).

Its errors (:class:`SessionFormatError`) are for people, in the language of the call; what it stores is data
(a cell's error title ``"Error"`` is stored as is: the page translates it where it shows it).
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lib.i18n import _

from .errors import SessionFormatError

__all__ = ["encode", "decode", "to_json", "from_json", "inputs_to_export", "inputs_from_export", "now_iso",
           "parse_time", "plain_text", "error_dict", "MEDIA_KEY"]

MEDIA_KEY = "media_b64"
_BYTES, _ARRAY, _IMAGE = "$bytes", "$ndarray", "$image"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    """``what``: the value, for people (translated by the caller)."""
    if not isinstance(text, str):
        raise SessionFormatError(_("The {what} should be base64 text.").format(what=what))
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise SessionFormatError(_("The {what} is not valid base64.").format(what=what)) from None


def encode(value: Any) -> Any:
    """``value`` as plain JSON values (see the module's docstring)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {_BYTES: _b64(bytes(value))}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode(dataclasses.asdict(value))
    kind = type(value).__module__.split(".")[0]
    if kind == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray):
            arr = np.ascontiguousarray(value)
            if arr.dtype == object:
                return encode(arr.tolist())
            return {_ARRAY: {"dtype": arr.dtype.str, "shape": list(arr.shape), "b64": _b64(arr.tobytes())}}
        if isinstance(value, np.generic):
            return encode(value.item())
    if kind == "PIL":
        import io

        buf = io.BytesIO()
        value.save(buf, format="PNG")
        return {_IMAGE: _b64(buf.getvalue())}
    if kind == "torch" and hasattr(value, "detach"):
        return encode(value.detach().cpu().numpy())
    raise TypeError(f"cannot store a {type(value).__name__} in a session")


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`: markers back to bytes, numpy arrays and PIL images."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, inner), = value.items()
        if key == _BYTES:
            return _unb64(inner, _("stored bytes"))
        if key == _ARRAY and isinstance(inner, dict):
            import numpy as np

            try:
                arr = np.frombuffer(_unb64(inner.get("b64"), _("stored array")), dtype=np.dtype(inner["dtype"]))
                return arr.reshape([int(n) for n in inner["shape"]]).copy()
            except (KeyError, TypeError, ValueError):
                raise SessionFormatError(_("A stored array is damaged (its dtype, shape or data do not fit).")
                                         ) from None
        if key == _IMAGE:
            import io

            from PIL import Image, UnidentifiedImageError

            try:
                img = Image.open(io.BytesIO(_unb64(inner, _("stored image"))))
                img.load()
                return img
            except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
                raise SessionFormatError(_("A stored image is damaged (not a PNG), or too large to open.")
                                         ) from None
    return {k: decode(v) for k, v in value.items()}


def to_json(value: Any) -> str:
    """``value`` as JSON text (compact, UTF-8 characters kept)."""
    return json.dumps(encode(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def from_json(text: str | bytes | None) -> Any:
    """The value :func:`to_json` wrote (None stays None). Bad JSON: SessionFormatError."""
    if text is None:
        return None
    try:
        return decode(json.loads(text))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SessionFormatError(_("Stored JSON cannot be read ({error}).").format(error=e)) from None


def inputs_to_export(raw: dict[str, Any]) -> dict[str, Any]:
    """A raw runner input dict in the export's shape: bytes (and files named by a ``Path``) move to
    ``"media_b64"`` as base64; everything else is :func:`encode` d."""
    out: dict[str, Any] = {}
    media: dict[str, str] = {}
    for key, value in raw.items():
        if key == MEDIA_KEY and isinstance(value, dict):
            media.update({str(k): v for k, v in value.items() if isinstance(v, str)})
        elif isinstance(value, (bytes, bytearray, memoryview)):
            media[str(key)] = _b64(bytes(value))
        elif isinstance(value, Path):
            media[str(key)] = _b64(value.read_bytes())
        else:
            out[str(key)] = encode(value)
    if media:
        out[MEDIA_KEY] = media
    return out


def inputs_from_export(data: dict[str, Any]) -> dict[str, Any]:
    """The raw runner input dict (media as bytes again) from :func:`inputs_to_export`'s shape."""
    out = {k: decode(v) for k, v in data.items() if k != MEDIA_KEY}
    media = data.get(MEDIA_KEY) or {}
    if not isinstance(media, dict):
        raise SessionFormatError(_("An input's {key} should map names to base64 text.").format(key=repr(MEDIA_KEY)))
    for key, value in media.items():
        out[key] = _unb64(value, _("input's {key} media").format(key=key))
    return out


def error_dict(error: Any) -> dict | None:
    """``{"title", "message"}`` from an exception (its ``title`` attribute, else its class name), a
    message, or such a dict; None stays None. Anything else: TypeError."""
    if error is None:
        return None
    if isinstance(error, BaseException):
        return {"title": str(getattr(error, "title", None) or type(error).__name__), "message": str(error)}
    if isinstance(error, str):
        return {"title": "Error", "message": error}
    if isinstance(error, dict):
        return {"title": str(error.get("title") or "Error"), "message": str(error.get("message") or "")}
    raise TypeError("An error should be given as {'title', 'message'}, a message or an exception.")


def plain_text(text: str | None) -> str | None:
    """``text`` without NUL characters (None stays None)."""
    return text.replace("\x00", "") if isinstance(text, str) and "\x00" in text else text


def now_iso() -> str:
    """Now, as ISO-8601 UTC with microseconds (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def parse_time(text: Any, what: str | None = None) -> datetime:
    """An ISO-8601 time as an aware UTC datetime (a time without zone is taken as UTC). ``what``: the value,
    for people (translated; default "time value")."""
    if isinstance(text, datetime):
        when = text
    else:
        what = what or _("time value")
        if not isinstance(text, str):
            raise SessionFormatError(_("The {what} should be an ISO-8601 time, e.g. 2026-01-31T12:00:00Z.")
                                     .format(what=what))
        try:
            when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise SessionFormatError(_("The {what} {value} is not an ISO-8601 time.")
                                     .format(what=what, value=repr(text[:40]))) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
