"""Build lib/data/catalog_snapshot.parquet from the real Hub metadata in ../shared/data/hub.

    .venv/bin/python scripts/build_snapshot.py [--src DIR] [--out FILE]

Sources (read-only, see ../shared/README.md):
* ``exgenesis_models_by_task_2025-03.csv`` and ``exgenesis_top_1000_hf_models_2025-03.csv``
  (TheExGenesis/hugingface-data @1e55745, Hub snapshot of 2025-03-24): task, full tag list (library,
  languages, ``license:…``), creation date, 30-day downloads, parameter counts of mixed origin.
* ``llmfit_hf_models_2026-05-10.json`` (AlexsJones/llmfit @bab8c01, MIT): LLM / embedding models with
  ``safetensors.total`` parameter counts, downloads and likes of 2026-05-10; ``pipeline_tag`` is
  often ``unknown``.

Hub fields are read by lib/hub/normalize.py (library from the tags, card license and languages), the
same rules as live records and a user's dump.

Rules (the shared README's caveats):
* Parameter counts keep an exact/estimated flag. ExGenesis: exact only when the repo has a
  ``safetensors`` tag and the number is irregular (a ``safetensors.total``); round numbers were guessed
  from the name; irregular numbers without safetensors weights were copied from the base model.
  llmfit: exact unless a round number (a hand-entered / config estimate). No source has per-dtype
  counts, so ``params_by_dtype`` stays empty in the embedded snapshot.
* ``pipeline_tag`` is never invented: llmfit's ``unknown`` stays unknown unless ExGenesis knows it.
* Likes: ExGenesis has none (unknown); llmfit's 0 means "not fetched" (1,726 of 1,852 rows, including
  very popular models), so only non-zero llmfit likes are kept.
* Downloads are "last 30 days" at the source's date; rows in both sources take llmfit's newer figure.
  Each row records its source (``source_index``) so the app can say which date a figure is from.
* Trending scores, last-modified dates and gating are in no source: left unknown.
* Architecture facts (llmfit only, read by llmfit from each repo's config.json): ``architecture``
  (the config's ``model_type``, e.g. ``qwen2``; llmfit's ``unknown`` -> null), ``context_length``
  (``max_position_embeddings``), ``num_hidden_layers``, ``num_attention_heads``,
  ``num_key_value_heads``, ``head_dim``, ``hidden_size``, ``vocab_size``; null when llmfit has none.
  llmfit writes 4,096 as ``context_length`` when it could not read a config (164 of the 237 rows
  without any size number, e.g. gated meta-llama/Llama-3.1-8B-Instruct, really 131,072): a 4,096
  with no other number is that placeholder and is dropped. llmfit has no ``intermediate_size``
  (its ``moe_intermediate_size`` is ambiguous between dense and expert MLPs: not kept).
"""
from __future__ import annotations

import argparse
import ast
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lib.hub import normalize as nz  # noqa: E402 - the one reading of Hub fields

DEFAULT_SRC = ROOT.parent / "shared" / "data" / "hub"
DEFAULT_OUT = ROOT / "lib" / "data" / "catalog_snapshot.parquet"

EXG_DATE = "2025-03-24"
LLMFIT_DATE = "2026-05-10"
SOURCES = [
    f"TheExGenesis/hugingface-data @1e55745 — Hub model metadata snapshot of {EXG_DATE} "
    "(models by task + top 1,000 by downloads); no licence file, factual metadata from the public Hub API",
    f"AlexsJones/llmfit @bab8c01 data/hf_models.json — snapshot of {LLMFIT_DATE}; MIT licence, "
    "Copyright (c) 2026 Alex Jones",
]
ROW_SOURCES = [
    f"ExGenesis Hub snapshot {EXG_DATE}",
    f"llmfit hf_models.json {LLMFIT_DATE}",
    f"ExGenesis {EXG_DATE} (task, tags, dates) + llmfit {LLMFIT_DATE} (downloads, parameters, architecture)",
]
ROW_DATES = [EXG_DATE, LLMFIT_DATE, LLMFIT_DATE]
# Architecture columns: llmfit field -> parquet column (int32, null when unknown).
CONFIG_INT_FIELDS = ("context_length", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                     "head_dim", "hidden_size", "vocab_size")
CONFIG_SIZE_FIELDS = CONFIG_INT_FIELDS[1:]
LLMFIT_DEFAULT_CONTEXT = 4096

