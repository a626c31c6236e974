"""Cached access to the catalog and the Hub for the pages.

Searches: ``st.cache_data`` with a TTL. Repeating a query within ``HUBSCOUT_CACHE_TTL`` seconds
(default 600) answers from the cache and makes no new Hub request. Answers that fell back to the
snapshot are not cached: the next rerun asks ``lib.catalog.source`` again, which remembers a Hub
failure for a while and goes straight to the snapshot meanwhile (no live timeout on every filter
change), then retries the Hub. ``live``-mode failures (:class:`~lib.hub.errors.HubError`) propagate to
the page and are never cached.

Model facts: not cached here. The Hub gateway keeps one per-process cache of them
(:mod:`lib.hub.facts`, same TTL, failures kept only briefly) shared with the test-drive and the
runner, so a model the Model page looked up is not fetched again when it is run.
"""
from __future__ import annotations

import streamlit as st

from lib import i18n
from lib.catalog import source
from lib.catalog.query import CatalogQuery
from lib.catalog.result import SearchResult, SourceInfo
from lib.hub import facts as hub_facts
from lib.hub.errors import HubError

__all__ = ["HubError", "search", "facets", "snapshot_info", "snapshot_problem", "mode_from_env",
           "clear", "forget_hub_down", "CACHE_TTL_S", "model_lookup", "forget_model", "config_param_count",
           "config_param_split", "local_ids", "local_inventory", "forget_local", "LOCAL_TTL_S"]

#: seconds the local cache's listing is kept (a download or delete here clears it at once).
LOCAL_TTL_S = 60

CACHE_TTL_S = int(hub_facts.cache_ttl())


@st.cache_data(ttl=CACHE_TTL_S, max_entries=512, show_spinner=False)
def _search(params: tuple[tuple[str, str], ...], mode: str) -> SearchResult:
    result = source.search(CatalogQuery.from_params(dict(params)), mode=mode)
    if result.fallback_reason:
        raise _FellBack(result)
    return result


class _FellBack(Exception):
    """Carries an auto-mode answer that fell back, so that st.cache_data does not keep it."""

    def __init__(self, result: SearchResult):
        super().__init__(result.fallback_reason)
        self.result = result


def search(query: CatalogQuery, mode: str) -> SearchResult:
    """``lib.catalog.source.search`` through the cache (see module doc)."""
    params = tuple(sorted(query.normalized().to_params().items()))
    try:
        return _search(params, mode)
    except _FellBack as fb:
        return fb.result


def forget_hub_down() -> None:
    """Ask the Hub again on the next auto-mode search (e.g. after the user switched modes)."""
    source.forget_hub_failure()


def clear() -> None:
    """Drop cached answers (tests, "refresh" buttons)."""
    _search.clear()
    _facets.clear()
    hub_facts.forget()
    forget_hub_down()


@st.cache_data(show_spinner=False)
def _facets() -> dict[str, list[tuple[str, int]]]:
    return source.current_snapshot().facets()


def facets() -> dict[str, list[tuple[str, int]]]:
    """Filter choices (library, language, license, task) with counts, from the snapshot."""
    return _facets()


def snapshot_info() -> tuple[SourceInfo, int]:
    """The snapshot in use and its number of models (cheap: the snapshot is loaded once)."""
    snap = source.current_snapshot()
    return snap.info, len(snap)


def snapshot_problem() -> str | None:
    """Why the user's snapshot file is not in use, if it isn't (shown in the sidebar)."""
    return source.snapshot_problem()


def mode_from_env() -> str:
    return source.mode_from_env()


# ---- model page -----------------------------------------------------------------------------------
def model_lookup(model_id: str, offline: bool, token_set: bool = False):
    """``lib.model_lookup.lookup``: the Model page's Hub requests (details, card, config.json) happen once
    per model per ``HUBSCOUT_CACHE_TTL`` seconds, in the gateway's facts cache that the test-drive and
    the runner share; reruns (a slider moved) make none. ``token_set`` is kept for callers: the
    gateway keys its cache by the token in use."""
    from lib import model_lookup

    return model_lookup.lookup(model_id, offline=offline)


def forget_model(model_id: str, offline: bool = False, token_set: bool = False) -> None:
    """Drop one model's cached facts (a "Refresh" button): the next lookup asks the Hub again."""
    from lib.hub.ids import validate_model_id

    try:
        hub_facts.forget(validate_model_id(model_id))
    except HubError:
        pass  # not a model id: nothing was cached for it


@st.cache_data(max_entries=64, show_spinner=False)
def _config_param_split(config_json: str) -> tuple[int, int] | None:
    import json

    from lib.modelconfig import parameter_split

    return parameter_split(json.loads(config_json))


def config_param_split(config: dict) -> tuple[int, int] | None:
    """``(total, routed-expert)`` parameters from a config.json, built once on the meta device (imports
    torch + transformers lazily; only the Model page calls this). Cached per config."""
    import json

    return _config_param_split(json.dumps(config, sort_keys=True, default=str))


def config_param_count(config: dict) -> int | None:
    """Exact parameter count from a config.json (:func:`config_param_split`'s total)."""
    split = config_param_split(config)
    return split[0] if split is not None else None


# ---- the local Hugging Face cache ---------------------------------------------------------------------
@st.cache_data(ttl=LOCAL_TTL_S, max_entries=8, show_spinner=False)
def _local_ids(folder: str) -> frozenset[str]:
    from lib.hub import cache as hub_cache

    return hub_cache.local_ids(folder)


def local_ids() -> frozenset[str]:
    """Ids of the models in the local cache (``lib.hub.cache.local_ids``: folder names only; kept
    :data:`LOCAL_TTL_S` s per cache folder). Never imports torch."""
    from lib.hub.gateway import cache_folder

    return _local_ids(str(cache_folder()))


@st.cache_data(ttl=LOCAL_TTL_S, max_entries=8, show_spinner=False)
def _local_inventory(folder: str, dirs: tuple[str, ...], hardware, lang: str) -> list:
    """``lang``: the rows hold the fit reasons in words, so each language has its own entry."""
    from pathlib import Path

    from lib.local.inventory import inventory

    return inventory(hardware, dirs=[Path(d) for d in dirs], cache_dir=folder)


def local_inventory(hardware) -> list:
    """``lib.local.inventory.inventory`` for this machine (kept :data:`LOCAL_TTL_S` s)."""
    from lib.hub.gateway import cache_folder
    from lib.settings import get_settings

    return _local_inventory(str(cache_folder()), tuple(str(d) for d in get_settings().model_dirs), hardware,
                            i18n.current())


def forget_local() -> None:
    """After a download or a delete: the next look at the local cache scans it again."""
    _local_ids.clear()
    _local_inventory.clear()
