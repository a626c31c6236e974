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
from lib.ui import sessions_view as view
from lib.ui.frame import auth_configured, visitor_name

P = "sess_rate_"
CHOICES = (("left", "Left is better", ":material/arrow_back:"),
           ("right", "Right is better", ":material/arrow_forward:"),
           ("tie", "Tie", ":material/drag_handle:"),
           ("both_bad", "Both bad", ":material/thumb_down:"))
_RATER = "_hubscout_rater"


def rater() -> str | None:
    """The signed-in user where Streamlit's login is configured, else the name typed here (kept while the
    browser session lasts). None until there is one."""
    signed = visitor_name()
    if signed:
        st.caption(f"Rating as **{fmt.md_escape(signed)}** (signed in).")
        return signed
    from lib.hub.policy import is_offline

    if auth_configured() and not is_offline():  # offline: no sign-in (the Hub's OAuth)
        st.button("Sign in to rate under your Hugging Face name", key=P + "sign_in", on_click=st.login,
                  icon=":material/login:")
    if P + "name" not in st.session_state:
        st.session_state[P + "name"] = st.session_state.get(_RATER, "")
    name = st.text_input("Your name (as a rater)", key=P + "name", max_chars=64,
                         help="Your votes and scores are kept under this name: voting again replaces your "
                              "earlier vote on the same pair.")
    name = " ".join((name or "").split())
    st.session_state[_RATER] = name
    if not name:
        st.info("Enter your name to start rating.", icon=":material/badge:")
        return None
    return name


def mode() -> str:
    return st.segmented_control("Rate by", ["Blind pairs", "Scores 1–5"], default="Blind pairs", key=P + "mode",
                                required=True) or "Blind pairs"


# ---- blind pairs ----------------------------------------------------------------------------------

def blind_vote(session: Any, name: str) -> None:
    """One pair at a time; the vote reveals the names; "Next pair" draws the next least-voted pair."""
    from lib.sessions import store

    pair_key, done_key = f"{P}pair_{session.id}_{name}", f"{P}done_{session.id}_{name}"
    voted = st.session_state.get(done_key)
    if voted:
        _reveal(session, voted)
        if st.button("Next pair", type="primary", key=P + "next", icon=":material/skip_next:"):
            st.session_state.pop(done_key, None)
            st.session_state.pop(pair_key, None)
            st.rerun()
        return
    pair = st.session_state.get(pair_key)
    if pair is None:
        pair = store.next_pair(session.id, name)
        if pair is None:
            st.success("You have voted on every pair that has outputs. Thank you — see **Results**.",
                       icon=":material/task_alt:")
            return
        st.session_state[pair_key] = pair
    input_id, left, right = pair
    inp = next(i for i in session.inputs if i.id == input_id)
    cells = store.outputs(session.id)
    st.caption("Which output is better for this input? The models stay hidden until you vote.")
    view.show_input(session.task, inp)
    c_left, c_right = st.columns(2, gap="large")
    with c_left:
        st.markdown("#### Left")
        view.show_output(session.task, inp, _blind(cells.get((input_id, left))))
    with c_right:
        st.markdown("#### Right")
        view.show_output(session.task, inp, _blind(cells.get((input_id, right))))
    buttons = st.columns(len(CHOICES))
    for col, (choice, label, icon) in zip(buttons, CHOICES, strict=True):
        if col.button(label, key=f"{P}vote_{choice}", icon=icon, width="stretch"):
            store.cast_vote(session.id, name, input_id, left, right, choice)
            st.session_state[done_key] = {"input": input_id, "left": left, "right": right, "choice": choice}
            st.rerun()


def _blind(cell: dict | None) -> dict | None:
    """The cell without its latency (timings can tell models apart)."""
    return None if cell is None else {**cell, "latency_s": None}


def _reveal(session: Any, voted: dict) -> None:
    names = {c.id: c.name for c in session.candidates}
    label = {c: lbl for c, lbl, _ in CHOICES}[voted["choice"]]
    st.success(f"Vote stored: **{label}**.  \nLeft was **{fmt.md_escape(names[voted['left']])}**, right was "
               f"**{fmt.md_escape(names[voted['right']])}**.", icon=":material/how_to_vote:")


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
        st.success(st.session_state.pop(saved_key), icon=":material/grade:")
    if not todo:
        st.success("You have scored every output. Thank you — see **Results**.", icon=":material/task_alt:")
        return
    inp = todo[0]
    st.caption(f"{len(todo)} input(s) left to score. Models stay hidden until you save.")
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
            st.markdown(f"**Output {letter}**")
            view.show_output(session.task, inp, _blind(cells.get((inp.id, cid))))
            stars = st.feedback("stars", key=f"{P}stars_{inp.id}_{letter}")
            comment = st.text_input("Comment (optional)", key=f"{P}comment_{inp.id}_{letter}", max_chars=500)
            given[cid] = (None if stars is None else stars + 1, comment)
    if st.button("Save scores", type="primary", key=P + "save", icon=":material/save:"):
        rated = {cid: v for cid, v in given.items() if v[0] is not None}
        if not rated:
            st.warning("Give at least one output a score (1–5 stars) first.", icon=":material/star:")
            return
        for cid, (score, comment) in rated.items():
            store.set_score(session.id, name, inp.id, cid, score, comment.strip() or None)
        names = {c.id: c.name for c in session.candidates}
        st.session_state[saved_key] = "Scores saved. " + " · ".join(
            f"{chr(ord('A') + order.index(cid))} was **{fmt.md_escape(names[cid])}** ({score}★)"
            for cid, (score, _) in rated.items())
        st.rerun()
