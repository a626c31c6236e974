"""Playground: test-drive any Hub model id or local model folder."""
import streamlit as st

from lib import tasks as registry
from lib.ui import testdrive as td
from lib.ui.frame import page_frame

frame = page_frame("Playground", ":material/play_circle:")
st.title("Playground")
st.caption("Run any model from the Hub, or a model folder on this machine, in place — with the task's "
           "own inputs and an example to start from.")

if "pg_model" not in st.session_state:
    st.session_state["pg_model"] = st.query_params.get("model", "")
model_text = st.text_input("Model: a Hub id (owner/name) or a local folder", key="pg_model",
                           placeholder="distilbert/distilbert-base-uncased-finetuned-sst-2-english")
choice = td.resolve_model(model_text)
if choice.problem:
    if choice.model:
        st.error(choice.problem, icon=":material/error:")
    else:
        st.info(choice.problem, icon=":material/input:")
    st.stop()

tags = td.runnable_tasks()
if st.session_state.get("pg_task_for") != choice.model:
    first_visit = "pg_task_for" not in st.session_state
    wanted = st.query_params.get("task") if first_visit else None
    wanted = wanted if wanted in tags else choice.task
    st.session_state["pg_task"] = wanted if wanted in tags else tags[0]
    st.session_state["pg_task_for"] = choice.model
    if choice.task and choice.task not in tags:
        spec = registry.get(choice.task)
        st.info(f"This model's task, {registry.display_name(choice.task)}, is not runnable here"
                + (f": {spec.reason}" if spec and spec.reason else ".") + " Pick another task to try it anyway.")
task = st.selectbox("Task", tags, key="pg_task", format_func=registry.display_name,
                    help="Defaults to the model's pipeline tag (for a folder: guessed from its config.json).")
if choice.local:
    st.caption(f"Local folder · task guessed from config.json: {registry.display_name(choice.task)}"
               if choice.task else "Local folder · no task could be guessed from its config.json")
elif choice.details is not None:
    st.caption(f"Hub model · pipeline tag: {registry.display_name(choice.details.pipeline_tag)}"
               if choice.details.pipeline_tag else "Hub model · no pipeline tag")

st.query_params["model"] = choice.model
st.query_params["task"] = task

st.subheader("Test drive")
td.render_test_drive(choice.details if choice.details is not None else choice.model, task, key="pg",
                     hardware=frame.hardware)
