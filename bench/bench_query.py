"""Snapshot query engine vs straightforward pandas on a synthetic Hub-shaped catalog.

    .venv/bin/python bench/bench_query.py [--rows 2000000] [--seed 0] [--repeat 15]

Builds ``--rows`` synthetic models (bench/synthetic.py: distributions sampled from the embedded
snapshot), writes them as a parquet dump and loads it with ``SnapshotCatalog.from_file`` (the
air-gapped user's path), then runs a query suite, each sorted, top 100: (a) task + parameter range +
min downloads, (b) substring search on the id (common, rare, and rare combinations of common pieces),
(c) license + language. Per query it prints p50/p95 of the engine alone (``search_rows``: row
numbers), of ``search()`` end to end (what the UI calls: engine + 100 ModelRecords), and of a
straightforward pandas implementation (boolean masks, ``str.contains``, ``nlargest`` /
``sort_values``) measured in the same run, the ratio pandas / ``search()``, and whether the engine
returned the same ids as pandas.

The same queries also run in DuckDB (SQL over its own table of the dump) and Polars (expressions over
a DataFrame of it), written here with the Hub's filter semantics; their p50 is printed beside ours, and
their answers are checked equal too.

Loading is measured by bench/bench_dump_load.py (a fresh process per contender: ours first and
second start, DuckDB, Polars: time, peak and steady RSS). Targets: every ``search()`` p50 <= 10 ms at
2M rows, >= 3x pandas and >= 5x both DuckDB and Polars; the dump-load targets are printed there.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.synthetic import generate  # noqa: E402
from lib.catalog.query import CatalogQuery  # noqa: E402
from lib.catalog.snapshot import SnapshotCatalog  # noqa: E402

SORT_COL = {"downloads": "downloads", "likes": "likes", "trending": "trending", "created": "created",
            "modified": "modified"}


def pandas_frame(table) -> pd.DataFrame:
    """The baseline's frame: one row per model, the tag list as one ``|a|b|`` string.

    Filters are the Hub's ``filter=`` semantics written out here, independently of the engine and of
    lib/hub/normalize.py: a model is found by a tag it carries (``en``, ``license:mit`` — any of its
    license tags —, ``transformers``), the library also by ``library_name``."""
    d = table.to_pydict()
    tags = d["tags"]
    st = d["safetensors"]
    params = [(s or {}).get("total") or p for s, p in zip(st, d["params_total"])]
    joined = ["|" + "|".join(ts or []) + "|" for ts in tags]
    libs = ["|" + "|".join([x for x in [lb] if x] + list(ts or [])) + "|" for lb, ts in zip(d["library_name"], tags)]
    return pd.DataFrame({
        "id": pd.array(d["id"], dtype="str"),
        "pipeline_tag": d["pipeline_tag"],
        "params": pd.array(params, dtype="Int64").astype("float64"),
        "downloads": d["downloads"],
        "likes": d["likes"],
        "trending": d["trendingScore"],
        "created": pd.to_datetime(table.column("createdAt").to_pandas()),
        "tags": pd.array(joined, dtype="str"),
        "libs": pd.array(libs, dtype="str"),
    })


def pandas_query(df: pd.DataFrame, q: CatalogQuery) -> list[str]:
    m = pd.Series(True, index=df.index)
    if q.task:
        m &= df.pipeline_tag == q.task
    if q.search:
        m &= df.id.str.contains(q.search, case=False, regex=False)
    if q.license:
        m &= df.tags.str.contains(f"|license:{q.license}|", regex=False)
    if q.language:
        m &= df.tags.str.contains(f"|{q.language}|", regex=False)
    if q.library:
        m &= df.libs.str.contains(f"|{q.library}|", regex=False)
    if q.params_min is not None:
        m &= df.params >= q.params_min
    if q.params_max is not None:
        m &= df.params <= q.params_max
    if q.min_downloads is not None:
        m &= df.downloads >= q.min_downloads
    sub = df[m]
    k = q.limit + 1
    if q.sort == "downloads":
        top = sub.nlargest(k, "downloads", keep="first")
    else:  # ties by downloads (the engine's documented tie-break), unknown values last
        top = sub.sort_values([SORT_COL[q.sort], "downloads"], ascending=False, kind="stable",
                              na_position="last").head(k)
    return top.id.tolist()


def suite(cat: SnapshotCatalog, seed: int) -> list[tuple[str, CatalogQuery]]:
    rng = np.random.default_rng(seed + 1)
    # rare substrings taken from ids deep in the catalog (what someone searching for one model types)
    rare = []
    sizes = np.diff(cat.authors.offsets)
    owners = [str(cat.authors.values[i]) for i in np.flatnonzero((sizes >= 1) & (sizes <= 5))
              if len(cat.authors.values[i]) >= 7]
    rare.append(owners[int(rng.integers(len(owners)))] if owners else "zzz")
    mid = cat.model_id(int(rng.integers(len(cat) // 2, len(cat))))
    rare.append(mid.split("/")[-1][-12:])
    L = 100
    return [
        ("a1 text-gen 1B-10B >=10 dl / downloads",
         CatalogQuery(task="text-generation", params_min=10**9, params_max=10**10, min_downloads=10, limit=L)),
        ("a2 text-class <=200M >=100 dl / likes",
         CatalogQuery(task="text-classification", params_max=2 * 10**8, min_downloads=100, sort="likes", limit=L)),
        ("a3 img-seg >=10M >=1000 dl / created",
         CatalogQuery(task="image-segmentation", params_min=10**7, min_downloads=1000, sort="created", limit=L)),
        ("b1 search 'llama' / downloads", CatalogQuery(search="llama", limit=L)),
        ("b2 search 'gguf' / likes", CatalogQuery(search="gguf", sort="likes", limit=L)),
        ("b3 search 'bert' / created", CatalogQuery(search="bert", sort="created", limit=L)),
        ("b4 search 'Qwen2.5-7B' / downloads", CatalogQuery(search="Qwen2.5-7B", limit=L)),
        (f"b5 rare {rare[0]!r} / downloads", CatalogQuery(search=rare[0], limit=L)),
        (f"b6 rare {rare[1]!r} / created", CatalogQuery(search=rare[1], sort="created", limit=L)),
        ("b7 search '-0.5b-8bit' / created", CatalogQuery(search="-0.5b-8bit", sort="created", limit=L)),
        ("b8 search '-8bit-v1' (69 hits) / downloads", CatalogQuery(search="-8bit-v1", limit=L)),
        ("b9 search 'ma-7b-v' + text-gen / trending",
         CatalogQuery(search="ma-7b-v", task="text-generation", sort="trending", limit=L)),
        ("c1 apache-2.0 + fr / downloads", CatalogQuery(license="apache-2.0", language="fr", limit=L)),
        ("c2 mit + ja / likes", CatalogQuery(license="mit", language="ja", sort="likes", limit=L)),
        ("c3 cc-by-nc-4.0 + de / created",
         CatalogQuery(license="cc-by-nc-4.0", language="de", sort="created", limit=L)),
    ]


def timed(fn, repeat: int) -> tuple[float, float, object]:
    out = fn()  # warm-up
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    return statistics.median(ts), ts[min(len(ts) - 1, int(round(0.95 * (len(ts) - 1))))], out


def engines(table):
    """DuckDB (its own table) and Polars (a DataFrame) over the same rows, plus the input order ``rn``
    (the engine's last tie-break) and the parameter count the engine reads."""
    import duckdb
    import polars as pl
    import pyarrow as pa
    import pyarrow.compute as pc

    st = table.column("safetensors")
    params = pc.coalesce(pc.struct_field(st, "total"), table.column("params_total"))
    base = pa.table({"rn": pa.array(np.arange(table.num_rows)), "id": table.column("id"),
                     "pipeline_tag": table.column("pipeline_tag"), "library_name": table.column("library_name"),
                     "params": params, "downloads": table.column("downloads"), "likes": table.column("likes"),
                     "trending": table.column("trendingScore"), "created": table.column("createdAt"),
                     "modified": table.column("lastModified"), "tags": table.column("tags")})
    con = duckdb.connect()
    con.register("src", base)
    con.execute("CREATE TABLE m AS SELECT *, lower(id) AS lid FROM src")
    con.unregister("src")
    df = pl.from_arrow(base).with_columns(pl.col("id").str.to_lowercase().alias("lid"))
    return con, df


def duck_query(con, q: CatalogQuery) -> list[str]:
    where, args = [], []
    if q.task:
        where.append("pipeline_tag = ?")
        args.append(q.task)
    if q.search:
        where.append("contains(lid, ?)")
        args.append(q.search.lower())
    if q.license:
        where.append("list_contains(tags, ?)")
        args.append("license:" + q.license)
    if q.language:
        where.append("list_contains(tags, ?)")
        args.append(q.language)
    if q.library:
        where.append("(lower(library_name) = ? OR list_contains(tags, ?))")
        args += [q.library, q.library]
    if q.params_min is not None:
        where.append("params >= ?")
        args.append(q.params_min)
    if q.params_max is not None:
        where.append("params <= ?")
        args.append(q.params_max)
    if q.min_downloads is not None:
        where.append("downloads >= ?")
        args.append(q.min_downloads)
    key = SORT_COL[q.sort]
    order = "downloads DESC, rn" if q.sort == "downloads" else f"{key} DESC NULLS LAST, downloads DESC, rn"
    sql = f"SELECT id FROM m {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order} LIMIT {q.limit + 1}"
    return [r[0] for r in con.execute(sql, args).fetchall()]


def polars_query(df, q: CatalogQuery) -> list[str]:
    import polars as pl

    e = pl.lit(True)
    if q.task:
        e &= pl.col("pipeline_tag") == q.task
    if q.search:
        e &= pl.col("lid").str.contains(q.search.lower(), literal=True)
    if q.license:
        e &= pl.col("tags").list.contains("license:" + q.license)
    if q.language:
        e &= pl.col("tags").list.contains(q.language)
    if q.library:
        e &= (pl.col("library_name").str.to_lowercase() == q.library) | pl.col("tags").list.contains(q.library)
    if q.params_min is not None:
        e &= pl.col("params") >= q.params_min
    if q.params_max is not None:
        e &= pl.col("params") <= q.params_max
    if q.min_downloads is not None:
        e &= pl.col("downloads") >= q.min_downloads
    keys = ["downloads", "rn"] if q.sort == "downloads" else [SORT_COL[q.sort], "downloads", "rn"]
    out = df.filter(e).sort(keys, descending=[k != "rn" for k in keys], nulls_last=True).head(q.limit + 1)
    return out.get_column("id").to_list()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--pandas-repeat", type=int, default=5)
    a = ap.parse_args(argv)

    import pyarrow.parquet as pq

    t = time.perf_counter()
    table = generate(a.rows, a.seed)
    print(f"synthetic catalog: {a.rows:,} rows in {time.perf_counter() - t:.1f}s (seed {a.seed})")
    with tempfile.TemporaryDirectory(prefix="bench_query_") as tmp:
        path = Path(tmp) / "models.parquet"
        pq.write_table(table, path)
        print(f"dump: {path.stat().st_size / 2**20:.0f} MiB parquet")
        from bench.bench_dump_load import measure, report
        loads = measure(path)
        report(loads)
        t = time.perf_counter()
        cat = SnapshotCatalog.from_file(path)
        print(f"this process: from_file {time.perf_counter() - t:.2f}s (the cached index)")
    t = time.perf_counter()
    df = pandas_frame(table)
    print(f"pandas frame: {time.perf_counter() - t:.1f}s, {df.memory_usage(deep=True).sum() / 2**20:.0f} MiB")
    t = time.perf_counter()
    con, pdf = engines(table)
    print(f"duckdb table + polars frame: {time.perf_counter() - t:.1f}s")
    del table
    gc.collect()

    print(f"\n{'query':40} {'engine p50':>10} {'search() p50':>12} {'p95':>6} "
          f"{'pandas p50':>10} {'ratio':>6} {'duckdb p50':>10} {'ratio':>6} "
          f"{'polars p50':>10} {'ratio':>6}  same  plan")
    worst_e50 = worst_s50 = 0.0
    worst_ratio, worst_db, all_same = float("inf"), float("inf"), True
    for label, q in suite(cat, a.seed):
        qn = q.normalized()
        e50, _, rows = timed(lambda q=q: cat.search_rows(q), a.repeat)
        plan = cat.last_plan
        s50, s95, res = timed(lambda q=q: cat.search(q), a.repeat)
        p50, _, ref = timed(lambda q=q: pandas_query(df, q), a.pandas_repeat)
        d50, _, dref = timed(lambda qn=qn: duck_query(con, qn), a.pandas_repeat)
        l50, _, lref = timed(lambda qn=qn: polars_query(pdf, qn), a.pandas_repeat)
        ids = cat.ids_of(rows)
        same = (ids == ref == dref == lref and [r.id for r in res.records] == ref[:q.limit]
                and res.has_more == (len(ref) > q.limit))
        all_same &= same
        worst_e50 = max(worst_e50, e50)
        worst_s50 = max(worst_s50, s50)
        worst_ratio = min(worst_ratio, p50 / s50)
        worst_db = min(worst_db, d50 / s50, l50 / s50)
        print(f"{label[:40]:40} {e50:8.2f}ms {s50:10.2f}ms {s95:6.2f} {p50:8.2f}ms {p50 / s50:5.1f}x "
              f"{d50:8.2f}ms {d50 / s50:5.1f}x {l50:8.2f}ms {l50 / s50:5.1f}x  {'yes' if same else 'NO '}   "
              f"{plan.mode}:{plan.driver}({plan.driver_rows}) n={len(ids)}")
    ours = loads["hubscout first start"]
    ok = worst_s50 <= 10 and worst_ratio >= 3 and worst_db >= 5
    print(f"\nsummary: worst search() p50 {worst_s50:.2f} ms (engine alone {worst_e50:.2f} ms; target <= 10), "
          f"worst ratio pandas/search() {worst_ratio:.1f}x (target >= 3), worst ratio min(duckdb, polars)/search() "
          f"{worst_db:.1f}x (target >= 5), steady RSS after a first load {ours['steady'] / 2**20:.0f} MiB, "
          f"answers equal to pandas, DuckDB and Polars: {'all' if all_same else 'NOT ALL'}; "
          f"query targets {'met' if ok else 'NOT met'}")
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
