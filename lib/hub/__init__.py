"""The Hub layer: the only code that talks to the Hugging Face Hub (through huggingface_hub).

Modules (each imports nothing from lib.catalog, lib.fit, lib.runner or lib.ui):

* :mod:`lib.hub.errors` — :class:`HubError` (one error type: ``kind`` + a message for people), ``classify``;
* :mod:`lib.hub.ids` — ``validate_model_id``;
* :mod:`lib.hub.policy` — the deadline/attempt policy, the offline switch ``is_offline``, ``count_requests``;
* :mod:`lib.hub.facts` — the per-process cache of model facts (TTL; failures kept briefly), ``forget``;
* :mod:`lib.hub.gateway` — model info, config.json, card, safetensors counts, file and snapshot downloads;
* :mod:`lib.hub.listing` — the model list (one ``/api/models`` request per page);
* :mod:`lib.hub.details` (ModelDetails), :mod:`lib.hub.lookup` (live, ``fetch_model_details``) and
  :mod:`lib.hub.offline` (snapshot record + local cache) — what the Model page shows about one model;
* :mod:`lib.hub.records` — typed model records shared by every catalog source.

Nothing here imports huggingface_hub, torch or transformers at module import: Discover starts fast.
"""