def _size_from_name(name: str) -> list[float]:
    """Sizes written in a model name: 7B, 1.3b, 350M, 0.5B, 22m, 500k."""
    out = []
    for num, unit in re.findall(r"(?<![a-z0-9])(\d+(?:[._]\d+)?)\s*([bmk])(?![a-z])", name.lower()):
        v = float(num.replace("_", "."))
        out.append(v * {"b": 1e9, "m": 1e6, "k": 1e3}[unit])
    return out


def _is_round(p: int) -> bool:
    return p % 100_000 == 0


def _list(v) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    if isinstance(v, list):
        return [str(x) for x in v]
    s = str(v).strip()
    if s.startswith("["):
        try:
            return [str(x) for x in ast.literal_eval(s)]
        except (ValueError, SyntaxError):
            return []
    return [x.strip() for x in s.split(",") if x.strip()]


def _nan(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def exgenesis_rows(src: Path) -> dict[str, dict]:
    import pandas as pd

    rows: dict[str, dict] = {}
    for fname in ("exgenesis_models_by_task_2025-03.csv", "exgenesis_top_1000_hf_models_2025-03.csv"):
        df = pd.read_csv(src / fname)
        for rec in df.to_dict("records"):
            mid = str(rec["model_id"]).strip()
            tags = _list(rec.get("tags"))
            p = _nan(rec.get("parameters"))
            p = int(p) if p is not None and p > 0 else None
            name = mid.split("/")[-1]
            params_exact = False
            param_source = None
            if p is not None:
                if "safetensors" in tags and not _is_round(p):
                    params_exact, param_source = True, "safetensors.total"
                elif _is_round(p) or any(abs(s - p) < 1 for s in _size_from_name(name)):
                    param_source = "estimated from the model name"
                elif _list(rec.get("base_model")):
                    param_source = "copied from the base model (estimate)"
                else:
                    param_source = "estimate (origin unknown)"
            task = _nan(rec.get("tasks"))
            lib = nz.library(None, tags)
            row = {
                "id": mid,
                "author": mid.split("/", 1)[0] if "/" in mid else None,
                "pipeline_tag": str(task) if task else None,
                "library_name": lib,
                "downloads": int(rec["downloads"]) if _nan(rec.get("downloads")) is not None else None,
                "likes": None,
                "createdAt": _iso(_nan(rec.get("created_at"))),
                "tags": tags,
                # the card's license and languages; the tags hold the rest (the engine reads both)
                "license": nz.license_value(_nan(rec.get("license"))),
                "languages": list(nz.card_languages(_list(rec.get("languages")))),
                "params_total": p,
                "params_exact": params_exact,
                "param_source": param_source,
                "source_index": 0,
            }
            old = rows.get(mid)
            if old is None:
                rows[mid] = row
            else:  # in both ExGenesis files: fill gaps, prefer an exact parameter count
                for k, v in row.items():
                    if old.get(k) in (None, [], "") and v not in (None, [], ""):
                        old[k] = v
                if row["params_exact"] and not old["params_exact"]:
                    for k in ("params_total", "params_exact", "param_source"):
                        old[k] = row[k]
    return rows


def _iso(v) -> str | None:
    if not v:
        return None
    s = str(v).strip().replace(" ", "T")
    s = re.sub(r"\+00:?00$", "Z", s)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        s += "T00:00:00Z"
    return s


def _pos(v) -> int | None:
    return int(v) if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31 else None


def config_facts(rec: dict) -> dict:
    """llmfit's architecture fields of one model, null when absent (see the module docstring)."""
    out = {k: _pos(rec.get(k)) for k in CONFIG_INT_FIELDS}
    arch = rec.get("architecture")
    out["architecture"] = str(arch) if arch and str(arch).strip().lower() != "unknown" else None
    if out["context_length"] == LLMFIT_DEFAULT_CONTEXT and not any(out[k] for k in CONFIG_SIZE_FIELDS):
        out["context_length"] = None  # llmfit's placeholder for an unread config
    return out


def llmfit_rows(src: Path) -> dict[str, dict]:
    data = json.loads((src / "llmfit_hf_models_2026-05-10.json").read_text())
    rows = {}
    for rec in data:
        mid = str(rec["name"]).strip()
        p = rec.get("parameters_raw")
        p = int(p) if isinstance(p, (int, float)) and p > 0 else None
        exact = p is not None and not _is_round(p)
        task = rec.get("pipeline_tag")
        likes = rec.get("hf_likes")
        rows[mid] = {
            "id": mid,
            "author": mid.split("/", 1)[0] if "/" in mid else None,
            "pipeline_tag": task if task and task != "unknown" else None,
            "library_name": None,
            "downloads": int(rec["hf_downloads"]) if rec.get("hf_downloads") is not None else None,
            "likes": int(likes) if isinstance(likes, int) and likes > 0 else None,
            "createdAt": _iso(rec.get("release_date")),
            "tags": [],
            "license": None,
            "languages": [],
            "params_total": p,
            "params_exact": exact,
            "param_source": (("safetensors.total (llmfit)" if exact else "estimate (llmfit, round number)")
                             if p else None),
            "source_index": 1,
            **config_facts(rec),
        }
    return rows


def merge(exg: dict[str, dict], llm: dict[str, dict]) -> list[dict]:
    out = dict(exg)
    for mid, lrec in llm.items():
        e = out.get(mid)
        if e is None:
            out[mid] = lrec
            continue
        m = dict(e)
        m["source_index"] = 2
        m["downloads"] = lrec["downloads"] if lrec["downloads"] is not None else e["downloads"]
        m["likes"] = lrec["likes"]
        m["pipeline_tag"] = lrec["pipeline_tag"] or e["pipeline_tag"]
        if lrec["params_total"] and (lrec["params_exact"] or not e["params_exact"]):
            for k in ("params_total", "params_exact", "param_source"):
                m[k] = lrec[k]
        m["createdAt"] = e["createdAt"] or lrec["createdAt"]
        for k in ("architecture", *CONFIG_INT_FIELDS):
            m[k] = lrec[k]
        out[mid] = m
    return list(out.values())


def build(src: Path, out: Path) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    missing = [f for f in ("exgenesis_models_by_task_2025-03.csv", "exgenesis_top_1000_hf_models_2025-03.csv",
                           "llmfit_hf_models_2026-05-10.json") if not (src / f).exists()]
    if missing:
        raise SystemExit(f"missing source files in {src}: {', '.join(missing)}")
    rows = merge(exgenesis_rows(src), llmfit_rows(src))
    rows.sort(key=lambda r: (-(r["downloads"] or -1), r["id"]))
    schema = pa.schema([
        ("id", pa.string()), ("author", pa.string()), ("pipeline_tag", pa.string()),
        ("library_name", pa.string()), ("downloads", pa.int64()), ("likes", pa.int64()),
        ("createdAt", pa.string()), ("tags", pa.list_(pa.string())), ("license", pa.string()),
        ("languages", pa.list_(pa.string())), ("params_total", pa.int64()), ("params_exact", pa.bool_()),
        ("param_source", pa.string()), ("source_index", pa.int8()),
        ("architecture", pa.string()), *((k, pa.int32()) for k in CONFIG_INT_FIELDS),
    ])
    meta = {
        "date": LLMFIT_DATE,
        "dates": {"exgenesis": EXG_DATE, "llmfit": LLMFIT_DATE},
        "sources": SOURCES,
        "row_sources": ROW_SOURCES,
        "row_dates": ROW_DATES,
        "notes": [
            "downloads are 30-day figures at each row's source date",
            "likes unknown except non-zero llmfit values; trending, last-modified and gating unknown",
            "createdAt of llmfit-only rows is llmfit's release_date",
            "params_exact false = estimated (from the name, the base model or a round figure)",
            "architecture .. vocab_size: llmfit's config facts (architecture = config model_type, "
            "context_length = max_position_embeddings); no intermediate_size",
        ],
        "config_source": {"name": "llmfit", "date": LLMFIT_DATE,
                          "label": f"llmfit hf_models.json {LLMFIT_DATE}"},
        "rows": len(rows),
        "built_by": "scripts/build_snapshot.py",
    }
    table = pa.Table.from_pylist(rows, schema=schema)
    table = table.replace_schema_metadata({b"hubscout.snapshot": json.dumps(meta).encode()})
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out, compression="zstd", compression_level=19)
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    a = ap.parse_args(argv)
    meta = build(a.src, a.out)
    print(f"wrote {a.out} ({a.out.stat().st_size / 1024:.0f} KiB, {meta['rows']} models, snapshot {meta['date']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
