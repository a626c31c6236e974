"""The Hub token: the one huggingface_hub would send (env ``HF_TOKEN``, then a saved login).

huggingface_hub's ``get_token`` is asked at each call (a login while the app runs counts); the
value is never stored, logged or shown: the UI only asks :func:`has_token`, and every text that may
reach a log or a page goes through :func:`redact` first.
"""
from __future__ import annotations

import re

__all__ = ["token", "has_token", "redact", "REDACTED"]

#: What a secret is replaced with.
REDACTED = "[redacted]"

# Token-shaped strings: Hugging Face tokens (user ``hf_…``, org ``api_org_…``, OAuth ``hf_oauth_…``),
# other services' well-known prefixes, JWTs, "Bearer …" / "token=…" style assignments, and long
# mixed-case letter+digit runs without separators (a hex commit hash is lowercase only, so it is left alone).
_TOKEN_PATTERNS = (
    re.compile(r"\b(?:hf|api_org|hf_oauth)_[A-Za-z0-9_]{8,}"),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat|glpat|xox[abprs]|sk|pk|rk)[-_][A-Za-z0-9_\-]{16,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(\bbearer\s+)[^\s'\"<>,;]{8,}"),
    re.compile(r"(?i)(\b(?:[a-z]+_)?(?:token|secret|password|passwd|api_?key|authorization)[\"']?\s*[:=]\s*[\"']?)"
               r"[^\s'\"<>,;&)]{8,}"),
    re.compile(r"(?<![A-Za-z0-9_\-])(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[0-9])"
               r"[A-Za-z0-9]{32,}(?![A-Za-z0-9_\-])"),
)


def token() -> str | None:
    """The token in use, or None (anonymous). A broken token file means None, not a crash."""
    from huggingface_hub import get_token

    try:
        return get_token()
    except Exception:  # an unreadable token file, or a failed OIDC exchange in CI
        return None


def has_token() -> bool:
    """Whether Hub calls carry a token (the sidebar says so; the value is never shown)."""
    return bool(token())


def redact(text: object, *secrets: str | None) -> str:
    """``text`` with every secret replaced by :data:`REDACTED`: the server's own Hub token wherever it
    appears (whatever its shape), any other ``secrets`` given, and token-shaped strings (``hf_…`` and
    the like, ``Bearer …``, ``token=…``)."""
    out = str(text)
    for secret in (token(), *secrets):
        if secret and len(secret) >= 4:
            out = out.replace(secret, REDACTED)
    for pattern in _TOKEN_PATTERNS:
        if pattern.groups:
            out = pattern.sub(lambda m: m.group(1) + REDACTED, out)
        else:
            out = pattern.sub(REDACTED, out)
    return out
