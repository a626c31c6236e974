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
from lib.i18n import ngettext
from lib.local import download as local_download
from lib.local.inventory import LocalModel
from lib.local_models import damaged_message
from lib.logs import for_people
from lib.ui import cached

P = "lm_"
DELETE_ADMINS_ONLY = "On this public instance only admins delete models from the cache."
FIT_BADGES = {"fits": "✅ fits", "tight": "⚠️ tight", "too large": "⛔ too large", "unknown": "? unknown"}


def _when(ts: float | None) -> str:
    return fmt.ago(datetime.fromtimestamp(ts, UTC)) if ts else "–"


def _rows_table(rows: list[LocalModel], with_revisions: bool) -> list[dict]:
    out = []
    for r in rows:
        row = {"Model": r.name, "Size": fmt.size_bytes(r.size)}
        if with_revisions:
            row["Revisions"] = len(r.revisions)
            row["Last used"] = _when(r.last_used)
        row.update({"Modified": _when(r.last_modified),
                    "Task": tasks.display_name(r.task) if r.task else "–",
                    "Offline": "✅ runs offline" if r.offline.ok else "❌ " + r.offline.text,
                    "Fits here": FIT_BADGES.get(r.fit, r.fit),
                    "Problem": r.problem or ""})
        out.append(row)
    return out


# ---- download -------------------------------------------------------------------------------------------
def download_section(hardware, access: Access) -> None:
    """A Hub id, its download plan (files, bytes, fit), refusals, and the download with byte progress."""
    st.subheader("Download a model", anchor=False)
    _follow_download()
    _show_outcome()
    if is_offline():
        st.info("Offline mode: downloads need the Hub. The models below run as they are.",
                icon=":material/cloud_off:")
        return
    model = st.text_input("Hub id (owner/name)", key=P + "id", placeholder="distilbert/distilbert-base-uncased")
    model = (model or "").strip()
    if not model:
        st.caption("Fetches the files a run uses (safetensors preferred, no duplicate formats) into the Hugging "
                   "Face cache, so that the model runs offline later.")
        return
    override = st.session_state.get(P + "override", False) and access.load_anyway
    try:
        plan = local_download.plan(model, hardware, access, override=override)
    except HubError as e:
        st.error(for_people(e.message), icon=":material/error:")
        return
    size = fmt.size_bytes(plan.total_bytes) if plan.total_bytes is not None else "unknown size"
    st.markdown(f"**{plan.repo_id}** · {len(plan.files)} files · {size}  \nOn this machine: {plan.fit_reason}")
    if plan.refusal and not plan.overridable:
        st.warning(plan.refusal, icon=":material/block:")
        return
    if plan.overridable or override:
        st.checkbox("Download anyway (it may not run on this machine)", key=P + "override")
        if plan.refusal:
            st.warning(plan.refusal, icon=":material/memory:")
            return
    busy = st.session_state.get(P + "job") is not None
    if st.button("Download", key=P + "download", type="primary", icon=":material/download:", disabled=busy):
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
        text = (f"{fmt.size_bytes(p.done_bytes)} of {fmt.size_bytes(p.total_bytes)}" if p.total_bytes
                else fmt.size_bytes(p.done_bytes))
        st.progress(min(max(p.fraction or 0.0, 0.0), 1.0), text=f"Downloading {job.repo_id}: {text}")
        st.button("Cancel the download", key=P + "cancel", icon=":material/cancel:", on_click=job.cancel,
                  help="Stops at the next bytes written; nothing of the download is kept.")
        return
    st.session_state.pop(P + "job", None)
    cached.forget_local()
    if p.state == "done":
        st.session_state[P + "outcome"] = ("success", f"Downloaded {job.repo_id} "
                                           f"({fmt.size_bytes(p.done_bytes)} in {p.elapsed_s:.1f} s): it is in "
                                           "the local cache.")
    elif p.state == "cancelled":
        st.session_state[P + "outcome"] = ("info", f"Download of {job.repo_id} cancelled: nothing of it was kept.")
    else:
        st.session_state[P + "outcome"] = ("error", for_people(job.error_message or "The download stopped."))
    st.rerun()


