"""Human units for the UI: parameter counts (22.7M, ~7B), byte sizes, compact counts, numbers, dates, and
text shown literally in Markdown — in the UI's language (:func:`lib.i18n.current`; Babel's CLDR data for
separators and dates: ``15.2 GB`` / ``15,2 GB``, ``1,234`` / ``1234``, ``Mar 5, 2024`` / ``5 mar 2024``).

Sizes are decimal everywhere, as the Hub shows them: 1 GB = 10^9 bytes (:data:`GB`). Every size
the UI prints goes through :func:`size_bytes` (or :func:`gb` for a number in a GB column).

Pure functions, no Streamlit. Parsing accepts what people type (``500M``, ``1.5B``, ``7e9``,
``1,000``) and returns None for anything else, never raising.
"""
from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from datetime import date as Date

from lib import i18n
from lib.i18n import _

#: one gigabyte, decimal (as the Hub shows sizes).
GB = 10**9

_SUFFIXES = (("T", 10**12), ("B", 10**9), ("M", 10**6), ("k", 10**3))


def _trim(x: float) -> str:
    """One decimal below 100, none above; drop a trailing ``.0``; the language's decimal mark."""
    text = f"{x:.1f}" if x < 100 else f"{x:.0f}"
    text = text[:-2] if text.endswith(".0") else text
    return text if i18n.current() == "en" else text.replace(".", _decimal_mark())


def _decimal_mark() -> str:
    from babel.numbers import get_decimal_symbol

    return get_decimal_symbol(i18n.current())


def number(n: int | float | None, decimals: int | None = None) -> str:
    """A number with the language's grouping and decimal mark (``12,345.6`` / ``12.345,6``); ``decimals``:
    exactly that many digits after the mark (None: as many as the value has, up to 3); None/NaN -> ``–``."""
    if n is None or (isinstance(n, float) and not math.isfinite(n)):
        return "–"
    if i18n.current() == "en":  # CLDR's English, without importing Babel (Discover's cold start)
        if decimals is not None:
            return f"{n:,.{decimals}f}"
        n = round(n, 3)
        return f"{int(n):,}" if float(n).is_integer() else f"{n:,}"
    from babel.numbers import format_decimal

    pattern = None if decimals is None else ("#,##0." + "0" * decimals if decimals else "#,##0")
    return format_decimal(n, format=pattern, locale=i18n.current())


def significant(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits in the language's style (``0.0123`` / ``0,0123``; a tiny one as
    ``1.2E-7``): a difference, a p-value."""
    from babel.numbers import format_decimal, format_scientific

    if x != 0 and math.isfinite(x) and abs(x) < 1e-4:
        return format_scientific(x, format="0.##E0", locale=i18n.current())
    return format_decimal(x, format="@" + "#" * (digits - 1), locale=i18n.current())


def decimal_marks(text: str) -> str:
    """A text of numbers written with ``.`` as the decimal mark (``81.0 (74.0 – 88.0)``) in the language's style."""
    return text if i18n.current() == "en" else text.replace(".", _decimal_mark())


def percent(x: float | None, decimals: int = 0) -> str:
    """A fraction as a percentage in the language's style (``42%`` / ``42 %``); None -> ``–``."""
    if x is None or not math.isfinite(x):
        return "–"
    from babel.numbers import format_percent

    if not decimals:
        return format_percent(round(x, 2), locale=i18n.current())
    return format_percent(x, format="#,##0." + "0" * decimals + "%", locale=i18n.current())


def compact(n: int | float | None) -> str:
    """1234 -> ``1.2k``, 1_234_567 -> ``1.2M``; None -> ``–``."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "–"
    sign = "-" if n < 0 else ""
    n = abs(n)
    for i, (suffix, size) in enumerate(_SUFFIXES):
        if n >= size:
            value = n / size
            # 999_950 would round to "1000k": promote to the next unit up.
            if round(value, 1) >= 1000 and i > 0:
                suffix, value = _SUFFIXES[i - 1][0], value / 1000
            return f"{sign}{_trim(value)}{suffix}"
    return f"{sign}{int(n) if float(n).is_integer() else round(n, 1)}"


def params(n: int | None, exact: bool = True) -> str:
    """Parameter count in human units: ``22.7M``, ``7.6B``; estimated ones as ``~7B``."""
    if n is None:
        return "–"
    return compact(n) if exact else f"~{compact(n)}"


def size_bytes(n: int | float | None) -> str:
    """Decimal byte sizes as the Hub shows them: ``438 MB``, ``15.2 GB``."""
    if n is None:
        return "–"
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{_trim(n / size)} {unit}"
    return f"{int(n)} B"


def gb(n: int | float | None) -> float | None:
    """Bytes as a number of decimal GB (for a table column headed GB); None stays None."""
    return None if n is None else n / GB


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#|~$!])")


def shown_value(text: object, limit: int = 80) -> str:
    """A value someone typed or linked, as a message may echo it: control and direction characters (NUL,
    U+202E …) made visible as ``\\x…`` escapes, at most ``limit`` characters (``…`` when cut)."""
    import unicodedata

    text = str(text if text is not None else "")
    cut = len(text) > limit
    out = "".join(ch if ch == " " or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
                  else ch.encode("unicode_escape").decode("ascii") for ch in text[:limit])
    return out + ("…" if cut else "")


def md_code(text: object, limit: int = 30) -> str:
    """A value shown literally inside Streamlit markdown as inline code (never a link, emphasis or HTML),
    cut at ``limit`` characters."""
    return "`" + shown_value(text, limit).replace("`", "'") + "`"


def md_escape(text: object) -> str:
    """Text shown literally inside Streamlit markdown (no emphasis, links, HTML or LaTeX)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


