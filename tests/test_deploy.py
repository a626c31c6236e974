"""Deployment as a Hugging Face Docker Space: the README's front matter, the Dockerfile (linted by hadolint,
the Space's uid and port, XSRF off for uploads in the iframe, torch's CPU build at the pinned version)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import dockerfile

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def front_matter() -> dict:
    import yaml

    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:text.index("\n---\n", 4)])


def test_the_space_is_a_docker_space_on_streamlits_port():
    fm = front_matter()
    assert fm["sdk"] == "docker"  # the Streamlit SDK is deprecated: Streamlit apps are Docker Spaces
    assert fm["app_port"] == 8501 == dockerfile.parse(ROOT / "Dockerfile").expose[0]
    assert "app_file" not in fm and "sdk_version" not in fm  # Streamlit-SDK keys a Docker Space ignores


def test_the_space_card_has_tags_a_short_description_and_suggests_free_hardware():
    fm = front_matter()
    assert isinstance(fm["tags"], list) and "streamlit" in fm["tags"]
    assert isinstance(fm["short_description"], str) and 0 < len(fm["short_description"]) <= 60  # the Hub's cap
    assert fm["suggested_hardware"] == "cpu-basic"


def test_the_image_follows_the_docker_space_guidance():
    img = dockerfile.parse(ROOT / "Dockerfile")
    assert img.base == "python:3.11-slim"
    assert img.env["HOME"] == "/home/user" and img.workdir == "/home/user/app"
    assert img.env["PATH"].startswith("/home/user/.local/bin:")  # pip install --user puts scripts there
    assert re.search(r"^COPY --chown=(user|1000)\S* \. \.$", DOCKERFILE, re.M)  # the app, owned by the user
    assert "/_stcore/health" in " ".join(img.healthcheck)
    assert img.command[:5] == ["python", "-m", "streamlit", "run", "streamlit_app.py"]


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


def test_the_build_context_leaves_out_byte_code_at_every_depth():
    # .dockerignore patterns are anchored at the context root: a bare `__pycache__` left lib/__pycache__ in
    rules = dockerfile.ignore_patterns(ROOT / ".dockerignore")
    for path in ("lib/__pycache__/x.cpython-311.pyc", "lib/hub/y.pyc", "__pycache__/z.pyc", "tests/test_x.py"):
        assert dockerfile.is_ignored(path, rules), path
    for path in ("lib/hub/gateway.py", "streamlit_app.py", "pages/1_Discover.py", "lib/data/pipeline_tags.json"):
        assert not dockerfile.is_ignored(path, rules), path


def test_hadolint_passes():
    try:
        out = dockerfile.hadolint(ROOT / "Dockerfile")
    except FileNotFoundError as e:
        pytest.fail(str(e))
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_dockerfile_reader_reads_what_docker_reads(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.10 AS build\nENV X=1\n"
        "FROM python:3.11-slim\n# a comment\nENV HOME=/home/u \\\n    PATH=/home/u/bin:$PATH\n"
        "ENV LEGACY some value\nWORKDIR $HOME\nWORKDIR app\nUSER 1000\nEXPOSE 8501/tcp\n"
        "HEALTHCHECK --interval=30s CMD curl -f http://localhost:8501/\n"
        "ENTRYPOINT [\"python\", \"-m\"]\nCMD [\"streamlit\", \"run\", \"a.py\"]\n")
    img = dockerfile.parse(tmp_path / "Dockerfile", base_env={"PATH": "/usr/bin"})
    assert img.base == "python:3.11-slim" and "X" not in img.env  # the final stage only
    assert img.env == {"PATH": "/home/u/bin:/usr/bin", "HOME": "/home/u", "LEGACY": "some value"}
    assert img.workdir == "/home/u/app" and img.user == "1000" and img.expose == [8501]
    assert img.healthcheck == ["/bin/sh", "-c", "curl -f http://localhost:8501/"]
    assert img.command == ["python", "-m", "streamlit", "run", "a.py"]
    rules = [(True, "docs"), (True, "**/*.md"), (False, "docs/keep.md")]
    assert dockerfile.is_ignored("docs/a.png", rules) and dockerfile.is_ignored("lib/x/README.md", rules)
    assert not dockerfile.is_ignored("docs/keep.md", rules) and not dockerfile.is_ignored("lib/a.py", rules)
