"""Remote inference through huggingface_hub's ``InferenceClient``: the backend choice, its credentials, its
URL check and its failures in words.

A :class:`Backend` says where a remote run goes:

* ``Backend(kind="providers", provider="auto")`` (or a provider's name): Inference Providers through the
  Hugging Face router, with ``HF_TOKEN``;
* ``Backend(kind="url", url="https://…")``: a dedicated Inference Endpoint, or any TGI / vLLM /
  OpenAI-compatible base URL (default ``HUBSCOUT_INFERENCE_URL``), with ``HUBSCOUT_INFERENCE_TOKEN``;
  ``HF_TOKEN`` goes only to Hugging Face's own hosts, never to a server someone typed;
* ``Backend(kind="local")``: the local runner (nothing here applies).

:func:`client` checks first (offline: refused, no request; a URL: http(s) only, and on a public instance only
the hosts an admin allowed, :meth:`lib.access.Access.url_refusal`), then builds the client. :func:`classify`
maps whatever a call raised to one :class:`~lib.hub.errors.HubError` with words for people (401/403, 402
credits, no provider, 404, 429 with its wait, 503 while the model loads, timeouts, refused connections).
Tokens are never part of a message, a repr or a log line (:func:`lib.hub.auth.redact`).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from lib import format as fmt
from lib.hub import auth
from lib.hub.errors import HubError, retry_after_seconds
from lib.hub.policy import is_offline, offline_message
from lib.i18n import _

if TYPE_CHECKING:
    from huggingface_hub import InferenceClient

__all__ = ["Backend", "BACKEND_KINDS", "LOCAL_BACKEND", "client", "classify", "check_url", "credential",
           "own_token", "backend_token", "token_names", "sends_hf_token", "url_refusal", "with_token",
           "DEFAULT_TIMEOUT_S"]

class UrlPolicy(Protocol):
    """What :func:`check_url` asks of the visitor's access (:class:`lib.access.Access` has it)."""

    def url_refusal(self, host: str) -> str | None: ...


BACKEND_KINDS: tuple[str, ...] = ("local", "providers", "url")
DEFAULT_TIMEOUT_S = 60.0
# hosts that may receive the server's HF_TOKEN (Inference Endpoints, the router, the Hub itself)
_HF_HOST_SUFFIXES = (".huggingface.cloud", ".huggingface.co", ".hf.space")
_HF_HOSTS = frozenset({"huggingface.co", "router.huggingface.co"})


@dataclass(frozen=True)
class Backend:
    """Where a run goes (see the module doc).

    Attributes:
        kind: ``local`` / ``providers`` / ``url``.
        provider: ``auto`` or a provider's name (``providers`` only).
        url: the server's base URL (``url`` only; None: ``HUBSCOUT_INFERENCE_URL``).
        token: a token / API key for this backend alone (never shown: not in the repr); None: the settings'.
        chat: send text generation as chat completion (``/v1/chat/completions``, what providers and
            OpenAI-compatible servers serve); False: TGI's plain completion (the prompt continued).
        timeout_s: the longest wait for the server's next bytes.
    """

    kind: str = "local"
    provider: str = "auto"
    url: str | None = None
    token: str | None = field(default=None, repr=False, compare=False)
    chat: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.kind not in BACKEND_KINDS:
            # i18n: a programmer's error (the kinds are fixed)
            raise ValueError(f"unknown backend kind {self.kind!r}; one of {BACKEND_KINDS}")

    @property
    def remote(self) -> bool:
        return self.kind != "local"

    @property
    def base_url(self) -> str | None:
        """The URL a ``url`` backend uses (its own, else ``HUBSCOUT_INFERENCE_URL``)."""
        if self.kind != "url":
            return None
        if self.url:
            return self.url.strip().rstrip("/") or None
        from lib.settings import get_settings

        return (self.url or get_settings().inference_url or "").strip().rstrip("/") or None

    @property
    def label(self) -> str:
        """The backend in words: ``this machine``, ``Inference Providers (auto)``, ``host:port``."""
        if self.kind == "local":
            return _("this machine")
        if self.kind == "providers":
            return _("Inference Providers ({provider})").format(provider=self.provider or "auto")
        url = self.base_url
        return urlsplit(url).netloc if url else _("a URL (none set)")

    @classmethod
    def from_params(cls, backend: str | None, *, url: str | None = None, provider: str | None = None) -> Backend:
        """The backend a page's URL keeps (``backend=local|providers|url``, ``url=``, ``provider=``); an unknown
        kind is the local one."""
        kind = (backend or "local").strip().lower()
        if kind not in BACKEND_KINDS:
            kind = "local"
        return cls(kind=kind, provider=(provider or "auto").strip() or "auto", url=(url or "").strip() or None)

    def params(self) -> dict[str, str]:
        """The inverse of :meth:`from_params` (no token: a URL never carries one)."""
        out = {"backend": self.kind}
        if self.kind == "providers" and self.provider != "auto":
            out["provider"] = self.provider
        if self.kind == "url" and self.url:
            out["url"] = self.url
        return out


