"""Browser-test helpers: a freshly started Streamlit server on a free port, and Debian's Chromium.

Reuse from any browser test or script::

    with StreamlitServer(env={"HUBSCOUT_CATALOG": "snapshot"}) as server, chromium() as browser:
        page = browser.new_page()
        page.goto(server.url + "/Discover?task=text-classification")
        select_row(page.get_by_test_id("stDataFrame").first, 1)

Chromium comes from the system (``/usr/bin/chromium``; never ``playwright install``).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_PATH = os.environ.get("HUBSCOUT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
# glide-data-grid geometry Streamlit uses (frontend constants): row-marker column and row height.
ROW_MARKER_WIDTH_PX = 30
ROW_HEIGHT_PX = 35


def chromium_available() -> bool:
    return Path(CHROMIUM_PATH).is_file() or shutil.which(CHROMIUM_PATH) is not None


def free_port() -> int:
    """A TCP port nobody listens on right now (bind to port 0, read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class StreamlitServer:
    """``streamlit run <script>`` in a subprocess on a free port; a context manager.

    ``env`` is added to this process's environment (e.g. ``HUBSCOUT_CATALOG=snapshot``,
    ``HF_ENDPOINT``; tests/conftest.py has already pointed ``HF_ENDPOINT`` at the Hub stand-in).
    ``args``: more ``streamlit run`` options (e.g. ``["--theme.base", "dark"]``).
    ``started_at`` / ``ready_at`` are ``time.perf_counter()`` stamps (launch, health check ok).
    """

    script: str = "streamlit_app.py"
    env: Mapping[str, str] = field(default_factory=dict)
    args: Sequence[str] = ()
    port: int = 0
    startup_timeout_s: float = 60.0
    cwd: Path = ROOT
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    ready_at: float = 0.0
    _log: object = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StreamlitServer:
        self.port = self.port or free_port()
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "streamlit", "run", self.script,
               "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false", *self.args]
        import tempfile

        # stays open for the server's lifetime (its stdout/stderr); closed in stop()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        """Poll ``/_stcore/health`` until it answers ``ok`` (or the server dies / times out)."""
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        self.ready_at = time.perf_counter()
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"streamlit did not become healthy in {self.startup_timeout_s}s:\n{self.log()}")

    def log(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-5000:]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own session: the server and its children
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


EXPECT_TIMEOUT_MS = 20_000


@contextlib.contextmanager
def chromium(headless: bool = True) -> Iterator[object]:
    """A Playwright Chromium browser (system binary); closed on exit."""
    from playwright.sync_api import expect, sync_playwright

    # Expect-based waits, as Streamlit's own e2e tests: an assertion waits for the page up to this long.
    # Playwright's 5 s default is too short for a first render while 2 shared cores also run the
    # server (a deep link's first run imports the app's modules): these tests check behaviour, and
    # timings live in bench/.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, headless=headless, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for_app_idle(page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit finished the current script run: the app's own run state (``notRunning``, as
    Streamlit's e2e tests wait for it; the status widget shows only after a delay) and no status widget.
    A link or button clicked while a run still draws the page can be lost: wait for this first.
    ``page`` is a Page or a FrameLocator (the app inside an iframe)."""
    from playwright.sync_api import expect

    expect(page.locator("[data-testid='stApp']")).to_have_count(1, timeout=timeout_ms)
    expect(page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")).to_have_count(
        1, timeout=timeout_ms)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=timeout_ms)


def select_row(dataframe, row: int) -> None:
    """Click the row-selection checkbox of ``row`` (1 = first data row) in an ``stDataFrame``.

    glide-data-grid draws on a canvas, so this clicks at the checkbox's coordinates, as
    Streamlit's own e2e tests do (row-marker column 30 px wide, rows 35 px high, header = row 0).
    """
    from playwright.sync_api import expect

    expect(dataframe.locator("canvas").first).to_be_visible()
    # the row itself (glide's accessible table; header = aria-rowindex 1): not Discover's empty first grid
    expect(dataframe.locator(f'tr[aria-rowindex="{row + 1}"]')).to_have_count(1)
    dataframe.scroll_into_view_if_needed()
    dataframe.click(position={"x": ROW_MARKER_WIDTH_PX / 2, "y": row * ROW_HEIGHT_PX + ROW_HEIGHT_PX / 2})


def element_by_key(page, key: str):
    """The element a Streamlit ``key=`` marks with the ``st-key-<key>`` class."""
    return page.locator(f".st-key-{key}")
