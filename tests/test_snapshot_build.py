"""scripts/build_snapshot.py rebuilds the committed snapshot; bench_query runs (tiny smoke)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT.parent / "shared" / "data" / "hub"


def test_committed_snapshot_is_small_and_has_metadata():
    path = ROOT / "lib" / "data" / "catalog_snapshot.parquet"
    assert path.stat().st_size < 2 * 2**20
    meta = json.loads(pq.ParquetFile(path).schema_arrow.metadata[b"hubscout.snapshot"])
    assert meta["date"] == "2026-05-10" and len(meta["sources"]) == 2
    assert meta["rows"] == pq.ParquetFile(path).metadata.num_rows


@pytest.mark.skipif(not SRC.exists(), reason="../shared/data/hub is only needed to rebuild the snapshot")
def test_build_script_reproduces_committed_rows(tmp_path):
    out = tmp_path / "snap.parquet"
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_snapshot.py"), "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    built = pq.read_table(out).to_pylist()
    committed = pq.read_table(ROOT / "lib" / "data" / "catalog_snapshot.parquet").to_pylist()
    assert built == committed
    by_id = {row["id"]: row for row in built}
    assert by_id["deepseek-ai/Janus-Pro-7B"]["params_exact"] is False
    assert by_id["brain-bzh/reve-positions"]["pipeline_tag"] is None


def test_bench_query_smoke():
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_query.py"), "--rows", "20000",
                        "--repeat", "2", "--pandas-repeat", "1"], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "summary:" in r.stdout and "answers equal to pandas, DuckDB and Polars: all" in r.stdout