LOCAL_BACKEND = Backend()


def check_url(url: str | None, access: UrlPolicy | None = None, settings: Any = None) -> str:
    """``url`` checked: http or https with a host, and (public instance) a host the admin allowed. Returns it
    without a trailing slash; raises HubError ``bad_url`` (nothing sent)."""
    text = (url or "").strip()
    if not text:
        raise HubError(_("No server URL: enter one (or set HUBSCOUT_INFERENCE_URL)."), "bad_url")
    if len(text) > 2000 or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise HubError(_("The URL has spaces or control characters in it: enter the server's base URL alone."),
                       "bad_url")
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a bad port
    except ValueError:
        raise HubError(_("This is not a URL Hub Scout can send a request to."), "bad_url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise HubError(_("Only http:// and https:// URLs are allowed, not {scheme}:.").format(
            scheme=parts.scheme or _("no scheme")), "bad_url")
    if not parts.hostname:
        raise HubError(_("The URL has no host name."), "bad_url")
    if parts.username or parts.password:
        raise HubError(_("Put the token in HUBSCOUT_INFERENCE_TOKEN, not in the URL."), "bad_url")
    del port
    refusal = (access or _anonymous(settings)).url_refusal(parts.hostname)
    if refusal:
        raise HubError(refusal, "bad_url")
    return text.rstrip("/")


class _anonymous:
    """An anonymous visitor's URL policy, from the settings alone (lib.hub imports nothing above it: the runner
    passes the visitor's :class:`lib.access.Access`, whose ``url_refusal`` says the same for a non-admin)."""

    def __init__(self, settings: Any = None):
        self.settings = settings

    def url_refusal(self, host: str) -> str | None:
        from lib.settings import get_settings

        s = self.settings or get_settings()
        if not s.public:
            return None
        return url_refusal(s.inference_hosts, host)


def url_refusal(hosts: frozenset[str] | None, host: str) -> str | None:
    """Why a remote run may not go to ``host`` under ``hosts`` (None: any host; empty: none)."""
    if hosts is None or host.lower().rstrip(".") in hosts:
        return None
    if not hosts:
        return _("This public instance sends remote runs to Inference Providers only, not to a URL.")
    return _("This public instance sends remote runs only to {hosts}, not to {host}.").format(
        hosts=", ".join(sorted(hosts)), host=host)


def sends_hf_token(url: str, settings: Any = None) -> bool:
    """Whether the server's HF_TOKEN may go to ``url``: Hugging Face's own hosts (and the Hub endpoint in use)."""
    from lib.settings import get_settings

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in _HF_HOSTS or host.endswith(_HF_HOST_SUFFIXES):
        return parts.scheme == "https"
    return parts.netloc.lower() == urlsplit((settings or get_settings()).hub_endpoint).netloc.lower()


