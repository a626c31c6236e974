"""Model page under AppTest, against the local Hub stand-in (tests/support/hub_stub.py).

Online: a tiny GPT-2 built with transformers (save_pretrained) served as a Hub repo with a README
card; offline: HF_HUB_OFFLINE=1 / snapshot-only mode with a model from the embedded snapshot;
errors: 404, invalid id, gated; flags: pickle-only, custom code; requests: a rerun makes none.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_hub_stub import write_safetensors

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = "pages/2_Model.py"
TINY_ID = "hubscout-test/tiny-gpt2"
SNAPSHOT_ID = "Qwen/Qwen2.5-0.5B-Instruct"  # in the embedded snapshot: 494,032,768 parameters

CARD = """---
license: mit
language: [en]
datasets: [hubscout/sentences]
base_model: openai-community/gpt2
---
# Tiny GPT-2

<p align="center"><img src="https://example.com/logo.png" alt="logo"></p>
<script>alert("x")</script>
A <b>tiny</b> model for tests. See <a href="https://example.com/docs">the docs</a>.

```html
<div>kept in code</div>
```
"""


def open_model(params: dict[str, str] | None = None) -> AppTest:
    """A fresh session whose first request is the Model page with ``params`` in the URL."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params or {})
    at.switch_page(PAGE)
    return at.run()


def plain(markdown: str) -> str:
    """Markdown without backslash escapes (``HF\\_TOKEN`` -> ``HF_TOKEN``)."""
    return markdown.replace("\\", "")


