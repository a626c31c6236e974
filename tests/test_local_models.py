"""Local models (issue 10, items 5 and 8): the cache and model folders listed, delete with the space freed,
pre-download with byte progress and refusals, and the faults (a truncated safetensors, the disk filling
during a download, a session candidate no longer cached).

Each test gets its own empty Hugging Face cache (huggingface_hub reads ``constants.HF_HUB_CACHE`` at each
call), filled by real ``snapshot_download`` calls against the Hub stand-in serving a tiny model.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lib.access import LOCAL, Access
from lib.hardware import Hardware
from lib.hub import cache as hub_cache
from lib.hub.errors import HubError
from lib.local import download as local_download
from lib.local import inventory as inv

REPO = "local-test/tiny-cls"
BIG_HOST = Hardware("test host", ram_total_bytes=64 * 10**9, ram_available_bytes=64 * 10**9)
TINY_HOST = Hardware("tiny host", ram_total_bytes=10**5, ram_available_bytes=10**5)


@pytest.fixture
def hf_cache(tmp_path, monkeypatch) -> Path:
    import huggingface_hub.constants as c

    folder = tmp_path / "hub-cache"
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(folder))
    return folder


@pytest.fixture
def tiny_repo(hub_stub, tiny_model, tmp_path) -> Path:
    """A tiny text classifier served as REPO, with a duplicate pickle copy of its weights and an ONNX file
    (a pre-download must skip both)."""
    folder = tmp_path / "repo"
    shutil.copytree(tiny_model("text-classification"), folder)
    (folder / "pytorch_model.bin").write_bytes(b"pickle copy of the weights" * 10)
    (folder / "model.onnx").write_bytes(b"onnx copy" * 10)
    hub_stub.add_repo(REPO, folder, info={"pipeline_tag": "text-classification"})
    return folder


def _download(repo=REPO, **kw):
    p = local_download.plan(repo, BIG_HOST, LOCAL)
    assert p.refusal is None, p.refusal
    job = local_download.start(p, **kw)
    assert job.wait(60)
    return p, job


def test_plan_prefers_safetensors_and_skips_duplicate_formats(hf_cache, tiny_repo):
    p = local_download.plan(REPO, BIG_HOST, LOCAL)
    assert "model.safetensors" in p.files and "config.json" in p.files
    assert "pytorch_model.bin" not in p.files and "model.onnx" not in p.files
    assert p.total_bytes == sum((tiny_repo / f).stat().st_size for f in p.files)
    assert p.refusal is None and p.fit_reason.startswith("fits")


def test_download_with_byte_progress_then_listed_and_deleted(hf_cache, tiny_repo):
    seen = []
    p = local_download.plan(REPO, BIG_HOST, LOCAL)
    job = local_download.start(p, on_finish=lambda j: seen.append(j.progress()))
    assert job.wait(60) and job.progress().state == "done", job.error_message
    final = seen[0]
    assert final.done_bytes == p.total_bytes == final.total_bytes and final.fraction == 1.0
    assert REPO in hub_cache.local_ids()
    rows = {r.name: r for r in inv.inventory(BIG_HOST)}
    row = rows[REPO]
    assert row.source == "cache" and row.task == "text-classification"
    assert row.offline.ok and row.fit == "fits" and row.problem is None
    assert not (row.folder / "pytorch_model.bin").exists() and not (row.folder / "model.onnx").exists()
    assert len(row.revisions) == 1 and row.revisions[0].refs == ("main",)
    plan = hub_cache.delete_plan(REPO)
    assert plan.freed_bytes == row.size > 0
    plan.execute()
    assert REPO not in hub_cache.local_ids() and not inv.inventory(BIG_HOST)


def test_delete_one_revision_keeps_the_other(hf_cache, tiny_repo, hub_stub):
    _download()
    old_config = (tiny_repo / "config.json").stat().st_size
    cfg = (tiny_repo / "config.json").read_text()
    (tiny_repo / "config.json").write_text(cfg.replace("{", '{"note": "a second commit",', 1))
    hub_stub.add_repo(REPO, tiny_repo, info={"pipeline_tag": "text-classification"})
    from lib.hub.facts import forget

    forget(REPO)
    _download()
    [model] = hub_cache.scan()
    assert len(model.revisions) == 2
    old = model.revisions[1]
    plan = hub_cache.delete_plan(REPO, [old.commit])
    assert plan.freed_bytes == old_config  # the blobs it shares with the newer revision stay
    plan.execute()
    [model] = hub_cache.scan()
    assert [r.commit for r in model.revisions] != [old.commit] and len(model.revisions) == 1
    with pytest.raises(HubError) as e:
        hub_cache.delete_plan(REPO, [old.commit])
    assert e.value.kind == "not_cached"


def test_fit_refusal_and_override(hf_cache, tiny_repo):
    p = local_download.plan(REPO, TINY_HOST, LOCAL)
    assert p.refusal and "cannot run on this machine" in p.refusal and p.overridable
    with pytest.raises(ValueError):
        local_download.start(p)
    p = local_download.plan(REPO, TINY_HOST, LOCAL, override=True)
    assert p.refusal is None
    public = Access(public=True, admin=False, remote_code=False, load_anyway=False, local_folders=False,
                    private_repos=False, max_download_bytes=10**9, runs_per_hour=None)
    p = local_download.plan(REPO, TINY_HOST, public, override=True)  # no override on a public instance
    assert p.refusal and not p.overridable


def test_download_cap_refuses_before_any_byte(hf_cache, tiny_repo, hub_stub):
    capped = Access(**{**LOCAL.__dict__, "max_download_bytes": 1000})
    p = local_download.plan(REPO, BIG_HOST, capped, override=True)
    assert p.refusal and "capped at" in p.refusal and not p.overridable
    assert not hub_stub.requests_to(f"/{REPO}/resolve")


def test_model_dirs_are_listed_read_only(hf_cache, tiny_model, tmp_path, monkeypatch):
    root = tmp_path / "models"
    root.mkdir()
    shutil.copytree(tiny_model("text-classification"), root / "my-classifier")
    (root / "notes").mkdir()  # not a model folder: not listed
    monkeypatch.setenv("HUBSCOUT_MODEL_DIRS", f"{tmp_path / 'missing'}:{root}")
    rows = inv.inventory(BIG_HOST)
    assert [r.name for r in rows] == [str(root / "my-classifier")]
    row = rows[0]
    assert row.source == "folder" and not row.deletable and row.offline.ok and row.task == "text-classification"
    assert row.size > 0 and row.fit == "fits"


def test_readiness_names_what_is_missing():
    ready = inv.readiness(Path("."), ["config.json", "model.safetensors"], "text-classification")
    assert not ready.ok and ready.missing == ("tokenizer",)
    ready = inv.readiness(Path("."), ["config.json", "model.safetensors", "tokenizer.json"], "image-classification")
    assert ready.missing == ("processor",)
    assert inv.readiness(Path("."), ["config.json"], "image-classification").text == "missing weights, processor"


# ---- faults (item 8) --------------------------------------------------------------------------------------
def _truncate_weights(folder: Path) -> None:
    blob = (folder / "model.safetensors").resolve()
    data = blob.read_bytes()
    blob.write_bytes(data[: len(data) // 2])


def test_truncated_safetensors_is_named_and_offered_again(hf_cache, tiny_repo):
    _download()
    [row] = inv.inventory(BIG_HOST)
    _truncate_weights(row.folder)
    [row] = inv.inventory(BIG_HOST)
    assert row.problem and "model.safetensors is cut short" in row.problem
    assert not row.offline.ok and "whole weights" in row.offline.missing
    hub_cache.delete_plan(REPO).execute()  # the page's "delete and download again"
    _download()
    [row] = inv.inventory(BIG_HOST)
    assert row.problem is None and row.offline.ok


def test_truncated_safetensors_in_a_run_says_so(hf_cache, tiny_repo):
    from lib.runner import RunOptions, run
    from lib.runner.errors import LoadFailed

    _download()
    [row] = inv.inventory(BIG_HOST)
    _truncate_weights(row.folder)
    with pytest.raises(LoadFailed) as e:
        run(REPO, "text-classification", {"text": "good"}, RunOptions(device="cpu", dtype="fp32"))
    assert "local copy of this model is damaged" in str(e.value) and "download it again" in str(e.value)
    assert "/" not in str(e.value).split("damaged:")[1].split(".")[0].replace("model.safetensors", "")


def test_disk_filling_during_download_keeps_nothing(hf_cache, tiny_repo, hub_stub):
    p = local_download.plan(REPO, BIG_HOST, LOCAL)
    # the disk has room for the small files but not the weights: the cap stands in for a filling disk
    p = local_download.DownloadPlan(**{**p.__dict__, "limit_bytes": 2000})
    job = local_download.start(p)
    assert job.wait(60)
    assert job.progress().state == "failed" and job.error_kind == "disk_full"
    assert "disk filled up" in job.error_message and "partial files were removed" in job.error_message
    assert REPO not in hub_cache.local_ids() and not inv.inventory(BIG_HOST)
    assert not (hf_cache / "models--local-test--tiny-cls").exists()
    # a revision already cached stays whole, and main still names it, when a newer one fails to download
    _download()
    [before] = hub_cache.scan()
    ref = (hf_cache / "models--local-test--tiny-cls" / "refs" / "main").read_text()
    (tiny_repo / "model.safetensors").write_bytes((tiny_repo / "model.safetensors").read_bytes() + b" " * 64)
    hub_stub.add_repo(REPO, tiny_repo, info={"pipeline_tag": "text-classification"})
    from lib.hub.facts import forget

    forget(REPO)
    p = local_download.plan(REPO, BIG_HOST, LOCAL)
    job = local_download.start(local_download.DownloadPlan(**{**p.__dict__, "limit_bytes": 2000}))
    assert job.wait(60) and job.error_kind == "disk_full"
    [after] = hub_cache.scan()
    assert [r.commit for r in after.revisions] == [r.commit for r in before.revisions]
    assert (hf_cache / "models--local-test--tiny-cls" / "refs" / "main").read_text() == ref
    assert not list((hf_cache / "models--local-test--tiny-cls" / "blobs").glob("*.incomplete"))
    [row] = inv.inventory(BIG_HOST)
    assert row.offline.ok and row.problem is None and row.size == before.size


def test_real_enospc_is_a_clear_message(hf_cache, tiny_repo, monkeypatch):
    import errno

    from lib.hub.errors import classify

    err = classify(OSError(errno.ENOSPC, "No space left on device"), repo_id=REPO)
    assert err.kind == "disk_full" and "disk is full" in err.message


# ---- the page (AppTest) -----------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/5_Local_models.py"


def open_page(monkeypatch, host: Hardware = BIG_HOST):
    from streamlit.testing.v1 import AppTest

    from lib import hardware
    from lib.ui import cached

    monkeypatch.setattr(hardware, "detect", lambda: host)
    cached.forget_local()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.switch_page(PAGE)
    return at.run()


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _after_download(at):
    """The page's download job runs beside the page (a fragment follows it): wait for its end, then draw
    the page as its next refresh would."""
    assert "lm_job" in at.session_state, "no download started"
    assert at.session_state["lm_job"].wait(120)
    return at.run()


def _table_models(at) -> list[str]:
    """The cache table's models (the first table; AppTest does not keep a dataframe's key)."""
    return list(at.dataframe[0].value["Model"]) if len(at.dataframe) else []


def test_page_lists_and_deletes_after_a_confirmation_showing_the_space(hf_cache, tiny_repo, monkeypatch):
    _download()
    [row] = inv.inventory(BIG_HOST)
    at = open_page(monkeypatch)
    _ok(at)
    assert _table_models(at) == [REPO]
    assert "lm_confirm_yes" not in [b.key for b in at.button]
    at.button(key="lm_delete").click().run()
    _ok(at)
    [warning] = [w for w in at.warning if "frees" in w.value]
    assert fmt_size(row.size) in warning.value
    assert REPO in hub_cache.local_ids()  # nothing deleted before the confirmation
    at.button(key="lm_confirm_yes").click().run()
    _ok(at)
    assert any(f"{fmt_size(row.size)} freed" in s.value for s in at.success)
    assert REPO not in hub_cache.local_ids() and _table_models(at) == []


def fmt_size(n: int) -> str:
    from lib.format import size_bytes

    return size_bytes(n)


def test_page_downloads_with_progress(hf_cache, tiny_repo, monkeypatch):
    at = open_page(monkeypatch)
    at.text_input(key="lm_id").input(REPO).run()
    _ok(at)
    assert any("3 files" in m.value or "files" in m.value for m in at.markdown)
    at.button(key="lm_download").click().run()
    _ok(at)
    _after_download(at)
    _ok(at)
    assert any("is in the local cache" in s.value for s in at.success), [e.value for e in at.error]
    assert _table_models(at) == [REPO] and REPO in hub_cache.local_ids()


def test_page_follows_a_download_with_a_cancel_button_and_keeps_nothing(hf_cache, tiny_repo, hub_stub,
                                                                        monkeypatch):
    hub_stub.set_fault("stall", f"/{REPO}/resolve/", delay=1.5, method="GET")  # each body pauses halfway
    at = open_page(monkeypatch)
    at.text_input(key="lm_id").input(REPO).run()
    at.button(key="lm_download").click().run()
    _ok(at)
    assert any(p.text.startswith(f"Downloading {REPO}") for p in at.get("progress"))
    assert at.button(key="lm_download").disabled  # one download at a time
    at.button(key="lm_cancel").click().run()
    _after_download(at)
    _ok(at)
    assert any("cancelled: nothing of it was kept" in i.value for i in at.info)
    assert "lm_job" not in at.session_state and REPO not in hub_cache.local_ids()
    assert not at.button(key="lm_download").disabled


def test_page_refuses_what_cannot_run_here_unless_overridden(hf_cache, tiny_repo, monkeypatch):
    at = open_page(monkeypatch, TINY_HOST)
    at.text_input(key="lm_id").input(REPO).run()
    _ok(at)
    assert any("cannot run on this machine" in w.value for w in at.warning)
    assert "lm_download" not in [b.key for b in at.button]
    at.checkbox(key="lm_override").check().run()
    at.button(key="lm_download").click().run()
    _after_download(at)
    _ok(at)
    assert any("is in the local cache" in s.value for s in at.success)


def test_public_instance_no_override_no_delete(hf_cache, tiny_repo, monkeypatch):
    _download()
    monkeypatch.setenv("HUBSCOUT_PUBLIC", "1")
    at = open_page(monkeypatch, TINY_HOST)
    at.text_input(key="lm_id").input(REPO).run()
    _ok(at)
    assert any("cannot run on this machine" in w.value for w in at.warning)
    assert not [c for c in at.checkbox if c.key == "lm_override"] and "lm_download" not in [b.key for b in at.button]
    assert "lm_delete" not in [b.key for b in at.button]
    assert any("only admins delete" in c.value for c in at.caption)
    assert _table_models(at) == [REPO]  # the Hub said it is public in this process


def test_public_instance_does_not_name_a_private_cached_repo(hf_cache, tiny_repo, hub_stub, monkeypatch):
    _download()
    hub_stub.add_repo(REPO, tiny_repo, info={"pipeline_tag": "text-classification", "private": True})
    from lib.hub import gateway
    from lib.hub.facts import forget

    forget(REPO)
    gateway.model_info(REPO)  # the server's token sees it: the Hub says it is private
    monkeypatch.setenv("HUBSCOUT_PUBLIC", "1")
    at = open_page(monkeypatch)
    _ok(at)
    assert _table_models(at) == [] and REPO not in str([m.value for m in at.markdown])


def test_page_offers_a_fresh_download_of_a_damaged_entry(hf_cache, tiny_repo, monkeypatch):
    _download()
    [row] = inv.inventory(BIG_HOST)
    _truncate_weights(row.folder)
    at = open_page(monkeypatch)
    _ok(at)
    assert any("model.safetensors is cut short" in e.value and "download it again" in e.value for e in at.error)
    at.button(key=f"lm_redo_{REPO}").click().run()
    _after_download(at)
    _ok(at)
    assert any("is in the local cache" in s.value for s in at.success)
    [row] = inv.inventory(BIG_HOST)
    assert row.problem is None and row.offline.ok


# ---- marks elsewhere: Discover, sessions ------------------------------------------------------------------
def test_local_ids_need_weights_not_just_a_looked_up_config(hf_cache, tiny_repo):
    from lib.hub import gateway

    gateway.download_file(REPO, "config.json")  # what a Model page lookup caches
    assert REPO not in hub_cache.local_ids() and hub_cache.snapshot_folder(REPO) is None
    _download()
    assert REPO in hub_cache.local_ids() and hub_cache.snapshot_folder(REPO) is not None


def test_discover_rows_mark_local_models():
    from lib.hub.records import ModelRecord
    from lib.results import LOCAL_COLUMN, results_columns

    recs = [ModelRecord.from_api({"id": "a/cached"}), ModelRecord.from_api({"id": "b/remote"})]
    assert results_columns(recs, local=frozenset({"a/cached"}))[LOCAL_COLUMN] == ["local", ""]
    assert LOCAL_COLUMN not in results_columns(recs)


def test_session_with_a_deleted_candidate_opens_and_says_so(hf_cache, tiny_repo, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from lib import store
    from lib.local.inventory import presence
    from lib.sessions import store as sessions

    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HUBSCOUT_DATABASE_URL", raising=False)
    store.dispose_all()
    try:
        _download()
        [model] = hub_cache.scan()
        sha = model.revisions[0].commit
        session = sessions.create_session("local check", "text-classification", [REPO, str(tiny_repo)],
                                          [{"text": "good"}], {}, revisions={REPO: sha})
        assert presence(REPO, sha) is None
        hub_cache.delete_plan(REPO).execute()
        assert presence(REPO, sha) == "not in the local cache: will download on run"
        assert presence(REPO, sha, offline=True) == "not in the local cache: cannot run offline"
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        at.query_params["session"] = session.id
        at.switch_page("pages/4_Sessions.py")
        at.run()
        _ok(at)
        assert any("not in the local cache: will download on run" in c.value for c in at.caption)
    finally:
        store.dispose_all()


def test_page_offline_lists_without_a_request(hf_cache, tiny_repo, hub_stub, monkeypatch):
    _download()
    hub_stub.reset()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    at = open_page(monkeypatch)
    _ok(at)
    assert _table_models(at) == [REPO] and any("Offline mode" in i.value for i in at.info)
    assert not hub_stub.requests


def test_cancelled_download_keeps_nothing(hf_cache, tiny_repo, hub_stub):
    p = local_download.plan(REPO, BIG_HOST, LOCAL)
    hub_stub.set_fault("stall", f"/{REPO}/resolve/", delay=1.5, method="GET")  # each body pauses halfway
    job = local_download.start(p)
    job.cancel()
    assert job.wait(60)
    assert job.progress().state == "cancelled" and job.error_kind == "cancelled"
    assert REPO not in hub_cache.local_ids() and not (hf_cache / "models--local-test--tiny-cls").exists()


# ---- Spanish (issue 13) -----------------------------------------------------------------------------------
def open_page_in(monkeypatch, lang: str, host: Hardware = BIG_HOST):
    from streamlit.testing.v1 import AppTest

    from lib import hardware
    from lib.ui import cached

    monkeypatch.setattr(hardware, "detect", lambda: host)
    cached.forget_local()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.switch_page(PAGE)
    at.query_params["lang"] = lang
    return at.run()


@pytest.fixture
def spanish():
    """The test's own thread in Spanish too: AppTest calls a widget's ``format_func`` here, outside the script run
    (the sidebar's catalog radio, when a button is clicked)."""
    from lib import i18n

    with i18n.scope("es"):
        yield


def test_page_in_spanish_lists_downloads_and_deletes(hf_cache, tiny_repo, monkeypatch, spanish):
    from tests.support.i18n import english_leaks

    _download()
    [row] = inv.inventory(BIG_HOST)
    at = open_page_in(monkeypatch, "es")
    _ok(at)
    assert [t.value for t in at.title] == ["Modelos locales"]
    headings = {s.value for s in at.subheader}
    assert {"Descargar un modelo", "En la caché de Hugging Face", "Carpetas de modelos"} <= headings
    table = at.dataframe[0].value
    assert list(table["Modelo"]) == [REPO] and {"Tamaño", "Sin conexión", "Cabe aquí"} <= set(table.columns)
    assert list(table["Sin conexión"]) == ["✅ funciona sin conexión"] and list(table["Cabe aquí"]) == ["✅ cabe"]
    assert any("en disco" in c.value and "libres" in c.value for c in at.caption)
    assert english_leaks(at) == []
    at.button(key="lm_delete").click().run()
    _ok(at)
    size = fmt_size(row.size)
    [warning] = [w for w in at.warning if "libera" in w.value]
    assert warning.value.startswith(f"¿Borrar **{REPO}**?") and size in warning.value
    assert english_leaks(at) == []
    at.button(key="lm_confirm_yes").click().run()
    _ok(at)
    assert any(s.value == f"{REPO} borrado: {size} liberados." for s in at.success)
    # a download, followed in Spanish (its job speaks the language of the run that started it)
    at.text_input(key="lm_id").input(REPO).run()
    _ok(at)
    assert any("archivos" in m.value and "En esta máquina:" in m.value for m in at.markdown)
    at.button(key="lm_download").click().run()
    _ok(at)
    # queued, downloading or (a small model, a fast disk) already done: in Spanish all along
    assert at.session_state["lm_job"].progress().message.startswith(
        ("Esperando para descargar", "Descargando", f"{REPO} descargado")), at.session_state["lm_job"].progress()
    _after_download(at)
    _ok(at)
    assert any(s.value.startswith(f"{REPO} descargado (") and "está en la caché local" in s.value
               for s in at.success), [e.value for e in at.error]
    assert english_leaks(at) == []


def test_page_in_spanish_names_a_damaged_entry_and_refusals(hf_cache, tiny_repo, monkeypatch, spanish):
    from tests.support.i18n import english_leaks

    _download()
    [row] = inv.inventory(BIG_HOST)
    _truncate_weights(row.folder)
    at = open_page_in(monkeypatch, "es", TINY_HOST)
    _ok(at)
    [error] = [e.value for e in at.error]
    assert "model.safetensors está incompleto" in error and "vuelve a descargarla" in error
    assert list(at.dataframe[0].value["Sin conexión"]) == ["❌ falta: pesos completos"]
    at.text_input(key="lm_id").input(REPO).run()
    _ok(at)
    assert any("No puede ejecutarse en esta máquina" in w.value for w in at.warning)
    assert at.checkbox(key="lm_override").label == "Descargar de todos modos (puede que no funcione en esta máquina)"
    assert english_leaks(at) == []


def test_listing_cached_in_english_shows_in_spanish(hf_cache, tiny_repo):
    """The listing is cached (st.cache_data) for every visitor: what it holds is never translated text."""
    import pickle

    from lib import i18n
    from lib.local_models import Damage, damaged_message, safetensors_problem

    _download()
    [row] = inv.inventory(BIG_HOST)
    _truncate_weights(row.folder)
    problem = safetensors_problem(row.folder)
    assert isinstance(problem, Damage) and problem.startswith("model.safetensors is cut short (")
    problem = pickle.loads(pickle.dumps(problem))
    with i18n.scope("es"):
        assert problem.text().startswith("model.safetensors está incompleto (") and " de " in problem.text()
        assert damaged_message(problem).startswith("La copia local de este modelo está dañada: model.safetensors")
        assert damaged_message(problem, folder=True).endswith("Reemplaza su archivo de pesos.")
        assert inv.readiness(Path("."), ["config.json"], "image-classification").text == "falta: pesos, procesador"
        assert inv.Readiness(True).text == "funciona sin conexión"
    assert damaged_message(problem, folder=True).endswith("Replace its weights file.")
    assert inv.Readiness(True).text == "runs offline"


def test_lib_texts_in_both_languages(hf_cache, tiny_repo):
    from lib import i18n
    from lib.jobs.job import Job
    from lib.jobs.limits import TITLE, is_limit_title
    from lib.jobs.speeds import SpeedSummary
    from lib.local_models import FolderProblem, folder_files

    with i18n.scope("es"):
        assert inv.presence("owner/not-cached", None) == "no está en la caché local: se descargará al ejecutar"
        assert inv.presence("owner/not-cached", None, offline=True).endswith("no puede ejecutarse sin conexión")
        assert local_download.plan(REPO, TINY_HOST, LOCAL).refusal.startswith("No puede ejecutarse en esta máquina (")
        assert SpeedSummary("local:cpu", 1).label == "esta máquina (cpu)"
        job = Job("m", "text-classification", [{"text": "a"}])
        assert job.progress().message == "Esperando a un proceso libre"
        assert is_limit_title(i18n._(TITLE)) and i18n._(TITLE) != TITLE
        with pytest.raises(FolderProblem, match="No es una carpeta de modelo"):
            folder_files(Path("/nonexistent-hubscout"))
    assert inv.presence("owner/not-cached", None) == "not in the local cache: will download on run"
    assert SpeedSummary("providers:together", 1).label == "Inference Providers (together)"
    assert Job("m", "text-classification", [{"text": "a"}]).progress().message == "Waiting for a free worker"
    assert is_limit_title(TITLE) and not is_limit_title("Run failed")