def token_names(backend: Backend) -> tuple[str, ...]:
    """The names a per-backend token is kept under (``HUBSCOUT_INFERENCE_TOKENS``, secrets' ``[inference_tokens]``),
    most specific first: a provider's name; a URL's ``host:port`` (the scheme's port when none is written), then
    its host."""
    if backend.kind == "providers":
        return ((backend.provider or "auto").strip().lower(),)
    if backend.kind != "url" or not backend.base_url:
        return ()
    try:
        parts = urlsplit(backend.base_url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return ()
    host = (parts.hostname or "").lower().rstrip(".")
    return (f"{host}:{port}", host) if port else (host,)


def backend_token(backend: Backend, tokens: Any) -> str | None:
    """The token ``tokens`` (a ``{name: token}`` mapping, or ``(name, token)`` pairs) holds for ``backend``."""
    if not tokens:
        return None
    table = {str(k).strip().lower(): v for k, v in (tokens.items() if hasattr(tokens, "items") else tokens)}
    for name in token_names(backend):
        token = table.get(name)
        if token and isinstance(token, str) and token.strip():
            return token.strip()
    return None


def own_token(backend: Backend, settings: Any = None) -> str | None:
    """A token for this backend alone: the backend's own (Streamlit secrets, passed in by the page), else
    ``HUBSCOUT_INFERENCE_TOKENS``'s entry for it; None when neither has one."""
    if backend.token:
        return backend.token
    if backend.kind == "local":
        return None
    from lib.settings import get_settings

    return backend_token(backend, (settings or get_settings()).inference_tokens)


def credential(backend: Backend, settings: Any = None) -> str | None:
    """The token a backend sends: its own (:func:`own_token`), else (URL) ``HUBSCOUT_INFERENCE_TOKEN``, else
    HF_TOKEN where it may go (providers always; a URL only on Hugging Face hosts). None: no Authorization
    header at all."""
    from lib.settings import get_settings

    s = settings or get_settings()
    own = own_token(backend, s)
    if own:
        return own
    if backend.kind == "url":
        own = s.inference_token
        if own:
            return own
        url = backend.base_url
        return auth.token() if url and sends_hf_token(url, s) else None
    return auth.token()


def client(backend: Backend, *, access: UrlPolicy | None = None, shared: bool = True) -> InferenceClient:
    """An ``InferenceClient`` for ``backend`` (checked: offline refused, URL checked; raises HubError).

    shared: one kept per backend (calls that answer at once). A stream needs ``shared=False`` and
    ``close()`` when done: the client holds each streamed response open until it is closed."""
    if backend.kind == "local":
        # i18n: a programmer's error
        raise ValueError("the local backend runs through lib.runner, not an InferenceClient")
    from lib.settings import get_settings

    settings = get_settings()  # read once for the checks below (each read compares the environment)
    if is_offline(settings):
        raise HubError(_("{offline}: remote runs are off.").format(offline=offline_message()), "offline")
    token = credential(backend, settings)
    if backend.kind == "url":
        key = ("url", check_url(backend.base_url, access, settings), token, backend.timeout_s)
    elif not token:
        raise HubError(_("Inference Providers need a Hugging Face token: set HF_TOKEN."), "auth")
    else:
        key = ("providers", backend.provider or "auto", token, backend.timeout_s)
    if not shared:
        return _new_client(key)
    with _clients_lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = _new_client(key)
            while len(_clients) > _MAX_CLIENTS:
                _clients.pop(next(iter(_clients)))
    return found


# clients kept per (kind, URL or provider, token, timeout): a client is a few headers around the shared
# HTTP session, and building one per call costs more than the rest of a call's own work
_clients: dict[tuple, InferenceClient] = {}
_clients_lock = threading.Lock()
_MAX_CLIENTS = 16


def _new_client(key: tuple) -> InferenceClient:
    from huggingface_hub import InferenceClient

    kind, where, token, timeout = key
    if kind == "url":
        # no token: drop the Authorization header huggingface_hub would fill with the saved HF token
        headers = None if token else {"authorization": None}
        return InferenceClient(base_url=where, token=token, timeout=timeout, headers=headers)
    return InferenceClient(provider=where, token=token, timeout=timeout)


def with_token(backend: Backend, token: str | None) -> Backend:
    """``backend`` with a per-backend token (e.g. from Streamlit secrets)."""
    return replace(backend, token=token)


# ------------------------------------------------------------------------------- failures
def _where(backend: Backend) -> str:
    if backend.kind == "providers":
        return "Inference Providers"  # i18n: the product's name
    return _("The server at {where}").format(where=backend.label)


def _token_hint(backend: Backend) -> str:
    if own_token(backend):
        names = token_names(backend)
        return _("the token for {name} (HUBSCOUT_INFERENCE_TOKENS or [inference_tokens] in the Streamlit "
                 "secrets)").format(name=names[0])
    return "HF_TOKEN" if backend.kind == "providers" else _("HUBSCOUT_INFERENCE_TOKEN (or HF_TOKEN for an Endpoint)")


def _body(response: Any) -> dict:
    try:
        data = json.loads(response.text or "{}")
    except Exception:  # noqa: BLE001 - a body that is not JSON (or not read: a stream)
        return {}
    return data if isinstance(data, dict) else {}


def _server_words(response: Any, backend: Backend) -> str:
    body = _body(response)
    err = body.get("error")
    if isinstance(err, dict):
        err = err.get("message")
    text = str(err or body.get("message") or body.get("detail") or "").strip().rstrip(".")
    return auth.redact(text[:200], credential(backend)) if text else ""


def _from_response(status: int, response: Any, backend: Backend, model: str | None) -> HubError:
    where = _where(backend)
    what = dict(status=status, repo_id=model)
    said = _server_words(response, backend)
    said = ": " + said if said else ""  # the server's own words (not translated), after a colon
    if status in (401, 403):
        return HubError(_("{where} refused the token ({status}): check {hint}.").format(
            where=where, status=status, hint=_token_hint(backend)), "auth", **what)
    if status == 402:
        return HubError(_("{where}: the account's inference credits are used up (402). Add credits or a "
                          "subscription on huggingface.co/settings/billing, or pick another backend.").format(
            where=where), "credits", **what)
    if status == 404:
        text = (_("{where} has no model {model} (404){said}.") if model else _("{where} has no model (404){said}."))
        return HubError(text.format(where=where, model=model, said=said), "not_found", **what)
    if status == 429:
        retry = retry_after_seconds(response.headers)
        text = (_("{where}: rate limit reached (429) — retry in {seconds} s.") if retry is not None
                else _("{where}: rate limit reached (429) — retry later."))
        return HubError(text.format(where=where, seconds=retry), "rate_limited", retry_after=retry, **what)
    if status == 503:
        retry = retry_after_seconds(response.headers)
        est = _body(response).get("estimated_time")
        if retry is None and isinstance(est, (int, float)):
            retry = max(1, int(est))
        text = (_("{where}: the model is loading (503) — about {seconds} s; try again shortly.") if retry is not None
                else _("{where}: the model is loading (503); try again shortly."))
        return HubError(text.format(where=where, seconds=retry), "loading", retry_after=retry, **what)
    if status >= 500:
        return HubError(_("{where} failed ({status}){said}.").format(where=where, status=status, said=said),
                        "server", **what)
    return HubError(_("{where} rejected the request ({status}){said}.").format(where=where, status=status, said=said),
                    "rejected", **what)


def classify(err: BaseException, backend: Backend, model: str | None = None) -> HubError:
    """Any exception of a remote call as a HubError with words for people (never a token, never a trace)."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError, TextGenerationError

    from lib.hub.errors import classify as hub_classify

    if isinstance(err, HubError):
        return err
    where = _where(backend)
    if isinstance(err, (InferenceTimeoutError, httpx2.TimeoutException)) and \
            not isinstance(err, httpx2.ConnectTimeout):
        return HubError(_("{where} answered slower than {seconds} s.").format(
            where=where, seconds=fmt.number(backend.timeout_s)), "timeout", repo_id=model)
    if isinstance(err, (httpx2.ConnectError, httpx2.ConnectTimeout)):
        text = (_("{where} could not be reached (connection refused).") if "refused" in str(err).lower()
                else _("{where} could not be reached (no connection)."))
        return HubError(text.format(where=where), "unreachable", repo_id=model)
    if isinstance(err, (httpx2.RemoteProtocolError, httpx2.ReadError)):
        return HubError(_("{where} closed the connection without a full answer.").format(where=where), "unreachable",
                        repo_id=model)
    if isinstance(err, HfHubHTTPError) and err.response is not None and backend.kind == "url":
        return _from_response(err.response.status_code, err.response, backend, model)
    if isinstance(err, HfHubHTTPError) and err.response is not None:
        status = err.response.status_code
        if status == 404 and "/api/models/" in str(getattr(err.response, "url", "")):
            return hub_classify(err, repo_id=model)  # the provider-mapping lookup: no such model on the Hub
        return _from_response(status, err.response, backend, model)
    if isinstance(err, TextGenerationError):
        cause = err.__cause__
        if isinstance(cause, HfHubHTTPError) and cause.response is not None:
            return _from_response(cause.response.status_code, cause.response, backend, model)
        said = auth.redact(str(err)[:200], credential(backend))
        kind = "rate_limited" if type(err).__name__ == "OverloadedError" else "server"
        return HubError(_("{where} stopped generating: {said}").format(where=where, said=said), kind, repo_id=model)
    if isinstance(err, RuntimeError) and isinstance(err.__cause__, StopIteration):
        err = err.__cause__  # a StopIteration raised inside a generator
    if isinstance(err, StopIteration) or (isinstance(err, ValueError) and _no_provider(str(err))):
        anyone, task = backend.provider in (None, "", "auto"), "Task" in str(err)
        if anyone:
            text = (_("{model} is not served by any provider for this task: try another provider, a URL, or this "
                      "machine.") if task
                    else _("{model} is not served by any provider: try another provider, a URL, or this machine."))
        else:
            text = (_("{model} is not served by provider {provider} for this task: try another provider, a URL, or "
                      "this machine.") if task
                    else _("{model} is not served by provider {provider}: try another provider, a URL, or this "
                           "machine."))
        return HubError(text.format(model=model or _("This model"), provider=backend.provider), "no_provider",
                        repo_id=model)
    if isinstance(err, (ValueError, KeyError, TypeError, json.JSONDecodeError)):
        return HubError(_("{where} answered something Hub Scout could not read.").format(where=where), "bad_answer",
                        repo_id=model)
    return hub_classify(err, repo_id=model)


def _no_provider(text: str) -> bool:
    t = text.lower()
    return ("provider mapping" in t or "not supported for provider" in t or "provider '" in t
            or "no provider" in t)
