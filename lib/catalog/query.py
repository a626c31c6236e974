"""The one query type every catalog source answers, and its URL form."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Literal

from lib.format import md_code, number
from lib.hub.normalize import license_value
from lib.i18n import N_, _

Sort = Literal["downloads", "likes", "trending", "created", "modified"]
#: sort key -> its name for people (a catalogue msgid: translate it where it is shown, ``_(SORTS[s])``)
SORTS: dict[str, str] = {
    "downloads": N_("Most downloads"),
    "likes": N_("Most likes"),
    "trending": N_("Trending"),
    "created": N_("Newest"),
    "modified": N_("Recently updated"),
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
#: The largest count a filter takes (parameters, downloads, likes): above any model, and exact in a
#: browser's numbers (below 2**53), so a number input can show it.
MAX_COUNT = 10**15
_SWITCH = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False,
           "": False}
_COUNTS = ("params_min", "params_max", "min_downloads", "min_likes")


def _count(value: int | None) -> int | None:
    """A count filter in [0, MAX_COUNT]; a negative one is no constraint."""
    if value is None or value < 0:
        return None
    return min(int(value), MAX_COUNT)


def _shown(raw: str) -> str:
    """A value from a link as a message shows it: inline code (never a live link), at most 30 characters."""
    return md_code(raw, 30)


@dataclass(frozen=True)
class CatalogQuery:
    """A catalog search. ``None`` / empty means "no constraint".

    ``library``, ``language`` and ``license`` are Hub tags (``transformers``, ``es``,
    ``apache-2.0``; ``license:apache-2.0`` means the same license); ``gated`` True keeps only gated
    models, False only open ones; ``providers`` True keeps only models served by at least one
    Inference Provider (the live Hub knows; the snapshot does not: ``lib.catalog.source`` says so).
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
    providers: bool = False
    sort: Sort = "downloads"
    limit: int = 100

    def normalized(self) -> CatalogQuery:
        """Strip blanks, lowercase tag filters (a license without its ``license:`` prefix), clamp the
        limit to [1, MAX_LIMIT] and counts to [0, MAX_COUNT] (a negative count is no constraint),
        reject unknown sorts."""
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
            **{name: _count(getattr(self, name)) for name in _COUNTS},
            providers=bool(self.providers), sort=sort, limit=limit,
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
        return cls.parse_params(params)[0]

    @classmethod
    def parse_params(cls, params: Mapping[str, str]) -> tuple[CatalogQuery, tuple[str, ...]]:
        """The query a link describes, and a sentence for each value it could not use as written:
        a number that is not one (``abc``, ``nan``) or is negative is ignored; one too large
        (``1e309``, ``1e400`` …) is clamped to the largest allowed. Never raises."""
        kw: dict = {}
        problems: list[str] = []
        for f in fields(cls):
            if f.name not in params:
                continue
            raw = params[f.name]
            if isinstance(raw, list):
                raw = raw[-1] if raw else ""
            raw = str(raw)
            if f.name in (*_COUNTS, "limit"):
                top = MAX_LIMIT if f.name == "limit" else MAX_COUNT
                try:
                    value = float(raw.strip())
                except ValueError:
                    value = math.nan
                if math.isnan(value):
                    problems.append(_("Ignored {name}={value} in the link: not a number.")
                                    .format(name=f.name, value=_shown(raw)))
                elif value < 0:
                    problems.append(_("Ignored {name}={value} in the link: it cannot be negative.")
                                    .format(name=f.name, value=_shown(raw)))
                elif value > top:
                    problems.append(_("{name}={value} in the link is too large: used {limit}.")
                                    .format(name=f.name, value=_shown(raw), limit=number(top)))
                    kw[f.name] = top
                else:
                    kw[f.name] = int(value)
            elif f.name == "gated":
                kw[f.name] = {"1": True, "true": True, "0": False, "false": False}.get(raw.lower())
            elif f.name == "providers":
                on = _SWITCH.get(raw.strip().lower())
                if on is None:
                    problems.append(_("Ignored providers={value} in the link: use providers=1 or providers=0.")
                                    .format(value=_shown(raw)))
                kw[f.name] = bool(on)
            else:
                kw[f.name] = raw
        return cls(**kw).normalized(), tuple(problems)

    def as_dict(self) -> dict:
        return asdict(self)
