"""The Hub token: the one huggingface_hub would send (env ``HF_TOKEN``, then a saved login).

huggingface_hub's ``get_token`` is asked at each call (a login while the app runs counts); the
value is never stored, logged or shown: the UI only asks :func:`has_token`.
"""
from __future__ import annotations

__all__ = ["token", "has_token"]


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
