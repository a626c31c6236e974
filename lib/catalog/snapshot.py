"""SnapshotCatalog: the embedded Hub snapshot or a user's dump of the Hub's model list, queried locally.

The catalog answers :class:`~lib.catalog.query.CatalogQuery` with the live Hub's semantics
(see :meth:`SnapshotCatalog.search`) and is built to stay interactive at millions of rows:

* **Columnar storage.** Every field is a numpy array indexed by *row*. Rows are stored in
  "downloads descending" order (ties: input order), so the default sort is the row order itself,
  ``min_downloads`` is a prefix of the rows, and every posting list (sorted row ids) is already
  in downloads order.
* **Posting lists** (CSR: ``rows``, ``offsets``) for task, author, license, library (``library_name``
  or a tag naming a library) and language: an equality filter is a slice, not a scan.
* **Sort permutations** for likes / trending / created / modified (unknown values last, ties by
  downloads) plus their inverse ranks.
* **Ids** are one lowercase ASCII byte buffer with an offsets array (case is kept as a bit per byte),
  exposed zero-copy as an Arrow string array for vectorised substring tests. Rare substrings are found
  through posting lists of *rare* trigrams; common ones by scanning rows in sort order and stopping
  as soon as the page is full.

A query picks the smallest posting list as its driver, then either walks the driver in sort order
chunk by chunk (stopping early), or, when the matches are sparse, evaluates the whole driver and
takes the top rows by rank.
"""
from __future__ import annotations

import collections
import gzip
import io
import json
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from lib.catalog.query import CatalogQuery
from lib.catalog.result import SearchResult, SourceInfo
from lib.format import Day, Number
from lib.hub import normalize as nz
from lib.hub.records import ModelRecord
from lib.i18n import N_, Later


class _LazyCompute:
    """``pyarrow.compute``, imported on first use: it costs 0.1-0.3 s, and a catalog memory-mapped
    from its index cache (Discover's cold start) answers a filter query without it."""

    def __getattr__(self, name: str):
        import pyarrow.compute

        globals()["pc"] = pyarrow.compute
        return getattr(pyarrow.compute, name)


pc: Any = _LazyCompute()

EMBEDDED_PATH = Path(__file__).resolve().parents[1] / "data" / "catalog_snapshot.parquet"

# Parquet key-value metadata keys written by scripts/build_snapshot.py.
META_KEY = b"hubscout.snapshot"

GATED_UNKNOWN, GATED_OPEN, GATED_TRUE, GATED_AUTO, GATED_MANUAL = -1, 0, 1, 2, 3
_GATED_VALUES = {GATED_TRUE: True, GATED_AUTO: "auto", GATED_MANUAL: "manual", GATED_OPEN: False}

# Hub field names (camelCase as in the API) -> our column names. snake_case variants map too.
_ALIASES: dict[str, str] = {
    "id": "id", "modelId": "id", "model_id": "id", "modelid": "id",
    "author": "author",
    "pipeline_tag": "pipeline_tag", "pipelineTag": "pipeline_tag",
    "library_name": "library_name", "libraryName": "library_name",
    "downloads": "downloads",
    "likes": "likes",
    "trendingScore": "trending_score", "trending_score": "trending_score",
    "createdAt": "created_at", "created_at": "created_at",
    "lastModified": "last_modified", "last_modified": "last_modified",
    "tags": "tags",
    "gated": "gated",
    "safetensors": "safetensors",
    "cardData": "card_data", "card_data": "card_data",
    # Columns the embedded snapshot adds (not Hub fields).
    "params_total": "params_total", "params_exact": "params_exact", "param_source": "param_source",
    "license": "license", "languages": "languages", "source_index": "source_index",
    # Architecture facts (the embedded snapshot's llmfit columns; config.json key names map too).
    "architecture": "architecture", "model_type": "architecture",
    "context_length": "context_length", "max_position_embeddings": "context_length",
    "num_hidden_layers": "num_hidden_layers", "num_attention_heads": "num_attention_heads",
    "num_key_value_heads": "num_key_value_heads", "head_dim": "head_dim", "hidden_size": "hidden_size",
    "vocab_size": "vocab_size",
}

# Architecture columns -> config.json key names in ``ModelRecord.extra["config"]``.
CONFIG_INT_COLUMNS: dict[str, str] = {
    "num_hidden_layers": "num_hidden_layers", "num_attention_heads": "num_attention_heads",
    "num_key_value_heads": "num_key_value_heads", "head_dim": "head_dim", "hidden_size": "hidden_size",
    "vocab_size": "vocab_size", "context_length": "max_position_embeddings",
}

# n-gram codes over a 64-symbol alphabet: trigrams [0, 2^18), then bigrams, then single symbols.
_BIGRAM0 = 1 << 18
_UNIGRAM0 = _BIGRAM0 + (1 << 12)
_TRIGRAM_SPACE = _UNIGRAM0 + 64


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Postings:
    """Inverted index: for value code ``c``, rows ``rows[offsets[c]:offsets[c+1]]`` (ascending)."""

    values: list[str]
    index: dict[str, int]
    rows: np.ndarray
    offsets: np.ndarray

    @classmethod
    def build(cls, values: list[str], codes: np.ndarray, rows: np.ndarray | None = None) -> _Postings:
        """``codes[i]`` is the value of row ``rows[i]`` (``rows`` ascending; default ``arange``).
        Negative codes are skipped."""
        if rows is None:
            rows = np.arange(len(codes), dtype=np.int32)
        keep = codes >= 0
        codes, rows = codes[keep], rows[keep]
        order = _stable_argsort(codes)
        counts = np.bincount(codes, minlength=len(values)) if len(codes) else np.zeros(len(values), np.int64)
        offsets = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(values, {v: i for i, v in enumerate(values)}, rows[order].astype(np.int32), offsets)

    def get(self, value: str) -> np.ndarray | None:
        c = self.index.get(value)
        if c is None:
            return None
        return self.rows[self.offsets[c]:self.offsets[c + 1]]

    def counts(self) -> list[tuple[str, int]]:
        n = np.diff(self.offsets)
        order = sorted(range(len(self.values)), key=lambda i: (-int(n[i]), self.values[i]))
        return [(self.values[i], int(n[i])) for i in order if n[i] > 0]

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.offsets.nbytes


def _on_cores(fn: Callable[[Any], Any], args: list) -> list:
    """``[fn(a) for a in args]``, the first on this thread and the others on threads of their own
    (numpy releases the GIL in its loops: on a machine with cores to spare they run side by side)."""
    others = [_Background(lambda a=a: fn(a)) for a in args[1:]]
    return [fn(args[0])] + [b.result() for b in others] if args else []


class _Background:
    """``fn()`` in a daemon thread; :meth:`result` waits for it and returns its value or raises its
    exception (numpy and pyarrow release the GIL in their loops: the work runs on another core)."""

    def __init__(self, fn: Callable[[], Any], name: str = "hubscout-index", daemon: bool = True):
        self._value: tuple[bool, Any] | None = None

        def run() -> None:
            nonlocal fn
            try:
                self._value = (True, fn())
            except BaseException as exc:  # noqa: BLE001 - re-raised by result()
                self._value = (False, exc)
            fn = None  # what the function's closure holds is not kept alive by the finished thread

        self._thread = threading.Thread(target=run, name=name, daemon=daemon)
        self._thread.start()

    def running(self) -> bool:
        return self._thread.is_alive()

    def result(self) -> Any:
        """The value (once: the reference is dropped, so that a large one is freed with its user)."""
        self._thread.join()
        ok, value = self._value
        self._value = None
        if not ok:
            raise value
        return value


def _is_member(rows: np.ndarray, posting: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``rows`` are in the ascending ``posting``."""
    if len(posting) == 0:
        return np.zeros(len(rows), dtype=bool)
    i = np.searchsorted(posting, rows)
    np.minimum(i, len(posting) - 1, out=i)
    return posting[i] == rows


def _to_numpy(arr: pa.ChunkedArray | pa.Array, dtype, fill) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if np.dtype(dtype).kind == "f" and not pa.types.is_floating(arr.type):
        arr = pc.cast(arr, pa.float64())
    elif np.dtype(dtype).kind in "iu" and pa.types.is_floating(arr.type):
        arr = pc.cast(pc.if_else(pc.is_nan(arr), pa.scalar(None, arr.type), arr), pa.int64(), safe=False)
    view = _primitive_view(arr)
    if view is not None:
        if not arr.null_count:
            return view.astype(dtype, copy=False)
        out = view.astype(dtype, copy=True)
        valid = np.unpackbits(np.frombuffer(arr.buffers()[0], np.uint8), bitorder="little")
        out[~valid[arr.offset:arr.offset + len(arr)].astype(bool)] = fill
        return out
    if arr.null_count:
        arr = pc.fill_null(arr, fill)
    return arr.to_numpy(zero_copy_only=False).astype(dtype, copy=False)


def _arrow_ints(a: np.ndarray) -> pa.Array:
    """A numpy integer array as an Arrow array over the same memory (``pa.array`` would first
    import pandas to check for pandas objects)."""
    a = np.ascontiguousarray(a)
    return pa.Array.from_buffers(pa.from_numpy_dtype(a.dtype), len(a), [None, pa.py_buffer(a)])


def _primitive_view(arr: pa.Array) -> np.ndarray | None:
    """An integer / float / timestamp array's value buffer as a numpy view (null slots hold
    anything), without ``to_numpy``'s first-call import of pandas; None for other types."""
    t = arr.type
    if pa.types.is_integer(t):
        dt = np.dtype(f"{'i' if pa.types.is_signed_integer(t) else 'u'}{t.bit_width // 8}")
    elif pa.types.is_floating(t) and t.bit_width in (32, 64):
        dt = np.dtype(f"f{t.bit_width // 8}")
    elif pa.types.is_timestamp(t) or pa.types.is_date64(t) or pa.types.is_duration(t):
        dt = np.dtype(np.int64)
    else:
        return None
    buf = arr.buffers()[1]
    if buf is None:
        return np.zeros(len(arr), dt)
    return np.frombuffer(buf, dt, count=len(arr), offset=arr.offset * dt.itemsize)


def _small_codes(codes: np.ndarray, n_values: int) -> np.ndarray:
    """Codes in the smallest signed dtype that holds ``n_values`` codes and -1."""
    dt = np.int8 if n_values < 127 else np.int16 if n_values < 32767 else np.int32
    return codes.astype(dt, copy=False)


def _fit_int(a: np.ndarray) -> np.ndarray:
    """int32 when every value fits (exact), else int64."""
    if len(a) and (a.max() > np.iinfo(np.int32).max or a.min() < np.iinfo(np.int32).min):
        return a.astype(np.int64, copy=False)
    return a.astype(np.int32, copy=False)


def _u32(a: np.ndarray) -> np.ndarray:
    return np.clip(a, 0, np.iinfo(np.uint32).max).astype(np.uint32)


