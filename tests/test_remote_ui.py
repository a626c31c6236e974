"""The "Run remotely" section (issue 11) under AppTest, over real HTTP: the Playground's Remote backend against an
OpenAI-compatible server on 127.0.0.1 (tests/support/inference_servers.py) backed by a tiny model — streamed
run with time to first token and tokens/s, 402 and 503 in words, offline and a refused URL send nothing, the
backend choice kept in the page URL; the Model page's placement rule (expanded when the model does not fit)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from lib.ui.remote_drive import does_not_fit
from tests.support.inference_servers import InferenceServer

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = "pages/3_Playground.py"


@pytest.fixture(scope="module")
def server(request, tiny_model):
    srv = InferenceServer(tiny_model("gpt2"), "text-generation", api="openai")
    srv.start()
    request.addfinalizer(srv.stop)
    return srv


@pytest.fixture
def chat(server, monkeypatch, tmp_path):
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    server.clear_faults()
    server.requests.clear()
    yield server
    server.clear_faults()


def _open(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.switch_page(PAGE)
    return at.run()


def _remote(srv, tiny_model) -> AppTest:
    at = _open({"model": str(tiny_model("gpt2")), "task": "text-generation", "backend": "url", "url": srv.url})
    assert not at.exception, [e.value for e in at.exception]
    [slider] = [s for s in at.slider if s.key == "pg_rd_text-generation_max_new"]
    slider.set_value(6)
    return at


def _finish(at: AppTest, key: str) -> AppTest:
    """The run is a job followed by a fragment (lib.jobs): wait for its end, then draw the page as the
    fragment's last refresh does."""
    assert not at.exception, [e.value for e in at.exception]
    if f"{key}_job" in at.session_state:
        assert at.session_state[f"{key}_job"].wait(60)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _run(at: AppTest) -> AppTest:
    at.button(key="pg_rd_run").click().run()
    return _finish(at, "pg_rd")


def test_a_url_backend_streams_and_shows_its_figures_and_code(chat, tiny_model):
    at = _remote(chat, tiny_model)
    assert at.radio(key="pg_backend").value == "remote" and at.radio(key="pg_rd_kind").value == "url"
    assert at.text_input(key="pg_rd_url").value == chat.url  # seeded from the page URL
    _run(at)
    assert not at.error, [e.value for e in at.error]
    assert any(p.endswith("/chat/completions") for _, p, _ in chat.requests)
    labels = [m.label for m in at.metric]
    assert labels[-3:] == ["Latency", "Time to first token", "Tokens/s"]
    ttft = next(m.value for m in at.metric if m.label == "Time to first token")
    assert ttft.endswith(" ms") and float(ttft[:-3]) >= 0
    answer = at.session_state["pg_rd_last"].result.output["text"]
    shown = [t.value for t in at.text] + [c.value for c in at.caption]  # a random model may answer blanks
    assert answer and (answer in shown or "(the model produced empty text)" in shown)
    assert "Code that reproduces this remote run" in [e.label for e in at.expander]
    code = at.code[-1].value
    assert "from openai import OpenAI" in code and chat.url in code
    assert at.query_params["backend"] == "url" and at.query_params["url"] == chat.url


@pytest.mark.parametrize(("status", "words"), [(402, "credits are used up"), (503, "the model is loading")])
def test_injected_failures_are_messages(chat, tiny_model, status, words):
    at = _remote(chat, tiny_model)
    chat.set_fault(status)
    _run(at)
    assert len(at.error) == 1 and words in at.error[0].value and f"\\({status}\\)" in at.error[0].value
    assert not [m for m in at.metric if m.label == "Time to first token"]
    chat.clear_faults()  # the next run works again and the message goes
    _run(at)
    assert not at.error and any(m.label == "Time to first token" for m in at.metric)


def test_a_failure_mid_stream_keeps_the_text_so_far(chat, tiny_model):
    at = _remote(chat, tiny_model)
    chat.set_fault("stream_error")
    _run(at)
    assert len(at.error) == 1 and "The remote run failed" in at.error[0].value
    partial = at.session_state["pg_rd_last"].partial
    assert partial  # two tokens arrived before the error event: kept and shown under the message
    assert "Text received before the failure:" in [c.value for c in at.caption]
    assert at.text[-1].value == partial.strip()  # (AppTest strips a random model's blank tokens)
    assert not [m for m in at.metric if m.label == "Time to first token"]


