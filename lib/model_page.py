"""What the Model page shows, as plain data: facts rows, the cleaned model card, the files table,
the parameter section, the memory-estimate inputs and the "use this model" choices.

Pure functions over :class:`lib.hub.client.ModelDetails` (no Streamlit, no network, no torch):
``lib/ui/model_page.py`` draws them, ``pages/2_Model.py`` orders the sections.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Sequence

from lib import format as fmt
from lib import tasks
from lib.hub.client import ModelDetails, RepoFileInfo
from lib.hub.records import ModelRecord

# ---- facts --------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#|~$!])")


def md_escape(text: Any) -> str:
    """Text shown literally inside Streamlit markdown (no emphasis, links, HTML or LaTeX)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


@dataclass(frozen=True)
class Fact:
    """One row of the facts table: ``label`` and ``value`` (markdown, already escaped)."""

    label: str
    value: str


_HIDDEN_TAG_PREFIXES = ("license:", "dataset:", "base_model:", "region:", "arxiv:", "doi:")


def gated_text(details: ModelDetails) -> str:
    """``No`` / ``Yes (manual approval)`` / ``Yes (automatic approval)`` / ``Unknown (…)``."""
    unknown = bool(details.record is not None and (details.record.extra or {}).get("gated_unknown"))
    g = details.gated
    if g and str(g).lower() != "false":
        kind = {"manual": "manual approval", "auto": "automatic approval"}.get(str(g).lower())
        return f"Yes ({kind})" if kind else "Yes"
    if unknown and details.source == "offline":
        return "Unknown (the snapshot does not record it)"
    return "No"


def base_models(details: ModelDetails) -> tuple[str, ...]:
    """The card's base model(s), else the Hub's ``base_model:<id>`` tags."""
    if details.base_models:
        return details.base_models
    return tuple(t.split(":", 1)[1] for t in details.tags if t.startswith("base_model:") and t.count(":") == 1)


def shown_tags(details: ModelDetails) -> tuple[str, ...]:
    """Tags worth listing: those the other facts do not already say (license, datasets, …)."""
    skip = {details.pipeline_tag, details.library_name, *details.languages}
    return tuple(t for t in details.tags if t and t not in skip and not t.startswith(_HIDDEN_TAG_PREFIXES))


