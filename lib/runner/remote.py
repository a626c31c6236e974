"""The remote runner backend: the same tasks, inputs and output shapes as a local run, computed by an
inference server (Inference Providers, an Inference Endpoint, a TGI / vLLM / OpenAI-compatible URL) through
:mod:`lib.hub.inference`.

* :func:`run_remote(model, task, raw_inputs, opts, backend) <run_remote>` -> :class:`~lib.runner.result.RunResult`
  whose ``output`` is what the task's renderer takes (``text`` / ``scores`` / ``embedding``), ``code`` the
  exact client code (:mod:`lib.runner.remote_code`), ``remote`` the figures (time to first token,
  tokens/s for streamed text).
* :func:`stream_text(model, raw_inputs, opts, backend) <stream_text>` -> :class:`TextStream`: iterate it for
  the text pieces as they arrive (``st.write_stream`` takes it), then ``.result`` is the RunResult.

Every failure is a :class:`~lib.runner.errors.RemoteFailed` (kind, message for people, retry-after) or a
:class:`~lib.runner.errors.BadInput`; offline, nothing is sent. No torch, no transformers.
"""
from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

from lib import tasks as registry
from lib.hub.errors import HubError
from lib.hub.inference import Backend, classify, client
from lib.i18n import _

from .errors import BadInput, RemoteFailed
from .inputs import validate
from .remote_code import remote_code
from .result import RemoteStats, RunOptions, RunResult

__all__ = ["REMOTE_TASKS", "check_inputs", "supports", "run_remote", "stream_text", "TextStream"]

#: Tasks a remote backend runs (the InferenceClient method each calls is in :func:`_call`).
REMOTE_TASKS: tuple[str, ...] = ("text-generation", "feature-extraction", "text-classification",
                                 "automatic-speech-recognition")


def supports(task: str) -> bool:
    """Whether ``task`` can run on a remote backend."""
    return task in REMOTE_TASKS


def _checked(task: str, raw_inputs: dict) -> tuple[dict, list[str]]:
    spec = registry.get(task)
    if spec is None or task not in REMOTE_TASKS:
        names = ", ".join(REMOTE_TASKS)
        raise BadInput(_("{task} does not run on a remote backend here (remote tasks: {names}): run it on this "
                         "machine instead.").format(task=task, names=names))
    return validate(spec.input_kind, raw_inputs)


def check_inputs(task: str, raw_inputs: dict) -> tuple[dict, list[str]]:
    """``raw_inputs`` checked for a remote run of ``task`` -> (clean inputs, notices); raises BadInput."""
    return _checked(task, raw_inputs)


def _failed(err: BaseException, backend: Backend, model: str | None) -> RemoteFailed:
    """The failure in words for the page; its full detail to the server log, with this backend's token
    (whatever its shape) and every token-shaped string redacted."""
    import traceback

    from lib.hub.auth import redact
    from lib.hub.inference import credential
    from lib.logs import logger

    hub = err if isinstance(err, HubError) else classify(err, backend, model)
    detail = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    logger("runner").warning("%s", redact(f"remote run of {model} on {backend.label} ({hub.kind}): {detail}",
                                          backend.token, credential(backend)))
    return RemoteFailed.from_hub(hub)


