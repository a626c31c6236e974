"""What the Model page loads for one model id: its details and config.json, or a message.

The only Model-page code that reaches the Hub, through the Hub gateway (``lib.hub.lookup``); ``lib.ui.cached``
caches :func:`lookup` as a whole.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib.hub.details import ModelDetails
from lib.i18n import N_, _


@dataclass(frozen=True)
class ModelLookup:
    """What the page loads for one model id (cached as a whole by ``lib.ui.cached``).

    Exactly one of ``details`` / ``error`` is set. ``error_kind`` is ``HubError.kind``
    (``invalid_id``, ``not_found``, ``gated``, ``auth`` …) or ``error`` for anything unexpected.
    ``config`` is the full config.json when available, else ``config_note`` says why not (in English, as
    the Hub gateway caches it: translate it where it is shown).
    """

    model_id: str
    details: ModelDetails | None = None
    error: str | None = None
    error_kind: str | None = None
    config: dict[str, Any] | None = None
    config_note: str | None = None


def lookup(model_id: str, offline: bool = False) -> ModelLookup:
    """Details (+ config.json) for the page; ``offline`` never touches the network. Never raises."""
    from lib.hub.errors import HubError
    from lib.hub.lookup import fetch_config_json, fetch_model_details
    from lib.hub.offline import offline_model_details
    from lib.hub.policy import is_offline, offline_message

    try:
        # the reason is part of the gateway's cached offline details: English, translated where shown
        reason = offline_message() if is_offline() else N_("Snapshot-only catalog mode")
        details = offline_model_details(model_id, reason=reason) if offline \
            else fetch_model_details(model_id)
    except HubError as e:
        return ModelLookup(model_id, error=e.message, error_kind=e.kind)
    except Exception as e:  # noqa: BLE001 - the page shows a message, never a traceback
        from lib.logs import for_people, log_failure

        log_failure(e, f"model page lookup of {model_id}")  # i18n: a log message
        return ModelLookup(model_id, error=_("Could not load {model}: {error}").format(
            model=model_id, error=for_people(str(e), 200)), error_kind="error")
    config, note = None, None
    has_config = any(f.path == "config.json" for f in details.files)
    if has_config or details.source == "offline":
        config, note = fetch_config_json(details.id, offline=offline or details.source == "offline",
                                         revision=details.sha if details.source == "offline" else None)
    else:
        note = N_("the repo has no config.json")
    return ModelLookup(details.id, details=details, config=config, config_note=note)


__all__ = ["ModelLookup", "lookup"]
