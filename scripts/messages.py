"""The message catalogue: extract every marked text, update the Spanish catalogue, compile it (Babel).

    python scripts/messages.py                 # extract -> messages.pot, update es/messages.po, compile .mo
    python scripts/messages.py --memory A.po   # also take translations from A.po (a merge's other side)
    python scripts/messages.py --check         # exit 1 when the catalogue is out of date or incomplete
    python scripts/messages.py --compile       # only compile the .mo files (make setup)

Marked texts are the arguments of ``_``, ``ngettext``, ``pgettext`` (with its context) and ``N_``
(lib/i18n.py) in ``streamlit_app.py``, ``pages/`` and ``lib/``. Entries keep no line numbers (fewer merge
conflicts); an entry whose msgid left the code is dropped; a translation is never invented (an empty one is
reported by ``--check`` and by the tests).
Spanish plural entries have three forms (CLDR one / many / other): an empty "many" takes "other"'s text.
"""
from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LOCALE_DIR = ROOT / "lib" / "locale"
LANGS = ("es",)
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None, "pgettext": ((1, "c"), 2)}
SOURCES = ("streamlit_app.py", "pages", "lib")
#: fixed dates in the headers: a run that changes no message changes no byte (fewer merge conflicts)
STAMP = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = "# Hub Scout's message catalogue (scripts/messages.py writes it; translate the empty msgstr).\n#"


def extract() -> Catalog:
    """Every marked text in the sources, as a template catalogue (file references without line numbers)."""
    template = Catalog(project="Hub Scout", msgid_bugs_address="", copyright_holder="Hub Scout",
                       charset="utf-8", fuzzy=False, creation_date=STAMP, revision_date=STAMP,
                       header_comment=HEADER)
    for source in SOURCES:
        path = ROOT / source
        if path.is_file():
            items = [(source, *found) for found in extract_from_file("python", str(path), keywords=KEYWORDS)]
        else:
            items = [(f"{source}/{fn}", *rest) for fn, *rest in
                     extract_from_dir(str(path), [("**.py", "python")], keywords=KEYWORDS)]
        for filename, _lineno, message, comments, context in items:
            template.add(message, None, [(filename, None)], auto_comments=comments, context=context)
    return template


def po_path(lang: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"messages{suffix}"


def read(path: Path, lang: str) -> Catalog | None:
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def _complete_plural(strings: tuple, n: int) -> tuple:
    """Fill empty plural forms from the last non-empty one (Spanish "many" is written as "other")."""
    out = list(strings) + [""] * (n - len(strings))
    for i in range(n):
        if not out[i]:
            later = [s for s in out[i + 1:] + out[:i][::-1] if s]
            out[i] = later[0] if later else ""
    return tuple(out[:n])


def update(lang: str, template: Catalog, memories: list[Path]) -> Catalog:
    """The ``lang`` catalogue for ``template``'s msgids, translations kept from the current file and the
    memories (first non-empty wins); no fuzzy matching (a changed text is translated again, on purpose)."""
    known: dict[object, object] = {}  # (msgid, context) -> translation
    for path in [po_path(lang), *memories]:
        old = read(path, lang)
        if old is None:
            continue
        for msg in old:
            if msg.id and msg.string and not msg.fuzzy:
                strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
                if any(strings) and (msg.id, msg.context) not in known:
                    known[(msg.id, msg.context)] = msg.string
    catalog = Catalog(locale=lang, project="Hub Scout", charset="utf-8", fuzzy=False, creation_date=STAMP,
                      revision_date=STAMP, header_comment=HEADER, language_team="Hub Scout",
                      last_translator="Hub Scout")
    for msg in template:
        if not msg.id:
            continue
        string = known.get((msg.id, msg.context), ("",) * catalog.num_plurals if msg.pluralizable else "")
        if msg.pluralizable:
            string = _complete_plural(string if isinstance(string, tuple) else (string,), catalog.num_plurals)
        catalog.add(msg.id, string, locations=msg.locations, auto_comments=msg.auto_comments,
                    context=msg.context)
    return catalog


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=120, omit_header=False, sort_output=False, include_lineno=False)


def compile_all() -> None:
    from lib.i18n import write_compiled

    write_compiled()


def missing(catalog: Catalog) -> list[str]:
    """msgids of ``catalog`` without a (complete) translation."""
    out = []
    for msg in catalog:
        if not msg.id:
            continue
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        if msg.fuzzy or not all(strings):
            out.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", action="append", type=Path, default=[],
                        help="another .po to take translations from (repeatable)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if out of date")
    parser.add_argument("--compile", action="store_true", help="only compile the .mo files")
    args = parser.parse_args(argv)
    if args.compile:
        compile_all()
        return 0
    template = extract()
    status = 0
    for lang in LANGS:
        catalog = update(lang, template, args.memory)
        if args.check:
            current = read(po_path(lang), lang)
            ids = {(m.id, m.context) for m in current} if current else set()
            new = [m.id for m in template if m.id and (m.id, m.context) not in ids]
            gaps = missing(catalog)
            for msgid in new:
                print(f"{lang}: not in the catalogue (run make messages): {msgid!r}")
            for msgid in gaps:
                print(f"{lang}: no translation: {msgid!r}")
            status |= 1 if (new or gaps) else 0
            continue
        write(catalog, po_path(lang))
        gaps = missing(catalog)
        print(f"{lang}: {len(catalog)} messages, {len(gaps)} without a translation")
    if not args.check:
        write(template, LOCALE_DIR / "messages.pot")
        compile_all()
    return status


if __name__ == "__main__":
    sys.exit(main())
