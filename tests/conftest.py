"""Test setup shared by every test: the Hub stand-in and a sealed huggingface_hub environment.

At import (before any test module imports huggingface_hub, which reads HF_ENDPOINT once) this
starts :class:`tests.support.hub_stub.HubStub` on 127.0.0.1 and sets:

* ``HF_ENDPOINT`` = the stub's URL, ``HF_HOME`` = a fresh temp dir (empty cache, no saved token),
  ``HF_HUB_DISABLE_TELEMETRY=1``, ``HF_HUB_DISABLE_PROGRESS_BARS=1``, ``HF_HUB_DISABLE_XET=1``;
* unsets ``HF_TOKEN``, ``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE``, ``HUBSCOUT_CATALOG``,
  ``HUBSCOUT_SNAPSHOT_FILE``, ``HUBSCOUT_LIVE_TIMEOUT``;
* puts the repository root on ``sys.path``.

Fixtures: ``hub_stub`` (the running stub; faults, request log and allowed tokens are cleared
before and after each test, and models/repos a test added are dropped after it), ``hub_stub_session``
(the same stub without the per-test reset, for session-scoped fixtures that register repos).

Other fixture modules can be added with ``pytest_plugins = [...]`` below.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.hub_stub import HubStub  # noqa: E402

_HF_HOME = tempfile.mkdtemp(prefix="hubscout-hf-home-")
STUB = HubStub().start()

os.environ["HF_ENDPOINT"] = STUB.url
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"
# Measured peaks from test runs go to a temp store, never the user's ~/.cache/hubscout.
os.environ["HUBSCOUT_DATA_DIR"] = tempfile.mkdtemp(prefix="hubscout-data-")
for _var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
             "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_ASSETS_CACHE", "HF_XET_CACHE",
             "HUBSCOUT_CATALOG", "HUBSCOUT_SNAPSHOT_FILE", "HUBSCOUT_LIVE_TIMEOUT"):
    os.environ.pop(_var, None)

if "huggingface_hub" in sys.modules:  # pragma: no cover - a plugin imported it first
    import huggingface_hub.constants as _c
    if STUB.url != _c.ENDPOINT:
        raise RuntimeError("huggingface_hub was imported before tests/conftest.py set HF_ENDPOINT")

# huggingface_hub reads its environment (HF_ENDPOINT, HF_HUB_OFFLINE …) once, at import: import it now, with the
# environment above, so that the first test to import it cannot freeze a variable it set with monkeypatch
# (HF_HUB_OFFLINE=1) for the rest of the run
import huggingface_hub.constants  # noqa: E402,F401

pytest_plugins: list[str] = ["tests.support.tiny_models", "tests.support.postgres"]


def _reset_stub_state() -> None:
    STUB.reset()
    # a remembered Hub failure, or Hub facts the runner remembers, must not leak into the next test
    from lib.catalog import source
    from lib.runner.loader import forget_hub_facts

    source.forget_hub_failure()
    forget_hub_facts()


@pytest.fixture(scope="session")
def hub_stub_session() -> HubStub:
    """The running Hub stand-in, for session-scoped fixtures (e.g. registering tiny model repos)."""
    return STUB


@pytest.fixture
def hub_stub() -> HubStub:
    """The running Hub stand-in with a clean fault list and request log for this test."""
    before_models = set(STUB._models)
    before_repos = set(STUB._repos)
    _reset_stub_state()
    yield STUB
    _reset_stub_state()
    for rid in set(STUB._models) - before_models:
        STUB.remove_model(rid)
    for rid in set(STUB._repos) - before_repos:
        STUB._repos.pop(rid, None)


def pytest_sessionfinish(session, exitstatus):
    STUB.stop()
    shutil.rmtree(_HF_HOME, ignore_errors=True)


@pytest.fixture
def settings_override():
    """Pin settings for one test without touching the environment::

        def test_x(settings_override):
            settings_override(live_timeout=0.5, catalog="snapshot")

    (``monkeypatch.setenv`` keeps working too: lib.settings re-reads when the environment changed.)
    """
    from contextlib import ExitStack

    from lib import settings

    with ExitStack() as stack:
        yield lambda **changes: stack.enter_context(settings.override(**changes))


import lib.jobs.warmup as _warmup  # noqa: E402

_warmup.PROBE = False  # the host probe is tested by itself (tests/test_fit_speed.py), not in every warm-up