def _join(values: Sequence[str], limit: int = 12) -> str:
    if not values:
        return "–"
    shown = ", ".join(md_escape(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def facts(details: ModelDetails) -> list[Fact]:
    """The facts table rows, in the order the page shows them. Unknown values are ``–``."""
    task = details.pipeline_tag
    task_text = (f"{md_escape(tasks.display_name(task))} (`{task}`)" if task
                 else "– (the Hub lists no task for this model)")
    downloads = fmt.compact(details.downloads)
    if details.downloads is not None:
        as_of = (details.record.extra or {}).get("downloads_as_of") if details.record is not None else None
        downloads += f" (last 30 days, as of {as_of})" if as_of and details.source == "offline" else " (last 30 days)"
    created = fmt.date(details.created_at)
    modified = fmt.date(details.last_modified)
    if details.last_modified is not None:
        modified += f" ({fmt.ago(details.last_modified)})"
    rows = [
        Fact("Task", task_text),
        Fact("Library", md_escape(details.library_name) if details.library_name else "–"),
        Fact("License", md_escape(details.license) if details.license else "–"),
        Fact("Gated", gated_text(details)),
        Fact("Downloads", downloads),
        Fact("Likes", fmt.compact(details.likes)),
        Fact("Created", created),
        Fact("Last modified", modified),
        Fact("Languages", _join(details.languages, 20)),
        Fact("Datasets", _join(details.datasets)),
        Fact("Base model", _join(base_models(details))),
        Fact("Tags", " ".join(f"`{t.replace('`', '').replace('|', '/')}`" for t in shown_tags(details)[:40]) or "–"),
        Fact("On the Hub", f"[{md_escape(details.id)}]({details.hub_url})"),
    ]
    return rows


def facts_frame(rows: Sequence[Fact]) -> "pd.DataFrame":
    """The facts as a one-column table indexed by label (cells are markdown, for ``st.table``)."""
    import pandas as pd

    df = pd.DataFrame({"Value": [r.value for r in rows]}, index=[f"**{r.label}**" for r in rows])
    df.index.name = "Fact"
    return df


# ---- model card --------------------------------------------------------------------------------

_FENCE = re.compile(r"(^```.*?^```[^\n]*$|^~~~.*?^~~~[^\n]*$)", re.S | re.M)
_INLINE_CODE = re.compile(r"(`[^`\n]+`)")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BLOCK = re.compile(r"<(script|style|iframe|object|embed|svg|form|noscript)\b.*?</\1\s*>", re.S | re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_ANCHOR = re.compile(r"<a\b[^>]*?href\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)</a\s*>", re.S | re.I)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ALT = re.compile(r"alt\s*=\s*[\"']([^\"']*)[\"']", re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})([ \t])", re.M)
CARD_MAX_CHARS = 60_000


def strip_front_matter(text: str) -> str:
    """Drop a leading YAML front matter block (``---`` … ``---``)."""
    t = text.lstrip("\ufeff")
    if t.startswith("---"):
        end = t.find("\n---", 3)
        if end >= 0:
            nl = t.find("\n", end + 4)
            return t[nl + 1:] if nl >= 0 else ""
    return t


def _clean_prose(text: str) -> str:
    text = _COMMENT.sub("", text)
    text = _BLOCK.sub("", text)
    text = _BR.sub("\n", text)
    text = _ANCHOR.sub(lambda m: f"[{_TAG.sub('', m.group(2)).strip() or m.group(1)}]({m.group(1)})", text)
    text = _IMG.sub(lambda m: f"[image: {(_ALT.search(m.group(0)) or [None, 'picture'])[1] or 'picture'}]", text)
    text = _TAG.sub("", text)
    # Remote images would be fetched by the browser (and fail offline): link to them instead.
    text = _MD_IMAGE.sub(lambda m: f"[image: {m.group(1) or 'picture'}]({m.group(2)})", text)
    return text


def clean_card(text: str | None, max_chars: int = CARD_MAX_CHARS) -> str | None:
    """The model card as safe Markdown: no front matter, no HTML tags (their text is kept; links
    become Markdown links, images become links), headings two levels down (the card sits inside
    the page), code blocks untouched, cut at ``max_chars``."""
    if not text:
        return None
    text = strip_front_matter(text.replace("\r\n", "\n"))
    parts = _FENCE.split(text)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2 == 1:  # fenced code: shown as code, never as HTML
            out.append(part)
            continue
        part = _HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + 2) + m.group(2), part)
        pieces = _INLINE_CODE.split(part)
        out.append("".join(p if j % 2 == 1 else _clean_prose(p) for j, p in enumerate(pieces)))
    cleaned = re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()
    if len(cleaned) > max_chars:
        cleaned = cleaned[:max_chars].rsplit("\n", 1)[0] + "\n\n*… (card cut here; read the rest on the Hub)*"
    return cleaned or None


def card_has_html(text: str | None) -> bool:
    """Whether the raw card holds HTML tags (the page says they were removed)."""
    if not text:
        return False
    return bool(_TAG.search("".join(_FENCE.split(text)[::2])))


# ---- files --------------------------------------------------------------------------------------

WEIGHT_KINDS = {".safetensors": "weights (safetensors)", ".gguf": "weights (GGUF)", ".onnx": "weights (ONNX)",
                ".bin": "weights (pickle)", ".pt": "weights (pickle)", ".pth": "weights (pickle)",
                ".ckpt": "weights (pickle)", ".pkl": "weights (pickle)", ".pickle": "weights (pickle)",
                ".h5": "weights (Keras/TF)", ".msgpack": "weights (Flax)", ".tflite": "weights (TF Lite)"}
