"""Team evaluation sessions (issue 9): run 2-8 candidate models on the same inputs, collect blind
pairwise votes and 1-5 scores from several raters, and turn them into a leaderboard and a report.

Modules: ``store`` (the session tables' API), ``inputs`` (parsing typed or uploaded inputs),
``codec`` (the one JSON encoder of outputs and inputs), ``exchange`` (the export format: JSON and
CSV, checking an import), ``run`` (running every candidate through the job runner), ``stats`` /
``metrics`` / ``agreement`` / ``report`` (numbers computed on an export dict).

This package imports nothing heavy: import the module you need (``from lib.sessions import store``).
"""
from __future__ import annotations

from .errors import InputsError, SessionError, SessionFormatError, SessionNotFound

__all__ = ["SessionError", "SessionNotFound", "SessionFormatError", "InputsError"]
