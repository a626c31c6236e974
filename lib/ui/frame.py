"""The frame every page calls first: ``page_frame(title, icon)``.

It sets the page config and renders the sidebar: the offline switch (per browser session, kept in the
URL as ``offline=1`` and in session state; on and fixed when ``HF_HUB_OFFLINE`` is set: then no page
makes a network request, the catalog is the snapshot, and each page says in a banner what works offline
— :data:`OFFLINE_NOTES`), the catalog source (a control to switch
auto / live only / snapshot only, kept in the URL as ``source=`` and in session state), whether a
Hub token is set (never the token), and the detected hardware (no torch import). On a public
instance it says so and lists what is limited (or that a signed-in admin has the limits lifted).

The visitor's :class:`lib.access.Access` comes from :func:`visitor_access` (``st.user``: the signed-in
name, only here in lib/ui); ``page_frame`` also tells the Hub gateway, for this script run, whether
private repos may be shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from lib import format as fmt
from lib import hardware, i18n, logs
from lib.access import Access, access_for
from lib.catalog.result import SearchResult, SourceInfo
from lib.hub import policy
from lib.i18n import N_, _, ngettext
from lib.settings import get_settings
from lib.ui import cached, language, shortlist

MODES: dict[str, str] = {"auto": N_("Auto"), "live": N_("Live only"), "snapshot": N_("Snapshot only")}
MODE_HELP = {
    "auto": N_("Ask the Hub; if it does not answer within HUBSCOUT_LIVE_TIMEOUT seconds, use the snapshot."),
    "live": N_("Always ask the Hub; show an error when it is unreachable."),
    "snapshot": N_("Never touch the network: search the embedded snapshot only."),
}
MODE_KEY = "catalog_mode"  # the sidebar widget
_MODE_MEMORY = "_catalog_mode"  # survives page switches (widget state does not)
OFFLINE_KEY = "offline_switch"  # the sidebar toggle
_OFFLINE_MEMORY = "_offline"  # survives page switches, as the catalog mode's
OFFLINE_PARAM = "offline"
#: What each page can do offline, and what not (the banner page_frame draws while offline).
OFFLINE_NOTES: dict[str, tuple[str, str]] = {
    "Home": (N_("every page, the catalog snapshot and the models in the local Hugging Face cache"),
             N_("anything that needs the live Hub")),
    "Discover": (N_("searching and filtering the catalog snapshot, fit badges, charts, CSV export"),
                 N_("the live Hub's search and today's downloads and likes")),
    "Model": (N_("facts from the snapshot, the card, files and config.json in the local cache, the fit table, "
                 "a test-drive of a cached model"), N_("models not in the local cache, the full file list, exact "
                                                      "parameter counts the snapshot lacks, downloads")),
    "Playground": (N_("models in the local Hugging Face cache and model folders on this machine"),
                   N_("downloading a model from the Hub")),
    "Sessions": (N_("creating a session with cached models (their cached revision is frozen), running, rating, "
                    "results, export and import"),
                 N_("candidates not in the local cache, the Hub's newest revision")),
    # i18n: the keys are page titles (translated where shown)
    "Local models": (N_("listing the Hugging Face cache and model folders, deleting a revision or a repo"),
                     N_("downloading a model")),
}
_OFFLINE_DEFAULT = (N_("the catalog snapshot and the local cache"), N_("anything that needs the Hub"))
PAGE_DIR_NAMES = ("pages/1_Discover.py", "pages/2_Model.py", "pages/3_Playground.py", "pages/4_Sessions.py")


@dataclass
class Frame:
    """What a page gets back from ``page_frame``.

    mode: the catalog mode chosen in the sidebar (``auto`` / ``live`` / ``snapshot``; always ``snapshot``
        while offline).
    hardware: this machine as detected now.
    access: what this visitor may do (:func:`visitor_access`).
    offline: no network for this page (``HF_HUB_OFFLINE`` or the sidebar's switch).
    token_set: whether a Hub token is configured (asked on first use: it imports huggingface_hub).
    """

    mode: str
    hardware: hardware.Hardware
    access: Access | None = None
    offline: bool = False
    _status: object = field(default=None, repr=False)
    _token_slot: object = field(default=None, repr=False)  # the sidebar line finish() fills
    _token: bool | None = field(default=None, repr=False)
    _snapshot_slot: object = field(default=None, repr=False)  # the snapshot lines' slots finish() fills
    _source_shown: bool = field(default=False, repr=False)

    @property
    def token_set(self) -> bool:
        if self._token is None:
            self._token = token_is_set()
        return self._token

    def finish(self) -> None:
        """Fill the sidebar lines ``page_frame(later=True)`` left empty: the snapshot's (loading it)
        and whether a Hub token is set (the check imports huggingface_hub, 0.1-0.3 s of a cold start).
        Discover calls it once its table is out; other pages get them from ``page_frame``. Idempotent."""
        slots, self._snapshot_slot = self._snapshot_slot, None
        if slots is not None:
            _snapshot_lines(self.mode, slots, None if self._source_shown else self._status)
        slot, self._token_slot = self._token_slot, None
        if slot is not None:
            slot.markdown(token_line(self.token_set) + (_(" · not used while offline") if self.offline else ""))

    def show_source(self, result: SearchResult | None = None, error: str | None = None) -> None:
        """Fill the sidebar's "answered by" line once the page knows which catalog answered."""
        if self._status is None:
            return
        self._source_shown = True
        if error:
            self._status.error(_("Hub unreachable: {error}").format(error=error), icon=":material/cloud_off:")
        elif result is not None:
            self._status.markdown(source_line(result.source, result.fallback_reason))


def source_line(info: SourceInfo, fallback_reason: str | None = None) -> str:
    """One markdown line: which catalog answered, with the snapshot date."""
    if info.kind == "live":
        return _(":green[●] Answered by **the live Hub**")
    text = _(":orange[●] Answered by **{source}**").format(source=info.label)
    if fallback_reason:
        text += _(" (the Hub did not answer)")
    return text


def token_line(token_set: bool) -> str:
    """The sidebar's Hub token line (whether one is set; never the token)."""
    return (_(":green[Set] (used, never shown)") if token_set else
            _("Not set: anonymous calls (the Hub allows about 500 per 5 minutes)"))


def token_is_set() -> bool:
    """Whether huggingface_hub would send a token (env ``HF_TOKEN`` or a saved login). Never shown."""
    from lib.hub import auth

    return auth.has_token()


def visitor_name() -> str | None:
    """The signed-in visitor's Hugging Face user name (``st.user.preferred_username``, the claim the Hub's
    OAuth gives), or None when nobody is signed in. A display name (``name``) is not used: anyone can
    choose theirs."""
    try:
        info = st.user.to_dict()
    except Exception:  # noqa: BLE001 - no script context / auth not configured: nobody signed in
        return None
    if not info.get("is_logged_in"):
        return None
    name = info.get("preferred_username")
    return str(name) if isinstance(name, str) and name.strip() else None


def visitor_access() -> Access:
    """What the current visitor may do (:func:`lib.access.access_for` with the signed-in name)."""
    return access_for(visitor_name())


def access_lines(access: Access) -> str:
    """The sidebar's public-instance section, as markdown."""
    if access.admin:
        return _(":green-badge[:material/shield_person: Admin] signed in: the public-instance limits are lifted.")
    return _("Limited for visitors:") + "\n" + "\n".join(f"- {line}" for line in access.limits())


def auth_configured() -> bool:
    """Whether Streamlit's sign-in (``st.login``: an ``[auth]`` section in secrets.toml) is set up."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _sign_in_out(sb, offline: bool = False) -> None:
    """Sign-in / sign-out buttons on a public instance whose sign-in is configured (admins lift limits).
    Offline: no sign-in (it goes to the Hub's OAuth)."""
    if visitor_name() is not None:
        sb.button(_("Sign out"), key="frame_sign_out", on_click=st.logout, icon=":material/logout:")
    elif auth_configured():
        if offline:
            sb.caption(_("Sign-in needs the Hub: not offline."))
        else:
            sb.button(_("Sign in (admins)"), key="frame_sign_in", on_click=st.login, icon=":material/login:")


# ---- the offline switch ----------------------------------------------------------------------------
def _session_switch() -> bool:
    """The browser session's offline switch, for :func:`lib.hub.policy.is_offline` on a script-run thread
    (a page run, a fragment's rerun, a callback); False on any other thread."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return False
    return bool(st.session_state.get(_OFFLINE_MEMORY))


policy.use_session_switch(_session_switch)


def _init_offline() -> bool:
    """Seed the offline toggle (URL ``offline=1`` first, then this session's choice); -> the env's switch
    (``HF_HUB_OFFLINE``: on for everyone, the toggle fixed on)."""
    env = get_settings().hub_offline
    url = st.query_params.get(OFFLINE_PARAM)
    if url is not None:
        st.session_state[_OFFLINE_MEMORY] = url.strip().lower() in ("1", "true", "yes", "on")
    st.session_state[OFFLINE_KEY] = env or bool(st.session_state.get(_OFFLINE_MEMORY))
    return env


def _on_offline_change() -> None:
    st.session_state[_OFFLINE_MEMORY] = bool(st.session_state[OFFLINE_KEY])
    if OFFLINE_PARAM in st.query_params:  # the URL must not pull the old choice back
        del st.query_params[OFFLINE_PARAM]
    cached.forget_hub_down()


def offline_banner(page: str) -> str:
    """The banner line of ``page`` (a title of :data:`NAV`) while offline: what works, what does not."""
    works, not_offline = OFFLINE_NOTES.get(page, _OFFLINE_DEFAULT)
    return _("**Offline**: no network requests. Works: {works}. Not offline: {not_offline}.").format(
        works=_(works), not_offline=_(not_offline))


def _init_mode() -> None:
    """Seed the sidebar control: URL ``source=`` first, then this session's choice, then the env.

    Widget state does not survive a page switch in Streamlit, so the choice lives in a plain
    session key (``_MODE_MEMORY``, updated by the control's callback) and is copied into the
    widget's key before the widget is drawn on every run.
    """
    url_mode = st.query_params.get("source")
    if url_mode in MODES:
        st.session_state[_MODE_MEMORY] = url_mode
    elif st.session_state.get(_MODE_MEMORY) not in MODES:
        env = cached.mode_from_env()
        st.session_state[_MODE_MEMORY] = env if env in MODES else "auto"
    st.session_state[MODE_KEY] = st.session_state[_MODE_MEMORY]


def _on_mode_change() -> None:
    st.session_state[_MODE_MEMORY] = st.session_state[MODE_KEY]
    if "source" in st.query_params:  # the URL must not pull the old choice back
        del st.query_params["source"]
    cached.forget_hub_down()


def set_mode(mode: str) -> None:
    """Switch the catalog mode from page code (e.g. a "use the snapshot" button), then rerun."""
    if mode in MODES:
        st.session_state[_MODE_MEMORY] = mode
        if "source" in st.query_params:
            del st.query_params["source"]
        cached.forget_hub_down()


def page_frame(title: str, icon: str, *, later: bool = False) -> Frame:
    """Set the page config and draw the sidebar; call first on every page.

    ``later``: leave the snapshot lines and the Hub token line empty for the page to fill with
    :meth:`Frame.finish` once its main content is drawn (Discover: after the table, so that a cold
    start reaches the page's own elements before loading the snapshot, and imports huggingface_hub
    only after the table)."""
    language.init()  # first: every text below is in the session's language
    st.set_page_config(page_title=f"{_(title)} · Hub Scout", page_icon=icon, layout="wide")  # i18n: product name
    logs.configure()
    _error_details(get_settings().public)
    _init_mode()
    env_offline = _init_offline()
    shortlist.keep()
    access = visitor_access()
    from lib.hub import gateway

    gateway.allow_private_repos(access.private_repos)  # for this script run
    sb = st.sidebar
    language.switch(sb)
    with sb:
        _nav()
    offline = sb.toggle(_("Offline"), key=OFFLINE_KEY, disabled=env_offline, on_change=_on_offline_change,
                        help=_("HF_HUB_OFFLINE is set: this instance never calls the Hub.") if env_offline else
                        _("No network at all, for this browser tab: the snapshot and the local cache only."))
    if not env_offline:  # the URL keeps the switch (a link reproduces the view)
        if offline and st.query_params.get(OFFLINE_PARAM) != "1":
            st.query_params[OFFLINE_PARAM] = "1"
        elif not offline and OFFLINE_PARAM in st.query_params:
            del st.query_params[OFFLINE_PARAM]
    sb.markdown("### " + _("Catalog"))
    if offline:  # the snapshot, whatever the catalog choice (kept for when the switch goes off)
        st.session_state[MODE_KEY] = "snapshot"
    mode = sb.radio(
        _("Catalog source"), list(MODES), key=MODE_KEY, format_func=i18n.in_current(lambda m: _(MODES[m])),
        horizontal=True, help="\n\n".join(f"**{_(MODES[m])}**: {_(h)}" for m, h in MODE_HELP.items()),
        on_change=_on_mode_change, disabled=offline,
    )
    if not offline:  # offline, the URL keeps the choice made before
        if mode == cached.mode_from_env():
            if "source" in st.query_params:
                del st.query_params["source"]
        elif st.query_params.get("source") != mode:
            st.query_params["source"] = mode
    if offline:
        with st.container(key="offline_banner"):
            st.info(offline_banner(title), icon=":material/cloud_off:")

    status = sb.empty()
    snapshot_caption = sb.empty()
    if access.public:
        sb.markdown("### " + _("Public instance"))
        sb.markdown(access_lines(access))
        _sign_in_out(sb, offline)
    sb.markdown("### " + _("Hub token"))
    token_slot = sb.empty()
    _backup_line(sb)
    hw = hardware.detect()
    sb.markdown("### " + _("This machine"))
    sb.markdown(hardware_lines(hw))
    # The snapshot lines last: everything above reaches the browser before the snapshot loads.
    snapshot_slot = sb.empty()  # a problem with the configured snapshot file
    for ignored in get_settings().problems:  # a bad environment value: the default is used, and said so
        sb.warning(ignored, icon=":material/settings:")
    frame = Frame(mode=mode, hardware=hw, access=access, offline=offline, _status=status, _token_slot=token_slot,
                  _snapshot_slot=(snapshot_caption, snapshot_slot))
    if not later:
        frame.finish()
    return frame


def _snapshot_lines(mode: str, slots: tuple, status) -> None:
    """The sidebar's snapshot lines (loads the snapshot): its caption, a problem with a configured file, and
    the catalog line (``status``; None: the page already said which catalog answered)."""
    caption, problem_slot = slots
    info, n = cached.snapshot_info()
    if status is not None:
        if mode == "snapshot":
            status.markdown(source_line(info))
        elif mode == "live":
            status.markdown(_(":blue[●] The live Hub only"))
        else:
            status.markdown(_(":blue[●] The live Hub, falling back to the snapshot"))
    caption.caption(ngettext("Snapshot: {n} model, dated {date}", "Snapshot: {n} models, dated {date}", n).format(
        n=fmt.number(n), date=fmt.date(info.date) if info.date else _("unknown")))
    problem = cached.snapshot_problem()
    if problem:
        problem_slot.error(_("{problem} The embedded snapshot is used instead.").format(problem=problem),
                           icon=":material/error:")


def _backup_line(sb) -> None:
    """Session backups (``HUBSCOUT_BACKUP_REPO``): started once per process, where they stand in one line."""
    if not get_settings().backup_repo:
        return
    from lib.sessions import backup

    status = backup.ensure_started()
    sb.markdown("### " + _("Session backups"))
    if status.state == "failed" or status.push_error:
        sb.warning(status.line(), icon=":material/cloud_off:")
    else:
        sb.caption(status.line())


_CONFIGURED_DETAILS: list[object] = []  # client.showErrorDetails as configured, before any page changed it


def _error_details(public: bool) -> None:
    """Streamlit's own details of an uncaught exception (type, message, traceback) are never sent to a
    public instance's visitors ("none": a generic message; the server log keeps the detail); off a public
    instance the configured value (.streamlit/config.toml, default "full") stays. The option is
    process-wide and scriptable (``st.set_option``), set on every page run before anything can fail."""
    from streamlit import config

    if not _CONFIGURED_DETAILS:
        _CONFIGURED_DETAILS.append(config.get_option("client.showErrorDetails"))
    wanted = "none" if public else _CONFIGURED_DETAILS[0]
    if config.get_option("client.showErrorDetails") != wanted:
        st.set_option("client.showErrorDetails", wanted)


NAV: tuple[tuple[str, str, str], ...] = (
    ("streamlit_app.py", N_("Home"), ":material/home:"),
    ("pages/1_Discover.py", N_("Discover"), ":material/search:"),
    ("pages/2_Model.py", N_("Model"), ":material/deployed_code:"),
    ("pages/3_Playground.py", N_("Playground"), ":material/play_circle:"),
    ("pages/4_Sessions.py", N_("Sessions"), ":material/groups:"),
    ("pages/5_Local_models.py", N_("Local models"), ":material/hard_drive:"),
)


def kept_params() -> dict[str, str]:
    """The URL params every link between pages keeps: the catalog source, the offline switch, the session
    shortlist and the UI language (the one list of them, for the sidebar and for lib.ui.links)."""
    return {k: st.query_params[k] for k in ("source", OFFLINE_PARAM, shortlist.PARAM, language.PARAM)
            if k in st.query_params}


def _nav() -> None:
    """Links to the pages that exist (Streamlit's own list is hidden in .streamlit/config.toml:
    it would call the home page "streamlit app" and drop the ``source=`` / ``offline=`` params)."""
    params = kept_params() or None
    for path, label, icon in NAV:
        if page_exists(path):
            st.page_link(path, label=_(label), icon=icon, query_params=params)
    st.divider()


def hardware_lines(hw: hardware.Hardware) -> str:
    """RAM, then each GPU with its memory, as markdown lines (decimal GB: ``Hardware.lines``)."""
    return hw.lines()


def page_exists(path: str) -> bool:
    """Whether a page file exists next to the entry script (pages are added over time)."""
    from pathlib import Path

    return (Path(__file__).resolve().parents[2] / path).is_file()
