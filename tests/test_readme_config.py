"""The README's configuration table lists exactly the environment variables lib.settings reads."""
from __future__ import annotations

import re
from pathlib import Path

from lib.settings import VARIABLES

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_variables() -> dict[str, str]:
    """Variable name -> its row's default, from the table under "## Configuration"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows[0].replace(" ", "") == "|variable|meaning|default|" and set(rows[1]) <= set("|-: ")
    found: dict[str, str] = {}
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 3 and all(cells), row
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        assert names, row
        for name in names:
            assert name not in found, f"{name} twice in the README table"
            found[name] = cells[2]
    return found


def test_readme_table_lists_exactly_the_settings_read():
    assert set(readme_variables()) == {v.name for v in VARIABLES}


def test_readme_defaults_match_the_code():
    table = readme_variables()
    for v in VARIABLES:
        assert table[v.name] == v.default, v.name
