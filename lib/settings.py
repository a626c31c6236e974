"""Every setting Hub Scout reads from the environment, in one typed, frozen object.

This is the only module that reads ``os.environ`` (besides huggingface_hub itself, which reads
``HF_ENDPOINT``, ``HF_HOME`` … at its import, and its ``get_token``). Everything else asks::

    from lib.settings import get_settings
    get_settings().live_timeout

Each field names its variable(s) in its metadata (:data:`VARIABLES` lists them, and the README's
configuration table is checked against it). Bad values never raise: the default is used and
:attr:`Settings.problems` says what was ignored, for the sidebar to show.

:func:`get_settings` builds the object once and returns the same one while the environment is
unchanged; a changed variable (tests use ``monkeypatch.setenv``) makes the next call read again.
Tests can also pin values without the environment::

    with settings.override(live_timeout=0.5, catalog="snapshot"):
        ...

The Hub token is not a setting: huggingface_hub's ``get_token`` finds it (env ``HF_TOKEN``, then
the saved login), asked through :mod:`lib.hub.auth` at each use, so a login while the app runs is
seen; it is listed in :data:`VARIABLES` for the README. A database URL's password is masked in
``repr``/``str``.
"""
from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from lib import i18n
from lib.format import parse_bytes
from lib.i18n import N_

__all__ = ["Settings", "Variable", "VARIABLES", "Problem", "get_settings", "reload", "override", "child_process_env",
           "CATALOG_MODES", "DEFAULT_LIVE_TIMEOUT", "DEFAULT_CACHE_TTL", "DEFAULT_ENDPOINT",
           "DEFAULT_VISITOR_RUNS_PER_HOUR", "DEFAULT_BACKUP_EVERY", "parse_tokens"]

CatalogMode = Literal["auto", "live", "snapshot"]
CATALOG_MODES: tuple[str, ...] = ("auto", "live", "snapshot")
DEFAULT_LIVE_TIMEOUT = 3.0
LIVE_TIMEOUT_RANGE = (0.1, 60.0)
DEFAULT_CACHE_TTL = 600
DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_VISITOR_RUNS_PER_HOUR = 30
DEFAULT_BACKUP_EVERY = 5.0
REPO_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")
DATABASE_FILENAME = "hubscout.db"
_TRUE = frozenset({"1", "ON", "YES", "TRUE"})
_FALSE = frozenset({"0", "OFF", "NO", "FALSE"})


