"""lib.access: the public-instance policy, from the settings and the signed-in user."""
from __future__ import annotations

import pytest

from lib import access, settings
from lib.access import LOCAL, Access, access_for, download_refusal


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("HUBSCOUT_PUBLIC", "SPACE_ID", "HUBSCOUT_ADMINS", "HUBSCOUT_MAX_DOWNLOAD_GB",
                 "HUBSCOUT_VISITOR_RUNS_PER_HOUR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_local_use_keeps_every_freedom(clean_env):
    a = access_for()
    assert a == LOCAL
    assert a.limits() == []


def test_local_use_with_an_explicit_cap(clean_env):
    clean_env.setenv("HUBSCOUT_MAX_DOWNLOAD_GB", "2.5")
    a = access_for()
    assert not a.public and a.remote_code and a.load_anyway and a.local_folders and a.private_repos
    assert a.max_download_bytes == 2_500_000_000 and a.runs_per_hour is None


@pytest.mark.parametrize("env", [{"HUBSCOUT_PUBLIC": "1"}, {"SPACE_ID": "team/hub-scout"}])
def test_a_visitor_on_a_public_instance_is_limited(clean_env, env):
    for k, v in env.items():
        clean_env.setenv(k, v)
    a = access_for("someone")
    assert a.public and not a.admin
    assert not (a.remote_code or a.load_anyway or a.local_folders or a.private_repos)
    assert a.runs_per_hour == settings.DEFAULT_VISITOR_RUNS_PER_HOUR
    assert a.max_download_bytes == access.host_download_cap()  # sized for the host by default
    assert a.max_download_bytes > 0
    words = " ".join(a.limits())
    assert "no model code" in words and "Hub ids only" in words and "runs per hour" in words


def test_the_public_cap_is_the_smaller_of_free_disk_and_ram(clean_env, monkeypatch):
    import shutil

    import psutil

    class Usage:
        free = 7 * 10**9

    monkeypatch.setattr(shutil, "disk_usage", lambda _p: Usage())
    ram = psutil.virtual_memory().total
    assert access.host_download_cap() == min(7 * 10**9, ram)
    Usage.free = 10**15
    assert access.host_download_cap() == ram


def test_public_settings_cap_and_run_limit(clean_env):
    clean_env.setenv("HUBSCOUT_PUBLIC", "1")
    clean_env.setenv("HUBSCOUT_MAX_DOWNLOAD_GB", "4")
    clean_env.setenv("HUBSCOUT_VISITOR_RUNS_PER_HOUR", "0")
    a = access_for(None)
    assert a.max_download_bytes == 4 * 10**9
    assert a.runs_per_hour is None  # 0 = no limit


@pytest.mark.parametrize("name", ["Alice", "@alice", " alice "])
def test_a_signed_in_admin_lifts_the_limits(clean_env, name):
    clean_env.setenv("HUBSCOUT_PUBLIC", "1")
    clean_env.setenv("HUBSCOUT_ADMINS", "alice, bob")
    a = access_for(name)
    assert a.public and a.admin
    assert a.remote_code and a.load_anyway and a.local_folders and a.private_repos
    assert a.runs_per_hour is None and a.max_download_bytes is None


def test_an_admin_still_obeys_an_explicit_download_cap(clean_env):
    clean_env.setenv("HUBSCOUT_PUBLIC", "1")
    clean_env.setenv("HUBSCOUT_ADMINS", "alice")
    clean_env.setenv("HUBSCOUT_MAX_DOWNLOAD_GB", "3")
    assert access_for("alice").max_download_bytes == 3 * 10**9


@pytest.mark.parametrize("name", [None, "", "mallory", "alice2"])
def test_anyone_else_is_a_visitor(clean_env, name):
    clean_env.setenv("HUBSCOUT_PUBLIC", "1")
    clean_env.setenv("HUBSCOUT_ADMINS", "alice")
    a = access_for(name)
    assert not a.admin and not a.remote_code


def test_download_refusal_names_need_and_cap(clean_env):
    assert download_refusal(10, None) is None
    assert download_refusal(None, None) is None
    assert "no file sizes" in download_refusal(None, 10)  # unknown under a cap: refused
    assert download_refusal(5 * 10**9, 5 * 10**9) is None
    msg = download_refusal(812 * 10**9, 20 * 10**9)
    assert "812 GB" in msg and "20 GB" in msg


def test_access_is_frozen():
    with pytest.raises(AttributeError):
        LOCAL.remote_code = False  # type: ignore[misc]
    assert isinstance(LOCAL, Access)


def test_limits_and_refusals_in_spanish(clean_env):
    from lib import i18n

    clean_env.setenv("HUBSCOUT_PUBLIC", "1")
    clean_env.setenv("HUBSCOUT_MAX_DOWNLOAD_GB", "2.5")
    clean_env.setenv("HUBSCOUT_VISITOR_RUNS_PER_HOUR", "1")
    a = access_for("someone")
    with i18n.scope("es"):
        words = a.limits()
        assert "sin código del modelo (trust_remote_code)" in words and "descargas de hasta 2,5 GB" in words
        assert "1 ejecución por hora" in words
        assert download_refusal(812 * 10**9, 25 * 10**8) == ("Este modelo descargaría 812 GB; las descargas están "
                                                             "limitadas a 2,5 GB en esta instancia pública.")
        assert i18n._(access.HUB_IDS_ONLY).startswith("Esta instancia pública solo acepta ids")
    assert "1 run per hour" in a.limits() and access.HUB_IDS_ONLY.startswith("This public instance")
