"""A model card's body as safe Markdown for the Model page.

The card arrives without its YAML front matter: the Hub gateway reads it with huggingface_hub's
``ModelCard`` (which splits metadata from text). This module only sanitises that text: HTML tags
go (their text stays; links become Markdown links, images become links; a link to anything but http(s),
mailto or a relative path keeps its text only), headings move two levels
down (the card sits inside the page), code is left untouched, and the result is cut at
:data:`CARD_MAX_CHARS`.

A card is written by whoever owns the repo, so the cleaner must stay fast on hostile text (a
README of 256 KB of ``<!-- `` froze the whole server with the old regexes, which rescanned to the
end of the text from every unclosed tag). So:

* the input is cut FIRST, at :data:`CARD_MAX_INPUT` characters, before any pattern looks at it;
* HTML is removed by one left-to-right scan (:func:`_strip_html`): every pattern it uses is
  anchored at the current ``<`` and stops at the next ``<`` or ``>``, and a search for a closing tag
  (``</script>``, ``</a>``) is remembered, so an unclosed tag repeated 50,000 times costs one search,
  not 50,000 — the work is linear in the length of the card;
* the answer is cached per card text (the same repo at the same commit gives the same text), so a
  rerun of the Model page does not clean the card again.
"""
from __future__ import annotations

import re
from functools import lru_cache

from lib.i18n import N_, _

#: Characters of cleaned Markdown shown; the rest is left to the Hub.
CARD_MAX_CHARS = 60_000
#: Characters of the card's text looked at; the rest is cut before any cleaning.
CARD_MAX_INPUT = 3 * CARD_MAX_CHARS
#: said after a card that was cut (translated when shown: the cleaned card is cached for every visitor).
_CUT_NOTE = N_("*… (card cut here; read the rest on the Hub)*")

# Each pattern is linear: fences pair line starts, inline code stops at a newline, the rest are
# matched at one position and stop at the next ``<``/``>``, ``[``/``]`` or newline.
_FENCE = re.compile(r"(^```.*?^```[^\n]*$|^~~~.*?^~~~[^\n]*$)", re.S | re.M)
_INLINE_CODE = re.compile(r"(`[^`\n]+`)")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_HREF = re.compile(r"\bhref\s*=\s*[\"']([^\"'<>]+)[\"']", re.I)
_ALT = re.compile(r"\balt\s*=\s*[\"']([^\"'<>]*)[\"']", re.I)
_MD_IMAGE = re.compile(r"!\[([^\[\]\n]*)\]\(([^()\s\[\]<>]+)(?:[ \t]+\"[^\"\n]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})([ \t])", re.M)
_BLOCKS = ("script", "style", "iframe", "object", "embed", "svg", "form", "noscript")
_SPECIAL = re.compile(  # the next comment, block tag or link opener
    rf"<!--|<({'|'.join(_BLOCKS)}|a)(?![A-Za-z0-9:-])(?:\s[^<>]*)?/?>", re.I)
_BR = re.compile(r"<br(?:\s[^<>]*)?/?>", re.I)
_IMG = re.compile(r"<img(?:\s[^<>]*)?/?>", re.I)
_CLOSERS = {name: re.compile(rf"</{name}\s*>", re.I) for name in (*_BLOCKS, "a")}


