"""Hub model ids: the one check every id passes before anything is sent to the Hub."""
from __future__ import annotations

import re

from lib.format import shown_value
from lib.hub.errors import HubError
from lib.i18n import N_, Later

_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.\-]{0,95}/)?[A-Za-z0-9][\w.\-]{0,95}$")
HUB_PREFIX = "https://huggingface.co/"


def validate_model_id(model_id: str) -> str:
    """Strip and check a Hub model id (``owner/name`` or legacy ``name``; a huggingface.co link is
    accepted); raise :class:`HubError` (kind ``invalid_id``) otherwise."""
    mid = (model_id or "").strip().strip("/")
    if mid.startswith(HUB_PREFIX):
        mid = mid[len(HUB_PREFIX):].strip("/")
    if not mid or not _REPO_ID.match(mid) or ".." in mid or "--" in mid or mid.endswith((".", "-")):
        raise HubError(Later(
            N_("“{model}” is not a valid Hub model id: use owner/name with letters, digits, "
               "'-', '_' or '.' (for example Qwen/Qwen2.5-0.5B-Instruct)."), model=shown_value(model_id)),
            "invalid_id")
    return mid