def test_offline_the_section_says_so_and_sends_nothing(chat, tiny_model, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    at = _open({"model": str(tiny_model("gpt2")), "task": "text-generation", "backend": "url", "url": chat.url})
    assert not at.exception, [e.value for e in at.exception]
    assert any("need the network" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "pg_rd_run"] and chat.requests == []


def test_a_public_instance_refuses_a_url_an_admin_did_not_allow(chat, tiny_model, settings_override):
    settings_override(public=True, inference_hosts=frozenset({"example.org"}))
    at = _open({"model": "openai-community/gpt2", "task": "text-generation", "backend": "url", "url": chat.url})
    assert not at.exception, [e.value for e in at.exception]
    assert any("only to example.org" in w.value for w in at.warning)
    assert at.button(key="pg_rd_run").disabled and chat.requests == []


def test_the_backend_choice_round_trips_through_the_url(chat, tiny_model):
    at = _open({"model": str(tiny_model("gpt2")), "task": "text-generation"})
    assert at.radio(key="pg_backend").value == "local" and "backend" not in at.query_params
    at.radio(key="pg_backend").set_value("remote").run()
    assert at.radio(key="pg_rd_kind").value == "providers" and at.query_params["backend"] == "providers"
    at.radio(key="pg_rd_kind").set_value("url").run()
    at.text_input(key="pg_rd_url").input(chat.url).run()
    assert at.query_params["backend"] == "url" and at.query_params["url"] == chat.url
    again = _open(dict(at.query_params))  # the copied link opens the same choice
    assert again.radio(key="pg_rd_kind").value == "url" and again.text_input(key="pg_rd_url").value == chat.url
    at.radio(key="pg_backend").set_value("local").run()
    assert "backend" not in at.query_params and "url" not in at.query_params


def test_does_not_fit_means_no_dtype_fits_on_this_host():
    def v(host, kind):
        return SimpleNamespace(host=host, kind=SimpleNamespace(value=kind))

    table = SimpleNamespace(rows=[v("here", "no_fit"), v("here", "no_fit"), v("A100", "fits_gpu")])
    assert does_not_fit(table, "here")
    table.rows.append(v("here", "tight"))
    assert not does_not_fit(table, "here")
    assert not does_not_fit(SimpleNamespace(rows=[]), "here")  # unknown is not "does not fit"


def _model_page(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.switch_page("pages/2_Model.py")
    return at.run()


def _remote_expander(at: AppTest):
    [exp] = [e for e in at.expander if e.label == "Run on Inference Providers or a server URL"]
    return exp


def test_model_page_suggests_a_remote_run_when_the_model_does_not_fit(hub_stub, monkeypatch):
    from lib import hardware

    small = hardware.Hardware("This machine", 2 * 10**9, 1 * 10**9, 4, ())
    monkeypatch.setattr(hardware, "detect", lambda: small)
    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    at = _model_page({"model": "meta-llama/Llama-3.1-8B-Instruct"})
    assert not at.exception, [e.value for e in at.exception]
    assert any("does not fit on this machine" in i.value for i in at.info)
    assert _remote_expander(at).proto.expanded
    assert "backend" not in at.query_params  # shown, not chosen: the URL stays clean


def test_model_page_keeps_the_remote_section_collapsed_when_the_model_fits(hub_stub, tiny_model, tmp_path):
    import shutil

    folder = tmp_path / "tiny"
    shutil.copytree(tiny_model("gpt2"), folder)
    hub_stub.add_repo("hubscout-test/tiny-gpt2", folder, info={"pipeline_tag": "text-generation"})
    at = _model_page({"model": "hubscout-test/tiny-gpt2"})
    assert not at.exception, [e.value for e in at.exception]
    assert not _remote_expander(at).proto.expanded
    assert not any("does not fit on this machine" in i.value for i in at.info)
    assert at.radio(key="m_rd_kind").value == "providers"


@pytest.fixture
def served(request, monkeypatch, hub_stub, tiny_model, tmp_path):
    """``org/served`` (feature extraction) mapped to hf-inference, the router pointed at a local TEI server."""
    from huggingface_hub import constants
    from huggingface_hub.inference._providers import PROVIDERS

    tei = InferenceServer(tiny_model("feature-extraction"), "feature-extraction", api="tgi")
    tei.start()
    request.addfinalizer(tei.stop)
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HF_TOKEN", "hf_testtoken0123456789abcdefghij")
    monkeypatch.setattr(constants, "INFERENCE_PROXY_TEMPLATE", tei.url + "/{provider}")
    for helper in PROVIDERS["hf-inference"].values():
        monkeypatch.setattr(helper, "base_url", tei.url + "/hf-inference")
    hub_stub.add_model({"id": "org/served", "pipeline_tag": "feature-extraction", "inferenceProviderMapping": {
        "hf-inference": {"status": "live", "providerId": "org/served", "task": "feature-extraction"}}})
    return tei


def test_model_page_runs_on_a_live_provider_of_the_model(served, monkeypatch):
    at = _model_page({"model": "org/served"})
    assert not at.exception, [e.value for e in at.exception]
    box = at.selectbox(key="m_rd_provider")
    assert box.options == ["auto", "hf-inference"]  # the live providers the Hub's mapping names
    box.set_value("hf-inference").run()
    assert at.query_params["backend"] == "providers" and at.query_params["provider"] == "hf-inference"
    charts = len(at.get("vega_lite_chart"))
    _finish(at.button(key="m_rd_run").click().run(), "m_rd")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert served.requests[-1][1].startswith("/hf-inference/models/org/served")
    assert len(at.get("vega_lite_chart")) == charts + 1  # the embedding renderer, as a local run
    assert "provider='hf-inference'" in at.code[-1].value
    monkeypatch.setattr("lib.hub.auth.token", lambda: None)  # no token: a message, no request
    served.requests.clear()
    _finish(at.button(key="m_rd_run").click().run(), "m_rd")
    assert any("set HF_TOKEN" in e.value.replace("\\", "") for e in at.error) and served.requests == []


def test_a_stream_is_followed_live_and_cancel_stops_it(chat, tiny_model):
    at = _remote(chat, tiny_model)
    [slider] = [s for s in at.slider if s.key == "pg_rd_text-generation_max_new"]
    slider.set_value(12).run()
    chat.set_fault("drip", delay=0.3)
    at.button(key="pg_rd_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = at.session_state["pg_rd_job"]
    while job.live(0) is None or job.live(0).tokens < 3:
        assert not job.wait(0.02), "the stream ended before it could be cancelled"
    at.run()  # the fragment's next refresh: the text so far, its time to first token, Cancel
    assert any("tokens so far" in c.value and "Time to first token" in c.value for c in at.caption)
    at.button(key="pg_rd_cancel").click().run()
    assert job.wait(5) and job.progress().state == "cancelled"
    _finish(at, "pg_rd")
    assert not at.error and any("Cancelled" in i.value for i in at.info)
    assert "Text received before the cancel:" in [c.value for c in at.caption]
    assert at.session_state["pg_rd_last"].partial and not [m for m in at.metric if m.label == "Time to first token"]


def test_measured_speeds_show_per_backend(chat, tiny_model):
    at = _remote(chat, tiny_model)
    _run(at)
    _run(at)
    host = chat.url.split("//")[1]
    [line] = [c.value for c in at.caption if c.value.startswith("Measured here:")]
    assert f"On {host}: time to first token" in line and "tokens/s — median of 2 runs" in line


def test_a_token_from_the_secrets_reaches_its_server_and_never_the_page(request, tiny_model, monkeypatch, tmp_path):
    secret = "sk-secrets-0123456789abcdefghij"
    srv = InferenceServer(tiny_model("gpt2"), "text-generation", api="openai", token=secret)
    srv.start()
    request.addfinalizer(srv.stop)
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    host = srv.url.split("//")[1]
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["inference_tokens"] = {host: secret}
    at.query_params.update({"model": str(tiny_model("gpt2")), "task": "text-generation", "backend": "url",
                            "url": srv.url})
    at.switch_page(PAGE)
    at.run()
    _run(at)
    assert not at.error, [e.value for e in at.error]
    assert srv.requests[-1][2] == f"Bearer {secret}"
    shown = "\n".join(str(e.value) for kind in ("markdown", "caption", "code", "text", "metric", "info")
                      for e in at.get(kind) if hasattr(e, "value"))
    assert secret not in shown and secret not in str(dict(at.query_params))
    assert 'os.environ.get("HUBSCOUT_INFERENCE_TOKEN"' in at.code[-1].value
    at.secrets["inference_tokens"] = {host: "sk-wrong-0123456789abcdefghij"}  # a wrong one: the 401 in words
    _run(at)
    assert len(at.error) == 1 and "refused the token" in at.error[0].value and "inference\\_tokens" in \
        at.error[0].value and "sk-wrong" not in at.error[0].value



def test_the_remote_section_in_spanish(chat, tiny_model):
    """Issue 13: the remote section in Spanish — backend choice, a streamed run's figures, a failure made in the
    job's thread in the language of the run that submitted it; no English catalogue message on the page."""
    from lib import i18n
    from tests.support.i18n import english_leaks

    with i18n.scope("es"):  # AppTest reads the widgets' option labels in this thread: in the page's language
        at = _open({"model": str(tiny_model("gpt2")), "task": "text-generation", "backend": "url", "url": chat.url,
                    "lang": "es"})
        assert not at.exception, [e.value for e in at.exception]
        assert at.radio(key="pg_rd_kind").label == "Backend"
        assert at.radio(key="pg_rd_kind").options == ["Inference Providers",
                                                      "Una URL (Endpoint / TGI / vLLM / compatible con OpenAI)"]
        assert at.text_input(key="pg_rd_url").label == "URL base del servidor"
        assert at.button(key="pg_rd_run").label == "Ejecutar en remoto"
        assert english_leaks(at) == []
        [slider] = [s for s in at.slider if s.key == "pg_rd_text-generation_max_new"]
        slider.set_value(6)
        _run(at)
        assert not at.error, [e.value for e in at.error]
        assert [m.label for m in at.metric][-3:] == ["Latencia", "Tiempo hasta el primer token", "Tokens/s"]
        assert "Código que reproduce esta ejecución remota" in [e.label for e in at.expander]
        assert english_leaks(at) == []
        chat.set_fault(402)
        _run(at)
        assert len(at.error) == 1 and "La ejecución remota falló" in at.error[0].value
        assert "se agotaron los créditos de inferencia" in at.error[0].value
        assert english_leaks(at) == []
