"""One unit rule: decimal GB (10^9 bytes, as the Hub shows sizes) wherever the UI says GB —
Discover's weights column, the Model page's fit table, verdict reasons, estimate parts, the hardware
lines and the host profiles."""
import pytest

import lib.catalog.source  # noqa: F401 - registers the snapshot for offline records, as the app's frame does
from lib import format as fmt
from lib.fit import table as fit_view
from lib.fit.spec import fit_config, model_spec
from lib.fit.verdict import badge, fit_table, load_allowed, verdict
from lib.hardware import GPU, PROFILES, Hardware
from lib.hub.details import ModelDetails
from lib.hub.records import ModelRecord
from lib.model_lookup import lookup
from lib.parameters import parameter_info
from lib.results import results_frame

QWEN_7B = 7_615_616_512
HOST = Hardware("box", 64 * 10**9, 48 * 10**9, 8)


def _page_weights(details: ModelDetails, config=None) -> dict[str, float]:
    """The Model page's parts table, Weights row: GB per dtype column, as the page computes it."""
    spec = model_spec(details, config, parameter_info(details))
    parts = fit_view.parts_table(fit_table(spec, hosts=(HOST,)), HOST.name)
    return parts.loc["Weights"].drop("Note").to_dict()


def test_qwen_7b_fp32_weights_read_the_same_in_discover_and_the_fit_table(monkeypatch):
    """Qwen2.5-7B from the embedded snapshot (exact count, no per-dtype counts): Discover shows
    its float32 weights as ~30.5 GB; the Model page's fit table said 28.370 GB (GiB) before."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    found = lookup("Qwen/Qwen2.5-7B", offline=True)
    assert found.details is not None, found.error
    record = found.details.record
    assert record.params_total == QWEN_7B
    discover = results_frame([record]).loc[0, "Weights"]
    assert discover == "~30.5 GB"
    page = _page_weights(found.details, fit_config(found).config)
    assert page["fp32"] == pytest.approx(30.462, abs=5e-4)  # the cell the page shows: "30.462 GB"
    assert f"~{fmt.size_bytes(page['fp32'] * fmt.GB)}" == discover


def test_stored_bf16_weights_agree_too():
    record = ModelRecord.from_api({"id": "Qwen/Qwen2.5-7B-Instruct",
                                   "safetensors": {"parameters": {"BF16": QWEN_7B}, "total": QWEN_7B}})
    details = ModelDetails(record.id, params_total=QWEN_7B, params_by_dtype={"BF16": QWEN_7B}, record=record)
    assert results_frame([record]).loc[0, "Weights"] == "15.2 GB"
    page = _page_weights(details)
    assert fmt.size_bytes(page["bf16 / fp16"] * fmt.GB) == "15.2 GB"
    assert fmt.size_bytes(page["fp32"] * fmt.GB) == "30.5 GB"


def test_verdict_reasons_badges_and_gate_print_decimal_gb():
    record = ModelRecord("o/m", params_total=10**9, params_exact=True)
    details = ModelDetails("o/m", params_total=10**9, record=record)
    host = Hardware("h", 16 * 10**9, 16 * 10**9, 4)
    v = verdict(model_spec(details), "fp32", host)
    assert "of 16 GB available RAM" in v.reason and "needs 4.5 GB" in v.reason
    assert v.as_row()["limit_gb"] == 16.0
    assert "of 16 GB RAM" in badge(record, host).tooltip
    assert "needed at fp32, 16 GB available RAM" in load_allowed(v.estimate, host).reason


def test_hardware_lines_and_profiles_are_decimal():
    hw = Hardware("me", 24 * 1024**3, 12 * 10**9, 8, (GPU("NVIDIA L4", 23_034 * 1024**2, 20 * 10**9),))
    assert hw.summary() == "25.8 GB RAM (12 GB free), NVIDIA L4 (24.2 GB)"
    assert hw.lines().splitlines() == ["- RAM: **25.8 GB** (12 GB free)", "- CPU: 8 threads",
                                       "- GPU: **NVIDIA L4**, 24.2 GB VRAM"]
    vram = {p.name: p.gpus[0].total_bytes for p in PROFILES if p.gpus}
    # what nvidia-smi reports on each card (MiB), shown in decimal GB
    assert fmt.size_bytes(vram["NVIDIA T4 16 GB"]) == "16.1 GB"
    assert fmt.size_bytes(vram["NVIDIA A100 80 GB"]) == "85.9 GB"
    assert fmt.size_bytes(vram["NVIDIA H100 80 GB"]) == "85.5 GB"
    assert PROFILES[0].summary() == "16 GB RAM, no GPU"


def test_frame_hardware_lines_delegate_to_the_one_formatter():
    from lib.ui.frame import hardware_lines

    hw = Hardware("me", 8 * 10**9, None, 2)
    assert hardware_lines(hw) == hw.lines() == "- RAM: **8 GB**\n- CPU: 2 threads\n- GPU: none detected"


def test_the_fit_table_and_its_parts_in_spanish():
    """The Model page's memory section in Spanish: headers, part names, notes and cells; sizes with a decimal
    comma; the dtype names and the chart's field names stay."""
    from lib import i18n
    from lib.fit import speed_view
    from lib.fit.spec import ModelSpec

    spec = ModelSpec("org/m", params_total=QWEN_7B, params_exact=True)
    with i18n.scope("es"):  # the page makes its table in the run's language
        table = fit_table(spec, hosts=(HOST,))
        df = fit_view.fit_matrix(table, HOST.name, HOST.summary())
        assert df.index.name == "Equipo" and "fp32" in df.columns
        cell = df.iloc[0]["bf16 / fp16"]
        assert "Cabe en RAM \\(CPU\\) — lento" in cell and "se ejecuta en CPU: necesita 15,9 GB de 48 GB" in cell
        parts = fit_view.parts_table(table, HOST.name)
        assert parts.index.name == "Parte" and "Pesos" in parts.index and "Total (pico)" in parts.index
        assert "Nota" in parts.columns and parts.loc["Pesos", "Nota"].startswith("parámetros en")
        rows = fit_view.parts_rows(table, HOST.name)
        assert {"dtype", "Part", "GB", "Counted", "Note", "Device"} <= set(rows[0])  # field names, not headers
        assert [r["order"] for r in rows[:6]] == list(range(6))
        spec_ = fit_view.parts_spec(["fp32"])
        assert spec_["encoding"]["x"]["title"] == "Pico estimado (GB)"
        assert spec_["encoding"]["color"]["sort"][0] == "Pesos"
        assert speed_view.rate(12_345.6) == "12.346 tok/s" and speed_view.rate(4.56) == "4,6 tok/s"
    parts = fit_view.parts_table(fit_table(spec, hosts=(HOST,)), HOST.name)
    assert parts.index.name == "Part" and "Weights" in parts.index and "Note" in parts.columns
