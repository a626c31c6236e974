"""The one error of the Hub gateway: :class:`HubError`, with a ``kind`` for code and a message for people.

Every failure of a Hub call (listing, model info, a file, a snapshot) reaches the rest of Hub Scout
as a ``HubError``; :func:`classify` maps huggingface_hub's and the HTTP client's exceptions to it.

Kinds (``HubError.kind``):

==============  ====================================================================================
``offline``     HF_HUB_OFFLINE is set: the Hub is not asked.
``unreachable`` no connection (refused, name not resolved, connection closed without an answer).
``timeout``     the Hub did not answer within the deadline (:mod:`lib.hub.policy`).
``rate_limited`` 429; ``retry_after`` holds the seconds the Hub asked to wait, when it said.
``not_found``   no such model, revision or file (404); or the repo is private and the token has no access.
``gated``       the repo is gated and the token (or its absence) has no access.
``auth``        the Hub refused the token (401/403 on a repo that is not gated).
``server``      5xx.
``bad_answer``  the Hub answered something that cannot be read (not JSON, wrong shape, a bad config.json).
``invalid_id``  the model id is not a Hub id; nothing was sent.
``not_cached``  a local-only read (offline, or a fallback) found nothing in huggingface_hub's cache.
``rejected``    any other 4xx: the Hub rejected the request.
``disk_full``   the disk (or the download's size cap, standing in for it) filled during a download.
``cancelled``   the user stopped a download.
``error``       anything else (a disk error while saving a download …).
``credits``     402 from an inference provider: the account's inference credits are used up.
``no_provider`` no inference provider serves the model (for the task), or the named one does not.
``loading``     503 from an inference server: the model is still loading (or scaled to zero and waking).
``bad_url``     an inference URL that is not http(s), or a host this instance does not allow; nothing sent.
==============  ====================================================================================

Messages never carry a token, a server path or a Python traceback: the type name at most. They are
:class:`Later` texts: English in code (compared, logged, stored), in the language of whoever shows them
(``str()``, ``format()``, an f-string) — an error is kept (a remembered failure, a cached answer) and may be
shown later to someone who speaks another language.
"""
from __future__ import annotations

import errno
import json
from typing import Any

from lib.i18n import N_, Later

KINDS: tuple[str, ...] = ("offline", "unreachable", "timeout", "rate_limited", "not_found", "gated", "auth",
                          "server", "bad_answer", "invalid_id", "not_cached", "rejected", "disk_full", "cancelled",
                          "error", "credits", "no_provider", "loading", "bad_url")
# the kinds where the Hub (or the network) could not answer: a cached copy or the snapshot may stand in
UNAVAILABLE_KINDS = frozenset({"offline", "unreachable", "timeout", "rate_limited", "server", "bad_answer",
                               "not_cached", "error", "loading"})
OFFLINE_MESSAGE = Later(N_("Offline mode (HF_HUB_OFFLINE=1)"))
DISK_FULL_MESSAGE = Later(N_("The disk is full: the download stopped"))
BAD_ANSWER_MESSAGE = Later(N_("Hub returned data Hub Scout could not read"))


class HubError(Exception):
    """A Hub call that could not be answered.

    Attributes:
        kind: one of :data:`KINDS` (see the module doc).
        message: words for people, shown as is ("Hub answered slower than 3 s").
        status: the HTTP status when there was one.
        retry_after: seconds the Hub asked to wait (429), when known.
        repo_id: the model the call was about, when it was about one.
    """

    def __init__(self, message: str, kind: str = "error", *, status: int | None = None,
                 retry_after: int | None = None, repo_id: str | None = None):
        super().__init__(message)
        self.message = message
        if kind not in KINDS:
            raise ValueError(f"unknown HubError kind {kind!r}")  # i18n: a programmer's error
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.repo_id = repo_id

    @property
    def reason(self) -> str:
        """The message (the name the catalog's banners used)."""
        return self.message

    @property
    def unavailable(self) -> bool:
        """The Hub could not answer (as opposed to answering "no"): a cached copy may stand in."""
        return self.kind in UNAVAILABLE_KINDS

    def __str__(self) -> str:
        return str(self.message)

    def __repr__(self) -> str:
        return f"HubError({self.message!r}, kind={self.kind!r})"  # i18n: a repr for logs


