"""The UI language in a real browser: a Spanish browser gets Spanish, the sidebar's switch changes the language
and writes ``lang=`` into the URL, and the links between pages keep it."""
from __future__ import annotations

import re

import pytest

from tests.support.browser import StreamlitServer, chromium, chromium_available, wait_for_app_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium"),
]


@pytest.fixture(scope="module")
def server(hub_stub_session):
    with StreamlitServer(env={"HUBSCOUT_CATALOG": "snapshot", "HF_ENDPOINT": hub_stub_session.url}) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_a_spanish_browser_gets_spanish_and_links_keep_the_switch(server, browser):
    from playwright.sync_api import expect

    context = browser.new_context(locale="es-ES", viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        expect(page.get_by_role("heading", name="Páginas")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Esta máquina").first).to_be_visible()
        # the switch: English, written into the URL
        wait_for_app_idle(page)
        page.get_by_test_id("stSidebar").get_by_test_id("stRadio").get_by_text("English", exact=True).click()
        expect(page.get_by_role("heading", name="Pages")).to_be_visible()
        expect(page).to_have_url(re.compile(r"[?&]lang=en"))
        # back to Spanish, then follow a sidebar link: the next page speaks Spanish and its URL keeps lang=es
        wait_for_app_idle(page)
        page.get_by_test_id("stSidebar").get_by_test_id("stRadio").get_by_text("Español", exact=True).click()
        expect(page).to_have_url(re.compile(r"[?&]lang=es"))
        wait_for_app_idle(page)
        page.get_by_test_id("stSidebar").get_by_role("link", name="Modelos locales").click()
        expect(page).to_have_url(re.compile(r"/Local_models\?.*lang=es"))
        expect(page.get_by_text("Esta máquina").first).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        context.close()


def test_an_english_browser_gets_english_and_the_url_wins(server, browser):
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        expect(page.get_by_role("heading", name="Pages")).to_be_visible(timeout=60_000)
        page.goto(server.url + "/?lang=es")
        expect(page.get_by_role("heading", name="Páginas")).to_be_visible(timeout=60_000)
    finally:
        context.close()
