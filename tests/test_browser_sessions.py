"""A blind vote in a real browser: before the vote no candidate's name is anywhere in the page's HTML (nor in
its URL); after it both names are shown; the leaderboard then counts the vote. Screenshots of the vote and
the leaderboard are kept in the test's tmp dir (`make screenshots` retakes the ones in docs/).

The session's outputs are recorded straight into the store (this test is about the page, not the runner;
tests/test_sessions_run.py and tests/test_sessions_app.py run real tiny models)."""
from __future__ import annotations

import re

import pytest

from tests.support.browser import StreamlitServer, chromium, chromium_available, element_by_key

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium"),
]

MODELS = ("acme-labs/alpha-sentiment-xl", "zeta-corp/beta-review-tiny")
TEXTS = ("The delivery was quick and the staff were lovely.", "Never again: cold food and a rude waiter.")


def _session(data_dir) -> str:
    from lib import store as db
    from lib.sessions import store

    db.dispose_all()
    info = store.create_session("Support tickets", "text-classification", list(MODELS),
                                [{"text": t} for t in TEXTS], {"dtype": "auto", "device": "cpu"})
    for inp in info.inputs:
        for n, cand in enumerate(info.candidates):
            label = ("POSITIVE", "NEGATIVE")[(n + int(inp.id[1:])) % 2]
            store.record_output(info.id, cand.id, inp.id, latency_s=0.01,
                                output={"labels": [label, "OTHER"], "scores": [0.9, 0.1]})
    db.dispose_all()
    return info.id


#: the page's words per language: the vote button, its confirmation, the Results tab, the count of votes
WORDS = {"en": ("Left is better", "Vote stored", "Results", r"1 pairwise vote from 1 rater"),
         "es": ("La izquierda es mejor", "Voto guardado", "Resultados", r"1 voto por pares de 1 evaluador")}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_blind_vote_hides_the_models_until_the_vote(tmp_path, monkeypatch, lang):
    """Blind in both languages (``?lang=es``: the same vote, the same hidden names, in Spanish)."""
    from playwright.sync_api import expect

    better, stored, results, counted = WORDS[lang]

    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HUBSCOUT_DATABASE_URL", raising=False)
    sid = _session(tmp_path)
    env = {"HUBSCOUT_CATALOG": "snapshot", "HUBSCOUT_DATA_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    with StreamlitServer(env=env) as server, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.goto(f"{server.url}/Sessions?session={sid}&view=Rate&lang={lang}")  # view=: an English link works
        expect(page.get_by_role("heading", name="Support tickets")).to_be_visible(timeout=60_000)
        element_by_key(page, "sess_rate_name").locator("input").fill("ana")
        element_by_key(page, "sess_rate_name").locator("input").press("Enter")
        left = page.get_by_role("button", name=better)
        expect(left).to_be_visible(timeout=30_000)
        expect(page.get_by_text(re.compile("Never again|The delivery")).first).to_be_visible()
        page.wait_for_timeout(1000)  # let every element of the pair arrive
        html = page.content()
        for model in MODELS:
            for part in (model, model.split("/")[1], model.split("/")[0]):
                assert part not in html, f"{part} is in the page before the vote"
                assert part not in page.url
        page.screenshot(path=str(tmp_path / f"sessions_vote_{lang}.png"), full_page=True)
        left.click()
        expect(page.get_by_text(stored)).to_be_visible(timeout=30_000)
        for model in MODELS:
            expect(page.get_by_text(model).first).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)

        page.get_by_role("tab", name=results).click()
        expect(page.get_by_text(re.compile(counted))).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(tmp_path / f"sessions_results_{lang}.png"), full_page=True)
        page.close()
