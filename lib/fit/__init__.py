"""Memory estimate per dtype, fit verdict per host, measured peaks (pure logic, no torch).

- :mod:`lib.fit.dtypes` — dtype keys, labels, bytes per parameter;
- :mod:`lib.fit.spec` — :class:`ModelSpec` and its builders (Hub details, local folders), the
  architecture facts (:func:`fit_config`) and the context choices;
- :mod:`lib.fit.estimate` — :func:`estimate_memory` / :func:`estimate_all` -> :class:`MemoryEstimate`;
- :mod:`lib.fit.verdict` — :func:`fit_table` (Model page), :func:`badge` (Discover),
  :func:`load_warnings`, :func:`load_allowed`;
- :mod:`lib.fit.gate` — the test-drive's memory gate (:func:`fit_gate`);
- :mod:`lib.fit.table` — the Model page's fit matrix, parts and measured rows;
- :mod:`lib.fit.measured` — measured peaks beside the estimate;
- :mod:`lib.fit.moe` — mixture of experts: total and active parameters, Discover's MoE mark;
- :mod:`lib.fit.tiers` — the partial-offload tier: layers on the GPU, offloaded bytes, slow-down;
- :mod:`lib.fit.kv` — KV-cache precision (bytes per element, what transformers supports here).
"""
from lib.fit.dtypes import DTYPES  # noqa: F401
from lib.fit.estimate import MemoryEstimate, MemoryPart, estimate_all, estimate_memory  # noqa: F401
from lib.fit.measured import MeasuredStore, Measurement  # noqa: F401
from lib.fit.spec import ModelSpec  # noqa: F401
from lib.fit.verdict import (  # noqa: F401
    Badge,
    FitKind,
    FitTable,
    FitWarning,
    LoadDecision,
    Severity,
    Verdict,
    badge,
    fit_table,
    load_allowed,
    load_warnings,
    verdict,
)