def repo_not_found(repo_id: str) -> HubError:
    """The answer for a repo that does not exist, and the same one for a repo a visitor may not see
    (a private repo on a public instance): the two cannot be told apart."""
    return HubError(Later(N_("No model {model} on the Hub (or it is private and HF_TOKEN has no access)."),
                          model=repo_id), "not_found", status=404, repo_id=repo_id)


def _slower(t: float | None) -> Later:
    if t is None:
        return Later(N_("Hub answered slower than the deadline"))
    return Later(N_("Hub answered slower than {seconds} s"), seconds=f"{t:g}")


def _no_connection(t: float | None) -> Later:
    if t is None:
        return Later(N_("Hub unreachable (no connection within the deadline)"))
    return Later(N_("Hub unreachable (no connection within {seconds} s)"), seconds=f"{t:g}")


def retry_after_seconds(headers: Any) -> int | None:
    """Seconds to wait from a 429's ``Retry-After`` (or the Hub's ``RateLimit`` headers), if given."""
    raw = headers.get("Retry-After")
    if raw is not None:
        try:
            return max(0, int(float(raw)))
        except ValueError:
            pass
    try:
        from huggingface_hub.utils import parse_ratelimit_headers

        info = parse_ratelimit_headers(headers)
        return None if info is None else int(info.reset_in_seconds)
    except Exception:  # noqa: BLE001 - headers of an unexpected shape: no hint
        return None


def _hub_url(repo_id: str) -> str:
    return f"https://huggingface.co/{repo_id}"