def release_memory() -> None:
    """Hand freed memory back to the OS: Arrow's pool and glibc's heap keep freed blocks otherwise
    (after a load, the parse and reorder temporaries would stay resident)."""
    pa.default_memory_pool().release_unused()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _dict_codes(arr: pa.ChunkedArray | pa.Array,
                order: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """Distinct values (in order of first appearance) and int32 codes (-1 for null / empty), of
    the rows in ``order`` when given.

    A dictionary-encoded column (as parquet delivers a column it stores with a dictionary) is
    translated chunk by chunk through its dictionaries, then its codes are reordered: no string
    is materialised or moved per row."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if chunks and all(pa.types.is_dictionary(c.type) for c in chunks):
        gidx: dict[str, int] = {}
        parts, prev, lut = [], None, None
        for ch in chunks:
            d = ch.dictionary
            if prev is None or not (d is prev or d.equals(prev)):
                lut = np.array([gidx.setdefault(str(v), len(gidx)) if v else -1 for v in d.to_pylist()] + [-1],
                               np.int32)
                prev = d
            parts.append(lut[_to_numpy(ch.indices, np.int32, -1)])
        codes = np.concatenate(parts) if parts else np.zeros(0, np.int32)
        if order is not None:
            codes = codes[order]
        return _first_seen(list(gidx), codes)
    if order is not None:
        arr = arr.take(_arrow_ints(order))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.cast(arr, pa.large_string()) if arr.type != pa.large_string() else arr
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)
    enc = pc.dictionary_encode(arr)
    values = [str(v) for v in enc.dictionary.to_pylist()]
    codes = _to_numpy(enc.indices, np.int32, -1)
    return values, codes


def _first_seen(values: list[str], codes: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Renumber ``values`` in order of first appearance in ``codes`` (dropping unused ones), as
    ``pc.dictionary_encode`` numbers them."""
    m = len(values)
    if not m:
        return values, codes
    first = np.full(m + 1, len(codes), np.int64)
    if len(codes):
        first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write (= lowest row) wins
    first = first[:m]
    used = np.flatnonzero(first < len(codes))
    used = used[np.argsort(first[used], kind="stable")]
    lut = np.full(m + 1, -1, np.int32)
    lut[used] = np.arange(len(used), dtype=np.int32)
    return [values[i] for i in used.tolist()], lut[codes]


def _list_codes(arr: pa.ChunkedArray | pa.Array, n: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A list-of-strings column -> (per-row lengths, flat int32 codes, values). Null lists are empty;
    null and empty strings are dropped. Dictionary-encoded elements are translated through their
    dictionaries."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    gidx: dict[str, int] = {}
    lens_parts, code_parts = [], []
    prev, lut = None, None
    for ch in chunks:
        lens_parts.append(_to_numpy(pc.list_value_length(ch), np.int64, 0))
        flat = ch.flatten()
        if not pa.types.is_dictionary(flat.type):
            flat = pc.dictionary_encode(pc.cast(flat, pa.large_string()))
        d = flat.dictionary
        if prev is None or not (d is prev or d.equals(prev)):
            lut = np.array([gidx.setdefault(str(v), len(gidx)) if v else -1 for v in d.to_pylist()] + [-1], np.int32)
            prev = d
        # -1 stays -1 until the end; int16 codes straight from the lookup (no int32 copy of the tags)
        code_parts.append((lut.astype(np.int16) if len(gidx) < 32767 else lut)[_to_numpy(flat.indices, np.int32, -1)])
    lens = np.concatenate(lens_parts) if lens_parts else np.zeros(n, np.int64)
    codes = np.concatenate(code_parts, dtype=np.uint16 if len(gidx) < 65535 else np.int32, casting="unsafe") \
        if code_parts else np.zeros(0, np.int32)
    del code_parts
    bad = np.flatnonzero(codes == (65535 if codes.dtype == np.uint16 else -1))
    if len(bad):
        off = np.concatenate([[0], np.cumsum(lens)])
        lens = lens - np.bincount(np.searchsorted(off, bad, side="right") - 1, minlength=n)
        codes = np.delete(codes, bad)
    return lens, codes, list(gidx)


def _stable_argsort(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` (int32 for < 2**31 rows), several times faster: one
    unstable sort of ``rank << b | index`` (numpy's SIMD sort), the rank being the key itself
    when its range fits, else its dense rank."""
    n = len(keys)
    if n < 2:
        return np.arange(n, dtype=np.int32)
    bits = max(1, int(n - 1).bit_length())
    if bits > 31:
        return np.argsort(keys, kind="stable")
    if keys.dtype.kind in "iub":
        lo, hi = int(keys.min()), int(keys.max())
        if hi - lo < (1 << 16):  # numpy's stable sort of 16-bit keys is a radix sort: linear
            small = np.subtract(keys, lo, dtype=np.int64).astype(np.uint16) if lo else keys.astype(np.uint16)
            return np.argsort(small, kind="stable").astype(np.int32)
        rank = keys.astype(np.int64) - lo if hi - lo < (1 << (63 - bits)) else None
    else:
        rank = None
    if rank is None:
        rank = np.searchsorted(np.unique(keys), keys).astype(np.int64)
    rank <<= bits
    rank |= np.arange(n, dtype=np.int64)
    rank.sort()
    rank &= (1 << bits) - 1
    return rank.astype(np.int32)


def _ts_seconds(arr: pa.ChunkedArray) -> np.ndarray:
    """Timestamps (or ISO strings) -> int64 epoch seconds, 0 when unknown."""
    col = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    t = col.type
    if pa.types.is_timestamp(t):
        ts = col
    elif pa.types.is_date(t):
        ts = pc.cast(col, pa.timestamp("s"))
    elif pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        if pa.types.is_null(t):
            return np.zeros(len(col), dtype=np.int64)
        try:
            ts = pc.cast(pc.replace_substring_regex(col, r"\+00:?00$", "Z"), pa.timestamp("ns", tz="UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            from lib.hub.records import parse_datetime
            out = np.zeros(len(col), dtype=np.int64)
            for i, v in enumerate(col.to_pylist()):
                d = parse_datetime(v)
                out[i] = int(d.timestamp()) if d else 0
            return out
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        v = _to_numpy(col, np.float64, 0)
        v = np.where(v > 1e11, v / 1000.0, v)  # milliseconds -> seconds
        return np.nan_to_num(v).astype(np.int64)
    else:
        raise ValueError(Later(N_("dates must be ISO strings or timestamps, got {type}"), type=str(t)))
    secs = pc.cast(pc.cast(ts, pa.timestamp("s", tz="UTC") if ts.type.tz else pa.timestamp("s"),
                           safe=False), pa.int64())
    out = _to_numpy(secs, np.int64, 0)
    return np.maximum(out, 0)


@dataclass(frozen=True)
class _ConfigFacts:
    """Architecture facts of the rows that have any, stored sparsely (a user's dump usually has
    none: then no array is allocated at all).

    ``rows`` ascending; ``ints[i, j]`` is column ``columns[j]`` of row ``rows[i]`` (-1 = unknown);
    ``arch_code[i]`` indexes ``arch_values`` (-1 = unknown).
    """

    columns: tuple[str, ...]
    rows: np.ndarray
    ints: np.ndarray
    arch_values: list[str]
    arch_code: np.ndarray

    @classmethod
    def build(cls, col: Callable[[str], Any], n: int) -> _ConfigFacts | None:
        def numeric(c: str) -> bool:  # other types (null, strings, lists) are ignored, not guessed at
            a = col(c)
            return a is not None and (pa.types.is_integer(a.type) or pa.types.is_floating(a.type))

        columns = tuple(c for c in CONFIG_INT_COLUMNS if numeric(c))
        arch = col("architecture")
        if arch is not None and not (pa.types.is_string(arch.type) or pa.types.is_large_string(arch.type)):
            arch = None
        if not columns and arch is None:
            return None
        ints = np.full((n, len(columns)), -1, np.int64)
        for j, c in enumerate(columns):
            v = _to_numpy(col(c), np.int64, -1)
            ints[:, j] = np.where(v > 0, v, -1)
        if arch is not None:
            arch_values, arch_code = _dict_codes(arch)
        else:
            arch_values, arch_code = [], np.full(n, -1, np.int32)
        has = (arch_code >= 0) | (ints >= 0).any(axis=1)
        rows = np.flatnonzero(has).astype(np.int32)
        if not len(rows):
            return None
        return cls(columns, rows, ints[rows].astype(np.int32 if ints.max() < 2**31 else np.int64),
                   arch_values, _small_codes(arch_code[rows], len(arch_values)))

    def config(self, row: int) -> dict[str, Any] | None:
        """The row's facts as a config.json-shaped dict (Hub config key names), None when none."""
        i = int(self.rows.searchsorted(self.rows.dtype.type(row)))
        if i >= len(self.rows) or self.rows[i] != row:
            return None
        out: dict[str, Any] = {}
        a = int(self.arch_code[i])
        if a >= 0:
            out["model_type"] = self.arch_values[a]
        for c, v in zip(self.columns, self.ints[i].tolist()):
            if v > 0:
                out[CONFIG_INT_COLUMNS[c]] = int(v)
        return out or None

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.ints.nbytes + self.arch_code.nbytes


def _string_pairs(arr, n: int, fn: Callable[[Any], str | None]) -> tuple[np.ndarray, np.ndarray, list]:
    """A string or list-of-strings column -> (rows, codes, values): row ``rows[i]`` holds
    ``values[codes[i]]`` (``fn`` applied once per distinct value; None values are dropped)."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        arr = pc.cast(arr, pa.large_list(pa.large_string()))
        lens = _to_numpy(pc.list_value_length(arr), np.int64, 0)
        rows = np.repeat(np.arange(n, dtype=np.int32), lens)
        flat = arr.flatten()
    elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        rows, flat = np.arange(n, dtype=np.int32), arr
    else:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), []
    vals, codes = _dict_codes(flat)
    vals = [fn(v) for v in vals]
    ok = codes >= 0
    return rows[ok], codes[ok], vals


def _multi_index(sources: list[tuple[np.ndarray, np.ndarray, list]], n: int, more: bool = False
                 ) -> tuple[_Postings, np.ndarray, dict[int, tuple[int, ...]]]:
    """A multi-valued field from several sources, in priority order: its posting lists, each row's
    first value code (-1 = none) and, with ``more``, the ordered codes of rows with several values."""
    gvals: dict[str, int] = {}
    rparts, cparts = [], []
    for rows, codes, values in sources:
        if not len(rows):
            continue
        remap = np.full(len(values) + 1, -1, np.int32)
        for c in np.flatnonzero(np.bincount(codes, minlength=len(values))).tolist():  # the codes used
            v = values[c]
            if v is not None:
                remap[c] = gvals.setdefault(v, len(gvals))
        g = remap[codes]
        ok = g >= 0
        rparts.append(rows[ok].astype(np.int32, copy=False))
        cparts.append(g[ok])
    values = list(gvals)
    first = np.full(n, -1, np.int32)
    if not rparts:
        return _Postings.build(values, np.zeros(0, np.int32)), first, {}
    rows = np.concatenate(rparts)
    codes = np.concatenate(cparts)
    del rparts, cparts
    first[rows[::-1]] = codes[::-1]  # the earliest source (and position) wins
    # (code, row) pairs, sorted and deduplicated in place: the posting lists in one pass
    key = codes.astype(np.int64)
    key *= n + 1
    key += rows
    if not more:
        del rows, codes
    key.sort()
    if len(key) > 1:
        keep = np.empty(len(key), bool)
        keep[0] = True
        np.not_equal(key[1:], key[:-1], out=keep[1:])
        key = key[keep]
        del keep
    prow = (key % (n + 1)).astype(np.int32)
    key //= n + 1
    offsets = np.zeros(len(values) + 1, np.int64)
    np.cumsum(np.bincount(key, minlength=len(values)), out=offsets[1:])
    del key
    post = _Postings(values, {v: i for i, v in enumerate(values)}, prow, offsets)
    extra: dict[int, tuple[int, ...]] = {}
    if more and len(prow):
        cnt = np.bincount(prow, minlength=n)
        sel = np.flatnonzero(cnt[rows] > 1)
        for r, c in zip(rows[sel].tolist(), codes[sel].tolist()):
            t = extra.get(r, ())
            if c not in t:
                extra[r] = t + (c,)
    return post, first, extra


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------
def _read_table(path: Path) -> tuple[pa.Table | _Columns, dict]:
    """Parquet, JSON lines (optionally .gz) or a JSON array -> (table, snapshot metadata or {}).
    A parquet file comes back as its :class:`_Columns`, read column by column as they are needed."""
    if not path.exists():
        raise ValueError(Later(N_("snapshot file not found: {path}"), path=str(path)))
    if path.is_dir():
        raise ValueError(Later(N_("snapshot path is a folder, expected a parquet or JSON-lines file: {path}"),
                               path=str(path)))
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        import pyarrow.parquet as pq
        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for corrupt files
            raise ValueError(Later(N_("{file}: not a readable parquet file ({error})"), file=path.name,
                                   error=str(exc))) from exc
        table = _Columns.of_parquet(path, pf, path.name)
        meta = {}
        raw = (pf.schema_arrow.metadata or {}).get(META_KEY)
        if raw:
            meta = json.loads(raw)
        return table, meta
    opener = gzip.open if head[:2] == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ValueError(Later(N_("{file}: cannot read ({error})"), file=path.name, error=str(exc))) from exc
    stripped = data.lstrip()
    if not stripped:
        raise ValueError(Later(N_("{file}: the file is empty"), file=path.name))
    if stripped[:1] == b"[":
        try:
            rows = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ValueError(Later(N_("{file}: not valid JSON ({error})"), file=path.name, error=str(exc))) from exc
        return _table_from_rows(rows, path.name), {}
    if stripped[:1] != b"{":
        raise ValueError(Later(N_("{file}: expected a parquet file or JSON lines (one Hub model object per line)"),
                               file=path.name))
    import pyarrow.json as pj
    try:
        table = pj.read_json(io.BytesIO(data), read_options=pj.ReadOptions(block_size=1 << 24))
        return table, {}
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        pass  # mixed types across lines (e.g. gated false / "auto"): parse line by line
    rows = []
    for lineno, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(Later(N_("{file}: line {line} is not valid JSON ({error})"), file=path.name, line=lineno,
                                   error=exc.msg)) from exc
    return _table_from_rows(rows, path.name), {}


def _table_from_rows(rows: Any, name: str) -> pa.Table:
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise ValueError(Later(N_("{file}: expected one JSON object per model"), file=name))
    cols: dict[str, list] = {}
    simple = {"id", "author", "pipeline_tag", "library_name", "created_at", "last_modified", "license",
              "param_source", "architecture"}
    n = len(rows)
    for i, r in enumerate(rows):
        for k, v in r.items():
            c = _ALIASES.get(k)
            if c is None:
                continue
            col = cols.setdefault(c, [None] * n)
            if c == "gated":
                v = None if v is None else str(v).lower()
            elif c in simple:
                v = None if v is None else str(v)
            elif c in ("downloads", "likes", "params_total", "source_index") or c in CONFIG_INT_COLUMNS:
                v = _num(v, int)
            elif c == "trending_score":
                v = _num(v, float)
            elif c in ("tags", "languages"):
                v = [str(t) for t in v] if isinstance(v, list) else ([str(v)] if isinstance(v, str) else None)
            elif c == "safetensors":
                v = _st_dict(v)
            elif c == "card_data":
                v = _card_dict(v)
            col[i] = v
    arrays = {}
    for c, vals in cols.items():
        if c == "safetensors":
            arrays[c] = pa.array(vals, pa.struct([("parameters", pa.map_(pa.string(), pa.int64())),
                                                  ("total", pa.int64())]))
        elif c == "card_data":
            arrays[c] = pa.array(vals, pa.struct([("license", pa.list_(pa.string())),
                                                  ("language", pa.list_(pa.string()))]))
        else:
            arrays[c] = pa.array(vals)
    return pa.table(arrays) if arrays else pa.table({"id": pa.array([], pa.string())})


def _num(v, typ):
    if v is None or isinstance(v, bool):
        return None
    try:
        x = typ(v)
    except (TypeError, ValueError):
        return None
    if typ is float and not math.isfinite(x):
        return None
    return x


def _st_dict(v):
    if not isinstance(v, Mapping):
        return None
    params = v.get("parameters")
    params = ([(str(k), int(n)) for k, n in params.items() if _num(n, int) is not None]
              if isinstance(params, Mapping) else None)
    return {"parameters": params, "total": _num(v.get("total"), int)}


def _card_dict(v):
    if not isinstance(v, Mapping):
        return None
    lic, lang = v.get("license"), v.get("language")
    lic = [lic] if isinstance(lic, str) else lic
    lang = [lang] if isinstance(lang, str) else lang
    return {"license": [str(x) for x in lic if x is not None] if isinstance(lic, list) else None,
            "language": [str(x) for x in lang if x is not None] if isinstance(lang, list) else None}


# The columns the catalog reads after the downloads, in the order it reads them:
# (name, decode the dictionary, deliver in row order) as passed to _Columns.get.
_COLUMN_PLAN: tuple[tuple[str, bool, bool], ...] = (
    ("author", False, False), ("id", True, True), ("pipeline_tag", False, False),
    ("library_name", False, False), ("tags", False, False), ("card_data", True, True),
    ("license", True, True), ("languages", True, True), ("likes", True, True),
    ("trending_score", True, True), ("created_at", True, True), ("last_modified", True, True),
    ("gated", False, True), ("safetensors", True, True), ("params_total", True, True),
    ("params_exact", True, True), ("param_source", True, True), ("source_index", True, True),
    *((c, True, True) for c in CONFIG_INT_COLUMNS), ("architecture", True, True),
)


class _Columns:
    """The input's columns under our names (:data:`_ALIASES`), each fetched when first asked for
    and delivered in the catalog's row order (``order``, set once the downloads are sorted).

    A parquet dump is read column by column (dictionary-encoded where the values repeat), so the
    load never holds the whole file's table, nor a reordered copy of it."""

    # columns whose strings repeat: read dictionary-encoded from parquet (codes, not strings)
    DICTIONARY = ("author", "pipeline_tag", "library_name", "gated", "tags")

    def __init__(self, names: Mapping[str, str], fetch: Callable[[str], Any], n: int):
        self.names = dict(names)  # our name -> the source's column name
        self._fetch = fetch
        self.n = n
        self.order: np.ndarray | None = None
        self._order_known = threading.Event()  # set_order was called (or the columns closed)
        self._plan: dict[tuple[str, bool, bool], int] = {}
        self._ready: dict[int, tuple[bool, Any]] = {}
        self._wanted = 0  # plan positions below this were delivered or skipped
        self._closed = False
        self._cond = threading.Condition()

    @classmethod
    def of_table(cls, table: pa.Table) -> _Columns:
        return cls({c: c for c in table.column_names}, table.column, table.num_rows)

    @classmethod
    def of_parquet(cls, path: Path, pf, name: str) -> _Columns:
        import pyarrow.parquet as pq

        names = _canonical_names(pf.schema_arrow.names, name)
        src_of = {v: k for k, v in names.items()}
        leaves: dict[str, list[str]] = {}
        for i in range(len(pf.schema)):
            leaf = pf.schema.column(i)
            top = leaf.path.split(".")[0]
            if src_of.get(top) in cls.DICTIONARY and leaf.physical_type == "BYTE_ARRAY":
                leaves.setdefault(top, []).append(leaf.path)

        lock = threading.Lock()  # one read at a time on the shared reader (read-ahead thread, caller)

        def fetch(src: str):
            with lock:
                return read(src)

        def read(src: str):
            try:
                rd = leaves.get(src)
                if not rd:
                    return pf.read(columns=[src]).column(0)
                f = pq.ParquetFile(path, read_dictionary=rd)
                if f.num_row_groups == 0:
                    return f.read(columns=[src]).column(0)
                try:  # row group by row group: pyarrow cannot deliver nested dictionaries in one go
                    chunks = [c for i in range(f.num_row_groups)
                              for c in f.read_row_group(i, columns=[src]).column(0).chunks]
                    return pa.chunked_array(chunks)
                except pa.ArrowNotImplementedError:  # a dictionary that changes inside a row group
                    return pq.read_table(path, columns=[src], read_dictionary=rd).column(0)
            except (OSError, pa.ArrowException) as exc:
                raise ValueError(Later(N_("{file}: not a readable parquet file ({error})"), file=name,
                                       error=str(exc))) from exc

        return cls(names, fetch, pf.metadata.num_rows)

    def prefetch(self, plan: Iterable[tuple[str, bool, bool]], ahead: int = 4, budget: int = 32 << 20) -> None:
        """Read the columns of ``plan`` (``(name, decode, ordered)`` in the order :meth:`get` will
        ask for them) in a background thread, at most ``ahead`` of them and ``budget`` bytes waiting
        to be taken (the next column is always read): the parquet decoding and the reorder (pyarrow,
        which runs without the GIL) overlap the caller's work on the previous columns. A column
        asked for out of turn is simply read then."""
        plan = [k for k in plan if k[0] in self.names]
        if not plan:
            return
        self._plan = {k: i for i, k in enumerate(plan)}
        fetch, cond = self._fetch, self._cond
        if self.order is not None:  # already given (else: set_order follows)
            self._order_known.set()

        def work() -> None:
            for i, (c, decode, ordered) in enumerate(plan):
                with cond:
                    while not self._closed and i > self._wanted and (
                            i - self._wanted >= ahead or self._waiting_bytes() > budget):
                        cond.wait()
                    if self._closed:
                        return
                    if i < self._wanted:
                        continue  # asked for out of turn, or skipped
                try:
                    arr = fetch(self.names[c])  # read before the row order is known, if it is not yet
                    if decode:
                        arr = _decode_dictionary(arr)
                    if ordered:
                        self._order_known.wait()
                        if self.order is not None:
                            arr = arr.take(_arrow_ints(self.order))
                    res = (True, arr)
                    del arr
                except BaseException as exc:  # noqa: BLE001 - delivered to the caller of get()
                    res = (False, exc)
                with cond:
                    if i >= self._wanted and not self._closed:
                        self._ready[i] = res
                    cond.notify_all()
                del res

        threading.Thread(target=work, name="hubscout-columns", daemon=True).start()

    def set_order(self, order: np.ndarray | None) -> None:
        """The catalog's row order (None: the input's): columns are delivered in it from now on."""
        self.order = order
        self._order_known.set()

    def _waiting_bytes(self) -> int:
        return sum(v.nbytes for ok, v in self._ready.values() if ok and v is not None)

    def close(self) -> None:
        """Drop the source (the file's reader, the table), the row order and any prefetched column."""
        with self._cond:
            self._closed = True
            self._ready.clear()
            self._cond.notify_all()
        self._order_known.set()
        self._fetch = None
        self.order = None

    def _load(self, fetch, order, c: str, decode: bool, ordered: bool):
        arr = fetch(self.names[c])
        if decode:
            arr = _decode_dictionary(arr)
        if ordered and order is not None:
            arr = arr.take(_arrow_ints(order))
        return arr

    def get(self, c: str, *, decode: bool = True, ordered: bool = True):
        """Column ``c`` (None when absent). ``decode``: dictionary-encoded values as plain ones."""
        if c not in self.names:
            return None
        i = self._plan.get((c, decode, ordered))
        if i is not None:
            with self._cond:
                if i >= self._wanted and not self._closed:
                    for j in [j for j in self._ready if j < i]:
                        del self._ready[j]  # skipped: never asked for
                    self._wanted = i
                    self._cond.notify_all()
                    while i not in self._ready:
                        self._cond.wait()
                    ok, value = self._ready.pop(i)
                    self._wanted = i + 1
                    self._cond.notify_all()
                    if not ok:
                        raise value
                    return value
        return self._load(self._fetch, self.order, c, decode, ordered)


def _decode_dictionary(arr):
    t = arr.type
    if pa.types.is_dictionary(t):
        return arr.cast(t.value_type)
    if (pa.types.is_list(t) or pa.types.is_large_list(t)) and pa.types.is_dictionary(t.value_type):
        return arr.cast((pa.large_list if pa.types.is_large_list(t) else pa.list_)(t.value_type.value_type))
    return arr


def _canonical_names(columns: list[str], name: str) -> dict[str, str]:
    """Our column name -> the source column (Hub / snake_case field names; others are ignored)."""
    out: dict[str, str] = {}
    for col_name in columns:
        c = _ALIASES.get(col_name) or _ALIASES.get(col_name.strip())
        if c and c not in out:
            out[c] = col_name
    if "id" not in out:
        if not columns:
            raise ValueError(Later(N_("{file}: no model id column (expected 'id' or 'modelId' as in the Hub API; "
                                      "found no columns)"), file=name))
        raise ValueError(Later(N_("{file}: no model id column (expected 'id' or 'modelId' as in the Hub API; "
                                  "found {columns})"), file=name, columns=", ".join(columns[:12])))
    return out


def _canonical(table: pa.Table, name: str) -> pa.Table:
    """Rename Hub / snake_case fields to our column names, drop the rest."""
    names = _canonical_names(table.column_names, name)
    return pa.table({c: table.column(src) for c, src in names.items()})


# ---------------------------------------------------------------------------------------------
# The catalog
# ---------------------------------------------------------------------------------------------
@dataclass
class _Plan:
    """How one query will be answered (exposed for tests and the benchmark)."""

    driver: str
    driver_rows: int
    mode: str = ""


class SnapshotCatalog:
    """A local, read-only Hub model catalog with the live Hub's query semantics."""

    _embedded: SnapshotCatalog | None = None
    _embedded_lock = threading.Lock()

    CHUNK0 = 4096
    CHUNK_MAX = 1 << 18
    # A query's driver rows are tested against the substring signatures one by one (a gather) when
    # they are fewer than 1/SIG_SCAN_RATIO of the rows in range, else all the signatures are
    # scanned in order: a gathered signature costs about six scanned ones (measured at 2M rows).
    SIG_SCAN_RATIO = 6
    # a driver of up to this many rows (or 1/20 of all) is evaluated whole rather than walked in sort order
    EVALUATE_MAX = 20000
    # n-grams in at most max(TRI_CAP_MIN, rows / 500) places get posting lists
    TRI_CAP_MIN = 2000

    def __init__(self, table: pa.Table | _Columns, meta: Mapping[str, Any] | None = None, *,
                 name: str = "snapshot", label: str | None = None):
        t0 = time.perf_counter()
        cols = table if isinstance(table, _Columns) else _Columns.of_table(_canonical(table, name))
        del table
        try:
            self._build(cols, dict(meta or {}), name, label)
        finally:
            cols.close()  # also when the build fails: the read-ahead thread stops, its columns go
        self.load_seconds = time.perf_counter() - t0
        release_memory()  # hand the reorder/parse temporaries back to the OS

    def _build(self, cols: _Columns, meta: dict, name: str, label: str | None) -> None:
        self.meta = meta
        n = cols.n
        self._n = n
        # wall-clock seconds per build phase (the benchmark prints them)
        self.load_phases: dict[str, float] = {}
        clock = [time.perf_counter()]

        def phase(name: str) -> None:
            now = time.perf_counter()
            self.load_phases[name] = self.load_phases.get(name, 0.0) + now - clock[0]
            clock[0] = now

        def col(c, decode=True):
            return cols.get(c, decode=decode)

        # ---- physical order: downloads desc, unknown last, ties in input order ------------------
        # Computed first from the downloads alone; every other column is then delivered in this
        # order one at a time (the whole table is never reordered or held twice).
        dl = col("downloads")
        downloads = _to_numpy(dl, np.int64, -1) if dl is not None else np.full(n, -1, np.int64)
        del dl
        cols.prefetch(_COLUMN_PLAN)  # the reads start now; their reordering waits for the order
        order = _stable_argsort(-downloads)
        if n and not np.all(order[1:] > order[:-1]):
            downloads = downloads[order]
        else:
            order = None
        cols.set_order(order)
        del order
        self.downloads = _fit_int(downloads)
        del downloads

        # author: the author field, else the id's owner part
        author_col = cols.get("author", decode=False, ordered=False)
        if author_col is not None:
            display_vals, display_code = _dict_codes(author_col, cols.order)
        else:
            display_vals, display_code = [], np.full(n, -1, np.int32)
        del author_col

        phase("order+author")  # i18n: a timing label for the log
        # ---- ids: validation ------------------------------------------------------------------
        ids = col("id")
        if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
            if pa.types.is_null(ids.type):
                raise ValueError(Later(N_("{file}: the id column is empty"), file=name))
            ids = pc.cast(ids, pa.large_string())
        ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
        if ids.null_count:
            raise ValueError(Later(N_("{file}: {n} rows have no model id"), file=name, n=ids.null_count))

        missing = np.flatnonzero(display_code < 0)
        if len(missing):
            sub = ids.take(_arrow_ints(missing))
            derived = pc.if_else(pc.match_substring(sub, "/"),
                                 pc.list_element(pc.split_pattern(sub, "/", max_splits=1), 0),
                                 pa.scalar(None, sub.type))
            dv, dc = _dict_codes(derived)
            gidx = {v: i for i, v in enumerate(display_vals)}
            lut = np.array([gidx.setdefault(v, len(gidx)) for v in dv] + [-1], np.int32)
            display_code = display_code.copy()
            display_code[missing] = lut[dc]
            display_vals, display_code = _first_seen(list(gidx), display_code)
            del sub, derived, dc
        del missing

        phase("ids read")  # i18n: a timing label for the log
        # ---- id buffer: lowercase bytes + offsets, case bits -----------------------------------
        bufs = ids.buffers()
        large = pa.types.is_large_string(ids.type)
        offsets = np.frombuffer(bufs[1], dtype=np.int64 if large else np.int32, count=n + 1,
                                offset=ids.offset * (8 if large else 4)).astype(np.int64)
        raw = bytes(memoryview(bufs[2])[offsets[0]:offsets[-1]]) if n and bufs[2] is not None else b""
        del bufs, ids  # the column's own buffers, before the lowercase copy
        offsets -= offsets[0]
        if not raw.isascii():
            raise ValueError(Later(N_("{file}: model ids must be ASCII (Hub repo ids are)"), file=name))
        lower = raw.lower()
        self.id_lower = lower
        self._has_upper = raw != lower
        self._upper_bits = np.zeros((len(raw) + 7) // 8, np.uint8)
        if self._has_upper:
            rb, lb = np.frombuffer(raw, np.uint8), np.frombuffer(lower, np.uint8)
            step = 1 << 22  # bytes per block (a multiple of 8): no id-sized boolean array
            for i in range(0, len(raw), step):
                self._upper_bits[i // 8:(i + step) // 8 + 1][:(min(step, len(raw) - i) + 7) // 8] = \
                    np.packbits(rb[i:i + step] != lb[i:i + step])
            del rb, lb
        del raw
        self.id_offsets = offsets.astype(np.int32) if offsets[-1] < np.iinfo(np.int32).max else offsets
        self._lower_arrow = self._arrow_ids()
        del offsets

        phase("id buffer")  # i18n: a timing label for the log
        # ---- categorical columns -------------------------------------------------------------
        task = cols.get("pipeline_tag", decode=False, ordered=False)
        task_vals, task_code = _dict_codes(task, cols.order) if task is not None else ([], np.full(n, -1, np.int32))
        del task
        self.tasks = _Postings.build(task_vals, task_code)
        self.task_code = _small_codes(task_code, len(task_vals))
        del task_code

        low_vals = []
        for v in display_vals:  # reuse the str object when it is already lowercase
            lv = v.lower()
            low_vals.append(v if lv == v else lv)
        uniq = {v: i for i, v in enumerate(dict.fromkeys(low_vals))}
        remap = np.array([uniq[v] for v in low_vals] + [-1], dtype=np.int32)
        self.author_code = remap[display_code] if len(low_vals) else display_code
        self.authors = _Postings.build(list(uniq), self.author_code)
        # Display spelling: one per lowercase author (the first seen); rows spelling it differently
        # are kept sparsely.
        first_display = np.full(len(uniq) + 1, -1, np.int32)
        first_display[remap[:-1][::-1]] = np.arange(len(low_vals) - 1, -1, -1, dtype=np.int32)
        self._author_display_vals = display_vals
        self._author_first_display = first_display
        odd = np.flatnonzero(first_display[self.author_code] != display_code)
        self._author_display_odd = {int(r): int(display_code[r]) for r in odd}
        del display_code, remap, low_vals, uniq


        lib = cols.get("library_name", decode=False, ordered=False)
        lib_vals, lib_code = _dict_codes(lib, cols.order) if lib is not None else ([], np.full(n, -1, np.int32))
        del lib

        phase("task+author+library")  # i18n: a timing label for the log
        # ---- tags: CSR of codes ----------------------------------------------------------------
        tags = cols.get("tags", decode=False, ordered=False)  # reordered below as codes, not strings
        if tags is not None and (pa.types.is_list(tags.type) or pa.types.is_large_list(tags.type)):
            lens, tcode, tag_vals = _list_codes(tags, n)
            del tags
            small = tcode
            del tcode
            if cols.order is not None:
                off = np.zeros(n + 1, np.int64)
                np.cumsum(lens, out=off[1:])
                big = off[-1] >= np.iinfo(np.int32).max
                la = (pa.LargeListArray if big else pa.ListArray).from_arrays(
                    _arrow_ints(off if big else off.astype(np.int32)), _arrow_ints(small))
                del off, small
                la = la.take(_arrow_ints(cols.order))
                lo = _primitive_view(la.offsets)
                small = _primitive_view(la.values)
                small = small[lo[0]:lo[-1]] if lo[0] == 0 and lo[-1] == len(small) else small[lo[0]:lo[-1]].copy()
                self.tag_offsets = _fit_int(lo - lo[0])
                del la, lo
            else:
                off = np.zeros(n + 1, np.int64)
                np.cumsum(lens, out=off[1:])
                self.tag_offsets = _fit_int(off)
            del lens
            self.tag_values = tag_vals
            self.tag_code = small
        elif tags is None or pa.types.is_null(tags.type):
            self.tag_offsets = np.zeros(n + 1, np.int32)
            self.tag_values, self.tag_code = [], np.zeros(0, np.uint16)
        else:
            raise ValueError(Later(N_("{file}: 'tags' must be a list of strings per model, got {type}"), file=name,
                                   type=str(tags.type)))
        self._tag_index = {v: i for i, v in enumerate(self.tag_values)}
        tcode32 = self.tag_code  # uint16 (or int32) codes: indexes the per-value lookup tables below
        tag_off = self.tag_offsets

        def all_rows() -> np.ndarray:
            return np.repeat(np.arange(n, dtype=np.int32), np.diff(tag_off))  # each tag's row

        # The tags a selection below can flag (license:*, languages, libraries), picked in one pass over
        # all the tags: the four selections then scan only these (about half the tags of a Hub-shaped dump).
        names0 = {v.lower() for v in lib_vals}
        wanted = np.array([v[:8].lower() == nz.LICENSE_PREFIX or nz.is_language_tag(v) or nz.is_library_tag(v)
                           or v in names0 for v in self.tag_values] + [False], bool)
        keep = wanted[tcode32]
        few_code, few_row = tcode32[keep], all_rows()[keep]
        del keep

        def tag_pos(mask_by_value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """The tag codes whose value is flagged, and their rows (selected by a mask: no array
            of positions, 8 bytes per tag, is made)."""
            if (mask_by_value & ~wanted).any():  # a value outside the pre-selection: all the tags
                sel = mask_by_value[tcode32]
                return tcode32[sel], all_rows()[sel]
            sel = mask_by_value[few_code]
            return few_code[sel], few_row[sel]

        release_memory()  # the ids' and tags' read buffers
        # the n-gram counts read only the id buffer: counted on a thread beside the next columns
        # (started after the tags' temporaries, the load's largest, are gone)
        ngram_job: list = []
        ngram_ready = threading.Event()

        def ngrams_work() -> tuple:
            ngram_job.extend(self._ngram_pairs(self._ngram_counts()))
            ngram_ready.set()
            return ngram_job[0]()

        ngrams = _Background(ngrams_work, name="hubscout-ngrams")
        tag_vals = self.tag_values
        card = col("card_data")
        card = card.combine_chunks() if card is not None and pa.types.is_struct(card.type) else None

        def card_field(f):
            if card is None or not any(card.type.field(i).name == f for i in range(card.type.num_fields)):
                return None
            return card.field(f)

        phase("tags")
        # ---- licenses: every license:* tag, then card data / license column (normalize.licenses) -----
        lic_src: list[tuple[np.ndarray, np.ndarray, list]] = []  # (rows, codes, values), priority order
        if len(tcode32):
            tag_license = [nz.license_value(v) if v[:8].lower() == nz.LICENSE_PREFIX else None for v in tag_vals]
            codes, rws = tag_pos(np.array([v is not None for v in tag_license] + [False], bool))
            lic_src.append((rws, codes, tag_license))
            del codes, rws
        for src in (card_field("license"), col("license")):
            if src is not None:
                lic_src.append(_string_pairs(src, n, nz.license_value))
        self.licenses, lic_code, self._license_more = _multi_index(lic_src, n, more=True)
        self.license_code = _small_codes(lic_code, len(self.licenses.values))

        phase("licenses")
        # ---- languages: card data / languages column, then language tags (normalize.languages) -----
        tag_is_lang = np.array([nz.is_language_tag(v) for v in tag_vals] + [False], dtype=bool)
        self._tag_is_lang = tag_is_lang.tolist()
        lang_src: list[tuple[np.ndarray, np.ndarray, list]] = []
        covered = np.zeros(n, bool)
        for src in (col("languages"), card_field("language")):
            if src is not None:
                rws, codes, vals = _string_pairs(src, n, lambda v: str(v).strip().lower() or None)
                keep = ~covered[rws]  # the first column that declares a row's languages is its card's
                covered[rws] = True
                lang_src.append((rws[keep], codes[keep], vals))
        explicit = _multi_index(lang_src, n, more=True) if lang_src else None
        if len(tcode32):
            codes, rws = tag_pos(tag_is_lang)
            lang_src.append((rws, codes, tag_vals))
            del codes, rws
        self.languages, _, _ = _multi_index(lang_src, n)
        del lang_src
        # card languages per row, sparse: rows ascending, CSR of codes into languages.values
        self._xl_rows, self._xl_off, self._xl_code = np.zeros(0, np.int32), np.zeros(1, np.int64), np.zeros(0, np.int32)
        if explicit is not None:
            ex_post, ex_first, ex_more = explicit
            remap = np.array([self.languages.index[v] for v in ex_post.values] + [-1], np.int32)
            ex_rows = np.flatnonzero(ex_first >= 0).astype(np.int32)
            lens = np.ones(len(ex_rows), np.int64)
            more_rows = np.array(sorted(ex_more), np.int64)
            idx = np.searchsorted(ex_rows, more_rows)
            if len(idx):
                lens[idx] = [len(ex_more[r]) for r in more_rows.tolist()]
            off = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
            codes = np.repeat(ex_first[ex_rows].astype(np.int32), lens)
            for i, r in zip(idx.tolist(), more_rows.tolist()):
                codes[off[i]:off[i + 1]] = ex_more[r]
            self._xl_rows, self._xl_off, self._xl_code = ex_rows, off, remap[codes]

        release_memory()  # the language pairs' temporaries
        phase("languages")
        # ---- library: library_name, else the first library tag (normalize.library) ---------------
        strong = np.array([nz.is_library_tag(v) and v not in nz.WEAK_LIBRARY_TAGS for v in tag_vals] + [False], bool)
        if len(tcode32) and strong.any():
            codes, rws = tag_pos(strong)
            first = np.ones(len(rws), bool)
            first[1:] = rws[1:] != rws[:-1]
            codes, rws = codes[first], rws[first]
            need = lib_code[rws] < 0
            if need.any():
                lib_vals = lib_vals + sorted({tag_vals[c] for c in np.unique(codes[need]).tolist()}
                                             - set(lib_vals))
                lut = np.full(len(tag_vals) + 1, -1, np.int32)
                for i, v in enumerate(lib_vals):
                    if v in self._tag_index:
                        lut[self._tag_index[v]] = i
                lib_code = lib_code.copy()
                lib_code[rws[need]] = lut[codes[need]]
            del codes, rws
        self.library_code = _small_codes(lib_code, len(lib_vals))
        self.library_values = lib_vals
        # the library filter: library_name or any tag naming a library (the Hub's filter= on tags)
        lib_low = [v.lower() for v in lib_vals]
        lib_src = [(np.flatnonzero(lib_code >= 0).astype(np.int32), lib_code[lib_code >= 0], lib_low)]
        if len(tcode32):
            names = set(lib_low)
            is_lib = np.array([nz.is_library_tag(v) or v in names for v in tag_vals] + [False], bool)
            codes, rws = tag_pos(is_lib)
            lib_src.append((rws, codes, tag_vals))
            del codes, rws
        self.libraries, _, _ = _multi_index(lib_src, n)
        tcode32 = few_code = few_row = None  # (tag_pos's lookups)
        del lib_code, lib_src

        release_memory()  # the tag lookups' temporaries
        phase("library")
        # ---- numbers ---------------------------------------------------------------------------
        a = col("likes")
        self.likes = _fit_int(_to_numpy(a, np.int64, -1)) if a is not None else np.full(n, -1, np.int32)
        a = col("trending_score")
        self.trending = _to_numpy(a, np.float64, np.nan) if a is not None else np.full(n, np.nan)
        # epoch seconds as uint32 (exact until 2106), 0 when unknown
        a = col("created_at")
        self.created = _u32(_ts_seconds(a)) if a is not None else np.zeros(n, np.uint32)
        a = col("last_modified")
        self.modified = _u32(_ts_seconds(a)) if a is not None else np.zeros(n, np.uint32)
        self._gated = self._gated_codes(col("gated", decode=False), n)
        del a
        self._gated_has_unknown = bool((self._gated == GATED_UNKNOWN).any())
        release_memory()  # the dates' conversions, before the safetensors struct

        params = np.full(n, -1, np.int64)
        exact = np.zeros(n, dtype=bool)
        self._dtype_names: list[str] = []
        self._dtype_rows = np.zeros(0, np.int32)
        self._dtype_code = np.zeros(0, np.int16)
        self._dtype_count = np.zeros(0, np.int64)
        by_dtype_total = tot = has = None
        st = col("safetensors")
        if st is not None and pa.types.is_struct(st.type):
            st = st.combine_chunks()
            fnames = [st.type.field(i).name for i in range(st.type.num_fields)]
            by_dtype_total = None
            if "parameters" in fnames:
                by_dtype_total = self._read_dtypes(st.field("parameters"), n)
            if "total" in fnames:
                tot = _to_numpy(st.field("total"), np.int64, -1)
                has = tot > 0
                params[has] = tot[has]
                exact[has] = True
            if by_dtype_total is not None:
                fill = (params < 0) & (by_dtype_total > 0)
                params[fill] = by_dtype_total[fill]
                exact[fill] = True
        elif st is not None and not pa.types.is_null(st.type):
            raise ValueError(Later(N_("{file}: 'safetensors' must be an object {{parameters, total}}, got {type}"),
                                   file=name, type=str(st.type)))
        del st
        release_memory()
        pt = col("params_total")
        if pt is not None:
            pt = _to_numpy(pt, np.int64, -1)
            fill = (params < 0) & (pt > 0)
            params[fill] = pt[fill]
            pe = col("params_exact")
            if pe is not None:
                pe = _to_numpy(pe, bool, False)
                exact[fill] = pe[fill]
            del pt, pe, fill
        self.params = params
        self.params_exact = exact
        a = col("param_source")
        ps_vals, self._param_source_code = _dict_codes(a) if a is not None else ([], np.full(n, -1, np.int32))
        self._param_source_vals = ps_vals
        self._param_source_code = _small_codes(self._param_source_code, len(ps_vals))
        a = col("source_index")
        self._source_index = _to_numpy(a, np.int16, -1) if a is not None else None
        del a
        fetched: dict[str, Any] = {}

        def config_col(c):
            if c not in fetched:
                fetched[c] = col(c)
            return fetched[c]

        self._config_facts = _ConfigFacts.build(config_col, n)
        fetched.clear()

        release_memory()  # the number columns' read buffers
        phase("numbers+params")  # i18n: a timing label for the log
        # ---- sort permutations (downloads: the row order itself) ----------------------------------
        self._perm: dict[str, np.ndarray] = {}
        self._known: dict[str, int] = {"downloads": int((self.downloads >= 0).sum())}

        def sorts() -> None:
            for key, values in (("likes", self.likes), ("created", self.created), ("modified", self.modified)):
                self._add_sort(key, -values.astype(np.int64), values > 0 if key != "likes" else values >= 0)
            tr = self.trending
            self._add_sort("trending", np.where(np.isnan(tr), np.inf, -tr), ~np.isnan(tr))

        # ---- rare-trigram index for substring search --------------------------------------------
        cols.close()  # every column is read
        del lic_code, by_dtype_total, tot, has
        release_memory()  # the columns' temporaries, before the n-gram pass
        # the sorts read finished columns: on a thread, beside the n-gram posting lists' placement
        sorting = _Background(sorts, name="hubscout-sorts")
        # this thread, done with the columns, takes the n-gram chunks the other has not taken yet
        while not ngram_ready.wait(0.01) and ngrams.running():
            pass
        paired = [ngram_job[0]()] if ngram_ready.is_set() else []
        paired.append(ngrams.result())
        phase("n-grams (wait)")  # i18n: a timing label for the log
        self._place_ngrams(paired, ngram_job[1])
        del paired
        sorting.result()

        phase("sorts+n-gram postings")  # i18n: a timing label for the log
        # ---- source info -----------------------------------------------------------------------
        date = meta.get("date")
        sources = tuple(meta.get("sources") or ())
        if label is None:
            label = (Later(N_("Embedded snapshot of {date}"), date=Day(date)) if meta.get("embedded") and date else
                     Later(N_("Snapshot file {file} of {date}"), file=name, date=Day(date)) if date else
                     Later(N_("Snapshot file {file}"), file=name))
        self.info = SourceInfo(kind="snapshot", label=label, date=date, sources=sources)
        self.row_sources: list[str] = list(meta.get("row_sources") or [])
        self.row_dates: list[str] = list(meta.get("row_dates") or [])
        cs = meta.get("config_source")
        if not isinstance(cs, Mapping):
            cs = {"name": name, "date": date, "label": label}
        self.config_source: dict[str, Any] = dict(cs)

    # ---- construction helpers -------------------------------------------------------------------
    def _arrow_ids(self) -> pa.Array:
        """The lowercase ids as an Arrow string array over the id buffer (zero-copy)."""
        cls = pa.StringArray if self.id_offsets.dtype == np.int32 else pa.LargeStringArray
        return cls.from_buffers(self._n, pa.py_buffer(self.id_offsets), pa.py_buffer(self.id_lower))

    @staticmethod
    def _gated_codes(arr, n) -> np.ndarray:
        if arr is None:
            return np.full(n, GATED_UNKNOWN, np.int8)
        if pa.types.is_boolean(arr.type):
            v = _to_numpy(pc.cast(arr, pa.int8()), np.int8, GATED_UNKNOWN)
            return v
        if pa.types.is_null(arr.type):
            return np.full(n, GATED_UNKNOWN, np.int8)
        vals, codes = _dict_codes(arr)
        m = {"false": GATED_OPEN, "0": GATED_OPEN, "true": GATED_TRUE, "1": GATED_TRUE,
             "auto": GATED_AUTO, "manual": GATED_MANUAL}
        lut = np.array([m.get(v.lower(), GATED_TRUE) for v in vals] + [GATED_UNKNOWN], dtype=np.int8)
        return lut[codes]

    def _read_dtypes(self, arr: pa.Array, n: int) -> np.ndarray | None:
        """Per-dtype parameter counts (struct of dtype fields or map dtype -> count), kept sparse."""
        rows, codes, counts, names = [], [], [], {}
        if pa.types.is_struct(arr.type):
            for i in range(arr.type.num_fields):
                f = arr.field(i)
                v = _to_numpy(f, np.int64, -1)
                r = np.flatnonzero(v > 0)
                if len(r):
                    c = names.setdefault(arr.type.field(i).name.upper(), len(names))
                    rows.append(r)
                    codes.append(np.full(len(r), c, np.int16))
                    counts.append(v[r])
        elif pa.types.is_map(arr.type):
            off = arr.offsets.to_numpy().astype(np.int64)
            lens = np.diff(off)
            keys = [str(k).upper() for k in arr.keys.slice(off[0], off[-1] - off[0]).to_pylist()]
            vals = _to_numpy(arr.items.slice(off[0], off[-1] - off[0]), np.int64, -1)
            r = np.repeat(np.arange(n), lens)
            c = np.array([names.setdefault(k, len(names)) for k in keys], dtype=np.int16)
            ok = vals > 0
            rows.append(r[ok])
            codes.append(c[ok])
            counts.append(vals[ok])
        else:
            return None
        if not rows:
            return None
        self._dtype_names = list(names)
        if len(rows) == 1 and bool((rows[0][1:] > rows[0][:-1]).all()):  # one count per row, ascending
            self._dtype_rows, self._dtype_code, self._dtype_count = rows[0].astype(np.int32), codes[0], counts[0]
            del rows, codes, counts
            total = np.zeros(n, np.int64)
            total[self._dtype_rows] = self._dtype_count
            return total
        r = np.concatenate(rows).astype(np.int32)
        o = _stable_argsort(r)
        self._dtype_rows, self._dtype_code, self._dtype_count = (
            r[o], np.concatenate(codes)[o], np.concatenate(counts)[o])
        return np.bincount(self._dtype_rows, weights=self._dtype_count, minlength=n).astype(np.int64)

    def _add_sort(self, key: str, neg_values: np.ndarray, known: np.ndarray) -> None:
        """``neg_values``: ascending is the sort order (ties: row order, i.e. by downloads)."""
        self._perm[key] = _stable_argsort(neg_values)
        self._known[key] = int(known.sum())

    def _sort_key(self, sort: str, rows: np.ndarray) -> np.ndarray:
        """Per-row key, ascending = the ``sort`` order (unknown values last; ties left to the row)."""
        if sort == "trending":
            v = self.trending[rows]
            return np.where(np.isnan(v), np.inf, -v)
        col = {"likes": self.likes, "created": self.created, "modified": self.modified}[sort]
        return -col[rows].astype(np.int64)

    def _ngram_counts(self) -> tuple:
        """The first pass of :meth:`_build_trigrams` (it reads only the id buffer, so the build runs it
        on a thread of its own beside the other columns): the rows' trigram signatures and every
        n-gram's number of occurrences."""
        n = self._n
        self._tri_cap = max(self.TRI_CAP_MIN, n // 500)  # rarer n-grams only: the signatures cover the rest
        lut = np.zeros(256, np.uint32)
        alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789-_./"
        for i, ch in enumerate(alphabet):
            lut[ch] = i + 1
        rest = [b for b in range(256) if lut[b] == 0]
        for j, b in enumerate(rest):
            lut[b] = 41 + j % 23
        self._tri_lut = lut
        off = self.id_offsets
        sig = np.zeros(n, np.uint64)
        sig2 = np.zeros(n, np.uint64)
        # row-aligned chunks of about 1 MB of id bytes (their temporaries stay in the CPU's caches),
        # of at most 2**14 rows: a (code, row in chunk) pair then fits a uint32 sort key
        row_bits = 14
        bounds = [0]
        if n:
            step = max(1, min(1 << row_bits, int(n * (1 << 20) / max(int(off[-1]), 1))))
            bounds = list(range(0, n, step)) + [n]
        table = lut.astype(np.uint8).tobytes()  # byte -> symbol, for bytes.translate
        ids = self.id_lower
        # each trigram code's bit in either signature (code 0: no trigram, no bit)
        all_tri = np.arange(1 << 18, dtype=np.uint32)
        # (both signatures' bits side by side: one gather and one reduceat give both)
        sig_bits = np.empty((1 << 18, 2), np.uint64)
        for w in (0, 1):
            sig_bits[:, w] = np.left_shift(np.uint64(1), _sig_bit(all_tri, w).astype(np.uint64))
        sig_bits[0] = 0
        del all_tri

        def codes(r0: int, r1: int) -> tuple[np.ndarray, ...]:
            """Symbols (uint8), bigram codes (uint16, without _BIGRAM0) and trigram codes (uint32)
            at every byte of rows r0..r1 (0 where the n-gram would cross an id end), the rows'
            starts within the chunk, and the positions of their last and second-to-last bytes."""
            a, b = int(off[r0]), int(off[r1])
            sym = np.frombuffer(ids[a:b].translate(table), np.uint8)  # (a gather would index by intp)
            bi = np.zeros(b - a, np.uint16)
            tri = np.zeros(b - a, np.uint32)
            if b - a >= 2:
                np.left_shift(sym[:-1], 6, out=bi[:-1], dtype=np.uint16)
                bi[:-1] |= sym[1:]
            if b - a >= 3:
                np.left_shift(bi[:-2], 6, out=tri[:-2], dtype=np.uint32)
                tri[:-2] |= sym[2:]
            starts = off[r0:r1 + 1].astype(np.int64) - a
            ends, lens = starts[1:], np.diff(starts)
            last1, last2 = ends[lens >= 1] - 1, ends[lens >= 2] - 2
            tri[last1] = 0
            tri[last2] = 0
            bi[last1] = 0
            return sym, bi, tri, starts, last1, last2

        # Occurrence counts. Only the trigrams are counted position by position: a bigram is the
        # head of the trigrams that start with it, or an id's last two bytes; a symbol likewise.
        def count(chunks: list[tuple[int, int]]) -> tuple[np.ndarray, ...]:
            tri_n = np.zeros(1 << 18, np.int64)
            bi_tail = np.zeros(1 << 12, np.int64)
            uni_tail = np.zeros(64, np.int64)
            for r0, r1 in chunks:
                sym, bi, tri, starts, last1, last2 = codes(r0, r1)
                tri_n += np.bincount(tri, minlength=1 << 18)
                bi_tail += np.bincount(bi[last2], minlength=1 << 12)
                uni_tail += np.bincount(sym[last1], minlength=64)
                if len(tri):
                    short = np.diff(starts) < 3
                    at = np.minimum(starts[:-1], len(tri) - 1)
                    # (np.take gathers faster than indexing with an array)
                    s = np.bitwise_or.reduceat(np.take(sig_bits, tri, axis=0), at, axis=0)
                    s[short] = 0
                    sig[r0:r1] = s[:, 0]
                    sig2[r0:r1] = s[:, 1]
            return tri_n, bi_tail, uni_tail

        chunks = list(zip(bounds[:-1], bounds[1:]))
        # counted two chunks at a time: fewer passes over the 2**18 counters
        tri_n, bi_tail, uni_tail = count([(chunks[i][0], chunks[min(i + 1, len(chunks) - 1)][1])
                                          for i in range(0, len(chunks), 2)])
        self._sig, self._sig2 = sig, sig2
        return codes, chunks, row_bits, tri_n, bi_tail, uni_tail

    def _build_trigrams(self, counted: tuple | None = None) -> None:
        """Posting lists (rows) of the n-grams (trigrams; bigrams and single symbols for short
        needles) of the lowercase ids that occur in few rows, and a
        64-bit trigram signature per row (bit ``h(t)`` set for every trigram ``t`` of the id).

        The signature is a one-word Bloom filter: a row can only contain a needle if its signature
        has all the needle's trigram bits, so a needle made of common pieces ("-0.5b-8bit") is
        answered by testing 8 bytes per row instead of the id's text, then verifying the few
        candidates."""
        pairs, row_bits = self._ngram_pairs(counted or self._ngram_counts())
        self._place_ngrams(_on_cores(lambda _: pairs(), [0, 1]), row_bits)  # one per core

    def _ngram_pairs(self, counted: tuple) -> tuple[Callable[[], tuple], int]:
        """The second pass of :meth:`_build_trigrams`: a function that takes chunks from a shared
        queue until it is empty and returns their rare n-grams' (n-gram, row) pairs and each
        n-gram's number of rows (several threads may call it at once: each chunk goes to one).
        Returned with ``row_bits``."""
        codes, chunks, row_bits, tri_n, bi_tail, uni_tail = counted
        work = collections.deque(chunks)  # popleft is atomic: the threads share it
        tri_n[0] = 0
        bi_n = tri_n.reshape(1 << 12, 64).sum(axis=1) + bi_tail
        bi_n[0] = 0
        uni_n = bi_n.reshape(64, 64).sum(axis=1) + uni_tail
        counts = np.concatenate([tri_n, bi_n, uni_n])
        counts[0] = counts[_BIGRAM0] = 0
        self._tri_df = counts.astype(np.int32)
        rare = (counts > 0) & (counts <= self._tri_cap)
        rare_tri, rare_bi, rare_uni = rare[:_BIGRAM0], rare[_BIGRAM0:_UNIGRAM0], rare[_UNIGRAM0:]
        any_bi, any_uni = bool(rare_bi.any()), bool(rare_uni.any())
        # (n-gram, row) pairs per chunk, sorted by n-gram then row; rows grow from chunk to chunk,
        # so the posting lists are the chunks' pairs placed by a counting sort (no global sort).
        # A chunk's pairs are kept as one uint32 key each (n-gram << row_bits | row in chunk).

        def pairs() -> tuple[list[tuple[np.ndarray, ...]], np.ndarray]:
            parts: list[tuple[np.ndarray, ...]] = []
            total = np.zeros(_TRIGRAM_SPACE, np.int64)
            while True:
                try:
                    r0, r1 = work.popleft()
                except IndexError:
                    break
                sym, bi, tri, starts, last1, last2 = codes(r0, r1)
                row_of = np.repeat(np.arange(r1 - r0, dtype=np.uint32), np.diff(starts))  # each byte's row
                # An n-gram occurs at most as often as its prefix: where a bigram is rare, the trigram
                # that starts there is rare too (or there is none: the id's last two bytes); likewise
                # a rare symbol starts a rare bigram or ends the id. So only the rare trigrams'
                # positions are looked up over the whole chunk.
                pos_t = np.flatnonzero(np.take(rare_tri, tri))
                pos_b = pos_u = None
                if any_bi:
                    cand = np.concatenate([pos_t, last2])
                    pos_b = cand[rare_bi[bi[cand]]]
                if any_uni:
                    cand = np.concatenate([pos_b if pos_b is not None else pos_t[:0], last1])
                    pos_u = cand[rare_uni[sym[cand]]]
                for g, pos, base in ((tri, pos_t, 0), (bi, pos_b, _BIGRAM0), (sym, pos_u, _UNIGRAM0)):
                    if pos is not None and len(pos):
                        k = g[pos].astype(np.uint32)
                        k <<= np.uint32(row_bits)
                        k |= row_of[pos]
                        k = _sorted_unique(k)  # an n-gram seen twice in one id counts once
                        gk, st, lens = _key_runs(k, row_bits, base)
                        total[gk[st]] += lens
                        parts.append((k, base, r0))
                        del gk, st, lens
            return parts, total

        return pairs, row_bits

    def _place_ngrams(self, paired: list[tuple], row_bits: int) -> None:
        """The posting lists from the results of :meth:`_ngram_pairs`' function (a counting sort)."""
        parts = [p for ps, _ in paired for p in ps]
        parts.sort(key=lambda p: p[2])  # by first row: each n-gram's rows ascend
        total = paired[0][1]
        for _, t in paired[1:]:
            total += t
        del paired
        rmask = np.uint32((1 << row_bits) - 1)
        offsets = np.zeros(_TRIGRAM_SPACE + 1, np.int64)
        np.cumsum(total, out=offsets[1:])
        cursor = offsets[:-1].copy()
        tri_rows = np.empty(int(offsets[-1]), np.int32)
        parts.reverse()
        while parts:
            k, base, r0 = parts.pop()
            gk, st, lens = _key_runs(k, row_bits, base)
            rk = (k & rmask).astype(np.int32)
            rk += r0
            del k
            pos = cursor[gk]
            pos += np.arange(len(gk), dtype=np.int64)
            pos -= np.repeat(st, lens)
            tri_rows[pos] = rk
            cursor[gk[st]] += lens
            del gk, rk, pos
        self._tri_rows = tri_rows
        self._tri_offsets = _fit_int(offsets)

    # ---- public constructors -----------------------------------------------------------------
    @classmethod
    def embedded(cls) -> SnapshotCatalog:
        """The snapshot committed in lib/data (loaded once per process).

        Its built index is cached like a dump's (:class:`IndexCache`), in the per-user cache dir
        only (never beside the file, inside the source tree): a later start memory-maps it in
        milliseconds, and builds no Arrow arrays (whose first use imports pandas, ~0.5-1 s of
        Discover's cold start)."""
        with cls._embedded_lock:
            if cls._embedded is None:
                store = IndexCache(EMBEDDED_PATH)
                store.paths = store.paths[1:]
                cat = store.load(cls)
                if cat is None:
                    table, meta = _read_table(EMBEDDED_PATH)
                    meta = {**meta, "embedded": True}
                    cat = cls(table, meta, name=EMBEDDED_PATH.name)
                    del table
                    release_memory()
                    store.save(cat)
                cls._embedded = cat
            return cls._embedded

    @classmethod
    def from_file(cls, path: str | os.PathLike, *, cache: bool = True,
                  cache_dir: str | os.PathLike | None = None) -> SnapshotCatalog:
        """Load a dump of the Hub's model list: parquet, JSON lines (``.gz`` ok) or a JSON array,
        one object per model with the Hub API's field names. Raises ValueError on a bad file.

        With ``cache`` the built index is saved beside the dump (``<dump>.hubscout-index``; in
        ``cache_dir`` — default: the per-user data dir — when the dump's folder is read-only) and the
        next load of the same, unchanged dump memory-maps it instead of rebuilding (see
        :class:`IndexCache`). A cache that cannot be read or written is ignored, never an error.

        The catalog is returned as soon as its index is built: the cache file is written by a
        background thread (:meth:`wait_index_cache` waits for it; the interpreter waits for it at
        exit), through a temporary file renamed into place, so that no reader sees half a cache."""
        p = Path(path).expanduser()
        store = IndexCache(p, cache_dir) if cache and p.is_file() else None
        if store is not None:
            cat = store.load(cls)
            if cat is not None:
                return cat
        cat = cls._build_from_file(p)
        if store is not None:
            cat._cache_writer = _Background(lambda: store.save(cat), name="hubscout-index-cache", daemon=False)
        return cat

    def wait_index_cache(self) -> Path | None:
        """Wait until the index cache of a :meth:`from_file` build is written; its path, or None
        (no cache written: loaded from a cache, ``cache=False``, or no writable location)."""
        writer = self.__dict__.pop("_cache_writer", None)
        if writer is not None:
            self._cache_path = writer.result()
        return self.__dict__.get("_cache_path")

    @classmethod
    def _build_from_file(cls, p: Path) -> SnapshotCatalog:
        table, meta = _read_table(p)
        if not meta.get("date"):
            meta["date"] = datetime.fromtimestamp(p.stat().st_mtime, UTC).date().isoformat()
            meta.setdefault("sources", [Later(N_("User-supplied file {file} (modified {date})"), file=p.name,
                                              date=Day(meta["date"]))])
        try:
            cat = cls(table, meta, name=p.name)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise ValueError(Later(N_("{file}: unexpected column types ({error})"), file=p.name,
                                   error=str(exc))) from exc
        finally:
            del table
            release_memory()  # the file's table and the load's temporaries
        return cat

    @classmethod
    def from_records(cls, rows: Iterable[Mapping[str, Any]], meta: Mapping[str, Any] | None = None,
                     name: str = "records") -> SnapshotCatalog:
        """Build from Hub-style dicts in memory (tests, tools)."""
        return cls(_table_from_rows(list(rows), name), meta or {}, name=name)

    # ---- basic access ------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"<SnapshotCatalog {self.info.label!r}: {self._n} models>"  # i18n: a repr for logs

    @property
    def nbytes(self) -> int:
        """Bytes held by the catalog's arrays and buffers."""
        total = len(self.id_lower) + self._upper_bits.nbytes
        for v in vars(self).values():
            if isinstance(v, (np.ndarray, _Postings, _ConfigFacts)):
                total += v.nbytes
            elif isinstance(v, dict):
                total += sum(a.nbytes for a in v.values() if isinstance(a, np.ndarray))
        return total

    def model_id(self, row: int) -> str:
        a, b = int(self.id_offsets[row]), int(self.id_offsets[row + 1])
        s = self.id_lower[a:b]
        if not self._has_upper:
            return s.decode()
        bits = np.unpackbits(self._upper_bits[a // 8:(b + 7) // 8])[a % 8:a % 8 + (b - a)]
        if not bits.any():
            return s.decode()
        arr = np.frombuffer(s, np.uint8).copy()
        arr[bits.astype(bool)] -= 32
        return arr.tobytes().decode()

    def find_row(self, model_id: str) -> int | None:
        """Row of a model id (exact case first, then case-insensitive), or None."""
        if not model_id or not self._n:
            return None
        needle = model_id.strip().lower().encode("utf-8", "ignore")
        if not needle:
            return None
        first = None
        for m in re.finditer(re.escape(needle), self.id_lower):
            a = m.start()
            r = int(np.searchsorted(self.id_offsets, a, side="right")) - 1
            if a == self.id_offsets[r] and m.end() == self.id_offsets[r + 1]:
                if self.model_id(r) == model_id.strip():
                    return r
                if first is None:
                    first = r
        return first

    def get(self, model_id: str) -> ModelRecord | None:
        r = self.find_row(model_id)
        return None if r is None else self.record(r)

    def record(self, row: int) -> ModelRecord:
        return self.records([row])[0]

    def records(self, rows: Iterable[int] | np.ndarray) -> list[ModelRecord]:
        """The :class:`ModelRecord` of each row (a result page): every column is gathered for all
        the rows at once, then each record is assembled from plain Python values."""
        rows = np.asarray(rows if isinstance(rows, np.ndarray) else list(rows), dtype=np.int64).reshape(-1)
        k = len(rows)
        if not k:
            return []
        ids = self._ids(rows)
        # tags: every row's codes in one gather
        t0 = self.tag_offsets[rows].astype(np.int64)
        tlen = self.tag_offsets[rows + 1].astype(np.int64) - t0
        tstart = np.zeros(k + 1, np.int64)
        np.cumsum(tlen, out=tstart[1:])
        tidx = np.repeat(t0 - tstart[:-1], tlen) + np.arange(int(tstart[-1]), dtype=np.int64)
        tall = self.tag_code[tidx].tolist()
        tstart = tstart.tolist()
        # parameters per dtype (sparse, rows ascending)
        dr = self._dtype_rows
        if len(dr):
            r = rows.astype(dr.dtype)  # the haystack's dtype: a mixed one converts the whole array
            da = np.searchsorted(dr, r, side="left").tolist()
            db = np.searchsorted(dr, r, side="right").tolist()
        # card languages (sparse, rows ascending)
        xr = self._xl_rows
        if len(xr):
            xi = np.minimum(np.searchsorted(xr, rows.astype(xr.dtype)), len(xr) - 1)
            xhit = (xr[xi] == rows).tolist()
            xi = xi.tolist()
        params = self.params[rows].tolist()
        exact = self.params_exact[rows].tolist()
        psrc = self._param_source_code[rows].tolist()
        lcode = self.license_code[rows].tolist()
        task = self.task_code[rows].tolist()
        libc = self.library_code[rows].tolist()
        dls = self.downloads[rows].tolist()
        likes = self.likes[rows].tolist()
        trend = self.trending[rows].tolist()
        created = self.created[rows].tolist()
        modified = self.modified[rows].tolist()
        gated = self._gated[rows].tolist()
        author = self._author_first_display[self.author_code[rows]].tolist()
        src_index = self._source_index[rows].tolist() if self._source_index is not None else None
        tv, il = self.tag_values, self._tag_is_lang
        lv, licv = self.languages.values, self.licenses.values
        out = []
        for j, row in enumerate(rows.tolist()):
            tcodes = tall[tstart[j]:tstart[j + 1]]
            dt = {}
            if len(dr) and db[j] > da[j]:
                dt = {self._dtype_names[c]: int(v) for c, v in
                      zip(self._dtype_code[da[j]:db[j]].tolist(), self._dtype_count[da[j]:db[j]].tolist())}
            p = params[j]
            ps = psrc[j]
            param_source = self._param_source_vals[ps] if ps >= 0 else (
                nz.PARAM_SOURCE_SAFETENSORS if exact[j] else nz.PARAM_SOURCE_ESTIMATE)
            lc = lcode[j]
            lics = self._license_more.get(row) or ((lc,) if lc >= 0 else ())
            lics = tuple(licv[c] for c in lics)
            if len(xr) and xhit[j]:
                i = xi[j]
                langs = dict.fromkeys(lv[c] for c in self._xl_code[self._xl_off[i]:self._xl_off[i + 1]].tolist())
            else:
                langs = {}
            for c in tcodes:
                if il[c]:
                    langs.setdefault(tv[c])
            g = gated[j]
            ac = self._author_display_odd.get(row)
            if ac is None:
                ac = author[j]
            extra: dict[str, Any] = {}
            if src_index is not None and src_index[j] >= 0:
                si = src_index[j]
                if si < len(self.row_sources):
                    extra["snapshot_source"] = self.row_sources[si]
                if si < len(self.row_dates):
                    extra["downloads_as_of"] = self.row_dates[si]
            if g == GATED_UNKNOWN:
                extra["gated_unknown"] = True
            if self._config_facts is not None:
                cfg = self._config_facts.config(row)
                if cfg is not None:
                    extra["config"] = cfg
                    extra["config_source"] = self.config_source
            tr = trend[j]
            out.append(ModelRecord(
                id=ids[j],
                author=self._author_display_vals[ac] if ac >= 0 else None,
                pipeline_tag=self.tasks.values[task[j]] if task[j] >= 0 else None,
                library_name=self.library_values[libc[j]] if libc[j] >= 0 else None,
                params_total=p if p > 0 else None,
                params_by_dtype=dt,
                params_exact=bool(exact[j]) and p > 0,
                param_source=param_source if p > 0 else None,
                downloads=dls[j] if dls[j] >= 0 else None,
                likes=likes[j] if likes[j] >= 0 else None,
                trending_score=None if math.isnan(tr) else tr,
                license=lics[0] if lics else None,
                licenses=lics,
                languages=tuple(langs),
                created_at=_dt(created[j]),
                last_modified=_dt(modified[j]),
                gated=_GATED_VALUES.get(g, False),
                tags=tuple([tv[c] for c in tcodes]),
                extra=extra,
            ))
        return out

    def _ids(self, rows: np.ndarray) -> list[str]:
        """Model ids of ``rows`` (original case), by one gather over the id buffer."""
        off = self.id_offsets
        a = off[rows].astype(np.int64)
        b = off[rows + 1].astype(np.int64)
        lo = self.id_lower
        parts = [lo[x:y] for x, y in zip(a.tolist(), b.tolist())]
        if self._has_upper:
            lens = b - a
            starts = np.zeros(len(rows) + 1, np.int64)
            np.cumsum(lens, out=starts[1:])
            pos = np.repeat(a - starts[:-1], lens) + np.arange(int(starts[-1]), dtype=np.int64)
            up = ((self._upper_bits[pos >> 3] >> (7 - (pos & 7)).astype(np.uint8)) & 1).astype(bool)
            if up.any():
                buf = np.frombuffer(b"".join(parts), np.uint8).copy()
                buf[up] -= 32
                text = buf.tobytes()
                st = starts.tolist()
                return [text[st[j]:st[j + 1]].decode() for j in range(len(rows))]
        return [p.decode() for p in parts]

    def tag_rows(self, tag: str) -> np.ndarray:
        """Rows (ascending) carrying ``tag``, by one pass over the tag codes."""
        c = self._tag_index.get(tag)
        if c is None:
            return np.zeros(0, np.int32)
        pos = np.flatnonzero(self.tag_code == c)
        return (np.searchsorted(self.tag_offsets, pos, side="right") - 1).astype(np.int32)

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """Value counts for the filter choices, most frequent first."""
        return {
            "library": self.libraries.counts(),
            "language": self.languages.counts(),
            "license": self.licenses.counts(),
            "task": self.tasks.counts(),
        }

    # ---- search --------------------------------------------------------------------------------
    def search(self, q: CatalogQuery) -> SearchResult:
        """Answer a query like the Hub's ``list_models`` would.

        * ``task``: pipeline_tag equality; ``author``: owner, case-insensitive;
        * ``search``: case-insensitive substring of the model id;
        * ``library``: library_name or tag; ``language``: language code; ``license``: license tag/field;
        * ``params_min``/``params_max``: inclusive on the total, unknown totals excluded when set;
        * ``min_downloads``, ``min_likes`` (unknown likes excluded), ``gated`` True/False (unknown
          gating excluded when set);
        * sort descending by downloads / likes / trending / created / modified, unknown values last,
          ties by downloads; ``trending`` falls back to downloads when no row has a trending score.
        """
        t0 = time.perf_counter()
        q = q.normalized()
        notes: list[str] = []
        sort = q.sort
        if sort != "downloads" and self._known.get(sort, 0) == 0 and self._n:
            notes.append({
                "trending": Later(N_("This snapshot has no trending scores; sorted by downloads instead.")),
                "likes": Later(N_("This snapshot has no likes; sorted by downloads instead.")),
                "created": Later(N_("This snapshot has no creation dates; sorted by downloads instead.")),
                "modified": Later(N_("This snapshot has no update dates; sorted by downloads instead.")),
            }[sort])
            sort = "downloads"
        elif sort != "downloads" and 0 < self._known.get(sort, 0) < self._n:
            notes.append(Later(N_("{n} models without a value for this sort are listed last."),
                               n=Number(self._n - self._known[sort])))
        if q.gated is not None and self._gated_has_unknown:
            notes.append(Later(N_("Gating is unknown for some models in this snapshot; they are left out by the "
                                  "gated filter.")))
        rows, plan = self._execute(q, sort)
        self.last_plan = plan
        has_more = len(rows) > q.limit
        rows = rows[:q.limit]
        records = self.records(rows)
        return SearchResult(records=records, source=self.info, elapsed_s=time.perf_counter() - t0,
                            has_more=has_more, requests=0, notes=tuple(notes))

    def search_rows(self, q: CatalogQuery) -> np.ndarray:
        """Row numbers of the first ``limit + 1`` matches in sort order (engine core, no records)."""
        q = q.normalized()
        sort = q.sort if (q.sort == "downloads" or self._known.get(q.sort, 0)) else "downloads"
        rows, self.last_plan = self._execute(q, sort)
        return rows

    def ids_of(self, rows: Iterable[int]) -> list[str]:
        rows = np.asarray(rows if isinstance(rows, np.ndarray) else list(rows), dtype=np.int64).reshape(-1)
        return self._ids(rows) if len(rows) else []

    # ---- engine ---------------------------------------------------------------------------------
    def _execute(self, q: CatalogQuery, sort: str) -> tuple[np.ndarray, _Plan]:
        n = self._n
        k = q.limit + 1
        empty = np.zeros(0, np.int32)
        # Candidate sets from the indexes (ascending rows == downloads order).
        drivers: list[tuple[str, np.ndarray]] = []
        preds: list[Callable[[np.ndarray], np.ndarray]] = []

        pred_of: dict[str, Callable[[np.ndarray], np.ndarray]] = {}  # each driver's own predicate

        def index(name, post: _Postings, value, codes=None):
            rows = post.get(value)
            if rows is None:
                return False
            drivers.append((name, rows))
            if codes is not None:
                c = post.index[value]
                preds.append(lambda r, codes=codes, c=c: codes[r] == c)
            else:
                preds.append(lambda r, rows=rows: _is_member(r, rows))
            pred_of.setdefault(name, preds[-1])
            return True

        if q.task and not index("task", self.tasks, q.task, self.task_code):
            return empty, _Plan("none", 0)
        if q.author and not index("author", self.authors, q.author.lower(), self.author_code):
            return empty, _Plan("none", 0)
        if q.license and not index("license", self.licenses, nz.license_value(q.license)):
            return empty, _Plan("none", 0)
        # library / language: the index, else any model carrying the value as a tag (the Hub's filter=)
        for what, post, value in (("library", self.libraries, q.library), ("language", self.languages, q.language)):
            if value and not index(what, post, value):
                rows = self.tag_rows(value)
                if not len(rows):
                    return empty, _Plan("none", 0)
                drivers.append((what, rows))
                preds.append(lambda r, rows=rows: _is_member(r, rows))
                pred_of.setdefault(what, preds[-1])

        limit_rows = n
        if q.min_downloads is not None:
            # downloads are descending along the rows (unknown = -1 last): the matches are a prefix
            limit_rows = self._downloads_prefix(max(q.min_downloads, 0))
        if q.params_min is not None or q.params_max is not None:
            lo = max(q.params_min or 0, 1)
            hi = q.params_max if q.params_max is not None else np.iinfo(np.int64).max
            if hi < lo:
                return empty, _Plan("none", 0)
            preds.append(lambda r: (self.params[r] >= lo) & (self.params[r] <= hi))
        if q.min_likes is not None:
            ml = q.min_likes
            preds.append(lambda r: self.likes[r] >= ml)
        if q.gated is not None:
            if q.gated:
                preds.append(lambda r: self._gated[r] >= GATED_TRUE)
            else:
                preds.append(lambda r: self._gated[r] == GATED_OPEN)

        needle = None
        if q.search:
            needle = q.search.lower().encode("utf-8", "ignore")
            if not needle:
                needle = None
        sig_mask = None
        if needle is not None:
            cand = self._trigram_candidates(needle)
            if cand is not None:
                # rare substring: verify the candidates once, then they drive the query
                hit = cand[self._contains(cand, needle)]
                drivers.append(("search", hit))
                preds.append(lambda r, hit=hit: _is_member(r, hit))
                pred_of.setdefault("search", preds[-1])
            else:
                sig_mask = self._sig_mask(needle)
                if sig_mask is not None:
                    # 8 bytes per row rule out almost every non-match before the text test
                    preds.append(lambda r, m=sig_mask: self._sig_test(r, m))
                preds.append(lambda r: self._contains(r, needle))

        # Smallest driver; others stay as predicates (cheap per-row tests).
        if drivers:
            name, drows = min(drivers, key=lambda d: len(d[1]))
            if limit_rows < n:
                drows = drows[:int(np.searchsorted(drows, limit_rows))]
        else:
            name, drows = "all", None
        size = limit_rows if drows is None else len(drows)
        plan = _Plan(name, size)
        if size == 0:
            plan.mode = "empty"
            return empty, plan

        def evaluate(rows: np.ndarray, of_driver: bool = False) -> np.ndarray:
            """The ``rows`` that pass every predicate (``of_driver``: rows of the driver, whose own
            predicate they pass already)."""
            skip = pred_of.get(name) if of_driver else None
            for p in preds:  # each predicate sees only the rows that passed the ones before
                if p is skip:
                    continue
                if not len(rows):
                    break
                rows = rows[p(rows)]
            return rows

        if sort == "downloads":
            plan.mode = "scan-driver"
            rows = self._scan(drows, size, evaluate, k, sig_mask if drows is None else None)
            if self._scan_fell_back:
                plan.mode = "scan-driver(signature pass)"  # i18n: a plan name for the log
            return rows, plan

        perm = self._perm[sort]
        if size <= max(self.EVALUATE_MAX, n // 20):
            plan.mode = "evaluate-driver"
            rows = evaluate(np.arange(size, dtype=np.int32) if drows is None else drows, of_driver=True)
            return self._top_by_key(rows, sort, k), plan
        # Walk the sort permutation in chunks; give up and evaluate the whole driver if the hits
        # are too sparse to fill the page soon.
        plan.mode = "scan-sort"
        found: list[np.ndarray] = []
        nfound = 0
        pos, chunk = 0, self.CHUNK0
        while pos < n:
            rows = perm[pos:pos + chunk]
            pos += len(rows)
            if limit_rows < n:
                rows = rows[rows < limit_rows]
            hit = evaluate(rows)
            if len(hit):
                found.append(hit)
                nfound += len(hit)
            if nfound >= k:
                break
            projected = pos * k / max(nfound, 0.5)
            if pos >= 2 * self.CHUNK0 and projected > 0.35 * n:
                plan.mode = "evaluate-driver(fallback)"  # i18n: a plan name for the log
                if sig_mask is not None and (drows is None or len(drows) > limit_rows // self.SIG_SCAN_RATIO):
                    # one vectorised pass over the signatures picks the candidates (sequential
                    # reads: faster than gathering a large driver's signatures)
                    srows = self._sig_rows(0, limit_rows, sig_mask)
                    rows = evaluate(srows)
                elif needle is not None and name != "search" and drows is None:
                    # one pass over the id buffer beats per-row tests for a sparse substring
                    srows = self._buffer_hits(needle)
                    if limit_rows < n:
                        srows = srows[srows < limit_rows]
                    rows = evaluate(srows)
                else:
                    rows = evaluate(np.arange(limit_rows, dtype=np.int32) if drows is None else drows,
                                    of_driver=True)
                return self._top_by_key(rows, sort, k), plan
            chunk = min(chunk * 4, self.CHUNK_MAX)
        out = np.concatenate(found) if found else empty
        return out[:k], plan

    def _scan(self, drows: np.ndarray | None, size: int, evaluate, k: int,
              sig_mask: tuple[np.uint64, np.uint64] | None = None) -> np.ndarray:
        """First ``k`` matches along ``drows`` (or rows 0..size), chunk by chunk. With a substring
        signature and sparse hits, the rest of the range is filtered in one pass over the signatures."""
        found: list[np.ndarray] = []
        nfound = 0
        pos, chunk = 0, self.CHUNK0
        self._scan_fell_back = False
        while pos < size and nfound < k:
            if sig_mask is not None and pos >= 2 * self.CHUNK0 and pos * k / max(nfound, 0.5) > 0.1 * size:
                cand = self._sig_rows(pos, size, sig_mask)
                found.append(evaluate(cand))
                self._scan_fell_back = True
                break
            end = min(size, pos + chunk)
            rows = np.arange(pos, end, dtype=np.int32) if drows is None else drows[pos:end]
            hit = evaluate(rows, drows is not None)
            if len(hit):
                found.append(hit)
                nfound += len(hit)
            pos = end
            chunk = min(chunk * 4, self.CHUNK_MAX)
        out = np.concatenate(found) if found else np.zeros(0, np.int32)
        return out[:k]

    def _top_by_key(self, rows: np.ndarray, sort: str, k: int) -> np.ndarray:
        """The first ``k`` of ``rows`` in ``sort`` order, ties by row (= by downloads)."""
        if len(rows) == 0:
            return rows
        if len(rows) > 1 and not (rows[1:] > rows[:-1]).all():
            rows = np.sort(rows)
        key = self._sort_key(sort, rows)
        if len(rows) > k:
            kth = np.partition(key, k - 1)[k - 1]
            better = key < kth
            # ties at the k-th key: the lowest rows (rows are ascending)
            tie = np.flatnonzero(key == kth)[:k - int(better.sum())]
            sel = np.flatnonzero(better)
            sel = np.concatenate([sel, tie])
            sel.sort()
            rows, key = rows[sel], key[sel]
        return rows[np.argsort(key, kind="stable")]

    def _downloads_prefix(self, min_downloads: int) -> int:
        """Number of leading rows with downloads >= ``min_downloads`` (the column is descending)."""
        d = self.downloads
        lo, hi = 0, self._n
        while lo < hi:
            mid = (lo + hi) // 2
            if d[mid] >= min_downloads:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _sig_mask(self, needle: bytes) -> tuple[np.uint64, np.uint64] | None:
        """The bits of both signatures every id containing ``needle`` has (None for needles under
        3 bytes)."""
        if len(needle) < 3:
            return None
        tris = self._trigrams(needle)
        return tuple(np.uint64(np.bitwise_or.reduce(np.left_shift(np.uint64(1), _sig_bit(tris, w).astype(np.uint64))))
                     for w in (0, 1))

    def _sig_test(self, rows: np.ndarray, masks: tuple[np.uint64, np.uint64]) -> np.ndarray:
        """Boolean mask: which ``rows`` have every bit of both signature masks."""
        m1, m2 = masks
        s = self._sig[rows]
        np.bitwise_and(s, m1, out=s)
        ok = s == m1
        del s
        idx = np.flatnonzero(ok)
        if len(idx):
            ok[idx] = (self._sig2[rows[idx]] & m2) == m2
        return ok

    def _sig_rows(self, lo: int, hi: int, masks: tuple[np.uint64, np.uint64]) -> np.ndarray:
        """Rows in ``lo..hi`` (ascending, int32) that have every bit of both signature masks: one
        pass over the first signature in cache-sized blocks, the second one read for its hits."""
        m1, m2 = masks
        step = 1 << 16
        buf = np.empty(step, np.uint64)
        ok = np.empty(step, bool)
        parts = []
        for a in range(lo, hi, step):
            b = min(hi, a + step)
            w = b - a
            np.bitwise_and(self._sig[a:b], m1, out=buf[:w])
            np.equal(buf[:w], m1, out=ok[:w])
            r = np.flatnonzero(ok[:w])
            if len(r):
                r += a
                parts.append(r)
        rows = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
        return rows[(self._sig2[rows] & m2) == m2]

    # ---- substring search ----------------------------------------------------------------------
    def _contains(self, rows: np.ndarray, needle: bytes) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0, bool)
        if len(rows) <= 64:
            lo, off = self.id_lower, self.id_offsets
            return np.fromiter((needle in lo[off[r]:off[r + 1]] for r in rows), bool, len(rows))
        sub = self._lower_arrow.take(_arrow_ints(rows))
        hit = pc.match_substring(sub, needle.decode("utf-8", "ignore"))  # no nulls: the ids have none
        return np.unpackbits(np.frombuffer(hit.buffers()[1], np.uint8), count=len(hit) + hit.offset,
                             bitorder="little")[hit.offset:].astype(bool)

    def _trigrams(self, needle: bytes) -> np.ndarray:
        """The needle's n-gram codes: its trigrams, or its bigram / symbol when shorter."""
        s = self._tri_lut[np.frombuffer(needle, np.uint8)]
        if len(s) >= 3:
            return np.unique((s[:-2] << 12) | (s[1:-1] << 6) | s[2:])
        if len(s) == 2:
            return np.array([((s[0] << 6) | s[1]) + _BIGRAM0], np.uint32)
        return np.array([s[0] + _UNIGRAM0], np.uint32)

    def _trigram_candidates(self, needle: bytes) -> np.ndarray | None:
        """Rows that contain all the needle's rare n-grams, or None when it has none."""
        if not needle or not self._n:
            return None
        tris = self._trigrams(needle)
        df = self._tri_df[tris]
        if (df == 0).any():
            return np.zeros(0, np.int32)
        rare = tris[df <= self._tri_cap]
        if len(rare) == 0:
            return None
        rare = rare[np.argsort(self._tri_df[rare])]
        off = self._tri_offsets
        cand = self._tri_rows[off[rare[0]]:off[rare[0] + 1]]
        for t in rare[1:4]:
            if len(cand) <= 32:
                break
            cand = cand[_is_member(cand, self._tri_rows[off[t]:off[t + 1]])]
        return cand

    def _buffer_hits(self, needle: bytes) -> np.ndarray:
        """All rows whose lowercase id contains the needle, by one regex pass over the buffer."""
        starts = np.fromiter((m.start() for m in re.finditer(re.escape(needle), self.id_lower)), np.int64)
        if len(starts) == 0:
            return np.zeros(0, np.int32)
        rows = np.searchsorted(self.id_offsets, starts, side="right") - 1
        ok = starts + len(needle) <= self.id_offsets[rows + 1]
        return _sorted_unique(rows[ok]).astype(np.int32)


_SIG_MUL = np.uint32(0x9E3779B1)


def _sig_bit(tri: np.ndarray, which: int = 0) -> np.ndarray:
    """Signature bit (0..63) of trigram codes in signature ``which`` (0 or 1): bits 26..31 or
    20..25 of a multiplicative hash (two 64-bit Bloom filters per id)."""
    return ((tri.astype(np.uint32) * _SIG_MUL) >> np.uint32(26 - 6 * which)) & np.uint32(63)


def _key_runs(k: np.ndarray, row_bits: int, base: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted n-gram keys (``code << row_bits | row``) -> each key's n-gram (+ ``base``), the
    start of each n-gram's run and the runs' lengths."""
    gk = (k >> np.uint32(row_bits)).astype(np.int32)
    gk += base
    first = np.empty(len(gk), bool)
    first[0] = True
    np.not_equal(gk[1:], gk[:-1], out=first[1:])
    st = np.flatnonzero(first)
    return gk, st, np.diff(np.append(st, len(gk)))


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy's hash-based unique is much slower on large int arrays)."""
    a = np.sort(a)
    if len(a) < 2:
        return a
    keep = np.empty(len(a), bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def _dt(v: int) -> datetime | None:
    return datetime.fromtimestamp(int(v), UTC) if v > 0 else None


# ---------------------------------------------------------------------------------------------
# The index cache: a built catalog saved next to its dump, memory-mapped on the next start
# ---------------------------------------------------------------------------------------------
_CACHE_MAGIC = b"HUBSCOUT-INDEX\n"
_CACHE_SUFFIX = ".hubscout-index"
_CACHE_ALIGN = 64
_TAIL_BYTES = 1 << 16
# Rebuilt on load rather than stored: derived views and per-process state.
_CACHE_SKIP = {"_lower_arrow", "_tag_index", "last_plan", "_scan_fell_back", "info", "load_seconds",
               "load_phases", "_cache_writer", "_cache_path"}


def _engine_version() -> str:
    """Hash of the code that builds the index: a changed engine or normaliser never reads an old cache."""
    h = __import__("hashlib").sha256()
    for mod in (__file__, nz.__file__):
        h.update(Path(mod).read_bytes())
    return h.hexdigest()[:16]


def _user_cache_dir() -> Path:
    from lib.settings import get_settings  # the data directory (HUBSCOUT_DATA_DIR)

    return get_settings().data_dir / "index-cache"


class IndexCache:
    """Where a dump's built index is cached and whether a cache file still matches the dump.

    The file: a magic line, an 8-byte header length, a JSON header (the dump's key, every scalar,
    string list and small mapping of the catalog) and the catalog's arrays as raw aligned blocks,
    read back with ``np.frombuffer`` over a read-only ``mmap`` (pages load on first use). The key is
    the dump's size, modification time and a hash of its last 64 KiB (the parquet footer), plus a
    hash of the engine's code. Locations: ``<dump>.hubscout-index`` beside the dump, else
    ``<data dir>/index-cache/<hash of the dump's path>.hubscout-index``."""

    def __init__(self, dump: Path, cache_dir: str | os.PathLike | None = None):
        self.dump = dump
        import hashlib
        tag = hashlib.sha256(str(dump.resolve()).encode()).hexdigest()[:20]
        user = Path(cache_dir) if cache_dir is not None else _user_cache_dir()
        self.paths = [dump.with_name(dump.name + _CACHE_SUFFIX), user / f"{tag}{_CACHE_SUFFIX}"]
        self.used: Path | None = None
        self._key: dict | None = None  # the dump's key as load() saw it, before the build read the dump

    def key(self) -> dict:
        import hashlib
        st = self.dump.stat()
        with open(self.dump, "rb") as fh:
            fh.seek(max(0, st.st_size - _TAIL_BYTES))
            tail = hashlib.sha256(fh.read()).hexdigest()
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "tail": tail, "engine": _engine_version()}

    # ---- load -------------------------------------------------------------------------------
    def load(self, cls: type[SnapshotCatalog]) -> SnapshotCatalog | None:
        try:
            key = self._key = self.key()
        except OSError:
            return None
        for path in self.paths:
            try:
                cat = self._read(path, key, cls)
            except Exception:  # noqa: BLE001 - a damaged or foreign cache is rebuilt, never fatal
                cat = None
            if cat is not None:
                self.used = path
                return cat
        return None

    def _read(self, path: Path, key: dict, cls) -> SnapshotCatalog | None:
        import mmap
        if not path.is_file():
            return None
        t0 = time.perf_counter()
        with open(path, "rb") as fh:
            if fh.read(len(_CACHE_MAGIC)) != _CACHE_MAGIC:
                return None
            hlen = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(hlen))
            if header.get("key") != key:
                return None
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        base = len(_CACHE_MAGIC) + 8 + hlen

        def arr(spec):
            dtype, shape, off = spec
            count = int(np.prod(shape)) if shape else 1
            return np.frombuffer(mm, np.dtype(dtype), count, base + off).reshape(shape)

        def value(spec):
            kind = spec[0]
            if kind == "nd":
                return arr(spec[1])
            if kind == "bytes":
                return mm[base + spec[1]:base + spec[1] + spec[2]]
            if kind == "json":
                return spec[1]
            if kind == "tuple":
                return tuple(spec[1])
            if kind == "intmap":
                return {int(k): (tuple(v) if isinstance(v, list) else v) for k, v in spec[1]}
            if kind == "ndmap":
                return {k: arr(v) for k, v in spec[1].items()}
            if kind == "postings":
                values = spec[1]
                return _Postings(values, {v: i for i, v in enumerate(values)}, arr(spec[2]), arr(spec[3]))
            if kind == "config":
                f = spec[1]
                return _ConfigFacts(tuple(f["columns"]), arr(f["rows"]), arr(f["ints"]), f["arch_values"],
                                    arr(f["arch_code"]))
            raise ValueError(kind)

        cat = cls.__new__(cls)
        for name, spec in header["attrs"].items():
            setattr(cat, name, value(spec))
        info = dict(header["info"])
        later = info.pop("label_later", None)
        if later:
            info["label"] = Later(later[0], **{k: Day(v) if k == "date" else v for k, v in later[1].items()})
        cat.info = SourceInfo(**{k: tuple(v) if k == "sources" else v for k, v in info.items()})
        cat._lower_arrow = cat._arrow_ids()
        cat._tag_index = {v: i for i, v in enumerate(cat.tag_values)}
        cat._mmap = mm
        cat.load_seconds = time.perf_counter() - t0
        return cat

    # ---- save -------------------------------------------------------------------------------
    def save(self, cat: SnapshotCatalog) -> Path | None:
        """Write the cache to the first writable location; None (and no error) when none is."""
        try:
            header, blobs = self._encode(cat)
        except Exception:  # noqa: BLE001 - an index this code cannot encode is simply not cached
            return None
        for path in self.paths:
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(tmp, "wb") as fh:
                    fh.write(_CACHE_MAGIC)
                    fh.write(len(header).to_bytes(8, "little"))
                    fh.write(header)
                    pos = 0
                    for off, blob in blobs:
                        fh.write(b"\0" * (off - pos))
                        fh.write(blob)
                        pos = off + len(blob)
                os.replace(tmp, path)
                self.used = path
                return path
            except OSError:
                try:
                    tmp.unlink()
                except OSError:
                    pass
        return None

    def _encode(self, cat: SnapshotCatalog) -> tuple[bytes, list[tuple[int, Any]]]:
        blobs: list[tuple[int, Any]] = []
        end = 0

        def put(buf) -> int:
            nonlocal end
            off = -(-end // _CACHE_ALIGN) * _CACHE_ALIGN
            blobs.append((off, buf))
            end = off + len(buf)
            return off

        def nd(a: np.ndarray):
            a = np.ascontiguousarray(a)
            return [a.dtype.str, list(a.shape), put(memoryview(a).cast("B") if a.size else b"")]

        def enc(v):
            if isinstance(v, np.ndarray):
                return ["nd", nd(v)]
            if isinstance(v, (bytes, bytearray)):
                return ["bytes", put(v), len(v)]
            if isinstance(v, _Postings):
                return ["postings", list(v.values), nd(v.rows), nd(v.offsets)]
            if isinstance(v, _ConfigFacts):
                return ["config", {"columns": list(v.columns), "rows": nd(v.rows), "ints": nd(v.ints),
                                   "arch_values": list(v.arch_values), "arch_code": nd(v.arch_code)}]
            if isinstance(v, tuple):
                return ["tuple", list(v)]
            if isinstance(v, dict) and v and all(isinstance(x, np.ndarray) for x in v.values()):
                return ["ndmap", {k: nd(x) for k, x in v.items()}]
            if isinstance(v, dict) and v and all(isinstance(k, int) for k in v):
                return ["intmap", [[k, list(x) if isinstance(x, tuple) else x] for k, x in v.items()]]
            json.dumps(v)  # anything else must be plain JSON (raises otherwise: not cached)
            return ["json", v]

        # a copy of the attributes: a search on another thread may set one (last_plan) meanwhile
        attrs = {k: enc(v) for k, v in dict(vars(cat)).items() if k not in _CACHE_SKIP and k != "_mmap"}
        label = cat.info.label
        info = {"kind": cat.info.kind, "label": label, "date": cat.info.date,
                "sources": list(cat.info.sources)}
        if isinstance(label, Later):  # kept as its message, translated where it is shown
            info["label_later"] = [label.msgid, label.args]
        # the key seen before the dump was read: a dump changed during the build is rebuilt next time
        header = json.dumps({"key": self._key or self.key(), "attrs": attrs, "info": info}).encode()
        # blanks after the JSON put the blobs on aligned file offsets: numpy copies a misaligned
        # array before most operations (a search would copy whole columns)
        header += b" " * (-(len(_CACHE_MAGIC) + 8 + len(header)) % _CACHE_ALIGN)
        # blob offsets are relative to the end of the header
        return header, blobs
