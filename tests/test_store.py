"""lib.store (SQLAlchemy 2 + Alembic) and the measured peaks it keeps (lib.fit.measured)."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text

from lib import store
from lib.fit import measured
from lib.fit.measured import MeasuredStore

ROOT = Path(__file__).resolve().parents[1]
TABLES = ["alembic_version", "measured_peaks", "meta", "run_speeds", "session_candidates", "session_inputs",
          "session_outputs", "session_scores", "session_votes", "sessions"]


@pytest.fixture(autouse=True)
def _fresh_engines():
    yield
    store.dispose_all()


def _url(tmp_path: Path, name: str = "hubscout.db") -> str:
    return f"sqlite:///{tmp_path / name}"


# ------------------------------------------------------------------ migrations
def test_migrates_an_empty_database_to_head(tmp_path):
    url = _url(tmp_path)
    assert not (tmp_path / "hubscout.db").exists()
    eng = store.engine(url)
    assert (tmp_path / "hubscout.db").exists()
    assert store.current_revision(eng) == store.head_revision() == "0003"
    assert store.table_names(url) == TABLES
    assert store.engine(url) is eng  # one engine per URL and process


def test_the_migrations_at_head_match_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    eng = store.engine(_url(tmp_path))
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), store.Base.metadata)
    assert diff == []  # a model changed without a migration: `python -m lib.store revision -m "..."`


def test_migrations_go_down_and_up_again(tmp_path):
    eng = store.engine(_url(tmp_path))
    store.migrate(eng, "base", down=True)
    assert store.table_names(_url(tmp_path)) == ["alembic_version"]
    assert store.current_revision(eng) is None
    store.migrate(eng)
    assert store.current_revision(eng) == store.head_revision()


def test_revision_command_writes_nothing_when_models_and_migrations_agree(tmp_path, monkeypatch):
    """``python -m lib.store current`` opens (and migrates) the configured store."""
    monkeypatch.setenv("HUBSCOUT_DATABASE_URL", _url(tmp_path, "cli.db"))
    proc = subprocess.run([sys.executable, "-m", "lib.store", "current"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    head = store.head_revision()
    assert f"at {head} (newest shipped: {head})" in proc.stdout and (tmp_path / "cli.db").exists()


# ------------------------------------------------------------------ SQLite settings
def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path):
    eng = store.engine(_url(tmp_path))
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == store.db.BUSY_TIMEOUT_MS
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_session_commits_at_the_end_and_rolls_back_on_error(tmp_path):
    url = _url(tmp_path)
    with store.session(url, write=True) as s:
        s.add(store.Meta(key="k", value="v"))
    with pytest.raises(RuntimeError), store.session(url, write=True) as s:
        s.add(store.Meta(key="k2", value="v2"))
        s.flush()
        raise RuntimeError("boom")
    with store.session(url) as s:
        assert s.scalars(select(store.Meta.key).order_by(store.Meta.key)).all() == ["k"]


def test_upsert_inserts_then_updates(tmp_path):
    url = _url(tmp_path)
    row = {"model_id": "a/b", "dtype": "fp32", "device": "cpu", "peak_bytes": 1, "context_tokens": None,
           "measured_at": 1.0, "note": ""}
    with store.session(url, write=True) as s:
        store.upsert(s, store.MeasuredPeak, row)
        store.upsert(s, store.MeasuredPeak, {**row, "peak_bytes": 2})
        store.upsert(s, store.MeasuredPeak, {**row, "peak_bytes": 3}, update=())  # insert-if-absent
    with store.session(url) as s:
        assert s.execute(text("SELECT peak_bytes FROM measured_peaks")).scalars().all() == [2]


# ------------------------------------------------------------------ where the store is
def test_default_store_is_a_sqlite_file_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("HUBSCOUT_DATABASE_URL", raising=False)
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path / "data"))
    ms = MeasuredStore()
    ms.record("c/d", "bf16", "cuda", 1)
    assert ms.path == tmp_path / "data" / "hubscout.db" and ms.path.exists()


def test_the_database_url_comes_from_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HUBSCOUT_DATABASE_URL", _url(tmp_path, "elsewhere.db"))
    ms = MeasuredStore()
    ms.record("c/d", "bf16", "cuda", 7)
    assert (tmp_path / "elsewhere.db").exists() and not (tmp_path / "data" / "hubscout.db").exists()
    assert MeasuredStore().get("c/d", "bf16", "cuda").peak_bytes == 7
    assert store.table_names(_url(tmp_path, "elsewhere.db")) == TABLES


def test_a_bad_database_url_is_a_clear_error_without_the_password(tmp_path):
    with pytest.raises(store.StoreError, match="no database driver"):
        store.engine("nosuchdb://scout:pa55word@host/db")
    (tmp_path / "a-file").write_text("in the way")
    with pytest.raises(store.StoreError, match="cannot be created"):
        store.engine(_url(tmp_path, "a-file/sub/x.db"))
    with pytest.raises(store.StoreError, match="cannot be read"):
        store.engine("not a url")


def test_store_errors_in_spanish(tmp_path):
    from lib import i18n

    with i18n.scope("es"), pytest.raises(store.StoreError, match="no hay controlador de base de datos para nosuchdb"):
        store.engine("nosuchdb://scout:pa55word@host/db")
    with i18n.scope("es"), pytest.raises(store.StoreError, match="no se puede leer la URL de la base de datos"):
        store.engine("not a url")


def test_measured_store_repr_masks_a_password(monkeypatch):
    monkeypatch.setenv("HUBSCOUT_DATABASE_URL", "postgresql://scout:pa55word@db/hubscout")
    ms = MeasuredStore()
    assert "pa55word" not in repr(ms) and "pa55word" not in ms.url and ms.path is None


# ------------------------------------------------------------------ measured peaks (moved from test_fit_verdict)
def test_measured_store_roundtrip(tmp_path, monkeypatch):
    ms = MeasuredStore(tmp_path)
    assert ms.lookup("a/b") == []
    ms.record("a/b", "bf16", "cpu", 123, context_tokens=16)
    ms.record("a/b", "bf16", "cpu", 456)
    ms.record("a/b", "fp32", "cpu", 789)
    assert ms.get("a/b", "bf16", "cpu").peak_bytes == 456
    assert len(ms.lookup("a/b")) == 2
    assert [m.dtype for m in ms.lookup("a/b")] == ["fp32", "bf16"]  # newest first
    assert ms.lookup("a/b", device="cuda") == [] and ms.get("a/b", "int8", "cpu") is None
    with pytest.raises(ValueError):
        ms.record("a/b", "bf16", "cpu", 0)


def test_measured_store_concurrent_writers(tmp_path):
    ms = MeasuredStore(tmp_path)
    threads = [threading.Thread(target=ms.record, args=(f"m{i}", "bf16", "cpu", i + 1)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(ms.get(f"m{i}", "bf16", "cpu") for i in range(20))


def test_concurrent_processes_lose_no_rows(tmp_path):
    """Four processes start on an empty store at once (each migrates it) and record 25 rows each."""
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from lib.fit.measured import MeasuredStore\n"
        f"ms = MeasuredStore({str(tmp_path)!r})\n"
        "for i in range(25):\n"
        "    ms.record(f'p{sys.argv[1]}-m{i}', 'fp32', 'cpu', i + 1)\n"
        "    ms.record('shared', 'fp32', 'cpu', 1000 + i)\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(p)], stderr=subprocess.PIPE, text=True)
             for p in range(4)]
    errors = [p.communicate(timeout=180)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    with store.session(_url(tmp_path)) as s:
        ids = set(s.scalars(select(store.MeasuredPeak.model_id)).all())
    assert ids == {f"p{p}-m{i}" for p in range(4) for i in range(25)} | {"shared"}
    assert MeasuredStore(tmp_path).get("shared", "fp32", "cpu").peak_bytes >= 1000


# ------------------------------------------------------------------ the legacy measured.json
def _legacy(path: Path, rows: dict) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "measured.json").write_text(json.dumps(rows), encoding="utf-8")


def _row(model: str, peak: int, at: float = 100.0) -> dict:
    return {"model_id": model, "dtype": "fp32", "device": "cpu", "peak_bytes": peak, "context_tokens": None,
            "measured_at": at, "note": "process_rss_peak"}


def test_an_existing_json_file_is_imported_once(tmp_path, monkeypatch):
    _legacy(tmp_path, {"a|fp32|cpu": _row("a", 10), "b|fp32|cpu": _row("b", 20), "junk": {"nope": 1}})
    ms = MeasuredStore(tmp_path)
    assert ms.get("a", "fp32", "cpu").peak_bytes == 10 and ms.get("b", "fp32", "cpu").note == "process_rss_peak"
    assert (tmp_path / "measured.json").exists()  # kept, untouched
    with store.session(_url(tmp_path)) as s:
        marks = s.scalars(select(store.Meta.value).where(store.Meta.key.like("import:measured.json:%"))).all()
    assert len(marks) == 1 and "2 rows" in marks[0]
    ms.record("a", "fp32", "cpu", 11)
    # a later process (memo cleared) does not import again, even if the file changed meanwhile
    monkeypatch.setattr(measured, "_imported", set())
    _legacy(tmp_path, {"a|fp32|cpu": _row("a", 99), "c|fp32|cpu": _row("c", 30)})
    ms2 = MeasuredStore(tmp_path)
    assert ms2.get("a", "fp32", "cpu").peak_bytes == 11 and ms2.get("c", "fp32", "cpu") is None


def test_import_keeps_newer_rows_of_the_store(tmp_path, monkeypatch):
    MeasuredStore(tmp_path).record("a", "fp32", "cpu", 55)  # the store exists before the file appears
    monkeypatch.setattr(measured, "_imported", set())
    _legacy(tmp_path, {"a|fp32|cpu": _row("a", 10), "b|fp32|cpu": _row("b", 20)})
    ms = MeasuredStore(tmp_path)
    assert ms.get("a", "fp32", "cpu").peak_bytes == 55 and ms.get("b", "fp32", "cpu").peak_bytes == 20


def test_a_corrupt_json_file_is_skipped(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "measured.json").write_text("{not json")
    ms = MeasuredStore(tmp_path)
    assert ms.lookup("a/b") == []
    ms.record("a/b", "bf16", "cpu", 1)
    assert ms.get("a/b", "bf16", "cpu").peak_bytes == 1
    with store.session(_url(tmp_path)) as s:
        assert "unreadable" in s.scalars(select(store.Meta.value)).one()
