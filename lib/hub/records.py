"""Typed records for Hub models, tolerant of unknown fields.

Modelled on huggingface_hub's ``ModelInfo``: every field is optional except the id, unknown
keys from the API are kept in ``extra`` rather than rejected, and the same record is produced
by the live Hub listing, the embedded snapshot and a user-supplied dump of the Hub's model list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

# Bytes per parameter for the dtype names the Hub uses in ``safetensors.parameters``.
DTYPE_BYTES: dict[str, float] = {
    "F64": 8, "I64": 8, "U64": 8,
    "F32": 4, "I32": 4, "U32": 4,
    "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
    "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "I8": 1, "U8": 1, "BOOL": 1,
    "F4": 0.5, "F6_E2M3": 0.75, "F6_E3M2": 0.75,
}


def parse_datetime(value: Any) -> datetime | None:
    """Parse the Hub's ISO dates (``2022-03-02T23:29:04.000Z``) or pass datetimes through."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        text = str(value).strip().replace("Z", "+00:00")
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def languages_from_tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    """ISO-639 style language codes among a model's tags (two or three lowercase letters)."""
    return tuple(t for t in tags if 2 <= len(t) <= 3 and t.isalpha() and t.islower())


def license_from_tags(tags: tuple[str, ...]) -> str | None:
    for t in tags:
        if t.startswith("license:"):
            return t.split(":", 1)[1]
    return None


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
        license: SPDX-like id from ``license:…`` tags or card data.
        languages: language codes.
        created_at, last_modified: timezone-aware datetimes or None.
        gated: False, or ``"auto"`` / ``"manual"`` (the Hub's values), True when only known gated.
        tags: the Hub's full tag list.
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
    created_at: datetime | None = None
    last_modified: datetime | None = None
    gated: bool | str = False
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

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
        if self.params_by_dtype:
            return int(sum(n * DTYPE_BYTES.get(d.upper(), 4) for d, n in self.params_by_dtype.items()))
        if self.params_total:
            return int(self.params_total * 4)
        return None

    @property
    def is_gated(self) -> bool:
        return bool(self.gated) and self.gated != "false"

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "ModelRecord":
        """Build from a Hub API JSON object (``/api/models`` item or ``/api/models/{id}``).

        Accepts both the API's camelCase keys and huggingface_hub's snake_case attribute names,
        so it also takes ``vars(ModelInfo)`` and rows of the Hub's public model-list dumps.
        """
        d = dict(data)
        rid = d.pop("id", None) or d.pop("modelId", None) or d.pop("model_id", None)
        if not rid:
            raise ValueError("a Hub model record needs an id")
        d.pop("modelId", None)
        d.pop("_id", None)
        tags = tuple(d.pop("tags", None) or ())
        card = d.pop("cardData", None) or d.pop("card_data", None) or {}
        if not isinstance(card, Mapping):
            card = dict(vars(card)) if hasattr(card, "__dict__") else {}
        st = d.pop("safetensors", None)
        by_dtype: dict[str, int] = {}
        total = None
        if st is not None:
            if not isinstance(st, Mapping):
                st = {"parameters": getattr(st, "parameters", None), "total": getattr(st, "total", None)}
            by_dtype = {str(k).upper(): int(v) for k, v in (st.get("parameters") or {}).items()}
            total = st.get("total")
            if total is None and by_dtype:
                total = sum(by_dtype.values())
        lic = license_from_tags(tags) or _first(card.get("license"))
        langs = card.get("language")
        if isinstance(langs, str):
            langs = [langs]
        languages = tuple(langs) if langs else languages_from_tags(tags)
        gated = d.pop("gated", False)
        if gated in (None, "false", "False"):
            gated = False
        known = {
            "author": d.pop("author", None),
            "pipeline_tag": d.pop("pipeline_tag", None) or d.pop("pipelineTag", None),
            "library_name": d.pop("library_name", None) or d.pop("libraryName", None),
            "downloads": _int(d.pop("downloads", None)),
            "likes": _int(d.pop("likes", None)),
            "trending_score": _float(d.pop("trendingScore", None) if "trendingScore" in d else d.pop("trending_score", None)),
            "created_at": parse_datetime(d.pop("createdAt", None) or d.pop("created_at", None)),
            "last_modified": parse_datetime(d.pop("lastModified", None) or d.pop("last_modified", None)),
        }
        if known["author"] is None and "/" in rid:
            known["author"] = rid.split("/", 1)[0]
        return cls(
            id=rid,
            params_total=_int(total),
            params_by_dtype=by_dtype,
            params_exact=total is not None,
            param_source="safetensors" if total is not None else None,
            license=lic,
            languages=languages,
            gated=gated,
            tags=tags,
            extra={**d, **({"cardData": dict(card)} if card else {})},
            **known,
        )


def _first(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return v[0] if v else None
    return v


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
