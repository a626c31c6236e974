"""lib.card: the model card's body as safe Markdown (front matter is split off by ModelCard)."""
import time

import pytest
from huggingface_hub import ModelCard

from lib import card as card_module
from lib.card import CARD_MAX_CHARS, CARD_MAX_INPUT, card_has_html, clean_card


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


# ---- hostile cards (issue 8, defect 4): linear time, cut first, cached -----------------------------

HOSTILE_SHAPES = [
    "<!-- ", "<script ", "<script>", "<style>", "<a href='x'>", "<a href='x'", "<a ", "<a\n", "<img ",
    "<img alt='", "<", "</", "<!-- -->", "<b><b><b>\n", "<br>", "![", '![a](b "', "[![a](b)](c)",
    "```\n", "~~~\n", "`", "\n# h\n", "<div a='<'>", "<script><a href='x'>", "<a href='x'><!--",
]


@pytest.mark.parametrize("shape", HOSTILE_SHAPES)
def test_hostile_card_shapes_clean_in_linear_time(shape):
    """256 KB of one unclosed or repeated shape (the old regexes took 10-112 s on several: each
    unclosed tag rescanned the rest of the card). Best of 5 distinct texts (no cache hit), each
    under 0.2 s."""
    size = 256 * 1024
    best = float("inf")
    for run in range(5):
        text = (f"{run} " + shape * (size // len(shape) + 1))[:size]
        start = time.perf_counter()
        clean_card(text)
        card_has_html(text)
        best = min(best, time.perf_counter() - start)
    assert best < 0.2, f"{shape!r}: {best:.3f} s"


def test_a_huge_card_is_cut_before_cleaning_and_says_so():
    text = "intro\n" + "<b>word</b> " * 100_000  # 1.2 MB
    out = clean_card(text)
    assert out.endswith("read the rest on the Hub)*") and "<b>" not in out
    assert len(out) <= CARD_MAX_CHARS + 100
    # a card cut on input but short once cleaned still says it was cut
    short = clean_card("shown\n" + "<!-- x -->" * (CARD_MAX_INPUT // 10 + 10) + "\ntail")
    assert short.startswith("shown") and "tail" not in short and short.endswith("read the rest on the Hub)*")
    assert len(card_module._cut_input("x" * 10 * CARD_MAX_INPUT)[0]) <= CARD_MAX_INPUT


def test_unclosed_tags_keep_the_text_after_them():
    assert clean_card("a <!-- b <i>c</i>") == "a <!-- b c"
    assert clean_card("a <script> b <i>c</i>") == "a  b c"
    assert clean_card("x <a href='https://e.org'>y") == "x y"
    assert clean_card("<a href='u'>one <b>bold</b> <img src=p></a>") == "[one bold](u)"
    assert clean_card("1 < 2 and 3 > 2") == "1 < 2 and 3 > 2"


def test_a_card_is_cleaned_once_per_text():
    card_module._clean.cache_clear()
    text = "# Card\n<b>x</b>" + "y" * 1000
    first = clean_card(text)
    assert clean_card(text) == first
    assert card_module._clean.cache_info().hits == 1