FORMAT_LABELS = {"safetensors": "safetensors", "pickle": "pickle (.bin/.pt)", "gguf": "GGUF", "onnx": "ONNX"}


def file_kind(path: str) -> str:
    """What a repo file is, in words: ``weights (safetensors)``, ``config``, ``tokenizer`` …"""
    p = path.lower()
    name = p.rsplit("/", 1)[-1]
    if name == "training_args.bin":
        return "training arguments (pickle)"
    for ext, kind in WEIGHT_KINDS.items():
        if p.endswith(ext):
            return kind
    if name.endswith(".safetensors.index.json") or name.endswith(".bin.index.json"):
        return "weights index"
    if name == "config.json":
        return "config"
    if name in ("generation_config.json",):
        return "generation config"
    if "tokenizer" in name or name in ("vocab.txt", "vocab.json", "merges.txt", "special_tokens_map.json",
                                       "spiece.model", "sentencepiece.bpe.model", "added_tokens.json"):
        return "tokenizer"
    if "processor" in name or name == "preprocessor_config.json" or "chat_template" in name:
        return "processor"
    if name == "readme.md":
        return "model card"
    if name.endswith(".py"):
        return "code"
    if name.startswith(".git"):
        return "git"
    return "other"


@dataclass(frozen=True)
class FileRow:
    """One row of the files table."""

    path: str
    size: int | None
    size_text: str
    kind: str


def file_rows(details: ModelDetails) -> list[FileRow]:
    """The repo's files, weights first, then by path."""
    def order(f: RepoFileInfo) -> tuple[int, str]:
        return (0 if file_kind(f.path).startswith("weights") else 1, f.path)

    return [FileRow(f.path, f.size, fmt.size_bytes(f.size), file_kind(f.path))
            for f in sorted(details.files, key=order)]


def formats_text(details: ModelDetails) -> str:
    """``safetensors, pickle (.bin/.pt)`` or a sentence saying none was found."""
    if not details.weight_formats:
        return "no weight files found" + (" in the local cache" if details.source == "offline" else "")
    return ", ".join(FORMAT_LABELS.get(f, f) for f in details.weight_formats)


def weights_total(details: ModelDetails) -> int | None:
    """Bytes of the weight files of the main format (safetensors first), None when unknown."""
    for fmt_ext in ((".safetensors",), (".gguf",), (".bin", ".pt", ".pth", ".ckpt"), (".onnx",)):
        sizes = [f.size for f in details.files if f.path.lower().endswith(fmt_ext)
                 and not f.path.endswith("training_args.bin")]
        if sizes:
            return sum(sizes) if all(s is not None for s in sizes) else None
    return None


# ---- parameters ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParamInfo:
    """The parameter section.

    Attributes:
        total: the count, or None when unknown.
        by_dtype: ``(dtype, count)`` rows from safetensors metadata (exact counts only).
        kind: ``exact`` (safetensors metadata), ``counted`` (config.json built on the meta device),
            ``estimated`` (labelled so), ``unknown``.
        source: where the number comes from, in words.
    """

    total: int | None
    by_dtype: tuple[tuple[str, int], ...]
    kind: str
    source: str

    @property
    def exact(self) -> bool:
        return self.kind in ("exact", "counted")

    @property
    def headline(self) -> str:
        """``494,032,768 (494M)`` / ``~7B (estimated)`` / ``unknown``."""
        if self.total is None:
            return "unknown"
        if self.exact:
            return f"{self.total:,} ({fmt.params(self.total)})"
        return f"{fmt.params(self.total, exact=False)} (estimated)"


def needs_config_count(details: ModelDetails) -> bool:
    """True when the Hub gave no exact count, so the page counts parameters from config.json."""
    return not details.params_total and not (details.record is not None and details.record.params_exact
                                             and details.record.params_total)


