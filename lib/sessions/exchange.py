"""The session export (format ``hubscout-session``, version 1): building it, writing it as CSV, and
checking a file to import before anything is written.

JSON export (what :func:`build_export` returns and :func:`validate_export` accepts)::

    {"format": "hubscout-session", "version": 1,
     "session": {"id", "name", "task", "created": ISO-8601 UTC, "settings": {...}},
     "candidates": [{"id": "c1", "model", "revision": sha|null, "stats": {...},
                     "backend": {"backend": "providers"|"url", "provider"?, "url"?}|null}],
     "inputs": [{"id": "i1", "text": str|null, "reference": str|null, "inputs": {..., "media_b64": {...}}}],
     "outputs": [{"input", "candidate", "output": JSON|null, "error": {"title", "message"}|null, "latency_s"}],
     "votes": [{"rater", "input", "left", "right", "choice": "left|right|tie|both_bad", "at"}],
     "scores": [{"rater", "input", "candidate", "score": 1..5, "comment": str|null, "at"}]}

A candidate's ``backend`` is where it ran (:meth:`lib.hub.inference.Backend.params`; null or absent: this
machine — an export made before remote candidates existed imports as local). Only ``backend``, ``provider``
and ``url`` are kept: a token never travels.

CSV export (:func:`to_csv`): one row per (input, candidate) cell, in input then candidate order.
Columns: ``session, input, candidate, model, revision, runs_on`` (this machine, Inference Providers (…), or
the server's host), ``text, reference, output`` (the output as
JSON), ``error, latency_s``, then the raters' judgements, each column named ``human_…`` so that
human labels are never mistaken for model output: ``human_votes`` (pairwise votes that include the
candidate on that input), ``human_wins, human_losses, human_ties, human_both_bad``,
``human_scores`` (how many 1-5 scores), ``human_score_mean``, ``human_comments`` ("rater: comment"
joined by " | "). Text cells that a spreadsheet would run as a formula (starting with = + - @) get
a leading apostrophe.

The JSON and CSV exports are data for programs: their keys, column names and codes (``choice``, ``format``…) stay
English whatever the UI's language. The import's refusals (:class:`SessionFormatError`) are for people, made in the
language of the call.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from typing import Any

from lib import format as fmt
from lib import i18n
from lib.i18n import _

from . import codec
from .candidates import where
from .errors import SessionFormatError
from .inputs import MAX_ROWS

__all__ = ["FORMAT", "VERSION", "CHOICES", "MIN_CANDIDATES", "MAX_CANDIDATES", "CSV_COLUMNS", "build_export",
           "to_csv", "validate_export", "rows_for_store"]

FORMAT, VERSION = "hubscout-session", 1
CHOICES = ("left", "right", "tie", "both_bad")
MIN_CANDIDATES, MAX_CANDIDATES = 2, 8
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# i18n: the CSV's column names are data for programs (English in every language)
CSV_COLUMNS = ["session", "input", "candidate", "model", "revision", "runs_on", "text", "reference", "output", "error",
               "latency_s", "human_votes", "human_wins", "human_losses", "human_ties", "human_both_bad",
               "human_scores", "human_score_mean", "human_comments"]
_LIMITS = {"name": 200, "task": 64, "model": 1024, "revision": 64, "rater": 128}


# ------------------------------------------------------------------ building
def build_export(info, outputs: list[dict], votes: list[dict], scores: list[dict]) -> dict:
    """The export dict of a :class:`lib.sessions.store.SessionInfo` and its rows (outputs already
    JSON values as :mod:`lib.sessions.codec` encodes them)."""
    return {
        "format": FORMAT, "version": VERSION,
        "session": {"id": info.id, "name": info.name, "task": info.task, "created": info.created.isoformat(),
                    "settings": codec.encode(info.settings)},
        "candidates": [{"id": c.id, "model": c.model, "revision": c.revision, "stats": codec.encode(c.stats),
                        "backend": c.backend} for c in info.candidates],
        "inputs": [{"id": i.id, "text": i.text, "reference": i.reference, "inputs": codec.inputs_to_export(i.inputs)}
                   for i in info.inputs],
        "outputs": outputs, "votes": votes, "scores": scores,
    }


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(export: dict) -> str:
    """The export as CSV, one row per output cell (columns: the module's docstring)."""
    models = {c["id"]: c for c in export["candidates"]}
    texts = {i["id"]: i for i in export["inputs"]}
    tally: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for v in export["votes"]:
        for side, other in (("left", "right"), ("right", "left")):
            t = tally[(v["input"], v[side])]
            t["votes"] += 1
            if v["choice"] == side:
                t["wins"] += 1
            elif v["choice"] == other:
                t["losses"] += 1
            elif v["choice"] == "tie":
                t["ties"] += 1
            else:
                t["both_bad"] += 1
    marks: dict[tuple[str, str], list] = defaultdict(list)
    for sc in export["scores"]:
        marks[(sc["input"], sc["candidate"])].append(sc)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    with i18n.scope("en"):  # a file for programs: the same words in every UI language
        runs_on = {cid: where(m.get("backend")) for cid, m in models.items()}
    for o in export["outputs"]:
        key = (o["input"], o["candidate"])
        t, ms = tally.get(key, {}), marks.get(key, [])
        err = o.get("error")
        w.writerow([_cell(x) for x in (
            export["session"].get("id"), o["input"], o["candidate"], models[o["candidate"]]["model"],
            models[o["candidate"]].get("revision"), runs_on[o["candidate"]],
            texts[o["input"]].get("text"),
            texts[o["input"]].get("reference"),
            None if o.get("output") is None else json.dumps(o["output"], ensure_ascii=False),
            None if not err else f"{err.get('title')}: {err.get('message')}", o.get("latency_s"),
            t.get("votes", 0), t.get("wins", 0), t.get("losses", 0), t.get("ties", 0), t.get("both_bad", 0),
            len(ms), round(sum(m["score"] for m in ms) / len(ms), 3) if ms else None,
            " | ".join(f"{m['rater']}: {m['comment']}" for m in ms if m.get("comment")) or None)])
    return buf.getvalue()


# ------------------------------------------------------------------ checking an import
def refused(message: str) -> SessionFormatError:
    """The import's refusal: ``message`` and that nothing was imported (:func:`nothing_imported`)."""
    return SessionFormatError(message + " " + nothing_imported())


def nothing_imported() -> str:
    """The sentence every refusal of an import ends with (the CLI leaves it out: it imports nothing)."""
    return _("Nothing was imported.")


def _fail(where: str, what: str) -> SessionFormatError:
    """``where``: the place in the file (``votes[3].choice``: a JSON path, not translated); ``what``: what is
    wrong with it, translated (a predicate: "should be a list")."""
    return refused(_("This is not a usable Hub Scout session export: {where} {problem}.").format(where=where,
                                                                                               problem=what))


def _str(d: dict, key: str, where: str, *, required: bool = True) -> str | None:
    value = d.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(f"{where}.{key}", _("should be non-empty text") if required else _("should be text or null"))
    value = codec.plain_text(value)
    limit = _LIMITS.get(key)
    if limit and len(value) > limit:
        raise _fail(f"{where}.{key}", _("is longer than {n} characters").format(n=fmt.number(limit)))
    return value


def _list(data: dict, key: str) -> list:
    value = data.get(key, [] if key in ("outputs", "votes", "scores") else None)
    if not isinstance(value, list):
        raise _fail(f"'{key}'", _("should be a list"))
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            raise _fail(f"{key}[{n}]", _("should be an object"))
    return value


def _ids(items: list[dict], key: str) -> list[str]:
    seen: list[str] = []
    for n, item in enumerate(items):
        value = item.get("id")
        if not isinstance(value, str) or not ID_RE.match(value):
            raise _fail(f"{key}[{n}].id", _("should be a short id such as c1 or i1"))
        if value in seen:
            raise _fail(f"{key}[{n}].id", _("repeats {id}").format(id=repr(value)))
        seen.append(value)
    return seen


def _ref(item: dict, key: str, known: list[str], where: str) -> str:
    value = item.get(key)
    if value not in known:
        raise _fail(f"{where}.{key}", _("names {id}, which is not in the file").format(id=repr(value)))
    return value


def _time(item: dict, key: str, where: str, default: str) -> str:
    if item.get(key) is None:
        return default
    try:
        return codec.parse_time(item[key]).isoformat(timespec="microseconds")
    except SessionFormatError:
        raise _fail(f"{where}.{key}", _("is not an ISO-8601 time")) from None


def _load(data: dict | bytes | str) -> dict:
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise refused(_("This file is not text (UTF-8 JSON): not a Hub Scout session export.")) from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except RecursionError:
            raise refused(_("This file nests too deeply to be a Hub Scout session export.")) from None
        except json.JSONDecodeError as e:
            raise refused(_("This file is not valid JSON (line {line}, column {column}: {error}): not a Hub Scout "
                            "session export, or a damaged one.").format(line=fmt.number(e.lineno),
                                                                       column=fmt.number(e.colno), error=e.msg)
                          ) from None
    if not isinstance(data, dict):
        raise refused(_("This file is not a Hub Scout session export (a JSON object is expected)."))
    return data


class _AnyHost:
    """An import keeps a candidate's URL as it was: whether a visitor may send runs there is decided when it runs."""

    @staticmethod
    def url_refusal(host: str) -> None:
        return None


_BACKEND_EXAMPLE = '{"backend": "providers"}'  # i18n: a JSON example (the file's keys and codes are English)


def _backend(value: Any, where_: str) -> dict | None:
    """A candidate's backend from a file: null / absent / ``local`` = this machine; else ``backend`` (providers
    or url), ``provider`` (a name) or ``url`` (http(s)); anything else in it (a token…) is dropped."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(where_, _("should be an object such as {example} or null").format(example=_BACKEND_EXAMPLE))
    kind = value.get("backend")
    if kind in (None, "local"):
        return None
    if kind not in ("providers", "url"):
        raise _fail(f"{where_}.backend", _("should be local, providers or url"))
    out = {"backend": kind}
    if kind == "providers" and value.get("provider") not in (None, "auto"):
        provider = value.get("provider")
        if not isinstance(provider, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", provider):
            raise _fail(f"{where_}.provider", _("should be a provider's name"))
        out["provider"] = provider
    if kind == "url":
        from lib.hub.errors import HubError
        from lib.hub.inference import check_url

        try:
            out["url"] = check_url(value.get("url") if isinstance(value.get("url"), str) else None, _AnyHost())
        except HubError as e:
            raise _fail(f"{where_}.url", _("is not a server URL ({reason})").format(reason=e.message.rstrip("."))
                        ) from None
    return out


_ERROR_EXAMPLE = '{"title", "message"}'  # i18n: the keys of a cell's error in the file


def validate_export(data: dict | bytes | str) -> dict:
    """Check an export fully and return it normalised (times as ISO UTC, optional fields filled).
    Anything foreign or damaged: SessionFormatError naming the first problem."""
    data = _load(data)
    if data.get("format") != FORMAT:
        raise refused(_("This file is not a Hub Scout session export (its format is {format}, expected "
                        "{expected}).").format(format=repr(str(data.get("format"))[:40]), expected=repr(FORMAT)))
    version = data.get("version")
    if version != VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > VERSION
        text = (_("This session export has version {version}; this Hub Scout reads version {expected} (it was made "
                  "by a newer Hub Scout).") if newer else
                _("This session export has version {version}; this Hub Scout reads version {expected}."))
        raise refused(text.format(version=repr(version), expected=VERSION))
    sess = data.get("session")
    if not isinstance(sess, dict):
        raise _fail("'session'", _("should be an object"))
    sid = sess.get("id")
    settings = sess.get("settings") or {}
    if not isinstance(settings, dict):
        raise _fail("session.settings", _("should be an object"))
    created = _time(sess, "created", "session", "")
    if not created:
        raise _fail("session.created", _("is missing"))
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION, "session": {
        "id": sid if isinstance(sid, str) and ID_RE.match(sid) else None,
        "name": _str(sess, "name", "session").strip(), "task": _str(sess, "task", "session"),
        "created": created, "settings": settings}}

    cands, ins = _list(data, "candidates"), _list(data, "inputs")
    if not MIN_CANDIDATES <= len(cands) <= MAX_CANDIDATES:
        raise _fail("'candidates'", _("should list {min} to {max} models ({n} listed)").format(
            min=MIN_CANDIDATES, max=MAX_CANDIDATES, n=fmt.number(len(cands))))
    if not 1 <= len(ins) <= MAX_ROWS:
        raise _fail("'inputs'", _("should list 1 to {max} inputs ({n} listed)").format(
            max=fmt.number(MAX_ROWS), n=fmt.number(len(ins))))
    cids, iids = _ids(cands, "candidates"), _ids(ins, "inputs")
    out["candidates"] = []
    for n, c in enumerate(cands):
        where = f"candidates[{n}]"
        stats = c.get("stats") or {}
        if not isinstance(stats, dict):
            raise _fail(f"{where}.stats", _("should be an object"))
        out["candidates"].append({"id": c["id"], "model": _str(c, "model", where),
                                  "revision": _str(c, "revision", where, required=False),
                                  "stats": stats, "backend": _backend(c.get("backend"), f"{where}.backend")})
    out["inputs"] = []
    for n, i in enumerate(ins):
        where = f"inputs[{n}]"
        text = _str(i, "text", where, required=False)
        raw = i.get("inputs")
        if raw is None or raw == {}:  # the minimal export has id, text and reference only
            raw = {"text": text} if text is not None else None
        if not isinstance(raw, dict) or not raw:
            raise _fail(f"{where}.inputs", _("should be the runner's input object"))
        try:
            codec.inputs_from_export(raw)
        except SessionFormatError as e:
            raise _fail(f"{where}.inputs", _("is damaged ({reason})").format(reason=e)) from None
        out["inputs"].append({"id": i["id"], "text": text, "reference": _str(i, "reference", where, required=False),
                              "inputs": raw})

    out["outputs"], cells = [], set()
    for n, o in enumerate(_list(data, "outputs")):
        where = f"outputs[{n}]"
        key = (_ref(o, "input", iids, where), _ref(o, "candidate", cids, where))
        if key in cells:
            raise _fail(where, _("repeats the cell {input} x {candidate}").format(input=key[0], candidate=key[1]))
        cells.add(key)
        err, lat = o.get("error"), o.get("latency_s")
        if err is not None and not (isinstance(err, dict) and isinstance(err.get("message", ""), str)):
            raise _fail(f"{where}.error", _("should be {example} or null").format(example=_ERROR_EXAMPLE))
        if lat is not None and (isinstance(lat, bool) or not isinstance(lat, (int, float)) or lat < 0):
            raise _fail(f"{where}.latency_s", _("should be a number of seconds or null"))
        try:
            codec.to_json(codec.decode(o.get("output")))
        except (SessionFormatError, RecursionError, TypeError, ValueError) as e:
            reason = _("nested too deeply") if isinstance(e, RecursionError) else e
            raise _fail(f"{where}.output", _("is damaged ({reason})").format(reason=reason)) from None
        out["outputs"].append({"input": key[0], "candidate": key[1], "output": o.get("output"),
                               "error": None if err is None else {"title": str(err.get("title") or "Error"),
                                                                  "message": err.get("message", "")},
                               "latency_s": None if lat is None else float(lat)})

    out["votes"], seen = [], set()
    for n, v in enumerate(_list(data, "votes")):
        where = f"votes[{n}]"
        rater = _str(v, "rater", where).strip()
        inp, left, right = _ref(v, "input", iids, where), _ref(v, "left", cids, where), _ref(v, "right", cids, where)
        if left == right:
            raise _fail(where, _("compares a candidate with itself"))
        if v.get("choice") not in CHOICES:
            raise _fail(f"{where}.choice", _("should be one of {choices}").format(choices=", ".join(CHOICES)))
        key = (rater, inp, *sorted((left, right)))
        if key in seen:
            raise _fail(where, _("repeats {rater}'s vote on {input} ({left} vs {right})").format(
                rater=rater, input=inp, left=left, right=right))
        seen.add(key)
        out["votes"].append({"rater": rater, "input": inp, "left": left, "right": right, "choice": v["choice"],
                             "at": _time(v, "at", where, created)})

    out["scores"], seen = [], set()
    for n, sc in enumerate(_list(data, "scores")):
        where = f"scores[{n}]"
        rater = _str(sc, "rater", where).strip()
        key = (rater, _ref(sc, "input", iids, where), _ref(sc, "candidate", cids, where))
        score = sc.get("score")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise _fail(f"{where}.score", _("should be a whole number from 1 to 5"))
        if key in seen:
            raise _fail(where, _("repeats {rater}'s score of {candidate} on {input}").format(
                rater=rater, candidate=key[2], input=key[1]))
        seen.add(key)
        out["scores"].append({"rater": rater, "input": key[1], "candidate": key[2], "score": score,
                              "comment": _str(sc, "comment", where, required=False) or None,
                              "at": _time(sc, "at", where, created)})
    return out


def rows_for_store(export: dict, session_id: str) -> dict[str, list[dict]]:
    """The rows of a checked export (:func:`validate_export`) for the session tables, under ``session_id``."""
    sid = session_id
    return {
        "candidates": [{"session_id": sid, "id": c["id"], "position": n, "model": c["model"],
                        "revision": c["revision"], "stats": codec.to_json(c["stats"]),
                        "backend": None if not c.get("backend") else codec.to_json(c["backend"])}
                       for n, c in enumerate(export["candidates"], 1)],
        "inputs": [{"session_id": sid, "id": i["id"], "position": n, "text": i["text"], "reference": i["reference"],
                    "inputs": codec.to_json(i["inputs"])} for n, i in enumerate(export["inputs"], 1)],
        "outputs": [{"session_id": sid, "input_id": o["input"], "candidate_id": o["candidate"],
                     "output": None if o["output"] is None else codec.to_json(o["output"]),
                     "error": None if o["error"] is None else codec.to_json(o["error"]),
                     "latency_s": o["latency_s"], "at": export["session"]["created"]} for o in export["outputs"]],
        "votes": [{"session_id": sid, "rater": v["rater"], "input_id": v["input"],
                   "cand_a": min(v["left"], v["right"]), "cand_b": max(v["left"], v["right"]), "left": v["left"],
                   "right": v["right"], "choice": v["choice"], "at": v["at"]} for v in export["votes"]],
        "scores": [{"session_id": sid, "rater": s["rater"], "input_id": s["input"], "candidate_id": s["candidate"],
                    "score": s["score"], "comment": s["comment"], "at": s["at"]} for s in export["scores"]],
    }
