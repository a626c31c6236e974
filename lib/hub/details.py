"""What the Model page (and the test-drive) show about one model: :class:`ModelDetails`, built from
huggingface_hub's ``ModelInfo`` (:func:`fields_from_info`) — no network here.

Fetched by :func:`lib.hub.lookup.fetch_model_details` (live, through the gateway) or built by
:func:`lib.hub.offline.offline_model_details` (catalog record + local cache).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib.hub import normalize
from lib.hub.records import ModelRecord, parse_datetime

CONFIG_SUMMARY_KEYS = ("architectures", "model_type", "auto_map")


@dataclass(frozen=True)
class RepoFileInfo:
    """One file of the repo: path, size in bytes (None when unknown), stored with Git LFS."""

    path: str
    size: int | None = None
    lfs: bool = False


@dataclass(frozen=True)
class ModelDetails:
    """Everything the model page shows about one model.

    Attributes:
        id, author, pipeline_tag, library_name, license, gated, downloads, likes, created_at,
        last_modified, languages, datasets, base_models, tags: the Hub's facts.
        card: model card text (README.md, front matter removed) or None.
        files: repo files with sizes; ``total_size`` their sum when all sizes are known.
        weight_formats: among ``safetensors``, ``pickle`` (.bin/.pt/.pth/.ckpt/.pkl), ``gguf``, ``onnx``.
        pickle_only: weights exist only as pickle files (loading them can run code).
        custom_code: ``custom_code`` tag or ``auto_map`` in the config (needs trust_remote_code).
        params_by_dtype / params_total: exact counts from safetensors metadata (None when unknown).
        param_source: where the count came from, in words.
        config: the Hub's config summary (architectures, model_type, auto_map) when known.
        source: ``live`` (from the Hub) or ``offline`` (snapshot record + local cache).
        requests: HTTP requests this answer cost.
        missing: what is unknown, in words (offline or partial answers).
        record: the same model as a catalog :class:`ModelRecord` (fit checks reuse it).
    """

    id: str
    author: str | None = None
    pipeline_tag: str | None = None
    library_name: str | None = None
    license: str | None = None
    gated: bool | str = False
    downloads: int | None = None
    likes: int | None = None
    created_at: datetime | None = None
    last_modified: datetime | None = None
    languages: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    base_models: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    card: str | None = None
    files: tuple[RepoFileInfo, ...] = ()
    weight_formats: tuple[str, ...] = ()
    pickle_only: bool = False
    custom_code: bool = False
    params_by_dtype: dict[str, int] = field(default_factory=dict)
    params_total: int | None = None
    param_source: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    sha: str | None = None
    source: str = "live"
    requests: int = 0
    missing: tuple[str, ...] = ()
    record: ModelRecord | None = None

    @property
    def total_size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return sum(sizes) if sizes and all(s is not None for s in sizes) else None

    @property
    def weights_bytes(self) -> int | None:
        return normalize.weights_bytes(self.params_by_dtype) if self.params_by_dtype else None

    @property
    def hub_url(self) -> str:
        return f"https://huggingface.co/{self.id}"


def as_tuple(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    return tuple(str(x) for x in v)

def record_dict(info) -> dict:
    d = {k: v for k, v in vars(info).items() if k not in ("siblings", "card_data", "safetensors", "config")}
    d["cardData"] = dict(info.card_data.to_dict()) if info.card_data is not None else {}
    if info.safetensors is not None:
        d["safetensors"] = {"parameters": dict(info.safetensors.parameters), "total": info.safetensors.total}
    return d


def fields_from_info(info) -> dict[str, Any]:
    card = info.card_data.to_dict() if info.card_data is not None else {}
    tags = tuple(info.tags or ())
    files = tuple(
        RepoFileInfo(s.rfilename, s.size, s.lfs is not None) for s in (info.siblings or [])
    )
    formats = normalize.weight_formats(f.path for f in files)
    lic = next(iter(normalize.licenses(tags, card.get("license"))), None)
    langs = normalize.languages(tags, card.get("language"))
    datasets = as_tuple(card.get("datasets")) or tuple(t.split(":", 1)[1] for t in tags if t.startswith("dataset:"))
    base = as_tuple(card.get("base_model")) or tuple(
        t.split(":", 1)[1] for t in tags if t.startswith("base_model:") and t.count(":") == 1)
    st = info.safetensors
    by_dtype = {k.upper(): int(v) for k, v in (st.parameters or {}).items()} if st is not None else {}
    gated = normalize.gated_value(info.gated)
    return dict(
        id=info.id, author=info.author or (info.id.split("/")[0] if "/" in info.id else None),
        pipeline_tag=info.pipeline_tag, library_name=info.library_name, license=lic, gated=gated,
        downloads=info.downloads, likes=info.likes, created_at=parse_datetime(info.created_at),
        last_modified=parse_datetime(info.last_modified), languages=langs, datasets=datasets,
        base_models=base, tags=tags, files=files, weight_formats=formats, pickle_only=normalize.pickle_only(formats),
        params_by_dtype=by_dtype, params_total=(st.total if st is not None else None),
        param_source="safetensors (Hub metadata)" if st is not None else None,  # i18n: a data value
        config=config_summary(info.config or {}),
        sha=info.sha,
    )




def config_summary(config: dict[str, Any]) -> dict[str, Any]:
    """The parts of a config the details keep (architectures, model_type, auto_map)."""
    return {k: config[k] for k in CONFIG_SUMMARY_KEYS if k in config}
