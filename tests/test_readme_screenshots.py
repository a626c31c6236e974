"""The README's Screenshots table shows every page of the sidebar (lib.ui.frame.NAV) in the light and the dark
theme, and README.es.md's every page in Spanish, with the names scripts/screenshots.py writes; every picture
either README names is in docs/. A page added to NAV fails here until `make screenshots` (or
`scripts/screenshots.py --page "<label>"`) has taken it and both READMEs list it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from lib import i18n
from lib.ui.frame import NAV
from scripts.screenshots import OTHER_LANG_THEME, THEMES, in_lang, shot_name, shots

ROOT = Path(__file__).resolve().parents[1]


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_every_page_is_in_the_screenshots_table_in_both_themes():
    table = _section((ROOT / "README.md").read_text(encoding="utf-8"), "Screenshots")
    for path, label, _icon in NAV:
        if not (ROOT / path).is_file():
            continue
        row = next((line for line in table.splitlines() if line.startswith(f"| {label} |")), None)
        assert row is not None, f"the README's Screenshots table has no row for {label}"
        for theme in THEMES:
            assert f"(docs/{shot_name(label, theme)})" in row, f"{label}: no {theme} picture in its row"


def test_every_page_is_in_the_spanish_readme_in_spanish():
    table = _section((ROOT / "README.es.md").read_text(encoding="utf-8"), "Capturas de pantalla")
    for path, label, _icon in NAV:
        if not (ROOT / path).is_file():
            continue
        with i18n.scope("es"):
            name = i18n._(label)
        row = next((line for line in table.splitlines() if line.startswith(f"| {name} |")), None)
        assert row is not None, f"README.es.md's Capturas de pantalla table has no row for {name}"
        assert f"(docs/{shot_name(label, OTHER_LANG_THEME, 'es')})" in row, f"{name}: no Spanish picture in its row"


@pytest.mark.parametrize("readme", ["README.md", "README.es.md"])
def test_every_picture_the_readme_shows_exists(readme):
    text = (ROOT / readme).read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\((docs/[^)]+)\)", text)
    assert pictures
    missing = [p for p in pictures if not (ROOT / p).is_file()]
    assert not missing, missing


def test_shot_names():
    assert shot_name("Local models", "dark") == "local_models_dark.png"
    assert shot_name("Home", "light") == "home_light.png"
    assert shot_name("Local models", "light", "es") == "local_models_es.png"
    assert shots(["light", "dark"], ["en", "es"]) == [("light", "en"), ("dark", "en"), ("light", "es")]
    assert shots(["dark"], ["es"]) == []  # Spanish is taken in the light theme only
    assert in_lang("http://x/Discover?task=a", "es") == "http://x/Discover?task=a&lang=es"
    assert in_lang("http://x/", "es") == "http://x/?lang=es" and in_lang("http://x/", "en") == "http://x/"
