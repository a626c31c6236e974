"""Model-card cleaning on hostile cards: seconds per 256 KB card, beside a benign card of the same size.

The baseline, in the same run: a 256 KB card shaped like a real one (headings, prose, links, images,
an HTML table, code blocks). Each hostile card repeats one shape that used to make the cleaner's
regexes rescan the rest of the text from every occurrence (``<!-- `` took 112 s, ``<script `` 50 s,
``<a href='x'>`` 62 s, ``<img `` 10 s). Every figure is the best of 5 distinct texts (no cache hit).
Targets: every hostile card <= 0.2 s, and <= 5 x the benign card.

    .venv/bin/python bench/bench_card.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib.card import card_has_html, clean_card  # noqa: E402

SIZE = 256 * 1024
TARGET_S, TARGET_RATIO = 0.2, 5.0
SHAPES = ["<!-- ", "<script ", "<style>", "<a href='x'>", "<a href='x'", "<a ", "<img ", "<img alt='", "<", "</",
          "<b><b><b>\n", "<br>", "![", '![a](b "', "[![a](b)](c)", "```\n", "`", "\n# h\n"]
BENIGN_UNIT = ("## Usage\n\nThis model answers questions; see [the paper](https://arxiv.org/abs/1) and "
               "<a href='https://e.org'>the site</a>.\n<img src='x.png' alt='Logo'/>\n"
               "<table><tr><td>task</td><td>score</td></tr></table>\n"
               "```python\nfrom transformers import pipeline\n```\n![chart](https://e.org/c.png)\n\n")


def best_of(text: str, rounds: int = 5) -> float:
    best = float("inf")
    for r in range(rounds):
        variant = f"{r} {text}"[:SIZE]  # a new text each round: the cleaner's cache never answers
        start = time.perf_counter()
        clean_card(variant)
        card_has_html(variant)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    benign = best_of((BENIGN_UNIT * (SIZE // len(BENIGN_UNIT) + 1))[:SIZE])
    print(f"benign 256 KB card: {benign * 1000:.1f} ms (baseline)")
    missed = []
    for shape in SHAPES:
        took = best_of((shape * (SIZE // len(shape) + 1))[:SIZE])
        ratio = took / benign if benign else float("inf")
        ok = took <= TARGET_S and ratio <= TARGET_RATIO
        print(f"{shape!r:>16}: {took * 1000:7.1f} ms  {ratio:5.2f} x benign  {'ok' if ok else 'MISSED'}")
        if not ok:
            missed.append(shape)
    print(f"targets: <= {TARGET_S} s and <= {TARGET_RATIO} x benign; missed: {', '.join(map(repr, missed)) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
