"""Discover's cold start stays light: the results table is built without pandas, and the embedded
snapshot's index is cached, so a later start memory-maps it (no Arrow arrays built, no pandas).
The figure itself is measured beside a bare app by bench/bench_cold_start.py, not here."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_TABLE = """
import sys
from lib import results
from lib.hub.records import ModelRecord
recs = [ModelRecord.from_api({"id": "org/m", "downloads": 5, "lastModified": "2025-01-02T03:04:05Z",
                              "pipeline_tag": "fill-mask",
                              "safetensors": {"parameters": {"BF16": 10**9}, "total": 10**9}}),
        ModelRecord(id="org/ü-unknown")]
t = results.results_table(recs, {"org/m": "CPU bf16"})
print(json.dumps({"pandas": "pandas" in sys.modules, "names": t.column_names, "types": [str(x) for x in t.schema.types],
                  "rows": t.to_pylist()}, default=str))
"""


def _run(code: str, env: dict[str, str] | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", "import json\n" + code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_results_table_needs_no_pandas():
    got = _run(_TABLE)
    assert got["pandas"] is False
    assert got["names"] == ["Model", "Task", "Parameters", "Weights", "Fits here", "Downloads", "Likes", "License",
                            "Updated"]
    assert got["types"][5:7] == ["int64", "int64"] and got["types"][-1] == "timestamp[us, tz=UTC]"
    first, second = got["rows"]
    assert first["Model"] == "https://huggingface.co/org/m" and first["Weights"] == "2 GB"
    assert first["Fits here"] == "CPU bf16" and first["Downloads"] == 5 and first["Likes"] is None
    assert first["Updated"].startswith("2025-01-02 03:04:05")
    assert second["Model"].endswith("/org/ü-unknown") and second["Fits here"] == "–" and second["Updated"] is None


_EMBEDDED = """
import sys
from lib.catalog.query import CatalogQuery
from lib.catalog.snapshot import SnapshotCatalog
cat = SnapshotCatalog.embedded()
q = CatalogQuery.from_params({"task": "text-classification", "params_max": "500000000"}).normalized()
ids = [r.id for r in cat.search(q).records]
print(json.dumps({"cached": hasattr(cat, "_mmap"), "pandas": "pandas" in sys.modules, "ids": ids,
                  "label": cat.info.label, "n": len(cat), "facets": cat.facets()["task"][:5]}))
"""


def test_embedded_snapshot_index_is_cached_and_answers_the_same(tmp_path):
    env = {"HUBSCOUT_DATA_DIR": str(tmp_path)}
    built = _run(_EMBEDDED, env)
    assert not built["cached"]
    assert list((tmp_path / "index-cache").glob("*.hubscout-index")), "the built index was not saved"
    again = _run(_EMBEDDED, env)
    assert again["cached"] and again["pandas"] is False  # memory-mapped: no Arrow arrays built, no pandas
    assert {k: v for k, v in again.items() if k not in ("cached", "pandas")} == \
        {k: v for k, v in built.items() if k not in ("cached", "pandas")}
    assert built["ids"] and built["label"].startswith("Embedded snapshot")
