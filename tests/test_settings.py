"""lib.settings: every environment variable read once into a typed object; bad values never raise."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lib import settings
from lib.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_when_nothing_is_set(monkeypatch):
    for v in settings.VARIABLES:
        monkeypatch.delenv(v.name, raising=False)
    s = get_settings()
    assert s.catalog == "auto" and s.live_timeout == 3.0 and s.cache_ttl == 600
    assert s.snapshot_file is None and s.model_memory_budget is None and s.database_url is None
    assert s.data_dir == Path.home() / ".cache" / "hubscout"
    assert s.hub_endpoint == "https://huggingface.co" and s.hub_offline is False
    assert s.problems == ()
    assert s.store_url == f"sqlite:///{Path.home() / '.cache' / 'hubscout' / 'hubscout.db'}"


def test_values_are_parsed_and_typed(monkeypatch, tmp_path):
    monkeypatch.setenv("HUBSCOUT_CATALOG", " Snapshot ")
    monkeypatch.setenv("HUBSCOUT_LIVE_TIMEOUT", "1.5")
    monkeypatch.setenv("HUBSCOUT_SNAPSHOT_FILE", "~/dump.parquet")
    monkeypatch.setenv("HUBSCOUT_CACHE_TTL", "30.9")
    monkeypatch.setenv("HUBSCOUT_MODEL_MEMORY_BUDGET", "2GB")
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUBSCOUT_DATABASE_URL", "postgresql+psycopg://scout@db.example/hubscout")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9/")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "yes")
    s = get_settings()
    assert s.catalog == "snapshot" and s.live_timeout == 1.5 and s.cache_ttl == 30
    assert s.snapshot_file == Path.home() / "dump.parquet"
    assert s.model_memory_budget == 2 * 10**9
    assert s.data_dir == tmp_path
    assert s.store_url == "postgresql+psycopg://scout@db.example/hubscout"
    assert s.hub_endpoint == "http://127.0.0.1:9" and s.hub_offline is True
    assert s.problems == ()


@pytest.mark.parametrize("name,value,field,default,words", [
    ("HUBSCOUT_LIVE_TIMEOUT", "abc", "live_timeout", 3.0, "not a number"),
    ("HUBSCOUT_LIVE_TIMEOUT", "nan", "live_timeout", 3.0, "not a number"),
    ("HUBSCOUT_LIVE_TIMEOUT", "500", "live_timeout", 60.0, "outside"),
    ("HUBSCOUT_CATALOG", "sometimes", "catalog", "auto", "not one of auto, live, snapshot"),
    ("HUBSCOUT_CACHE_TTL", "ten minutes", "cache_ttl", 600, "not a number"),
    ("HUBSCOUT_MODEL_MEMORY_BUDGET", "lots", "model_memory_budget", None, "not a size"),
    ("HUBSCOUT_DATABASE_URL", "my database", "database_url", None, "not a database URL"),
    ("HUBSCOUT_PUBLIC", "maybe", "public", False, "neither 1 nor 0"),
    ("HUBSCOUT_MAX_DOWNLOAD_GB", "1e400", "max_download_gb", None, "not a positive number"),
    ("HUBSCOUT_MAX_DOWNLOAD_GB", "-3", "max_download_gb", None, "not a positive number"),
    ("HUBSCOUT_VISITOR_RUNS_PER_HOUR", "many", "visitor_runs_per_hour", 30, "not a whole number"),
])
def test_a_bad_value_gives_the_default_and_a_message(monkeypatch, name, value, field, default, words):
    monkeypatch.setenv(name, value)
    s = get_settings()
    assert getattr(s, field) == default
    assert len(s.problems) == 1 and name in s.problems[0] and words in s.problems[0]


@pytest.mark.parametrize("public,space,expected", [
    (None, None, False), ("1", None, True), ("true", None, True), (None, "team/hub-scout", True),
    ("0", "team/hub-scout", False), ("off", None, False), ("maybe", "team/hub-scout", True),
])
def test_public_instance_mode(monkeypatch, public, space, expected):
    for name, value in (("HUBSCOUT_PUBLIC", public), ("SPACE_ID", space)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert get_settings().public is expected


def test_public_instance_limits_are_parsed(monkeypatch):
    monkeypatch.setenv("HUBSCOUT_ADMINS", " Alice, @bob ,,")
    monkeypatch.setenv("HUBSCOUT_MAX_DOWNLOAD_GB", "2.5")
    monkeypatch.setenv("HUBSCOUT_VISITOR_RUNS_PER_HOUR", "0")
    s = get_settings()
    assert s.admins == frozenset({"alice", "bob"}) and s.max_download_gb == 2.5
    assert s.visitor_runs_per_hour == 0 and s.problems == ()


def test_read_once_and_again_only_when_the_environment_changes(monkeypatch):
    monkeypatch.setenv("HUBSCOUT_CACHE_TTL", "5")
    first = get_settings()
    assert get_settings() is first  # cached
    monkeypatch.setenv("HUBSCOUT_CACHE_TTL", "6")
    assert get_settings().cache_ttl == 6
    assert settings.reload() is not first


def test_override_pins_values_for_a_block(monkeypatch):
    monkeypatch.setenv("HUBSCOUT_LIVE_TIMEOUT", "2")
    with settings.override(live_timeout=0.5, catalog="live") as s:
        assert get_settings() is s and s.live_timeout == 0.5 and s.catalog == "live"
    assert get_settings().live_timeout == 2.0 and get_settings().catalog == "auto"


def test_frozen():
    with pytest.raises(AttributeError):
        get_settings().catalog = "live"  # type: ignore[misc]


def test_secrets_never_in_repr(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_very_secret_token")
    monkeypatch.setenv("HUBSCOUT_DATABASE_URL", "postgresql://scout:pa55word@db/hubscout")
    s = get_settings()
    for text in (repr(s), str(s)):
        assert "hf_very_secret_token" not in text and "pa55word" not in text
        assert "postgresql://scout:***@db/hubscout" in text
    assert "pa55word" not in " ".join(s.problems)


def test_token_comes_from_huggingface_hub_get_token(monkeypatch, tmp_path):
    from huggingface_hub import constants

    from lib.hub import auth

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "token"))
    assert auth.token() is None and not auth.has_token()
    (tmp_path / "token").write_text("hf_saved\n")
    assert auth.token() == "hf_saved"  # a login while the app runs is seen
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    assert auth.token() == "hf_from_env" and auth.has_token()


def test_child_process_env_copies_and_fills_defaults(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    env = settings.child_process_env(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    assert env["OMP_NUM_THREADS"] == "4" and env["HF_HUB_OFFLINE"] == "1"
    assert env["HF_ENDPOINT"]  # the parent's environment is passed on


def test_every_variable_maps_to_a_field():
    names = {f for f in Settings.__dataclass_fields__}
    for v in settings.VARIABLES:
        assert v.field in names or v.field == settings.TOKEN_FIELD, v
    assert len({v.name for v in settings.VARIABLES}) == len(settings.VARIABLES)


def _reads_environ(path: Path) -> list[int]:
    """Line numbers where a module reads ``os.environ`` / ``os.getenv``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and n.attr in {"environ", "getenv"}
            and isinstance(n.value, ast.Name) and n.value.id == "os"]


