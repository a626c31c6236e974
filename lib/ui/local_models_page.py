"""The Local models page's sections: pre-download a Hub model, the Hugging Face cache (delete a revision
or a repo after a confirmation showing the space freed; damaged entries offered a fresh download), and
the configured model folders (read-only).

The logic is :mod:`lib.local` (inventory, download plan) and :mod:`lib.hub.cache` (scan, delete); the
download runs as a :mod:`lib.jobs.download` job kept in the session and followed by a fragment (progress,
Cancel), so the page stays usable and the outcome survives a page switch.
The listing is cached a minute (:func:`lib.ui.cached.local_inventory`) and forgotten after a download or
a delete here.
"""
from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from lib import format as fmt
from lib import tasks
from lib.access import Access
from lib.hub import cache as hub_cache
from lib.hub.errors import HubError
from lib.hub.policy import is_offline
from lib.i18n import N_, _, ngettext
from lib.local import download as local_download
from lib.local.inventory import LocalModel
from lib.local_models import Damage, damaged_message
from lib.logs import for_people
from lib.ui import cached

P = "lm_"
WHOLE_REPO = "repo"  # the delete picker's value for the whole repo (a commit is 40 hex digits)
DELETE_ADMINS_ONLY = N_("On this public instance only admins delete models from the cache.")
#: :func:`lib.local.inventory.fit_label` codes -> badges (translated where shown)
# i18n: the keys are codes
FIT_BADGES = {"fits": N_("✅ fits"), "tight": N_("⚠️ tight"), "too large": N_("⛔ too large"),
              "unknown": N_("? unknown")}


def _when(ts: float | None) -> str:
    return fmt.ago(datetime.fromtimestamp(ts, UTC)) if ts else "–"


def _rows_table(rows: list[LocalModel], with_revisions: bool) -> list[dict]:
    out = []
    for r in rows:
        row = {_("Model"): r.name, _("Size"): fmt.size_bytes(r.size)}
        if with_revisions:
            row[_("Revisions")] = len(r.revisions)
            row[_("Last used")] = _when(r.last_used)
        row.update({_("Modified"): _when(r.last_modified),
                    _("Task"): tasks.display_name(r.task) if r.task else "–",
                    _("Offline"): "✅ " + r.offline.text if r.offline.ok else "❌ " + r.offline.text,
                    _("Fits here"): _(FIT_BADGES[r.fit]) if r.fit in FIT_BADGES else r.fit,
                    _("Problem"): _problem_text(r.problem)})
        out.append(row)
    return out


def _problem_text(problem: str | None) -> str:
    """A row's damaged weights file in the current language (the listing is cached in English)."""
    if not problem:
        return ""
    return problem.text() if isinstance(problem, Damage) else problem


# ---- download -------------------------------------------------------------------------------------------
def download_section(hardware, access: Access) -> None:
    """A Hub id, its download plan (files, bytes, fit), refusals, and the download with byte progress."""
    st.subheader(_("Download a model"), anchor=False)
    _follow_download()
    _show_outcome()
    if is_offline():
        st.info(_("Offline mode: downloads need the Hub. The models below run as they are."),
                icon=":material/cloud_off:")
        return
    model = st.text_input(_("Hub id (owner/name)"), key=P + "id",
                          placeholder="distilbert/distilbert-base-uncased")  # i18n: a model id
    model = (model or "").strip()
    if not model:
        st.caption(_("Fetches the files a run uses (safetensors preferred, no duplicate formats) into the Hugging "
                     "Face cache, so that the model runs offline later."))
        return
    override = st.session_state.get(P + "override", False) and access.load_anyway
    try:
        plan = local_download.plan(model, hardware, access, override=override)
    except HubError as e:
        st.error(for_people(e.message), icon=":material/error:")
        return
    size = fmt.size_bytes(plan.total_bytes) if plan.total_bytes is not None else _("unknown size")
    files = ngettext("{n} file", "{n} files", len(plan.files)).format(n=fmt.number(len(plan.files)))
    st.markdown(f"**{plan.repo_id}** · {files} · {size}  \n"  # i18n: a model id and texts translated above
                + _("On this machine: {reason}").format(reason=plan.fit_reason))
    if plan.refusal and not plan.overridable:
        st.warning(plan.refusal, icon=":material/block:")
        return
    if plan.overridable or override:
        st.checkbox(_("Download anyway (it may not run on this machine)"), key=P + "override")
        if plan.refusal:
            st.warning(plan.refusal, icon=":material/memory:")
            return
    busy = st.session_state.get(P + "job") is not None
    if st.button(_("Download"), key=P + "download", type="primary", icon=":material/download:", disabled=busy):
        start_download(plan)
        st.rerun()


