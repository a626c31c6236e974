"""README.es.md is README.md in Spanish: each links to the other at the top, the same sections (the same number
of ``##`` headings, the "Language / Idioma" one in both), every environment variable README.md documents, and the
Space's front matter only in README.md (the Hub reads README.md's)."""
from __future__ import annotations

import re
from pathlib import Path

from tests.test_readme_config import readme_variables

ROOT = Path(__file__).resolve().parents[1]
EN = (ROOT / "README.md").read_text(encoding="utf-8")
ES = (ROOT / "README.es.md").read_text(encoding="utf-8")


def _headings(text: str, level: str = "##") -> list[str]:
    body = re.sub(r"```.*?```", "", text, flags=re.S)  # a shell comment in a code block is no heading
    return [line for line in body.splitlines() if line.startswith(level + " ")]


def test_each_readme_links_to_the_other_at_the_top():
    assert "[Español](README.es.md)" in EN.split("\n# ", 1)[0]
    assert ES.split("\n# ", 1)[0].strip() == "[English](README.md)"


def test_same_sections():
    assert len(_headings(ES)) == len(_headings(EN)) and len(_headings(ES, "#")) == len(_headings(EN, "#"))
    assert "## Language / Idioma" in _headings(EN) and "## Language / Idioma" in _headings(ES)


def test_the_front_matter_is_only_in_the_english_readme():
    assert EN.startswith("---\n") and "sdk: docker" in EN
    assert not ES.startswith("---") and "sdk: docker\n" not in ES


def test_every_variable_is_documented_in_spanish_too():
    names = set(readme_variables())
    assert names
    missing = sorted(n for n in names if f"`{n}`" not in ES)
    assert not missing, missing


def test_the_language_section_says_how():
    for text in (EN, ES):
        section = text.split("## Language / Idioma", 1)[1].split("\n## ", 1)[0]
        for needle in ("?lang=es", "st.context.locale", "make messages", "scripts/messages.py", "LANGUAGES"):
            assert needle in section, needle


def test_internal_links_point_at_headings():
    """``[…](#anchor)`` links of README.es.md name one of its own headings (GitHub's anchors)."""
    def anchor(heading: str) -> str:
        return re.sub(r"[^\w\- ]", "", heading.lstrip("#").strip().lower()).replace(" ", "-")

    anchors = {anchor(h) for h in _headings(ES)}
    for link in re.findall(r"\]\(#([^)]+)\)", ES):
        assert link in anchors, link
