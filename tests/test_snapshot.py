"""SnapshotCatalog: query semantics, the embedded snapshot's facts, loading dumps, bad files,
and agreement with a naive Python filter on random queries."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lib.catalog.query import CatalogQuery
from lib.catalog.snapshot import SnapshotCatalog
from lib.hub.records import ModelRecord

HAND = [
    {"id": "meta-llama/Llama-3.1-8B-Instruct", "author": "meta-llama", "pipeline_tag": "text-generation",
     "library_name": "transformers", "downloads": 5000, "likes": 300, "trendingScore": 50,
     "createdAt": "2024-07-18T08:56:00.000Z", "lastModified": "2024-09-25T10:00:00.000Z",
     "tags": ["transformers", "safetensors", "llama", "en", "de", "license:llama3.1"], "gated": "manual",
     "safetensors": {"parameters": {"BF16": 8030261248}, "total": 8030261248}},
    {"id": "Qwen/Qwen2.5-0.5B", "author": "Qwen", "pipeline_tag": "text-generation", "library_name": "transformers",
     "downloads": 9000, "likes": 100, "trendingScore": 80, "createdAt": "2024-09-15T00:00:00.000Z",
     "lastModified": "2024-09-20T00:00:00.000Z", "tags": ["transformers", "en", "license:apache-2.0"],
     "gated": False, "safetensors": {"parameters": {"BF16": 494032768}, "total": 494032768}},
    {"id": "someone/llama-tiny-GGUF", "pipeline_tag": "text-generation", "library_name": "gguf",
     "downloads": 700, "likes": 2, "createdAt": "2025-01-01T00:00:00.000Z", "tags": ["gguf", "en", "license:mit"],
     "gated": False},
    {"id": "google-bert/bert-base-uncased", "author": "google-bert", "pipeline_tag": "fill-mask",
     "library_name": "transformers", "downloads": 50000, "likes": 2000, "trendingScore": 5,
     "createdAt": "2022-03-02T23:29:04.000Z", "tags": ["transformers", "pytorch", "en", "license:apache-2.0"],
     "gated": False, "safetensors": {"parameters": {"F32": 110106428}, "total": 110106428}},
    {"id": "dbmdz/bert-base-french-cased", "author": "dbmdz", "pipeline_tag": "fill-mask",
     "library_name": "transformers", "downloads": 800, "createdAt": "2021-01-01T00:00:00.000Z",
     "tags": ["transformers", "fr", "license:mit"], "gated": False},
    {"id": "sentence-transformers/all-MiniLM-L6-v2", "author": "sentence-transformers",
     "pipeline_tag": "sentence-similarity", "library_name": "sentence-transformers", "downloads": 90000,
     "likes": 3000, "tags": ["sentence-transformers", "transformers", "en", "license:apache-2.0"], "gated": False,
     "safetensors": {"parameters": {"F32": 22713216}, "total": 22713216}},
    {"id": "mystery/no-task-model", "downloads": 10, "tags": [], "gated": "auto"},
    {"modelId": "snake/case-fields", "pipeline_tag": "text-classification", "library_name": "transformers",
     "downloads": 5, "likes": 0, "created_at": "2023-05-05T00:00:00Z", "tags": ["es"],
     "cardData": {"license": "cc-by-4.0", "language": ["es"]}, "gated": False},
]


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    p = tmp_path_factory.mktemp("dump") / "models.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in HAND) + "\n")
    return SnapshotCatalog.from_file(p)


def ids(cat, **kw):
    return [r.id for r in cat.search(CatalogQuery(**kw)).records]


# ---- hand-checked semantics -----------------------------------------------------------------
def test_len_and_default_sort_by_downloads(hand):
    assert len(hand) == 8
    assert ids(hand, limit=3) == ["sentence-transformers/all-MiniLM-L6-v2", "google-bert/bert-base-uncased",
                                  "Qwen/Qwen2.5-0.5B"]
    res = hand.search(CatalogQuery(limit=3))
    assert res.has_more and res.source.kind == "snapshot" and res.requests == 0
    assert not hand.search(CatalogQuery(limit=8)).has_more


def test_task_search_author(hand):
    assert ids(hand, task="fill-mask") == ["google-bert/bert-base-uncased", "dbmdz/bert-base-french-cased"]
    assert ids(hand, search="LLAMA") == ["meta-llama/Llama-3.1-8B-Instruct", "someone/llama-tiny-GGUF"]
    assert ids(hand, search="bert-base-") == ["google-bert/bert-base-uncased", "dbmdz/bert-base-french-cased"]
    assert ids(hand, search="nomatchxyz") == []
    assert ids(hand, author="QWEN") == ["Qwen/Qwen2.5-0.5B"]
    assert ids(hand, author="someone") == ["someone/llama-tiny-GGUF"]  # author derived from the id
    assert ids(hand, task="text-generation", author="nobody") == []


def test_tag_filters(hand):
    assert ids(hand, library="gguf") == ["someone/llama-tiny-GGUF"]
    # library matches library_name or a tag naming a library
    assert "sentence-transformers/all-MiniLM-L6-v2" in ids(hand, library="transformers")
    assert ids(hand, language="fr") == ["dbmdz/bert-base-french-cased"]
    assert ids(hand, language="es") == ["snake/case-fields"]
    assert ids(hand, license="mit") == ["dbmdz/bert-base-french-cased", "someone/llama-tiny-GGUF"]
    assert ids(hand, license="cc-by-4.0") == ["snake/case-fields"]  # from cardData
    assert ids(hand, license="apache-2.0", language="en", task="fill-mask") == ["google-bert/bert-base-uncased"]


def test_numeric_filters(hand):
    # inclusive bounds on the total; unknown totals excluded once a bound is set
    assert ids(hand, params_min=110106428, params_max=8030261248) == [
        "google-bert/bert-base-uncased", "Qwen/Qwen2.5-0.5B", "meta-llama/Llama-3.1-8B-Instruct"]
    assert ids(hand, params_max=100_000_000) == ["sentence-transformers/all-MiniLM-L6-v2"]
    assert ids(hand, params_min=9 * 10**9) == []
    assert ids(hand, min_downloads=5000) == ["sentence-transformers/all-MiniLM-L6-v2",
                                              "google-bert/bert-base-uncased", "Qwen/Qwen2.5-0.5B",
                                              "meta-llama/Llama-3.1-8B-Instruct"]
    # unknown likes never pass min_likes
    assert "dbmdz/bert-base-french-cased" not in ids(hand, min_likes=0)
    assert ids(hand, min_likes=2000) == ["sentence-transformers/all-MiniLM-L6-v2", "google-bert/bert-base-uncased"]
    assert ids(hand, gated=True) == ["meta-llama/Llama-3.1-8B-Instruct", "mystery/no-task-model"]
    assert "meta-llama/Llama-3.1-8B-Instruct" not in ids(hand, gated=False)


def test_sorts(hand):
    assert ids(hand, sort="likes", limit=3) == ["sentence-transformers/all-MiniLM-L6-v2",
                                                "google-bert/bert-base-uncased", "meta-llama/Llama-3.1-8B-Instruct"]
    # unknown likes last, ties by downloads
    assert ids(hand, sort="likes")[-2:] == ["dbmdz/bert-base-french-cased", "mystery/no-task-model"]
    assert ids(hand, sort="trending", limit=2) == ["Qwen/Qwen2.5-0.5B", "meta-llama/Llama-3.1-8B-Instruct"]
    assert ids(hand, sort="created", limit=2) == ["someone/llama-tiny-GGUF", "Qwen/Qwen2.5-0.5B"]
    assert ids(hand, sort="created")[-2:] == ["sentence-transformers/all-MiniLM-L6-v2", "mystery/no-task-model"]
    assert ids(hand, sort="modified", limit=2) == ["meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-0.5B"]


def test_records_and_get(hand):
    r = hand.get("meta-llama/Llama-3.1-8B-Instruct")
    assert isinstance(r, ModelRecord)
    assert r.params_total == 8030261248 and r.params_exact and r.params_by_dtype == {"BF16": 8030261248}
    assert r.gated == "manual" and r.license == "llama3.1" and set(r.languages) == {"en", "de"}
    assert r.created_at.year == 2024 and r.trending_score == 50
    assert hand.get("META-LLAMA/llama-3.1-8b-instruct").id == "meta-llama/Llama-3.1-8B-Instruct"
    assert hand.get("meta-llama/Llama-3.1-8B") is None  # a prefix is not a match
    m = hand.get("mystery/no-task-model")
    assert m.pipeline_tag is None and m.params_total is None and m.likes is None and m.author == "mystery"
    s = hand.get("snake/case-fields")
    assert s.license == "cc-by-4.0" and s.languages == ("es",) and s.created_at.year == 2023


def test_facets_sorted_by_count(hand):
    f = hand.facets()
    assert set(f) == {"library", "language", "license", "task"}
    assert f["task"][0] == ("text-generation", 3)
    assert f["library"][0] == ("transformers", 6)
    counts = [c for _, c in f["language"]]
    assert counts == sorted(counts, reverse=True) and dict(f["language"])["en"] == 5


def test_trending_fallback_note(tmp_path):
    p = tmp_path / "m.jsonl"
    p.write_text('{"id": "a/x", "downloads": 3}\n{"id": "b/y", "downloads": 9}\n')
    res = SnapshotCatalog.from_file(p).search(CatalogQuery(sort="trending"))
    assert [r.id for r in res.records] == ["b/y", "a/x"]
    assert any("trending" in n and "downloads" in n for n in res.notes)


def test_notes_labels_and_load_errors_speak_the_readers_language(tmp_path):
    """Kept with the catalog (one per process) or a cached answer: said in the language of whoever reads them."""
    from lib import i18n

    p = tmp_path / "m.jsonl"
    p.write_text('{"id": "a/x", "downloads": 3}\n')
    cat = SnapshotCatalog.from_file(p)
    res = cat.search(CatalogQuery(sort="trending"))
    with i18n.scope("es"):
        assert str(res.notes[0]) == "Esta instantánea no tiene puntuaciones de tendencia; se ordena por descargas."
        assert str(cat.info.label).startswith("Archivo de instantánea m.jsonl del ")
    with i18n.scope("en"):
        assert str(res.notes[0]) == "This snapshot has no trending scores; sorted by downloads instead."
        assert str(cat.info.label).startswith("Snapshot file m.jsonl of ")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError) as caught:
        SnapshotCatalog.from_file(empty)
    with i18n.scope("es"):
        assert str(caught.value) == "empty.jsonl: el archivo está vacío"
    assert str(caught.value) == "empty.jsonl: the file is empty"


# ---- loading -----------------------------------------------------------------------------------
def test_parquet_dump(tmp_path, hand):
    rows = [{**r, "gated": str(r["gated"]).lower()} for r in HAND if "safetensors" in r]
    table = pa.Table.from_pylist(rows)
    p = tmp_path / "models.parquet"
    pq.write_table(table, p)
    cat = SnapshotCatalog.from_file(p)
    assert len(cat) == len(rows)
    assert [r.id for r in cat.search(CatalogQuery(sort="likes")).records] == \
        [r.id for r in hand.search(CatalogQuery(sort="likes", params_min=1)).records]
    assert cat.get("Qwen/Qwen2.5-0.5B").params_total == 494032768
    assert cat.info.kind == "snapshot" and "models.parquet" in cat.info.label


def test_json_array_and_gzip(tmp_path):
    import gzip
    p = tmp_path / "m.json"
    p.write_text(json.dumps(HAND[:3]))
    assert len(SnapshotCatalog.from_file(p)) == 3
    g = tmp_path / "m.jsonl.gz"
    g.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in HAND).encode()))
    assert len(SnapshotCatalog.from_file(g)) == len(HAND)


@pytest.mark.parametrize("content, words", [
    (None, "not found"),
    (b"", "empty"),
    (b"hello world\n", "expected a parquet file or JSON lines"),
    (b'{"id": "a/b"}\n{not json\n', "line 2"),
    (b'{"name": "a/b", "downloads": 3}\n', "no model id column"),
    (b"PAR1garbage-not-parquet", "not a readable parquet"),
    (b'[1, 2, 3]', "one JSON object per model"),
])
def test_bad_files_raise_value_error(tmp_path, content, words):
    p = tmp_path / "bad.jsonl"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(ValueError, match=words):
        SnapshotCatalog.from_file(p)


# ---- the embedded snapshot -----------------------------------------------------------------------
def test_embedded_facts():
    cat = SnapshotCatalog.embedded()
    assert cat is SnapshotCatalog.embedded()  # cached per process
    assert len(cat) > 3000
    assert cat.info.kind == "snapshot" and cat.info.date == "2026-05-10"
    assert cat.info.label == "Embedded snapshot of May 10, 2026"
    assert any("llmfit" in s and "MIT" in s for s in cat.info.sources)
    assert any("ExGenesis" in s for s in cat.info.sources)
    x = cat.get("FacebookAI/xlm-roberta-large")
    assert x.pipeline_tag == "fill-mask" and x.params_total == 561192082 and x.params_exact
    assert x.license == "mit" and "fr" in x.languages and "transformers" in x.tags
    janus = cat.get("deepseek-ai/Janus-Pro-7B")  # 7,000,000,000 guessed from the name
    assert janus.params_total == 7_000_000_000 and not janus.params_exact
    assert "name" in janus.param_source
    reve = cat.get("brain-bzh/reve-positions")  # llmfit row without a task: stays unknown
    assert reve.pipeline_tag is None and reve.likes is None
    qwen = cat.get("Qwen/Qwen3-0.6B")
    assert qwen.pipeline_tag == "text-generation" and qwen.params_total == 751632384 and qwen.params_exact
    assert qwen.extra["downloads_as_of"] == "2026-05-10"
    assert "fr" in dict(cat.facets()["language"]) and cat.facets()["task"][0][0] == "text-generation"
    assert ids(cat, license="apache-2.0", language="fr", limit=5)


LLMFIT = Path(__file__).resolve().parents[2] / "shared" / "data" / "hub" / "llmfit_hf_models_2026-05-10.json"
CONFIG_KEYS = {"num_hidden_layers": "num_hidden_layers", "num_attention_heads": "num_attention_heads",
               "num_key_value_heads": "num_key_value_heads", "head_dim": "head_dim", "hidden_size": "hidden_size",
               "vocab_size": "vocab_size", "context_length": "max_position_embeddings"}


def test_embedded_architecture_facts():
    cat = SnapshotCatalog.embedded()
    qwen = cat.get("Qwen/Qwen2.5-0.5B-Instruct")
    # llmfit's row (checked against the source file below when ../shared is present)
    assert qwen.extra["config"] == {"model_type": "qwen2", "num_hidden_layers": 24, "num_attention_heads": 14,
                                    "num_key_value_heads": 2, "head_dim": 64, "hidden_size": 896,
                                    "vocab_size": 151936, "max_position_embeddings": 32768}
    assert qwen.extra["config_source"] == {"name": "llmfit", "date": "2026-05-10",
                                           "label": "llmfit hf_models.json 2026-05-10"}
    # llmfit could not read the gated Llama config: only its model_type, and not its 4,096 placeholder
    assert cat.get("meta-llama/Llama-3.1-8B-Instruct").extra["config"] == {"model_type": "llama"}
    # ExGenesis-only rows have no architecture facts at all
    assert "config" not in cat.get("FacebookAI/xlm-roberta-large").extra
    from lib.modelconfig import ModelConfig

    cfg = ModelConfig.from_dict(qwen.extra["config"])
    assert (cfg.num_layers, cfg.num_kv_heads, cfg.head_dim, cfg.max_positions) == (24, 2, 64, 32768)
    assert cfg.is_decoder and cfg.intermediate_size is None


@pytest.mark.skipif(not LLMFIT.exists(), reason="../shared/data/hub is only needed to rebuild the snapshot")
def test_architecture_facts_equal_the_llmfit_file():
    cat = SnapshotCatalog.embedded()
    src = {r["name"]: r for r in json.loads(LLMFIT.read_text())}
    q = src["Qwen/Qwen2.5-0.5B-Instruct"]
    assert (q["num_hidden_layers"], q["num_key_value_heads"], q["head_dim"]) == (24, 2, 64)
    checked = 0
    for name, r in src.items():
        rec = cat.get(name)
        assert rec is not None, name
        cfg = rec.extra.get("config") or {}
        for k, key in CONFIG_KEYS.items():
            v = r.get(k)
            if k == "context_length" and v == 4096 and not any(r.get(x) for x in list(CONFIG_KEYS)[:6]):
                v = None  # llmfit's placeholder for an unread config
            assert cfg.get(key) == (v if isinstance(v, int) and v > 0 else None), (name, k)
        arch = r.get("architecture")
        assert cfg.get("model_type") == (arch if arch and arch != "unknown" else None), name
        checked += 1
    assert checked == len(src) == 1852


def test_dump_architecture_columns_optional(tmp_path):
    # a user's dump without them: no config, nothing allocated
    cat = SnapshotCatalog.from_records(HAND)
    assert cat._config_facts is None and all("config" not in r.extra for r in map(cat.record, range(len(cat))))
    # with config.json key names (JSON lines), partly null or of the wrong type
    rows = [{"id": "a/dense", "downloads": 5, "model_type": "llama", "num_hidden_layers": 2,
             "num_key_value_heads": 1, "head_dim": 8, "max_position_embeddings": 512},
            {"id": "b/none", "downloads": 3, "num_hidden_layers": None},
            {"id": "c/strange", "downloads": 1, "num_hidden_layers": "many", "vocab_size": 100.0}]
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    cat = SnapshotCatalog.from_file(path)
    assert cat.get("a/dense").extra["config"] == {"model_type": "llama", "num_hidden_layers": 2,
                                                  "num_key_value_heads": 1, "head_dim": 8,
                                                  "max_position_embeddings": 512}
    assert cat.get("a/dense").extra["config_source"]["label"].startswith("Snapshot file dump.jsonl")
    assert "config" not in cat.get("b/none").extra
    assert cat.get("c/strange").extra["config"] == {"vocab_size": 100}
    # parquet with a text column where numbers belong: ignored, not parsed or guessed
    pq.write_table(pa.table({"id": ["x/y"], "num_hidden_layers": ["24"], "head_dim": [64]}), tmp_path / "d.parquet")
    assert SnapshotCatalog.from_file(tmp_path / "d.parquet").get("x/y").extra["config"] == {"head_dim": 64}


# ---- property test against a naive filter ------------------------------------------------------
def _naive(rows: list[ModelRecord], lib_values: set[str], q: CatalogQuery) -> list[str]:
    q = q.normalized()
    out = []
    for i, r in enumerate(rows):
        if q.task and r.pipeline_tag != q.task:
            continue
        if q.search and q.search.lower() not in r.id.lower():
            continue
        if q.author and (r.author or "").lower() != q.author.lower():
            continue
        # the Hub's filter= semantics, written out independently: a model is found by a tag it carries
        if q.library and not ((r.library_name or "").lower() == q.library or q.library in r.tags):
            continue
        if q.language and q.language not in r.tags:
            continue
        if q.license and f"license:{q.license}" not in {t.lower() for t in r.tags}:
            continue
        p = r.params_total or r.extra.get("params_total")
        if (q.params_min is not None or q.params_max is not None) and not p:
            continue
        if q.params_min is not None and p < q.params_min:
            continue
        if q.params_max is not None and p > q.params_max:
            continue
        if q.min_downloads is not None and (r.downloads is None or r.downloads < q.min_downloads):
            continue
        if q.min_likes is not None and (r.likes is None or r.likes < q.min_likes):
            continue
        if q.gated is not None and r.is_gated != q.gated:
            continue
        out.append(i)
    key = {"downloads": lambda r: r.downloads, "likes": lambda r: r.likes, "trending": lambda r: r.trending_score,
           "created": lambda r: r.created_at and r.created_at.timestamp(),
           "modified": lambda r: r.last_modified and r.last_modified.timestamp()}[q.sort]

    def order(i):
        v = key(rows[i])
        return (v is None, -(v or 0), -(rows[i].downloads or 0), i)
    out.sort(key=order)
    return [rows[i].id for i in out[:q.limit + 1]]


def test_engine_agrees_with_naive_filter():
    from bench.synthetic import generate

    table = generate(3000, seed=7)
    cat = SnapshotCatalog(table, {}, name="synthetic")
    rows = [ModelRecord.from_api(d) for d in table.to_pylist()]
    lib_values = {r.library_name for r in rows if r.library_name}
    rng = random.Random(3)
    tasks = [t for t, _ in cat.facets()["task"]][:12] + ["no-such-task"]
    langs = [x for x, _ in cat.facets()["language"]][:10]
    lics = [x for x, _ in cat.facets()["license"]][:8]
    libs = [x for x, _ in cat.facets()["library"]][:6]
    words = ["llama", "bert", "gguf", "-7b", "qwen", "a", "instruct", "xyzq"] + \
        [r.id.split("/")[0] for r in rng.sample(rows, 10)] + [r.id[-7:] for r in rng.sample(rows, 10)]
    authors = [r.author for r in rng.sample(rows, 10)]
    mismatches = []
    for _ in range(300):
        kw = {"sort": rng.choice(["downloads", "likes", "trending", "created", "modified"]),
              "limit": rng.choice([1, 5, 20, 100])}
        for name, gen in [("task", lambda: rng.choice(tasks)), ("search", lambda: rng.choice(words)),
                          ("author", lambda: rng.choice(authors).upper()), ("language", lambda: rng.choice(langs)),
                          ("license", lambda: rng.choice(lics)), ("library", lambda: rng.choice(libs)),
                          ("params_min", lambda: int(10 ** rng.uniform(6, 10))),
                          ("params_max", lambda: int(10 ** rng.uniform(7, 11))),
                          ("min_downloads", lambda: rng.choice([0, 1, 10, 1000])),
                          ("min_likes", lambda: rng.choice([0, 1, 5])), ("gated", lambda: rng.choice([True, False]))]:
            if rng.random() < 0.25:
                kw[name] = gen()
        q = CatalogQuery(**kw)
        want = _naive(rows, lib_values, q)
        got = [r.id for r in cat.search(q).records]
        has_more = cat.search(q).has_more
        if got != want[:q.normalized().limit] or has_more != (len(want) > q.normalized().limit):
            mismatches.append((kw, got[:5], want[:5]))
    assert not mismatches, mismatches[:3]


def test_substring_paths_agree_with_naive_filter():
    """Needles answered by the n-gram postings, by the per-row signatures (forced: no n-gram
    counts as rare) and by plain scans give the naive filter's answers, including 1-2 letter ones."""
    from bench.synthetic import generate

    table = generate(2000, seed=11)
    rows = [ModelRecord.from_api(d) for d in table.to_pylist()]
    lib_values = {r.library_name for r in rows if r.library_name}
    needles = ["q", "x", "7b", "-q", "zz", "-0.5b-8bit", "-8bit-v", "gguf", "-v1-", "b-i", "/", "nomatch"] + \
        [r.id[-9:] for r in rows[::250]]
    fell_back = False
    for cap, chunk in ((None, None), (0, None), (0, 16)):
        cat = SnapshotCatalog(table, {}, name="synthetic")
        if cap is not None:
            cat._tri_cap = cap
        if chunk is not None:  # small scan chunks: sparse needles switch to one signature pass
            cat.CHUNK0 = chunk
        for needle in needles:
            for sort in ("downloads", "created", "likes"):
                q = CatalogQuery(search=needle, sort=sort, limit=20)
                assert [r.id for r in cat.search(q).records] == _naive(rows, lib_values, q)[:20], (cap, needle, sort)
                fell_back |= "signature pass" in cat.last_plan.mode
    assert fell_back


