"""The remote backend (issue 11) over real HTTP: servers on 127.0.0.1 backed by the tiny models
(tests/support/inference_servers.py), the Hub stand-in for provider mappings and the router; each failure
injected and told in words; offline and URL refusals send nothing; tokens never leave where they may not."""
from __future__ import annotations

import socket

import numpy as np
import pytest

from lib.hub.errors import HubError
from lib.hub.gateway import provider_mapping
from lib.hub.inference import Backend, check_url, credential, sends_hf_token
from lib.hub.policy import offline_scope
from lib.runner import api as local
from lib.runner.errors import BadInput, RemoteFailed
from lib.runner.remote import run_remote, stream_text, supports
from lib.runner.result import RunOptions
from tests.support.inference_servers import InferenceServer, wav_bytes

SECRET = "sk-test-0123456789abcdefghij"
HF_SECRET = "hf_testtoken0123456789abcdefghij"
OPTS = RunOptions(max_new_tokens=8, device="cpu")


def _server(request, folder, task, api, **kw):
    srv = InferenceServer(folder, task, api=api, **kw)
    srv.start()
    request.addfinalizer(srv.stop)
    return srv


@pytest.fixture(scope="module")
def chat_server(request, tiny_model):
    return _server(request, tiny_model("gpt2"), "text-generation", "openai", token=SECRET)


@pytest.fixture(scope="module")
def tgi_server(request, tiny_model):
    return _server(request, tiny_model("gpt2-plain"), "text-generation", "tgi")


@pytest.fixture(scope="module")
def tei_server(request, tiny_model):
    return _server(request, tiny_model("feature-extraction"), "feature-extraction", "tgi")


@pytest.fixture(scope="module")
def cls_server(request, tiny_model):
    return _server(request, tiny_model("text-classification"), "text-classification", "tgi")


@pytest.fixture
def chat(chat_server):
    chat_server.clear_faults()
    chat_server.requests.clear()
    yield chat_server
    chat_server.clear_faults()


@pytest.fixture
def tgi(tgi_server):
    tgi_server.clear_faults()
    tgi_server.requests.clear()
    yield tgi_server
    tgi_server.clear_faults()


def _url(srv, **kw) -> Backend:
    return Backend(kind="url", url=srv.url, **kw)


# --------------------------------------------------------------------------- outputs: same shapes, same answers
def test_openai_chat_streams_the_models_own_answer(chat, tiny_model):
    stream = stream_text("tiny-model", {"text": "the cat sat on the mat"}, OPTS, _url(chat, token=SECRET))
    pieces = list(stream)
    r = stream.result
    assert len(pieces) >= 1 and "".join(pieces) == r.output["text"]
    local_run = local.run(str(tiny_model("gpt2")), "text-generation", {"text": "the cat sat on the mat"}, OPTS)
    assert r.output == {"text": local_run.output["text"], "chat": True}  # greedy: the local pipeline's answer
    assert r.renderer == "text" and r.remote.tokens == 8 and r.remote.ttft_s is not None and r.remote.ttft_s > 0
    assert r.remote.tokens_per_s is not None and r.remote.tokens_per_s > 0
    assert r.device == chat.url.split("//")[1] and r.memory_kind == "remote"
    # one request, to the OpenAI route, with this backend's own key
    assert chat.requests == [("POST", "/v1/chat/completions", f"Bearer {SECRET}")]
    # the code reproduces it with the openai client, the key read from the environment, never written
    assert "from openai import OpenAI" in r.code and f"{chat.url}/v1" in r.code and SECRET not in r.code
    assert "stream=True" in r.code and "max_tokens=8" in r.code


def test_tgi_plain_generation_streams_tokens(tgi, tiny_model):
    r = run_remote("tiny-model", "text-generation", {"text": "the cat sat"}, OPTS, _url(tgi, chat=False))
    local_run = local.run(str(tiny_model("gpt2-plain")), "text-generation", {"text": "the cat sat"}, OPTS)
    assert r.output["text"] == local_run.output["text"] and r.output["chat"] is False
    assert r.remote.tokens == 8
    assert tgi.requests[0][:2] == ("POST", "/")  # TGI's compat route, "stream": true
    assert "InferenceClient(base_url=" in r.code and "text_generation(" in r.code and "stream=True" in r.code


