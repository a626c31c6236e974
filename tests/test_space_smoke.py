"""The Docker Space, replayed without Docker (there is no Docker daemon here): issue 10, items 2 and 3.

What the image does, done by hand from the Dockerfile itself (:mod:`tests.support.dockerfile` reads it;
nothing of it is repeated here):

1. hadolint passes on the Dockerfile;
2. a fresh virtualenv gets ``requirements.txt`` (from a local wheelhouse, filled once from the package
   index pip is configured with; ``pip download`` is a no-op when it is complete);
3. the build context (``COPY . .`` minus ``.dockerignore``) is copied into ``$HOME/app`` and made read-only
   (``chmod -R a-w``): the app must write only under HOME;
4. the Dockerfile's ENV, WORKDIR, USER (uid 1000, when we are root) and CMD start the server, with the
   image's ``/home/user`` mapped to a temporary folder and its port 8501 to a free one (what ``docker run
   -p`` does); the Space's own variable ``SPACE_ID`` is set, so this is a public instance;
5. the health endpoint answers, and the Dockerfile's HEALTHCHECK command passes;
6. in Chromium, the home page renders inside a cross-site iframe (the parent page is served by
   ``http.server`` from ``localhost`` on another port, the app from ``127.0.0.1``, as huggingface.co frames
   ``*.hf.space``): an image uploaded in the Playground's test-drive reaches the server (Streamlit's XSRF
   cookie is SameSite=Lax, never sent inside a cross-site iframe: with XSRF on, this upload fails) and a tiny
   image classifier served by the Hub stand-in runs on it;
7. a server folder typed into the Playground is refused (public instance: Hub ids only).
"""
from __future__ import annotations

import fcntl
import hashlib
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

from tests.support import dockerfile
from tests.support.browser import chromium, chromium_available, free_port, wait_for_app_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.space,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium"),
]

ROOT = Path(__file__).resolve().parents[1]
#: Wheels for requirements.txt, downloaded once per machine; a later run installs with --no-index.
WHEELHOUSE = Path.home() / ".cache" / "hubscout-test-wheels"
#: Virtualenvs installed from requirements.txt by pip, one per its hash (see _fresh_venv).
VENV_CACHE = Path.home() / ".cache" / "hubscout-test-venvs"
IMAGE_HOME = "/home/user"  # the Hub's Docker Space guidance: HOME of uid 1000
SPACE_ID = "hubscout/smoke-test"
MODEL = "smoke/tiny-vit"
TIMINGS: dict[str, float] = {}


def _pip(venv: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "python"), "-m", "pip", *args, "--disable-pip-version-check"],
                          capture_output=True, text=True, timeout=600)


def _world_reachable(path: Path) -> bool:
    """Whether any user can run ``path``: every folder above it searchable by others."""
    path = path.resolve()
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


def _base_python() -> str:
    """The interpreter the fresh venv is made from, one uid 1000 can run (this one's base when it can; a
    pyenv under /root cannot be reached by other users: then the system's python of the same version)."""
    ours = Path(getattr(sys, "_base_executable", sys.executable))
    if os.geteuid() != 0 or _world_reachable(ours):
        return str(ours)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in ("/usr/local/bin", "/usr/bin"):
        if Path(folder, version).exists() and _world_reachable(Path(folder, version)):
            return str(Path(folder, version))
    pytest.skip(f"no {version} that a non-root user can run (this one lives under {ours.parent})")


def _pip_install(venv: Path) -> subprocess.CompletedProcess:
    """``pip install -r requirements.txt`` into ``venv`` from the wheelhouse (filled first when it lacks a
    wheel: ``pip download`` through the package index pip is configured with)."""
    reqs = str(ROOT / "requirements.txt")
    install = ("install", "-q", "--no-index", "--find-links", str(WHEELHOUSE), "-r", reqs)
    out = _pip(venv, *install)
    if out.returncode != 0:  # first run on this machine, or requirements.txt changed
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        dl = _pip(venv, "download", "-q", "-r", reqs, "-d", str(WHEELHOUSE))
        out = _pip(venv, *install) if dl.returncode == 0 else dl
    return out