def test_driver_with_a_common_substring_agrees_with_naive_filter_both_ways(monkeypatch):
    """A filter (task, license) driving a common substring: its rows' signatures tested one by one
    (a small driver) or all signatures scanned (a large one) give the naive filter's answers."""
    from bench.synthetic import generate

    table = generate(2000, seed=5)
    rows = [ModelRecord.from_api(d) for d in table.to_pylist()]
    lib_values = {r.library_name for r in rows if r.library_name}
    cat = SnapshotCatalog(table, {}, name="synthetic")
    cat._tri_cap = 0  # no n-gram counts as rare: every needle goes through the signatures
    cat.CHUNK0 = 16  # sparse hits give up the sorted walk early
    cat.EVALUATE_MAX = 0  # every driver is walked in sort order first (as large ones are)
    scans = []
    real = cat._sig_rows
    monkeypatch.setattr(cat, "_sig_rows", lambda *a: scans.append(a) or real(*a))
    tasks = [t for t, _ in cat.facets()["task"]][:3]
    lics = [x for x, _ in cat.facets()["license"]][:2]
    paths = set()
    for ratio in (1, 10**9):  # 1: a driver's signatures never scanned whole; 10**9: always scanned
        cat.SIG_SCAN_RATIO = ratio
        for needle in ("-8bit", "ma-7b", "-v1", "instruct", "gguf"):
            for sort in ("trending", "likes", "created"):
                for kw in [{"task": t} for t in tasks] + [{"license": x} for x in lics]:
                    q = CatalogQuery(search=needle, sort=sort, limit=10, **kw)
                    before = len(scans)
                    assert [r.id for r in cat.search(q).records] == _naive(rows, lib_values, q)[:10], (ratio, q)
                    if "fallback" in cat.last_plan.mode:
                        paths.add("scan" if len(scans) > before else "driver")
    assert paths == {"scan", "driver"}


