"""How an evaluation session's run uses memory and which RunOptions it runs with (see :mod:`lib.sessions.run`).

:func:`plan_fit` asks lib.fit whether the candidates fit in memory together (the test-drive's gate per
candidate, ``lib.fit.load_allowed`` for all of them at once, within the model cache's budget);
:func:`run_options` turns a session's frozen settings into :class:`lib.runner.RunOptions`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from lib.i18n import _
from lib.runner.result import RunOptions

#: generation settings of a session that map onto RunOptions fields
GENERATION_KEYS = ("max_new_tokens", "temperature", "top_p", "do_sample", "system_prompt", "threshold")


# ---------------------------------------------------------------------------------------------- options
def run_options(settings: Mapping[str, Any], access: Any = None) -> RunOptions:
    """The RunOptions of a session's frozen settings (``dtype``, ``device``, ``batch_size``, ``generation``)."""
    settings = settings or {}
    generation = settings.get("generation") or {}
    known = {f.name for f in fields(RunOptions)}
    kw = {k: generation[k] for k in GENERATION_KEYS if k in generation and k in known}
    return RunOptions(device=str(settings.get("device") or "auto"), dtype=str(settings.get("dtype") or "auto"),
                      batch_size=max(1, int(settings.get("batch_size") or 16)), access=access, **kw)


# ---------------------------------------------------------------------------------------------- fit plan
@dataclass(frozen=True)
class FitPlan:
    """How the candidates share memory.

    Attributes:
        together: all candidates fit in memory at once (submit every job; the load queue loads them in turn).
        reason: why, in words (shown beside the progress).
        gates: candidate id -> the fit gate's ``(allowed, reason)`` for that candidate's load.
        estimates: candidate id -> estimated peak bytes (None: size unknown).
    """

    together: bool
    reason: str
    gates: Mapping[str, tuple[bool, str | None]] = field(default_factory=dict)
    estimates: Mapping[str, int | None] = field(default_factory=dict)


def _details(model: str, opts: RunOptions) -> Any:
    """A Hub model's details for its size (the gateway's cache: the load reuses them); None for a folder
    or when the Hub cannot say."""
    from lib.local_models import looks_like_path

    if looks_like_path(model):
        return None
    try:
        from lib.access import access_for
        from lib.hub import gateway
        from lib.hub.lookup import fetch_model_details
        from lib.hub.policy import offline_scope

        access = opts.access if opts.access is not None else access_for()
        with gateway.private_repos(access.private_repos), offline_scope(opts.offline):  # a runner thread
            return fetch_model_details(model, opts.token, with_card=False)
    except Exception:  # noqa: BLE001 - no details: size unknown, the plan stays careful
        return None


def plan_fit(candidates: list[tuple[str, str]], opts: RunOptions, *, hardware: Any = None,
             cache_budget: int | None = None, details: Mapping[str, Any] | None = None) -> FitPlan:
    """Decide from lib.fit whether ``candidates`` ((id, model) pairs) fit in memory together.

    Each candidate gets the test-drive's gate (``lib.fit.gate.fit_gate``). Together: every size is known
    and ``lib.fit.load_allowed`` lets their sum load with headroom (one framework baseline, each model's
    weights, overhead and transient), and their weights fit the model cache's budget.
    """
    from lib.fit.gate import fit_gate
    from lib.fit.verdict import load_allowed
    from lib.format import number, size_bytes

    if not candidates:
        return FitPlan(True, _("Nothing to run."))
    if hardware is None:
        from lib.hardware import detect

        hardware = detect()
    gates: dict[str, tuple[bool, str | None]] = {}
    estimates: dict[str, Any] = {}
    for cid, model in candidates:
        d = details.get(model) if details is not None else _details(model, opts)
        gate = fit_gate(model, d, opts.device, opts.dtype, hardware)
        gates[cid] = (gate.allowed, None if gate.allowed else gate.reason)
        estimates[cid] = gate.estimate
    sizes = {cid: (int(e.total) if e is not None else None) for cid, e in estimates.items()}
    unknown = [model for cid, model in candidates if estimates[cid] is None]
    if unknown:
        return FitPlan(False, _("One model in memory at a time: the size of {model} is unknown.").format(
            model=unknown[0]), gates, sizes)
    known = list(estimates.values())
    base = max(e.framework_baseline for e in known)
    combined = replace(known[0], total=base + sum(e.total - e.framework_baseline for e in known))
    decision = load_allowed(combined, hardware)
    weights = sum(e.weights for e in known)
    if cache_budget is not None and weights > cache_budget:
        return FitPlan(False, _("One model in memory at a time: together their weights ({weights}) exceed the "
                                "model cache's budget ({budget}).").format(weights=size_bytes(weights),
                                                                           budget=size_bytes(cache_budget)),
                       gates, sizes)
    if not decision.allowed or decision.tight or decision.overridden:
        return FitPlan(False, _("One model in memory at a time: all {n} together are {verdict} ({why}).").format(
            n=number(len(known)), verdict=decision.reason.split(": ", 1)[0],
            why=decision.reason.split(": ", 1)[-1]), gates, sizes)
    return FitPlan(True, _("All {n} models fit in memory together ({why}).").format(
        n=number(len(known)), why=decision.reason), gates, sizes)


__all__ = ["FitPlan", "GENERATION_KEYS", "plan_fit", "run_options"]