def _fresh_venv(venv: Path) -> str:
    """A new virtualenv at ``venv`` holding requirements.txt and nothing else; returns how it was made.

    pip's install of the pins (torch included, byte-code compiled, as the image's pip does) took 90 s on
    this 2-core machine when quiet (140-224 s when busy), most of it writing 1.8 GB: it runs once per
    requirements.txt (keyed by its hash and the interpreter) into a template under ~/.cache, and each run
    gets a new venv of hard links to it (~2 s). Its install time is recorded beside it and reported.
    Where nothing can be installed (no wheelhouse, no index), the documented fallback: the venv sees this
    interpreter's packages."""
    base = _base_python()
    key = hashlib.sha256((ROOT / "requirements.txt").read_bytes() + base.encode() + sys.version.encode())
    template = VENV_CACHE / key.hexdigest()[:16]
    VENV_CACHE.mkdir(parents=True, exist_ok=True)
    with open(VENV_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run building the same template waits for it
        mode = _install_template(base, template, venv)
    if mode:
        return mode
    TIMINGS["pip_install_s"] = float((template / "installed").read_text())
    if subprocess.run(["cp", "-al", str(template), str(venv)], capture_output=True).returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        shutil.copytree(template, venv, symlinks=True)  # another file system: a plain copy
    return "requirements.txt (pip, from the wheelhouse)"


def _install_template(base: str, template: Path, venv: Path) -> str | None:
    """Build the template venv unless it is there (older ones are removed: 1.8 GB each); None when it is
    ready, else the fallback's description (``venv`` then sees this interpreter's packages)."""
    if not (template / "installed").exists():
        for old in VENV_CACHE.iterdir():
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        t = time.perf_counter()
        subprocess.run([base, "-m", "venv", str(template)], check=True, timeout=120)
        out = _pip_install(template)
        if out.returncode != 0:
            shutil.rmtree(template, ignore_errors=True)
            subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=120)
            warnings.warn("test_space_smoke: requirements.txt could not be installed into a fresh virtualenv "
                          f"(no wheelhouse, no index); using this environment's packages:\n{out.stderr[-800:]}",
                          stacklevel=1)
            site = next((venv / "lib").glob("python3*/site-packages"))
            (site / "hubscout-smoke-fallback.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
            return "fallback: this environment's packages"
        (template / "installed").write_text(f"{time.perf_counter() - t:.1f}\n")
    return None


def _copy_context(app: Path) -> int:
    files = dockerfile.build_context(ROOT)
    for rel in files:
        dst = app / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dst)
    for folder, _dirs, names in os.walk(app):  # chmod -R a-w (read and search for everyone)
        for n in names:
            os.chmod(Path(folder, n), 0o444)
        os.chmod(folder, 0o555)
    return len(files)


def _remap(value: str, home: Path, port: int, image_port: int) -> str:
    """The image's HOME to the temp home; its port to ours (in --server.port=8501, :8501/ …)."""
    value = value.replace(IMAGE_HOME, str(home))
    return re.sub(rf"(?<=[:=]){image_port}\b", str(port), value)


