"""Hub model ids: the one check every id passes before anything is sent to the Hub."""
from __future__ import annotations

import re
import unicodedata

from lib.hub.errors import HubError

_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.\-]{0,95}/)?[A-Za-z0-9][\w.\-]{0,95}$")
HUB_PREFIX = "https://huggingface.co/"


def validate_model_id(model_id: str) -> str:
    """Strip and check a Hub model id (``owner/name`` or legacy ``name``; a huggingface.co link is
    accepted); raise :class:`HubError` (kind ``invalid_id``) otherwise."""
    mid = (model_id or "").strip().strip("/")
    if mid.startswith(HUB_PREFIX):
        mid = mid[len(HUB_PREFIX):].strip("/")
    if not mid or not _REPO_ID.match(mid) or ".." in mid or "--" in mid or mid.endswith((".", "-")):
        raise HubError(
            f"“{shown_text(model_id)}” is not a valid Hub model id: use owner/name with letters, digits, "
            "'-', '_' or '.' (for example Qwen/Qwen2.5-0.5B-Instruct).", "invalid_id")
    return mid


def shown_text(text: str | None, limit: int = 80) -> str:
    """``text`` as a message may echo it back: control and direction characters (NUL, U+202E …) made
    visible as ``\\x…`` escapes, at most ``limit`` characters (a 10 KB value is not echoed whole)."""
    text = str(text or "")
    cut = len(text) > limit
    text = text[:limit]
    out = "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch == " "
                  else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return out + ("…" if cut else "")
