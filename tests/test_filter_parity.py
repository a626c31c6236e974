"""Filter parity: the same Hub records served live (through the Hub stand-in, which filters the way
the Hub's ``/api/models`` does: every ``filter=`` value must be one of the model's tags) and as a
user's dump file give the same ids, in the same order, for every filter and every sort — and the
same normalised fields (lib/hub/normalize.py) for each model."""
from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from lib.catalog.live import LiveCatalog
from lib.catalog.query import SORTS, CatalogQuery
from lib.catalog.snapshot import SnapshotCatalog
from tests.support.hub_stub import HubStub

TASKS = ["text-generation", "text-classification", "fill-mask", "automatic-speech-recognition", None]
LIBS = [("transformers", ["transformers", "pytorch", "safetensors"]),
        ("sentence-transformers", ["sentence-transformers", "transformers", "pytorch", "onnx"]),
        ("gguf", ["gguf"]), ("diffusers", ["diffusers", "safetensors"]), (None, ["pytorch", "tf", "jax"])]
# (tags, card licence) — several licences, a card licence list, none
LICENSES = [(["license:mit"], "mit"), (["license:apache-2.0"], "apache-2.0"),
            (["license:mit", "license:apache-2.0"], ["mit", "apache-2.0"]), ([], None),
            (["license:other", "license:llama3.1"], "other")]
# (card languages, extra non-language tags that look like codes)
LANGS = [(["en"], ["opt"]), (["en", "fr"], []), (["multilingual", "de"], ["tf"]), (["iw"], ["jax"]),
         ([], ["gte", "pdf"]), (["yue", "zh"], ["glm"])]
AUTHORS = ["Acme", "bigLab", "solo-dev", "acme"]
WORDS = ["llama", "bert", "tiny", "Qwen2.5", "whisper", "mix"]