def texts(at: AppTest) -> str:
    """All markdown, captions and alerts of the page, joined, escapes removed ("is it shown" checks)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [a.value for a in (*at.error, *at.warning, *at.info)]
    return plain("\n".join(parts))


def facts_table(at: AppTest) -> dict[str, str]:
    """The facts table as {label: markdown value}."""
    table = [t.value for t in at.table if t.value.index.name == "Fact"]
    assert table, "no facts table"
    return {label.strip("*"): value for label, value in table[0]["Value"].items()}


def fit_table(at: AppTest):
    """The fit table (hosts × dtypes), markdown escapes removed."""
    table = [t.value for t in at.table if t.value.index.name == "Host"]
    assert table, "no fit table"
    return table[0].map(plain).rename(index=lambda h: plain(h).replace("**", ""))


def param_metric(at: AppTest):
    assert at.metric, "no parameter metric"
    return at.metric[0]


@pytest.fixture(autouse=True)
def fresh_cache():
    from lib.ui import cached

    cached.clear()
    yield
    cached.clear()


@pytest.fixture
def tiny_repo(hub_stub, tiny_model, tmp_path):
    """A tiny GPT-2 (transformers save_pretrained) + README card, served as ``TINY_ID``."""
    folder = tmp_path / "tiny-gpt2"
    shutil.copytree(tiny_model("gpt2"), folder)
    (folder / "README.md").write_text(CARD)
    hub_stub.add_repo(TINY_ID, folder, info={"pipeline_tag": "text-generation", "downloads": 1234, "likes": 5})
    return folder


# ---- online ----------------------------------------------------------------------------------------

def test_online_model_shows_every_section(hub_stub, tiny_repo):
    at = open_model({"model": TINY_ID})
    assert not at.exception
    assert at.text_input(key="m_id").value == TINY_ID
    assert [h.value for h in at.header] == [TINY_ID]
    facts = {k: plain(v) for k, v in facts_table(at).items()}
    assert facts["Task"] == "Text Generation (`text-generation`)"
    assert facts["Library"] == "transformers" and facts["License"] == "mit" and facts["Gated"] == "No"
    assert facts["Downloads"] == "1.2k (last 30 days)" and facts["Likes"] == "5"
    assert facts["Languages"] == "en" and facts["Datasets"] == "hubscout/sentences"
    assert facts["Base model"] == "openai-community/gpt2"
    assert facts["On the Hub"] == f"[{TINY_ID}](https://huggingface.co/{TINY_ID})"
    assert facts["Created"] != "–" and "`gpt2`" in facts["Tags"]
    # the card: collapsed, Markdown without front matter or HTML, code kept
    card = at.expander[0]
    assert card.label == "Model card"
    body = "\n".join(m.value for m in card.markdown)
    assert body.startswith("### Tiny GPT-2") and "license: mit" not in body
    assert "<script" not in body and "<b>" not in body and "alert(" not in body
    assert "[the docs](https://example.com/docs)" in body and "[image: logo]" in body
    assert "<div>kept in code</div>" in body
    assert all(not m.proto.allow_html for m in card.markdown)
    # files with sizes, the weights format
    files = next(d.value for d in at.dataframe if "File" in d.value.columns)
    sizes = dict(zip(files["File"], files["Bytes"]))
    assert sizes["model.safetensors"] == (tiny_repo / "model.safetensors").stat().st_size
    assert files["Kind"].iloc[0] == "weights (safetensors)"
    assert "**Weights format:** safetensors" in texts(at)
    # exact parameters from the Hub's safetensors metadata
    from tests.support.hub_stub import safetensors_param_counts

    exact = sum(safetensors_param_counts([tiny_repo / "model.safetensors"]).values())
    metric = param_metric(at)
    assert metric.label == "Parameters (exact)" and metric.value.startswith(f"{exact:,} ")
    # fit table: this machine + every profile, every dtype, verdict + numbers + reason in each cell
    from lib.hardware import PROFILES

    table = fit_table(at)
    assert list(table.columns) == ["fp32", "bf16 / fp16", "int8", "int4"]
    assert table.index[0].startswith("This machine") and len(table) == 1 + len(PROFILES)
    assert all(("Fits" in c or "Tight" in c or "not fit" in c) and " GB" in c and "needs" in c
               for c in table.to_numpy().ravel())
    assert "Fits on GPU" in table.loc["NVIDIA T4 16 GB", "fp32"] and "Tesla T4" in table.loc["NVIDIA T4 16 GB", "fp32"]
    # the estimate's parts, not just the total
    parts = next(d.value for d in at.dataframe if "Note" in d.value.columns)
    assert {"Weights", "Framework baseline", "KV cache", "Activations", "Total (peak)"} <= set(parts.index)
    # use this model: pipeline one-liner + Auto classes, for the task
    codes = [c.value for c in at.code]
    assert len(codes) == 2
    assert f'pipeline("text-generation", model={TINY_ID!r}' in codes[0]
    assert "AutoModelForCausalLM.from_pretrained(model_id, dtype=dtype)" in codes[1]


def _options(at: AppTest) -> list[int]:
    return [int(str(o).replace(",", "")) for o in at.select_slider(key="m_ctx").options]


def _parts(at: AppTest):
    return next(d.value for d in at.dataframe if "Note" in d.value.columns)


@pytest.fixture
def long_repo(hub_stub, tiny_repo, tmp_path):
    """The tiny GPT-2 with a 4,096-token context, so the context slider has room."""
    folder = tmp_path / "long"
    shutil.copytree(tiny_repo, folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["n_positions"] = 4096
    (folder / "config.json").write_text(json.dumps(cfg))
    hub_stub.add_repo("hubscout-test/tiny-gpt2-long", folder, info={"pipeline_tag": "text-generation"})
    return "hubscout-test/tiny-gpt2-long"


def _info_requests(hub_stub, model_id: str) -> list:
    """The model_info requests (the providers section's ``expand=inferenceProviderMapping`` one aside)."""
    return [r for r in hub_stub.requests_to(f"/api/models/{model_id}") if "expand=" not in r.query_string]


def test_rerun_makes_no_new_hub_request(hub_stub, long_repo):
    at = open_model({"model": long_repo})
    assert not at.exception
    first = len(hub_stub.requests)
    assert first >= 1 and len(_info_requests(hub_stub, long_repo)) == 1
    parts_before = _parts(at)
    assert _options(at)[-1] == 4096 and at.select_slider(key="m_ctx").value == 2048
    # move the context slider, switch the breakdown host, device and dtype: reruns, no Hub request
    at.select_slider(key="m_ctx").set_value(4096).run()
    assert _parts(at).loc["KV cache", "fp32"] == pytest.approx(2 * parts_before.loc["KV cache", "fp32"])
    at.selectbox(key="m_parts_host").set_value("NVIDIA T4 16 GB").run()
    at.selectbox(key="m_device").set_value("cuda").run()
    at.selectbox(key="m_dtype").set_value("bf16").run()
    assert not at.exception
    assert len(hub_stub.requests) == first
    assert 'device="cuda"' in at.code[0].value and "dtype=torch.bfloat16" in at.code[0].value
    # a second session for the same model is answered from the cache too
    at2 = open_model({"model": long_repo})
    assert not at2.exception and len(hub_stub.requests) == first
    assert _parts(at2).equals(parts_before)
    # "Refresh" drops this model's cached answer: the Hub is asked once more
    at2.button(key="m_refresh").click().run()
    assert not at2.exception
    assert len(_info_requests(hub_stub, long_repo)) == 2


def test_url_param_restores_the_model_and_typing_updates_the_url(hub_stub, tiny_repo):
    at = open_model({"model": TINY_ID, "source": "auto"})
    assert at.text_input(key="m_id").value == TINY_ID
    assert at.query_params["model"] == TINY_ID
    # a pasted Hub link is accepted and normalised in the URL
    at.text_input(key="m_id").set_value(f"https://huggingface.co/{TINY_ID}").run()
    assert not at.exception and at.query_params["model"] == TINY_ID
    assert [h.value for h in at.header] == [TINY_ID]
    # clearing the input clears the URL and shows the empty state
    at.text_input(key="m_id").set_value("").run()
    assert "model" not in at.query_params
    assert any("Type a Hub model id" in i.value for i in at.info)


def test_no_model_shows_the_empty_state(hub_stub):
    at = open_model()
    assert not at.exception
    assert any("Type a Hub model id" in i.value for i in at.info)
    assert hub_stub.requests == []


# ---- errors ------------------------------------------------------------------------------------------

def test_unknown_model_is_a_clear_message(hub_stub):
    at = open_model({"model": "nobody/does-not-exist"})
    assert not at.exception
    assert len(at.error) == 1 and "Model not found" in at.error[0].value
    assert "nobody/does-not-exist" in plain(at.error[0].value)
    assert not at.table and not at.code


@pytest.mark.parametrize("bad", ["not a model id", "../etc/passwd", "org/na--me"])
def test_invalid_id_is_a_clear_message(hub_stub, bad):
    at = open_model({"model": bad})
    assert not at.exception
    assert len(at.warning) == 1 and "Not a valid model id" in at.warning[0].value
    assert "owner/name" in at.warning[0].value
    assert hub_stub.requests == []  # never sent to the Hub


def test_gated_model_metadata_and_warning(hub_stub, tiny_repo):
    hub_stub.add_repo("hubscout-test/gated", tiny_repo, info={"pipeline_tag": "text-generation", "gated": "manual"})
    at = open_model({"model": "hubscout-test/gated"})
    assert not at.exception
    assert facts_table(at)["Gated"] == "Yes (manual approval)"
    assert any("Gated model" in e.value and "HF_TOKEN" in e.value for e in at.error)  # before any load
    assert at.expander[0].label == "Model card (not available)"
    assert "gated" in texts(at)


def test_gated_refusal_of_the_info_call(hub_stub, tiny_repo):
    hub_stub.set_fault(403, f"/api/models/{TINY_ID}")
    at = open_model({"model": TINY_ID})
    assert not at.exception
    assert len(at.error) == 1 and "Access refused" in at.error[0].value and "HF_TOKEN" in plain(at.error[0].value)


# ---- flags -------------------------------------------------------------------------------------------

def test_pickle_only_repo_warns_and_counts_parameters_from_config(hub_stub, tmp_path):
    folder = tmp_path / "pkl"
    folder.mkdir()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x02not a real pickle" * 100)
    config = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": 120, "hidden_size": 32,
              "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 37,
              "max_position_embeddings": 64}
    (folder / "config.json").write_text(json.dumps(config))
    hub_stub.add_repo("hubscout-test/pickle-only", folder, info={"pipeline_tag": "fill-mask"})
    at = open_model({"model": "hubscout-test/pickle-only"})
    assert not at.exception
    assert any("pickle" in w.value.lower() and "execute code" in w.value for w in at.warning)
    assert "pickle only" in texts(at)
    files = next(d.value for d in at.dataframe if "File" in d.value.columns)
    assert dict(zip(files["File"], files["Kind"]))["pytorch_model.bin"] == "weights (pickle)"
    # no safetensors metadata: counted exactly from config.json on the meta device
    import transformers

    expected = transformers.BertForMaskedLM(transformers.BertConfig(**config)).num_parameters()
    metric = param_metric(at)
    assert metric.label == "Parameters (exact, counted from config)"
    assert metric.value.startswith(f"{expected:,} ")
    assert any("Counted exactly from config.json" in c.value for c in at.caption)


