"""The live catalog: one Hub ``/api/models`` request per search, every shown column in it.

Why not ``HfApi.list_models`` itself: in huggingface_hub 2.4 it takes no timeout (it waits
forever on a stalled Hub) and goes through ``http_backoff``, which retries 5 times on connection
errors, timeouts, 429 and 5xx with 1-2-4-8-8 s sleeps (``Retry-After`` + 1 s on 429): a dead Hub
would cost ~23 s and a rate-limited one would be hammered again. So this module sends the exact
request ``list_models`` sends (same parameters, same encoding, documented below) through
huggingface_hub's own HTTP session (``get_session``), headers (``build_hf_headers``: user agent,
``HF_TOKEN`` / saved token) and error parsing (``hf_raise_for_status``), with one attempt, a
client timeout and a deadline for the whole call. It also keeps the ``Link`` header that
``list_models`` throws away, so ``has_more`` is exact.

Query mapping (huggingface_hub 2.4 ``list_models`` argument -> ``/api/models`` parameter):
task -> ``pipeline_tag``; search -> ``search``; author -> ``author``; library / language /
license -> repeated ``filter`` tags (``transformers``, ``en``, ``license:apache-2.0``);
params_min / params_max -> ``num_parameters=min:1B,max:8B`` (on the Hub's ``safetensors.total``);
gated -> ``gated=true|false``; sort -> ``sort`` (``trendingScore``, ``createdAt``,
``lastModified``, ``downloads``, ``likes``; always descending); limit -> ``limit``; columns ->
repeated ``expand``. ``min_downloads`` / ``min_likes`` are not Hub parameters: they are applied to
the page the Hub returned (a note says so).
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from lib.catalog.query import HUB_SORT, CatalogQuery
from lib.catalog.result import SearchResult, SourceInfo
from lib.hub.records import ModelRecord

DEFAULT_TIMEOUT = 3.0
# What one row of Discover shows; ``expand`` returns only these (plus id / _id).
EXPAND: tuple[str, ...] = (
    "author", "pipeline_tag", "library_name", "downloads", "likes", "trendingScore", "createdAt",
    "lastModified", "tags", "safetensors", "gated", "cardData",
)
# huggingface_hub 2.4's ModelSort_T -> the API's sort key (what list_models sends).
_API_SORT = {"trending_score": "trendingScore", "created_at": "createdAt", "last_modified": "lastModified"}
MAX_PAGE = 1000  # the Hub's largest page


class HubUnavailable(Exception):
    """The Hub could not answer a catalog or model request.

    Attributes:
        reason: human words for the UI ("Hub answered slower than 3 s").
        kind: ``offline``, ``unreachable``, ``timeout``, ``rate_limit``, ``server``, ``not_found``,
            ``auth``, ``bad_request``, ``garbage`` or ``error``.
        status: the HTTP status when there was one.
        retry_after: seconds the Hub asked to wait (429), when known.
    """

    def __init__(self, reason: str, *, kind: str = "error", status: int | None = None,
                 retry_after: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.reason


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set now or was at import of huggingface_hub."""
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return constants.is_offline_mode() or env.strip().upper() in {"1", "ON", "YES", "TRUE"}


def format_param_count(n: int) -> str:
    """``num_parameters`` bound: the shortest exact ``K``/``M``/``B``/``T`` form, else the integer."""
    n = int(n)
    for suffix, mult in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n and n % mult == 0:
            return f"{n // mult}{suffix}"
    return str(n)


def _seconds(t: float) -> str:
    return f"{t:g} s"


