"""The API of evaluation sessions over the store (``lib.store``: SQLite by default, PostgreSQL by
``HUBSCOUT_DATABASE_URL``). Every write is an upsert on the row's key in a write transaction (votes and
scores through ``lib.store.group_upsert``: raters voting at the same moment share one commit), so concurrent
raters and a resumed run never lose or duplicate a row; every call returns after its row is committed.

Create / read (:func:`create_session`, :func:`get_session`, :func:`list_sessions`), the run's cells
(:func:`missing_cells`, :func:`record_output(s)`, :func:`clear_errors`, :func:`set_candidate_stats`,
:func:`outputs`), rating (:func:`cast_vote`, :func:`set_score`, :func:`votes`, :func:`scores`,
:func:`next_pair`), sharing (:func:`export_session`, :func:`export_csv`, :func:`import_session`; the
format: :mod:`lib.sessions.exchange`). Each committed write tells :mod:`lib.sessions.changes`.

Ids: a session is a url-safe token; candidates ``c1``..``c8``, inputs ``i1``..``iN``, in order.

Every :class:`SessionError` says what is wrong for people, in the language of the call (:mod:`lib.i18n`); what is
stored is data (names, outputs, codes), never translated.
"""
from __future__ import annotations

import json
import random
import secrets
import threading
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from lib import format as fmt
from lib import store
from lib.i18n import _
from lib.store.sessions import EvalCandidate, EvalInput, EvalOutput, EvalScore, EvalSession, EvalVote

from . import codec, exchange, pairs
from .changes import changed
from .errors import SessionError, SessionNotFound
from .info import Candidate, SessionInfo, SessionInput, SessionSummary
from .inputs import MAX_ROWS, check_kind

__all__ = ["Candidate", "SessionInput", "SessionInfo", "SessionSummary", "CHOICES", "MIN_CANDIDATES",
           "MAX_CANDIDATES", "create_session", "get_session", "list_sessions", "missing_cells", "record_output",
           "record_outputs", "clear_errors", "set_candidate_stats", "outputs", "cast_vote", "set_score", "votes",
           "scores", "next_pair", "export_session", "export_csv", "import_session"]

CHOICES = exchange.CHOICES
MIN_CANDIDATES, MAX_CANDIDATES = exchange.MIN_CANDIDATES, exchange.MAX_CANDIDATES
MAX_NAME = 200
MAX_RATER = 128
MAX_COMMENT = 4000


# ------------------------------------------------------------------ the shape of a session (never changes)
_shape_lock = threading.Lock()
_shapes: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _url() -> str:
    return str(store.engine().url)


