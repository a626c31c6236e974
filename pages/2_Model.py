"""Model: facts, files, exact parameters, memory fit and "use this model" code for one Hub id (?model=)."""
import streamlit as st

from lib.fit.spec import fit_config, model_spec
from lib.i18n import _
from lib.ui import how_fast, remote_drive, served_by, shortlist
from lib.ui import model_page as ui
from lib.ui.frame import page_frame

frame = page_frame("Model", ":material/deployed_code:")
st.title(_("Model"))

model_id = ui.model_id_input()
if not model_id:
    ui.empty_state()
    st.stop()

found = ui.load(model_id, frame.mode, frame.token_set)
if found.error:
    ui.show_error(found)
    st.stop()
details = found.details

ui.header(details, frame.mode)
shortlist.add_button(details.id, key="model")
ui.source_notes(details, found.config_note, frame.mode, frame.token_set)
warnings_slot = st.container()  # filled once the fit section has computed its estimate

left, right = st.columns(2, gap="large")
with left:
    ui.facts(details)
with right:
    params = ui.parameter_info(found)
    ui.parameters(params)
    ui.files(details)

st.subheader(_("Memory and fit"), anchor=False)
architecture = fit_config(found)
ui.config_origin(architecture)
spec = model_spec(details, architecture.config, params)
context = ui.context_slider(details, spec)
kv, batch = ui.kv_and_batch(spec)
view = ui.compute_fit(spec, frame.hardware, context, frame.token_set, kv, batch)
ui.fit_section(details, spec, view, frame.hardware, measured=ui.measured_for(details))
with warnings_slot:
    ui.warnings(view.warnings)
how_fast.section(spec, context, details.id, kv, batch)

ui.use_this_model(details, frame.hardware)
served = served_by.section(details)

ui.test_drive(details, frame.hardware, spec)
remote_drive.model_page_section(details, served, remote_drive.does_not_fit(view.table, frame.hardware.name))
