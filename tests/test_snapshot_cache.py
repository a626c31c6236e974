"""The dump's index cache: a second load of an unchanged dump memory-maps the saved index (same
answers), a changed dump is rebuilt, a read-only folder falls back to the per-user cache dir, and a
cache that cannot be written or read is never an error."""
from __future__ import annotations

import os
import stat

import pyarrow.parquet as pq
import pytest

from lib.catalog.query import CatalogQuery
from lib.catalog.snapshot import IndexCache, SnapshotCatalog

QUERIES = [CatalogQuery(), CatalogQuery(search="llama", sort="likes"),
           CatalogQuery(license="license:mit", language="en", sort="created"),
           CatalogQuery(task="text-generation", params_min=10**9, sort="trending"),
           CatalogQuery(library="transformers", gated=False, sort="modified"), CatalogQuery(search="zzzq")]


@pytest.fixture(scope="module")
def table():
    from bench.synthetic import generate
    return generate(3000, seed=3)


def answers(cat):
    return [[(r.id, r.licenses, r.languages, r.library_name, r.params_total) for r in cat.search(q).records]
            + [cat.search(q).has_more] for q in QUERIES] + [cat.facets()]


def test_second_load_maps_the_cache_and_answers_the_same(tmp_path, table):
    dump = tmp_path / "models.parquet"
    pq.write_table(table, dump)
    first = SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user")
    assert first.wait_index_cache() == tmp_path / "models.parquet.hubscout-index"
    assert (tmp_path / "models.parquet.hubscout-index").is_file()
    second = SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user")
    assert getattr(second, "_mmap", None) is not None and getattr(first, "_mmap", None) is None
    assert answers(second) == answers(first)
    assert second.info == first.info and len(second) == len(first)
    assert answers(SnapshotCatalog.from_file(dump, cache=False)) == answers(first)


def test_a_changed_dump_is_rebuilt(tmp_path, table):
    dump = tmp_path / "models.parquet"
    pq.write_table(table, dump)
    SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user").wait_index_cache()
    pq.write_table(table.slice(0, 100), dump)
    os.utime(dump, ns=(1, 1))  # even with an old modification time: size and footer differ
    again = SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user")
    assert len(again) == 100 and getattr(again, "_mmap", None) is None
    again.wait_index_cache()
    assert len(SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user")) == 100


def test_damaged_cache_is_rebuilt_not_fatal(tmp_path, table):
    dump = tmp_path / "models.parquet"
    pq.write_table(table, dump)
    SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user").wait_index_cache()
    cache = tmp_path / "models.parquet.hubscout-index"
    data = cache.read_bytes()
    cache.write_bytes(data[:len(data) // 3])
    assert len(SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user")) == len(table)
    cache.write_bytes(b"not a cache")
    assert len(SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user")) == len(table)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_uses_the_user_cache_dir(tmp_path, table):
    folder = tmp_path / "ro"
    folder.mkdir()
    dump = folder / "models.parquet"
    pq.write_table(table, dump)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user").wait_index_cache()
        assert not (folder / "models.parquet.hubscout-index").exists()
        assert list((tmp_path / "user").glob("*.hubscout-index"))
        assert getattr(SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user"), "_mmap", None) is not None
    finally:
        folder.chmod(stat.S_IRWXU)


def test_no_writable_location_is_not_an_error(tmp_path, table, monkeypatch):
    dump = tmp_path / "models.parquet"
    pq.write_table(table, dump)
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    store = IndexCache(dump, cache_dir=blocker / "sub")
    store.paths[0] = blocker / "also" / "x.hubscout-index"  # beside-the-dump location made unwritable too
    cat = SnapshotCatalog.from_file(dump, cache=False)
    assert store.save(cat) is None
    assert store.load(SnapshotCatalog) is None


def test_unwritable_dump_folder_falls_back_to_the_user_dir(tmp_path, table):
    """The same fallback as a read-only folder, simulated (tests may run as root)."""
    dump = tmp_path / "models.parquet"
    pq.write_table(table, dump)
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    store = IndexCache(dump, cache_dir=tmp_path / "user")
    store.paths[0] = blocker / "models.parquet.hubscout-index"
    assert store.save(SnapshotCatalog.from_file(dump, cache=False)) == store.paths[1]
    loaded = store.load(SnapshotCatalog)
    assert loaded is not None and store.used == store.paths[1] and len(loaded) == len(table)


def test_cache_is_written_in_the_background_with_the_key_seen_before_the_build(tmp_path, table):
    """from_file returns once the index is built; the cache file follows. A dump replaced while
    the cache is still being written never gets the old dump's index."""
    dump = tmp_path / "models.parquet"
    pq.write_table(table, dump)
    first = SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user")
    pq.write_table(table.slice(0, 100), dump)  # replaced before (or while) the cache is written
    os.utime(dump, ns=(1, 1))
    assert first.wait_index_cache() == tmp_path / "models.parquet.hubscout-index"
    again = SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user")
    assert len(again) == 100 and getattr(again, "_mmap", None) is None
    assert again.wait_index_cache() is not None
    third = SnapshotCatalog.from_file(dump, cache_dir=tmp_path / "user")
    assert len(third) == 100 and getattr(third, "_mmap", None) is not None
    assert third.wait_index_cache() is None  # loaded from the cache: nothing written


def test_concurrent_cache_writes_of_one_process_do_not_share_a_temporary_file(tmp_path, table):
    dump = tmp_path / "models.parquet"
    pq.write_table(table, dump)
    cats = [SnapshotCatalog.from_file(dump, cache=False) for _ in range(2)]
    stores = [IndexCache(dump, cache_dir=tmp_path / "user") for _ in cats]
    for st in stores:
        st._key = st.key()
    import threading
    threads = [threading.Thread(target=st.save, args=(c,)) for st, c in zip(stores, cats)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    loaded = IndexCache(dump, cache_dir=tmp_path / "user").load(SnapshotCatalog)
    assert loaded is not None and answers(loaded) == answers(cats[0])
    assert not list(tmp_path.glob(".*.tmp"))