def _messages(inputs: dict, opts: RunOptions) -> list[dict]:
    messages = list(inputs.get("messages") or [{"role": "user", "content": inputs["text"]}])
    if opts.system_prompt and not any(m["role"] == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": opts.system_prompt})
    return messages


def _routed(backend: Backend, model: str) -> str | None:
    """The ``model`` argument of a non-chat call: the model id for providers; None for a URL (a model id there
    would send the request to the Hugging Face router instead of the URL)."""
    return model if backend.kind == "providers" else None


def _sampling(opts: RunOptions) -> dict[str, Any]:
    # greedy unless sampling is asked for, as a local run (temperature 0 is greedy on OpenAI-style servers)
    return {"temperature": float(opts.temperature), "top_p": float(opts.top_p)} if opts.do_sample else \
        {"temperature": 0.0}


def _result(model: str, task: str, output: dict, renderer: str, latency: float, notices: list[str],
            backend: Backend, inputs: dict, opts: RunOptions, stats: RemoteStats) -> RunResult:
    return RunResult(model_id=model, task=task, output=output, renderer=renderer, latency_s=latency, load_s=0.0,
                     cached=False, peak_memory_bytes=0, memory_kind="remote", device=backend.label, dtype="remote",
                     notices=notices, code=remote_code(model, task, inputs, backend, opts), remote=stats)


class TextStream:
    """A streamed text generation: iterate for the pieces; afterwards ``.result`` (a RunResult) and ``.stats``.
    A failure while streaming raises :class:`RemoteFailed` from the iteration (the pieces so far stay in
    ``.text``)."""

    def __init__(self, model: str, inputs: dict, notices: list[str], opts: RunOptions, backend: Backend,
                 access=None):
        self.model, self.inputs, self.opts, self.backend = model, inputs, opts, backend
        self.notices = notices
        self.pieces: list[str] = []
        self.result: RunResult | None = None
        self.stats: RemoteStats | None = None
        self._access = access
        self._started = False

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def _source(self) -> Iterator[str]:
        c = client(self.backend, access=self._access, shared=False)
        try:
            yield from self._pieces(c)
        finally:
            c.close()  # the streamed response is released even when the reader stops early

    def _pieces(self, c) -> Iterator[str]:
        if self.backend.chat:  # a URL client posts to the URL, with the model named in the payload (vLLM needs it)
            chunks = c.chat_completion(_messages(self.inputs, self.opts), model=self.model or None, stream=True,
                                       max_tokens=int(self.opts.max_new_tokens), **_sampling(self.opts))
            for chunk in chunks:
                choice = chunk.choices[0] if chunk.choices else None
                if choice is not None and choice.delta is not None and choice.delta.content is not None:
                    yield choice.delta.content
            return
        prompt = self.inputs.get("text") or "\n".join(m["content"] for m in self.inputs["messages"])
        kw: dict[str, Any] = {"do_sample": bool(self.opts.do_sample)}
        if self.opts.do_sample:
            kw.update(temperature=float(self.opts.temperature), top_p=float(self.opts.top_p))
        yield from c.text_generation(prompt, model=_routed(self.backend, self.model), stream=True,
                                     max_new_tokens=int(self.opts.max_new_tokens), **kw)

    def __iter__(self) -> Iterator[str]:
        if self._started:
            raise RuntimeError("a TextStream is iterated once")  # i18n: a programmer's error
        self._started = True
        t0 = time.perf_counter()
        first = last = None
        n = 0  # the server's tokens (a token may carry no text yet: part of a character)
        source = self._source()
        try:
            for piece in source:
                last = time.perf_counter()
                if first is None:
                    first = last
                n += 1
                if piece:
                    self.pieces.append(piece)
                    yield piece
        except Exception as e:  # noqa: BLE001 - every failure of the call or the stream, in words
            raise _failed(e, self.backend, self.model) from None
        finally:
            source.close()
        end = time.perf_counter()
        rate = (n - 1) / (last - first) if n > 1 and last is not None and first is not None and last > first \
            else None
        self.stats = RemoteStats(self.backend.label, None if first is None else first - t0, n, rate)
        output = {"text": self.text, "chat": self.backend.chat}
        if not self.backend.chat:
            output["prompt"] = self.inputs.get("text", "")
        self.result = _result(self.model, "text-generation", output, "text", end - t0, self.notices, self.backend,
                              self.inputs, self.opts, self.stats)


def stream_text(model: str, raw_inputs: dict, opts: RunOptions | None = None, backend: Backend | None = None, *,
                access=None) -> TextStream:
    """A text generation (chat or plain) streamed from ``backend``; inputs checked now (BadInput), the request
    sent when the stream is first iterated."""
    inputs, notices = _checked("text-generation", raw_inputs)
    return TextStream(model, inputs, notices, opts or RunOptions(), backend or Backend(kind="providers"), access)


def _wav(audio: dict) -> bytes:
    import wave

    import numpy as np

    pcm = (np.clip(np.asarray(audio["array"], dtype=np.float32), -1, 1) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(audio["sampling_rate"]))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def _call(c, task: str, model: str | None, inputs: dict) -> tuple[dict, str, list[str]]:
    """One InferenceClient call -> (output in the renderer's shape, renderer, notices)."""
    import numpy as np

    from lib.tasks.common import scores
    from lib.tasks.embeddings import vector_output

    if task == "feature-extraction":
        arr = np.asarray(c.feature_extraction(inputs["text"], model=model), dtype=np.float32)
        if arr.ndim == 1:
            return vector_output(arr, _("the server's")), "embedding", []
        if arr.ndim == 3:  # [batch, tokens, dim]
            arr = arr[0]
        if arr.shape[0] == 1:
            return vector_output(arr[0], _("the server's")), "embedding", []
        note = _("The server returned one vector per token: Hub Scout shows their mean.")
        return vector_output(arr.mean(axis=0), _("mean of the server's token vectors")), "embedding", [note]
    if task == "text-classification":
        rows = c.text_classification(inputs["text"], model=model)
        return scores([{"label": r.label, "score": r.score} for r in rows]), "scores", []
    if task == "automatic-speech-recognition":
        out = c.automatic_speech_recognition(_wav(inputs["audio"]), model=model)
        return {"text": str(out.text)}, "text", []
    raise BadInput(_("{task} does not run on a remote backend here.").format(task=task))


def run_remote(model: str, task: str, raw_inputs: dict, opts: RunOptions | None = None,
               backend: Backend | None = None, *, access=None) -> RunResult:
    """Run ``task`` on ``model`` through ``backend`` (providers by default); text generation is streamed and
    timed. Raises BadInput or RemoteFailed, never anything else."""
    opts = opts or RunOptions()
    backend = backend or Backend(kind="providers")
    if task == "text-generation":
        stream = stream_text(model, raw_inputs, opts, backend, access=access)
        for _ in stream:
            pass
        assert stream.result is not None
        return stream.result
    inputs, notices = _checked(task, raw_inputs)
    t0 = time.perf_counter()
    try:
        c = client(backend, access=access)
        output, renderer, more = _call(c, task, _routed(backend, model), inputs)
    except BadInput:
        raise
    except Exception as e:  # noqa: BLE001 - every failure of the call, in words
        raise _failed(e, backend, model) from None
    latency = time.perf_counter() - t0
    return _result(model, task, output, renderer, latency, notices + more, backend, inputs, opts,
                   RemoteStats(backend.label))
