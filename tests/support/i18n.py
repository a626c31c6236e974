"""Checks for a page rendered in Spanish under AppTest: every text it shows, and which of them are English
texts of the catalogue (a message shown without ``_()``, or translated too early: at import, in a cache)."""
from __future__ import annotations

from functools import lru_cache

from babel.messages.pofile import read_po

from lib import i18n

# AppTest element lists whose items have a .value / .label / .body that a person reads
_VALUE_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                "text", "latex")
_LABEL_KINDS = ("button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "text_input", "text_area",
                "number_input", "slider", "select_slider", "date_input", "time_input", "expander", "tabs",
                "metric", "color_picker", "button_group")


def texts(at) -> list[str]:
    """Every text an AppTest run shows: element values, widget labels, help texts, option labels, metrics."""
    out: list[str] = []
    for kind in _VALUE_KINDS:
        for el in getattr(at, kind, []):
            value = getattr(el, "value", None) or getattr(el, "body", None)
            if isinstance(value, str):
                out.append(value)
    for kind in _LABEL_KINDS:
        try:
            elements = getattr(at, kind) if hasattr(at, kind) else at.get(kind)
        except Exception:  # noqa: BLE001 - an element kind this AppTest version does not list
            continue
        for el in elements:
            for attr in ("label", "help", "placeholder"):
                value = getattr(el, attr, None)
                if isinstance(value, str) and value:
                    out.append(value)
            options = getattr(el, "options", None)
            if options:
                out.extend(str(o) for o in options)
    return out


@lru_cache(maxsize=1)
def english_messages() -> frozenset[str]:
    """English msgids whose Spanish text differs (a shown msgid then means an untranslated text)."""
    with i18n.catalogue_path("es", ".po").open("rb") as fh:
        catalog = read_po(fh, locale="es")
    out = set()
    for msg in catalog:
        if not msg.id or isinstance(msg.id, tuple) or "{" in msg.id:
            continue
        if msg.string and msg.string != msg.id and len(msg.id) >= 4:
            out.add(msg.id)
    return frozenset(out)


def english_leaks(at) -> list[str]:
    """Texts of a Spanish run that are (or contain, for a sentence-long one) an English catalogue message."""
    english = english_messages()
    long = [m for m in english if len(m) >= 30]
    leaks = []
    for text in texts(at):
        stripped = text.strip()
        if stripped in english:
            leaks.append(stripped)
        else:
            leaks.extend(m for m in long if m in text)
    return sorted(set(leaks))
