"""The Rate section: who rates, the blind pairwise vote, and 1-5 scores with comments.

Blind means no model name reaches the browser before the rater has voted: the pair is drawn by the store
(least-voted first, left/right at random and stored), the outputs are labelled "Left" / "Right" (scores:
"Output A", "B", … in an order drawn per rater), and the names are shown only once the vote is stored.
"""
from __future__ import annotations

import random
from typing import Any

import streamlit as st

from lib import format as fmt
from lib import i18n
from lib.i18n import N_, _, ngettext
from lib.ui import sessions_view as view
from lib.ui.frame import auth_configured, visitor_name

P = "sess_rate_"
#: vote value (stored) -> its label (translated where shown) and icon
CHOICES = (("left", N_("Left is better"), ":material/arrow_back:"),
           ("right", N_("Right is better"), ":material/arrow_forward:"),
           ("tie", N_("Tie"), ":material/drag_handle:"),
           ("both_bad", N_("Both bad"), ":material/thumb_down:"))
#: the two ways to rate (the values kept in the session state; labels translated where shown)
BLIND, SCORES = N_("Blind pairs"), N_("Scores 1–5")
_RATER = "_hubscout_rater"


def rater() -> str | None:
    """The signed-in user where Streamlit's login is configured, else the name typed here (kept while the
    browser session lasts). None until there is one."""
    signed = visitor_name()
    if signed:
        st.caption(_("Rating as **{name}** (signed in).").format(name=fmt.md_escape(signed)))
        return signed
    from lib.hub.policy import is_offline

    if auth_configured() and not is_offline():  # offline: no sign-in (the Hub's OAuth)
        st.button(_("Sign in to rate under your Hugging Face name"), key=P + "sign_in", on_click=st.login,
                  icon=":material/login:")
    if P + "name" not in st.session_state:
        st.session_state[P + "name"] = st.session_state.get(_RATER, "")
    name = st.text_input(_("Your name (as a rater)"), key=P + "name", max_chars=64,
                         help=_("Your votes and scores are kept under this name: voting again replaces your "
                                "earlier vote on the same pair."))
    name = " ".join((name or "").split())
    st.session_state[_RATER] = name
    if not name:
        st.info(_("Enter your name to start rating."), icon=":material/badge:")
        return None
    return name


def mode() -> str:
    return st.segmented_control(_("Rate by"), [BLIND, SCORES], default=BLIND, key=P + "mode", required=True,
                                format_func=i18n.in_current(_)) or BLIND


# ---- blind pairs ----------------------------------------------------------------------------------

def blind_vote(session: Any, name: str) -> None:
    """One pair at a time; the vote reveals the names; "Next pair" draws the next least-voted pair."""
    from lib.sessions import store

    pair_key, done_key = f"{P}pair_{session.id}_{name}", f"{P}done_{session.id}_{name}"
    voted = st.session_state.get(done_key)
    if voted:
        _reveal(session, voted)
        if st.button(_("Next pair"), type="primary", key=P + "next", icon=":material/skip_next:"):
            st.session_state.pop(done_key, None)
            st.session_state.pop(pair_key, None)
            st.rerun()
        return
    pair = st.session_state.get(pair_key)
    if pair is None:
        pair = store.next_pair(session.id, name)
        if pair is None:
            st.success(_("You have voted on every pair that has outputs. Thank you — see **{results}**.").format(
                results=_(view.SECTIONS[3])), icon=":material/task_alt:")
            return
        st.session_state[pair_key] = pair
    input_id, left, right = pair
    inp = next(i for i in session.inputs if i.id == input_id)
    cells = store.outputs(session.id)
    st.caption(_("Which output is better for this input? The models stay hidden until you vote."))
    view.show_input(session.task, inp)
    c_left, c_right = st.columns(2, gap="large")
    with c_left:
        st.markdown("#### " + _("Left"))
        view.show_output(session.task, inp, _blind(cells.get((input_id, left))))
    with c_right:
        st.markdown("#### " + _("Right"))
        view.show_output(session.task, inp, _blind(cells.get((input_id, right))))
    buttons = st.columns(len(CHOICES))
    for col, (choice, label, icon) in zip(buttons, CHOICES, strict=True):
        if col.button(_(label), key=f"{P}vote_{choice}", icon=icon, width="stretch"):
            store.cast_vote(session.id, name, input_id, left, right, choice)
            st.session_state[done_key] = {"input": input_id, "left": left, "right": right, "choice": choice}
            st.rerun()


