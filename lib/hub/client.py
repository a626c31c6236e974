"""Old home of the Model page's Hub client; its parts now live in modules named for what they do.

Kept importable while callers move (the aliases go at the end of issue 7):

* ``ModelLookupError`` is :class:`lib.hub.errors.HubError` (same ``kind`` / ``message``; the kinds
  ``invalid_id``, ``not_found``, ``gated``, ``auth`` are unchanged);
* ``validate_model_id`` -> :mod:`lib.hub.ids`;
* ``ModelDetails``, ``RepoFileInfo``, ``weight_formats`` -> :mod:`lib.hub.details`;
  ``fetch_model_details``, ``fetch_config_json`` -> :mod:`lib.hub.lookup`;
  ``offline_model_details`` -> :mod:`lib.hub.offline`;
* ``count_requests`` -> :mod:`lib.hub.policy`.
"""
from __future__ import annotations

from lib.hub.details import PICKLE_EXT, ModelDetails, RepoFileInfo, weight_formats
from lib.hub.errors import HubError
from lib.hub.ids import validate_model_id
from lib.hub.lookup import fetch_config_json, fetch_model_details
from lib.hub.offline import offline_model_details
from lib.hub.policy import CALL_TIMEOUT_S as DEFAULT_TIMEOUT
from lib.hub.policy import RequestCounter, count_requests

ModelLookupError = HubError

__all__ = ["ModelLookupError", "validate_model_id", "ModelDetails", "RepoFileInfo", "fetch_model_details",
           "fetch_config_json", "offline_model_details", "weight_formats", "PICKLE_EXT", "count_requests",
           "RequestCounter", "DEFAULT_TIMEOUT"]