def test_feature_extraction_over_the_tei_route(tei_server, tiny_model):
    r = run_remote("tiny-bert", "feature-extraction", {"text": "the weather is sunny"}, OPTS, _url(tei_server))
    loc = local.run(str(tiny_model("feature-extraction")), "feature-extraction", {"text": "the weather is sunny"}, OPTS)
    assert r.renderer == "embedding" and set(r.output) == set(loc.output)
    assert r.output["dim"] == loc.output["dim"] and loc.output["pooling"] == "mean"
    # TEI normalises by default: the same direction as the local mean-pooled vector, unit length
    want = np.asarray(loc.output["vector"]) / loc.output["norm"]
    np.testing.assert_allclose(r.output["vector"], want, rtol=1e-4, atol=1e-5)
    assert r.output["norm"] == pytest.approx(1.0, abs=1e-5)
    assert "feature_extraction(" in r.code


def test_text_classification_over_the_tgi_route(cls_server, tiny_model):
    r = run_remote("tiny-bert", "text-classification", {"text": "i love this movie"}, OPTS, _url(cls_server))
    loc = local.run(str(tiny_model("text-classification")), "text-classification", {"text": "i love this movie"}, OPTS)
    assert r.renderer == "scores" and r.output["labels"] == loc.output["labels"]
    np.testing.assert_allclose(r.output["scores"], loc.output["scores"], rtol=1e-4)


def test_speech_recognition_over_the_tgi_route(request, tiny_model):
    srv = _server(request, tiny_model("automatic-speech-recognition"), "automatic-speech-recognition", "tgi")
    clip = wav_bytes(0.5)
    r = run_remote("tiny-w2v", "automatic-speech-recognition", {"audio": clip}, OPTS, _url(srv))
    loc = local.run(str(tiny_model("automatic-speech-recognition")), "automatic-speech-recognition", {"audio": clip},
                    OPTS)
    assert r.renderer == "text" and r.output == {"text": loc.output["text"]}


def test_a_task_without_a_remote_route_is_refused_in_words(tgi):
    assert not supports("image-classification")
    with pytest.raises(BadInput, match="remote"):
        run_remote("m", "image-classification", {"image": None}, OPTS, _url(tgi))
    assert tgi.requests == []


# --------------------------------------------------------------------------- failures, each in words
@pytest.mark.parametrize("fault, kind, words, retry", [
    (401, "auth", "refused the token (401)", None),
    (403, "auth", "refused the token (403)", None),
    (402, "credits", "credits are used up (402)", None),
    (404, "not_found", "has no model tiny-model (404)", None),
    (429, "rate_limited", "retry in 7 s", 7),
    (503, "loading", "the model is loading (503) — about 20 s", 20),
    (500, "server", "failed (500)", None),
    ("reset", "unreachable", "closed the connection", None),
])
def test_each_failure_is_a_kind_and_a_message(chat, fault, kind, words, retry):
    chat.set_fault(fault, times=1)
    with pytest.raises(RemoteFailed) as e:
        run_remote("tiny-model", "text-generation", {"text": "hello"}, OPTS, _url(chat, token=SECRET))
    err = e.value
    assert err.kind == kind and words in err.message and err.retry_after == retry
    assert SECRET not in err.message and "Traceback" not in err.message
    # the next call works again
    assert run_remote("tiny-model", "text-generation", {"text": "hello"}, OPTS, _url(chat, token=SECRET)).output["text"]


