"""Sessions: a team runs 2-8 models on the same inputs, rates the outputs blind and reads a leaderboard with
confidence intervals (``?session=<id>`` opens one)."""
import streamlit as st

from lib.i18n import _
from lib.ui import sessions_create as create
from lib.ui import sessions_rate as rate
from lib.ui import sessions_results as results
from lib.ui import sessions_view as view
from lib.ui.frame import page_frame, visitor_name
from lib.ui.visitor import visitor_id

frame = page_frame("Sessions", ":material/groups:")
st.title(_("Evaluation sessions"))
view.backup_line()

session = view.open_session()
if session is None:
    create.create_form(frame.access)
    create.import_form()
    create.recent()
    st.stop()

view.title(session)
run_tab, look_tab, rate_tab, results_tab, share_tab = view.sections()
if run_tab.open:
    with run_tab:
        view.settings(session)
        view.run_section(session, frame.access, visitor_id(visitor_name()))
if look_tab.open:
    with look_tab:
        view.grid(session)
if rate_tab.open:
    with rate_tab:
        rater = rate.rater()
        if rater:
            if rate.mode() == rate.BLIND:
                rate.blind_vote(session, rater)
            else:
                rate.scores(session, rater)
if results_tab.open:
    with results_tab:
        results.leaderboard(session.id, frame.hardware)
if share_tab.open:
    with share_tab:
        view.settings(session)
        results.share(session)
