"""Typed runner errors. Every message is user-facing: the UI shows ``str(err)`` as is, in the language the
error was raised in (a job's thread speaks its submitter's language); ``title`` is given in the language current
where it is read.

A message is made fit for people when the error is built (:func:`lib.logs.for_people`): whatever text
an exception from transformers, torch, the file system or a model's own code carried, a page never
shows a server path, a snapshot hash, a class repr, an ``Errno`` or a token. :func:`described` turns
any other exception into such a text and logs its full detail (redacted) on the server.
"""
from __future__ import annotations

from lib.i18n import N_, _
from lib.logs import for_people, log_failure

__all__ = ["RunnerError", "NotRunnable", "TaskMismatch", "RemoteCodeRefused", "LoadRefused", "LoadTimeout",
           "ModelUnavailable", "LoadFailed", "RemoteFailed", "BadInput", "RunFailed", "DeviceUnavailable", "described"]

#: The longest message a runner error keeps (a designed message is far shorter).
MAX_MESSAGE_CHARS = 1200


def described(err: BaseException, context: str, limit: int = 300) -> str:
    """A short text for people about ``err`` (its first line, cleaned: no paths, class reprs, type
    names or tokens); the full detail with its traceback goes to the server log under ``context``."""
    log_failure(err, context, "runner")
    text = str(err).strip()
    first = text.splitlines()[0] if text else ""
    return for_people(first, limit) or _("an internal error (the details are in the server log)")


class _Title:
    """A class's title: kept in English (``N_``), read in the language current where it is read
    (``err.title`` / ``RemoteFailed.title``: a job's thread speaks its submitter's language)."""

    def __init__(self, message: str):
        self.message = message

    def __get__(self, obj, owner=None) -> str:
        return _(self.message)


class RunnerError(Exception):
    """Base class: a run or load that failed for a reason the user can act on."""

    title = _Title(N_("The model could not be run"))

    def __init__(self, message: str):
        message = for_people(message, MAX_MESSAGE_CHARS)
        super().__init__(message)
        self.message = message


class NotRunnable(RunnerError):
    """The task has no in-place runner (the reason says why; the code tab shows how to run it elsewhere)."""

    title = _Title(N_("Not runnable here"))


class TaskMismatch(RunnerError):
    """The checkpoint's architecture does not fit the task (transformers would load a random head)."""

    title = _Title(N_("Model and task do not match"))


class RemoteCodeRefused(RunnerError):
    """The model needs custom code from its repository and the user has not opted in."""

    title = _Title(N_("Custom code not allowed"))


class LoadRefused(RunnerError):
    """The caller's memory-fit check said the model is too large for this host."""

    title = _Title(N_("Model too large to load here"))


class LoadTimeout(RunnerError):
    """Download + load took longer than the limit."""

    title = _Title(N_("Loading timed out"))


class ModelUnavailable(RunnerError):
    """The model could not be found or downloaded (wrong id, gated, offline).

    Built from the Hub gateway's error (:meth:`from_hub`): ``kind`` is its
    :attr:`lib.hub.errors.HubError.kind` (``not_found``, ``gated``, ``offline`` …), None otherwise.
    """

    title = _Title(N_("Model not available"))

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        self.kind = kind

    @classmethod
    def from_hub(cls, err, prefix: str = "") -> ModelUnavailable:
        """From a :class:`lib.hub.errors.HubError`: its message (after ``prefix``) and kind."""
        return cls(f"{prefix}{err.message}", kind=err.kind)


class LoadFailed(RunnerError):
    """transformers could not build the model from its files."""

    title = _Title(N_("Model failed to load"))


class BadInput(RunnerError):
    """The inputs are missing, malformed or too large."""

    title = _Title(N_("Check the input"))


class RunFailed(RunnerError):
    """The model loaded but the forward pass / generation failed."""

    title = _Title(N_("The run failed"))


class DeviceUnavailable(RunnerError):
    """The requested device or dtype is not available here."""

    title = _Title(N_("Device not available"))


class RemoteFailed(RunnerError):
    """A remote run (Inference Providers, an Endpoint, a server URL) did not answer with a result.

    Built from the inference gateway's :class:`lib.hub.errors.HubError` (:meth:`from_hub`): ``kind`` is its
    kind (``auth``, ``credits``, ``no_provider``, ``not_found``, ``rate_limited``, ``loading``, ``timeout``,
    ``unreachable``, ``offline``, ``bad_url`` …) and ``retry_after`` the seconds the server asked to wait.
    """

    title = _Title(N_("The remote run failed"))

    def __init__(self, message: str, kind: str | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after

    @classmethod
    def from_hub(cls, err) -> RemoteFailed:
        return cls(err.message, kind=err.kind, retry_after=err.retry_after)