def classify_error(err: BaseException, timeout: float) -> HubUnavailable:
    """Map any exception of a Hub call to a :class:`HubUnavailable` with human words."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(err, HubUnavailable):
        return err
    if isinstance(err, OfflineModeIsEnabled):
        return HubUnavailable("Offline mode (HF_HUB_OFFLINE=1)", kind="offline")
    if isinstance(err, httpx2.TimeoutException) and not isinstance(err, httpx2.ConnectTimeout):
        return HubUnavailable(f"Hub answered slower than {_seconds(timeout)}", kind="timeout")
    if isinstance(err, httpx2.ConnectTimeout):
        return HubUnavailable(f"Hub unreachable (no connection within {_seconds(timeout)})", kind="unreachable")
    if isinstance(err, httpx2.ConnectError):
        text = str(err).lower()
        why = ("connection refused" if "refused" in text else
               "name not resolved" if "name" in text or "resolve" in text else "no connection")
        return HubUnavailable(f"Hub unreachable ({why})", kind="unreachable")
    if isinstance(err, (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)):
        return HubUnavailable("Hub unreachable (connection closed without an answer)", kind="unreachable")
    if isinstance(err, httpx2.TransportError):
        return HubUnavailable(f"Hub unreachable ({type(err).__name__})", kind="unreachable")
    if isinstance(err, HfHubHTTPError) and err.response is not None:
        status = err.response.status_code
        if status == 429:
            retry = _retry_after(err.response.headers)
            wait = f" — retry in {retry} s" if retry is not None else " — retry later"
            return HubUnavailable(f"Hub rate limit reached (429){wait}", kind="rate_limit", status=429,
                                  retry_after=retry)
        if status >= 500:
            return HubUnavailable(f"Hub server error ({status})", kind="server", status=status)
        msg = (getattr(err, "server_message", None) or "").strip().rstrip(".")
        if status in (401, 403):
            return HubUnavailable(f"Hub refused access ({status}){': ' + msg if msg else ''} — check HF_TOKEN",
                                  kind="auth", status=status)
        if status == 404:
            return HubUnavailable(f"Hub answered not found (404){': ' + msg if msg else ''}", kind="not_found",
                                  status=404)
        return HubUnavailable(f"Hub rejected the request ({status}){': ' + msg if msg else ''}",
                              kind="bad_request", status=status)
    if isinstance(err, (ValueError, TypeError, KeyError, json.JSONDecodeError)):
        return HubUnavailable("Hub returned data Hub Scout could not read", kind="garbage")
    return HubUnavailable(f"Hub request failed ({type(err).__name__})", kind="error")


def _retry_after(headers: Any) -> int | None:
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
    except Exception:
        return None


def run_with_deadline(fn, timeout: float):
    """Run ``fn()`` in a daemon thread; raise HubUnavailable(timeout) if it takes longer than ``timeout``.

    Exceptions raised by ``fn`` are re-raised here. The thread is left to finish on its own (each
    Hub call also carries a client timeout, so it does not linger).
    """
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            box["error"] = e

    t = threading.Thread(target=target, name="hub-call", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise HubUnavailable(f"Hub answered slower than {_seconds(timeout)}", kind="timeout")
    if "error" in box:
        raise box["error"]
    return box["value"]


@dataclass
class LiveCatalog:
    """The Hub's model list, one request per search.

    token: a Hub token; None lets huggingface_hub use ``HF_TOKEN`` or the saved login, False sends none.
    timeout: seconds for the whole call (connection, answer and parsing).
    endpoint: Hub URL; None = huggingface_hub's ``HF_ENDPOINT``.
    """

    token: str | bool | None = None
    timeout: float = DEFAULT_TIMEOUT
    endpoint: str | None = None

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(kind="live", label="Hugging Face Hub (live)", sources=(self._endpoint(),))

    def _endpoint(self) -> str:
        from huggingface_hub import constants
        return (self.endpoint or constants.ENDPOINT).rstrip("/")

    def fetch_limit(self, q: CatalogQuery) -> int:
        """How many rows to ask for: the limit, or more when client-side minimums will drop rows.

        When the only minimum is on the sort key itself (min downloads while sorting by downloads)
        the Hub's order already puts every qualifying model first, so the limit suffices.
        """
        q = q.normalized()
        mins = {k for k, v in (("downloads", q.min_downloads), ("likes", q.min_likes)) if v}
        if not mins or mins == {q.sort}:
            return q.limit
        return min(MAX_PAGE, max(q.limit * 5, 200))

    def build_params(self, q: CatalogQuery) -> list[tuple[str, str]]:
        """The exact query string (ordered pairs) sent to ``/api/models``, as list_models builds it."""
        q = q.normalized()
        tags = [t for t in (q.library, q.language) if t]
        if q.license:
            tags.append(q.license if q.license.startswith("license:") else f"license:{q.license}")
        params: list[tuple[str, str]] = [("filter", t) for t in tags]
        if q.author:
            params.append(("author", q.author))
        if q.gated is not None:
            params.append(("gated", "true" if q.gated else "false"))
        if q.task:
            params.append(("pipeline_tag", q.task))
        bounds = []
        if q.params_min is not None:
            bounds.append(f"min:{format_param_count(q.params_min)}")
        if q.params_max is not None:
            bounds.append(f"max:{format_param_count(q.params_max)}")
        if bounds:
            params.append(("num_parameters", ",".join(bounds)))
        if q.search:
            params.append(("search", q.search))
        hub_sort = HUB_SORT.get(q.sort, "downloads")
        params.append(("sort", _API_SORT.get(hub_sort, hub_sort)))
        params.append(("limit", str(self.fetch_limit(q))))
        params.extend(("expand", e) for e in EXPAND)
        return params

    def search(self, q: CatalogQuery) -> SearchResult:
        """One page of the Hub's answer to ``q``; raises :class:`HubUnavailable` on any failure."""
        q = q.normalized()
        if hub_offline():
            raise HubUnavailable("Offline mode (HF_HUB_OFFLINE=1)", kind="offline")
        start = time.perf_counter()
        params = self.build_params(q)
        try:
            items, has_next, n_requests = run_with_deadline(lambda: self._get(params), self.timeout)
        except Exception as e:  # noqa: BLE001 - every failure becomes a reason for the UI
            raise classify_error(e, self.timeout) from e
        records = _parse(items)
        notes: list[str] = []
        kept = records
        if q.min_downloads:
            kept = [r for r in kept if (r.downloads or 0) >= q.min_downloads]
        if q.min_likes:
            kept = [r for r in kept if (r.likes or 0) >= q.min_likes]
        if q.min_downloads or q.min_likes:
            what = " and ".join(w for w, v in (("downloads", q.min_downloads), ("likes", q.min_likes)) if v)
            notes.append(f"Minimum {what} is not a Hub search parameter: applied here to the "
                         f"{len(records)} models the Hub returned, so some matches may be missing.")
        has_more = has_next or len(kept) > q.limit
        return SearchResult(
            records=kept[: q.limit], source=self.info, elapsed_s=time.perf_counter() - start,
            has_more=has_more, requests=n_requests, notes=tuple(notes),
        )

    def _get(self, params: list[tuple[str, str]]) -> tuple[Any, bool, int]:
        import httpx2
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        from lib.hub.client import count_requests

        headers = build_hf_headers(token=self.token)
        with count_requests() as counter:
            r = get_session().get(f"{self._endpoint()}/api/models", params=params, headers=headers,
                                  timeout=httpx2.Timeout(self.timeout))
            hf_raise_for_status(r)
            items = r.json()
        return items, bool(r.links.get("next")), counter.count


def _parse(items: Any) -> list[ModelRecord]:
    """Hub JSON list -> records; anything of the wrong shape is 'data Hub Scout could not read'."""
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        raise HubUnavailable("Hub returned data Hub Scout could not read", kind="garbage")
    try:
        return [ModelRecord.from_api(i) for i in items]
    except (TypeError, ValueError, AttributeError) as e:
        raise HubUnavailable("Hub returned data Hub Scout could not read", kind="garbage") from e
