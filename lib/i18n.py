"""One message catalogue for every text the UI shows: gettext catalogues, extracted, updated and compiled with
Babel (``make messages``; ``scripts/messages.py``).

- Source strings are English (the msgid *is* the English text); ``lib/locale/es/LC_MESSAGES/messages.po``
  holds the Spanish. The ``.mo`` next to it is compiled by ``make setup`` / ``make messages`` (git ignores it);
  where it is missing or older than the ``.po`` the ``.po`` is compiled in memory, so a checkout always
  speaks both languages.
- Mark a text with :func:`_` (``_("Search models")``), a counted one with :func:`ngettext`, and a module
  constant (translated where it is shown) with :func:`N_` (``N_("Auto")`` … ``_(MODES[m])``). Placeholders are
  ``str.format`` names, filled after the lookup: ``_("{n} models").format(n=...)`` — the translation must keep
  the same names (a test checks every entry).
- The language is per browser session: :func:`current` asks the resolver lib/ui registers
  (:func:`use_resolver`: ``?lang=`` → the session's choice → ``st.context.locale`` → English); outside a script
  run (a job's thread, a CLI) it is the one set by :func:`scope`, else English. Jobs take the language of the
  run that submitted them.

No Streamlit here (lib/ui/language.py reads the URL and the session).
"""
from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

#: The languages the UI speaks: code -> its own name.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
DEFAULT = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_scoped: ContextVar[str | None] = ContextVar("hubscout_lang", default=None)
_resolver: list[Callable[[], str | None]] = []


def normalize(tag: object) -> str | None:
    """A language tag as people and browsers write it (``es``, ``es-ES``, ``es_MX``, ``ES``, ``en-US``) ->
    one of :data:`LANGUAGES`, or None when it is none of them (or not text)."""
    if not isinstance(tag, str):
        return None
    base = tag.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def use_resolver(fn: Callable[[], str | None]) -> None:
    """Register where the current language comes from inside a script run (lib/ui/language.py); ``fn``
    returns a code of :data:`LANGUAGES` or None (no script run: the scoped language / English)."""
    _resolver[:] = [fn]


def current() -> str:
    """The language texts are produced in now (a code of :data:`LANGUAGES`)."""
    scoped = _scoped.get()
    if scoped is not None:
        return scoped
    for fn in _resolver:
        lang = fn()
        if lang in LANGUAGES:
            return lang
    return DEFAULT


@contextmanager
def scope(lang: str | None) -> Iterator[str]:
    """Produce texts in ``lang`` inside the block (a job's thread, a CLI, a test); an unknown or None
    language is English. Nested scopes restore the outer one."""
    token = _scoped.set(normalize(lang) or DEFAULT)
    try:
        yield _scoped.get()  # type: ignore[misc]
    finally:
        _scoped.reset(token)


def in_current(fn: Callable) -> Callable:
    """``fn`` wrapped to run in the language current now (for a callable run later, maybe on another
    thread: a widget's ``format_func``, a job's target)."""
    lang = current()

    def run(*args, **kwargs):
        with scope(lang):
            return fn(*args, **kwargs)

    return run


def catalogue_path(lang: str, suffix: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English: the msgids themselves)."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return gettext.NullTranslations()
    po, mo = catalogue_path(lang, ".po"), catalogue_path(lang, ".mo")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    if not po.is_file():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compile_po(po)))


def compile_po(po: Path) -> bytes:
    """A ``.po`` file compiled to ``.mo`` bytes (Babel), fuzzy entries left out as gettext does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _(message: str) -> str:
    """``message`` (English) in the current language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular`` / ``plural`` for ``n`` in the current language (Spanish has three CLDR
    forms: the catalogue fills them)."""
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, where the same English text means different things
    (``pgettext("a fraction of a whole", "Share")`` beside the Sessions page's "Share" tab)."""
    return translations(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now (a module constant: translate it
    with :func:`_` where it is shown)."""
    return message


def pick(texts: dict[str, str], default: str | None = None) -> str | None:
    """The entry of ``texts`` (keyed by language code) for the current language, else English's, else
    ``default`` (data that comes per language, e.g. the Hub's widget examples)."""
    lang = current()
    return texts.get(lang) or texts.get(DEFAULT) or default


# ---- texts made once, shown later ------------------------------------------------------------------------
class Later(str):
    """A text for people made once and shown later, maybe to another visitor (an error kept in a cache, a
    catalog's label, a search's notes): its ``str`` value is the English text (what code compares, logs and
    stores); ``str(text)``, ``format(text)`` and f-strings give it in the language current then.

    ``Later(N_("Hub server error ({status})"), status=503)``: the message is a catalogue msgid, ``args`` fill
    its placeholders (a ``Later`` among them is translated too). Show it with ``str()``, ``format()`` or an
    f-string: ``+``, ``"".join(...)`` and slicing see the English value."""

    def __new__(cls, msgid: str, /, **args: Any) -> Later:
        with scope("en"):
            english = cls._fill(msgid, args)
        self = super().__new__(cls, english)
        self.msgid, self.args = msgid, args
        return self

    @staticmethod
    def _fill(template: str, args: dict[str, Any]) -> str:
        return template.format(**args) if args else template

    def __reduce__(self):
        return (_later, (type(self), self.msgid, self.args))

    def __str__(self) -> str:
        return self._fill(_(self.msgid), self.args)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _later(cls: type, msgid: str, args: dict) -> Later:
    return cls(msgid, **args)


def write_compiled() -> list[Path]:
    """Compile every language's ``.po`` next to it as ``.mo`` (``python -m lib.i18n``: the Docker image,
    ``make setup``); -> the files written."""
    written = []
    for lang in LANGUAGES:
        po = catalogue_path(lang, ".po")
        if lang != DEFAULT and po.is_file():
            catalogue_path(lang, ".mo").write_bytes(compile_po(po))
            written.append(catalogue_path(lang, ".mo"))
    return written


if __name__ == "__main__":
    for path in write_compiled():
        print(f"compiled {path.relative_to(LOCALE_DIR.parent.parent)}")
