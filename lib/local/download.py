"""Pre-downloading a Hub model into the local cache: what would be fetched, and whether it may be.

:func:`plan` asks the Hub for the model's files (:func:`lib.hub.lookup.fetch_model_details`), keeps the
ones a load uses (:func:`lib.runner.loader.download_files`: safetensors preferred, no duplicate formats),
and says why the download may not start: over the download cap (``HUBSCOUT_MAX_DOWNLOAD_GB`` / the public
instance's, no override), more than the free disk (no override), or too large to run here per the fit
check (overridable, except where ``Access.load_anyway`` is off: a public instance). :func:`start` runs it
through :mod:`lib.jobs.download`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib import access as access_policy
from lib.format import size_bytes
from lib.hub import cache as hub_cache
from lib.hub.errors import HubError
from lib.i18n import _

__all__ = ["DownloadPlan", "plan", "start", "literal_pattern"]


@dataclass(frozen=True)
class DownloadPlan:
    """``files``/``total_bytes``: what would be fetched; ``refusal``: why not (None: it may start);
    ``overridable``: the refusal is the fit check's and the user may override it; ``fit_reason``: the fit
    check in words; ``limit_bytes``: the most it may write (cap, free disk)."""

    repo_id: str
    revision: str | None
    files: tuple[str, ...]
    total_bytes: int | None
    fit_reason: str
    refusal: str | None
    overridable: bool
    limit_bytes: int | None


def literal_pattern(name: str) -> str:
    """A file name as an ``allow_patterns`` entry matching only itself (fnmatch's ``*?[`` escaped)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def plan(repo_id: str, hardware: Any, access: access_policy.Access, *, override: bool = False,
         token: str | None = None) -> DownloadPlan:
    """The download of ``repo_id`` and its verdict. Raises HubError (not found, offline, …)."""
    from lib.fit.gate import fit_gate
    from lib.hub.lookup import fetch_model_details
    from lib.runner.loader import download_files, planned_download

    details = fetch_model_details(repo_id, token=token, with_card=False)
    if details.source != "live":
        raise HubError(_("The Hub cannot be asked about {model} now, so it cannot be downloaded.").format(
            model=repo_id), "unreachable", repo_id=repo_id)
    sizes = {f.path: f.size for f in details.files}
    files = tuple(download_files(list(sizes)))
    total = planned_download(sizes)
    gate = fit_gate(repo_id, details, "auto", "auto", hardware, override and access.load_anyway)
    free = hub_cache.free_disk_bytes()
    cap = access.max_download_bytes
    limit = min(free, cap) if cap is not None else free
    refusal = access_policy.download_refusal(total, cap)
    overridable = False
    if refusal is None and total is not None and total > free:
        refusal = _("This model would download {size}, but only {free} is free on the disk holding the Hugging "
                    "Face cache. Delete models below to make room.").format(size=size_bytes(total),
                                                                           free=size_bytes(free))
    if refusal is None and not gate.allowed:
        overridable = access.load_anyway
        refusal = (_("It cannot run on this machine ({reason}), so it is not downloaded unless you download it "
                     "anyway.") if overridable else
                   _("It cannot run on this machine ({reason}), so it is not downloaded.")).format(reason=gate.reason)
    return DownloadPlan(details.id, details.sha, files, total, gate.reason, refusal, overridable, limit)


def start(p: DownloadPlan, token: str | None = None, on_finish: Any = None):
    """Start the download of an allowed plan (:class:`lib.jobs.download.DownloadJob`)."""
    from lib.jobs.download import submit_download

    if p.refusal is not None:
        raise ValueError(p.refusal)
    # by branch, not by the planned commit: huggingface_hub then records refs/main, which offline runs
    # (HF_HUB_OFFLINE, local_files_only) look the snapshot up by
    return submit_download(p.repo_id, revision=None, allow_patterns=[literal_pattern(f) for f in p.files],
                           total_bytes=p.total_bytes, limit_bytes=p.limit_bytes, token=token, on_finish=on_finish)
