"""Whole journeys in a real browser, each on a freshly started server (tests/support/browser.py) with
HF_ENDPOINT at the Hub stand-in serving tiny random-weight models:

1. the full journey: Discover → select a row → Model page → test-drive (output shown) → "Add to session" →
   Sessions: create from the shortlist → run → Rate: vote → Results: the leaderboard counts the vote →
   Share: the JSON export downloads and holds the session, its outputs and the vote;
2. a public instance (``HUBSCOUT_PUBLIC=1``): a server folder typed in the Playground and as a session
   candidate is refused with the policy's message; a repo that ships its own code gets no "allow its code".

Offline (``HF_HUB_OFFLINE=1`` and the sidebar switch: every page of NAV shows its banner and the stand-in gets
no request) is walked by tests/test_browser_offline.py.

Waits are Playwright's ``expect`` (no sleeps); elements by label, role or ``st-key-<key>``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lib.access import HUB_IDS_ONLY, REMOTE_CODE_OFF
from tests.support.browser import (
    StreamlitServer,
    chromium,
    chromium_available,
    element_by_key,
    select_row,
    wait_for_app_idle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium (make chromium)"),
]

OWNER = "hubscout-journey"
FIRST = f"{OWNER}/tiny-sentiment-a"  # more downloads: the first row of Discover's table
SECOND = f"{OWNER}/tiny-sentiment-b"
TEXTS = ("The delivery was quick and the staff were lovely.", "Never again: cold food and a rude waiter.")
RATER = "ana"
LONG = 120_000
ROOT = Path(__file__).resolve().parents[1]  # a first model load / run on 2 shared cores


@pytest.fixture
def journey_repos(hub_stub, tiny_model):
    """Two tiny text classifiers on the stand-in, under one owner that nothing else uses."""
    folder = tiny_model("bert-sequence")
    for repo, downloads in ((FIRST, 9000), (SECOND, 800)):
        hub_stub.add_repo(repo, folder, info={"pipeline_tag": "text-classification", "downloads": downloads,
                                              "likes": 3, "author": OWNER})
    return hub_stub


def _env(hub_stub, tmp_path, **extra: str) -> dict[str, str]:
    return {"HF_ENDPOINT": hub_stub.url, "HF_HOME": str(tmp_path / "hf"), "HUBSCOUT_DATA_DIR": str(tmp_path / "data"),
            "HUBSCOUT_DATABASE_URL": "", "HF_HUB_OFFLINE": "", "HUBSCOUT_PUBLIC": "", **extra}


def _no_exception(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_discover_to_model_to_session_to_vote_to_export(journey_repos, tmp_path):
    from playwright.sync_api import expect

    env = _env(journey_repos, tmp_path, HUBSCOUT_CATALOG="live")
    with StreamlitServer(env=env) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1400}, accept_downloads=True)

        # Discover: the stand-in's two models, live; select the first row, open its Model page
        page.goto(f"{server.url}/Discover?author={OWNER}")
        expect(page.get_by_role("heading", name="Discover models")).to_be_visible(timeout=60_000)
        table = page.get_by_test_id("stDataFrame").first
        expect(page.get_by_text(re.compile(r"2 models · live from the Hugging Face Hub"))).to_be_visible(
            timeout=30_000)
        select_row(table, 1)
        selected = element_by_key(page, "d_selected")
        expect(selected).to_contain_text(f"Selected: {FIRST}", timeout=30_000)
        wait_for_app_idle(page)  # a link clicked while the script reruns can be replaced under the click
        selected.get_by_role("link", name=f"Open {FIRST}").click()

        # Model page: facts from the stand-in, then the test-drive runs the example input
        expect(page.get_by_role("heading", name=FIRST)).to_be_visible(timeout=60_000)
        expect(page).to_have_url(re.compile(rf"/Model\?.*model={re.escape(FIRST).replace('/', '(/|%2F)')}"))
        drive = element_by_key(page, "m_testdrive")
        drive.scroll_into_view_if_needed()
        element_by_key(page, "td_run").get_by_role("button").click()
        expect(drive.get_by_text(re.compile(r"Top: (POSITIVE|NEGATIVE)"))).to_be_visible(timeout=LONG)
        expect(drive.get_by_test_id("stMetric").filter(has_text="Latency")).to_be_visible()
        _no_exception(page)

        # "Add to session": the shortlist is in the URL; the second candidate goes in from Discover
        element_by_key(page, "model_shortlist_add").get_by_role("button").click()
        expect(page.get_by_role("button", name=re.compile(r"In the session shortlist \(1\)"))).to_be_visible()
        expect(page).to_have_url(re.compile(r"shortlist="))
        page.get_by_role("link", name="Discover", exact=True).click()
        expect(page.get_by_role("heading", name="Discover models")).to_be_visible(timeout=30_000)
        page.goto(re.sub(r"/[A-Za-z]*\?", "/Discover?", page.url, count=1) + f"&author={OWNER}")
        table = page.get_by_test_id("stDataFrame").first
        expect(page.get_by_text(re.compile(r"2 models · live"))).to_be_visible(timeout=30_000)
        select_row(table, 2)
        expect(element_by_key(page, "d_selected")).to_contain_text(f"Selected: {SECOND}", timeout=30_000)
        element_by_key(page, "d_selected_shortlist_add").get_by_role("button").click()
        to_sessions = page.get_by_role("link", name="Sessions: create from the shortlist (2)")
        expect(to_sessions).to_be_visible(timeout=30_000)
        # the rerun's last step writes the shortlist into the URL: a click before it can be lost
        expect(page).to_have_url(re.compile(r"shortlist=[^&]*tiny-sentiment-b"))
        wait_for_app_idle(page)
        to_sessions.click()

        # Sessions: create with the shortlist (both candidates are in it), type two inputs
        expect(page.get_by_role("heading", name="New session")).to_be_visible(timeout=60_000)
        models = element_by_key(page, "sess_new_models")
        expect(models).to_contain_text(FIRST)
        expect(models).to_contain_text(SECOND)
        element_by_key(page, "sess_new_name").locator("input").fill("Journey: ticket sentiment")
        expect(element_by_key(page, "sess_new_task").get_by_role("combobox")).to_have_value(
            re.compile("Text Classification"))
        lines = element_by_key(page, "sess_new_lines").locator("textarea")
        lines.fill("\n".join(TEXTS))
        lines.press("Control+Enter")  # apply the text area before the click
        element_by_key(page, "sess_new_create").get_by_role("button").click()

        # Run: every candidate on every input
        expect(page.get_by_role("heading", name="Journey: ticket sentiment")).to_be_visible(timeout=30_000)
        expect(page).to_have_url(re.compile(r"session=[\w-]+"))
        run = element_by_key(page, "sess_run").get_by_role("button")
        expect(run).to_have_text(re.compile("Run 4 missing cells"))
        run.click()
        expect(page.get_by_text("4 of 4 cells have an output")).to_be_visible(timeout=LONG)
        expect(page.get_by_role("button", name="Every cell has run")).to_be_disabled()
        _no_exception(page)

        # Rate: one blind vote
        page.get_by_role("tab", name="Rate").click()
        name = element_by_key(page, "sess_rate_name").locator("input")
        name.fill(RATER)
        name.press("Enter")
        left = page.get_by_role("button", name="Left is better")
        expect(left).to_be_visible(timeout=30_000)
        left.click()
        expect(page.get_by_text("Vote stored")).to_be_visible(timeout=30_000)

        # Results: the leaderboard counts it (one win, one loss)
        page.get_by_role("tab", name="Results").click()
        expect(page.get_by_text(re.compile(r"1 pairwise vote from 1 rater"))).to_be_visible(timeout=30_000)
        board = page.get_by_role("tabpanel", name="Results").get_by_test_id("stDataFrame").first
        # the grid draws on a canvas; its cells are also in an accessible table inside it (not "visible" to
        # role queries): rows by CSS, cell text exact
        winner = board.locator("tr", has=page.locator("td", has_text=re.compile(r"^1/0/0$")))
        expect(winner).to_have_count(1, timeout=30_000)
        expect(winner.locator("td", has_text=re.compile(rf"^{OWNER}/tiny-sentiment-[ab]$"))).to_have_count(1)
        expect(board.locator("td", has_text=re.compile(r"^0/1/0$"))).to_have_count(1)

        # Share: the JSON export
        page.get_by_role("tab", name="Share").click()
        button = element_by_key(page, "sess_res_json").get_by_role("button")
        expect(button).to_be_visible(timeout=30_000)
        with page.expect_download() as download:
            button.click()
        path = download.value.path()
        assert download.value.suggested_filename == "Journey--ticket-sentiment.json"
        export = json.loads(Path(path).read_text(encoding="utf-8"))
        _no_exception(page)
        page.close()

    assert export["session"]["name"] == "Journey: ticket sentiment"
    assert export["session"]["task"] == "text-classification"
    assert sorted(c["model"] for c in export["candidates"]) == [FIRST, SECOND]
    assert all(c["revision"] for c in export["candidates"])  # frozen from the stand-in's sha
    assert [i["text"] for i in export["inputs"]] == list(TEXTS)
    assert len(export["outputs"]) == 4
    assert all(o.get("output") and not o.get("error") for o in export["outputs"])
    [vote] = export["votes"]
    assert vote["rater"] == RATER and vote["choice"] == "left"
    assert {vote["left"], vote["right"]} == {c["id"] for c in export["candidates"]}


# ---- 2. a public instance -----------------------------------------------------------------------------

@pytest.fixture
def code_repo(hub_stub, tiny_model, tmp_path):
    """A repo that ships its own model code (``auto_map``)."""
    import shutil

    folder = tmp_path / "own-code"
    shutil.copytree(tiny_model("bert-sequence"), folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForSequenceClassification": "modeling_own.Own"}
    (folder / "config.json").write_text(json.dumps(cfg))
    (folder / "modeling_own.py").write_text("raise RuntimeError('model code ran')\n")
    hub_stub.add_repo(f"{OWNER}/own-code", folder, info={"pipeline_tag": "text-classification"})
    return f"{OWNER}/own-code"


def test_public_instance_refuses_server_folders_and_model_code(hub_stub, tiny_model, code_repo, tmp_path):
    from playwright.sync_api import expect

    folder = str(tiny_model("bert-sequence"))
    env = _env(hub_stub, tmp_path, HUBSCOUT_PUBLIC="1", HUBSCOUT_CATALOG="snapshot")
    with StreamlitServer(env=env) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})

        # Playground: a folder typed in the model box is refused, whatever is there
        page.goto(server.url + "/Playground")
        expect(page.get_by_test_id("stSidebar")).to_contain_text("Public instance", timeout=60_000)
        box = element_by_key(page, "pg_model").locator("input")
        expect(box).to_be_visible()
        box.fill(folder)
        box.press("Enter")
        expect(page.get_by_test_id("stAlertContentError").filter(has_text=HUB_IDS_ONLY)).to_be_visible(
            timeout=30_000)
        expect(element_by_key(page, "pg_run")).to_have_count(0)
        assert folder not in page.get_by_test_id("stMain").inner_text()  # the typed path is not echoed back

        # ... and a repo with its own code gets no "allow its code", only the policy's sentence
        box.fill(code_repo)
        box.press("Enter")
        expect(element_by_key(page, "pg_run")).to_be_visible(timeout=60_000)
        expect(page.get_by_text(REMOTE_CODE_OFF[:40]).first).to_be_visible()
        expect(page.get_by_text("This model needs its own code to run.")).to_be_visible()
        expect(page.get_by_role("checkbox", name=re.compile("own code"))).to_have_count(0)
        expect(element_by_key(page, "pg_trust")).to_have_count(0)

        # Sessions: the same folder as a candidate is refused when the session is created
        page.goto(server.url + "/Sessions")
        expect(page.get_by_role("heading", name="New session")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Candidates (2–8): Hub ids", exact=False).first).to_be_visible()
        expect(page.get_by_text("or model folders on this machine")).to_have_count(0)
        element_by_key(page, "sess_new_name").locator("input").fill("Public walk")
        pick = element_by_key(page, "sess_new_models").locator("input")
        for candidate in (folder, f"{OWNER}/own-code"):
            pick.fill(candidate)
            pick.press("Enter")
        expect(element_by_key(page, "sess_new_models")).to_contain_text(f"{OWNER}/own-code")
        lines = element_by_key(page, "sess_new_lines").locator("textarea")
        lines.fill("\n".join(TEXTS))
        lines.press("Control+Enter")
        wait_for_app_idle(page)
        element_by_key(page, "sess_new_create").get_by_role("button").click()
        expect(page.get_by_test_id("stAlertContentError").filter(has_text=HUB_IDS_ONLY)).to_be_visible(
            timeout=30_000)
        expect(page).not_to_have_url(re.compile(r"session="))
        _no_exception(page)
        page.close()