def model_config(config: Mapping[str, Any] | None):
    """:class:`lib.modelconfig.ModelConfig` of a config.json dict, None when absent or unreadable."""
    from lib.modelconfig import ModelConfig

    if not config:
        return None
    try:
        return ModelConfig.from_dict(config)
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class FitConfig:
    """The architecture facts the memory estimate uses, and where they come from.

    Attributes:
        config: a :class:`lib.modelconfig.ModelConfig`, or None when nothing is known.
        origin: ``config.json`` (the repo's own, live or from the local cache), ``snapshot`` (the
            catalog snapshot's architecture facts, offline only) or ``none``.
        note: one sentence for the page when the facts are not the repo's config.json, else None.
    """

    config: Any
    origin: str
    note: str | None = None


def snapshot_config(record: ModelRecord | None) -> tuple[dict[str, Any] | None, Mapping[str, Any]]:
    """The catalog snapshot's config.json-shaped architecture facts of a record (``extra["config"]``,
    written by lib.catalog.snapshot) and their source (``{"name", "date", "label"}``)."""
    extra = (record.extra or {}) if record is not None else {}
    cfg = extra.get("config")
    src = extra.get("config_source")
    return (dict(cfg) if isinstance(cfg, Mapping) and cfg else None), (src if isinstance(src, Mapping) else {})


def fit_config(found: ModelLookup) -> FitConfig:
    """config.json when there is one (it always wins); offline without it, the catalog snapshot's
    architecture facts (llmfit: layers, heads, key/value heads, head dim, hidden size, vocabulary,
    maximum positions), said so in ``note``; else nothing."""
    cfg = model_config(found.config)
    if cfg is not None:
        return FitConfig(cfg, "config.json")
    details = found.details
    if details is None or details.source != "offline":
        return FitConfig(None, "none")
    facts_, src = snapshot_config(details.record)
    cfg = model_config(facts_)
    if cfg is None:
        return FitConfig(None, "none")
    where = ", ".join(str(src[k]) for k in ("name", "date") if src.get(k)) or "catalog snapshot"
    unknown = [w for w, missing in (("the intermediate (MLP) size, so activations are approximate",
                                     cfg.intermediate_size is None),
                                    ("layers, key/value heads or head dim, so no KV cache",
                                     cfg.kv_bytes_per_token(2) is None),
                                    ("the maximum context", cfg.max_positions is None)) if missing]
    note = (f"KV cache and activations use the architecture from the catalog snapshot ({where}): "
            "config.json is not available offline. Not in it: "
            + "; ".join(unknown + ["sliding window, tied embeddings and checkpoint dtype"]) + ".")
    return FitConfig(cfg, "snapshot", note)


def count_from_config(config: Mapping[str, Any] | None, config_note: str | None,
                      counter: Callable[[dict], int | None]) -> tuple[int | None, str | None]:
    """``(count, None)`` from ``counter(config)`` (lib.modelconfig.count_parameters, maybe cached),
    or ``(None, why not)``. Custom-code configs are never built (that would run the repo's code)."""
    if not config:
        return None, f"not counted from config: {config_note or 'no config.json'}"
    if config.get("auto_map"):
        return None, "not counted from config: it needs the repo's custom code"
    try:
        n = counter(dict(config))
    except Exception as e:  # noqa: BLE001 - counting is best effort
        return None, f"counting from config failed ({type(e).__name__})"
    if not n:
        return None, "transformers cannot build this config"
    return int(n), None


