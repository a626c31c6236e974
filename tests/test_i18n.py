"""The UI in English and Spanish (lib/i18n.py, lib/ui/language.py, scripts/messages.py, scripts/untranslated.py):
the catalogue is complete and current, no text for people is left outside it, placeholders survive translation,
the language comes from the URL, the sidebar or the browser, and numbers and dates follow it."""
from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from lib import format as fmt
from lib import i18n

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import messages  # noqa: E402  (scripts/messages.py)
import untranslated  # noqa: E402  (scripts/untranslated.py)

APP = str(ROOT / "streamlit_app.py")


def _catalogue():
    with i18n.catalogue_path("es", ".po").open("rb") as fh:
        return read_po(fh, locale="es")


def test_the_catalogue_is_current_and_every_message_has_a_spanish_translation(capsys):
    status = messages.main(["--check"])
    out = capsys.readouterr().out
    assert status == 0, "run `make messages` and translate:\n" + out


def _translations():
    """(msgids, msgstrs) of every entry: one msgid (or singular + plural) and its Spanish form(s)."""
    for msg in _catalogue():
        if msg.id:
            yield (msg.id if isinstance(msg.id, tuple) else (msg.id,),
                   msg.string if isinstance(msg.string, tuple) else (msg.string,))


def test_placeholders_survive_translation():
    names = re.compile(r"\{(\w*)[^{}]*\}")
    bad = []
    for ids, strings in _translations():
        wanted = set(names.findall(ids[-1]))
        for s in strings:
            if set(names.findall(s)) != wanted and not (len(ids) > 1 and set(names.findall(s)) <= wanted):
                bad.append((ids[0], s))
    assert not bad, bad[:10]


def test_markdown_markers_survive_translation():
    """``**bold**``, ``:material/icon:`` and ``:color[...]`` markers come through (a lost ``**`` shows stars)."""
    marks = re.compile(r":material/\w+:|:[a-z]+(?:-badge)?\[")
    bad = []
    for ids, strings in _translations():
        for s in strings:
            if sorted(marks.findall(ids[0])) != sorted(marks.findall(s)) or ids[0].count("**") != s.count("**"):
                bad.append((ids[0], s))
    assert not bad, bad[:10]


def test_no_text_for_people_outside_the_catalogue():
    found = untranslated.scan()
    report = "\n".join(f"{p}:{line}: {text[:90]!r}" for p, hits in found.items() for line, text in hits)
    assert not found, "wrap these in _() (lib/i18n.py) or mark them `# i18n: <why>`:\n" + report


def test_the_scanner_finds_texts_and_accepts_marked_ones(tmp_path):
    src = tmp_path / "page.py"
    src.write_text('import streamlit as st\nfrom lib.i18n import _\n'
                   'st.button("Run the model")\n'            # a label: reported
                   'st.caption(f"{n} models found")\n'        # an f-string: reported
                   'st.button(_("Run the model"))\n'          # in the catalogue
                   'st.markdown("`code`")\n'                  # no prose
                   'x = st.session_state["some key here"]\n'  # a key
                   'st.code("print(1)")  # i18n: code\n'
                   'log.info("loaded the model %s", m)\n'
                   'raise TypeError("a programmer error text")\n'
                   'st.title("Search")\n')                    # one capitalised word in an element: reported
    lines = [line for line, _text in untranslated.scan_file(src)]
    assert lines == [3, 4, 11]


def test_language_tags_are_normalised():
    assert i18n.normalize("es-ES") == "es" and i18n.normalize("es_MX") == "es" and i18n.normalize("ES") == "es"
    assert i18n.normalize("en-US") == "en"
    assert i18n.normalize("fr") is None and i18n.normalize(None) is None and i18n.normalize(3) is None


def test_gettext_and_plurals_in_both_languages():
    with i18n.scope("es"):
        assert i18n._("Search models") == "Buscar modelos"
        assert i18n.ngettext("{n} model", "{n} models", 1).format(n=1) == "1 modelo"
        assert i18n.ngettext("{n} model", "{n} models", 2).format(n=2) == "2 modelos"
        assert i18n.ngettext("{n} model", "{n} models", 1_000_000).format(n=1) == "1 modelos"  # CLDR "many"
        with i18n.scope("en"):
            assert i18n._("Search models") == "Search models"
        assert i18n.current() == "es"
    assert i18n.current() == "en"
    with i18n.scope("xx"):
        assert i18n.current() == "en"


