"""Typed records for Hub models, tolerant of unknown fields.

Modelled on huggingface_hub's ``ModelInfo``: every field is optional except the id, unknown
keys from the API are kept in ``extra`` rather than rejected, and the same record is produced
by the live Hub listing, the embedded snapshot and a user-supplied dump of the Hub's model list.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lib.hub import normalize
from lib.hub.normalize import DTYPE_BYTES, parse_datetime  # noqa: F401 - re-exported (older imports)
from lib.hub.providers import ProviderMapping, parse_mapping


def languages_from_tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    """Language codes among a model's tags (see :func:`lib.hub.normalize.is_language_tag`)."""
    return normalize.languages(tags)


def license_from_tags(tags: tuple[str, ...]) -> str | None:
    """The first ``license:`` tag's license (see :func:`lib.hub.normalize.licenses` for all)."""
    found = normalize.licenses(tags)
    return found[0] if found else None


@dataclass(frozen=True)
class ModelRecord:
    """One Hub model as shown in Discover and used by the fit check.

    Attributes:
        id: ``owner/name`` repo id (``gpt2`` style legacy ids have no owner).
        author: the owner, or None.
        pipeline_tag: the Hub task, or None when the Hub does not know it (never guessed).
        library_name: e.g. ``transformers``, ``sentence-transformers``, ``gguf``.
        params_total: total parameter count, or None when unknown.
        params_by_dtype: parameter counts per safetensors dtype (``{"BF16": 494032768}``).
        params_exact: True when ``params_total`` comes from safetensors metadata, False when it
            was estimated (from the model name or a config).
        param_source: where the parameter count came from, in words.
        downloads, likes, trending_score: popularity figures (downloads = last 30 days).
        license: the first of ``licenses`` (what one cell shows), or None.
        licenses: every license: all ``license:…`` tags, then card data (lowercase ids).
        languages: language codes: card data, then language tags (:mod:`lib.hub.normalize`).
        created_at, last_modified: timezone-aware datetimes or None.
        gated: False, or ``"auto"`` / ``"manual"`` (the Hub's values), True when only known gated.
        tags: the Hub's full tag list.
        inference_providers: the Inference Providers serving it (:mod:`lib.hub.providers`), ``()`` for
            none, None when unknown (the snapshot, or a listing that did not ask for them).
        extra: any field this record has no attribute for, kept as received.
    """

    id: str
    author: str | None = None
    pipeline_tag: str | None = None
    library_name: str | None = None
    params_total: int | None = None
    params_by_dtype: Mapping[str, int] = field(default_factory=dict)
    params_exact: bool = False
    param_source: str | None = None
    downloads: int | None = None
    likes: int | None = None
    trending_score: float | None = None
    license: str | None = None
    languages: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    created_at: datetime | None = None
    last_modified: datetime | None = None
    gated: bool | str = False
    tags: tuple[str, ...] = ()
    inference_providers: tuple[ProviderMapping, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.license and not self.licenses:  # built with only the one license
            object.__setattr__(self, "licenses", (self.license,))

    # ---- derived -----------------------------------------------------------------------------
    @property
    def hub_url(self) -> str:
        return f"https://huggingface.co/{self.id}"

    @property
    def main_dtype(self) -> str | None:
        """The dtype holding most parameters (what the weights are stored in)."""
        if not self.params_by_dtype:
            return None
        return max(self.params_by_dtype.items(), key=lambda kv: kv[1])[0]

    @property
    def weights_bytes(self) -> int | None:
        """Size of the weights at their stored dtypes; F32 assumed when only a total is known."""
        return normalize.weights_bytes(self.params_by_dtype, self.params_total)

    @property
    def is_gated(self) -> bool:
        return bool(self.gated) and self.gated != "false"

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ModelRecord:
        """Build from a Hub API JSON object (``/api/models`` item or ``/api/models/{id}``).

        Accepts both the API's camelCase keys and huggingface_hub's snake_case attribute names,
        so it also takes ``vars(ModelInfo)`` and rows of the Hub's public model-list dumps.
        """
        d = dict(data)
        rid = d.pop("id", None) or d.pop("modelId", None) or d.pop("model_id", None)
        if not rid:
            raise ValueError("a Hub model record needs an id")  # i18n: bad data, for a programmer
        d.pop("modelId", None)
        d.pop("_id", None)
        tags = tuple(d.pop("tags", None) or ())
        card = d.pop("cardData", None) or d.pop("card_data", None) or {}
        if not isinstance(card, Mapping):
            card = dict(vars(card)) if hasattr(card, "__dict__") else {}
        pc = normalize.param_count(d.pop("safetensors", None))
        lics = normalize.licenses(tags, card.get("license"))
        languages = normalize.languages(tags, card.get("language"))
        gated = normalize.gated_value(d.pop("gated", False))
        providers = None  # unknown unless the answer has the field
        for key in ("inferenceProviderMapping", "inference_provider_mapping"):
            raw = d.pop(key, None)
            if raw is not None and providers is None:
                providers = parse_mapping(raw)
        known = {
            "author": d.pop("author", None),
            "pipeline_tag": d.pop("pipeline_tag", None) or d.pop("pipelineTag", None),
            "library_name": normalize.library(d.pop("library_name", None) or d.pop("libraryName", None), tags),
            "downloads": _int(d.pop("downloads", None)),
            "likes": _int(d.pop("likes", None)),
            "trending_score": _float(d.pop("trendingScore", None) if "trendingScore" in d
                                     else d.pop("trending_score", None)),
            "created_at": parse_datetime(d.pop("createdAt", None) or d.pop("created_at", None)),
            "last_modified": parse_datetime(d.pop("lastModified", None) or d.pop("last_modified", None)),
        }
        if known["author"] is None and "/" in rid:
            known["author"] = rid.split("/", 1)[0]
        return cls(
            id=rid,
            params_total=pc.total,
            params_by_dtype=dict(pc.by_dtype),
            params_exact=pc.exact,
            param_source=pc.source,
            license=lics[0] if lics else None,
            licenses=lics,
            languages=languages,
            gated=gated,
            tags=tags,
            inference_providers=providers,
            extra={**d, **({"cardData": dict(card)} if card else {})},
            **known,
        )


def _int(v: Any) -> int | None:
    try:
        return None if v is None or v != v else int(v)
    except (TypeError, ValueError):
        return None


def _float(v: Any) -> float | None:
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None
