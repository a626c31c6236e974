"""Model details without the Hub: the catalog's record of the model plus huggingface_hub's local cache.

The catalog layer knows the snapshot; the Hub layer must not import it (lib.catalog imports lib.hub,
never the reverse). So the catalog registers where offline records come from
(:func:`use_offline_records`, done by ``lib.catalog.source`` at import), and
:func:`offline_model_details` asks that provider, or takes a ``record`` from its caller.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lib.hub import gateway, normalize
from lib.hub.details import ModelDetails, RepoFileInfo, as_tuple, config_summary
from lib.hub.errors import OFFLINE_MESSAGE, HubError
from lib.hub.facts import FACTS
from lib.hub.ids import validate_model_id
from lib.hub.records import ModelRecord
from lib.i18n import N_, Later

RecordLookup = Callable[[str], "ModelRecord | None"]
_provider: RecordLookup | None = None
_provider_lock = threading.Lock()


def use_offline_records(lookup: RecordLookup | None) -> None:
    """Where :func:`offline_model_details` finds a model's record (e.g. the catalog snapshot's
    ``get``); None: nowhere (only the local cache is used)."""
    global _provider
    with _provider_lock:
        _provider = lookup


def offline_record(model_id: str) -> ModelRecord | None:
    """The registered provider's record of ``model_id``, or None (no provider, unknown, or broken)."""
    with _provider_lock:
        lookup = _provider
    if lookup is None:
        return None
    try:
        return lookup(model_id)
    except Exception:  # noqa: BLE001 - a missing/broken snapshot only means fewer facts
        return None


def offline_model_details(model_id: str, reason: str = OFFLINE_MESSAGE,
                          record: ModelRecord | None = None) -> ModelDetails:
    """Details from the catalog record (``record``, else the registered provider's) and
    huggingface_hub's local cache, no network. ``missing`` starts with ``reason`` and lists every
    fact that is unknown. Kept only briefly in the facts cache (a degraded answer: reruns within
    seconds reuse it, the next view looks again)."""
    mid = validate_model_id(model_id)
    if record is not None:
        return _offline_details(mid, reason, record)
    return FACTS.fetch(("offline", mid, reason), lambda: _offline_details(mid, reason, offline_record(mid)),
                       degraded=lambda _: True)


def cached_task(model_id: str, revision: str | None = None, config: dict[str, Any] | None = None) -> str | None:
    """The model's task from huggingface_hub's local cache (no network): the cached README's
    ``pipeline_tag``, else the task ``config`` (the cached config.json) names or its architecture serves."""
    path = gateway.cached_file(model_id, "README.md", revision=revision)
    if path is not None:
        try:
            tag = gateway.card_metadata(Path(path).read_text(encoding="utf-8", errors="replace")).get("pipeline_tag")
        except OSError:
            tag = None
        if isinstance(tag, str) and tag.strip():
            return tag.strip()
    if not config:
        return None
    from lib import tasks
    from lib.tasks.archs import task_for_config

    tag = task_for_config(config, tasks.registry().values())
    return tag if isinstance(tag, str) and tag else None


def _offline_details(mid: str, reason: str, record: ModelRecord | None) -> ModelDetails:
    missing: list[str] = [Later(N_("Hub not used: {reason}"), reason=reason)]
    files: list[RepoFileInfo] = []
    card = None
    config: dict[str, Any] = {}
    sha = None
    cached = gateway.cached_repo(mid)
    if cached is not None:
        sha = cached.sha
        files = [RepoFileInfo(path, size) for path, size in cached.files]
    try:
        card = gateway.model_card(mid, revision=sha, local_only=True)
    except HubError:
        card = None
    full_config: dict[str, Any] = {}
    path = gateway.cached_file(mid, "config.json", revision=sha)
    if path is not None:
        try:
            full_config = gateway.read_config_file(path, mid)
        except HubError:
            full_config = {}
        config = config_summary(full_config)
    if record is None:
        missing.append(Later(N_("facts (model not in the catalog snapshot)")))
    if not files:
        missing.append(Later(N_("file list (model not in the local cache)")))
    else:
        missing.append(Later(N_("full file list (only files in the local cache are listed)")))
    if card is None:
        missing.append(Later(N_("model card (not in the local cache)")))
    if not config:
        missing.append(Later(N_("config (custom code unknown)")))
    formats = normalize.weight_formats(f.path for f in files)
    r = record or ModelRecord(id=mid, author=mid.split("/")[0] if "/" in mid else None)
    task = r.pipeline_tag or cached_task(mid, sha, full_config)
    if task is None:
        missing.append(Later(N_("task (pipeline tag)")))
    if not r.params_exact:
        missing.append(Later(N_("exact parameter count")))
    extra_card = dict(r.extra.get("cardData") or {}) if r.extra else {}
    return ModelDetails(
        id=mid, author=r.author, pipeline_tag=task, library_name=r.library_name, license=r.license,
        gated=r.gated, downloads=r.downloads, likes=r.likes, created_at=r.created_at,
        last_modified=r.last_modified, languages=r.languages,
        datasets=as_tuple(extra_card.get("datasets")) or tuple(
            t.split(":", 1)[1] for t in r.tags if t.startswith("dataset:")),
        base_models=as_tuple(extra_card.get("base_model")),
        tags=r.tags, card=card, files=tuple(files), weight_formats=formats, pickle_only=normalize.pickle_only(formats),
        custom_code="custom_code" in r.tags or bool(config.get("auto_map")),
        params_by_dtype=dict(r.params_by_dtype) if r.params_exact else {},
        params_total=r.params_total, param_source=r.param_source, config=config, sha=sha,
        source="offline", requests=0, missing=tuple(missing), record=record,
    )