def parameter_info(details: ModelDetails, counted: int | None = None, config: Mapping[str, Any] | None = None,
                   count_note: str | None = None) -> ParamInfo:
    """Exact from safetensors metadata; else ``counted`` (from config.json on the meta device); else
    an estimate (the catalog's, or weight-file bytes ÷ bytes per parameter), labelled so."""
    if details.params_total:
        rows = tuple(sorted(details.params_by_dtype.items(), key=lambda kv: -kv[1]))
        return ParamInfo(details.params_total, rows, "exact",
                         f"exact, from {details.param_source or 'safetensors metadata'}")
    rec = details.record
    if rec is not None and rec.params_exact and rec.params_total:
        rows = tuple(sorted(rec.params_by_dtype.items(), key=lambda kv: -kv[1]))
        return ParamInfo(rec.params_total, rows, "exact",
                         f"exact, from {rec.param_source or 'safetensors metadata'} (catalog snapshot)")
    if counted:
        return ParamInfo(counted, (), "counted", "counted exactly from config.json (model built on the meta "
                                                  "device, no weights downloaded)")
    why = f" ({count_note})" if count_note else ""
    if rec is not None and rec.params_total:
        return ParamInfo(rec.params_total, (), "estimated",
                         f"estimated by the catalog ({rec.param_source or 'from the model name'}){why}")
    size = weights_total(details)
    if size:
        bpp, dtype_word = _bytes_per_param(details, config)
        return ParamInfo(int(size / bpp), (), "estimated",
                         f"estimated from {fmt.size_bytes(size)} of weight files at {dtype_word}{why}")
    return ParamInfo(None, (), "unknown", "no safetensors metadata, no countable config and no weight sizes" + why)


def _bytes_per_param(details: ModelDetails, config: Mapping[str, Any] | None) -> tuple[float, str]:
    declared = str((config or {}).get("torch_dtype") or (config or {}).get("dtype") or "").replace("torch.", "")
    if declared in ("bfloat16", "float16"):
        return 2.0, f"{declared} (config.json)"
    if declared == "float32":
        return 4.0, "float32 (config.json)"
    if any(f.path.lower().endswith(".gguf") for f in details.files):
        return 0.6, "~4.8 bits per parameter (typical GGUF)"
    return 4.0, "4 bytes per parameter (float32 assumed)"


# ---- memory estimate inputs ---------------------------------------------------------------------

DEFAULT_CONTEXT = 2048


def context_choices(max_positions: int | None) -> list[int]:
    """Context lengths for the slider: powers of two from 128 to the model's maximum (inclusive)."""
    top = max_positions if max_positions and max_positions >= 128 else 32_768
    top = min(top, 1 << 20)
    out = [1 << k for k in range(7, 21) if (1 << k) <= top]
    if out[-1] != top:
        out.append(top)
    return out


def default_context(choices: Sequence[int]) -> int:
    return min(choices, key=lambda c: abs(c - DEFAULT_CONTEXT))


def model_spec(details: ModelDetails, config: Any = None, params: ParamInfo | None = None):
    """The :class:`lib.fit.estimate.ModelSpec` of this model, with the page's parameter count."""
    from lib.fit.estimate import ModelSpec

    rec = details.record or ModelRecord(id=details.id)
    record = replace(rec, pipeline_tag=details.pipeline_tag or rec.pipeline_tag,
                     gated=details.gated if details.gated else rec.gated,
                     tags=tuple(dict.fromkeys(rec.tags + details.tags)))
    sizes = {f.path: f.size for f in details.files if f.size is not None}
    spec = ModelSpec.from_record(record, config, file_sizes=sizes or None)
    if params is not None and params.total and not spec.params_total:
        spec = replace(spec, params_total=params.total, params_exact=params.exact)
    if details.pickle_only and not spec.pickle_weights:
        spec = replace(spec, pickle_weights=True)
    if details.custom_code and not spec.requires_custom_code:
        spec = replace(spec, requires_custom_code=True)
    return spec


FIT_STYLE = {"fits_gpu": ("green", "✓"), "fits_cpu": ("green", "✓"), "tight": ("orange", "⚠"),
             "no_fit": ("red", "✗"), "unknown": ("gray", "?")}
PART_ORDER = ("Weights", "Framework baseline", "Allocator overhead", "Load peak (transient)", "KV cache",
              "Activations")
GiB = 1024**3


