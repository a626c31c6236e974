"""What a visitor may do here: the public-instance policy, in one place.

A *public instance* (``HUBSCOUT_PUBLIC=1``, or a Space: ``SPACE_ID``; see :mod:`lib.settings`) serves
strangers with the server's Hub token and machine, so it withholds what would hand them either:

* a model's own code (``trust_remote_code``) — it would run with the server's rights and environment;
* "Load anyway" past the memory check;
* server folders in the Playground (Hub ids only);
* repos that only the server's token opens (private repos); gated repos the token has accepted stay;
* downloads over a cap (``HUBSCOUT_MAX_DOWNLOAD_GB``; default: the smaller of the free disk under the
  Hub cache and the RAM, decimal GB);
* more than ``HUBSCOUT_VISITOR_RUNS_PER_HOUR`` runs per visitor and hour (enforced by :mod:`lib.jobs`);
* remote runs sent to any URL: only to the hosts an admin listed (``HUBSCOUT_INFERENCE_HOSTS``), so that the
  server is not made to post to addresses a visitor picks (its own network included).

A signed-in admin (``HUBSCOUT_ADMINS``; the name comes from ``st.user``, which only :mod:`lib.ui` reads
and passes in) has the limits lifted. Off a public instance everything stays allowed, as before; only an
explicit ``HUBSCOUT_MAX_DOWNLOAD_GB`` caps downloads everywhere.

The page uses :class:`Access` to draw less (no checkbox, no "Load anyway"); the runner gets the same
verdict in its :class:`~lib.runner.result.RunOptions` and refuses on its own, so a page that forgot a
check cannot open a door. No Streamlit here.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass

from lib.format import number, size_bytes
from lib.i18n import N_, _, ngettext
from lib.settings import get_settings

__all__ = ["Access", "access_for", "LOCAL", "host_download_cap", "download_refusal", "REMOTE_CODE_OFF",
           "LOAD_ANYWAY_OFF", "HUB_IDS_ONLY", "normalise_user"]

# The three refusals below are module constants, marked for the catalogue: show them with ``_(REMOTE_CODE_OFF)``
# (translated when shown or raised, in the language of that run).
#: Shown instead of the "Allow this model's own code" checkbox, and by the runner when it refuses.
REMOTE_CODE_OFF = N_("This public instance never runs a model's own code (trust_remote_code): it would run with "
                     "the server's rights. Run the model on your own machine to try it.")
#: Shown instead of the "Load anyway" checkbox.
LOAD_ANYWAY_OFF = N_("This public instance does not load models past the memory check.")
#: The Playground's one answer to anything that is not a Hub id (the same whatever path is typed).
HUB_IDS_ONLY = N_("This public instance takes Hub model ids only (owner/name), not folders on the server.")


@dataclass(frozen=True)
class Access:
    """What the current visitor may do (see the module docstring).

    Attributes:
        public: this is a public instance.
        admin: the visitor is a signed-in admin (limits lifted).
        remote_code: may tick "Allow this model's own code".
        load_anyway: may override the fit gate.
        local_folders: may type a server folder in the Playground.
        private_repos: may see/run repos only the server's token opens.
        max_download_bytes: the largest download a run may start; None = no cap.
        runs_per_hour: runs per visitor and hour; None = no limit.
        inference_hosts: the hosts a remote run may be sent to by URL; None = any host.
    """

    public: bool
    admin: bool
    remote_code: bool
    load_anyway: bool
    local_folders: bool
    private_repos: bool
    max_download_bytes: int | None
    runs_per_hour: int | None
    inference_hosts: frozenset[str] | None = None

    def url_refusal(self, host: str) -> str | None:
        """Why a remote run may not go to ``host`` (None when it may)."""
        from lib.hub.inference import url_refusal

        return url_refusal(self.inference_hosts, host)

    def limits(self) -> list[str]:
        """What is withheld from this visitor, in words (the sidebar lists them); [] when nothing is."""
        out = []
        if not self.remote_code:
            out.append(_("no model code (trust_remote_code)"))
        if not self.load_anyway:
            out.append(_("no loading past the memory check"))
        if not self.local_folders:
            out.append(_("Hub ids only, no server folders"))
        if not self.private_repos:
            out.append(_("public and gated repos only"))
        if self.max_download_bytes is not None:
            out.append(_("downloads up to {size}").format(size=size_bytes(self.max_download_bytes)))
        if self.runs_per_hour is not None:
            out.append(ngettext("{n} run per hour", "{n} runs per hour", self.runs_per_hour).format(
                n=number(self.runs_per_hour)))
        if self.inference_hosts is not None:
            out.append(_("remote runs: {hosts} and providers").format(hosts=", ".join(sorted(self.inference_hosts)))
                       if self.inference_hosts else _("remote runs: providers only"))
        return out


#: Local use: everything allowed, no cap (the runner's default when no Access is given).
LOCAL = Access(public=False, admin=False, remote_code=True, load_anyway=True, local_folders=True,
               private_repos=True, max_download_bytes=None, runs_per_hour=None)


def normalise_user(name: str | None) -> str | None:
    """A user name as ``HUBSCOUT_ADMINS`` holds it (lower case, no ``@``); None when empty."""
    text = (name or "").strip().lstrip("@").lower()
    return text or None


def host_download_cap() -> int:
    """The public default download cap, in bytes: the smaller of the free disk under the Hub cache and
    the total RAM (a model larger than the RAM cannot run here anyway)."""
    import psutil

    ram = int(psutil.virtual_memory().total)
    try:
        from lib.hub.gateway import cache_folder

        folder = cache_folder()
        while not folder.exists() and folder != folder.parent:  # the cache may not exist yet
            folder = folder.parent
        free = int(shutil.disk_usage(folder).free)
    except OSError:
        return ram
    return min(free, ram)


def access_for(user_name: str | None = None) -> Access:
    """The current visitor's access, from :func:`lib.settings.get_settings` and the signed-in
    ``user_name`` (None: not signed in)."""
    s = get_settings()
    user = normalise_user(user_name)
    admin = user is not None and user in s.admins
    explicit_cap = int(s.max_download_gb * 10**9) if s.max_download_gb else None
    if not s.public or admin:
        return Access(public=s.public, admin=admin, remote_code=True, load_anyway=True, local_folders=True,
                      private_repos=True, max_download_bytes=explicit_cap, runs_per_hour=None)
    return Access(public=True, admin=False, remote_code=False, load_anyway=False, local_folders=False,
                  private_repos=False,
                  max_download_bytes=explicit_cap if explicit_cap is not None else host_download_cap(),
                  runs_per_hour=s.visitor_runs_per_hour or None, inference_hosts=s.inference_hosts)


def download_refusal(need_bytes: int | None, cap: int | None) -> str | None:
    """Why a download of ``need_bytes`` (None: unknown) may not start under ``cap`` (None when it may).
    Under a cap, an unknown size is refused too: the cap must hold before the download starts."""
    if cap is None or (need_bytes is not None and need_bytes <= cap):
        return None
    public = get_settings().public
    if need_bytes is None:
        text = (_("The Hub gives no file sizes for this model, and downloads are capped at {cap} on this public "
                  "instance: it is not downloaded.") if public else
                _("The Hub gives no file sizes for this model, and downloads are capped at {cap} here "
                  "(HUBSCOUT_MAX_DOWNLOAD_GB): it is not downloaded."))
        return text.format(cap=size_bytes(cap))
    text = (_("This model would download {size}; downloads are capped at {cap} on this public instance.") if public
            else _("This model would download {size}; downloads are capped at {cap} here (HUBSCOUT_MAX_DOWNLOAD_GB)."))
    return text.format(size=size_bytes(need_bytes), cap=size_bytes(cap))