def hub_models(n: int = 60, seed: int = 5) -> list[dict]:
    """Hub API objects (``/api/models`` with expand): realistic tags (card languages and licences are
    tags too, as the Hub makes them), distinct sort values so both sources have one right order."""
    rng = random.Random(seed)
    base = datetime(2023, 1, 1, tzinfo=UTC)
    downloads = rng.sample(range(0, 5_000_000), n)
    likes = rng.sample(range(0, 10_000), n)
    trending = rng.sample(range(1, 1000), n)
    created = rng.sample(range(0, 900), n)
    out = []
    for i in range(n):
        lib, lib_tags = LIBS[i % len(LIBS)]
        lic_tags, card_lic = LICENSES[(i // 2) % len(LICENSES)]
        langs, noise = LANGS[(i // 3) % len(LANGS)]
        task = TASKS[i % len(TASKS)]
        author = AUTHORS[i % len(AUTHORS)]
        mid = f"{author}/{WORDS[i % len(WORDS)]}-{i}-{rng.choice(['7B', 'small', 'v2', 'GGUF'])}"
        tags = list(lib_tags) + ([task] if task else []) + list(langs) + list(noise) + list(lic_tags) + ["region:us"]
        m = {
            "id": mid, "author": author, "downloads": downloads[i], "likes": likes[i],
            "trendingScore": trending[i],
            "createdAt": (base + timedelta(days=created[i])).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lastModified": (base + timedelta(days=created[i] + 5, hours=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "tags": tags, "gated": ["manual", False, False, "auto"][i % 4] if i % 5 else False,
            "cardData": {k: v for k, v in (("license", card_lic), ("language", langs or None)) if v},
        }
        if lib:
            m["library_name"] = lib
        if task:
            m["pipeline_tag"] = task
        if i % 3:
            total = rng.randrange(10**6, 10**10)
            m["safetensors"] = {"parameters": {"BF16": total - 1000, "F32": 1000}, "total": total}
        out.append(m)
    return out


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    models = hub_models()
    stub = HubStub(models).start()
    path = tmp_path_factory.mktemp("dump") / "models.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in models) + "\n")
    try:
        yield LiveCatalog(endpoint=stub.url, timeout=10), SnapshotCatalog.from_file(path), models
    finally:
        stub.stop()


def queries(models: list[dict]) -> list[CatalogQuery]:
    tags = sorted({t for m in models for t in m["tags"]})
    out: list[dict] = [{}]
    out += [{"task": t} for t in TASKS if t] + [{"task": "no-such-task"}]
    out += [{"author": a} for a in ("acme", "ACME", "bigLab", "nobody")]
    out += [{"library": x} for x in ("transformers", "sentence-transformers", "gguf", "diffusers", "pytorch",
                                     "onnx", "tf", "jax", "safetensors", "keras")]
    out += [{"language": x} for x in ("en", "fr", "de", "iw", "yue", "zh", "multilingual", "es")]
    # values that are tags but not languages: the Hub's filter= still finds the models carrying them
    out += [{"language": x} for x in ("opt", "gte")]
    out += [{"license": x} for x in ("mit", "license:mit", "apache-2.0", "License:Apache-2.0", "other",
                                     "llama3.1", "gpl-3.0")]
    out += [{"search": w} for w in ("llama", "LLAMA", "-7b", "gguf", "acme/", "zzz")]
    out += [{"params_min": 10**9}, {"params_max": 2 * 10**9}, {"params_min": 10**8, "params_max": 5 * 10**9}]
    out += [{"gated": True}, {"gated": False}, {"min_downloads": 1_000_000}, {"min_likes": 5000}]
    out += [{"license": "mit", "language": "en"}, {"library": "transformers", "license": "apache-2.0", "gated": False},
            {"task": "text-generation", "params_min": 10**9, "language": "en"}, {"author": "acme", "search": "bert"}]
    assert "license:mit" in tags and "iw" in tags
    return ([CatalogQuery(**kw, sort=s, limit=100) for kw in out for s in SORTS]
            + [CatalogQuery(**kw, sort=s, limit=5) for kw in out for s in ("downloads", "created")])


FIELDS = ("id", "author", "pipeline_tag", "library_name", "params_total", "params_exact", "downloads",
          "likes", "trending_score", "license", "licenses", "languages", "created_at", "last_modified", "gated")


def test_live_and_dump_return_the_same_models_for_every_filter_and_sort(sources):
    live, dump, models = sources
    mismatches = []
    for q in queries(models):
        a, b = live.search(q), dump.search(q)
        ids_a, ids_b = [r.id for r in a.records], [r.id for r in b.records]
        if ids_a != ids_b or a.has_more != b.has_more:
            mismatches.append((q.to_params(), ids_a[:6], ids_b[:6], a.has_more, b.has_more))
    assert not mismatches, f"{len(mismatches)} queries differ, e.g. {mismatches[:3]}"


def test_live_and_dump_records_read_the_same(sources):
    live, dump, models = sources
    got = {r.id: r for r in live.search(CatalogQuery(limit=1000)).records}
    assert len(got) == len(models)
    for rid, a in got.items():
        b = dump.get(rid)
        for f in FIELDS:
            assert getattr(a, f) == getattr(b, f), (rid, f, getattr(a, f), getattr(b, f))
        assert dict(a.params_by_dtype) == dict(b.params_by_dtype)


def test_every_license_and_the_iso_language_rule(sources):
    live, dump, _ = sources
    both = [r for r in dump.search(CatalogQuery(license="apache-2.0", limit=1000)).records if "mit" in r.licenses]
    assert both and all(r.licenses[:2] == ("mit", "apache-2.0") for r in both)
    assert {r.id for r in both} <= {r.id for r in dump.search(CatalogQuery(license="license:mit", limit=1000)).records}
    langs = dict(dump.facets()["language"])
    assert {"en", "fr", "iw", "yue", "multilingual"} <= set(langs)
    assert not {"tf", "jax", "opt", "gte", "pdf", "glm"} & set(langs)
    rec = next(r for r in live.search(CatalogQuery(language="iw", limit=1)).records)
    assert rec.languages == ("iw",) and "jax" in rec.tags