def fit_matrix(table: Any, this_host: str, this_summary: str) -> "pd.DataFrame":
    """The fit table as hosts × dtypes; each cell (markdown) ``<mark> <verdict> — <reason with numbers>``."""
    import pandas as pd

    from lib.fit.estimate import DTYPE_LABELS

    matrix = {}
    for host in table.hosts:
        label = f"**{md_escape(host)}**" + (f" ({md_escape(this_summary)})" if host == this_host else "")
        row = {}
        for d in table.dtypes:
            v = table.get(host, d)
            if v is None:
                row[DTYPE_LABELS.get(d, d)] = "–"
                continue
            color, mark = FIT_STYLE.get(v.kind.value, ("gray", ""))
            row[DTYPE_LABELS.get(d, d)] = f":{color}[**{mark} {md_escape(v.label)}**] — {md_escape(v.reason)}"
        matrix[label] = row
    df = pd.DataFrame.from_dict(matrix, orient="index")
    df.index.name = "Host"
    return df


def parts_rows(table: Any, host: str) -> list[dict[str, Any]]:
    """The estimate's parts for ``host``, one row per (dtype, part): GB, whether it counts in the peak."""
    from lib.fit.estimate import DTYPE_LABELS

    rows = []
    for d in table.dtypes:
        v = table.get(host, d)
        if v is None or v.estimate is None:
            continue
        for p in v.estimate.parts():
            rows.append({"dtype": DTYPE_LABELS.get(d, d), "Part": p.label, "GB": p.bytes / GiB,
                         "Counted": p.in_total, "Note": p.note,
                         "Device": "GPU" if v.estimate.device == "cuda" else "CPU",
                         "order": PART_ORDER.index(p.label) if p.label in PART_ORDER else len(PART_ORDER)})
    return rows


def parts_table(table: Any, host: str) -> "pd.DataFrame | None":
    """Parts × dtypes in GB with a note per part and the peak total; None when nothing is estimated."""
    import pandas as pd

    rows = parts_rows(table, host)
    if not rows:
        return None
    data = pd.DataFrame(rows)
    dtypes = list(dict.fromkeys(data["dtype"]))
    wide = data.pivot_table(index="Part", columns="dtype", values="GB", sort=False)[dtypes]
    wide.columns.name = None
    notes = data.drop_duplicates("Part").set_index("Part")["Note"]
    counted = data.groupby("Part", sort=False)["Counted"].all()
    wide["Note"] = [n + ("" if counted[p] else " (not counted in the peak)") for p, n in notes.items()]
    totals = {}
    for d in table.dtypes:
        v = table.get(host, d)
        if v is not None and v.estimate is not None:
            from lib.fit.estimate import DTYPE_LABELS

            totals[DTYPE_LABELS.get(d, d)] = v.estimate.total / GiB
    wide.loc["Total (peak)"] = {**totals, "Note": "weights + baseline + overhead + max(load peak, KV + activations)"}
    return wide


def parts_spec(dtype_order: Sequence[str]) -> dict[str, Any]:
    """Vega-Lite stacked horizontal bars: one bar per dtype, one segment per counted part."""
    return {
        "mark": {"type": "bar"},
        "height": {"step": 34},
        "encoding": {
            "y": {"field": "dtype", "type": "nominal", "sort": list(dtype_order), "title": None},
            "x": {"field": "GB", "type": "quantitative", "aggregate": "sum", "title": "Estimated peak (GB)"},
            "color": {"field": "Part", "type": "nominal", "sort": list(PART_ORDER), "title": "Part",
                      "legend": {"orient": "bottom"}},
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [
                {"field": "dtype", "type": "nominal"},
                {"field": "Part", "type": "nominal"},
                {"field": "GB", "type": "quantitative", "format": ".3f"},
                {"field": "Note", "type": "nominal"},
            ],
        },
    }


def estimate_notes(table: Any, host: str) -> list[str]:
    """The estimator's notes for ``host`` (no config, sliding window, quantisation …), once each."""
    out: dict[str, None] = {}
    for d in table.dtypes:
        v = table.get(host, d)
        if v is not None and v.estimate is not None:
            out.update(dict.fromkeys(v.estimate.notes))
    return list(out)


