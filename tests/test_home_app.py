"""Home page (streamlit_app.py) under AppTest: what it shows, and the quick search into Discover."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.ui.frame import MODE_KEY

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@pytest.fixture
def app(monkeypatch) -> AppTest:
    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    return AppTest.from_file(APP, default_timeout=60)


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    return "\n".join(parts)


def test_home_explains_and_shows_source_and_hardware(app):
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "Hub Scout"
    text = _text(at)
    assert "pick a model from the Hugging Face Hub" in text
    assert "Snapshot only" in text  # the catalog source in use
    assert "models" in text and "Snapshot:" in text  # the snapshot's label and size
    assert "RAM:" in text  # detected hardware, main area and sidebar
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "RAM:" in sidebar and "Hub token" in sidebar
    assert at.sidebar.radio(key=MODE_KEY).value == "snapshot"


def test_home_never_shows_the_token(app, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value_123")
    at = app.run()
    assert not at.exception
    text = _text(at) + "\n".join(m.value for m in at.sidebar.markdown)
    assert "hf_secret_value_123" not in text
    assert "Set" in text


def test_quick_search_leads_to_discover_with_the_text_in_the_url(app):
    at = app.run()
    at.text_input(key="home_search").input("bert")
    at.button[0].click().run()
    assert not at.exception
    assert at.query_params.get("search") == "bert"
    assert at.title[0].value == "Discover models"
    assert at.text_input(key="d_search").value == "bert"
    ids = list(at.dataframe[0].value["Model"])
    assert ids and all("bert" in i.lower() for i in ids)


def test_sidebar_mode_switch_goes_into_the_url(app):
    at = app.run()
    at.sidebar.radio(key=MODE_KEY).set_value("auto").run()
    assert not at.exception
    assert at.query_params.get("source") == "auto"
    at.sidebar.radio(key=MODE_KEY).set_value("snapshot").run()
    assert "source" not in at.query_params  # the default (from HUBSCOUT_CATALOG) stays out of links


def test_a_saved_login_counts_as_a_token(app, monkeypatch, tmp_path):
    from huggingface_hub import constants

    from lib.ui.frame import token_is_set

    monkeypatch.delenv("HF_TOKEN", raising=False)
    # huggingface_hub reads HF_TOKEN_PATH at its import; its get_token reads the file at each call
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "token"))
    assert token_is_set() is False
    (tmp_path / "token").write_text("hf_saved_login\n")
    assert token_is_set() is True


def test_home_links_every_page_of_the_sidebar(app):
    """Defect (seen in the screenshots): the home page's "Pages" listed Discover, Model and Playground but not
    Sessions; it now lists every page of lib.ui.frame.NAV but itself, so a page added later is listed too."""
    from lib.ui.frame import NAV, page_exists

    at = app.run()
    assert not at.exception
    main_links = [el.proto.page for el in at.main.get("page_link")]
    wanted = [path for path, _label, _icon in NAV if path.startswith("pages/") and page_exists(path)]
    assert "pages/4_Sessions.py" in wanted
    assert main_links == [re.sub(r"^\d+_", "", Path(p).stem) for p in wanted]  # the pages' URL names
    labels = " ".join(el.proto.label for el in at.main.get("page_link"))
    assert "Sessions — compare models as a team" in labels
