"""Loading a user's whole-Hub dump: Hub Scout's catalog vs DuckDB and Polars on the same parquet.

    .venv/bin/python bench/bench_dump_load.py [--rows 2000000] [--seed 0] [--dump FILE]

Each contender runs in a fresh Python process (imports done before the clock starts) and reports its
load time, its peak resident memory during the load (``VmHWM`` minus the RSS after imports) and its
steady resident memory after the load (``VmRSS`` minus the same). Contenders:

* ``hubscout first start``: ``SnapshotCatalog.from_file`` on a dump never seen before: parse and build
  every index (the catalog is then ready); the index cache beside the dump is written by a background
  thread after that (reported as "cache written after");
* ``hubscout second start``: the same call again: the cache file is memory-mapped;
* ``duckdb``: ``CREATE TABLE models AS SELECT * FROM read_parquet(…)`` (DuckDB's own table);
* ``polars``: ``pl.read_parquet(…)``.

Targets (issue 7): first start <= 2x DuckDB's load time; peak <= 1.5x steady; second start <= 1 s.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROBE = r"""
import gc, json, sys, time
sys.path.insert(0, sys.argv[3])
kind, path = sys.argv[1], sys.argv[2]

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0

if kind.startswith("hubscout"):
    from lib.catalog.snapshot import SnapshotCatalog
    load = lambda: SnapshotCatalog.from_file(path)
elif kind == "duckdb":
    import duckdb
    con = duckdb.connect()
    def load():
        con.execute("CREATE TABLE models AS SELECT * FROM read_parquet(?)", [path])
        return con
elif kind == "polars":
    import polars as pl
    load = lambda: pl.read_parquet(path)
gc.collect()
base = status("VmRSS")
# the peak so far is the imports' peak; reset it so that VmHWM is the load's peak
try:
    open("/proc/self/clear_refs", "w").write("5")
except OSError:
    pass
t = time.perf_counter()
obj = load()
secs = time.perf_counter() - t
# a first start writes its index cache in the background once the catalog is ready: wait for it
# (its time is reported apart; the peak below includes it)
written = getattr(obj, "wait_index_cache", lambda: None)()
cache_s = time.perf_counter() - t
gc.collect()
print(json.dumps({"load_s": secs, "cache_s": cache_s if written else None, "peak": status("VmHWM") - base,
                  "steady": status("VmRSS") - base, "hwm_abs": status("VmHWM"), "base": base,
                  "phases": getattr(obj, "load_phases", None)}))
"""


def probe(kind: str, path: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", _PROBE, kind, str(path), str(ROOT)], capture_output=True,
                       text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"{kind} probe failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def measure(path: Path) -> dict[str, dict]:
    """Every contender on ``path`` (the hubscout cache beside it is removed first)."""
    for stale in path.parent.glob(path.name + ".hubscout-index"):
        stale.unlink()
    out = {}
    for kind in ("duckdb", "polars", "hubscout first start", "hubscout second start"):
        out[kind] = probe(kind, path)
    return out


def report(res: dict[str, dict]) -> bool:
    mib = 2**20
    print(f"{'contender':24} {'load':>8} {'peak RSS':>10} {'steady RSS':>11} {'peak/steady':>12}")
    for kind, m in res.items():
        ratio = m["peak"] / m["steady"] if m["steady"] > 0 else float("nan")
        print(f"{kind:24} {m['load_s']:7.2f}s {m['peak'] / mib:8.0f}Mi {m['steady'] / mib:9.0f}Mi {ratio:11.2f}x")
    ours, duck = res["hubscout first start"], res["duckdb"]
    again = res["hubscout second start"]
    t_ratio = ours["load_s"] / duck["load_s"]
    p_ratio = ours["peak"] / max(ours["steady"], 1)
    ok = t_ratio <= 2 and p_ratio <= 1.5 and again["load_s"] <= 1
    if ours.get("phases"):  # the first start's build phases (wall clock, this thread's view)
        print("first start phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in ours["phases"].items()))
    if ours.get("cache_s"):
        print(f"first start: catalog ready after {ours['load_s']:.2f}s, "
              f"index cache written after {ours['cache_s']:.2f}s")
    print(f"first start / duckdb load: {t_ratio:.1f}x (target <= 2); first start peak / steady: {p_ratio:.2f}x "
          f"(target <= 1.5); second start {again['load_s']:.2f}s (target <= 1 s); targets {'met' if ok else 'NOT met'}")
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dump", type=Path, help="an existing parquet dump (default: a synthetic one)")
    a = ap.parse_args(argv)
    if a.dump:
        report(measure(a.dump))
        return 0
    sys.path.insert(0, str(ROOT))
    import pyarrow.parquet as pq

    from bench.synthetic import generate
    with tempfile.TemporaryDirectory(prefix="bench_dump_load_") as tmp:
        path = Path(tmp) / "models.parquet"
        pq.write_table(generate(a.rows, a.seed), path)
        print(f"dump: {a.rows:,} synthetic models, {path.stat().st_size / 2**20:.0f} MiB parquet")
        report(measure(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