class Problem(i18n.Later):
    """A value that was ignored, in words (settings are read once per process; the language is per browser
    session): a :class:`lib.i18n.Later` — the English text as the ``str`` value, ``str(problem)`` (what
    Streamlit's elements call) in the language current then. Numbers among ``values`` are written in that
    language (``0.1`` / ``0,1``)."""

    @staticmethod
    def _fill(template: str, values: dict[str, Any]) -> str:
        from lib.format import number

        return template.format(**{k: number(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                                  for k, v in values.items()})


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, what it means and its default, as the README shows them."""

    name: str
    field: str
    meaning: str
    default: str


def _env(*names: str, meaning: str, default: str) -> dict[str, Any]:
    return {"env": names, "meaning": meaning, "default_text": default}


@dataclass(frozen=True)
class Settings:
    """Hub Scout's configuration (all optional). Build it with :func:`get_settings`, not by hand."""

    catalog: CatalogMode = field(default="auto", metadata=_env(
        "HUBSCOUT_CATALOG", meaning="`auto` / `live` / `snapshot` (also switchable in the sidebar)",
        default="`auto`"))
    live_timeout: float = field(default=DEFAULT_LIVE_TIMEOUT, metadata=_env(
        "HUBSCOUT_LIVE_TIMEOUT", meaning="seconds before auto mode gives up on the Hub (0.1–60)", default="`3`"))
    snapshot_file: Path | None = field(default=None, metadata=_env(
        "HUBSCOUT_SNAPSHOT_FILE", meaning="a parquet / JSON-lines dump of the Hub's whole model list to search "
        "instead of the embedded snapshot", default="embedded"))
    cache_ttl: int = field(default=DEFAULT_CACHE_TTL, metadata=_env(
        "HUBSCOUT_CACHE_TTL", meaning="seconds catalog and model answers are cached", default="`600`"))
    model_memory_budget: int | None = field(default=None, metadata=_env(
        "HUBSCOUT_MODEL_MEMORY_BUDGET", meaning="bytes (or `4GB`) the runner's shared model cache may hold",
        default="half of RAM"))
    data_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "hubscout", metadata=_env(
        "HUBSCOUT_DATA_DIR", meaning="where Hub Scout keeps its data (the store's SQLite file, measured peaks)",
        default="`~/.cache/hubscout`"))
    database_url: str | None = field(default=None, repr=False, metadata=_env(
        "HUBSCOUT_DATABASE_URL", meaning="any SQLAlchemy URL for the store (e.g. `postgresql+psycopg://…`)",
        default="SQLite file `hubscout.db` in the data dir"))
    hub_endpoint: str = field(default=DEFAULT_ENDPOINT, metadata=_env(
        "HF_ENDPOINT", meaning="Hub API endpoint (huggingface_hub's own, read at its import; the tests point "
        "it at a local stand-in)", default="https://huggingface.co"))
    hub_offline: bool = field(default=False, metadata=_env(
        "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", meaning="`1`: never call the Hub; snapshot + local cache only",
        default="unset"))
    public: bool = field(default=False, metadata=_env(
        "HUBSCOUT_PUBLIC", "SPACE_ID", meaning="public-instance mode: no model code, no \"Load anyway\", Hub ids "
        "only (no server folders), capped downloads, no private repos, runs limited per visitor. On when "
        "`HUBSCOUT_PUBLIC=1` or on a Space (`SPACE_ID`, set by the Hub); `HUBSCOUT_PUBLIC=0` turns it off",
        default="off (on a Space: on)"))
    admins: frozenset[str] = field(default=frozenset(), metadata=_env(
        "HUBSCOUT_ADMINS", meaning="comma-separated Hugging Face user names who, signed in, may lift the "
        "public-instance limits", default="none"))
    max_download_gb: float | None = field(default=None, metadata=_env(
        "HUBSCOUT_MAX_DOWNLOAD_GB", meaning="largest model download in decimal GB (applies everywhere when set)",
        default="public instance: sized for the host (free disk, RAM); local: no cap"))
    visitor_runs_per_hour: int = field(default=DEFAULT_VISITOR_RUNS_PER_HOUR, metadata=_env(
        "HUBSCOUT_VISITOR_RUNS_PER_HOUR", meaning="runs one visitor may start per hour on a public instance "
        "(0: no limit)", default=f"`{DEFAULT_VISITOR_RUNS_PER_HOUR}`"))
    model_dirs: tuple[Path, ...] = field(default=(), metadata=_env(
        "HUBSCOUT_MODEL_DIRS", meaning="folders holding model folders, separated by `os.pathsep` (`:`; `;` on "
        "Windows): each child folder with a config.json is listed, read-only, on the Local models page",
        default="none"))
    backup_repo: str | None = field(default=None, metadata=_env(
        "HUBSCOUT_BACKUP_REPO", meaning="`owner/name` of a Hub dataset repo (created private if missing) that "
        "session exports are backed up to, and restored from when the store has no sessions; needs a write "
        "`HF_TOKEN`", default="no backup"))
    backup_every: float = field(default=DEFAULT_BACKUP_EVERY, metadata=_env(
        "HUBSCOUT_BACKUP_EVERY", meaning="minutes between scheduled backup pushes (changes are also pushed "
        "soon after a burst of writes)", default=f"`{DEFAULT_BACKUP_EVERY:g}`"))
    inference_url: str | None = field(default=None, metadata=_env(
        "HUBSCOUT_INFERENCE_URL", meaning="default base URL of the remote test-drive's own server (an Inference "
        "Endpoint, or any TGI / vLLM / OpenAI-compatible server; http or https)", default="none"))
    inference_token: str | None = field(default=None, repr=False, metadata=_env(
        "HUBSCOUT_INFERENCE_TOKEN", meaning="token / API key sent to that URL (never shown or logged); unset: "
        "`HF_TOKEN`, only to Hugging Face hosts", default="unset"))
    inference_tokens: tuple[tuple[str, str], ...] = field(default=(), repr=False, metadata=_env(
        "HUBSCOUT_INFERENCE_TOKENS", meaning="a token / API key per backend, comma-separated `name=token`: a "
        "provider's name (`together=…`: sent to that provider instead of `HF_TOKEN`) or a URL's host, with or "
        "without its port (`my-tgi.internal:8080=…`, `abc.endpoints.huggingface.cloud=…`); never shown or "
        "logged. Streamlit secrets' `[inference_tokens]` table, same names, comes first", default="none"))
    inference_hosts: frozenset[str] = field(default=frozenset(), metadata=_env(
        "HUBSCOUT_INFERENCE_HOSTS", meaning="comma-separated host names a public instance's visitors may send "
        "remote runs to by URL (others: providers only)", default="none"))
    problems: tuple[Problem, ...] = ()  # values ignored (the default used instead), in words for the UI

    # --- derived -------------------------------------------------------------------------------
    @property
    def store_url(self) -> str:
        """The store's SQLAlchemy URL: ``HUBSCOUT_DATABASE_URL``, else a SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / DATABASE_FILENAME}"

    def __repr__(self) -> str:  # the database URL may carry a password: shown masked
        parts = [f"{f.name}={_shown(self, f.name)}" for f in fields(self)]
        return f"Settings({', '.join(parts)})"

    __str__ = __repr__


def _shown(s: Settings, name: str) -> str:
    if name == "database_url":
        return repr(_mask_url(s.database_url))
    if name == "inference_token":
        return "'***'" if s.inference_token else "None"
    if name == "inference_tokens":
        return repr({key: "***" for key, _ in s.inference_tokens})
    return repr(getattr(s, name))


def _variables() -> tuple[Variable, ...]:
    out = []
    for f in fields(Settings):
        for name in f.metadata.get("env", ()):
            out.append(Variable(name, f.name, f.metadata["meaning"], f.metadata["default_text"]))
    return tuple(out)


#: Every environment variable Hub Scout reads, in README order. ``HF_TOKEN`` is read by
#: huggingface_hub's ``get_token`` (through :func:`lib.hub.auth.token`), not by this module.
TOKEN_FIELD = "lib.hub.auth.token()"  # i18n: a code name
VARIABLES: tuple[Variable, ...] = (
    # i18n: README text (configuration table), not shown
    Variable("HF_TOKEN", TOKEN_FIELD, "Hub token (Space secret); used when set, never shown", "unset"),
    *_variables(),
)
_READ = tuple(v.name for v in VARIABLES if v.field != TOKEN_FIELD)  # what get_settings() reads itself


# ------------------------------------------------------------------------------- parsing
def _mask_url(url: str | None) -> str | None:
    """``scheme://user:secret@host/db`` -> ``scheme://user:***@host/db``."""
    if not url:
        return url
    return re.sub(r"(://[^/:@]*):[^@/]*@", r"\1:***@", url)


