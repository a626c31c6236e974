"""Strict offline mode in a real browser: with ``HF_HUB_OFFLINE=1``, and with the sidebar's Offline switch on a
server that may use the network, a walk over EVERY page of ``lib.ui.frame.NAV`` (a page added later is walked
too) makes no request to the Hub stand-in, and each page shows its offline banner.

Before the walk, two tiny random-weight classifiers are downloaded from the stand-in into a temporary Hugging
Face cache (the server's ``HF_HOME``): the Model page opens one of them and test-drives it, the Playground runs
it, and a session compares both (created, run, voted on) — all from the local cache.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.browser import StreamlitServer, chromium, chromium_available, element_by_key, select_row

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium"),
]

REPOS = ("offline-lab/tiny-sentiment-a", "offline-lab/tiny-sentiment-b")
TEXTS = ("i love this movie it is wonderful", "this film is terrible and awful")


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory, hub_stub_session, tiny_model) -> Path:
    """A Hugging Face home whose cache holds both REPOS, downloaded from the stand-in (while online)."""
    from huggingface_hub import snapshot_download

    folder = tiny_model("text-classification")
    home = tmp_path_factory.mktemp("offline-hf-home")
    for rid in REPOS:
        hub_stub_session.add_repo(rid, folder, info={"pipeline_tag": "text-classification"})
        snapshot_download(rid, cache_dir=home / "hub")
    yield home
    for rid in REPOS:
        hub_stub_session.remove_model(rid)


def url_path(script: str) -> str:
    """The URL path Streamlit gives a page file (``pages/2_Model.py`` -> ``/Model``; the entry -> ``/``)."""
    if "/" not in script:
        return "/"
    return "/" + re.sub(r"^\d+_", "", Path(script).stem)


def _banner(page, expect) -> None:
    banner = element_by_key(page, "offline_banner")
    expect(banner).to_be_visible(timeout=60_000)
    expect(banner).to_contain_text("Offline")
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _discover(page, expect) -> None:
    table = page.get_by_test_id("stDataFrame").first
    expect(table.locator("canvas").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"\d+ models · from .*snapshot"))).to_be_visible()
    select_row(table, 1)
    expect(element_by_key(page, "d_selected")).to_contain_text("Selected:", timeout=30_000)


def _model(page, expect) -> None:
    expect(page.get_by_text(REPOS[0]).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text(":orange-badge[offline]")).to_have_count(0)
    element_by_key(page, "td_run").get_by_role("button").click()
    expect(page.get_by_text(re.compile(r"Top: "))).to_be_visible(timeout=120_000)


def _playground(page, expect) -> None:
    expect(element_by_key(page, "pg_model").locator("input")).to_have_value(REPOS[0])
    element_by_key(page, "pg_run").get_by_role("button").click()
    expect(page.get_by_text(re.compile(r"Top: "))).to_be_visible(timeout=120_000)


def _sessions(page, expect) -> None:
    element_by_key(page, "sess_new_name").locator("input").fill("Offline reviews")
    element_by_key(page, "sess_new_lines").locator("textarea").fill("\n".join(TEXTS))
    page.keyboard.press("Tab")  # commit the text area
    page.wait_for_timeout(500)
    element_by_key(page, "sess_new_create").get_by_role("button").click()
    expect(page.get_by_role("heading", name="Offline reviews")).to_be_visible(timeout=60_000)
    element_by_key(page, "sess_run").get_by_role("button").click()
    expect(page.get_by_text(re.compile(r"4 of 4 cells have an output"))).to_be_visible(timeout=120_000)
    page.get_by_role("tab", name="Rate").click()
    element_by_key(page, "sess_rate_name").locator("input").fill("ana")
    element_by_key(page, "sess_rate_name").locator("input").press("Enter")
    page.get_by_role("button", name="Left is better").click(timeout=30_000)
    expect(page.get_by_text("Vote stored")).to_be_visible(timeout=30_000)


# label in NAV -> (URL query, the page's journey); a page not listed here is opened and must show its banner
JOURNEYS = {
    "Home": ("", None),
    "Discover": ("?search=bert&task=text-classification", _discover),
    "Model": (f"?model={REPOS[0]}", _model),
    "Playground": (f"?model={REPOS[0]}&task=text-classification", _playground),
    "Sessions": (f"?shortlist={','.join(REPOS)}", _sessions),
}


def _walk(page, base: str, extra: str = "", journeys: bool = True) -> list[str]:
    """Every page of NAV (with its journey unless ``journeys`` is off); -> the labels walked."""
    from playwright.sync_api import expect

    from lib.ui.frame import NAV, page_exists

    walked = []
    for script, label, _icon in NAV:
        if not page_exists(script):
            continue
        query, journey = JOURNEYS.get(label, ("", None)) if journeys else ("", None)
        sep = ("&" if query else "?") if extra else ""
        page.goto(base + url_path(script) + query + sep + extra)
        _banner(page, expect)
        if journey is not None:
            journey(page, expect)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        walked.append(label)
    return walked


def _server_env(hf_home: Path, hub_stub, data_dir: Path, **extra: str) -> dict[str, str]:
    return {"HF_HOME": str(hf_home), "HF_ENDPOINT": hub_stub.url, "HUBSCOUT_DATA_DIR": str(data_dir),
            "HUBSCOUT_DATABASE_URL": "", **extra}


def test_offline_switch_walk_over_every_page_makes_no_request(hf_home, hub_stub, tmp_path):
    """The sidebar's Offline switch on a server that may use the network (no HF_HUB_OFFLINE, catalog "live
    only"): turned on, it carries across pages (the sidebar's links keep ``offline=1``), and every page —
    a model opened and test-driven, the Playground run, a session created, run and voted on — works from
    the snapshot and the local cache with no request to the Hub: the switch reaches the runner's threads."""
    from playwright.sync_api import expect

    hub_stub.reset()
    with StreamlitServer(env=_server_env(hf_home, hub_stub, tmp_path, HUBSCOUT_CATALOG="live")) as server, \
            chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1500})
        page.goto(server.url + "/")
        expect(page.get_by_role("heading", name="Hub Scout")).to_be_visible(timeout=60_000)
        expect(element_by_key(page, "offline_banner")).to_have_count(0)
        element_by_key(page, "offline_switch").get_by_text("Offline").click()
        _banner(page, expect)
        expect(page).to_have_url(re.compile(r"[?&]offline=1"))
        page.get_by_test_id("stSidebar").get_by_role("link", name="Discover").click()
        expect(page.get_by_role("heading", name="Discover models")).to_be_visible(timeout=60_000)
        _banner(page, expect)
        expect(page.get_by_test_id("stSidebar")).to_contain_text("Snapshot only")
        walked = _walk(page, server.url, extra="offline=1")
        page.close()
    assert {"Home", "Discover", "Model", "Playground", "Sessions"} <= set(walked)
    assert hub_stub.requests_to("") == [], [r.path for r in hub_stub.requests_to("")]


def test_hf_hub_offline_every_page_says_so_and_makes_no_request(hf_home, hub_stub, tmp_path):
    """HF_HUB_OFFLINE=1: the switch is on and fixed, every page shows its banner, and the Hub is never asked
    (the pages' journeys with a model run are the switch's walk above: this is the server-wide way in)."""
    from playwright.sync_api import expect

    hub_stub.reset()
    with StreamlitServer(env=_server_env(hf_home, hub_stub, tmp_path, HF_HUB_OFFLINE="1")) as server, \
            chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1500})
        walked = _walk(page, server.url, journeys=False)
        switch = element_by_key(page, "offline_switch").get_by_role("switch")
        expect(switch).to_be_checked()
        expect(switch).to_be_disabled()
        page.close()
    assert {"Home", "Discover", "Model", "Playground", "Sessions"} <= set(walked)
    assert hub_stub.requests_to("") == [], [r.path for r in hub_stub.requests_to("")]