def classify(err: BaseException, *, timeout: float | None = None, repo_id: str | None = None,
             filename: str | None = None, revision: str | None = None) -> HubError:
    """Map any exception of a Hub call to a :class:`HubError` with words for people.

    ``repo_id`` / ``filename`` / ``revision`` say what the call was about, for the message.
    """
    import httpx2
    from huggingface_hub.errors import (
        FileMetadataError,
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    what = dict(repo_id=repo_id)
    if isinstance(err, HubError):
        return err
    if isinstance(err, OfflineModeIsEnabled):
        return HubError(OFFLINE_MESSAGE, "offline", **what)
    if isinstance(err, LocalEntryNotFoundError):
        # hf_hub_download: the Hub failed and the file is not cached; the cause says why the Hub failed
        cause = err.__cause__ or err.__context__
        if cause is not None and cause is not err:
            return classify(cause, timeout=timeout, repo_id=repo_id, filename=filename, revision=revision)
        if filename and repo_id:
            msg = Later(N_("{file} of {model} is not in the local cache"), file=filename, model=repo_id)
        elif repo_id:
            msg = Later(N_("{model} is not in the local cache"), model=repo_id)
        else:
            msg = Later(N_("The file is not in the local cache"))
        return HubError(msg, "not_cached", **what)
    # repo-level answers first (they are HfHubHTTPErrors too)
    if isinstance(err, GatedRepoError):
        if repo_id:
            msg = Later(N_("{model} is gated: accept its conditions on {url} and set HF_TOKEN to a token with "
                           "access."), model=repo_id, url=_hub_url(repo_id))
        else:
            msg = Later(N_("This model is gated: accept its conditions on the Hub and set HF_TOKEN to a token "
                           "with access."))
        return HubError(msg, "gated", status=_status(err), **what)
    if isinstance(err, RevisionNotFoundError):
        if revision:
            msg = Later(N_("{model} has no revision {revision}."), model=repo_id, revision=repr(revision)) \
                if repo_id else Later(N_("The model has no revision {revision}."), revision=repr(revision))
        else:
            msg = Later(N_("{model} has no such revision."), model=repo_id) if repo_id else \
                Later(N_("The model has no such revision."))
        return HubError(msg, "not_found", status=404, **what)
    if isinstance(err, RepositoryNotFoundError):
        return repo_not_found(repo_id) if repo_id else HubError(Later(N_("Hub answered not found (404)")),
                                                                "not_found", status=404, **what)
    if isinstance(err, RemoteEntryNotFoundError):
        if repo_id and filename:
            msg = Later(N_("{model} has no {file}."), model=repo_id, file=filename)
        elif repo_id:
            msg = Later(N_("{model} has no such file."), model=repo_id)
        else:
            msg = Later(N_("Hub answered not found (404)"))
        return HubError(msg, "not_found", status=404, **what)
    if isinstance(err, httpx2.TimeoutException) and not isinstance(err, httpx2.ConnectTimeout):
        return HubError(_slower(timeout), "timeout", **what)
    if isinstance(err, httpx2.ConnectTimeout):
        return HubError(_no_connection(timeout), "unreachable", **what)
    if isinstance(err, httpx2.ConnectError):
        text = str(err).lower()
        msg = (Later(N_("Hub unreachable (connection refused)")) if "refused" in text else
               Later(N_("Hub unreachable (name not resolved)")) if "name" in text or "resolve" in text else
               Later(N_("Hub unreachable (no connection)")))
        return HubError(msg, "unreachable", **what)
    if isinstance(err, (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)):
        return HubError(Later(N_("Hub unreachable (connection closed without an answer)")), "unreachable", **what)
    if isinstance(err, httpx2.TransportError):
        return HubError(Later(N_("Hub unreachable ({error})"), error=type(err).__name__), "unreachable", **what)
    if isinstance(err, HfHubHTTPError) and err.response is not None:
        return _from_status(err, repo_id)
    if isinstance(err, OSError) and err.errno == errno.ENOSPC:
        return HubError(DISK_FULL_MESSAGE, "disk_full", **what)
    if isinstance(err, (FileMetadataError, ValueError, TypeError, KeyError, json.JSONDecodeError)):
        return HubError(BAD_ANSWER_MESSAGE, "bad_answer", **what)
    return HubError(Later(N_("Hub request failed ({error})"), error=type(err).__name__), "error", **what)


def _status(err: Any) -> int | None:
    resp = getattr(err, "response", None)
    return getattr(resp, "status_code", None)


def _from_status(err: Any, repo_id: str | None) -> HubError:
    status = err.response.status_code
    what = dict(status=status, repo_id=repo_id)
    if status == 429:
        retry = retry_after_seconds(err.response.headers)
        msg = Later(N_("Hub rate limit reached (429) — retry in {seconds} s"), seconds=retry) \
            if retry is not None else Later(N_("Hub rate limit reached (429) — retry later"))
        return HubError(msg, "rate_limited", retry_after=retry, **what)
    if status >= 500:
        return HubError(Later(N_("Hub server error ({status})"), status=status), "server", **what)
    # the Hub's own words (data, shown as it sent them), only when the call was not about one repo
    detail = (getattr(err, "server_message", None) or "").strip().rstrip(".") if not repo_id else ""
    if status in (401, 403):
        if repo_id:
            return HubError(Later(N_("The Hub refused access to {model} ({status}): check HF_TOKEN."),
                                  model=repo_id, status=status), "auth", **what)
        msg = Later(N_("Hub refused access ({status}): {detail} — check HF_TOKEN"), status=status, detail=detail) \
            if detail else Later(N_("Hub refused access ({status}) — check HF_TOKEN"), status=status)
        return HubError(msg, "auth", **what)
    if status == 404:
        if repo_id:
            return repo_not_found(repo_id)
        msg = Later(N_("Hub answered not found (404): {detail}"), detail=detail) if detail else \
            Later(N_("Hub answered not found (404)"))
        return HubError(msg, "not_found", **what)
    msg = Later(N_("Hub rejected the request ({status}): {detail}"), status=status, detail=detail) if detail else \
        Later(N_("Hub rejected the request ({status})"), status=status)
    return HubError(msg, "rejected", **what)
