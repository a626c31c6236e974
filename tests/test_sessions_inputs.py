"""lib.sessions.inputs: typed lines, CSV / JSON lines tables, images and audio (zips too), and the
reference check. Every bad case is an InputsError with a message that says what to do."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL import Image

from lib import i18n
from lib.sessions import InputsError, SessionError
from lib.sessions import inputs as si


def _png(color=(200, 10, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buf, format="PNG")
    return buf.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


# ------------------------------------------------------------------ typed lines
def test_text_lines_one_input_per_non_empty_line():
    items = si.parse_text_lines("first\n\n  second  \n\t\nthird")
    assert [i["text"] for i in items] == ["first", "second", "third"]
    assert items[0] == {"text": "first", "reference": None, "inputs": {"text": "first"}}


@pytest.mark.parametrize("text, message", [("", "at least one"), ("\n  \n", "at least one"),
                                           ("x\n" * 501, "at most 500")])
def test_text_lines_bad_cases(text, message):
    with pytest.raises(InputsError, match=message):
        si.parse_text_lines(text)


# ------------------------------------------------------------------ tables
def test_csv_with_text_and_reference_columns():
    data = b"Sentence,Label,id\nI love it,POSITIVE,1\n,NEGATIVE,2\n\"So, bad\",NEGATIVE,3\n"
    items = si.parse_table("reviews.csv", data)
    assert [(i["text"], i["reference"]) for i in items] == [("I love it", "POSITIVE"), ("So, bad", "NEGATIVE")]
    assert items[0]["inputs"] == {"text": "I love it"}


def test_semicolon_csv_with_a_bom_and_the_only_text_column():
    data = "\ufeffnum;words\n1;hello there\n2;general kenobi\n".encode()
    items = si.parse_table("x.csv", data)
    assert [i["text"] for i in items] == ["hello there", "general kenobi"]
    assert all(i["reference"] is None for i in items)


def test_a_one_column_csv_keeps_commas_inside_its_texts():
    items = si.parse_table("lines.csv", b'text\nHello, world\nBye; then, "quoted"\n"a, b"\n')
    assert [i["text"] for i in items] == ["Hello, world", 'Bye; then, "quoted"', "a, b"]


def test_a_row_with_more_cells_than_the_header_is_refused_not_cut():
    with pytest.raises(InputsError, match="Line 3 of two.csv has more cells than its header"):
        si.parse_table("two.csv", b"text,label\nfine,POSITIVE\nnot fine, at all,NEGATIVE\n")


def test_utf16_csv_is_read():
    items = si.parse_table("excel.csv", "text\tanswer\nçà va\toui\n".encode("utf-16"))
    assert items == [{"text": "çà va", "reference": "oui", "inputs": {"text": "çà va"}}]


def test_json_lines_with_question_and_context_for_the_runner():
    lines = [{"question": "Who?", "context": "Ada wrote it.", "answer": "Ada"},
             {"question": "When?", "context": "In 1843.", "answer": "1843"}]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    items = si.parse_table("qa.jsonl", data)
    assert items[0] == {"text": "Who?", "reference": "Ada",
                        "inputs": {"text": "Who?", "question": "Who?", "context": "Ada wrote it."}}
    assert si.parse_table("qa.json", json.dumps(lines).encode()) == items


@pytest.mark.parametrize("name, data, message", [
    ("empty.csv", b"", "is empty"),
    ("blank.csv", b"\n\n  \n", "is empty"),
    ("header.csv", b"text,reference\n", "no rows"),
    ("nums.csv", b"a,b\n1,2\n3,4\n", "no text column"),
    ("two.csv", b"title,body\nx,y\nz,w\n", "no text column"),
    ("big.csv", ("text\n" + "row\n" * 501).encode(), "at most 500"),
    ("latin.csv", "text\ncaf\xe9\n".encode("latin-1"), "UTF-8"),
    ("blob.csv", b"\x00\x01\x02\x03binary", "UTF-8"),
    ("bad.jsonl", b'{"text": "ok"}\n{"text": \n', "Line 2"),
    ("list.jsonl", b'["text"]\n', "not a JSON object"),
    ("emptytext.csv", b"text,label\n ,a\n,b\n", "empty"),
])
def test_bad_tables_say_what_is_wrong(name, data, message):
    with pytest.raises(InputsError, match=message) as e:
        si.parse_table(name, data)
    assert isinstance(e.value, SessionError) and name in str(e.value)


def test_the_row_limit_is_stated():
    with pytest.raises(InputsError) as e:
        si.parse_table("big.csv", ("text\n" + "row\n" * 600).encode())
    assert "600" in str(e.value) and str(si.MAX_ROWS) in str(e.value)
    assert len(si.parse_table("ok.csv", ("text\n" + "row\n" * si.MAX_ROWS).encode())) == si.MAX_ROWS


# ------------------------------------------------------------------ media
def test_images_as_files_and_in_a_zip_with_references():
    red, blue = _png(), _png((0, 0, 250))
    items = si.parse_media([("b.png", blue), ("a.png", red)])
    assert [i["text"] for i in items] == ["a.png", "b.png"]
    assert items[0]["inputs"] == {"image": red} and items[0]["reference"] is None
    z = _zip({"pics/cat.png": red, "pics/dog.png": blue, "labels.csv": b"file,label\ncat.png,cat\ndog.png,dog\n",
              "__MACOSX/._cat.png": b"junk", "notes.txt": b"hello"})
    items = si.parse_media([("pics.zip", z)])
    assert [(i["text"], i["reference"]) for i in items] == [("cat.png", "cat"), ("dog.png", "dog")]


def test_audio_clips_are_taken_as_bytes():
    items = si.parse_media([("clip.wav", b"RIFF....WAVEfmt "), ("two.flac", b"fLaC....")])
    assert [sorted(i["inputs"]) for i in items] == [["audio"], ["audio"]]


@pytest.mark.parametrize("files, message", [
    ([], "No image or audio"),
    ([("notes.zip", _zip({"readme.txt": b"hi", "data.json": b"{}"}))], "found only: data.json, readme.txt"),
    ([("broken.zip", b"PK\x03\x04 not really")], "not a readable zip"),
    ([("x.png", b"not a png")], "not a readable image"),
    ([("x.png", _png()), ("y.wav", b"RIFF")], "mix images and audio"),
    ([("x.png", b"")], "empty"),
    ([("p.zip", _zip({"a.png": _png(), "refs.csv": b"name,score\na,1\n"}))], "file column"),
])
def test_bad_media_say_what_is_wrong(files, message):
    with pytest.raises(InputsError, match=message):
        si.parse_media(files)


def test_an_image_with_too_many_pixels_is_refused_at_upload():
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    def png(w: int, h: int) -> bytes:
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))

    with pytest.raises(InputsError, match="huge.png is 8000×6000: too many pixels"):
        si.parse_media([("huge.png", png(8000, 6000))])
    with pytest.raises(InputsError, match="bomb.png has too many pixels"):  # PIL's own decompression-bomb refusal
        si.parse_media([("bomb.png", png(30000, 30000))])


def test_audio_extensions_are_the_runners_formats():
    from lib.runner.inputs import AUDIO_FORMATS

    assert sorted(e.lstrip(".") for e in si.AUDIO_EXTENSIONS) == sorted(AUDIO_FORMATS)


def test_too_many_media_files():
    z = _zip({f"{n}.wav": b"RIFF" for n in range(501)})
    with pytest.raises(InputsError, match="at most 500"):
        si.parse_media([("many.zip", z)])


# ------------------------------------------------------------------ inputs vs the task
def test_check_kind_names_the_input_that_lacks_what_the_task_needs():
    si.check_kind("text", si.parse_text_lines("a\nb"))
    si.check_kind("image", si.parse_media([("a.png", _png())]))
    si.check_kind("chat", [{"text": None, "inputs": {"messages": [{"role": "user", "content": "hi"}]}}])
    with pytest.raises(InputsError, match="needs an image .* input 2 has no image"):
        si.check_kind("image_labels", [*si.parse_media([("a.png", _png())]), *si.parse_text_lines("words")])
    qa = si.parse_table("qa.csv", b"question,answer\nWho?,Ada\n")
    with pytest.raises(InputsError, match="question and a context .* input 1 has no context"):
        si.check_kind("question_context", qa)
    with pytest.raises(InputsError, match="audio clip"):
        si.check_kind("audio", si.parse_text_lines("hello"))


# ------------------------------------------------------------------ references
def test_references_not_among_the_labels_are_named():
    problems = si.check_references("text-classification", ["POSITIVE", "positive", "meh", None],
                                   ["NEGATIVE", "POSITIVE"])
    assert len(problems) == 2
    assert "3 of 4" in problems[0]
    assert "'positive' (input 2)" in problems[1] and "'meh' (input 3)" in problems[1]
    assert "'positive' → 'POSITIVE'" in problems[1] and "NEGATIVE, POSITIVE" in problems[1]


def test_matching_references_have_no_problems():
    assert si.check_references("text-classification", ["POSITIVE", "NEGATIVE"], ["NEGATIVE", "POSITIVE"]) == []
    assert si.check_references("translation", ["Bonjour", "Salut"], None) == []
    assert si.check_references("translation", [None, None], None) == []


# ------------------------------------------------------------------ in Spanish (issue 13)
def _message(fn, *args) -> str:
    with pytest.raises(InputsError) as e:
        fn(*args)
    return str(e.value)


def test_upload_messages_in_both_languages():
    big = ("text\n" + "row\n" * 600).encode()
    assert _message(si.parse_table, "big.csv", big) == ("big.csv has 600 inputs; a session takes at most 500. "
                                                        "Split it, or keep the first 500.")
    with i18n.scope("es"):
        assert _message(si.parse_table, "big.csv", big) == ("big.csv tiene 600 entradas; una sesión admite como "
                                                            "máximo 500. Divídelo o quédate con las primeras 500.")
        assert _message(si.parse_text_lines, "") == "Escribe al menos una entrada (una por línea)."
        assert "no tiene columna de texto" in _message(si.parse_table, "nums.csv", b"a,b\n1,2\n")
        assert "La línea 3 de two.csv tiene más celdas" in _message(
            si.parse_table, "two.csv", b"text,label\nfine,POSITIVE\nnot fine, at all,NEGATIVE\n")
        assert _message(si.parse_media, [("x.png", b"not a png")]) == "x.png no es una imagen legible."
        needs = _message(si.check_kind, "question_context", [{"inputs": {"question": "Who?"}}])
        assert needs.startswith("Esta tarea necesita una pregunta y un contexto")
        assert needs.endswith("a la entrada 1 le falta context.")


def test_reference_problems_in_both_languages():
    refs = ["POSITIVE", "positive", None, "meh"]
    labels = ["POSITIVE", "NEGATIVE"]
    en = si.check_references("text-classification", refs, labels)
    assert en[0] == "Only 3 of 4 inputs have a reference: metrics will use those inputs only."
    assert en[1].startswith("2 references are not among the model's labels for text-classification: 'positive' "
                            "(input 2), 'meh' (input 4).")
    assert en[1].endswith("Different case: 'positive' → 'POSITIVE'.")
    with i18n.scope("es"):
        es = si.check_references("text-classification", refs, labels)
        one = si.check_references("text-classification", ["meh"], labels)
    assert es[0] == "Solo 3 de 4 entradas tienen referencia: las métricas usarán solo esas entradas."
    assert es[1].startswith("2 referencias no están entre las etiquetas del modelo para text-classification: "
                            "'positive' (entrada 2), 'meh' (entrada 4).")
    assert es[1].endswith("Difieren en mayúsculas: 'positive' → 'POSITIVE'.")
    assert one[0].startswith("1 referencia no está entre las etiquetas del modelo")