def _shape(session_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(candidate ids, input ids), each in order, of a session: fixed at creation, so cached per store."""
    key = (_url(), session_id)
    shape = _shapes.get(key)
    if shape is None:
        _known_id(session_id)
        with store.session() as s:
            cands = tuple(s.scalars(select(EvalCandidate.id).where(EvalCandidate.session_id == session_id)
                                    .order_by(EvalCandidate.position)))
            ins = tuple(s.scalars(select(EvalInput.id).where(EvalInput.session_id == session_id)
                                  .order_by(EvalInput.position)))
        if not cands:
            raise _not_found(session_id)
        shape = (cands, ins)
        with _shape_lock:
            if len(_shapes) > 512:
                _shapes.clear()
            _shapes[key] = shape
    return shape


def _not_found(session_id: Any) -> SessionNotFound:
    return SessionNotFound(_("There is no session {id} here (the link may be from another instance, or the session "
                             "was never saved).").format(id=repr(str(session_id)[:40])))


def _known_id(session_id: Any) -> None:
    """SessionNotFound for what cannot be a session id (a mangled link), before any query sees it."""
    if not isinstance(session_id, str) or not exchange.ID_RE.match(session_id):
        raise _not_found(session_id)


def _no_candidate(session_id: str, candidate_id: Any) -> SessionError:
    return SessionError(_("Session {session} has no candidate {candidate}.").format(session=session_id,
                                                                                    candidate=repr(candidate_id)))


def _check_cells(session_id: str, input_id: str, *candidate_ids: str) -> None:
    cands, ins = _shape(session_id)
    if input_id not in ins:
        raise SessionError(_("Session {session} has no input {input}.").format(session=session_id,
                                                                               input=repr(input_id)))
    for cid in candidate_ids:
        if cid not in cands:
            raise _no_candidate(session_id, cid)


def _rater(rater: Any) -> str:
    name = codec.plain_text(rater).strip() if isinstance(rater, str) else ""
    if not name:
        raise SessionError(_("Enter your name as a rater first."))
    if len(name) > MAX_RATER:
        raise SessionError(_("A rater name can be at most {n} characters.").format(n=fmt.number(MAX_RATER)))
    return name


# ------------------------------------------------------------------ create / read
def _new_id(s) -> str:
    while True:
        sid = secrets.token_urlsafe(6)
        if s.get(EvalSession, sid) is None:
            return sid


def _input_item(item: Any, n: int) -> tuple[str | None, str | None, dict]:
    if isinstance(item, str):
        item = {"text": item}
    if not isinstance(item, dict):
        raise SessionError(_("Input {n} should be a dict with text / reference / inputs.").format(n=fmt.number(n)))
    text, ref, raw = item.get("text"), item.get("reference"), item.get("inputs")
    if raw is None:
        raw = {"text": text} if text is not None else {}
    if not isinstance(raw, dict) or not raw:
        raise SessionError(_("Input {n} has nothing to run (no text and no runner inputs).").format(n=fmt.number(n)))
    if text is not None and not isinstance(text, str) or ref is not None and not isinstance(ref, str):
        raise SessionError(_("Input {n}: its text and reference should be text.").format(n=fmt.number(n)))
    return codec.plain_text(text), codec.plain_text(ref), raw


def create_session(name: str, task: str, models: list[str], inputs: list[dict], settings: dict,
                   revisions: dict | None = None, backends: list[dict | None] | None = None) -> SessionInfo:
    """Save a new session and return it. ``inputs``: dicts ``{"text", "reference", "inputs"}`` (as
    :mod:`lib.sessions.inputs` parses them; ``inputs`` = the raw runner input dict, default
    ``{"text": text}``). ``revisions``: model -> commit sha (candidates on this machine). ``backends``: where
    each model runs, in order (``Backend.params()``; None: this machine; the same model twice is fine on
    different backends). Raises SessionError with the reason."""
    from lib import tasks

    from .candidates import backend_of, params_of, task_problems
    from .candidates import name as shown

    name = codec.plain_text(name).strip() if isinstance(name, str) else ""
    if not name:
        raise SessionError(_("Give the session a name."))
    if len(name) > MAX_NAME:
        raise SessionError(_("A session name can be at most {n} characters.").format(n=fmt.number(MAX_NAME)))
    spec = tasks.get(task)
    if spec is None or not spec.runnable:
        raise SessionError(_("Pick a task Hub Scout can run ({task} is not one).").format(task=repr(task)))
    backends = list(backends or [])
    pairs = [(codec.plain_text(m).strip(), params_of(backend_of(backends[n] if n < len(backends) else None)))
             for n, m in enumerate(models or []) if isinstance(m, str) and m.strip()]
    models = [m for m, _p in pairs]
    keys = [shown(m, p) for m, p in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise SessionError(_("{candidates} is listed twice: each candidate once, please.")
                           .format(candidates=", ".join(twice)))
    remote = task_problems(task, pairs)
    if remote:
        raise SessionError(remote[0].replace("**", ""))
    if not MIN_CANDIDATES <= len(models) <= MAX_CANDIDATES:
        raise SessionError(_("A session compares {min} to {max} candidate models ({n} given).")
                           .format(min=MIN_CANDIDATES, max=MAX_CANDIDATES, n=fmt.number(len(models))))
    if not inputs:
        raise SessionError(_("Add at least one input."))
    if len(inputs) > MAX_ROWS:
        raise SessionError(_("At most {max} inputs per session ({n} given).")
                           .format(max=fmt.number(MAX_ROWS), n=fmt.number(len(inputs))))
    items = [_input_item(item, n) for n, item in enumerate(inputs, 1)]
    check_kind(spec.input_kind, [{"inputs": raw} for _t, _r, raw in items])
    try:
        settings_json = codec.to_json(dict(settings or {}))
        rows_in = [codec.to_json(codec.inputs_to_export(raw)) for _t, _r, raw in items]
    except (TypeError, OSError) as e:
        raise SessionError(_("The session's settings or inputs cannot be saved ({error}).").format(error=e)
                           ) from None
    revisions = revisions or {}
    created = codec.now_iso()
    with store.session(write=True) as s:
        sid = _new_id(s)
        s.add(EvalSession(id=sid, name=name, task=task, created=created, settings=settings_json))
        s.flush()
        s.execute(insert(EvalCandidate), [
            {"session_id": sid, "id": f"c{n}", "position": n, "model": m, "stats": "{}",
             "revision": None if p else revisions.get(m), "backend": None if p is None else codec.to_json(p)}
            for n, (m, p) in enumerate(pairs, 1)])
        s.execute(insert(EvalInput), [
            {"session_id": sid, "id": f"i{n}", "position": n, "text": text, "reference": ref, "inputs": raw}
            for n, ((text, ref, _raw), raw) in enumerate(zip(items, rows_in), 1)])
    changed(sid)
    return get_session(sid)


def get_session(session_id: str) -> SessionInfo:
    """The session with that id; SessionNotFound when there is none."""
    _known_id(session_id)
    with store.session() as s:
        row = s.get(EvalSession, session_id)
        if row is None:
            raise _not_found(session_id)
        cands = s.scalars(select(EvalCandidate).where(EvalCandidate.session_id == session_id)
                          .order_by(EvalCandidate.position)).all()
        ins = s.scalars(select(EvalInput).where(EvalInput.session_id == session_id)
                        .order_by(EvalInput.position)).all()
    return SessionInfo(
        id=row.id, name=row.name, task=row.task, created=codec.parse_time(row.created),
        settings=codec.from_json(row.settings) or {},
        candidates=tuple(Candidate(c.id, c.model, c.revision, codec.from_json(c.stats) or {},
                                   codec.from_json(c.backend) if c.backend else None) for c in cands),
        inputs=tuple(SessionInput(i.id, i.text, i.reference, codec.inputs_from_export(codec.from_json(i.inputs) or {}))
                     for i in ins))


def list_sessions(limit: int = 50) -> list[SessionSummary]:
    """The newest sessions first: (id, name, task, created, n_candidates, n_inputs, n_votes)."""
    def count(model):
        return (select(func.count()).select_from(model).where(model.session_id == EvalSession.id)
                .correlate(EvalSession).scalar_subquery())

    q = (select(EvalSession.id, EvalSession.name, EvalSession.task, EvalSession.created, count(EvalCandidate),
                count(EvalInput), count(EvalVote))
         .order_by(EvalSession.created.desc()).limit(max(1, int(limit))))
    with store.session() as s:
        rows = s.execute(q).all()
    return [SessionSummary(r[0], r[1], r[2], codec.parse_time(r[3]), int(r[4]), int(r[5]), int(r[6])) for r in rows]


# ------------------------------------------------------------------ the run's cells
def missing_cells(session_id: str) -> dict[str, list[str]]:
    """candidate id -> input ids (in order) with neither an output nor an error yet."""
    cands, ins = _shape(session_id)
    with store.session() as s:
        done = set(s.execute(select(EvalOutput.input_id, EvalOutput.candidate_id).where(
            EvalOutput.session_id == session_id,
            (EvalOutput.output.is_not(None)) | (EvalOutput.error.is_not(None)))).all())
    return {c: [i for i in ins if (i, c) not in done] for c in cands}


def _output_row(session_id: str, candidate_id: str, input_id: str, output: Any, error: Any,
                latency_s: float | None, at: str) -> dict:
    _check_cells(session_id, input_id, candidate_id)
    try:
        out_json = None if output is None else codec.to_json(output)
    except TypeError as e:
        raise SessionError(_("The output of {candidate} on {input} cannot be stored ({error}).")
                           .format(candidate=candidate_id, input=input_id, error=e)) from None
    try:
        err = codec.error_dict(error)
    except TypeError as e:
        raise SessionError(str(e)) from None
    return {"session_id": session_id, "input_id": input_id, "candidate_id": candidate_id, "output": out_json,
            "error": None if err is None else codec.to_json(err),
            "latency_s": None if latency_s is None else float(latency_s), "at": at}


def record_output(session_id: str, candidate_id: str, input_id: str, *, output: Any = None, error: Any = None,
                  latency_s: float | None = None) -> None:
    """Store (or replace) the output or error of one cell: recording the same cell again is harmless."""
    row = _output_row(session_id, candidate_id, input_id, output, error, latency_s, codec.now_iso())
    with store.session(write=True) as s:
        store.upsert(s, EvalOutput, row)
    changed(session_id)


def record_outputs(session_id: str, rows: list[dict]) -> None:
    """:func:`record_output` for many cells in one transaction: ``rows`` of {"candidate", "input",
    "output", "error", "latency_s"} (the last three optional). Every row is checked first; a bad
    one raises SessionError and none is stored."""
    at = codec.now_iso()
    try:
        items = [_output_row(session_id, r["candidate"], r["input"], r.get("output"), r.get("error"),
                             r.get("latency_s"), at) for r in rows]
    except (KeyError, TypeError, AttributeError):
        raise SessionError(_("Each recorded cell needs a candidate and an input id.")) from None
    if items:
        with store.session(write=True) as s:
            store.upsert(s, EvalOutput, items)
        changed(session_id)


def clear_errors(session_id: str, candidate_id: str | None = None) -> int:
    """Forget the failed cells (of one candidate, or all), so that running again retries them."""
    _shape(session_id)
    q = delete(EvalOutput).where(EvalOutput.session_id == session_id, EvalOutput.error.is_not(None),
                                 EvalOutput.output.is_(None))
    if candidate_id is not None:
        q = q.where(EvalOutput.candidate_id == candidate_id)
    with store.session(write=True) as s:
        n = s.execute(q).rowcount or 0
    changed(session_id)
    return n


def set_candidate_stats(session_id: str, candidate_id: str, stats: dict) -> None:
    """Replace a candidate's measured stats (latency p50/p95, peak bytes, load time, device, dtype, error)."""
    if candidate_id not in _shape(session_id)[0]:
        raise _no_candidate(session_id, candidate_id)
    with store.session(write=True) as s:
        s.execute(update(EvalCandidate).where(EvalCandidate.session_id == session_id,
                                              EvalCandidate.id == candidate_id)
                  .values(stats=codec.to_json(dict(stats or {}))))
    changed(session_id)


def outputs(session_id: str) -> dict[tuple[str, str], dict]:
    """(input id, candidate id) -> {"output", "error", "latency_s"} for every recorded cell."""
    _shape(session_id)
    with store.session() as s:
        rows = s.execute(select(EvalOutput.input_id, EvalOutput.candidate_id, EvalOutput.output, EvalOutput.error,
                                EvalOutput.latency_s).where(EvalOutput.session_id == session_id)).all()
    return {(r[0], r[1]): {"output": codec.from_json(r[2]), "error": codec.from_json(r[3]), "latency_s": r[4]}
            for r in rows}


# ------------------------------------------------------------------ votes and scores
def cast_vote(session_id: str, rater: str, input_id: str, left: str, right: str, choice: str) -> None:
    """One rater's vote on one input's pair (``left`` / ``right`` as shown): voting again on the same
    unordered pair replaces the vote. Returns once the vote is committed, in a transaction shared
    with the votes and scores other raters cast at that moment (``store.group_upsert``)."""
    rater = _rater(rater)
    if choice not in CHOICES:
        raise SessionError(_("A vote is one of {choices} (not {choice}).").format(choices=", ".join(CHOICES),
                                                                                  choice=repr(choice)))
    if left == right:
        raise SessionError(_("A vote compares two different candidates."))
    _check_cells(session_id, input_id, left, right)
    a, b = sorted((left, right))
    store.group_upsert(EvalVote, {"session_id": session_id, "rater": rater, "input_id": input_id, "cand_a": a,
                                  "cand_b": b, "left": left, "right": right, "choice": choice,
                                  "at": codec.now_iso()})
    changed(session_id)


def set_score(session_id: str, rater: str, input_id: str, candidate_id: str, score: int,
              comment: str | None = None) -> None:
    """One rater's 1-5 score (and optional comment) of one output; scoring again replaces it."""
    rater = _rater(rater)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise SessionError(_("A score is a whole number from 1 to 5 (not {score}).").format(score=repr(score)))
    comment = codec.plain_text(comment).strip() if isinstance(comment, str) and comment.strip() else None
    if comment and len(comment) > MAX_COMMENT:
        raise SessionError(_("A comment can be at most {n} characters.").format(n=fmt.number(MAX_COMMENT)))
    _check_cells(session_id, input_id, candidate_id)
    store.group_upsert(EvalScore, {"session_id": session_id, "rater": rater, "input_id": input_id,
                                   "candidate_id": candidate_id, "score": score, "comment": comment,
                                   "at": codec.now_iso()})
    changed(session_id)


def votes(session_id: str) -> list[dict]:
    """Every vote, export-shaped: {"rater", "input", "left", "right", "choice", "at"}, oldest first."""
    _shape(session_id)
    with store.session() as s:
        rows = s.execute(select(EvalVote.rater, EvalVote.input_id, EvalVote.left, EvalVote.right, EvalVote.choice,
                                EvalVote.at).where(EvalVote.session_id == session_id)
                         .order_by(EvalVote.at, EvalVote.rater, EvalVote.input_id, EvalVote.cand_a,
                                   EvalVote.cand_b)).all()
    return [{"rater": r[0], "input": r[1], "left": r[2], "right": r[3], "choice": r[4], "at": r[5]} for r in rows]


def scores(session_id: str) -> list[dict]:
    """Every score, export-shaped: {"rater", "input", "candidate", "score", "comment", "at"}, oldest first."""
    _shape(session_id)
    with store.session() as s:
        rows = s.execute(select(EvalScore.rater, EvalScore.input_id, EvalScore.candidate_id, EvalScore.score,
                                EvalScore.comment, EvalScore.at).where(EvalScore.session_id == session_id)
                         .order_by(EvalScore.at, EvalScore.rater, EvalScore.input_id,
                                   EvalScore.candidate_id)).all()
    return [{"rater": r[0], "input": r[1], "candidate": r[2], "score": r[3], "comment": r[4], "at": r[5]}
            for r in rows]


def next_pair(session_id: str, rater: str, rng: random.Random | None = None) -> tuple[str, str, str] | None:
    """The next blind pair for ``rater``: (input id, left id, right id) among the (input, pair) cells
    where both candidates have an output and this rater has not voted, one of the least-voted over
    all raters, sides at random. None when nothing is left to vote on."""
    rater = _rater(rater)
    rng = rng or random.Random()
    cands, _ins = _shape(session_id)
    with store.engine().connect() as conn:  # one read transaction
        best = pairs.least_voted(conn, session_id, rater, {c: n for n, c in enumerate(cands)})
    if not best:
        return None
    input_id, a, b = rng.choice(best)
    return (input_id, a, b) if rng.random() < 0.5 else (input_id, b, a)


# ------------------------------------------------------------------ export / import
def export_session(session_id: str) -> dict:
    """The session as the export dict (format ``hubscout-session``, version 1; JSON-ready)."""
    info = get_session(session_id)
    with store.session() as s:
        rows = s.execute(select(EvalOutput.input_id, EvalOutput.candidate_id, EvalOutput.output, EvalOutput.error,
                                EvalOutput.latency_s).where(EvalOutput.session_id == session_id)).all()
    cpos = {c.id: n for n, c in enumerate(info.candidates)}
    ipos = {i.id: n for n, i in enumerate(info.inputs)}
    outs = [{"input": r[0], "candidate": r[1], "output": None if r[2] is None else json.loads(r[2]),
             "error": None if r[3] is None else json.loads(r[3]), "latency_s": r[4]}
            for r in sorted(rows, key=lambda r: (ipos.get(r[0], 0), cpos.get(r[1], 0)))]
    return exchange.build_export(info, outs, votes(session_id), scores(session_id))


def export_csv(session_id: str) -> str:
    """The session as CSV, one row per (input, candidate) cell (columns: see
    :func:`lib.sessions.exchange.to_csv`)."""
    return exchange.to_csv(export_session(session_id))


def import_session(data: dict | bytes | str, *, restore: bool = False) -> SessionInfo:
    """Save an export (dict, or its JSON text / bytes) as a session of this store, all checked before
    anything is written (SessionFormatError says what is wrong; nothing is saved). The export's id is
    kept when free here, else a new one; ``restore`` (backup restore only): kept, SessionError if taken."""
    exp = exchange.validate_export(data)
    sess = exp["session"]
    with store.session(write=True) as s:
        sid = sess.get("id")
        if restore and (not sid or s.get(EvalSession, sid) is not None):
            raise SessionError(_("Session {id} is already here (or the export has no id): not restored.")
                               .format(id=repr(str(sid)[:40])))
        if not sid or s.get(EvalSession, sid) is not None:
            sid = _new_id(s)
        s.add(EvalSession(id=sid, name=sess["name"], task=sess["task"], created=sess["created"],
                          settings=codec.to_json(sess.get("settings") or {})))
        s.flush()
        rows = exchange.rows_for_store(exp, sid)
        for model, items in ((EvalCandidate, rows["candidates"]), (EvalInput, rows["inputs"]),
                             (EvalOutput, rows["outputs"]), (EvalVote, rows["votes"]),
                             (EvalScore, rows["scores"])):
            if items:
                s.execute(insert(model), items)
    changed(sid)
    return get_session(sid)
