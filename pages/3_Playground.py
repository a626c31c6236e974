"""Playground: test-drive any Hub model id or local model folder."""
import streamlit as st

from lib.i18n import _
from lib.jobs import warm_up
from lib.ui import playground, remote_drive, shortlist
from lib.ui import test_drive as td
from lib.ui.frame import page_frame

frame = page_frame("Playground", ":material/play_circle:")
warm_up()  # torch & transformers load in the background while a model is chosen
st.title(_("Playground"))
folders = frame.access.local_folders  # a public instance takes Hub ids only
st.caption(_("Run any model from the Hub, or a model folder on this machine, in place — with the task's own inputs "
             "and an example to start from.") if folders
           else _("Run any model from the Hub in place — with the task's own inputs and an example to start from."))

if "pg_model" not in st.session_state:
    st.session_state["pg_model"] = st.query_params.get("model", "")
model_text = st.text_input(_("Model: a Hub id (owner/name) or a local folder") if folders
                           else _("Model: a Hub id (owner/name)"),
                           key="pg_model",
                           placeholder="distilbert/distilbert-base-uncased-finetuned-sst-2-english")  # i18n: a model id
choice = playground.resolve_model(model_text, frame.access)
if choice.problem:
    if choice.model:
        st.error(choice.problem, icon=":material/error:")
    else:
        st.info(choice.problem, icon=":material/input:")
    st.stop()

task = playground.task_picker(choice)
shortlist.add_button(choice.model, key="pg")

st.subheader(_("Test drive"))
if playground.backend_radio() == "local":
    td.render_test_drive(choice.details if choice.details is not None else choice.model, task, key="pg",
                         hardware=frame.hardware)
else:
    backend = remote_drive.render_remote_drive(choice.model, task, key="pg_rd",
                                               live=playground.live_providers(choice))
    remote_drive.add_to_session(choice.model, backend, key="pg_rd")