def test_custom_code_is_flagged(hub_stub, tmp_path):
    folder = tmp_path / "custom"
    folder.mkdir()
    write_safetensors(folder / "model.safetensors", {"w": ("BF16", [64, 32]), "b": ("F32", [64])})
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["TinyModel"], "model_type": "tiny",
        "auto_map": {"AutoModel": "modeling_tiny.TinyModel"}}))
    (folder / "modeling_tiny.py").write_text("class TinyModel: ...\n")
    hub_stub.add_repo("hubscout-test/custom", folder, info={"pipeline_tag": "feature-extraction"})
    at = open_model({"model": "hubscout-test/custom"})
    assert not at.exception
    page = texts(at)
    assert "Custom code:" in page and "modeling_tiny.TinyModel" in page
    assert any("custom code" in w.value and "trust_remote_code" in w.value for w in at.warning)
    assert any("trust_remote_code=True" in c.value for c in at.caption)  # the code section says so
    files = next(d.value for d in at.dataframe if "File" in d.value.columns)
    assert dict(zip(files["File"], files["Kind"]))["modeling_tiny.py"] == "code"
    metric = param_metric(at)
    assert metric.label == "Parameters (exact)" and metric.value.startswith(f"{64 * 32 + 64:,} ")


# ---- offline -----------------------------------------------------------------------------------------