def test_the_po_compiles_in_memory_when_no_mo_is_built(tmp_path, monkeypatch):
    po = i18n.catalogue_path("es", ".po")
    data = i18n.compile_po(po)
    import gettext
    import io

    assert gettext.GNUTranslations(io.BytesIO(data)).gettext("Search models") == "Buscar modelos"


def test_jobs_speak_the_language_of_the_run_that_submitted_them():
    wrapped = None
    with i18n.scope("es"):
        wrapped = i18n.in_current(lambda: i18n._("Search"))
    assert wrapped() == "Buscar"


@pytest.mark.parametrize("lang, size, number, date, ago", [
    ("en", "15.2 GB", "12,345.6", "Mar 5, 2024", "3 days ago"),
    ("es", "15,2 GB", "12.345,6", "5 mar 2024", "hace 3 días"),
])
def test_numbers_sizes_and_dates_follow_the_language(lang, size, number, date, ago):
    now = datetime(2026, 1, 10, tzinfo=UTC)
    with i18n.scope(lang):
        assert fmt.size_bytes(15.2e9) == size
        assert fmt.number(12345.6) == number
        assert fmt.date("2024-03-05") == date
        assert fmt.ago(now - timedelta(days=3), now) == ago
        assert fmt.compact(1_234) in ("1.2k", "1,2k")


# ---- the language of a browser session -------------------------------------------------------------------
@pytest.fixture
def home(monkeypatch) -> AppTest:
    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    return AppTest.from_file(APP, default_timeout=60)


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [s.value for s in at.subheader]
                     + [c.value for c in at.caption] + [t.label for t in at.text_input])


def test_english_by_default(home):
    at = home.run()
    assert not at.exception
    assert "Search models" in _texts(at)


def test_the_url_chooses_spanish(home):
    home.query_params["lang"] = "es"
    at = home.run()
    assert not at.exception
    text = _texts(at)
    assert "Buscar modelos" in text and "Páginas" in text and "Esta máquina" in text
    assert "Search models" not in text


def test_the_browser_locale_chooses_spanish_and_the_url_wins(home):
    home.context["locale"] = "es-AR"
    at = home.run()
    assert "Buscar modelos" in _texts(at)
    home2 = AppTest.from_file(APP, default_timeout=60)
    home2.context["locale"] = "es-AR"
    home2.query_params["lang"] = "en"
    assert "Search models" in _texts(home2.run())


def test_an_unknown_language_falls_back_to_english(home):
    home.query_params["lang"] = "fr"
    home.context["locale"] = "de-DE"
    at = home.run()
    assert not at.exception
    assert "Search models" in _texts(at)


def test_the_sidebar_switch_changes_the_language_and_keeps_it_in_the_url(home):
    at = home.run()
    switch = at.sidebar.radio(key="lang_switch")
    switch.set_value("es").run()
    assert not at.exception
    assert "Buscar modelos" in _texts(at)
    assert at.query_params["lang"] == ["es"] or at.query_params["lang"] == "es"


# ---- every page in Spanish ---------------------------------------------------------------------------------
PAGES = ["streamlit_app.py", "pages/1_Discover.py", "pages/2_Model.py", "pages/3_Playground.py",
         "pages/4_Sessions.py", "pages/5_Local_models.py"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_spanish_without_english_messages(page, monkeypatch):
    from tests.support.i18n import english_leaks

    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    at = AppTest.from_file(APP, default_timeout=120)
    if page != "streamlit_app.py":
        at.switch_page(page)
    at.query_params["lang"] = "es"
    at.run()
    assert not at.exception, at.exception
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "Esta máquina" in sidebar and "Token del Hub" in sidebar
    assert not english_leaks(at), english_leaks(at)


def test_the_same_english_word_can_mean_two_things():
    """``pgettext``: the Model page's "Share" (a fraction) and the Sessions page's "Share" (a tab)."""
    with i18n.scope("es"):
        assert i18n.pgettext("a fraction of a whole", "Share") == "Proporción"
        assert i18n._("Share") == "Compartir"