class SpaceReplay:
    """The image's process, started as the Dockerfile says (see the module docstring)."""

    def __init__(self, root: Path, venv: Path, hub_url: str):
        # the base image's PATH, with our fresh venv standing in for its python
        base_path = f"{venv / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        self.image = dockerfile.parse(ROOT / "Dockerfile", base_env={"PATH": base_path})
        self.image_port = self.image.expose[0]
        self.port = free_port()
        self.home = root / "home"
        self.venv = venv
        env = {"LANG": "C.UTF-8"}
        env.update({k: _remap(v, self.home, self.port, self.image_port) for k, v in self.image.env.items()})
        # what the Space sets (public instance), and the Hub stand-in in place of huggingface.co
        env.update({"SPACE_ID": SPACE_ID, "HF_ENDPOINT": hub_url, "HF_HUB_DISABLE_XET": "1"})
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # this machine's processor needs them
            if var in os.environ:
                env[var] = os.environ[var]
        self.env = env
        self.workdir = Path(_remap(self.image.workdir, self.home, self.port, self.image_port))
        self.proc: subprocess.Popen | None = None
        self.log_path = root / "server.log"

    @property
    def as_user(self) -> list[str]:
        """The Dockerfile's USER (uid 1000) when we are root; otherwise we already are not root."""
        uid = self.image.user
        if os.geteuid() != 0:
            return []
        assert uid.isdigit(), f"USER {uid}: use the numeric uid, as the Space runs it"
        return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]

    def command(self, args: list[str]) -> list[str]:
        return [*self.as_user, *[_remap(a, self.home, self.port, self.image_port) for a in args]]

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.command(self.image.command), cwd=self.workdir, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self, timeout_s: float = 120) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=2) as r:
                    return r.read().decode()
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"no health answer in {timeout_s}s:\n{self.log()}")

    def run(self, args: list[str]) -> subprocess.CompletedProcess:
        """Run ``args`` in the image as its CMD runs (user, env, workdir, port mapping), e.g. its HEALTHCHECK."""
        return subprocess.run(self.command(args), cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, timeout=60)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="module")
def space(hub_stub_session, tiny_model):
    """The replayed Space, healthy; torn down (server stopped, temp folders removed) after the module."""
    t0 = time.perf_counter()
    lint = dockerfile.hadolint(ROOT / "Dockerfile")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # world-searchable temp root (pytest's tmp_path is root-only): uid 1000 must reach HOME and the venv
    root = Path(tempfile.mkdtemp(prefix="hubscout-space-"))
    root.chmod(0o755)
    replay = None
    try:
        t = time.perf_counter()
        TIMINGS["venv_mode"] = _fresh_venv(root / "venv")  # type: ignore[assignment]
        TIMINGS["fresh_venv_s"] = time.perf_counter() - t
        home = root / "home"
        home.mkdir()
        TIMINGS["context_files"] = _copy_context(home / "app")
        if os.geteuid() == 0:  # HOME belongs to the image's user; the app folder stays root's, read-only
            uid = int(dockerfile.parse(ROOT / "Dockerfile").user)
            os.chown(home, uid, uid)
        hub_stub_session.add_repo(MODEL, tiny_model("vit"), info={"pipeline_tag": "image-classification"})
        replay = SpaceReplay(root, root / "venv", hub_stub_session.url)
        t = time.perf_counter()
        replay.start()
        replay.health = replay.wait_healthy()
        TIMINGS["server_healthy_s"] = time.perf_counter() - t
        yield replay
    finally:
        if replay is not None:
            replay.stop()
        if hub_stub_session.model(MODEL):
            hub_stub_session.remove_model(MODEL)
        hub_stub_session._repos.pop(MODEL, None)
        for folder, dirs, _ in os.walk(root):  # chmod -R u+w, so the temp folder can be removed
            for d in dirs:
                os.chmod(Path(folder, d), 0o755)
        shutil.rmtree(root, ignore_errors=True)
        TIMINGS["total_s"] = time.perf_counter() - t0
        print(f"\nspace smoke timings: {TIMINGS}")


def test_the_image_starts_from_its_own_dockerfile_and_answers_its_health_check(space):
    assert space.image.user == "1000" and space.image.env["HOME"] == IMAGE_HOME
    assert space.workdir == space.home / "app"
    assert space.health == "ok"
    check = space.run(space.image.healthcheck)
    assert check.returncode == 0, check.stdout + check.stderr
    # the image's user cannot write beside the code, only under HOME; the venv's python is the one run
    probe = ("import os, sys; open(os.path.expanduser('~/probe'), 'w').write('x'); print(sys.prefix); "
             "open('probe', 'w')")
    out = space.run(["python", "-c", probe])
    assert "PermissionError" in out.stderr and out.stdout.strip() == str(space.venv), out.stdout + out.stderr
    assert (space.home / "probe").exists() and not (space.workdir / "probe").exists()


