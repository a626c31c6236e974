"""The Playground in a real browser: a deep link to a tiny local model on a freshly started server,
one click on Run, the score chart appears (a screenshot is kept in the test's tmp dir; `make screenshots`
retakes the ones in docs/)."""
from __future__ import annotations

import re

import pytest

from tests.support.browser import StreamlitServer, chromium, chromium_available, element_by_key

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium"),
]


def test_playground_deep_link_run_shows_the_chart(hub_stub_session, tiny_model, tmp_path):
    from playwright.sync_api import expect

    folder = tiny_model("text-classification")
    env = {"HUBSCOUT_CATALOG": "snapshot", "HF_ENDPOINT": hub_stub_session.url, "HUBSCOUT_DATA_DIR": str(tmp_path)}
    with StreamlitServer(env=env) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1700})
        page.goto(f"{server.url}/Playground?model={folder}&task=text-classification")
        expect(page.get_by_role("heading", name="Playground")).to_be_visible(timeout=60_000)
        expect(element_by_key(page, "pg_model").locator("input")).to_have_value(str(folder))
        expect(element_by_key(page, "pg_task").get_by_role("combobox")).to_have_value(
            re.compile("Text Classification"))
        # the example input is already there: one click runs it
        expect(element_by_key(page, "pg_text-classification_text").locator("textarea")).to_have_value(
            "I like you. I love you")
        element_by_key(page, "pg_run").get_by_role("button").click()
        chart = page.get_by_test_id("stVegaLiteChart").first
        expect(chart).to_be_visible(timeout=120_000)
        expect(page.get_by_text(re.compile(r"Top: (POSITIVE|NEGATIVE)"))).to_be_visible()
        expect(page.get_by_test_id("stMetric").filter(has_text="Latency")).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        page.get_by_text("Under the hood: tokenizer, logits, softmax, labels").click()
        expect(page.get_by_text("4. Label mapping")).to_be_visible(timeout=10_000)
        page.wait_for_timeout(800)  # let the charts finish drawing
        page.screenshot(path=str(tmp_path / "playground.png"), full_page=True)
        page.close()
