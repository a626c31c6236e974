"""A new session's candidates (checked, revisions frozen) and inputs (in the runner's shape)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from lib import access as policy
from lib.sessions import candidates as cands
from lib.sessions import setup

LOCAL = policy.access_for(None)  # off a public instance: folders allowed


def _details(model: str):
    if model == "nobody/missing":
        from lib.hub.errors import HubError

        raise HubError("nobody/missing is not on the Hub.", "not_found")
    if model == "offline/model":
        return SimpleNamespace(sha=None, pipeline_tag="text-classification", source="offline")
    return SimpleNamespace(sha="a" * 40, pipeline_tag="text-classification", source="live")


def test_hub_candidates_get_their_commit_frozen():
    checks, problems = cands.check(["org/a", "org/b"], LOCAL, _details)
    assert problems == []
    assert [(c.model, c.revision, c.task) for c in checks] == [("org/a", "a" * 40, "text-classification"),
                                                               ("org/b", "a" * 40, "text-classification")]


def test_offline_candidate_is_allowed_with_a_note_and_no_revision():
    checks, problems = cands.check(["org/a", "offline/model"], LOCAL, _details)
    assert problems == []
    assert checks[1].revision is None and "newest" in checks[1].note


def test_bad_candidates_each_get_a_clear_problem():
    checks, problems = cands.check(["nobody/missing", "not a valid id!!", "/no/such/folder"], LOCAL, _details)
    assert len([c for c in checks if c.problem]) == 3
    assert any("not on the Hub" in p for p in problems)
    assert any("Not a model folder" in p for p in problems)


def test_count_limits_and_duplicates():
    _, problems = cands.check(["org/a"], LOCAL, _details)
    assert any("at least 2" in p for p in problems)
    _, problems = cands.check([f"org/m{i}" for i in range(9)], LOCAL, _details)
    assert any("at most 8" in p for p in problems)
    checks, problems = cands.check(["org/a", " org/a ", "org/b"], LOCAL, _details)
    assert [c.model for c in checks] == ["org/a", "org/b"] and problems == []


def test_public_instance_refuses_folders_without_looking(tmp_path, settings_override):
    settings_override(public=True)
    public = policy.access_for(None)
    check = cands.check_one(str(tmp_path), public, _details)
    assert check.problem == policy.HUB_IDS_ONLY


def test_local_folder_candidate(tiny_model):
    folder = tiny_model("text-classification")
    check = cands.check_one(str(folder), LOCAL, _details)
    assert check.problem is None and check.local and check.task == "text-classification"


def test_common_task_prefers_the_majority():
    rows = [cands.CandidateCheck("a", task="x"), cands.CandidateCheck("b", task="y"),
            cands.CandidateCheck("c", task="y"), cands.CandidateCheck("d")]
    assert cands.common_task(rows) == "y"
    assert cands.common_task([cands.CandidateCheck("d")]) is None


def test_inputs_take_the_runner_shape_per_kind():
    from lib.sessions import inputs as parse
    from lib.sessions.errors import InputsError

    rows = parse.parse_table("t.csv", b"text,reference\nI love it,POSITIVE\nAwful,\n")
    out = setup.session_inputs("text-classification", rows)
    assert out == [{"text": "I love it", "reference": "POSITIVE", "inputs": {"text": "I love it"}},
                   {"text": "Awful", "reference": None, "inputs": {"text": "Awful"}}]
    zs = setup.session_inputs("zero-shot-classification", rows[:1], labels=["good", "bad"], multi_label=True)
    assert zs[0]["inputs"] == {"text": "I love it", "labels": ["good", "bad"], "multi_label": True}
    qa_rows = parse.parse_table("qa.csv", b"question,context,answer\nWho?,Ana wrote it.,Ana\n")
    qa = setup.session_inputs("question-answering", qa_rows)
    assert qa[0]["inputs"] == {"question": "Who?", "context": "Ana wrote it."} and qa[0]["reference"] == "Ana"
    with pytest.raises(InputsError, match="no context"):
        setup.session_inputs("question-answering", parse.parse_text_lines("Who?"))
    img = setup.session_inputs("image-classification", [{"text": "cat.png", "inputs": {"image": b"\x89PNG"}}])
    assert img[0] == {"text": "cat.png", "reference": None, "inputs": {"image": b"\x89PNG"}}
    vqa = setup.session_inputs("image-text-to-text", [{"text": "a.png", "inputs": {"image": b"x"}}], question="What?")
    assert vqa[0]["inputs"]["text"] == "What?"


def test_unsupported_tasks_say_why():
    assert setup.unsupported("text-classification") is None
    assert "Unknown task" in setup.unsupported("no-such-task")
    msg = setup.unsupported("sentence-similarity")
    assert msg is not None and "Playground" in msg


@pytest.mark.parametrize("dtype,device,batch", [("fp16", "cuda", 4), ("weird", "tpu", 500)])
def test_frozen_settings_keep_only_known_values(dtype, device, batch):
    s = setup.frozen_settings(dtype=dtype, device=device, generation={"max_new_tokens": 32, "bogus": 1},
                              batch_size=batch)
    assert s["dtype"] in setup.DTYPES and s["device"] in setup.DEVICES and 1 <= s["batch_size"] <= 64
    assert s["generation"] == {"max_new_tokens": 32}


def test_reference_labels_come_from_the_candidates_heads(tiny_model):
    from lib.sessions import inputs as parse

    folder = str(tiny_model("text-classification"))
    checks = [cands.check_one(folder, LOCAL, _details)]
    known = cands.labels("text-classification", checks)
    assert known and all(isinstance(x, str) for x in known)
    problems = parse.check_references("text-classification", ["definitely-not-a-label"], known)
    assert problems and "not among the model's labels" in problems[0]
    assert parse.check_references("text-classification", [known[0]], known) == []
    assert cands.labels("zero-shot-classification", checks, ["good", "bad"]) == ["good", "bad"]
    assert cands.labels("text-generation", checks) is None
