"""A model card's body as safe Markdown for the Model page.

The card arrives without its YAML front matter: the Hub gateway reads it with huggingface_hub's
``ModelCard`` (which splits metadata from text). This module only sanitises that text: HTML tags
go (their text stays; links become Markdown links, images become links), headings move two levels
down (the card sits inside the page), code is left untouched, and the result is cut at
:data:`CARD_MAX_CHARS`.
"""
from __future__ import annotations

import re

_FENCE = re.compile(r"(^```.*?^```[^\n]*$|^~~~.*?^~~~[^\n]*$)", re.S | re.M)
_INLINE_CODE = re.compile(r"(`[^`\n]+`)")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BLOCK = re.compile(r"<(script|style|iframe|object|embed|svg|form|noscript)\b.*?</\1\s*>", re.S | re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_ANCHOR = re.compile(r"<a\b[^>]*?href\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)</a\s*>", re.S | re.I)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ALT = re.compile(r"alt\s*=\s*[\"']([^\"']*)[\"']", re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})([ \t])", re.M)
CARD_MAX_CHARS = 60_000


def _clean_prose(text: str) -> str:
    text = _COMMENT.sub("", text)
    text = _BLOCK.sub("", text)
    text = _BR.sub("\n", text)
    text = _ANCHOR.sub(lambda m: f"[{_TAG.sub('', m.group(2)).strip() or m.group(1)}]({m.group(1)})", text)
    text = _IMG.sub(lambda m: f"[image: {(_ALT.search(m.group(0)) or [None, 'picture'])[1] or 'picture'}]", text)
    text = _TAG.sub("", text)
    # Remote images would be fetched by the browser (and fail offline): link to them instead.
    text = _MD_IMAGE.sub(lambda m: f"[image: {m.group(1) or 'picture'}]({m.group(2)})", text)
    return text


def clean_card(text: str | None, max_chars: int = CARD_MAX_CHARS) -> str | None:
    """The card body as safe Markdown: no HTML tags (their text is kept; links become Markdown
    links, images become links), headings two levels down, code blocks untouched, cut at
    ``max_chars``. None when nothing is left."""
    if not text:
        return None
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
        cleaned = cleaned[:max_chars].rsplit("\n", 1)[0] + "\n\n*… (card cut here; read the rest on the Hub)*"
    return cleaned or None


def card_has_html(text: str | None) -> bool:
    """Whether the card holds HTML tags outside code (the page says they were removed)."""
    if not text:
        return False
    return bool(_TAG.search("".join(_FENCE.split(text)[::2])))


__all__ = ["CARD_MAX_CHARS", "clean_card", "card_has_html"]