def test_timeout_and_refused_connection(tgi):
    tgi.set_fault("slow", times=1, delay=2.0)
    with pytest.raises(RemoteFailed) as e:
        run_remote("m", "text-generation", {"text": "hi"}, OPTS, _url(tgi, chat=False, timeout_s=0.3))
    assert e.value.kind == "timeout" and "slower than 0.3 s" in e.value.message
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nobody listens there
    with pytest.raises(RemoteFailed) as e:
        run_remote("m", "feature-extraction", {"text": "hi"}, OPTS, Backend(kind="url", url=f"http://127.0.0.1:{port}"))
    assert e.value.kind == "unreachable" and "connection refused" in e.value.message


def test_an_error_mid_stream_keeps_the_text_so_far(tgi):
    tgi.set_fault("stream_error", times=1)
    stream = stream_text("m", {"text": "the cat"}, OPTS, _url(tgi, chat=False))
    got = []
    with pytest.raises(RemoteFailed) as e:
        for piece in stream:
            got.append(piece)
    assert e.value.kind == "server" and "stopped generating" in e.value.message
    assert stream.text == "".join(got) and stream.result is None


def test_a_wrong_token_and_no_token(chat):
    with pytest.raises(RemoteFailed) as e:
        run_remote("m", "text-generation", {"text": "hi"}, OPTS, _url(chat, token="sk-wrong-0123456789abcdef"))
    assert e.value.kind == "auth" and "HUBSCOUT_INFERENCE_TOKEN" in e.value.message
    assert "sk-wrong" not in e.value.message


# --------------------------------------------------------------------------- nothing sent
def test_offline_refuses_with_no_request(tgi):
    with offline_scope(True), pytest.raises(RemoteFailed) as e:
        run_remote("m", "text-generation", {"text": "hi"}, OPTS, _url(tgi, chat=False))
    assert e.value.kind == "offline" and tgi.requests == []


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1:80", "http://", "",
                                 "http://user:pw@127.0.0.1/", "http://127.0.0.1:99999/",
                                 "http://127.0.0.1/\r\nX-Injected: 1", "http://a b/", "http://" + "a" * 3000])
def test_bad_urls_are_refused_before_any_request(url):
    with pytest.raises(HubError) as e:
        check_url(url)
    assert e.value.kind == "bad_url"
    with pytest.raises(RemoteFailed) as r:
        run_remote("m", "feature-extraction", {"text": "hi"}, OPTS, Backend(kind="url", url=url or None))
    assert r.value.kind == "bad_url" and "pw" not in r.value.message


def test_public_instance_sends_only_to_hosts_an_admin_allowed(settings_override, tgi):
    from lib.access import access_for

    settings_override(public=True, inference_hosts=frozenset())
    with pytest.raises(RemoteFailed, match="Inference Providers only") as e:
        run_remote("m", "text-generation", {"text": "hi"}, OPTS, _url(tgi, chat=False), access=access_for())
    assert e.value.kind == "bad_url" and tgi.requests == []
    with pytest.raises(HubError, match="only to example.org"):  # the anonymous default says the same
        settings_override(public=True, inference_hosts=frozenset({"example.org"}))
        check_url(tgi.url)
    settings_override(public=True, inference_hosts=frozenset({"127.0.0.1"}))
    assert run_remote("m", "text-generation", {"text": "hi"}, OPTS, _url(tgi, chat=False),
                      access=access_for()).output["text"] is not None
    settings_override(public=True, inference_hosts=frozenset(), admins=frozenset({"boss"}))
    assert access_for("boss").url_refusal("anything.example") is None  # an admin lifts the limit


# --------------------------------------------------------------------------- credentials
def test_hf_token_never_goes_to_a_typed_url(monkeypatch, tgi):
    monkeypatch.setenv("HF_TOKEN", HF_SECRET)
    run_remote("m", "text-generation", {"text": "hi"}, OPTS, _url(tgi, chat=False))
    assert tgi.requests[-1][2] is None  # no Authorization header at all
    assert sends_hf_token("https://abc123.us-east-1.aws.endpoints.huggingface.cloud")
    assert not sends_hf_token("http://abc.endpoints.huggingface.cloud")  # not in clear text
    assert not sends_hf_token("https://huggingface.co.evil.example")
    assert credential(Backend(kind="url", url="https://x.endpoints.huggingface.cloud")) == HF_SECRET
    assert credential(Backend(kind="providers")) == HF_SECRET


