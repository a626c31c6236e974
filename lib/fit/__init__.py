"""Memory estimate per dtype, fit verdict per host, measured peaks (pure logic, no torch).

Entry points for the UI:
- :func:`lib.fit.estimate.estimate_memory` / :func:`estimate_all` -> :class:`MemoryEstimate` (parts + total)
- :func:`lib.fit.verdict.fit_table` (model page), :func:`badge` (Discover), :func:`load_warnings`,
  :func:`load_allowed`
- :class:`lib.fit.measured.MeasuredStore` (measured peaks beside the estimate)
"""
from lib.fit.estimate import (  # noqa: F401
    DTYPES, MemoryEstimate, MemoryPart, ModelSpec, estimate_all, estimate_memory,
)
from lib.fit.measured import Measurement, MeasuredStore  # noqa: F401
from lib.fit.verdict import (  # noqa: F401
    Badge, FitKind, FitTable, FitWarning, LoadDecision, Severity, Verdict, badge, fit_table, load_allowed,
    load_warnings, verdict,
)
