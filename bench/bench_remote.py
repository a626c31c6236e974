"""The remote backend's cost over a raw HTTP request to the same local server (issue 11).

A TGI/TEI-compatible server on 127.0.0.1 (tests/support/inference_servers.py) backed by tiny models:

* per call: ``lib.runner.remote.run_remote`` (inputs checked, an InferenceClient built, the request, the
  answer in the renderer's shape, the reproducing code) for feature extraction and text classification vs
  the same JSON posted with ``http.client`` on a kept-alive connection. Target: overhead <= 5 % or <= 2 ms.
* per call through a job: ``lib.jobs.submit(…, backend=)`` and ``wait()`` (what the pages and sessions do: a
  pool thread, the per-backend lane, the ``run_speeds`` row written as the job finishes), same raw baseline.
* both also beside the same request through huggingface_hub's own HTTP session (``get_session()``, httpx:
  the client InferenceClient is built on), which shows what the HTTP stack itself costs over ``http.client``.
* time to first token: ``lib.runner.remote.stream_text`` (TGI plain generation, ``"stream": true``) from the
  call to its first piece vs ``http.client`` to the first ``data:`` line of the same stream. Same target.

The server runs in a process of its own (in the client's process its threads would take turns with the
client on one GIL, and a client that writes twice — headers, then body, as httpx does — would pay twice).
Medians of interleaved runs (2 shared cores are noisy).

    .venv/bin/python bench/bench_remote.py [--calls 200]
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")


def _serve(folder: str, task: str, urls, stop) -> None:
    """A server in its own process (in this one, the server's threads would share the client's GIL)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support.inference_servers import InferenceServer

    srv = InferenceServer(folder, task, api="tgi")
    urls.put(srv.start())
    stop.wait()
    srv.stop()


class Server:
    def __init__(self, folder: Path, task: str):
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self._urls, self._stop = ctx.Queue(), ctx.Event()
        self._proc = ctx.Process(target=_serve, args=(str(folder), task, self._urls, self._stop), daemon=True)
        self._proc.start()
        self.url = self._urls.get(timeout=120)

    def stop(self) -> None:
        self._stop.set()
        self._proc.join(10)


def _raw_post(conn: http.client.HTTPConnection, body: dict) -> bytes:
    data = json.dumps(body).encode()
    conn.request("POST", "/", body=data, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    out = resp.read()
    assert resp.status == 200, out
    return out


def _raw_first_token(host: str, port: int, body: dict) -> float:
    t = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("POST", "/", body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    while True:
        line = resp.readline()
        if line.startswith(b"data:"):
            first = time.perf_counter() - t
            break
        if not line:
            raise RuntimeError("stream ended before a token")
    resp.read()
    conn.close()
    return first


def _pair(app, raw, n: int, session=None) -> tuple[float, float] | tuple[float, float, float]:
    """Medians of ``n`` interleaved calls (wall clock); this process's CPU time per call is printed too.
    ``session``: a third baseline, the same request through huggingface_hub's own HTTP session (the httpx
    client every InferenceClient call goes through), interleaved with the other two."""
    calls = [app, raw] + ([session] if session else [])
    for f in calls:
        f()  # warm
    times: list[list[float]] = [[] for _ in calls]
    cpu = [0.0 for _ in calls]
    for _ in range(n):
        for k, f in enumerate(calls):
            c, t = time.process_time(), time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
            cpu[k] += time.process_time() - c
    names = ["app", "raw", "hub session"][:len(calls)]
    print("  client CPU per call: " + ", ".join(f"{name} {c / n * 1000:.2f} ms" for name, c in zip(names, cpu)))
    return tuple(statistics.median(t) for t in times)  # type: ignore[return-value]


def _session_post(url: str, body: dict):
    """The same JSON through huggingface_hub's HTTP session (httpx), without InferenceClient or Hub Scout."""
    from huggingface_hub.utils import get_session

    session, data = get_session(), json.dumps(body).encode()

    def post() -> None:
        r = session.post(url, content=data, headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text

    return post


def _verdict(app: float, raw: float, name: str = "raw") -> str:
    over = app - raw
    ok = over <= 0.002 or over <= 0.05 * raw
    return (f"app {app * 1000:.2f} ms vs {name} {raw * 1000:.2f} ms: +{over * 1000:.2f} ms "
            f"({(app / raw - 1) * 100:+.1f} %) — {'met' if ok else 'MISSED'}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()

    from lib.hub.inference import Backend
    from lib.jobs import JobRunner
    from lib.runner.remote import run_remote, stream_text
    from lib.runner.result import RunOptions
    from tests.support.tiny_models import build

    root = Path(tempfile.mkdtemp(prefix="bench_remote_"))
    runner = JobRunner(max_workers=2)
    store_url = f"sqlite:///{root / 'speeds.db'}"  # the job's speed rows go here, not to the user's store
    from lib import store as db

    with db.session(store_url):  # open (and migrated) before any run, as in the app, whose pages read it first
        pass

    def job(task: str, backend: Backend, text: str) -> None:
        j = runner.submit("m", task, [{"text": text}], opts, backend=backend, store=store_url)
        j.wait(60)
        assert j.items[0].ok, j.error(0)

    opts = RunOptions(max_new_tokens=8)
    text = "the weather is sunny and warm today"
    for task, kind in (("feature-extraction", "bert-base"), ("text-classification", "bert-sequence")):
        srv = Server(build(kind, root), task)
        url = srv.url
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        backend = Backend(kind="url", url=url)
        hub = _session_post(url, {"inputs": text})
        app, raw, via = _pair(lambda: run_remote("m", task, {"text": text}, opts, backend),  # noqa: B023
                              lambda: _raw_post(conn, {"inputs": text}), args.calls, hub)  # noqa: B023
        print(f"per call, {task}: {_verdict(app, raw)}")
        print(f"  the same request through huggingface_hub's HTTP session alone: {via * 1000:.2f} ms; "
              f"app over it: {_verdict(app, via, 'session')}")
        app, raw, via = _pair(lambda: job(task, backend, text),  # noqa: B023
                              lambda: _raw_post(conn, {"inputs": text}), max(20, args.calls // 2), hub)  # noqa: B023
        print(f"per call through a job, {task}: {_verdict(app, raw)}")
        print(f"  app over huggingface_hub's HTTP session alone: {_verdict(app, via, 'session')}")
        conn.close()
        srv.stop()

    srv = Server(build("gpt2-plain", root), "text-generation")
    url = srv.url
    parts = urlsplit(url)
    backend = Backend(kind="url", url=url, chat=False)
    body = {"inputs": "the cat sat on", "parameters": {"max_new_tokens": 8, "do_sample": False}, "stream": True}

    def app_first() -> None:
        stream = stream_text("m", {"text": "the cat sat on"}, opts, backend)
        next(iter(stream))

    ttft_app, ttft_raw = _pair(app_first, lambda: _raw_first_token(parts.hostname, parts.port, body),
                               max(20, args.calls // 4))
    print(f"time to first token (TGI stream, 8 new tokens): {_verdict(ttft_app, ttft_raw)}")
    whole = stream_text("m", {"text": "the cat sat on"}, opts, backend)
    for _ in whole:
        pass
    print(f"one streamed run's own figures: TTFT {whole.stats.ttft_s * 1000:.1f} ms, {whole.stats.tokens} tokens, "
          f"{whole.stats.tokens_per_s or 0:.0f} tokens/s (the stand-in sends its tokens at once)")
    srv.stop()
    runner.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