def _blind(cell: dict | None) -> dict | None:
    """The cell without its latency (timings can tell models apart)."""
    return None if cell is None else {**cell, "latency_s": None}


def _reveal(session: Any, voted: dict) -> None:
    names = {c.id: c.name for c in session.candidates}
    label = {c: lbl for c, lbl, _icon in CHOICES}[voted["choice"]]
    st.success(_("Vote stored: **{vote}**.").format(vote=_(label)) + "  \n"
               + _("Left was **{left}**, right was **{right}**.").format(
                   left=fmt.md_escape(names[voted["left"]]), right=fmt.md_escape(names[voted["right"]])),
               icon=":material/how_to_vote:")


# ---- scores -----------------------------------------------------------------------------------------

def scores(session: Any, name: str) -> None:
    """Every output of one input, shuffled and lettered; a 1-5 star score and a comment each."""
    from lib.sessions import store

    cells = store.outputs(session.id)
    mine = {(s["input"], s["candidate"]) for s in store.scores(session.id) if s["rater"] == name}
    todo = [i for i in session.inputs
            if any((i.id, c.id) in cells and not cells[(i.id, c.id)].get("error") and (i.id, c.id) not in mine
                   for c in session.candidates)]
    saved_key = f"{P}saved_{session.id}_{name}"
    if st.session_state.get(saved_key):
        st.success(_saved(st.session_state.pop(saved_key)), icon=":material/grade:")
    if not todo:
        st.success(_("You have scored every output. Thank you — see **{results}**.").format(
            results=_(view.SECTIONS[3])), icon=":material/task_alt:")
        return
    inp = todo[0]
    st.caption(ngettext("{n} input left to score. Models stay hidden until you save.",
                        "{n} inputs left to score. Models stay hidden until you save.", len(todo)).format(
        n=fmt.number(len(todo))))
    view.show_input(session.task, inp)
    order_key = f"{P}order_{session.id}_{name}_{inp.id}"
    if order_key not in st.session_state:
        ids = [c.id for c in session.candidates if (inp.id, c.id) in cells and not cells[(inp.id, c.id)].get("error")]
        random.SystemRandom().shuffle(ids)
        st.session_state[order_key] = ids
    order = st.session_state[order_key]
    given: dict[str, tuple[int | None, str]] = {}
    for n, cid in enumerate(order):
        letter = chr(ord("A") + n)
        with st.container(border=True):
            st.markdown(_("**Output {letter}**").format(letter=letter))
            view.show_output(session.task, inp, _blind(cells.get((inp.id, cid))))
            stars = st.feedback("stars", key=f"{P}stars_{inp.id}_{letter}")
            comment = st.text_input(_("Comment (optional)"), key=f"{P}comment_{inp.id}_{letter}", max_chars=500)
            given[cid] = (None if stars is None else stars + 1, comment)
    if st.button(_("Save scores"), type="primary", key=P + "save", icon=":material/save:"):
        rated = {cid: v for cid, v in given.items() if v[0] is not None}
        if not rated:
            st.warning(_("Give at least one output a score (1–5 stars) first."), icon=":material/star:")
            return
        for cid, (score, comment) in rated.items():
            store.set_score(session.id, name, inp.id, cid, score, comment.strip() or None)
        names = {c.id: c.name for c in session.candidates}
        # what was saved, said on the next run (in its language): (letter, model, score) per output
        st.session_state[saved_key] = [(chr(ord("A") + order.index(cid)), names[cid], score)
                                       for cid, (score, _comment) in rated.items()]
        st.rerun()


def _saved(saved: list) -> str:
    """The line after saving scores: which lettered output was which model."""
    return _("Scores saved.") + " " + " · ".join(
        _("{letter} was **{model}** ({score}★)").format(letter=letter, model=fmt.md_escape(model), score=score)
        for letter, model, score in saved)
