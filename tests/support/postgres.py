"""A real PostgreSQL server for tests, started from Debian's ``postgresql`` package binaries.

:class:`PostgresServer` runs ``initdb`` into a temporary folder and ``postgres`` on a free port of
127.0.0.1 (trust authentication, fsync off: a throwaway server). PostgreSQL refuses to run as root,
so when the tests run as root the folder is handed to the ``postgres`` system user (else ``nobody``)
and the server runs as that user through ``runuser``.

Fixtures (registered in tests/conftest.py): ``pg_server`` (one server per test run, started on first
use) and ``pg_url`` (a fresh, empty database on it per test, as a SQLAlchemy URL for
``HUBSCOUT_DATABASE_URL``). Both skip with the reason when the binaries are missing (``make test``
installs them) or the server cannot start.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "find_bin_dir", "pg_server", "pg_url"]

USER = "hubscout"


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with initdb and postgres (else initdb on PATH)."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        p = Path(d)
        if (p / "initdb").exists() and (p / "postgres").exists():
            try:
                found.append((float(p.parent.name), p))
            except ValueError:
                found.append((0.0, p))
    if found:
        return max(found)[1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("postgres") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    """The system user to run the server as when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and there is no postgres or nobody user to run PostgreSQL as")


class PostgresServer:
    """One throwaway PostgreSQL server: ``start()``, ``url(dbname)``, ``create_database()``, ``stop()``."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.port = 0
        self.root: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.user = _run_as()

    def _cmd(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return [*prefix, *args]

    def start(self, timeout: float = 60.0) -> PostgresServer:
        self.root = Path(tempfile.mkdtemp(prefix="hubscout-pg-"))
        data, sock = self.root / "data", self.root / "sock"
        sock.mkdir()
        if self.user:
            pw = pwd.getpwnam(self.user)
            for p in (self.root, sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        init = subprocess.run(self._cmd(str(self.bin_dir / "initdb"), "-D", str(data), "-U", USER,
                                        "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"),
                              capture_output=True, text=True, timeout=120)
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()[-500:]}")
        self.port = _free_port()
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - kept open for the server's life
        self.proc = subprocess.Popen(
            self._cmd(str(self.bin_dir / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(sock),
                      "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
                      "-c", "max_connections=200"),
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                self._connect().close()
                return self
            except Exception:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"postgres did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")[-800:] if self.root else ""
        except OSError:
            return ""

    def _connect(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname=dbname, autocommit=True,
                               connect_timeout=5)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A fresh empty database; its SQLAlchemy URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with self._connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # "smart" shutdown; fast after the clients are gone
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


@pytest.fixture(scope="session")
def pg_server():
    """A running PostgreSQL server for this test run (skips, saying why, when it cannot be had)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): `make test` installs "
                    "Debian's postgresql package")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (requirements.txt pins psycopg[binary])")
    try:
        server = PostgresServer(bin_dir).start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"PostgreSQL could not be started here: {e}")
    yield server
    from lib import store

    store.dispose_all()  # close the pools before the server goes
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A SQLAlchemy URL of a fresh empty PostgreSQL database (skips when PostgreSQL is unavailable)."""
    return pg_server.create_database()