def start_download(plan) -> None:
    """Start ``plan``'s download job; the page's progress fragment follows it (also after a page switch)."""
    st.session_state[P + "job"] = local_download.start(plan)


def _follow_download() -> None:
    """The running download (if any) with its byte progress and a Cancel button, refreshed twice a second
    by a fragment so the rest of the page stays usable; when it ends the outcome is kept and the page
    (its cache listing) is drawn again."""
    if st.session_state.get(P + "job") is not None:
        _download_progress()


@st.fragment(run_every=0.5)
def _download_progress() -> None:
    job = st.session_state.get(P + "job")
    if job is None:
        return
    p = job.progress()
    if not job.finished:
        text = (_("{done} of {total}").format(done=fmt.size_bytes(p.done_bytes), total=fmt.size_bytes(p.total_bytes))
                if p.total_bytes else fmt.size_bytes(p.done_bytes))
        st.progress(min(max(p.fraction or 0.0, 0.0), 1.0),
                    text=_("Downloading {model}: {progress}").format(model=job.repo_id, progress=text))
        st.button(_("Cancel the download"), key=P + "cancel", icon=":material/cancel:", on_click=job.cancel,
                  help=_("Stops at the next bytes written; nothing of the download is kept."))
        return
    st.session_state.pop(P + "job", None)
    cached.forget_local()
    if p.state == "done":
        st.session_state[P + "outcome"] = ("success", _(
            "Downloaded {model} ({size} in {seconds} s): it is in the local cache.").format(
            model=job.repo_id, size=fmt.size_bytes(p.done_bytes), seconds=fmt.number(p.elapsed_s, decimals=1)))
    elif p.state == "cancelled":
        st.session_state[P + "outcome"] = ("info", _("Download of {model} cancelled: nothing of it was kept.").format(
            model=job.repo_id))
    else:
        st.session_state[P + "outcome"] = ("error", for_people(job.error_message or _("The download stopped.")))
    st.rerun()


def _show_outcome() -> None:
    outcome = st.session_state.pop(P + "outcome", None)
    if outcome:
        {"success": st.success, "info": st.info}.get(outcome[0], st.error)(outcome[1])


# ---- the cache ----------------------------------------------------------------------------------------
def cache_section(rows: list[LocalModel], hardware, access: Access) -> None:
    """The cache's models, damaged ones first offered a fresh download, then delete with confirmation."""
    st.subheader(_("In the Hugging Face cache"), anchor=False)
    n_models = ngettext("{n} model", "{n} models", len(rows)).format(n=fmt.number(len(rows)))
    st.caption(_("Folder: the Hugging Face cache (`HF_HUB_CACHE`) · {models} · {size} on disk · {free} free").format(
        models=n_models, size=fmt.size_bytes(sum(r.size for r in rows)),
        free=fmt.size_bytes(hub_cache.free_disk_bytes())))
    done = st.session_state.pop(P + "deleted", None)
    if done:
        st.success(done, icon=":material/delete:")
    if not rows:
        st.info(_("Nothing in the cache yet: download a model above, or run one in the Playground."),
                icon=":material/inventory_2:")
        return
    st.dataframe(_rows_table(rows, True), hide_index=True, width="stretch", key=P + "cache_table")
    can_delete = not access.public or access.admin
    for r in rows:
        if r.problem:
            st.error(f"**{r.name}**: " + damaged_message(r.problem),  # i18n: a model id, then a text
                     icon=":material/broken_image:")
            if can_delete and not is_offline() and st.button(_("Delete and download again"),
                                                                   key=P + "redo_" + r.name):
                _redownload(r, hardware, access)
    if not can_delete:
        st.caption(_(DELETE_ADMINS_ONLY))
        return
    _delete_picker(rows)