def test_offline_env_shows_what_the_snapshot_knows(hub_stub, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    at = open_model({"model": SNAPSHOT_ID})
    assert not at.exception
    assert hub_stub.requests == []
    assert any("Offline view" in plain(i.value) and "HF_HUB_OFFLINE" in plain(i.value) for i in at.info)
    facts = {k: plain(v) for k, v in facts_table(at).items()}
    assert facts["Task"].startswith("Text Generation") and facts["License"] == "apache-2.0"
    assert facts["Downloads"].endswith("(last 30 days, as of May 10, 2026)")  # fmt.date: the locale's style
    assert facts["Gated"] == "Unknown (the snapshot does not record it)"
    assert param_metric(at).value.startswith("494,032,768 ")
    assert "Not known offline:" in texts(at) and "model card" in texts(at)
    table = fit_table(at)
    assert len(table) >= 2 and "needs" in table.iloc[0, 0]
    # no config.json offline: the snapshot's architecture facts (llmfit) give the KV cache, said so
    captions = [plain(c.value) for c in at.caption]
    assert any("architecture from the catalog snapshot (llmfit, 2026-05-10)" in c
               and "config.json is not available offline" in c for c in captions)
    assert not any("no config" in c for c in captions)
    assert any("activations approximate" in c and "intermediate" in c for c in captions)
    ctx = at.select_slider(key="m_ctx")
    assert ctx.value == 2048 and _options(at)[-1] == 32768  # max_position_embeddings from the snapshot
    parts = _parts(at)
    kv_bf16 = 2 * 24 * 2 * 64 * 2048 * 2  # 2 × layers × kv heads × head dim × tokens × 2 B (25.2 MB)
    assert parts.loc["KV cache", "bf16 / fp16"] == pytest.approx(kv_bf16 / 10**9)
    assert parts.loc["KV cache", "fp32"] == pytest.approx(2 * kv_bf16 / 10**9)
    assert "approximate" in parts.loc["Activations", "Note"]
    assert len(at.code) == 2  # the code needs no Hub


def test_online_config_json_wins_over_the_snapshot(hub_stub, long_repo, tmp_path):
    # a model the snapshot has architecture facts for, served live with a different config.json
    folder = tmp_path / "long"  # long_repo's tiny GPT-2 (4,096 positions)
    hub_stub.add_repo(SNAPSHOT_ID, folder, info={"pipeline_tag": "text-generation"})
    at = open_model({"model": SNAPSHOT_ID})
    assert not at.exception
    assert not any("catalog snapshot (llmfit" in plain(c.value) for c in at.caption)
    from lib.modelconfig import ModelConfig

    cfg = ModelConfig.from_file(folder)
    ctx = at.select_slider(key="m_ctx").value
    assert _options(at)[-1] == cfg.max_positions != 32768
    assert _parts(at).loc["KV cache", "fp32"] == pytest.approx(cfg.kv_bytes_per_token(4) * ctx / 10**9)


def test_snapshot_mode_never_asks_the_hub(hub_stub, monkeypatch, tiny_repo):
    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    at = open_model({"model": SNAPSHOT_ID})
    assert not at.exception
    assert any("Offline view" in i.value and "Snapshot-only" in i.value for i in at.info)
    # a model the snapshot does not know: still a page, saying what is missing
    at = open_model({"model": TINY_ID})
    assert not at.exception
    assert any("not in the catalog snapshot" in t for t in texts(at).splitlines())
    # a fill-mask model: the test-drive's example reads the mask token from the local cache only
    at = open_model({"model": "google-bert/bert-base-uncased"})
    assert not at.exception
    assert hub_stub.requests == []


def test_hub_down_falls_back_to_the_snapshot(hub_stub, monkeypatch):
    hub_stub.set_fault(503, "/api/models")
    at = open_model({"model": SNAPSHOT_ID})
    assert not at.exception
    assert any("Offline view" in i.value and "503" in i.value for i in at.info)
    assert param_metric(at).value.startswith("494,032,768 ")


# ---- warnings, measured peaks, imports ----------------------------------------------------------------

def test_large_model_on_a_small_host_warns_before_loading(hub_stub, monkeypatch):
    """An 8B model on a host with 8 GB of RAM and no GPU: blocked, slow and no-fit, before any load."""
    from lib import hardware

    small = hardware.Hardware("This machine", 8 * 10**9, 6 * 10**9, 4, ())
    monkeypatch.setattr(hardware, "detect", lambda: small)
    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    at = open_model({"model": "meta-llama/Llama-3.1-8B-Instruct"})
    assert not at.exception
    assert any("blocked" in e.value for e in at.error)
    assert any("No GPU here" in w.value and "8.0B parameters" in w.value for w in at.warning)
    table = fit_table(at)
    here = table.iloc[0]
    assert table.index[0].startswith("This machine") and "Does not fit" in here["fp32"]
    assert "Fits on GPU" in table.loc["NVIDIA A100 80 GB", "bf16 / fp16"]
    assert hub_stub.requests == []


def test_measured_peak_is_shown_beside_the_estimate(hub_stub, tiny_repo):
    from lib.fit.measured import MeasuredStore

    MeasuredStore().record(TINY_ID, "fp32", "cpu", 450 * 1024**2, context_tokens=64)
    at = open_model({"model": TINY_ID})
    assert not at.exception
    measured = next(d.value for d in at.dataframe if "Measured peak" in d.value.columns)
    row = measured.iloc[0]
    assert row["dtype"] == "fp32" and row["Device"] == "CPU" and row["Context"] == "64"
    assert row["Measured peak"] == "472 MB" and row["Estimate"].endswith("MB")
    assert row["Estimate vs measured"].endswith("%")


def test_model_page_imports_no_torch_when_the_hub_has_exact_counts():
    """Offline page for a snapshot model with exact counts, in a fresh interpreter."""
    code = f"""
import os, sys
os.environ["HUBSCOUT_CATALOG"] = "snapshot"
sys.path.insert(0, {str(ROOT)!r})
from streamlit.testing.v1 import AppTest
import lib.jobs.warmup
lib.jobs.warmup.ENABLED = False  # the page itself needs no torch; the background warm-up imports it on purpose
at = AppTest.from_file({APP!r}, default_timeout=60)
at.query_params["model"] = {SNAPSHOT_ID!r}
at.switch_page({PAGE!r}).run()
assert not at.exception, [e.value for e in at.exception]
assert at.table and at.code
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print("HEAVY:", ",".join(heavy) or "none")
"""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "HEAVY: none" in out.stdout, out.stdout


def test_test_drive_on_the_model_page_downloads_runs_and_records(hub_stub, tiny_repo, monkeypatch, tmp_path):
    """The whole path a user takes: open a Hub model, press Run in its test-drive — the files come
    through the Hub download path, the model answers, and the measured peak then shows in the fit
    section of the page."""
    monkeypatch.setenv("HUBSCOUT_DATA_DIR", str(tmp_path))
    at = open_model({"model": TINY_ID})
    assert not at.exception
    at.button(key="td_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(m.label == "Latency" for m in at.metric)
    assert any(r.path.startswith(f"/{TINY_ID}/resolve/") for r in hub_stub.requests)  # downloaded
    assert any(c.value.startswith("import torch") or "pipeline(" in c.value for c in at.code)
    from lib.fit.measured import MeasuredStore

    assert MeasuredStore(tmp_path).lookup(TINY_ID)  # the run's peak was recorded for the fit section
    at.run()  # the next rerun shows it beside the estimate
    assert any("Measured when this model ran here before" in m.value for m in at.markdown)


# ---- the page in Spanish ------------------------------------------------------------------------------

def test_the_model_page_in_spanish(hub_stub, monkeypatch):
    """A snapshot model with ``?lang=es``: headings, facts, parameters, the fit table, How fast and the code
    notes in Spanish, numbers and dates in the Spanish style, no English message of the catalogue left."""
    from tests.support.i18n import english_leaks

    monkeypatch.setenv("HUBSCOUT_CATALOG", "snapshot")
    at = open_model({"model": SNAPSHOT_ID, "lang": "es"})
    assert not at.exception, at.exception
    assert hub_stub.requests == []
    assert [t.value for t in at.title] == ["Modelo"]
    headings = {s.value for s in at.subheader}
    assert {"Datos", "Archivos", "Parámetros", "Memoria y encaje", "Velocidad", "Usar este modelo",
            "Servido por Inference Providers"} <= headings
    assert any("Vista sin conexión" in i.value and "Modo de catálogo solo instantánea" in i.value for i in at.info)
    # the facts: labels, the download count's period and date in Spanish; the model's own values as they are
    table = [t.value for t in at.table if t.value.index.name == "Dato"]
    assert table, "no facts table"
    facts = {label.strip("*"): plain(value) for label, value in table[0]["Valor"].items()}
    assert facts["Licencia"] == "apache-2.0"
    assert facts["Descargas"].endswith("(últimos 30 días, a 10 may 2026)")
    assert facts["Acceso restringido"] == "Desconocido (la instantánea no lo registra)"
    # parameters: the Spanish grouping
    metric = param_metric(at)
    assert metric.label == "Parámetros (exacto)" and metric.value.startswith("494.032.768 ")
    # the fit table and the How fast section are drawn; their captions are Spanish
    assert len(at.table) >= 3  # facts, fit, speed
    captions = "\n".join(plain(c.value) for c in at.caption)
    assert "Memoria pico estimada" in captions and "Contexto: 2.048 tokens." in captions
    assert "Tokens/s estimados de prellenado y decodificación con un contexto de 2.048 tokens" in captions
    assert at.select_slider(key="m_ctx").label == "Longitud de contexto (prompt + tokens generados)"
    assert at.selectbox(key="m_device").label == "Dispositivo"
    assert at.text_input(key="m_id").placeholder.endswith("p. ej. Qwen/Qwen2.5-0.5B-Instruct")
    assert len(at.code) == 2  # code shown as code: never translated
    assert english_leaks(at) == []


def test_model_lib_texts_in_both_languages():
    """The texts lib/ builds for the page (parameters, files, build limits, cut cards) follow the language."""
    from lib import card, i18n, modelconfig, repo_files

    deep = {"model_type": "bert", "num_hidden_layers": 50_000, "hidden_size": 8}
    with i18n.scope("en"):
        assert repo_files.file_kind("model.safetensors") == "weights (safetensors)"
        assert modelconfig.build_problem(deep) == ("it asks for 50,000 layers (num_hidden_layers); at most 512 "
                                                   "can be built")
    with i18n.scope("es"):
        assert repo_files.file_kind("model.safetensors") == "pesos (safetensors)"
        assert repo_files.file_kind("tokenizer.json") == "tokenizador"
        assert modelconfig.build_problem(deep) == ("pide 50.000 capas (num_hidden_layers); como máximo se pueden "
                                                   "construir 512")
        long_card = "word " * (card.CARD_MAX_CHARS // 2)
        assert card.clean_card(long_card).endswith("*… (ficha cortada aquí; lee el resto en el Hub)*")
    # the cleaned card is cached for everybody: the note follows each visitor's language
    with i18n.scope("en"):
        assert card.clean_card(long_card).endswith("*… (card cut here; read the rest on the Hub)*")
