"""The models on this machine: huggingface_hub's cache and the configured model folders (no streamlit).

* :mod:`lib.local.inventory` — one list of both (:func:`~lib.local.inventory.inventory`): size, revisions,
  dates, task, runnable-offline and fit badges, a damaged weights file;
* :mod:`lib.local.download` — the pre-download plan of a Hub model (files, bytes, refusals) and its job.

Hub-cache access itself (scan, delete, the guarded download) is :mod:`lib.hub.cache`.
"""
