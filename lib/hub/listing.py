"""The Hub's model list: one ``GET /api/models`` request per page, the same request as ``HfApi.list_models``.

Why not ``HfApi.list_models`` itself: in huggingface_hub 2.4 it takes no timeout (it waits forever
on a stalled Hub) and goes through ``http_backoff``, which retries 5 times on connection errors,
timeouts, 429 and 5xx with 1-2-4-8-8 s sleeps (``Retry-After`` + 1 s on 429): a dead Hub would cost
~23 s and a rate-limited one would be hammered again. So this module sends the exact request
``list_models`` sends (the caller builds the parameters as ``list_models`` does: see
``lib.catalog.live``; a test compares both requests) through huggingface_hub's own HTTP session
(``get_session``), headers (``build_hf_headers``: user agent, ``HF_TOKEN`` / saved token) and error
parsing (``hf_raise_for_status``), under the gateway's policy: one attempt, a client timeout and a
deadline for the whole call. It also keeps the ``Link`` header that ``list_models`` throws away, so
``has_next`` is exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib.hub import policy
from lib.hub.errors import HubError


@dataclass(frozen=True)
class ModelPage:
    """One page of ``/api/models``: the JSON items as received, whether a next page exists
    (``Link: rel="next"``) and the HTTP requests it cost."""

    items: Any
    has_next: bool
    requests: int


def endpoint(override: str | None = None) -> str:
    """The Hub URL in use: ``override``, else huggingface_hub's ``HF_ENDPOINT``."""
    from huggingface_hub import constants

    return (override or constants.ENDPOINT).rstrip("/")


def list_models_page(params: list[tuple[str, str]], *, token: str | bool | None = None,
                     endpoint_url: str | None = None, timeout: float | None = None) -> ModelPage:
    """``GET {endpoint}/api/models?{params}`` once; raises :class:`HubError` on any failure.

    token: None lets huggingface_hub use ``HF_TOKEN`` or the saved login, False sends none.
    timeout: seconds for the whole call (default: the policy's search deadline).
    """
    if policy.is_offline():
        raise HubError(policy.offline_message(), "offline")
    timeout = policy.current().list_timeout if timeout is None else timeout
    url = f"{endpoint(endpoint_url)}/api/models"  # i18n: a URL

    def get() -> ModelPage:
        import httpx2
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        headers = build_hf_headers(token=token)
        with policy.count_requests() as counter:
            r = get_session().get(url, params=params, headers=headers, timeout=httpx2.Timeout(timeout))
            hf_raise_for_status(r)
            items = r.json()
        return ModelPage(items, bool(r.links.get("next")), counter.count)

    page = policy.call(get, deadline=timeout, attempts=1)
    from lib.settings import get_settings

    if get_settings().public and isinstance(page.items, list):  # the server's token lists its private repos too
        page = ModelPage([m for m in page.items if not (isinstance(m, dict) and m.get("private"))],
                         page.has_next, page.requests)
    return page