def test_nothing_else_reads_the_environment():
    offenders = {}
    for path in [ROOT / "streamlit_app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "lib").rglob("*.py")]:
        rel = path.relative_to(ROOT).as_posix()
        if rel == "lib/settings.py":
            continue
        if lines := _reads_environ(path):
            offenders[rel] = lines
    assert offenders == {}


def test_the_settings_override_fixture(settings_override):
    pinned = settings_override(cache_ttl=1)
    assert get_settings() is pinned and pinned.cache_ttl == 1


def test_a_problem_speaks_the_language_it_is_shown_in(monkeypatch):
    """Settings are read once per process; each problem is English text that shows itself translated."""
    from lib import i18n

    monkeypatch.setenv("HUBSCOUT_LIVE_TIMEOUT", "500")
    [problem] = get_settings().problems
    assert problem == "HUBSCOUT_LIVE_TIMEOUT=500 is outside 0.1–60 s: using 60 s."  # a str, in English
    with i18n.scope("es"):
        [same] = get_settings().problems  # the same object, read before
        assert same is problem
        assert str(same) == "HUBSCOUT_LIVE_TIMEOUT=500 está fuera de 0,1–60 s: se usan 60 s."
        assert f"{same}" == str(same)
    assert str(problem) == "HUBSCOUT_LIVE_TIMEOUT=500 is outside 0.1–60 s: using 60 s."
