"""Text generation's prompt budget (issue 8, defect 8): the chat template's tokens count.

A chat model with 128 positions, a ~70-token prompt and the default 64 new tokens used to fail with
"IndexError: index out of range in self": the prompt was cut to 128 - 64 tokens before the template
added its role markers, so prompt + new tokens ran past the model's positions.
"""
from __future__ import annotations

import pytest

from lib.runner import RunOptions, run
from lib.runner.cache import ModelCache
from lib.runner.errors import BadInput
from lib.tasks.common import chat_tokens, fit_chat


@pytest.fixture(scope="module")
def cache():
    return ModelCache(budget_bytes=2 * 1024**3)


@pytest.fixture(scope="module")
def chat_model(tiny_model):
    return str(tiny_model("gpt2"))  # GPT-2 with a chat template, 128 positions


def tokenizer(folder: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


def prompt_of(tok, n_tokens: int) -> str:
    words = []
    while len(tok(" ".join(words), add_special_tokens=False)["input_ids"]) < n_tokens:
        words.append(f"word{len(words) % 7}")
    return " ".join(words)


def test_a_chat_prompt_near_the_limit_is_cut_by_the_template_aware_budget(chat_model, cache):
    tok = tokenizer(chat_model)
    text = prompt_of(tok, 70)
    assert chat_tokens(tok, [{"role": "user", "content": text}]) + 64 > 128  # the case that failed
    res = run(chat_model, "text-generation", {"text": text}, RunOptions(max_new_tokens=64), cache=cache)
    assert res.output["chat"] is True and isinstance(res.output["text"], str)
    assert any("with the chat template" in n and "only the end of your message" in n for n in res.notices)


def test_fit_chat_counts_the_template_system_prompt_and_history(chat_model):
    tok = tokenizer(chat_model)
    messages = [{"role": "system", "content": prompt_of(tok, 5)},
                {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                {"role": "user", "content": prompt_of(tok, 200)}]
    overhead = chat_tokens(tok, [*messages[:-1], {"role": "user", "content": ""}])
    limit = overhead + 20  # room for 20 tokens of the last message
    notices: list[str] = []
    fitted = fit_chat(tok, messages, limit, notices, positions=128)
    assert chat_tokens(tok, fitted) <= limit and fitted[:-1] == messages[:-1] and notices
    assert len(tok(fitted[-1]["content"], add_special_tokens=False)["input_ids"]) >= 15
    assert messages[-1]["content"].endswith(fitted[-1]["content"])  # the end of the message is kept
    short = [{"role": "user", "content": "hi"}]
    assert fit_chat(tok, short, 64, notices) is short  # fits: untouched


def test_a_system_prompt_that_fills_the_budget_is_a_clear_input_error(chat_model, cache):
    tok = tokenizer(chat_model)
    opts = RunOptions(max_new_tokens=64, system_prompt=prompt_of(tok, 90))
    with pytest.raises(BadInput) as err:
        run(chat_model, "text-generation", {"text": "hello"}, opts, cache=cache)
    assert "system prompt" in str(err.value) and "max new tokens" in str(err.value)
    assert "IndexError" not in str(err.value)
