"""The Sessions page against careless or hostile links: each ends in a clear message or a safe default,
never a traceback; nothing is created."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@pytest.fixture(autouse=True)
def _store(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HUBSCOUT_DATABASE_URL", raising=False)
    from lib import store

    store.dispose_all()
    yield
    store.dispose_all()


def _open(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.switch_page("pages/4_Sessions.py")
    return at.run()


@pytest.mark.parametrize("sid", ["x" * 5000, "../../etc/passwd", "\x00abc", "abc'; DROP TABLE eval_votes;--", " "])
def test_unknown_or_mangled_session_ids(sid):
    at = _open({"session": sid, "view": "Rate"})
    assert not at.exception
    if sid.strip():
        assert at.error and "no session" in at.error[0].value
        assert len(at.error[0].value) < 300  # a 5,000-character id is not echoed whole
    from lib.sessions import store

    assert store.list_sessions() == []


def test_a_long_shortlist_is_cut_to_eight():
    at = _open({"shortlist": ",".join(f"org/m{i}" for i in range(50))})
    assert not at.exception
    assert at.multiselect(key="sess_new_models").value == [f"org/m{i}" for i in range(8)]


def test_paths_in_the_shortlist_are_refused_on_a_public_instance(settings_override):
    settings_override(public=True)
    at = _open({"shortlist": "/etc,~/.ssh"})
    assert not at.exception
    at.text_input(key="sess_new_name").input("x")
    at.text_area(key="sess_new_lines").input("hello")
    at.button(key="sess_new_create").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Hub model ids only" in errors
    from lib.sessions import store

    assert store.list_sessions() == []


def test_markup_in_the_shortlist_stays_text():
    at = _open({"shortlist": "<script>alert(1)</script>,**bold**"})
    assert not at.exception
    assert all("<script>" not in m.value for m in at.markdown)
