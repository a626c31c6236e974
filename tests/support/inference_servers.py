"""Inference servers on 127.0.0.1 for the remote backend's tests and bench, backed by the tiny models (real
outputs, computed by transformers in this process).

``InferenceServer(model_dir, task, api="openai"|"tgi", token=None)``; ``.start() -> base URL``; ``.stop()``.

* ``api="openai"``: an OpenAI-compatible chat server (vLLM-like): ``POST /v1/chat/completions`` (JSON, or SSE
  with ``"stream": true``, ending ``data: [DONE]``), ``GET /v1/models``.
* ``api="tgi"``: a TGI / TEI-compatible server: ``POST /generate``, ``POST /generate_stream`` (SSE, one token
  per event), ``POST /`` (TGI's compat route: generation — ``"stream": true`` streams — for a text-generation
  model; TEI's pooled embeddings ``[[…]]`` for feature extraction; ``[[{label, score}…]]`` for text
  classification; ``{"text"}`` for ASR, the body being the audio file), ``GET /info``; the router's
  ``POST /hf-inference/models/<id>[/pipeline/<task>]`` answers as ``/`` (tests point the router here).

Generation is greedy (``do_sample`` is ignored unless true) with the model's own ``generate``; the stream sends
each new token's text. ``token=``: requests must carry ``Authorization: Bearer <token>`` (else 401).

Faults (``set_fault(kind, times=None, retry_after=7, delay=…)``): an HTTP status (401, 402, 403, 404, 429 with
``Retry-After``, 503 with TGI's ``estimated_time``, 500 …), ``"slow"`` (sleep ``delay`` before answering),
``"reset"`` (close the connection without an answer), ``"stream_error"`` (stream two tokens, then a TGI error
event), ``"drip"`` (a stream sends its events ``delay`` s apart: a stream to cancel halfway). ``requests`` logs
(method, path, authorization header) of every request.
"""
from __future__ import annotations

import io
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FAULTS = ("slow", "reset", "stream_error", "drip")


@dataclass
class Fault:
    kind: str | int
    times: int | None
    retry_after: int
    delay: float


class _Model:
    """The tiny model behind a server: generation (tokens), embeddings, classification or ASR."""

    def __init__(self, folder: Path, task: str):
        import torch
        from transformers import AutoTokenizer

        self.task = task
        self.lock = threading.Lock()
        torch.manual_seed(0)
        if task == "text-generation":
            from transformers import AutoModelForCausalLM

            self.tok = AutoTokenizer.from_pretrained(folder)
            self.net = AutoModelForCausalLM.from_pretrained(folder).eval()
        else:
            from transformers import pipeline

            self.pipe = pipeline(task, model=str(folder), device="cpu")

    def tokens(self, prompt: str, max_new: int) -> list[str]:
        """The greedy continuation's tokens as a TGI stream sends them: each token's new text (decoded with
        the tokens before it: a character split over tokens comes whole with its last token; "" before)."""
        import torch

        with self.lock, torch.inference_mode():
            enc = self.tok(prompt, return_tensors="pt")
            pad = self.tok.pad_token_id if self.tok.pad_token_id is not None else self.tok.eos_token_id
            out = self.net.generate(**enc, max_new_tokens=max_new, do_sample=False, pad_token_id=pad)
        new = out[0, enc["input_ids"].shape[1]:].tolist()
        pieces, shown = [], ""
        for i in range(len(new)):
            full = self.tok.decode(new[: i + 1], skip_special_tokens=True)
            if full.endswith("\ufffd") and i < len(new) - 1:
                pieces.append("")
                continue
            pieces.append(full[len(shown):])
            shown = full
        return pieces

    def chat_prompt(self, messages: list[dict]) -> str:
        if getattr(self.tok, "chat_template", None):
            return self.tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return "\n".join(str(m.get("content", "")) for m in messages)

    def embed(self, text: str, normalize: bool = True) -> list[float]:
        """TEI's answer: the mean of the token vectors, normalised unless ``normalize`` is false (TEI's default)."""
        import numpy as np

        with self.lock:
            rows = np.asarray(self.pipe(text)[0], dtype=np.float32)  # [tokens, dim]
        vec = rows.mean(axis=0)
        if normalize:
            vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
        return [float(x) for x in vec]

    def classify(self, text: str) -> list[dict]:
        with self.lock:
            rows = self.pipe(text, top_k=None)
        return sorted(({"label": r["label"], "score": float(r["score"])} for r in rows), key=lambda r: -r["score"])

    def transcribe(self, audio: bytes) -> str:
        from lib.runner.inputs import decode_audio

        arr, rate = decode_audio(audio)
        with self.lock:
            return str(self.pipe({"raw": arr, "sampling_rate": rate})["text"])


