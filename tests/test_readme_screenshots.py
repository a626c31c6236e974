"""The README's Screenshots table shows every page of the sidebar (lib.ui.frame.NAV) in the light and the dark
theme, with the names scripts/screenshots.py writes; every picture it names is in docs/. A page added to NAV
fails here until `make screenshots` (or `scripts/screenshots.py --page "<label>"`) has taken it and the README
lists it."""
from __future__ import annotations

import re
from pathlib import Path

from lib.ui.frame import NAV
from scripts.screenshots import THEMES, shot_name

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


def test_every_picture_the_readme_shows_exists():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\((docs/[^)]+)\)", text)
    assert pictures
    missing = [p for p in pictures if not (ROOT / p).is_file()]
    assert not missing, missing


def test_shot_names():
    assert shot_name("Local models", "dark") == "local_models_dark.png"
    assert shot_name("Home", "light") == "home_light.png"
