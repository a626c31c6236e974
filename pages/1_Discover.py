"""Discover: find models by task, size and popularity."""
import streamlit as st

from lib import results
from lib.i18n import _
from lib.ui import cached, how_fast
from lib.ui import discover as ui
from lib.ui.frame import page_frame

frame = page_frame("Discover", ":material/search:", later=True)  # the token line: frame.finish()
st.title(_("Discover models"))
head = st.container()  # the filters and banners, drawn after the results' slot is placed
slot = ui.results_slot()  # a first run: an empty grid until the rows come (the browser loads its code)

with head:
    filters = ui.filter_panel(cached.facets)  # facets loaded after the widgets that need none
    for problem in filters.problems:
        st.warning(str(problem), icon=":material/edit_note:")
    query = filters.query
    outcome = ui.run_search(query, frame.mode)
    frame.show_source(outcome.result, outcome.error)
    ui.show_status(outcome)

selected = None
result = outcome.result
if result is None:
    slot.empty()
else:
    with slot.container():
        st.subheader(_("Results"))
        if not result.records:
            ui.no_results(result)
        else:
            fits = results.fit_badges(result.records, frame.hardware)
            local = cached.local_ids()  # a few directory listings, cached for a minute
            show_speed = st.toggle(_("Speed here"), key="d_speed", help=_("Add the estimated decode speed (tokens/s) "
                                                                          "of text-generation models on this machine"))
            speed = how_fast.discover_column(result.records, show_speed)
            selected = ui.results_table(result, query, frame.mode, fits, local, speed)
frame.finish()  # the sidebar's Hub token line, once the table is out

if result is not None:
    caption, csv = st.columns([5, 1])
    with caption:
        ui.source_caption(result)
    with csv:
        ui.download(result, query)
    if selected:
        ui.selected_model(selected, frame.hardware, selected.id in cached.local_ids())
    if result.records:
        ui.charts(result.records)

ui.sync_url(query, selected.id if selected else None)