def _show_outcome() -> None:
    outcome = st.session_state.pop(P + "outcome", None)
    if outcome:
        {"success": st.success, "info": st.info}.get(outcome[0], st.error)(outcome[1])


# ---- the cache ----------------------------------------------------------------------------------------
def cache_section(rows: list[LocalModel], hardware, access: Access) -> None:
    """The cache's models, damaged ones first offered a fresh download, then delete with confirmation."""
    st.subheader("In the Hugging Face cache", anchor=False)
    n_models = ngettext("{n} model", "{n} models", len(rows)).format(n=fmt.number(len(rows)))
    st.caption(f"Folder: the Hugging Face cache (`HF_HUB_CACHE`) · {n_models} · "
               f"{fmt.size_bytes(sum(r.size for r in rows))} on disk · "
               f"{fmt.size_bytes(hub_cache.free_disk_bytes())} free")
    done = st.session_state.pop(P + "deleted", None)
    if done:
        st.success(done, icon=":material/delete:")
    if not rows:
        st.info("Nothing in the cache yet: download a model above, or run one in the Playground.",
                icon=":material/inventory_2:")
        return
    st.dataframe(_rows_table(rows, True), hide_index=True, width="stretch", key=P + "cache_table")
    can_delete = not access.public or access.admin
    for r in rows:
        if r.problem:
            st.error(f"**{r.name}**: " + damaged_message(r.problem), icon=":material/broken_image:")
            if can_delete and not is_offline() and st.button("Delete and download again", key=P + "redo_" + r.name):
                _redownload(r, hardware, access)
    if not can_delete:
        st.caption(DELETE_ADMINS_ONLY)
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
    with st.expander("Delete from the cache", icon=":material/delete:",
                     expanded=bool(st.session_state.get(P + "confirm"))):
        names = [r.name for r in rows]
        name = st.selectbox("Model", names, key=P + "del_model")
        row = rows[names.index(name)]
        whole = ngettext("The whole repo ({n} revision)", "The whole repo ({n} revisions)",
                         len(row.revisions)).format(n=fmt.number(len(row.revisions)))
        choices = [whole] + [_revision_label(rev) for rev in row.revisions]
        what = st.selectbox("What", choices, key=P + "del_what")
        commits = None if what == whole else (row.revisions[choices.index(what) - 1].commit,)
        if st.button("Delete…", key=P + "delete"):
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
    what = f"{name}" if commits is None else f"revision {commits[0][:8]} of {name}"
    with st.container(border=True, key=P + "confirm_box"):
        st.warning(f"Delete **{what}**? This frees **{fmt.size_bytes(plan.freed_bytes)}** and cannot be "
                   "undone (a later run downloads it again).", icon=":material/warning:")
        yes, no = st.columns(2)
        if yes.button("Delete", key=P + "confirm_yes", type="primary"):
            try:
                plan.execute()
            except HubError as e:
                st.error(for_people(e.message))
                return
            finally:
                st.session_state.pop(P + "confirm", None)
                cached.forget_local()
            st.session_state[P + "deleted"] = f"Deleted {what}: {fmt.size_bytes(plan.freed_bytes)} freed."
            st.rerun()
        if no.button("Cancel", key=P + "confirm_no"):
            st.session_state.pop(P + "confirm", None)
            st.rerun()


# ---- configured folders ---------------------------------------------------------------------------------
def folders_section(rows: list[LocalModel], configured: bool) -> None:
    st.subheader("Model folders", anchor=False)
    if not configured:
        st.caption("None configured: set `HUBSCOUT_MODEL_DIRS` to folders that hold model folders to list "
                   "them here (read-only: Hub Scout never deletes them).")
        return
    st.caption("From `HUBSCOUT_MODEL_DIRS` · read-only: Hub Scout never deletes these.")
    if not rows:
        st.info("No model folder (a folder with a config.json) in the configured folders.")
        return
    st.dataframe(_rows_table(rows, False), hide_index=True, width="stretch", key=P + "folder_table")
    for r in rows:
        if r.problem:
            st.error(f"**{r.name}**: " + damaged_message(r.problem).replace(
                "Delete it on the Local models page and download it again.", "Replace its weights file."))