def _read(env: Mapping[str, str]) -> Settings:
    problems: list[Problem] = []
    kw: dict[str, Any] = {}

    def raw(name: str) -> str:
        return (env.get(name) or "").strip()

    mode = raw("HUBSCOUT_CATALOG").lower()
    if mode in CATALOG_MODES:
        kw["catalog"] = mode
    elif mode:
        problems.append(Problem(N_("HUBSCOUT_CATALOG={value} is not one of auto, live, snapshot: using auto."),
                                value=repr(raw("HUBSCOUT_CATALOG"))))

    if t := raw("HUBSCOUT_LIVE_TIMEOUT"):
        try:
            value = float(t)
            if math.isnan(value):
                raise ValueError
        except ValueError:
            problems.append(Problem(N_("HUBSCOUT_LIVE_TIMEOUT={value} is not a number of seconds: using {default} s."),
                                    value=repr(t), default=DEFAULT_LIVE_TIMEOUT))
        else:
            lo, hi = LIVE_TIMEOUT_RANGE
            kw["live_timeout"] = min(hi, max(lo, value))
            if kw["live_timeout"] != value:
                problems.append(Problem(N_("HUBSCOUT_LIVE_TIMEOUT={value} is outside {low}–{high} s: using {used} s."),
                                        value=t, low=lo, high=hi, used=kw["live_timeout"]))

    if path := raw("HUBSCOUT_SNAPSHOT_FILE"):
        kw["snapshot_file"] = Path(path).expanduser()

    if ttl := raw("HUBSCOUT_CACHE_TTL"):
        try:
            value = float(ttl)
            if math.isnan(value):
                raise ValueError
            kw["cache_ttl"] = max(0, int(value))
        except (ValueError, OverflowError):
            problems.append(Problem(N_("HUBSCOUT_CACHE_TTL={value} is not a number of seconds: using {default}."),
                                    value=repr(ttl), default=DEFAULT_CACHE_TTL))

    if budget := raw("HUBSCOUT_MODEL_MEMORY_BUDGET"):
        try:
            kw["model_memory_budget"] = parse_bytes(budget)
        except ValueError:
            problems.append(Problem(N_("HUBSCOUT_MODEL_MEMORY_BUDGET={value} is not a size like 4GB or 512MiB: "
                                       "using half of RAM."), value=repr(budget)))

    if data := raw("HUBSCOUT_DATA_DIR"):
        kw["data_dir"] = Path(data).expanduser()

    if url := raw("HUBSCOUT_DATABASE_URL"):
        if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", url):
            kw["database_url"] = url
        else:
            problems.append(Problem(N_("HUBSCOUT_DATABASE_URL is not a database URL (like sqlite:///path or "
                                       "postgresql+psycopg://user@host/db): using the SQLite file in the data dir.")))

    if endpoint := raw("HF_ENDPOINT"):
        kw["hub_endpoint"] = endpoint.rstrip("/")

    public = raw("HUBSCOUT_PUBLIC").upper()
    if public in _TRUE:
        kw["public"] = True
    elif public in _FALSE:
        kw["public"] = False
    else:
        if public:
            problems.append(Problem(N_("HUBSCOUT_PUBLIC={value} is neither 1 nor 0: public (this is a Space).")
                                    if raw("SPACE_ID") else
                                    N_("HUBSCOUT_PUBLIC={value} is neither 1 nor 0: not public."),
                                    value=repr(raw("HUBSCOUT_PUBLIC"))))
        kw["public"] = bool(raw("SPACE_ID"))

    if admins := raw("HUBSCOUT_ADMINS"):
        kw["admins"] = frozenset(a.strip().lstrip("@").lower() for a in admins.split(",") if a.strip())

    if gb := raw("HUBSCOUT_MAX_DOWNLOAD_GB"):
        try:
            value = float(gb)
            if not math.isfinite(value) or value <= 0:
                raise ValueError
            kw["max_download_gb"] = value
        except ValueError:
            problems.append(Problem(N_("HUBSCOUT_MAX_DOWNLOAD_GB={value} is not a positive number of GB: using the "
                                       "default."), value=repr(gb)))

    if runs := raw("HUBSCOUT_VISITOR_RUNS_PER_HOUR"):
        try:
            value = float(runs)
            if not math.isfinite(value) or value < 0:
                raise ValueError
            kw["visitor_runs_per_hour"] = int(value)
        except ValueError:
            problems.append(Problem(N_("HUBSCOUT_VISITOR_RUNS_PER_HOUR={value} is not a whole number: using "
                                       "{default}."),
                                    value=repr(runs), default=DEFAULT_VISITOR_RUNS_PER_HOUR))

    if dirs := raw("HUBSCOUT_MODEL_DIRS"):
        kw["model_dirs"] = tuple(dict.fromkeys(Path(d.strip()).expanduser() for d in dirs.split(os.pathsep)
                                               if d.strip()))

    if repo := raw("HUBSCOUT_BACKUP_REPO"):
        if REPO_ID_RE.match(repo) and ".." not in repo:
            kw["backup_repo"] = repo
        else:
            problems.append(Problem(N_("HUBSCOUT_BACKUP_REPO={value} is not a repo id like owner/name: backups off."),
                                    value=repr(repo[:100])))

    if every := raw("HUBSCOUT_BACKUP_EVERY"):
        try:
            value = float(every)
            if not math.isfinite(value) or value <= 0:
                raise ValueError
            kw["backup_every"] = max(0.05, value)
        except ValueError:
            problems.append(Problem(N_("HUBSCOUT_BACKUP_EVERY={value} is not a positive number of minutes: using "
                                       "{default}."), value=repr(every), default=DEFAULT_BACKUP_EVERY))

    if url := raw("HUBSCOUT_INFERENCE_URL"):
        if re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
            kw["inference_url"] = url.rstrip("/")
        else:
            problems.append(Problem(N_("HUBSCOUT_INFERENCE_URL is not an http(s) URL: no default inference URL.")))

    if tok := raw("HUBSCOUT_INFERENCE_TOKEN"):
        kw["inference_token"] = tok

    if tokens := raw("HUBSCOUT_INFERENCE_TOKENS"):
        pairs, bad = parse_tokens(tokens)
        kw["inference_tokens"] = pairs
        if bad:  # the entries' positions only: a value may be a token
            problems.append(Problem(N_("HUBSCOUT_INFERENCE_TOKENS: entry {entries} not name=token (a provider or a "
                                       "host[:port]): ignored.") if len(bad) == 1 else
                                    N_("HUBSCOUT_INFERENCE_TOKENS: entries {entries} not name=token (a provider or "
                                       "a host[:port]): ignored."), entries=", ".join(map(str, bad))))

    if hosts := raw("HUBSCOUT_INFERENCE_HOSTS"):
        kw["inference_hosts"] = frozenset(h.strip().lower().rstrip(".") for h in hosts.split(",") if h.strip())

    kw["hub_offline"] = any(raw(n).upper() in _TRUE for n in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    return Settings(**kw, problems=tuple(problems))


_TOKEN_NAME = re.compile(r"^[a-z0-9]([a-z0-9._\-]*[a-z0-9])?(:[0-9]{1,5})?$")


def parse_tokens(text: str) -> tuple[tuple[tuple[str, str], ...], list[int]]:
    """``name=token,name=token`` -> ((name, token) …) with names lower-cased, and the 1-based positions of the
    entries that are not ``name=token`` (a name: a provider, or a host with an optional port). Used for
    ``HUBSCOUT_INFERENCE_TOKENS``; a later entry of the same name wins."""
    found: dict[str, str] = {}
    bad = []
    for n, entry in enumerate((e for e in text.split(",") if e.strip()), 1):
        name, sep, token = entry.partition("=")
        name, token = name.strip().lower().rstrip("."), token.strip()
        if not sep or not token or not _TOKEN_NAME.match(name):
            bad.append(n)
            continue
        found[name] = token
    return tuple(found.items()), bad


# ------------------------------------------------------------------------------- access
_lock = threading.Lock()
_cached: tuple[tuple[str | None, ...], Settings] | None = None
_overrides: list[Settings] = []


_ENCODED: tuple[tuple[Any, tuple[Any, ...]]] | None = None


def _fingerprint() -> tuple[Any, ...]:
    """The values of the variables read, as cheaply as the platform allows: ``os.environ``'s own store, keys
    encoded once (each ``os.environ.get`` encodes the key and decodes the value: ~25 variables at every
    get_settings() call added up); a plain mapping in its place is read key by key."""
    global _ENCODED
    env = os.environ
    data = getattr(env, "_data", None)
    encode = getattr(env, "encodekey", None)
    if not isinstance(data, dict) or encode is None:
        return tuple(env.get(n) for n in _READ)
    enc = _ENCODED
    if enc is None or enc[0] is not encode:
        enc = _ENCODED = (encode, tuple(encode(n) for n in _READ))
    return tuple(map(data.get, enc[1]))


def get_settings() -> Settings:
    """The current settings: read from the environment once, again only when a variable changed."""
    global _cached
    if _overrides:
        return _overrides[-1]
    fp = _fingerprint()
    cached = _cached
    if cached is not None and cached[0] == fp:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != fp:
            _cached = (fp, _read(os.environ))
        return _cached[1]


def reload() -> Settings:
    """Forget the cached settings and read the environment again."""
    global _cached
    with _lock:
        _cached = None
    return get_settings()


@contextmanager
def override(**changes: Any) -> Iterator[Settings]:
    """Within the block, :func:`get_settings` returns the current settings with ``changes`` applied
    (process-wide, so threads such as AppTest's script runner see them too)."""
    pinned = replace(get_settings(), **changes)
    with _lock:
        _overrides.append(pinned)
    try:
        yield pinned
    finally:
        with _lock:
            _overrides.remove(pinned)


def child_process_env(**defaults: str) -> dict[str, str]:
    """A copy of this process's environment for a child process, with ``defaults`` for unset names."""
    env = dict(os.environ)
    for k, v in defaults.items():
        env.setdefault(k, v)
    return env


def environment_language() -> str | None:
    """The language the environment names (the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set, as
    POSIX reads them), when the UI speaks it; else None (English)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return i18n.normalize(re.split(r"[.@]", value)[0])
    return None
