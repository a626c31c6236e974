"""The errors of evaluation sessions: each carries a message for people (shown as is, no traceback)."""
from __future__ import annotations

__all__ = ["SessionError", "SessionNotFound", "SessionFormatError", "InputsError"]


class SessionError(ValueError):
    """Something about a session cannot be done as asked; ``str(e)`` says what and why, for people."""


class SessionNotFound(SessionError):
    """No session with that id in this store."""


class SessionFormatError(SessionError):
    """A file to import is not a Hub Scout session export, or it is damaged; nothing was written."""


class InputsError(SessionError):
    """Typed or uploaded inputs cannot be used (empty, no text column, too many rows, unreadable...)."""
