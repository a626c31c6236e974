"""``python -m lib.sessions report EXPORT.json [--markdown] [--seed N] [--resamples N] [--lang es|en]``: the numbers
the Sessions page shows, as JSON (or the Markdown report), for scripts and CI.

``--lang`` is the language of the Markdown report and of the messages (the JSON's keys are data and stay
English); without it, the environment's (``LC_ALL``, else ``LC_MESSAGES``, else ``LANG``, as POSIX reads them:
``es_ES.UTF-8`` -> Spanish), and English for any other. Model ids, inputs and outputs are never translated.

A file that is not a Hub Scout session export (unreadable, not JSON, another format or version) gets one line
on stderr and exit code 2; nothing is written anywhere.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lib import i18n
from lib.i18n import _
from lib.settings import environment_language

from .stats import DEFAULT_RESAMPLES

FORMAT, VERSION = "hubscout-session", 1
LISTS = ("candidates", "inputs", "outputs", "votes", "scores")


class ExportError(ValueError):
    """The file is not a session export this version reads."""


def load_export(path: str | Path) -> dict:
    """The export dict in ``path``, checked fully by the one validator imports use
    (:func:`lib.sessions.exchange.validate_export`). The error says why, in the current language."""
    from .errors import SessionFormatError
    from .exchange import nothing_imported, validate_export

    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise ExportError(_("Cannot read {path}: {error}.").format(path=path, error=e.strerror or e)) from None
    try:
        return validate_export(raw)
    except SessionFormatError as e:  # a report imports nothing: the sentence that says so is left out
        raise ExportError(f"{path}: {str(e).replace(' ' + nothing_imported(), '')}") from None


def main(argv: list[str] | None = None) -> int:
    # i18n: argparse's help stays English (the --lang option chooses the language of what the command prints)
    parser = argparse.ArgumentParser(prog="python -m lib.sessions", description="Team evaluation sessions.")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="print a session export's results as JSON")  # i18n: argparse help
    rep.add_argument("export", help="a session export (JSON)")
    rep.add_argument("--markdown", action="store_true", help="print the Markdown report instead of JSON")
    rep.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    rep.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES,
                     help=f"bootstrap resamples (default {DEFAULT_RESAMPLES})")
    rep.add_argument("--lang", choices=sorted(i18n.LANGUAGES), default=None,
                     help="language of the Markdown report and the messages: es or en (default: the one LC_ALL, "
                          "LC_MESSAGES or LANG names when it is Spanish, else English); JSON keys stay English")
    args = parser.parse_args(argv)
    with i18n.scope(args.lang or environment_language()):
        if args.resamples < 0:
            parser.error(_("--resamples must be 0 or more"))
        return _report(args)


def _report(args: argparse.Namespace) -> int:
    try:
        data = load_export(args.export)
    except ExportError as e:
        print(_("error: {message}").format(message=e), file=sys.stderr)
        return 2

    from .report import markdown, report

    try:
        result = report(data, seed=args.seed, resamples=args.resamples)
    except (KeyError, TypeError, ValueError, AttributeError) as e:  # a malformed row the checks above let by
        print(_("error: {message}").format(message=_("{path} is not a readable session export ({error}).").format(
            path=args.export, error=f"{type(e).__name__}: {e}")), file=sys.stderr)
        return 2
    if args.markdown:
        print(markdown(data, rep=result))
    else:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