def test_settings_give_the_default_url_and_its_token(monkeypatch, chat):
    from lib.settings import get_settings

    monkeypatch.setenv("HUBSCOUT_INFERENCE_URL", chat.url + "/")
    monkeypatch.setenv("HUBSCOUT_INFERENCE_TOKEN", SECRET)
    s = get_settings()
    assert s.inference_url == chat.url and SECRET not in repr(s)
    r = run_remote("tiny-model", "text-generation", {"text": "hi"}, OPTS, Backend.from_params("url"))
    assert r.output["text"] is not None and chat.requests[-1][2] == f"Bearer {SECRET}"
    monkeypatch.setenv("HUBSCOUT_INFERENCE_URL", "javascript:alert(1)")
    assert get_settings().inference_url is None and any("HUBSCOUT_INFERENCE_URL" in p for p in get_settings().problems)


def test_backend_in_the_url_and_back():
    b = Backend.from_params("providers", provider="together")
    assert b == Backend(kind="providers", provider="together") and b.params() == {"backend": "providers",
                                                                                  "provider": "together"}
    assert Backend.from_params("nonsense").kind == "local" and Backend.from_params(None).kind == "local"
    u = Backend.from_params("url", url="http://h:8080")
    assert u.params() == {"backend": "url", "url": "http://h:8080"} and u.label == "h:8080"
    assert SECRET not in repr(Backend(kind="url", url="http://h", token=SECRET))


# --------------------------------------------------------------------------- providers (Hub stand-in + router)
@pytest.fixture
def router(monkeypatch, hub_stub, tei_server, chat):
    """The Hugging Face router pointed at the local servers: hf-inference at the TEI server, the
    conversational auto-router at the chat server."""
    from huggingface_hub import constants
    from huggingface_hub.inference._providers import CONVERSATIONAL_AUTO_ROUTER, PROVIDERS

    monkeypatch.setenv("HF_TOKEN", HF_SECRET)
    monkeypatch.setattr(constants, "INFERENCE_PROXY_TEMPLATE", tei_server.url + "/{provider}")
    for helper in PROVIDERS["hf-inference"].values():  # the router's address is kept by each helper
        monkeypatch.setattr(helper, "base_url", tei_server.url + "/hf-inference")
    monkeypatch.setattr(CONVERSATIONAL_AUTO_ROUTER, "base_url", chat.url)
    monkeypatch.setattr(chat, "token", HF_SECRET)
    hub_stub.add_model({"id": "org/served", "pipeline_tag": "feature-extraction", "inferenceProviderMapping": {
        "hf-inference": {"status": "live", "providerId": "org/served", "task": "feature-extraction"}}})
    hub_stub.add_model({"id": "org/unserved", "pipeline_tag": "feature-extraction", "inferenceProviderMapping": {}})
    return hub_stub


def test_providers_mapping_and_a_routed_run(router, tei_server):
    # the mapping the Model page shows (the gateway's) names the provider the run then goes to
    assert [(r.provider, r.status, r.task) for r in provider_mapping("org/served")] == [
        ("hf-inference", "live", "feature-extraction")]
    assert tuple(provider_mapping("org/unserved")) == ()
    tei_server.requests.clear()
    r = run_remote("org/served", "feature-extraction", {"text": "hello"}, OPTS, Backend(kind="providers"))
    assert r.output["dim"] > 0 and tei_server.requests[-1][1].startswith("/hf-inference/models/org/served")
    assert tei_server.requests[-1][2] == f"Bearer {HF_SECRET}"
    assert 'InferenceClient(provider=\'auto\', api_key=os.environ["HF_TOKEN"])' in r.code
    assert "model='org/served'" in r.code and HF_SECRET not in r.code