PARENT = """<!doctype html><html><head><title>Space</title></head><body style="margin:0">
<iframe id="space" src="{src}" style="width:1400px;height:1600px;border:0"
 allow="clipboard-read; clipboard-write; fullscreen"
 sandbox="allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-same-origin allow-scripts
 allow-downloads"></iframe></body></html>"""


@pytest.fixture(scope="module")
def browser(space):
    with chromium() as b:
        yield b


@pytest.fixture
def parent_page(space):
    """A page on another site (localhost, its own port) that frames the app (127.0.0.1), as the Hub does."""
    state = {"src": ""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = PARENT.format(src=state["src"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(path: str) -> str:
        state["src"] = f"http://127.0.0.1:{space.port}{path}"
        return f"http://localhost:{server.server_address[1]}/"

    yield url
    server.shutdown()
    server.server_close()


def test_in_a_cross_site_iframe_the_home_page_renders_and_an_upload_runs_a_model(space, browser, parent_page,
                                                                                 tmp_path):
    from PIL import Image
    from playwright.sync_api import expect

    picture = tmp_path / "smoke.png"
    Image.new("RGB", (48, 40), (200, 30, 30)).save(picture)
    t = time.perf_counter()
    page = browser.new_page(viewport={"width": 1440, "height": 1700})
    page.goto(parent_page("/"))
    frame = page.frame_locator("#space")
    expect(frame.get_by_role("heading", name="Hub Scout")).to_be_visible(timeout=90_000)
    # public instance: the sidebar says what visitors may not do
    expect(frame.get_by_text("Hub ids only, no server folders")).to_be_visible()

    page.goto(parent_page(f"/Playground?model={MODEL}&task=image-classification"))
    frame = page.frame_locator("#space")
    expect(frame.get_by_role("heading", name="Playground")).to_be_visible(timeout=90_000)
    frame.locator("input[type=file]").first.set_input_files(str(picture))
    # the file reached the server (an XSRF refusal would show an error in the uploader instead)
    expect(frame.get_by_text("smoke.png · 48×40")).to_be_visible(timeout=60_000)
    wait_for_app_idle(frame, timeout_ms=60_000)  # a click while the upload's rerun still draws can be lost
    frame.locator(".st-key-pg_run").get_by_role("button").click()
    try:
        expect(frame.get_by_text(re.compile(r"Top: (cat|dog|car)"))).to_be_visible(timeout=120_000)
    except AssertionError as e:  # say what the page and the server showed instead
        shown = frame.locator("[data-testid='stMain']").inner_text(timeout=5_000)[-3000:]
        raise AssertionError(f"{e}\n--- the page shows:\n{shown}\n--- the server log:\n{space.log()}") from None
    expect(frame.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "space-iframe.png"), full_page=True)
    TIMINGS["browser_upload_run_s"] = time.perf_counter() - t
    assert "Traceback" not in space.log(), space.log()
    # the model came from the Hub stand-in into HOME's Hub cache; the store (measured peak) lives in HOME too
    assert (space.home / ".cache" / "huggingface" / "hub" / f"models--{MODEL.replace('/', '--')}").is_dir()
    assert any((space.home / ".cache" / "hubscout").iterdir())


def test_a_server_folder_is_refused_on_the_space(space, browser, parent_page):
    from playwright.sync_api import expect

    from lib.access import HUB_IDS_ONLY

    page = browser.new_page(viewport={"width": 1440, "height": 1200})
    page.goto(parent_page("/Playground"))
    frame = page.frame_locator("#space")
    box = frame.locator(".st-key-pg_model input")
    expect(box).to_be_visible(timeout=90_000)
    box.fill(str(space.home / "app"))
    box.press("Enter")
    expect(frame.get_by_text(HUB_IDS_ONLY)).to_be_visible(timeout=30_000)
    expect(frame.get_by_text("Test drive")).to_have_count(0)
    log = space.log()
    assert "Traceback" not in log and "Permission denied" not in log and "Read-only file system" not in log, log