_COUNT_RE = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([kKmMbBtT]?)\s*$")
_MULT = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}


def parse_count(text: str | None) -> int | None:
    """``500M`` -> 500_000_000, ``1.5B`` (or ``1,5B``, a decimal comma), ``7e9``, ``1,000``, ``20k``; blank,
    garbage or beyond a float (``1e400``) -> None."""
    if text is None:
        return None
    text = str(text).replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"[0-9]+,[0-9]{1,2}[kKmMbBtT]?", text):  # a decimal comma (``1,5B``): grouping has 3 digits
        text = text.replace(",", ".")
    m = _COUNT_RE.match(text)
    if not m:
        return None
    try:
        value = float(m.group(1).replace(",", "").replace("_", "")) * _MULT[m.group(2).lower()]
    except ValueError:
        return None
    return int(round(value)) if math.isfinite(value) else None  # 1e400 is garbage, not infinity


def date(value: datetime | Date | str | None) -> str:
    """A day in the language's style (``Mar 5, 2024`` / ``5 mar 2024``; an ISO text is read first), or ``–``."""
    if not value:
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
    day = value.date() if isinstance(value, datetime) else value
    if i18n.current() == "en":  # CLDR's English medium date, without importing Babel
        return f"{day:%b} {day.day}, {day.year}"
    from babel.dates import format_date

    return format_date(day, format="medium", locale=i18n.current())


def datetime_text(value: datetime | None) -> str:
    """A moment in the language's style, to the minute, on a 24-hour clock (``Mar 5, 2024, 14:03`` /
    ``5 mar 2024, 14:03``)."""
    if value is None:
        return "–"
    return f"{date(value)}, {value:%H:%M}"


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """Rough age in words, in the UI's language: ``today``, ``3 days ago`` / ``hace 3 días``, ``5 months ago``,
    ``2 years ago``."""
    if value is None:
        return "–"
    now = now or datetime.now(UTC)
    days = (now - value).days
    if days < 1:
        return _("today")
    from datetime import timedelta

    from babel.dates import format_timedelta

    if days < 31:
        unit, amount = "day", days
    elif days < 365:
        unit, amount = "month", days // 30
    else:
        unit, amount = "year", days // 365
    if i18n.current() == "en":  # CLDR's English, without importing Babel
        return f"{amount} {unit}{'' if amount == 1 else 's'} ago"  # i18n: the English form (others: Babel)
    seconds = {"day": 86400, "month": 30 * 86400, "year": 365 * 86400}[unit]
    return format_timedelta(-timedelta(seconds=amount * seconds), granularity=unit, threshold=10**9,
                            add_direction=True, locale=i18n.current())


def count_text(n: int | None) -> str:
    """Editable text for a count that parses back to exactly ``n``: ``500M`` when that is exact,
    else the plain integer (``123456789``); ``""`` for None."""
    if n is None:
        return ""
    with i18n.scope("en"):  # one form in every language: it is typed back and parsed
        short = compact(n)
    return short if parse_count(short) == n else str(int(n))


# Decimal units as the Hub (and the whole UI) shows sizes; binary ones only when spelled KiB/MiB/GiB/TiB.
_UNITS = {"": 1, "B": 1, "K": 10**3, "KB": 10**3, "M": 10**6, "MB": 10**6, "G": 10**9, "GB": 10**9,
          "T": 10**12, "TB": 10**12, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}


def parse_bytes(text: str) -> int:
    """``"4GB"`` (4 x 10^9, decimal as the Hub) / ``"512MiB"`` (binary) / ``"1000000"`` -> bytes. Raises
    ValueError on garbage."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).upper() not in _UNITS:
        raise ValueError(f"not a byte size: {text!r}")  # i18n: the caller says it in words
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


class Number(int):
    """A count in a :class:`Later` text, written in the reader's language (``1,234`` / ``1234``)."""

    def __format__(self, spec: str) -> str:
        return number(int(self))


class Size(int):
    """A byte count in a :class:`Later` text, written in the reader's language (``15.2 GB`` / ``15,2 GB``)."""

    def __format__(self, spec: str) -> str:
        return size_bytes(int(self))


class Day(str):
    """An ISO day (``2026-05-10``) in a :class:`Later` text, written in the reader's language (``May 10, 2026`` /
    ``10 may 2026``); its ``str`` value stays the ISO text (stored, compared)."""

    def __format__(self, spec: str) -> str:
        return date(str(self))
