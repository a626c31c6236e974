"""``python -m lib.sessions report EXPORT.json [--markdown] [--seed N] [--resamples N]``: the numbers the
Sessions page shows, as JSON (or the Markdown report), for scripts and CI.

A file that is not a Hub Scout session export (unreadable, not JSON, another format or version) gets one line
on stderr and exit code 2; nothing is written anywhere.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .stats import DEFAULT_RESAMPLES

FORMAT, VERSION = "hubscout-session", 1
LISTS = ("candidates", "inputs", "outputs", "votes", "scores")


class ExportError(ValueError):
    """The file is not a session export this version reads."""


def load_export(path: str | Path) -> dict:
    """The export dict in ``path``, checked fully by the one validator imports use
    (:func:`lib.sessions.exchange.validate_export`)."""
    from .errors import SessionFormatError
    from .exchange import validate_export

    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise ExportError(f"Cannot read {path}: {e.strerror or e}.") from None
    try:
        return validate_export(raw)
    except SessionFormatError as e:
        raise ExportError(f"{path}: {str(e).replace(' Nothing was imported.', '')}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.sessions", description="Team evaluation sessions.")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="print a session export's results as JSON")
    rep.add_argument("export", help="a session export (JSON)")
    rep.add_argument("--markdown", action="store_true", help="print the Markdown report instead of JSON")
    rep.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    rep.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES,
                     help=f"bootstrap resamples (default {DEFAULT_RESAMPLES})")
    args = parser.parse_args(argv)
    if args.resamples < 0:
        parser.error("--resamples must be 0 or more")
    try:
        data = load_export(args.export)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    from .report import markdown, report

    try:
        result = report(data, seed=args.seed, resamples=args.resamples)
    except (KeyError, TypeError, ValueError, AttributeError) as e:  # a malformed row the checks above let by
        print(f"error: {args.export} is not a readable session export ({type(e).__name__}: {e}).", file=sys.stderr)
        return 2
    if args.markdown:
        print(markdown(data, rep=result))
    else:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