def test_columns_read_ahead_in_order_out_of_turn_and_errors():
    """The read-ahead thread delivers what a plain read would, a column asked for out of turn is read
    then (no wait for the thread), and a failing read surfaces at the get() that asks for it."""
    from lib.catalog.snapshot import _Columns

    table = pa.table({"a": [3, 1, 2], "b": ["x", "y", "z"], "c": [1.0, 2.0, 3.0], "d": [7, 8, 9]})

    def fetch(src):
        if src == "d":
            raise ValueError("d is broken")
        return table.column(src)

    cols = _Columns({"a": "a", "b": "b", "c": "c", "d": "d"}, fetch, 3)
    cols.order = __import__("numpy").array([1, 2, 0], dtype="int32")
    cols.prefetch([("a", True, True), ("b", True, True), ("c", True, True), ("d", True, True)], ahead=2)
    assert cols.get("a").to_pylist() == [1, 2, 3]
    assert cols.get("c").to_pylist() == [2.0, 3.0, 1.0]  # "b" skipped: dropped, not waited for
    assert cols.get("b").to_pylist() == ["y", "z", "x"]  # out of turn: read directly
    with pytest.raises(ValueError, match="d is broken"):
        cols.get("d")
    assert cols.get("a", ordered=False).to_pylist() == [3, 1, 2]  # not in the plan: read directly
    cols.close()
    assert cols.get("zz") is None


