"""A synthetic Hub-shaped model catalog for benchmarks and property tests.

Distributions are sampled from the embedded snapshot (real Hub metadata): the task mix (including
the share of models without a task), parameter counts per task, and whole real tag lists (library,
languages, ``license:…``). Ids are ``owner/name``: owners are Zipf-distributed over real authors and
made-up user handles; names are built from the word pieces of real model names plus sizes, versions
and quantisation suffixes. Downloads and likes are heavy-tailed (most models have none), as on the Hub.
The result is a pyarrow Table with the Hub API's field names, deterministic for a given seed.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lib.catalog.snapshot import EMBEDDED_PATH

_SYL = np.array(["ka", "ro", "mi", "te", "la", "no", "shi", "ar", "ben", "dev", "ai", "lab", "x", "zen",
                 "vo", "qu", "el", "jo", "han", "lin", "ma", "ri", "sun", "tor", "ve", "yu", "ze", "pa",
                 "kim", "li", "wang", "chen", "smith", "nlp", "ml", "data", "org", "tech", "uni", "team"])
_SUFFIXES = np.array(["", "", "", "", "-GGUF", "-AWQ", "-GPTQ", "-4bit", "-8bit", "-mlx", "-onnx", "-lora",
                      "-finetuned", "-sft", "-dpo", "-merged", "-Instruct", "-chat", "-base", "-i1-GGUF"])
_SIZES = np.array(["", "", "", "", "-0.5B", "-1B", "-1.5B", "-3B", "-7B", "-8B", "-13B", "-70B", "-125M",
                   "-350M", "-small", "-base", "-large", "-tiny", "-mini", "-xl"])


def _snapshot() -> pa.Table:
    return pq.read_table(EMBEDDED_PATH)


def generate(n: int, seed: int = 0) -> pa.Table:
    """``n`` Hub-like model rows (pyarrow Table, Hub API field names)."""
    rng = np.random.default_rng(seed)
    snap = _snapshot().to_pydict()
    m = len(snap["id"])

    # ---- owners: Zipf over real authors + made-up handles --------------------------------------
    real_authors = sorted({a for a in snap["author"] if a})
    n_owners = max(50, n // 6)
    syl = rng.integers(0, len(_SYL), size=(n_owners, 3))
    digits = rng.integers(0, 1000, size=n_owners)
    made = ["".join(_SYL[s[: 1 + d % 3]]) + (str(d) if d % 4 == 0 else "") for s, d in zip(syl, digits)]
    made = [f"{h}-{i}" if i % 7 == 0 else h for i, h in enumerate(made)]
    owners = np.array(real_authors + made, dtype=object)
    ranks = rng.zipf(1.3, size=n) - 1
    owner_idx = np.where(ranks < len(owners), ranks, rng.integers(0, len(owners), size=n))
    # shuffle so that the most frequent owners are not simply the alphabetically first real ones
    owner_perm = rng.permutation(len(owners))
    owner_of = owners[owner_perm[owner_idx]]

    # ---- names: word pieces of real names -------------------------------------------------------
    pieces = Counter()
    for mid in snap["id"]:
        for p in re.split(r"[-_.]", mid.split("/")[-1]):
            if p:
                pieces[p] += 1
    words = np.array(list(pieces), dtype=object)
    wp = np.array(list(pieces.values()), dtype=np.float64)
    wp /= wp.sum()
    nw = rng.integers(1, 4, size=n)
    w = rng.choice(len(words), size=(n, 3), p=wp)
    size = _SIZES[rng.integers(0, len(_SIZES), size=n)]
    suf = _SUFFIXES[rng.integers(0, len(_SUFFIXES), size=n)]
    ver = rng.integers(0, 40, size=n)
    ids = []
    seen = set()
    for i in range(n):
        name = "-".join(words[w[i, : nw[i]]]) + size[i] + (f"-v{ver[i] % 4}" if ver[i] < 8 else "") + suf[i]
        mid = f"{owner_of[i]}/{name}"
        if mid in seen:
            mid = f"{mid}-{i}"
        seen.add(mid)
        ids.append(mid)

    # ---- task, params, tags from a real row (so that they stay consistent) ---------------------
    src = rng.integers(0, m, size=n)
    src_tbl = _snapshot().take(pa.array(src))
    task = src_tbl.column("pipeline_tag")
    p_src = src_tbl.column("params_total").to_numpy(zero_copy_only=False)
    p_src = np.nan_to_num(np.asarray(p_src, dtype=np.float64), nan=-1)
    jitter = np.exp(rng.normal(0, 0.25, size=n))
    params = np.where(p_src > 0, np.round(p_src * jitter), -1).astype(np.int64)
    exact = src_tbl.column("params_exact").to_numpy(zero_copy_only=False).astype(bool) & (params > 0)
    tags = src_tbl.column("tags")
    lib = src_tbl.column("library_name")

    # ---- popularity and dates -----------------------------------------------------------------
    zero = rng.random(n) < 0.45
    downloads = np.where(zero, 0, np.floor(np.exp(rng.normal(3.0, 2.6, size=n)))).astype(np.int64)
    likes = np.where(rng.random(n) < 0.7, 0, np.floor(np.exp(rng.normal(0.5, 1.6, size=n)))).astype(np.int64)
    trending = np.where(rng.random(n) < 0.9, 0.0, np.round(np.exp(rng.normal(0, 1.5, size=n)), 2))
    t0, t1 = 1_609_459_200, 1_778_371_200  # 2021-01-01 .. 2026-05-10
    created = (t0 + (t1 - t0) * rng.random(n) ** 0.6).astype(np.int64)
    modified = np.minimum(t1, created + (rng.random(n) * 3e7).astype(np.int64))
    g = rng.random(n)
    gated = np.where(g < 0.03, "auto", np.where(g < 0.05, "manual", "false"))

    total = pa.array(np.where(exact, params, 0), mask=~exact, type=pa.int64())
    bf16 = pa.array(np.where(exact, params, 0), mask=~exact, type=pa.int64())
    st = pa.StructArray.from_arrays([pa.StructArray.from_arrays([bf16], ["BF16"]), total], ["parameters", "total"],
                                    mask=pa.array(~exact))
    return pa.table({
        "id": pa.array(ids, pa.string()),
        "author": pa.array(owner_of.tolist(), pa.string()),
        "pipeline_tag": task,
        "library_name": lib,
        "downloads": downloads,
        "likes": likes,
        "trendingScore": trending,
        "createdAt": pa.array(created * 1000, pa.timestamp("ms", tz="UTC")),
        "lastModified": pa.array(modified * 1000, pa.timestamp("ms", tz="UTC")),
        "tags": tags,
        "gated": pa.array(gated.tolist(), pa.string()),
        "safetensors": st,
        # estimated counts (no safetensors) kept the way the embedded snapshot stores them
        "params_total": pa.array(np.where((params > 0) & ~exact, params, 0), mask=~((params > 0) & ~exact),
                                 type=pa.int64()),
    })