def test_providers_chat_goes_through_the_auto_router(router, chat):
    r = run_remote("org/chatty", "text-generation", {"text": "hi"}, OPTS, Backend(kind="providers"))
    assert r.output["chat"] is True and chat.requests[-1][1] == "/v1/chat/completions"


def test_not_served_by_any_provider_and_no_such_model(router):
    with pytest.raises(RemoteFailed) as e:
        run_remote("org/unserved", "feature-extraction", {"text": "hi"}, OPTS, Backend(kind="providers"))
    assert e.value.kind == "no_provider" and "not served by any provider" in e.value.message
    with pytest.raises(RemoteFailed) as e:
        run_remote("org/missing", "feature-extraction", {"text": "hi"}, OPTS, Backend(kind="providers"))
    assert e.value.kind == "not_found" and "org/missing" in e.value.message


def test_providers_need_a_token(monkeypatch, tei_server):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("lib.hub.auth.token", lambda: None)
    with pytest.raises(RemoteFailed) as e:
        run_remote("org/served", "feature-extraction", {"text": "hi"}, OPTS, Backend(kind="providers"))
    assert e.value.kind == "auth" and "HF_TOKEN" in e.value.message


def test_a_failure_is_logged_in_full_without_the_token(chat, caplog):
    plain = "opensesame42"  # not token-shaped: only the backend's own token list redacts it
    chat.set_fault(401, times=1)
    with caplog.at_level("WARNING", logger="hubscout"), pytest.raises(RemoteFailed):
        run_remote("tiny-model", "text-generation", {"text": "hi"}, OPTS,
                   _url(chat, token=plain, chat=True))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "remote run of tiny-model" in logged and "(auth)" in logged and "401" in logged
    assert plain not in logged and SECRET not in logged


def test_a_stream_read_halfway_releases_its_response(tgi, monkeypatch):
    from huggingface_hub import InferenceClient

    closed = []
    real = InferenceClient.close
    monkeypatch.setattr(InferenceClient, "close", lambda self: (closed.append(self), real(self))[1])
    stream = stream_text("m", {"text": "the cat"}, OPTS, _url(tgi, chat=False))
    it = iter(stream)
    next(it)
    it.close()  # the reader stops after one piece (a page rerun, a Stop button)
    assert len(closed) == 1 and stream.result is None
    r = run_remote("m", "text-generation", {"text": "the cat"}, OPTS, _url(tgi, chat=False))
    assert len(closed) == 2 and r.remote.tokens == 8  # every stream closes its own client


# --------------------------------------------------------------------------- in Spanish
def test_failures_speak_the_language_they_are_made_in(tgi):
    """Refusals and failures are texts for people: the catalogue's, in the language of the run (issue 13)."""
    from lib import i18n
    from lib.hub.inference import classify, url_refusal

    for lang, words in (("en", "Only http:// and https:// URLs are allowed"), ("es", "Solo se permiten URL")):
        with i18n.scope(lang), pytest.raises(HubError) as e:
            check_url("ftp://127.0.0.1/x")
        assert words in e.value.message
    with i18n.scope("es"):
        assert url_refusal(frozenset({"example.org"}), "h") == \
            "Esta instancia pública envía las ejecuciones remotas solo a example.org, no a h."
        backend = _url(tgi, chat=False)
        assert backend.label == tgi.url.split("//")[1] and Backend().label == "esta máquina"
        err = classify(ValueError("garbage"), backend, "m")
        assert err.message == f"El servidor en {backend.label} respondió algo que Hub Scout no pudo leer."
        err = classify(StopIteration(), Backend(kind="providers"), "o/m")
        assert err.message.startswith("Ningún proveedor sirve o/m")
    tgi.set_fault("slow", times=1, delay=2.0)
    with i18n.scope("es"), pytest.raises(RemoteFailed) as e:
        run_remote("m", "text-generation", {"text": "hi"}, OPTS, _url(tgi, chat=False, timeout_s=0.3))
    assert "tardó más de 0,3 s en responder" in e.value.message
