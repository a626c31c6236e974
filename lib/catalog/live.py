"""The live catalog: one Hub ``/api/models`` request per search, every shown column in it.

The request goes through the Hub gateway (:func:`lib.hub.listing.list_models_page`, which says why
it is not ``HfApi.list_models`` itself: no timeout and 5 retries there); this module builds the exact
query ``HfApi.list_models`` would send (documented below; a test compares both) and turns the answer
into records. Every failure is a :class:`lib.hub.errors.HubError`.

Query mapping (huggingface_hub 2.4 ``list_models`` argument -> ``/api/models`` parameter):
task -> ``pipeline_tag``; search -> ``search``; author -> ``author``; library / language /
license -> repeated ``filter`` tags (``transformers``, ``en``, ``license:apache-2.0``);
params_min / params_max -> ``num_parameters=min:1B,max:8B`` (on the Hub's ``safetensors.total``);
gated -> ``gated=true|false``; providers -> ``inference_provider=all`` (models served by at least one
Inference Provider; ``list_models(inference_provider="all")``); sort -> ``sort`` (``trendingScore``, ``createdAt``,
``lastModified``, ``downloads``, ``likes``; always descending); limit -> ``limit``; columns ->
repeated ``expand``. ``min_downloads`` / ``min_likes`` are not Hub parameters: they are applied to
the page the Hub returned (a note says so).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lib.catalog.query import HUB_SORT, CatalogQuery
from lib.catalog.result import SearchResult, SourceInfo
from lib.format import Number
from lib.hub import listing, policy
from lib.hub.errors import BAD_ANSWER_MESSAGE, HubError
from lib.hub.providers import FIELD
from lib.hub.records import ModelRecord
from lib.i18n import N_, Later

DEFAULT_TIMEOUT = policy.LIST_TIMEOUT_S
# What one row of Discover shows; ``expand`` returns only these (plus id / _id).
EXPAND: tuple[str, ...] = (
    "author", "pipeline_tag", "library_name", "downloads", "likes", "trendingScore", "createdAt",
    "lastModified", "tags", "safetensors", "gated", "cardData",
    "private",  # the server's token lists its private repos too: a public instance drops them (lib.hub.listing)
    FIELD,  # inferenceProviderMapping: the Providers column (lib.hub.providers)
)
# huggingface_hub 2.4's ModelSort_T -> the API's sort key (what list_models sends).
_API_SORT = {"trending_score": "trendingScore", "created_at": "createdAt", "last_modified": "lastModified"}
MAX_PAGE = 1000  # the Hub's largest page


def format_param_count(n: int) -> str:
    """``num_parameters`` bound: the shortest exact ``K``/``M``/``B``/``T`` form, else the integer."""
    n = int(n)
    for suffix, mult in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n and n % mult == 0:
            return f"{n // mult}{suffix}"
    return str(n)


@dataclass
class LiveCatalog:
    """The Hub's model list, one request per search.

    token: a Hub token; None lets huggingface_hub use ``HF_TOKEN`` or the saved login, False sends none.
    timeout: seconds for the whole request (connection and answer).
    endpoint: Hub URL; None = huggingface_hub's ``HF_ENDPOINT``.
    """

    token: str | bool | None = None
    timeout: float = DEFAULT_TIMEOUT
    endpoint: str | None = None

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(kind="live", label=Later(N_("Hugging Face Hub (live)")), sources=(self._endpoint(),))

    def _endpoint(self) -> str:
        return listing.endpoint(self.endpoint)

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
        if q.providers:
            params.append(("inference_provider", "all"))
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
        """One page of the Hub's answer to ``q``; raises :class:`HubError` on any failure."""
        q = q.normalized()
        start = time.perf_counter()
        page = listing.list_models_page(self.build_params(q), token=self.token, endpoint_url=self.endpoint,
                                        timeout=self.timeout)
        records = _parse(page.items)
        has_next, n_requests = page.has_next, page.requests
        notes: list[str] = []
        kept = records
        if q.min_downloads:
            kept = [r for r in kept if (r.downloads or 0) >= q.min_downloads]
        if q.min_likes:
            kept = [r for r in kept if (r.likes or 0) >= q.min_likes]
        if q.min_downloads or q.min_likes:
            n = Number(len(records))
            if q.min_downloads and q.min_likes:
                notes.append(Later(N_("Minimum downloads and likes is not a Hub search parameter: applied here to "
                                      "the {n} models the Hub returned, so some matches may be missing."), n=n))
            elif q.min_downloads:
                notes.append(Later(N_("Minimum downloads is not a Hub search parameter: applied here to the {n} "
                                      "models the Hub returned, so some matches may be missing."), n=n))
            else:
                notes.append(Later(N_("Minimum likes is not a Hub search parameter: applied here to the {n} models "
                                      "the Hub returned, so some matches may be missing."), n=n))
        has_more = has_next or len(kept) > q.limit
        return SearchResult(
            records=kept[: q.limit], source=self.info, elapsed_s=time.perf_counter() - start,
            has_more=has_more, requests=n_requests, notes=tuple(notes),
        )


def _parse(items: Any) -> list[ModelRecord]:
    """Hub JSON list -> records; anything of the wrong shape is 'data Hub Scout could not read'."""
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        raise HubError(BAD_ANSWER_MESSAGE, kind="bad_answer")
    try:
        # the mapping was asked for (EXPAND): a model the Hub lists without one is served by none
        return [ModelRecord.from_api(i if i.get(FIELD) is not None else {**i, FIELD: []}) for i in items]
    except (TypeError, ValueError, AttributeError) as e:
        raise HubError(BAD_ANSWER_MESSAGE, kind="bad_answer") from e