class _Closers:
    """Where the next ``</name>`` is, searched at most once per stretch of text: a search that
    found nothing (or found a tag further on) answers every later question from a point before it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.seen: dict[str, tuple[int, re.Match | None]] = {}

    def find(self, name: str, start: int) -> re.Match | None:
        hit = self.seen.get(name)
        if hit is not None and hit[0] <= start and (hit[1] is None or hit[1].start() >= start):
            return hit[1]
        m = _CLOSERS[name].search(self.text, start)
        self.seen[name] = (start, m)
        return m


def _strip_html(text: str, links: bool = True) -> str:
    """Remove HTML in one pass: comments and script-like blocks with their content, every other
    tag without its text; ``<br>`` becomes a newline and (with ``links``, i.e. not inside a link)
    ``<img>`` a ``[image: alt]`` note and ``<a href>`` a Markdown link. An unclosed comment opener
    or block tag is dropped and the text after it kept.

    The loop visits only comments, block tags and links; the plain tags between them go by
    :func:`_plain_tags` (compiled patterns, at C speed)."""
    if "<" not in text:
        return text
    out: list[str] = []
    closers = _Closers(text)
    comments_closed = True  # False once a "<!--" had no "-->" after it: none later has one either
    i = 0
    while True:
        m = _SPECIAL.search(text, i)
        if m is None:
            out.append(_plain_tags(text[i:], links))
            break
        out.append(_plain_tags(text[i:m.start()], links))
        i = m.end()
        name = m.group(1)
        if name is None:  # "<!--"
            end = text.find("-->", i) if comments_closed else -1
            if end < 0:  # never closed: kept as text, as before
                comments_closed = False
                out.append("<!--")
            else:
                i = end + 3
            continue
        name = name.lower()
        if name != "a":  # script, style …: gone with their content (an unclosed one: the tag only)
            close = closers.find(name, i)
            if close is not None:
                i = close.end()
            continue
        href = _HREF.search(m.group(0)) if links else None
        close = closers.find("a", i) if href else None
        if href and close is not None:
            inner = _strip_html(text[i:close.start()], links=False).strip()
            out.append(f"[{inner or href.group(1)}]({href.group(1)})")
            i = close.end()
    return "".join(out)


def _plain_tags(text: str, links: bool) -> str:
    """Tags other than comments, blocks and ``<a>`` openers: ``<br>`` a newline, ``<img>`` a note
    (outside links; inside one it goes), the rest removed with their text kept."""
    if "<" not in text:
        return text
    text = _BR.sub("\n", text)
    if links:
        text = _IMG.sub(lambda m: f"[image: {(_ALT.search(m.group(0)) or [None, ''])[1] or 'picture'}]", text)
    return _TAG.sub("", text)


def _clean_prose(text: str) -> str:
    text = _strip_html(text)
    # Remote images would be fetched by the browser (and fail offline): link to them instead.
    text = _MD_IMAGE.sub(lambda m: f"[image: {m.group(1) or 'picture'}]({m.group(2)})", text)
    return _safe_links(text)


# Links whose target is not http(s) / mailto / relative (javascript:, data:, vbscript:, file: …) lose
# their target, written plainly or hidden behind HTML entities and blanks (Markdown decodes entities in
# link targets; browsers drop tabs and newlines in a scheme). Linear patterns: no nested repetition.
_MD_LINK = re.compile(r"\[([^\[\]\n]*)\]\(([^()\n]*(?:\([^()\n]*\)[^()\n]*)*)\)")
_LINK_DEF = re.compile(r"^([ \t]{0,3}\[[^\[\]\n]+\]:[ \t]*)(\S+)", re.M)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\s]*)>")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/?])")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def _unsafe_target(target: str) -> bool:
    import html

    plain = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(html.unescape(target))).lower()
    m = _SCHEME.match(plain.lstrip("<"))
    return m is not None and m.group(1) not in _SAFE_SCHEMES


def _safe_links(text: str) -> str:
    """Links to anything but http(s), mailto or a relative path keep their text only; HTML the tag
    stripper left behind (``<scr<script>ipt>`` once its inner tag went) is shown as text."""
    if "(" in text:
        text = _MD_LINK.sub(lambda m: m.group(1) if _unsafe_target(m.group(2)) else m.group(0), text)
    if "]:" in text:
        text = _LINK_DEF.sub(lambda m: m.group(1) + "#" if _unsafe_target(m.group(2)) else m.group(0), text)
    if "<" in text:
        text = _AUTOLINK.sub(lambda m: "[link removed]" if _unsafe_target(m.group(1))
                             else f"[{m.group(1)}]({m.group(1)})", text)
        text = _TAG_OPEN.sub("&lt;", text)
    return text


def _cut_input(text: str) -> tuple[str, bool]:
    """The first :data:`CARD_MAX_INPUT` characters (at a line end when there is one), and whether
    anything was cut."""
    if len(text) <= CARD_MAX_INPUT:
        return text, False
    head = text[:CARD_MAX_INPUT]
    line_end = head.rfind("\n")
    return (head[:line_end] if line_end > CARD_MAX_INPUT // 2 else head), True


def clean_card(text: str | None, max_chars: int = CARD_MAX_CHARS) -> str | None:
    """The card body as safe Markdown: no HTML tags (their text is kept; links become Markdown
    links, images become links), headings two levels down, code blocks untouched, cut at
    ``max_chars``. None when nothing is left. Linear in the card's length, and cached."""
    if not text:
        return None
    head, was_cut = _cut_input(text)
    cleaned, cut = _clean(head, was_cut, max_chars)
    return cleaned + "\n\n" + _(_CUT_NOTE) if cleaned and cut else cleaned


@lru_cache(maxsize=64)
def _clean(text: str, was_cut: bool, max_chars: int) -> tuple[str | None, bool]:
    """The cleaned card (no note), and whether it was cut (the caller says so, in the visitor's language)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    parts = _FENCE.split(text)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2 == 1:  # fenced code: shown as code, never as HTML
            out.append(part)
            continue
        part = _HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + 2) + m.group(2), part)
        pieces = _INLINE_CODE.split(part)
        out.append("".join(p if j % 2 == 1 else _clean_prose(p) for j, p in enumerate(pieces)))
    cleaned = re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()
    if len(cleaned) > max_chars:
        return cleaned[:max_chars].rsplit("\n", 1)[0], True
    return cleaned or None, bool(was_cut and cleaned)


def card_has_html(text: str | None) -> bool:
    """Whether the card holds HTML tags outside code (the page says they were removed)."""
    if not text:
        return False
    head, _was_cut = _cut_input(text)
    return _has_html(head)


@lru_cache(maxsize=64)
def _has_html(text: str) -> bool:
    return bool(_TAG.search("".join(_FENCE.split(text)[::2])))


__all__ = ["CARD_MAX_CHARS", "CARD_MAX_INPUT", "clean_card", "card_has_html"]
