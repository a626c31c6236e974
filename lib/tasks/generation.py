"""Text generation (decoder-only, plain or chat) and text-to-text generation with encoder-decoders
(translation, summarization, text2text-generation: pipelines transformers 5 removed, run with
AutoModelForSeq2SeqLM + generate)."""
from __future__ import annotations

from typing import Any

from lib import format as fmt
from lib.i18n import N_, _

from . import hood as H
from .archs import SEQ2SEQ, is_seq2seq
from .common import (
    Output,
    cap_new_tokens,
    fit_chat,
    gen_kwargs,
    has_chat_template,
    max_tokens,
    output_text,
    text_example,
    truncate_text,
    widget_example,
)
from .core import CodeParts, TaskSpec

SEQ2SEQ_TASKS = ("translation", "summarization", "text2text-generation")


# --------------------------------------------------------------------------- text-generation
def _chat_example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    conv = widget_example("conversational", language)
    if isinstance(conv, str):
        return {"text": conv}
    ex = widget_example("text-generation", language)
    return {"text": ex if isinstance(ex, str) else _("Once upon a time,")}


def run_text_generation(loaded, inputs: dict, task: str, opts) -> Output:
    """Plain completion, or chat when the tokenizer has a chat template."""
    pipe = loaded.pipe
    notices: list[str] = []
    tok = pipe.tokenizer
    total = max_tokens(tok, loaded.config)
    new = cap_new_tokens(opts, total, notices)
    limit = max(total - new, 8)
    kw = gen_kwargs(opts, new)
    if tok.pad_token_id is None and tok.eos_token_id is not None:
        kw["pad_token_id"] = tok.eos_token_id
    if has_chat_template(tok):
        messages = list(inputs.get("messages") or [{"role": "user", "content": inputs["text"]}])
        if opts.system_prompt and not any(m["role"] == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": opts.system_prompt})
        # the budget counts what the chat template adds (roles, markers, system prompt, history)
        messages = fit_chat(tok, messages, limit, notices, positions=total)
        res = pipe(messages, **kw)
        gen = res[0]["generated_text"]
        text = gen[-1]["content"] if isinstance(gen, list) else str(gen)
        return {"text": str(text), "chat": True}, notices
    prompt = inputs.get("text") or "\n".join(m["content"] for m in inputs["messages"])
    prompt, notice = truncate_text(tok, prompt, limit, "prompt", keep="end")
    if notice:
        notices.append(notice)
    notices.append(_("This model has no chat template: it continues your text instead of answering it."))
    res = pipe(prompt, return_full_text=False, **kw)
    return {"text": str(res[0]["generated_text"]), "chat": False, "prompt": prompt}, notices


def _route_seq2seq(config: dict) -> tuple[str, str] | None:
    """An encoder-decoder asked to generate text runs as text-to-text generation."""
    if is_seq2seq(config):
        return "run_seq2seq", _("This is an encoder-decoder model: it runs as text-to-text generation.")
    return None


def hood_text_generation(loaded, model_id: str, task: str, inputs: dict) -> H.UnderTheHood:
    text = inputs["messages"][-1]["content"] if inputs.get("messages") else inputs.get("text", "")
    e = H.encode(loaded, text)
    logits = e.net(**e.feed).logits.float().cpu()[0]
    rows = H.topk_rows(logits[-1], e.tok)
    code = H.code(model_id, "AutoModelForCausalLM", e.text_expr,
                  # i18n: code shown as code
                  "probs = out.logits[0, -1].softmax(-1)   # the next token\ntop = probs.topk(10)\n"
                  "print(tokenizer.convert_ids_to_tokens(top.indices), top.values)\n")
    return e.view(_("causal language model"), logits.shape, rows,
                  _("The next token: top 10 of the vocabulary logits at the last position; generation repeats this "
                    "step (greedy picks the first row)."), code, id2label={},
                  notes=[_("Shown for the raw prompt, without the chat template.")])


def _pipeline_generation(inp: dict, opts: Any) -> str:
    msgs = inp.get("messages") or [{"role": "user", "content": inp.get("text")}]
    gen = f"max_new_tokens={getattr(opts, 'max_new_tokens', 64)}"  # i18n: code shown as code
    return f"messages = {msgs!r}\nresult = pipe(messages, {gen})  # plain models: pipe(prompt_text, …)\n"


def _auto_generation(inp: dict, config: dict | None, opts: Any) -> str:
    msgs = inp.get("messages") or [{"role": "user", "content": inp.get("text")}]
    return (f"messages = {msgs!r}\n"  # i18n: code shown as code
            "if tokenizer.chat_template:\n"
            '    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", '
            "return_dict=True).to(device)\nelse:\n"
            '    inputs = tokenizer(messages[-1]["content"], return_tensors="pt").to(device)\n'
            f"with torch.inference_mode():\n    ids = model.generate(**inputs, max_new_tokens="
            f"{getattr(opts, 'max_new_tokens', 64)}, do_sample=False, "
            "pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)\n"
            'print(tokenizer.decode(ids[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True))\n')


# --------------------------------------------------------------------------- seq2seq
def seq2seq_prefix(config: dict, task: str) -> tuple[str, str | None]:
    """(prefix, params key) from config ``task_specific_params`` for the task ('' when none)."""
    params = (config or {}).get("task_specific_params") or {}
    if task == "summarization" and "summarization" in params:
        return params["summarization"].get("prefix") or "", "summarization"
    if task == "translation":
        keys = [k for k in params if k.startswith("translation")]
        if keys:
            return params[keys[0]].get("prefix") or "", keys[0]
    return "", None


def run_seq2seq(loaded, inputs: dict, task: str, opts) -> Output:
    """translation / summarization / text2text-generation with AutoModelForSeq2SeqLM + generate."""
    import torch

    notices: list[str] = []
    tok, model = loaded.tokenizer, loaded.model
    prefix, key = seq2seq_prefix(loaded.config, task)
    text = inputs.get("text") or "\n".join(m["content"] for m in inputs.get("messages", []))
    if prefix and not text.startswith(prefix.strip()):
        text = prefix + text
        notices.append(_("Added the model's {key} prefix {prefix}.").format(key=key, prefix=repr(prefix.strip())))
    limit = max_tokens(tok, loaded.config) if (tok.model_max_length or 0) < 1_000_000 else 512
    enc = tok(text, return_tensors="pt", truncation=True, max_length=limit)
    full = len(tok(text, add_special_tokens=True)["input_ids"])
    if full > limit:
        notices.append(_("The text is {n} tokens long; the model reads at most {limit}: the rest was cut.").format(
            n=fmt.number(full), limit=fmt.number(limit)))
    enc = {k: v.to(loaded.device) for k, v in enc.items()}
    with torch.inference_mode():
        ids = model.generate(**enc, **gen_kwargs(opts))
    return {"text": tok.decode(ids[0], skip_special_tokens=True).strip()}, notices


def hood_seq2seq(loaded, model_id: str, task: str, inputs: dict) -> H.UnderTheHood:
    """The decoder's first step."""
    import torch

    e = H.encode(loaded, inputs.get("text", ""))
    cfg = getattr(e.net, "config", None)
    start = getattr(getattr(e.net, "generation_config", None), "decoder_start_token_id", None)
    if start is None:
        start = getattr(cfg, "decoder_start_token_id", None) or getattr(cfg, "pad_token_id", 0) or 0
    dec = torch.tensor([[int(start)]], device=e.device)
    logits = e.net(**e.feed, decoder_input_ids=dec).logits.float().cpu()[0]
    rows = H.topk_rows(logits[-1], e.tok)
    # i18n: code shown as code
    code = (f'import torch\nfrom transformers import AutoTokenizer, AutoModelForSeq2SeqLM\n\n'
            f'tokenizer = AutoTokenizer.from_pretrained("{model_id}")\n'
            f'model = AutoModelForSeq2SeqLM.from_pretrained("{model_id}")\n'
            f'inputs = tokenizer({e.text_expr}, return_tensors="pt")\n'
            'start = torch.tensor([[model.generation_config.decoder_start_token_id]])\n'
            'with torch.inference_mode():\n    out = model(**inputs, decoder_input_ids=start)\n'
            'top = out.logits[0, -1].softmax(-1).topk(10)\n'
            'print(tokenizer.convert_ids_to_tokens(top.indices), top.values)\n')
    return e.view(_("encoder-decoder language model"), logits.shape, rows,
                  _("The decoder's first output token: top 10 vocabulary logits and softmax."), code, id2label={},
                  notes=[_("Shown without the task prefix the run may add.")])


def _auto_seq2seq(inp: dict, config: dict | None, opts: Any, task: str) -> str:
    prefix, _key = seq2seq_prefix(config or {}, task)
    # i18n: code shown as code
    return (f"text = {prefix!r} + {inp.get('text')!r}  # prefix from config task_specific_params\n"
            'inputs = tokenizer(text, truncation=True, return_tensors="pt").to(device)\n'
            f"with torch.inference_mode():\n    ids = model.generate(**inputs, max_new_tokens="
            f"{getattr(opts, 'max_new_tokens', 64)})\n"
            "print(tokenizer.decode(ids[0], skip_special_tokens=True))\n")


def _seq2seq_spec(tag: str, default: str, rank: int) -> TaskSpec:
    return TaskSpec(tag=tag, input_kind="text", run=run_seq2seq, renderer="text", pipeline_task=None,
                    example=text_example(tag, default), model_classes=SEQ2SEQ,
                    head=N_("an encoder-decoder (seq2seq) head"), guess_rank=rank,
                    mismatch_hint=N_("Decoder-only models (GPT-style) should be run as text-generation."),
                    hood=hood_seq2seq, metric="text", prediction=output_text,
                    code=CodeParts("AutoModelForSeq2SeqLM",
                                   auto_body=lambda inp, config, opts: _auto_seq2seq(inp, config, opts, tag),
                                   processor="tokenizer"))


TASKS = [
    TaskSpec(tag="text-generation", input_kind="chat", run=run_text_generation, renderer="text",
             pipeline_task="text-generation", example=_chat_example,
             model_classes=("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",), head=N_("a causal language-model head"),
             route=_route_seq2seq, hood=hood_text_generation, metric="text", prediction=output_text,
             code=CodeParts("AutoModelForCausalLM", _pipeline_generation, _auto_generation, "tokenizer")),
    _seq2seq_spec("translation", N_("My name is Wolfgang and I live in Berlin"), 60),
    _seq2seq_spec("summarization", N_("Hub Scout helps you pick a model from the Hugging Face Hub."), 60),
    _seq2seq_spec("text2text-generation", N_("Hub Scout helps you pick a model from the Hugging Face Hub."), 40),
]