@dataclass(frozen=True)
class MeasuredRow:
    """A measured peak beside the estimate for the same model, dtype, device and context."""

    dtype: str
    device: str
    context_tokens: int | None
    measured: int
    estimated: int | None
    measured_at: float

    @property
    def estimate_error(self) -> float | None:
        """(estimated − measured) / measured: positive when the estimate is above the measurement."""
        return (self.estimated - self.measured) / self.measured if self.estimated and self.measured else None

    def as_dict(self) -> dict[str, Any]:
        from datetime import datetime, timezone

        err = self.estimate_error
        return {
            "dtype": self.dtype, "Device": self.device.upper() if self.device == "cpu" else self.device,
            "Context": f"{self.context_tokens:,}" if self.context_tokens else "–",
            "Measured peak": fmt.size_bytes(self.measured),
            "Estimate": fmt.size_bytes(self.estimated),
            "Estimate vs measured": f"{err:+.0%}" if err is not None else "–",
            "When": fmt.date(datetime.fromtimestamp(self.measured_at, timezone.utc)) if self.measured_at else "–",
        }


def measured_rows(spec: Any, measurements: Sequence[Any], context: int | None = None) -> list[MeasuredRow]:
    """One row per stored measurement (lib.fit.measured.Measurement), with the estimate recomputed
    for its dtype, device and context (the measurement's own context when it recorded one)."""
    from lib.fit.estimate import estimate_memory

    rows = []
    for m in measurements:
        ctx = m.context_tokens or context
        try:
            est = estimate_memory(spec, m.dtype, m.device if m.device in ("cpu", "cuda") else "cpu",
                                  context_tokens=ctx).total
        except ValueError:
            est = None
        rows.append(MeasuredRow(m.dtype, m.device, ctx, int(m.peak_bytes), est, float(m.measured_at or 0)))
    return rows


# ---- "use this model" -----------------------------------------------------------------------------

CODE_DEVICES = ("cpu", "cuda", "mps")
CODE_DTYPES = ("fp32", "bf16", "fp16")
DEVICE_LABELS = {"cpu": "CPU", "cuda": "CUDA GPU", "mps": "Apple MPS"}


def default_device(has_cuda: bool, has_mps: bool) -> str:
    return "cuda" if has_cuda else "mps" if has_mps else "cpu"


def default_dtype(device: str) -> str:
    return {"cuda": "bf16", "mps": "fp16"}.get(device, "fp32")


@dataclass(frozen=True)
class CodeChoice:
    """What the "use this model" section shows: the snippets, or why there are none."""

    pipeline: str | None
    auto: str | None
    notes: tuple[str, ...]
    library: str | None = None  # the sentence-transformers way, for such repos


def generic_code(model_id: str, device: str, dtype: str) -> str:
    """Loading code when the task is unknown: AutoModel + AutoConfig, nothing task-specific."""
    from lib.runner.device import torch_dtype_name

    return ("import torch\nfrom transformers import AutoConfig, AutoModel\n\n"
            f"model_id = {model_id!r}\nprint(AutoConfig.from_pretrained(model_id))\n"
            f'model = AutoModel.from_pretrained(model_id, dtype=torch.{torch_dtype_name(dtype)}).to("{device}").eval()\n')


