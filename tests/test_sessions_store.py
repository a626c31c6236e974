"""lib.sessions.store: create / read, the run's cells, votes and scores, next pair, export / import.

Every test runs against SQLite and against a real PostgreSQL server (tests/support/postgres.py;
skipped with the reason where PostgreSQL is unavailable).
"""
from __future__ import annotations

import json
import random

import pytest

from lib import i18n
from lib import store as db
from lib.sessions import SessionError, SessionFormatError, SessionNotFound, codec, exchange
from lib.sessions import store as ss

TASK = "text-classification"
MODELS = ["org/alpha", "org/beta", "/local/gamma"]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path, monkeypatch):
    """HUBSCOUT_DATABASE_URL pointed at a fresh SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sessions.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    monkeypatch.setenv("HUBSCOUT_DATABASE_URL", url)
    yield request.param
    db.dispose_all()


def _make(n_inputs: int = 3, **kw) -> ss.SessionInfo:
    items = [{"text": f"sentence {n}", "reference": "POSITIVE" if n % 2 else None} for n in range(1, n_inputs + 1)]
    args = {"name": "Pick a classifier", "task": TASK, "models": MODELS, "inputs": items,
            "settings": {"dtype": "float32", "device": "cpu", "generation": {}, "batch_size": 8},
            "revisions": {"org/alpha": "a" * 40}}
    args.update(kw)
    return ss.create_session(**args)


# ------------------------------------------------------------------ create / read
def test_create_and_read_a_session(backend):
    info = _make()
    assert [c.id for c in info.candidates] == ["c1", "c2", "c3"]
    assert [c.model for c in info.candidates] == MODELS
    assert info.candidates[0].revision == "a" * 40 and info.candidates[1].revision is None
    assert [i.id for i in info.inputs] == ["i1", "i2", "i3"]
    assert info.inputs[0].inputs == {"text": "sentence 1"} and info.inputs[0].reference == "POSITIVE"
    assert info.inputs[1].reference is None
    assert info.settings["batch_size"] == 8 and info.created.tzinfo is not None
    assert ss.get_session(info.id) == info
    (row,) = ss.list_sessions()
    assert row == (info.id, "Pick a classifier", TASK, info.created, 3, 3, 0)


def test_inputs_keep_media_bytes_and_order_past_nine(backend):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    items = [{"text": f"t{n}", "inputs": {"text": f"t{n}"}} for n in range(11)] + [
        {"text": "photo.png", "inputs": {"text": "photo", "image": png}}]
    info = _make(inputs=items)
    assert [i.id for i in info.inputs][-3:] == ["i10", "i11", "i12"]
    assert ss.get_session(info.id).inputs[-1].inputs == {"text": "photo", "image": png}


@pytest.mark.parametrize("change, message", [
    ({"name": "  "}, "name"),
    ({"task": "no-such-task"}, "task"),
    ({"models": ["org/alpha"]}, "2 to 8"),
    ({"models": [f"org/m{n}" for n in range(9)]}, "2 to 8"),
    ({"models": ["org/alpha", "org/alpha", "org/beta"]}, "listed twice"),
    ({"inputs": []}, "at least one input"),
    ({"inputs": [{"text": f"{n}"} for n in range(501)]}, "500"),
    ({"task": "image-classification"}, "needs an image"),
    ({"task": "question-answering"}, "question and a context"),
])
def test_create_refuses_bad_sessions_and_writes_nothing(backend, change, message):
    with pytest.raises(SessionError, match=message):
        _make(**change)
    assert ss.list_sessions() == []


def test_an_unknown_session_is_not_found(backend):
    with pytest.raises(SessionNotFound):
        ss.get_session("nope")
    with pytest.raises(SessionNotFound):
        ss.cast_vote("nope", "ann", "i1", "c1", "c2", "left")
    for mangled in ("x" * 300, "ab\x00cd", "../etc", None, 42):  # a mangled ?session= link: no query error
        with pytest.raises(SessionNotFound):
            ss.get_session(mangled)
        with pytest.raises(SessionNotFound):
            ss.next_pair(mangled, "ann")


def test_nul_characters_are_dropped_from_text_columns(backend):
    """PostgreSQL text cannot hold NUL: a pasted or imported NUL was a DataError traceback there."""
    info = _make(name="n\x00ame", inputs=[{"text": "t\x00x", "reference": "r\x00"}])
    assert (info.name, info.inputs[0].text, info.inputs[0].reference) == ("name", "tx", "r")
    assert info.inputs[0].inputs == {"text": "t\x00x"}  # the runner's input, as JSON, keeps it
    ss.cast_vote(info.id, "an\x00n", "i1", "c1", "c2", "left")
    ss.set_score(info.id, "ann", "i1", "c1", 3, "co\x00mment")
    assert ss.votes(info.id)[0]["rater"] == "ann" and ss.scores(info.id)[0]["comment"] == "comment"
    exp = ss.export_session(info.id)
    exp["votes"][0]["rater"] = "b\x00ob"
    exp["session"]["name"] = "imported\x00"
    copy = ss.import_session(exp)
    assert copy.name == "imported" and ss.votes(copy.id)[0]["rater"] == "bob"


# ------------------------------------------------------------------ cells
def test_missing_cells_fill_as_outputs_are_recorded_and_errors_can_be_retried(backend):
    info = _make()
    assert ss.missing_cells(info.id) == {"c1": ["i1", "i2", "i3"], "c2": ["i1", "i2", "i3"],
                                         "c3": ["i1", "i2", "i3"]}
    ss.record_output(info.id, "c1", "i1", output={"labels": ["POSITIVE"], "scores": [0.9]}, latency_s=0.01)
    ss.record_output(info.id, "c1", "i1", output={"labels": ["POSITIVE"], "scores": [0.9]}, latency_s=0.01)
    ss.record_output(info.id, "c2", "i2", error={"title": "Cannot load", "message": "out of memory"})
    missing = ss.missing_cells(info.id)
    assert missing["c1"] == ["i2", "i3"] and missing["c2"] == ["i1", "i3"]
    outs = ss.outputs(info.id)
    assert len(outs) == 2
    assert outs[("i1", "c1")] == {"output": {"labels": ["POSITIVE"], "scores": [0.9]}, "error": None,
                                  "latency_s": 0.01}
    assert outs[("i2", "c2")]["error"] == {"title": "Cannot load", "message": "out of memory"}
    assert ss.clear_errors(info.id, "c1") == 0
    assert ss.clear_errors(info.id) == 1
    assert ss.missing_cells(info.id)["c2"] == ["i1", "i2", "i3"]
    assert ("i1", "c1") in ss.outputs(info.id)
    ss.record_output(info.id, "c3", "i3", error=RuntimeError("CUDA out of memory"))
    assert ss.outputs(info.id)[("i3", "c3")]["error"] == {"title": "RuntimeError", "message": "CUDA out of memory"}
    with pytest.raises(SessionError, match="title"):
        ss.record_output(info.id, "c3", "i3", error=42)
    with pytest.raises(SessionError, match="no candidate"):
        ss.record_output(info.id, "c9", "i1", output={"text": "x"})
    with pytest.raises(SessionError, match="no input"):
        ss.record_output(info.id, "c1", "i9", output={"text": "x"})


def test_record_outputs_writes_a_batch_in_one_transaction_and_checks_every_row_first(backend):
    from sqlalchemy import event

    info = _make()
    commits = []  # write transactions committed
    event.listen(db.engine(), "commit",
                 lambda conn: conn.get_execution_options().get("hubscout_write") and commits.append(1))
    out = {"labels": ["POSITIVE"], "scores": [0.9]}
    ss.record_outputs(info.id, [{"candidate": "c1", "input": "i1", "output": out, "latency_s": 0.5},
                                {"candidate": "c1", "input": "i2", "error": RuntimeError("CUDA out of memory")},
                                {"candidate": "c2", "input": "i1", "output": out}])
    assert len(commits) == 1
    outs = ss.outputs(info.id)
    assert outs[("i1", "c1")] == {"output": out, "error": None, "latency_s": 0.5}
    assert outs[("i2", "c1")]["error"] == {"title": "RuntimeError", "message": "CUDA out of memory"}
    assert outs[("i1", "c2")]["latency_s"] is None and len(outs) == 3
    ss.record_outputs(info.id, [{"candidate": "c1", "input": "i2", "output": out, "latency_s": 0.25},
                                {"candidate": "c1", "input": "i1", "output": out, "latency_s": 0.5}])
    assert ss.outputs(info.id)[("i2", "c1")] == {"output": out, "error": None, "latency_s": 0.25}  # replaced
    assert len(ss.outputs(info.id)) == 3 and ss.missing_cells(info.id)["c1"] == ["i3"]
    ss.record_outputs(info.id, [])
    bad_batches = ([{"candidate": "c3", "input": "i3", "output": out}, {"candidate": "c9", "input": "i1"}],
                   [{"candidate": "c3", "input": "i3", "output": out}, {"candidate": "c3", "input": "i9"}],
                   [{"candidate": "c3", "input": "i3", "output": {"x": object()}}],
                   [{"candidate": "c3", "input": "i3", "error": 42}],
                   [{"input": "i3", "output": out}], ["c3"])
    for bad in bad_batches:
        with pytest.raises(SessionError):
            ss.record_outputs(info.id, bad)
    assert ss.missing_cells(info.id)["c3"] == ["i1", "i2", "i3"]  # nothing of a bad batch was written
    assert len(commits) == 2


def test_outputs_with_arrays_and_images_round_trip(backend):
    np = pytest.importorskip("numpy")
    from PIL import Image

    info = _make()
    mask = np.zeros((3, 4), dtype=bool)
    mask[1, 2] = True
    img = Image.new("L", (4, 3), 7)
    ss.record_output(info.id, "c1", "i1", output={"image_size": (4, 3), "masks": [{"label": "x", "mask": mask}],
                                                  "image": img, "raw": b"\x00\x01", "score": float("nan")})
    got = ss.outputs(info.id)[("i1", "c1")]["output"]
    assert got["image_size"] == [4, 3] and got["raw"] == b"\x00\x01" and got["score"] is None
    assert got["masks"][0]["mask"].dtype == bool and (got["masks"][0]["mask"] == mask).all()
    assert got["image"].size == (4, 3) and got["image"].getpixel((0, 0)) == 7


def test_candidate_stats_are_replaced(backend):
    info = _make()
    ss.set_candidate_stats(info.id, "c2", {"latency_p50_s": 0.1, "peak_bytes": 10**9})
    ss.set_candidate_stats(info.id, "c2", {"latency_p50_s": 0.2})
    assert ss.get_session(info.id).candidates[1].stats == {"latency_p50_s": 0.2}


# ------------------------------------------------------------------ votes and scores
def test_voting_again_on_the_same_pair_replaces_the_vote(backend):
    info = _make()
    ss.cast_vote(info.id, "ann", "i1", "c1", "c2", "left")
    ss.cast_vote(info.id, "ann", "i1", "c2", "c1", "tie")      # same unordered pair: replaces
    ss.cast_vote(info.id, " bob ", "i1", "c1", "c2", "both_bad")
    ss.cast_vote(info.id, "ann", "i1", "c1", "c3", "right")
    rows = ss.votes(info.id)
    assert len(rows) == 3
    ann = [r for r in rows if r["rater"] == "ann" and {r["left"], r["right"]} == {"c1", "c2"}]
    assert ann == [{"rater": "ann", "input": "i1", "left": "c2", "right": "c1", "choice": "tie", "at": ann[0]["at"]}]
    assert {r["rater"] for r in rows} == {"ann", "bob"}
    assert ss.list_sessions()[0].n_votes == 3


@pytest.mark.parametrize("args, message", [
    (("", "i1", "c1", "c2", "left"), "rater"),
    (("ann", "i1", "c1", "c1", "left"), "two different"),
    (("ann", "i1", "c1", "c2", "better"), "left, right, tie, both_bad"),
    (("ann", "i7", "c1", "c2", "left"), "no input"),
    (("ann", "i1", "c1", "c7", "left"), "no candidate"),
])
def test_bad_votes_are_refused(backend, args, message):
    info = _make()
    with pytest.raises(SessionError, match=message):
        ss.cast_vote(info.id, *args)
    assert ss.votes(info.id) == []


def test_scores_replace_and_are_checked(backend):
    info = _make()
    ss.set_score(info.id, "ann", "i2", "c3", 4, "fine")
    ss.set_score(info.id, "ann", "i2", "c3", 2, "  ")
    ss.set_score(info.id, "bob", "i2", "c3", 5)
    rows = ss.scores(info.id)
    assert sorted((r["rater"], r["score"], r["comment"]) for r in rows) == [("ann", 2, None), ("bob", 5, None)]
    for bad in (0, 6, 3.5, True, "4"):
        with pytest.raises(SessionError, match="1 to 5"):
            ss.set_score(info.id, "ann", "i1", "c1", bad)


def test_next_pair_picks_among_the_least_voted_cells_the_rater_has_not_voted(backend):
    info = _make(n_inputs=2)
    assert ss.next_pair(info.id, "ann") is None  # no outputs yet
    for c in ("c1", "c2", "c3"):
        for i in ("i1", "i2"):
            ss.record_output(info.id, c, i, output={"labels": ["x"], "scores": [1.0]})
    ss.record_output(info.id, "c3", "i2", error="failed")  # c3 has no output on i2 any more
    cells = {("i1", "c1", "c2"), ("i1", "c1", "c3"), ("i1", "c2", "c3"), ("i2", "c1", "c2")}
    ss.cast_vote(info.id, "bob", "i1", "c1", "c2", "left")
    ss.cast_vote(info.id, "bob", "i1", "c1", "c3", "left")
    rng = random.Random(0)
    sides = set()
    for _ in range(30):
        inp, left, right = ss.next_pair(info.id, "ann", rng)
        assert (inp, *sorted((left, right))) in {("i1", "c2", "c3"), ("i2", "c1", "c2")}  # unvoted by anyone
        sides.add(left)
    assert len(sides) > 1  # left/right random
    seen = set()
    for _ in range(len(cells)):
        inp, left, right = ss.next_pair(info.id, "ann", rng)
        key = (inp, *sorted((left, right)))
        assert key not in seen
        seen.add(key)
        ss.cast_vote(info.id, "ann", inp, left, right, "tie")
    assert seen == cells and ss.next_pair(info.id, "ann", rng) is None


# ------------------------------------------------------------------ export / import
def _filled() -> ss.SessionInfo:
    info = _make(inputs=[{"text": "a", "reference": "POSITIVE"},
                         {"text": "img", "inputs": {"text": "img", "image": b"\x89PNGxx"}}])
    ss.record_output(info.id, "c1", "i1", output={"labels": ["POSITIVE"], "scores": [0.75]}, latency_s=0.5)
    ss.record_output(info.id, "c2", "i1", output={"labels": ["=cmd"], "scores": [0.5]}, latency_s=0.25)
    ss.record_output(info.id, "c3", "i1", error={"title": "Cannot load", "message": "boom"})
    ss.set_candidate_stats(info.id, "c1", {"latency_p50_s": 0.5})
    ss.cast_vote(info.id, "ann", "i1", "c2", "c1", "right")
    ss.cast_vote(info.id, "bob", "i1", "c1", "c2", "tie")
    ss.set_score(info.id, "ann", "i1", "c1", 5, "spot on")
    return info


def test_export_has_the_contract_shape_and_is_json(backend):
    info = _filled()
    exp = ss.export_session(info.id)
    exp = json.loads(json.dumps(exp))
    assert exp["format"] == "hubscout-session" and exp["version"] == 1
    assert exp["session"]["id"] == info.id and exp["session"]["task"] == TASK
    assert exp["candidates"][0] == {"id": "c1", "model": "org/alpha", "revision": "a" * 40,
                                    "stats": {"latency_p50_s": 0.5}, "backend": None}  # None: this machine
    assert exp["inputs"][1]["inputs"] == {"text": "img", "media_b64": {"image": codec._b64(b"\x89PNGxx")}}
    assert [(o["input"], o["candidate"]) for o in exp["outputs"]] == [("i1", "c1"), ("i1", "c2"), ("i1", "c3")]
    assert exp["outputs"][2]["error"] == {"title": "Cannot load", "message": "boom"}
    assert {v["rater"]: v["choice"] for v in exp["votes"]} == {"ann": "right", "bob": "tie"}
    assert exp["scores"][0]["comment"] == "spot on"
    assert exchange.validate_export(exp)["votes"] == exp["votes"]


def test_csv_has_one_row_per_output_and_marks_human_columns(backend):
    import csv
    import io

    info = _filled()
    rows = list(csv.DictReader(io.StringIO(ss.export_csv(info.id))))
    assert [r["candidate"] for r in rows] == ["c1", "c2", "c3"]
    c1 = rows[0]
    assert c1["model"] == "org/alpha" and c1["text"] == "a" and c1["reference"] == "POSITIVE"
    assert (c1["human_votes"], c1["human_wins"], c1["human_ties"]) == ("2", "1", "1")
    assert c1["human_score_mean"] == "5.0" and c1["human_comments"] == "ann: spot on"
    assert rows[1]["human_losses"] == "1"
    assert rows[2]["error"] == "Cannot load: boom" and rows[2]["output"] == ""


def test_import_round_trips_and_an_existing_id_gets_a_new_one(backend):
    info = _filled()
    exp = ss.export_session(info.id)
    copy = ss.import_session(json.dumps(exp).encode())
    assert copy.id != info.id  # the id is taken here: never overwritten
    assert copy.candidates == info.candidates and copy.inputs == info.inputs
    again = ss.export_session(copy.id)
    for key in ("candidates", "inputs", "outputs", "votes", "scores"):
        assert again[key] == exp[key]
    assert again["session"] | {"id": info.id} == exp["session"]
    assert len(ss.list_sessions()) == 2


def test_import_keeps_a_free_id(backend):
    info = _filled()
    exp = ss.export_session(info.id)
    exp["session"]["id"] = "fromElsewhere"
    assert ss.import_session(exp).id == "fromElsewhere"


def _bomb_png() -> str:
    """A PNG header claiming 30,000 x 30,000 pixels (PIL refuses it as a decompression bomb)."""
    import base64
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 1, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


@pytest.mark.parametrize("damage, message", [
    (lambda e: b"\x89PNG\r\n\x1a\n\x00\x00", "not text"),
    (lambda e: b'{"format": "hubscout-session", "version": 1, "session": {', "not valid JSON"),
    (lambda e: {"hello": "world"}, "format"),
    (lambda e: b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    (lambda e: e | {"outputs": [{**e["outputs"][0], "output": json.loads("[" * 900 + "]" * 900)}]}, "damaged"),
    (lambda e: e | {"version": 2}, "newer"),
    (lambda e: e | {"candidates": e["candidates"][:1]}, "2 to 8"),
    (lambda e: e | {"votes": [*e["votes"], {**e["votes"][0], "left": "c9"}]}, "votes"),
    (lambda e: e | {"votes": [*e["votes"], dict(e["votes"][0])]}, "repeats"),
    (lambda e: e | {"votes": [{**e["votes"][0], "choice": "meh"}]}, "choice"),
    (lambda e: e | {"scores": [{**e["scores"][0], "score": 9}]}, "score"),
    (lambda e: e | {"outputs": [{**e["outputs"][0], "output": {"$bytes": "!!not base64"}}]}, "damaged"),
    (lambda e: e | {"outputs": [{**e["outputs"][0], "output": {"image": {"$image": _bomb_png()}}}]}, "too large"),
    (lambda e: e | {"outputs": [{**e["outputs"][0], "output": {"$ndarray": {"dtype": "O", "shape": [1],
                                                                            "b64": "AAAAAAAAAAA="}}}]}, "damaged"),
    (lambda e: e | {"inputs": [{**e["inputs"][0], "id": "i 1"}]}, "id"),
    (lambda e: e | {"inputs": [e["inputs"][0], {**e["inputs"][1], "inputs": {"media_b64": {"image": "%%%"}}}]},
     r"inputs\[1\].inputs is damaged"),
    (lambda e: e | {"inputs": []}, "1 to 500"),
    (lambda e: e | {"session": {**e["session"], "created": "yesterday"}}, "ISO-8601"),
])
def test_a_foreign_or_corrupt_import_is_refused_and_writes_nothing(backend, damage, message):
    info = _filled()
    exp = ss.export_session(info.id)
    before = ss.list_sessions()
    with pytest.raises(SessionFormatError, match=message) as e:
        ss.import_session(damage(exp))
    assert "Nothing was imported" in str(e.value)
    assert ss.list_sessions() == before


# ---- in Spanish (issue 13) -------------------------------------------------------------------------------------
def test_session_errors_in_spanish(backend):
    info = _make()
    with i18n.scope("es"):
        with pytest.raises(SessionError, match="^Ponle un nombre a la sesión.$"):
            _make(name="  ")
        with pytest.raises(SessionError, match=r"compara de 2 a 8 modelos candidatos \(se han indicado 1\)"):
            _make(models=["org/alpha"])
        with pytest.raises(SessionError, match="Primero escribe tu nombre como evaluador"):
            ss.cast_vote(info.id, " ", "i1", "c1", "c2", "left")
        with pytest.raises(SessionError, match="Una puntuación es un número entero del 1 al 5 \\(no 7\\)"):
            ss.set_score(info.id, "ann", "i1", "c1", 7)
        with pytest.raises(SessionNotFound, match="Aquí no hay ninguna sesión 'nope'"):
            ss.get_session("nope")
    with pytest.raises(SessionError, match="^Give the session a name.$"):  # the language of the call, not kept
        _make(name="  ")


def test_an_import_is_refused_in_spanish_naming_the_place_in_the_file(backend):
    exp = ss.export_session(_filled().id)
    exp["votes"][0]["choice"] = "maybe"
    with i18n.scope("es"), pytest.raises(SessionFormatError) as e:
        ss.import_session(exp)
    assert str(e.value) == ("Esta no es una exportación de sesión de Hub Scout utilizable: votes[0].choice debería ser "
                            "uno de estos: left, right, tie, both_bad. No se ha importado nada.")
    with i18n.scope("es"), pytest.raises(SessionFormatError, match="no es una exportación de sesión de Hub Scout"):
        ss.import_session(b"[1, 2]")
    # the export itself is data: the same keys and codes whatever the language
    with i18n.scope("es"):
        assert ss.export_session(_filled().id).keys() == exp.keys()
        assert ss.export_csv(_filled().id).splitlines()[0] == ",".join(exchange.CSV_COLUMNS)