class InferenceServer:
    """One server (see the module doc)."""

    def __init__(self, model_dir: Path | str, task: str, api: str = "tgi", token: str | None = None,
                 model_name: str = "tiny-model"):
        if api not in ("openai", "tgi"):
            raise ValueError("api is openai or tgi")
        self.api, self.task, self.token, self.model_name = api, task, token, model_name
        self.model = _Model(Path(model_dir), task)
        self.requests: list[tuple[str, str, str | None]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._busy = 0  # requests being answered (stop() waits for them: a model call must not outlive the test)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- control -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() first"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        server = self

        class Handler(_Handler):
            srv = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True, name="inference-server")
        self._thread.start()
        return self.url

    def stop(self) -> None:
        end = time.monotonic() + 15
        while self._busy and time.monotonic() < end:
            time.sleep(0.02)
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def set_fault(self, kind: str | int, *, times: int | None = None, retry_after: int = 7,
                  delay: float = 2.0) -> None:
        if not isinstance(kind, int) and kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.append(Fault(kind, times, retry_after, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.times is None or f.times > 0:
                    if f.times is not None:
                        f.times -= 1
                    return f
        return None


class _Handler(BaseHTTPRequestHandler):
    srv: InferenceServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # as TGI / vLLM servers do: small writes (headers, then body; SSE events) go out at once instead of
        # waiting for the peer's delayed ACK (Nagle: ~40 ms a response on Linux)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # ---- plumbing ------------------------------------------------------------------------------
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[Any], *, done: bool, fault: Fault | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self._events(events, done, fault)
        except (BrokenPipeError, ConnectionResetError):  # the reader stopped early (it may)
            self.close_connection = True

    def _events(self, events: list[Any], done: bool, fault: Fault | None) -> None:
        for i, ev in enumerate(events):
            if fault is not None and fault.kind == "stream_error" and i == 2:
                self.wfile.write(b'data: {"error": "CUDA out of memory", "error_type": "generation"}\n\n')
                self.wfile.flush()
                self.close_connection = True
                return
            if fault is not None and fault.kind == "drip" and i:
                time.sleep(fault.delay)
            self.wfile.write(b"data: " + json.dumps(ev).encode() + b"\n\n")
            self.wfile.flush()
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _gate(self) -> Fault | None | bool:
        """Log the request, apply auth and faults. False: answered already."""
        srv = self.srv
        srv.requests.append((self.command, self.path, self.headers.get("Authorization")))
        fault = srv._take_fault()
        if fault is not None:
            if fault.kind == "reset":
                self.close_connection = True
                self.connection.close()
                return False
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif isinstance(fault.kind, int):
                self._fault_status(fault)
                return False
        if srv.token and self.headers.get("Authorization") != f"Bearer {srv.token}":
            self._send(401, {"error": "Authorization header is correct, but the token seems invalid"})
            return False
        return fault

    def _fault_status(self, fault: Fault) -> None:
        status = int(fault.kind)
        headers = {"Retry-After": str(fault.retry_after)} if status == 429 else {}
        body: dict[str, Any] = {"error": {401: "Invalid credentials in Authorization header",
                                          402: "You have exceeded your monthly included credits for Inference "
                                               "Providers. Subscribe to PRO to get 20x more monthly included credits.",
                                          403: "This authentication method does not have sufficient permissions",
                                          404: "Model not found", 429: "Rate limit reached",
                                          503: "Model tiny-model is currently loading"}.get(status, "Server error")}
        if status == 503:
            body["estimated_time"] = 20.0
        self._send(status, body, headers)

    # ---- routes --------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        self._busy(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._busy(self._post)

    def _busy(self, answer) -> None:
        with self.srv._lock:
            self.srv._busy += 1
        try:
            answer()
        finally:
            with self.srv._lock:
                self.srv._busy -= 1

    def _get(self) -> None:
        gate = self._gate()
        if gate is False:
            return
        if self.srv.api == "openai" and self.path == "/v1/models":
            return self._send(200, {"object": "list", "data": [{"id": self.srv.model_name, "object": "model"}]})
        if self.srv.api == "tgi" and self.path == "/info":
            return self._send(200, {"model_id": self.srv.model_name, "model_pipeline_tag": self.srv.task})
        self._send(404, {"error": "Not Found"})

    def _post(self) -> None:
        raw = self._body()
        gate = self._gate()
        if gate is False:
            return
        fault = gate if isinstance(gate, Fault) else None
        path = self.path.split("?", 1)[0]
        if self.srv.api == "tgi" and path.startswith("/hf-inference/models/"):
            path = "/"  # the Hugging Face router's hf-inference route (tests point the router here)
        if self.srv.api == "openai" and path == "/v1/chat/completions":
            return self._chat(json.loads(raw or b"{}"), fault)
        if self.srv.api == "tgi" and path in ("/generate", "/generate_stream", "/"):
            if self.srv.task == "automatic-speech-recognition" and path == "/":
                return self._send(200, {"text": self.srv.model.transcribe(raw)})
            body = json.loads(raw or b"{}")
            if self.srv.task == "text-generation":
                stream = path == "/generate_stream" or (path == "/" and bool(body.get("stream")))
                return self._generate(body, stream, fault)
            if self.srv.task == "feature-extraction" and path == "/":
                return self._send(200, [self.srv.model.embed(str(body.get("inputs", "")),
                                                             body.get("normalize") is not False)])
            if self.srv.task == "text-classification" and path == "/":
                return self._send(200, [self.srv.model.classify(str(body.get("inputs", "")))])
        self._send(404, {"error": "Not Found"})

    def _generate(self, body: dict, stream: bool, fault: Fault | None) -> None:
        params = body.get("parameters") or {}
        pieces = self.srv.model.tokens(str(body.get("inputs", "")), int(params.get("max_new_tokens") or 20))
        text = "".join(pieces)
        if not stream:
            return self._send(200, {"generated_text": text} if self.path != "/" else [{"generated_text": text}])
        events = [{"index": i + 1, "token": {"id": i, "text": p, "logprob": 0.0, "special": False},
                   "generated_text": text if i == len(pieces) - 1 else None, "details": None}
                  for i, p in enumerate(pieces)]
        self._sse(events, done=False, fault=fault)

    def _chat(self, body: dict, fault: Fault | None) -> None:
        model = self.srv.model
        prompt = model.chat_prompt(body.get("messages") or [])
        pieces = model.tokens(prompt, int(body.get("max_tokens") or 20))
        name = body.get("model") or self.srv.model_name
        base = {"id": "chatcmpl-1", "created": int(time.time()), "model": name, "system_fingerprint": "stub"}
        if not body.get("stream"):
            return self._send(200, {**base, "object": "chat.completion",
                                    "choices": [{"index": 0, "finish_reason": "length", "logprobs": None,
                                                 "message": {"role": "assistant", "content": "".join(pieces)}}],
                                    "usage": {"prompt_tokens": 0, "completion_tokens": len(pieces),
                                              "total_tokens": len(pieces)}})
        events = [{**base, "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "logprobs": None, "finish_reason": None,
                                "delta": {"role": "assistant", "content": p}}]} for p in pieces]
        events.append({**base, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "logprobs": None, "finish_reason": "length", "delta": {}}]})
        self._sse(events, done=True, fault=fault)


def wav_bytes(seconds: float = 1.0, rate: int = 16000) -> bytes:
    """A short WAV clip (a 440 Hz tone) for ASR requests."""
    import wave

    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    pcm = (np.sin(2 * np.pi * 440 * t) * 0.3 * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
