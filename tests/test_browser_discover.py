"""Discover in a real browser: a deep link as the FIRST request to a freshly started server.

Starts ``streamlit run streamlit_app.py`` on a free port (snapshot catalog, HF_ENDPOINT at the
Hub stand-in), opens ``/Discover?task=…&params_max=…`` in headless Chromium, waits for the
filtered table, checks the filter widgets show the URL's values, selects a row and sees the
selection in the URL (``model=``) and in the page.
"""
from __future__ import annotations

import re

import pytest

from tests.support.browser import StreamlitServer, chromium, chromium_available, element_by_key, select_row

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium (make chromium)"),
]


@pytest.fixture(scope="module")
def server(hub_stub_session):
    with StreamlitServer(env={"HUBSCOUT_CATALOG": "snapshot", "HF_ENDPOINT": hub_stub_session.url}) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_deep_link_to_discover_on_a_fresh_server(server, browser, hub_stub):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    try:
        page.goto(f"{server.url}/Discover?task=text-classification&params_max=500000000")

        # the page, with its frame (sidebar) even though the entry file never ran in this session
        expect(page.get_by_role("heading", name="Discover models")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stSidebar")).to_contain_text("Snapshot only")

        # the filter widgets show the URL's values
        # (selectboxes are comboboxes whose input holds the chosen label)
        expect(element_by_key(page, "d_task").get_by_role("combobox")).to_have_value(
            re.compile("Text Classification"))
        expect(element_by_key(page, "d_size").get_by_role("combobox")).to_have_value("Custom range")
        expect(element_by_key(page, "d_params_max").locator("input")).to_have_value("500M")

        # the filtered table, and the caption saying where the rows came from
        table = page.get_by_test_id("stDataFrame").first
        expect(table.locator("canvas").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text(re.compile(r"\d+ models · from .*snapshot"))).to_be_visible()

        # the charts follow the table a moment later (the session's first run holds them back) without a click
        charts = page.get_by_test_id("stVegaLiteChart")
        expect(charts).to_have_count(2, timeout=30_000)
        expect(charts.first).to_be_visible()
        expect(page.get_by_text("Drawing the charts…")).to_have_count(0)

        # select the second row: the selection shows and lands in the URL
        select_row(table, 2)
        selected = element_by_key(page, "d_selected")
        expect(selected).to_be_visible(timeout=30_000)
        expect(selected).to_contain_text("Selected:")
        expect(page).to_have_url(re.compile(r"[?&]model=[^&]+"), timeout=30_000)
        expect(page).to_have_url(re.compile(r"task=text-classification"))
        expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        page.close()
    # the snapshot catalog never touches the (stand-in) Hub
    assert hub_stub.requests_to("/api/models") == []