def _redownload(row: LocalModel, hardware, access: Access) -> None:
    try:
        hub_cache.delete_plan(row.name).execute()
        cached.forget_local()
        plan = local_download.plan(row.name, hardware, access, override=True)
    except HubError as e:
        st.error(for_people(e.message))
        return
    if plan.refusal:
        st.warning(plan.refusal)
        return
    start_download(plan)
    st.rerun()


def _revision_label(rev) -> str:
    refs = f" ({', '.join(rev.refs)})" if rev.refs else ""
    return f"{rev.commit[:8]}{refs} · {fmt.size_bytes(rev.size)} · {_when(rev.last_modified)}"


def _delete_picker(rows: list[LocalModel]) -> None:
    with st.expander(_("Delete from the cache"), icon=":material/delete:",
                     expanded=bool(st.session_state.get(P + "confirm"))):
        names = [r.name for r in rows]
        name = st.selectbox(_("Model"), names, key=P + "del_model")
        row = rows[names.index(name)]
        whole = ngettext("The whole repo ({n} revision)", "The whole repo ({n} revisions)",
                         len(row.revisions)).format(n=fmt.number(len(row.revisions)))
        # values stable across languages: the whole repo, or a revision's commit
        choices = [WHOLE_REPO] + [rev.commit for rev in row.revisions]
        labels = {rev.commit: _revision_label(rev) for rev in row.revisions}
        what = st.selectbox(_("What"), choices, key=P + "del_what", format_func=lambda c: labels.get(c, whole))
        commits = (what,) if what in labels else None
        if st.button(_("Delete…"), key=P + "delete"):
            st.session_state[P + "confirm"] = (name, commits)
        pending = st.session_state.get(P + "confirm")
        if pending:
            _confirm(*pending)


def _confirm(name: str, commits: tuple[str, ...] | None) -> None:
    try:
        plan = hub_cache.delete_plan(name, commits)
    except HubError as e:
        st.session_state.pop(P + "confirm", None)
        st.error(for_people(e.message))
        return
    what = name if commits is None else _("revision {commit} of {model}").format(commit=commits[0][:8], model=name)
    with st.container(border=True, key=P + "confirm_box"):
        st.warning(_("Delete **{what}**? This frees **{size}** and cannot be undone (a later run downloads it "
                     "again).").format(what=what, size=fmt.size_bytes(plan.freed_bytes)), icon=":material/warning:")
        yes, no = st.columns(2)
        if yes.button(_("Delete"), key=P + "confirm_yes", type="primary"):
            try:
                plan.execute()
            except HubError as e:
                st.error(for_people(e.message))
                return
            finally:
                st.session_state.pop(P + "confirm", None)
                cached.forget_local()
            st.session_state[P + "deleted"] = _("Deleted {what}: {size} freed.").format(
                what=what, size=fmt.size_bytes(plan.freed_bytes))
            st.rerun()
        if no.button(_("Cancel"), key=P + "confirm_no"):
            st.session_state.pop(P + "confirm", None)
            st.rerun()


# ---- configured folders ---------------------------------------------------------------------------------
def folders_section(rows: list[LocalModel], configured: bool) -> None:
    st.subheader(_("Model folders"), anchor=False)
    if not configured:
        st.caption(_("None configured: set `HUBSCOUT_MODEL_DIRS` to folders that hold model folders to list "
                     "them here (read-only: Hub Scout never deletes them)."))
        return
    st.caption(_("From `HUBSCOUT_MODEL_DIRS` · read-only: Hub Scout never deletes these."))
    if not rows:
        st.info(_("No model folder (a folder with a config.json) in the configured folders."))
        return
    st.dataframe(_rows_table(rows, False), hide_index=True, width="stretch", key=P + "folder_table")
    for r in rows:
        if r.problem:
            st.error(f"**{r.name}**: " + damaged_message(r.problem, folder=True))  # i18n: a path, then a text
