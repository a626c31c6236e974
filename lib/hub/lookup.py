"""Looking up one model for the Model page and the test-drive, in the fewest Hub requests.

``fetch_model_details(id)`` costs, through the gateway (:mod:`lib.hub.gateway`, all cached per process):
1. ``model_info(id)``: one ``GET /api/models/{id}?blobs=true`` whose default fields already hold the
   facts (task, library, tags, gated, downloads, likes, dates, cardData: license / languages /
   datasets / base model), ``config`` (with ``auto_map``), ``safetensors`` (parameters per dtype)
   and the siblings *with sizes* (``expand`` cannot be combined with ``files_metadata`` in 2.4, and
   ``expand=siblings`` has no sizes, so this is the one call that has everything);
2. the model card (README.md, HEAD + GET, cached by huggingface_hub; front matter dropped by ``ModelCard``);
3. only when the info lacks ``safetensors`` but the repo has safetensors weights: one Range GET of
   the header or, when sharded, the Hub's one-request sharded metadata;
4. only when the info lacks ``config``: config.json (for ``auto_map``).

Offline (HF_HUB_OFFLINE=1) or when the Hub cannot answer, details come from
:func:`lib.hub.offline.offline_model_details` (catalog record + huggingface_hub's local cache),
with ``missing`` saying what is unknown. A model that does not exist, is gated for this token or has
an invalid id raises :class:`~lib.hub.errors.HubError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib.hub import gateway
from lib.hub.details import ModelDetails, config_summary, fields_from_info, record_dict
from lib.hub.errors import HubError
from lib.hub.facts import FACTS, token_key
from lib.hub.ids import validate_model_id
from lib.hub.offline import offline_model_details, offline_record
from lib.hub.policy import count_requests, is_offline, offline_message
from lib.hub.providers import ProviderMapping
from lib.hub.records import ModelRecord
from lib.i18n import N_, Later


def fetch_model_details(model_id: str, token: str | bool | None = None, *, with_card: bool = True) -> ModelDetails:
    """Details for the Model page (cached per process, see :mod:`lib.hub.facts`).

    Raises :class:`HubError` for an invalid id, a model the Hub says does not exist, and gated or
    refused access; falls back to :func:`lib.hub.offline.offline_model_details` when offline or when
    the Hub cannot answer (its reason first in ``missing``).
    """
    mid = validate_model_id(model_id)
    if is_offline():
        gateway.refuse_seen_private(mid, listed_public=offline_record(mid) is not None)
        return offline_model_details(mid, reason=offline_message())
    key = ("details", mid, "main", token_key(token), with_card, gateway.private_repos_allowed())
    try:
        details, _ = FACTS.fetch(key, lambda: _live_details(mid, token, with_card),
                                 degraded=lambda v: v[1])
    except HubError as e:
        if not e.unavailable:
            raise
        gateway.refuse_seen_private(mid, listed_public=offline_record(mid) is not None)  # stays private
        return offline_model_details(mid, reason=e.message)
    return details


def _live_details(mid: str, token: str | bool | None, with_card: bool) -> tuple[ModelDetails, bool]:
    """(details, degraded): degraded when a part failed only because the Hub could not answer it
    then (kept briefly in the cache, so the next view asks again)."""
    degraded = False
    with count_requests() as counter:
        info = gateway.model_info(mid, token=token)
        missing: list[str] = []
        data = fields_from_info(info)
        sibs = [s.rfilename for s in (info.siblings or [])]
        if not data["params_by_dtype"] and any(s.endswith(".safetensors") for s in sibs):
            try:
                counts = gateway.safetensors_counts(mid, sibs, token=token)
            except HubError as e:
                degraded |= e.unavailable
                missing.append(Later(N_("parameter count (safetensors header unreadable: {error})"),
                                     error=e.message))
            else:
                if counts:
                    data.update(params_by_dtype=counts, params_total=sum(counts.values()),
                                param_source="safetensors header")  # i18n: a data value (the count's source)
        if data["params_total"] is None:
            missing.append(Later(N_("exact parameter count (no safetensors weights)")))
        # custom code needs auto_map: the info's config has it; fetch config.json only without it
        if not data["config"] and "config.json" in sibs:
            try:
                data["config"] = config_summary(gateway.model_config(mid, token=token))
            except HubError as e:
                degraded |= e.unavailable
                missing.append(Later(N_("config (auto_map unknown)")))
        data["custom_code"] = "custom_code" in data["tags"] or bool(data["config"].get("auto_map"))
        card = None
        if with_card and "README.md" in sibs:
            try:
                card = gateway.model_card(mid, token=token)
            except HubError as e:
                degraded |= e.unavailable
                missing.append(Later(N_("model card (gated: needs a token with access)")) if e.kind == "gated"
                               else Later(N_("model card (download failed)")))
        elif with_card:
            missing.append(Later(N_("model card (the repo has no README.md)")))
    details = ModelDetails(**data, card=card, source="live", requests=counter.count, missing=tuple(missing),
                           record=ModelRecord.from_api(record_dict(info)))
    return details, degraded


def config_problem(err: HubError) -> str:
    """Why config.json is not available, in words (the real reason, not always "no config.json")."""
    if err.kind == "not_found":
        return Later(N_("the repo has no config.json"))
    if err.kind == "gated":
        return Later(N_("config.json needs a token with access (gated model)"))
    if err.kind == "auth":
        if err.status:
            return Later(N_("config.json was refused ({status}): HF_TOKEN has no access to it"), status=err.status)
        return Later(N_("config.json was refused: HF_TOKEN has no access to it"))
    if err.kind == "bad_answer":
        return err.message
    if err.kind == "not_cached":
        return Later(N_("config.json could not be downloaded and is not in the local cache"))
    return Later(N_("config.json could not be downloaded ({error})"), error=err.message)


def fetch_config_json(model_id: str, token: str | bool | None = None, *, offline: bool = False,
                      revision: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """The full ``config.json`` of a model (the memory estimate and the parameter count need it).

    ``(config, None)`` on success, ``(None, reason)`` otherwise. Live: :func:`lib.hub.gateway.model_config`
    (cached per process; the same answer the runner uses). ``offline`` (or HF_HUB_OFFLINE): only
    huggingface_hub's local cache is read, never the network.
    """
    mid = validate_model_id(model_id)
    try:
        if offline or is_offline():
            path = gateway.cached_file(mid, "config.json", revision=revision)
            if path is None:
                return None, Later(N_("config.json is not in the local cache"))
            try:
                return gateway.read_config_file(path, mid), None
            except HubError as e:
                if gateway.cached_copy_intact(path) is not False:
                    return None, e.message  # the repo's own config.json is bad
                if "valid JSON" in e.message:
                    return None, Later(N_("the local cache's copy of config.json is corrupt (not valid JSON)"))
                return None, Later(N_("the local cache's copy of config.json is corrupt (not a JSON object)"))
        return gateway.model_config(mid, token=token, revision=revision), None
    except HubError as e:
        return None, config_problem(e)


# ---- inference providers ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ServedBy:
    """What the Model page says about the Inference Providers serving one model.

    ``providers``: every mapping the Hub listed (live, staging, error), in its order; ``problem``: why
    it is not known (offline, the Hub did not answer), None when the Hub said; ``kind``: that
    problem's :class:`HubError` kind."""

    model_id: str
    providers: tuple[ProviderMapping, ...] = ()
    problem: str | None = None
    kind: str | None = None

    @property
    def known(self) -> bool:
        return self.problem is None

    @property
    def live(self) -> tuple[ProviderMapping, ...]:
        """The providers anyone can call now (status ``live``)."""
        return tuple(m for m in self.providers if m.live)


def needs_the_hub(reason: str) -> str:
    """Why the providers are not shown (offline, the Hub did not answer), in words."""
    if reason.endswith("."):  # the English value; a translation ends as its English does
        return Later(N_("Only the Hub knows which Inference Providers serve this model: {reason}"), reason=reason)
    return Later(N_("Only the Hub knows which Inference Providers serve this model: {reason}."), reason=reason)


def served_by(model_id: str, *, offline_reason: str | None = None, token: str | bool | None = None) -> ServedBy:
    """The Inference Providers serving ``model_id`` (:func:`lib.hub.gateway.provider_mapping`, cached).
    ``offline_reason`` (the page's details came from the snapshot / local cache) or offline mode: no
    request, the answer says it needs the Hub. Never raises: a failure is the answer's ``problem``."""
    try:
        mid = validate_model_id(model_id)
        if offline_reason is not None or is_offline():
            return ServedBy(mid, problem=needs_the_hub(offline_reason or offline_message()), kind="offline")
        return ServedBy(mid, gateway.provider_mapping(mid, token=token))
    except HubError as e:
        return ServedBy(model_id, problem=needs_the_hub(e.message) if e.unavailable else e.message, kind=e.kind)
