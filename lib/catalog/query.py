"""The one query type every catalog source answers, and its URL form."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Literal

from lib.hub.normalize import license_value

Sort = Literal["downloads", "likes", "trending", "created", "modified"]
SORTS: dict[str, str] = {
    "downloads": "Most downloads",
    "likes": "Most likes",
    "trending": "Trending",
    "created": "Newest",
    "modified": "Recently updated",
}
# Hub API sort keys (huggingface_hub's ModelSort_T); sort is always descending on the Hub.
HUB_SORT: dict[str, str] = {
    "downloads": "downloads",
    "likes": "likes",
    "trending": "trending_score",
    "created": "created_at",
    "modified": "last_modified",
}
MAX_LIMIT = 1000


@dataclass(frozen=True)
class CatalogQuery:
    """A catalog search. ``None`` / empty means "no constraint".

    ``library``, ``language`` and ``license`` are Hub tags (``transformers``, ``es``,
    ``apache-2.0``; ``license:apache-2.0`` means the same license); ``gated`` True keeps only gated
    models, False only open ones.
    """

    task: str | None = None
    search: str | None = None
    author: str | None = None
    library: str | None = None
    language: str | None = None
    license: str | None = None
    params_min: int | None = None
    params_max: int | None = None
    min_downloads: int | None = None
    min_likes: int | None = None
    gated: bool | None = None
    sort: Sort = "downloads"
    limit: int = 100

    def normalized(self) -> CatalogQuery:
        """Strip blanks, lowercase tag filters (a license without its ``license:`` prefix), clamp the
        limit, reject unknown sorts."""
        def s(v):
            v = (v or "").strip()
            return v or None
        sort = self.sort if self.sort in SORTS else "downloads"
        limit = max(1, min(int(self.limit or 100), MAX_LIMIT))
        return replace(
            self,
            task=s(self.task), search=s(self.search), author=s(self.author),
            library=(s(self.library) or None) and s(self.library).lower(),
            language=(s(self.language) or None) and s(self.language).lower(),
            license=license_value(s(self.license)),
            sort=sort, limit=limit,
        )

    # ---- URL form (st.query_params is a str -> str mapping) ---------------------------------
    def to_params(self) -> dict[str, str]:
        """Only the fields that differ from the defaults, as strings."""
        default = CatalogQuery()
        out: dict[str, str] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v == getattr(default, f.name) or v is None:
                continue
            out[f.name] = ("1" if v else "0") if isinstance(v, bool) else str(v)
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CatalogQuery:
        """Parse URL parameters leniently: a malformed value is ignored, never raised."""
        kw: dict = {}
        for f in fields(cls):
            if f.name not in params:
                continue
            raw = params[f.name]
            if isinstance(raw, list):
                raw = raw[-1] if raw else ""
            raw = str(raw)
            if f.name in ("params_min", "params_max", "min_downloads", "min_likes", "limit"):
                try:
                    kw[f.name] = int(float(raw))
                except ValueError:
                    continue
            elif f.name == "gated":
                kw[f.name] = {"1": True, "true": True, "0": False, "false": False}.get(raw.lower())
            else:
                kw[f.name] = raw
        return cls(**kw).normalized()

    def as_dict(self) -> dict:
        return asdict(self)