def test_columns_read_ahead_before_the_order_is_known():
    """The read-ahead starts before the row order is known (the build sorts the downloads
    meanwhile): ordered columns wait for set_order and come back in that order, unordered ones
    do not wait; set_order(None) keeps the input's order; close() releases a waiting reader."""
    import threading

    import numpy as np

    from lib.catalog.snapshot import _Columns

    table = pa.table({"a": [3, 1, 2], "b": ["x", "y", "z"]})
    read = threading.Event()

    def fetch(src):
        if src == "a":
            read.set()
        return table.column(src)

    cols = _Columns({"a": "a", "b": "b"}, fetch, 3)
    cols.prefetch([("b", False, False), ("a", True, True)])
    assert cols.get("b", decode=False, ordered=False).to_pylist() == ["x", "y", "z"]
    assert read.wait(5)  # read ahead while the order is still unknown
    cols.set_order(np.array([1, 2, 0], dtype=np.int32))
    assert cols.get("a").to_pylist() == [1, 2, 3]
    cols.close()

    cols = _Columns({"a": "a", "b": "b"}, fetch, 3)
    cols.prefetch([("a", True, True)])
    cols.set_order(None)
    assert cols.get("a").to_pylist() == [3, 1, 2]
    cols.close()

    cols = _Columns({"a": "a", "b": "b"}, fetch, 3)
    cols.prefetch([("a", True, True), ("b", True, True)])
    cols.close()  # never ordered: the reader thread ends instead of waiting forever
    assert cols._order_known.is_set()


