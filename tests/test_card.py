"""lib.card: the model card's body as safe Markdown (front matter is split off by ModelCard)."""
from huggingface_hub import ModelCard

from lib.card import card_has_html, clean_card


def body(raw: str) -> str:
    """What the Hub gateway hands the page: the card's text without its YAML front matter."""
    return ModelCard(raw).text


def test_clean_card_removes_html_and_front_matter_but_keeps_code():
    raw = ("---\nlicense: mit\n---\n# Title\n<div align=center><img src='x.png' alt='Logo'/></div>\n"
           "<!-- hidden -->Text<br>more <a href='https://e.org'>link</a>\n<style>p{}</style>"
           "![chart](https://e.org/c.png)\n`<b>inline</b>`\n```\n<script>kept()</script>\n```\n")
    out = clean_card(body(raw))
    assert out.startswith("### Title") and "license" not in out
    assert "<div" not in out and "<img" not in out and "hidden" not in out and "p{}" not in out
    assert "[image: Logo]" in out and "[link](https://e.org)" in out and "Text\nmore" in out
    assert "[image: chart](https://e.org/c.png)" in out
    assert "`<b>inline</b>`" in out and "<script>kept()</script>" in out
    assert card_has_html(raw) and not card_has_html("# plain\n```\n<b>x</b>\n```")
    assert clean_card(None) is None and clean_card(body("---\na: 1\n---\n")) is None
    assert clean_card("x" * 100 + "\n" + "y" * 100, max_chars=150).endswith("read the rest on the Hub)*")


def test_clean_card_keeps_a_body_that_starts_with_a_rule():
    """The cleaner no longer strips front matter itself: a card whose text opens with a Markdown
    rule (``---``) keeps what follows it."""
    out = clean_card("---\nIntro under a rule\n\n---\n# Usage")
    assert "Intro under a rule" in out and "### Usage" in out