def use_code(details: ModelDetails, device: str, dtype: str) -> CodeChoice:
    """The pipeline() one-liner and the Auto-class way for the model's task (lib.runner.code)."""
    from lib.runner import code

    notes: list[str] = []
    task = details.pipeline_tag
    spec = tasks.get(task)
    lib_name = (details.library_name or "").lower()
    if lib_name and lib_name not in ("transformers", "sentence-transformers", "peft", "timm"):
        notes.append(f"The Hub says this repo's library is **{md_escape(details.library_name)}**: the "
                     "transformers code below may not load it; see the model card for its own code.")
    if details.custom_code:
        notes.append("This model ships its own Python code (custom code): add `trust_remote_code=True` to "
                     "`from_pretrained` / `pipeline` only after reading that code.")
    if task is None or spec is None:
        notes.append("The Hub lists no task for this model, so only generic loading code is shown.")
        return CodeChoice(None, generic_code(details.id, device, dtype), tuple(notes))
    if not spec.runnable:
        notes.append(f"{md_escape(spec.name)}: {spec.reason}")
        return CodeChoice(None, generic_code(details.id, device, dtype), tuple(notes))
    is_st = lib_name == "sentence-transformers" or "sentence-transformers" in (details.tags or ())
    s = code.snippets(details.id, task, device, dtype, config=details.config or None, sentence_transformers=is_st)
    if s.pipeline is None and s.library is None:
        notes.append(f"transformers 5 has no `{task}` pipeline: use the Auto classes.")
    return CodeChoice(s.pipeline, s.auto, tuple(notes), s.library)


# ---- loading (the only function here that talks to the Hub, through lib.hub.client) -------------

@dataclass(frozen=True)
class ModelLookup:
    """What the page loads for one model id (cached as a whole by ``lib.ui.cached``).

    Exactly one of ``details`` / ``error`` is set. ``error_kind`` is ``ModelLookupError.kind``
    (``invalid_id``, ``not_found``, ``gated``, ``auth`` …) or ``error`` for anything unexpected.
    ``config`` is the full config.json when available, else ``config_note`` says why not.
    """

    model_id: str
    details: ModelDetails | None = None
    error: str | None = None
    error_kind: str | None = None
    config: dict[str, Any] | None = None
    config_note: str | None = None


def lookup(model_id: str, offline: bool = False) -> ModelLookup:
    """Details (+ config.json) for the page; ``offline`` never touches the network. Never raises."""
    from lib.hub.client import (ModelLookupError, fetch_config_json, fetch_model_details,
                                offline_model_details)

    try:
        details = offline_model_details(model_id, reason="Snapshot-only catalog mode") if offline \
            else fetch_model_details(model_id)
    except ModelLookupError as e:
        return ModelLookup(model_id, error=e.message, error_kind=e.kind)
    except Exception as e:  # noqa: BLE001 - the page shows a message, never a traceback
        return ModelLookup(model_id, error=f"Could not load {model_id}: {type(e).__name__}: {e}", error_kind="error")
    config, note = None, None
    has_config = any(f.path == "config.json" for f in details.files)
    if has_config or details.source == "offline":
        config, note = fetch_config_json(details.id, offline=offline or details.source == "offline",
                                         revision=details.sha if details.source == "offline" else None)
    else:
        note = "the repo has no config.json"
    return ModelLookup(details.id, details=details, config=config, config_note=note)


# ---- offline notes ------------------------------------------------------------------------------

def source_note(details: ModelDetails) -> str:
    """One line: where these details came from."""
    if details.source == "live":
        return f"Live from the Hub ({details.requests} request{'s' if details.requests != 1 else ''})"
    return "From the catalog snapshot and the local cache (the Hub was not asked)"


__all__ = [
    "Fact", "facts", "facts_frame", "md_escape", "gated_text", "base_models", "shown_tags",
    "clean_card", "card_has_html", "strip_front_matter", "FileRow", "file_rows", "file_kind", "formats_text",
    "weights_total", "ParamInfo", "parameter_info", "model_config", "FitConfig", "fit_config", "snapshot_config",
    "count_from_config", "ModelLookup", "lookup", "needs_config_count", "context_choices", "default_context",
    "model_spec", "fit_matrix", "parts_rows", "parts_table", "parts_spec", "estimate_notes", "MeasuredRow", "measured_rows", "CodeChoice", "use_code", "generic_code", "default_device", "default_dtype", "CODE_DEVICES",
    "CODE_DTYPES", "DEVICE_LABELS", "source_note",
]