def test_ngram_postings_equal_a_naive_count():
    """Every rare trigram, bigram and symbol has the rows of every id it occurs in (the build only
    looks bigrams and symbols up where a rare trigram starts or an id ends)."""
    import numpy as np

    ids = [f"org{i % 7}/model-{i}-{'abc'[i % 3]}{'!+#'[i % 3] if i % 5 == 0 else ''}" for i in range(300)]
    ids += ["x/!", "y/+q", "z/q~"]  # rare symbols at an id's end and start of its last bigram
    cat = SnapshotCatalog.from_records([{"id": m, "downloads": len(ids) - i} for i, m in enumerate(ids)])
    lut = cat._tri_lut
    count: dict[int, int] = {}
    rows_of: dict[int, set] = {}
    for row in range(len(cat)):
        s = [int(lut[b]) for b in cat.id_lower[cat.id_offsets[row]:cat.id_offsets[row + 1]]]
        grams = [(s[p] << 12 | s[p + 1] << 6 | s[p + 2]) for p in range(len(s) - 2)]
        grams += [(s[p] << 6 | s[p + 1]) + (1 << 18) for p in range(len(s) - 1)]
        grams += [s[p] + (1 << 18) + (1 << 12) for p in range(len(s))]
        for g in grams:
            count[g] = count.get(g, 0) + 1
            rows_of.setdefault(g, set()).add(row)
    for cap in (2000, 3, 40):  # every n-gram rare; few; some
        cat.TRI_CAP_MIN = cap
        cat._build_trigrams()
        off = cat._tri_offsets
        assert [int(c) for c in np.flatnonzero(cat._tri_df)] == sorted(count)
        for g, c in count.items():
            assert cat._tri_df[g] == c
            got = cat._tri_rows[off[g]:off[g + 1]].tolist()
            assert got == (sorted(rows_of[g]) if c <= cap else []), (g, cap)


