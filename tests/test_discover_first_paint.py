"""Discover's cold start: the browser gets an empty results grid before the snapshot loads (it loads the
data grid's code meanwhile), the frame's snapshot lines wait for ``finish()`` when asked to, and the grid
placeholder is drawn once per browser session only (later runs keep the previous table on screen).
The cold-start figure itself is bench/bench_cold_start.py's."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib import results


@pytest.fixture(autouse=True)
def snapshot_mode(monkeypatch):
    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")


def _slot_script():
    import streamlit as st

    from lib.catalog.query import CatalogQuery
    from lib.catalog.source import current_snapshot
    from lib.ui import discover as ui

    slot = ui.results_slot()
    if st.session_state.get("fill"):
        query = CatalogQuery(task="fill-mask", limit=5).normalized()
        result = current_snapshot().search(query)
        with slot.container():
            ui.results_table(result, query, "snapshot", {}, frozenset())


def test_results_slot_shows_an_empty_grid_with_the_tables_columns_until_a_table_was_sent():
    at = AppTest.from_function(_slot_script, default_timeout=60).run()
    assert not at.exception
    assert len(at.dataframe) == 1
    empty = at.dataframe[0].value
    assert len(empty) == 0
    full_columns = list(results.results_columns([], {}, frozenset()))
    assert list(empty.columns) == full_columns  # the real table's columns (fit badges and Local included)

    at.session_state["fill"] = True
    at.run()
    assert not at.exception
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 5  # the slot now holds the real table

    at.session_state["fill"] = False  # a later run of the same session: no placeholder grid any more
    at.run()
    assert not at.exception
    assert not at.dataframe


def _frame_script():
    import streamlit as st

    from lib.ui import cached
    from lib.ui import frame as frame_module

    real, calls, nav = cached.snapshot_info, [], frame_module._nav

    def counted():
        calls.append(1)
        return real()

    cached.snapshot_info = counted
    frame_module._nav = lambda: None  # the page links need the app's page files (a script of its own here)
    try:
        frame = frame_module.page_frame("Discover", ":material/search:", later=True)
        st.markdown(f"before finish: {len(calls)}")
        if st.session_state.get("error"):
            frame.show_source(None, "the test's error")
        frame.finish()
        frame.finish()  # idempotent
        st.markdown(f"after finish: {len(calls)}")
    finally:
        cached.snapshot_info, frame_module._nav = real, nav


def test_page_frame_later_loads_the_snapshot_lines_in_finish_only():
    """page_frame(later=True) loaded the snapshot for its sidebar lines before the page drew anything."""
    at = AppTest.from_function(_frame_script, default_timeout=60).run()
    assert not at.exception
    assert [m.value for m in at.main.markdown][-2:] == ["before finish: 0", "after finish: 1"]
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Snapshot:" in captions and "models, dated" in captions
    assert any("Answered by" in m.value for m in at.sidebar.markdown)  # the catalog line (snapshot mode)


def test_finish_keeps_the_catalog_line_the_page_already_set():
    at = AppTest.from_function(_frame_script, default_timeout=60)
    at.session_state["error"] = True
    at.run()
    assert not at.exception
    assert any("the test's error" in e.value for e in at.sidebar.error)  # not overwritten by finish()
    assert not any("Answered by" in m.value for m in at.sidebar.markdown)
    assert "Snapshot:" in " ".join(c.value for c in at.sidebar.caption)


def _later_script():
    import streamlit as st

    from lib.ui import first_paint

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    first_paint.later("t_charts", lambda: st.markdown(f"drawn in run {st.session_state['runs']}"), "waiting…")


def test_held_back_content_waits_for_a_later_run_on_the_first_run_only():
    """lib.ui.first_paint.later: the session's first run shows the note (and starts the timer fragment);
    every later run draws at once. The charts' code then loads after the table's (test_browser_discover sees
    the charts arrive by the timer alone)."""
    at = AppTest.from_function(_later_script, default_timeout=30).run()
    assert not at.exception
    assert [c.value for c in at.caption] == ["waiting…"]
    assert not any(m.value.startswith("drawn") for m in at.markdown)
    at.run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["drawn in run 2"] and not at.caption
    at.run()
    assert [m.value for m in at.markdown] == ["drawn in run 3"]
