"""The exact code reproducing a remote run (the remote twin of :mod:`lib.runner.code`): huggingface_hub's
``InferenceClient`` for Inference Providers and TGI / Endpoint URLs, the ``openai`` client for chat on an
OpenAI-compatible URL. Pure string building; a token is never written, only read from the environment
(:func:`key_variable`: ``HF_TOKEN`` or ``<PROVIDER>_API_KEY`` for providers, ``HUBSCOUT_INFERENCE_TOKEN`` for a
URL)."""
from __future__ import annotations

# i18n: file code shown as code (its comments stay English)
from typing import Any

from lib.hub.inference import Backend

from .code import _shown_inputs


def _messages(inputs: dict, opts: Any) -> list[dict]:
    messages = list(inputs.get("messages") or [{"role": "user", "content": inputs.get("text", "")}])
    system = getattr(opts, "system_prompt", None)
    if system and not any(m.get("role") == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": system})
    return messages


def _sampling(opts: Any) -> str:
    if opts is not None and getattr(opts, "do_sample", False):
        return f"temperature={float(opts.temperature)!r}, top_p={float(opts.top_p)!r}"
    return "temperature=0.0"


def _openai_base(url: str) -> str:
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        url = url[: -len("/chat/completions")]
    return url if url.endswith("/v1") else url + "/v1"


def key_variable(backend: Backend) -> str:
    """The environment variable the code reads its key from: ``HF_TOKEN`` for providers, ``<PROVIDER>_API_KEY``
    when the run used a key of that provider's own (HUBSCOUT_INFERENCE_TOKENS / secrets), and
    ``HUBSCOUT_INFERENCE_TOKEN`` for a URL. The key itself is never written."""
    if backend.kind != "providers":
        return "HUBSCOUT_INFERENCE_TOKEN"
    from lib.hub.inference import own_token

    name = (backend.provider or "auto").upper().replace("-", "_").replace(".", "_")
    return f"{name}_API_KEY" if own_token(backend) and name != "AUTO" else "HF_TOKEN"


def _client(backend: Backend) -> str:
    if backend.kind == "providers":
        return ("import os\nfrom huggingface_hub import InferenceClient\n\n"
                f'client = InferenceClient(provider={backend.provider or "auto"!r}, '
                f'api_key=os.environ["{key_variable(backend)}"])\n')
    return ("import os\nfrom huggingface_hub import InferenceClient\n\n"
            f"client = InferenceClient(base_url={backend.base_url or ''!r}, "
            'api_key=os.environ.get("HUBSCOUT_INFERENCE_TOKEN"))\n')


def remote_code(model: str, task: str, inputs: dict, backend: Backend, opts: Any = None) -> str:
    """Python that sends the same request as the remote run (inputs included)."""
    inp = _shown_inputs(inputs)
    new = int(getattr(opts, "max_new_tokens", 64) or 64)
    model_arg = f"model={model!r}" if backend.kind == "providers" else None
    if task == "text-generation" and backend.chat:
        msgs = _messages(inp, opts)
        if backend.kind == "url":
            return ("import os\nfrom openai import OpenAI\n\n"
                    f"client = OpenAI(base_url={_openai_base(backend.base_url or '')!r}, "
                    'api_key=os.environ.get("HUBSCOUT_INFERENCE_TOKEN", "-"))\n'
                    f"stream = client.chat.completions.create(model={model!r}, messages={msgs!r}, "
                    f"max_tokens={new}, {_sampling(opts)}, stream=True)\n"
                    "for chunk in stream:\n"
                    '    print(chunk.choices[0].delta.content or "", end="", flush=True)\n')
        return (_client(backend)
                + f"stream = client.chat_completion({msgs!r}, model={model!r}, max_tokens={new}, "
                  f"{_sampling(opts)}, stream=True)\n"
                  "for chunk in stream:\n"
                  '    print(chunk.choices[0].delta.content or "", end="", flush=True)\n')
    extra = f", {model_arg}" if model_arg else ""
    if task == "text-generation":
        prompt = inp.get("text") or "\n".join(m["content"] for m in inp.get("messages") or [])
        sample = (f"do_sample=True, temperature={float(opts.temperature)!r}, top_p={float(opts.top_p)!r}"
                  if opts is not None and getattr(opts, "do_sample", False) else "do_sample=False")
        return (_client(backend)
                + f"for token in client.text_generation({prompt!r}{extra}, max_new_tokens={new}, {sample}, "
                  "stream=True):\n    print(token, end=\"\", flush=True)\n")
    if task == "feature-extraction":
        return (_client(backend) + f"vector = client.feature_extraction({inp.get('text')!r}{extra})\n"
                "print(vector.shape, vector.ravel()[:8])\n")
    if task == "text-classification":
        return (_client(backend) + f"result = client.text_classification({inp.get('text')!r}{extra})\n"
                "print([(r.label, round(r.score, 4)) for r in result])\n")
    if task == "automatic-speech-recognition":
        audio = inp.get("audio") if isinstance(inp.get("audio"), str) else "your_clip.wav"
        return (_client(backend) + f"result = client.automatic_speech_recognition({audio!r}{extra})\n"
                "print(result.text)\n")
    return _client(backend) + f"# {task} does not run remotely in Hub Scout\n"