def test_stable_argsort_equals_numpys_on_every_key_shape():
    """Small key ranges take the 16-bit radix path, wide ones the packed sort: both equal
    np.argsort(kind="stable"), at the int8 / int16 extremes and for all-equal keys too."""
    import numpy as np

    from lib.catalog.snapshot import _stable_argsort

    rng = np.random.default_rng(1)
    cases = [np.array([127, -128, 0, 127, -128], np.int8), np.ones(7, bool), np.array([True, False, True]),
             np.array([-32768, 32767, 0], np.int16), np.array([2**40, 2**40 + 65535, 2**40], np.int64),
             np.array([2**40, 2**40 + 65536, 2**40], np.int64), np.array([1.5, -2.0, 1.5, np.inf])]
    for dt in (np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint32):
        for lo, hi in ((0, 2), (-5, 100), (-3, 65536), (0, 10**6)):
            lo = 0 if dt in (np.uint16, np.uint32) else lo
            cases.append(rng.integers(lo, hi, size=3000).astype(dt))
    for k in cases:
        assert np.array_equal(_stable_argsort(k), np.argsort(k, kind="stable")), (k.dtype, k[:5])


def test_a_failed_build_leaves_no_read_ahead_thread(tmp_path):
    """A dump rejected half-way (ids missing) stops its column read-ahead: no thread is left
    waiting with the file's columns."""
    import threading
    import time

    rows = [{"id": f"o/m{i}", "downloads": i, "likes": i, "tags": ["en"], "pipeline_tag": "fill-mask",
             "library_name": "transformers", "trendingScore": 1.0, "createdAt": "2024-01-01T00:00:00Z",
             "lastModified": "2024-01-02T00:00:00Z", "gated": "false", "author": "o"} for i in range(50)]
    rows[7]["id"] = None
    p = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows), p)
    with pytest.raises(ValueError, match="no model id"):
        SnapshotCatalog.from_file(p, cache=False)
    deadline = time.monotonic() + 5
    while any(t.name == "hubscout-columns" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not [t for t in threading.enumerate() if t.name == "hubscout-columns"]
