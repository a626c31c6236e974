"""Hardware detection with and without a GPU (fake nvidia-smi output, fake torch.cuda)."""
import sys
import types

import pytest

from lib import hardware
from lib.hardware import GPU, PROFILES, Hardware, detect, parse_nvidia_smi, refine_with_torch

GiB = 1024**3


def test_parse_nvidia_smi():
    out = "NVIDIA A10G, 23028, 22000, 8.6\nTesla T4, 15360, 15000, [N/A]\ngarbage line\nX, notanumber, 1, 8.0\n"
    gpus = parse_nvidia_smi(out)
    assert [g.name for g in gpus] == ["NVIDIA A10G", "Tesla T4"]
    assert gpus[0].total_bytes == 23028 * 1024**2 and gpus[0].free_bytes == 22000 * 1024**2
    assert gpus[0].compute_capability == (8, 6) and gpus[1].compute_capability is None
    assert parse_nvidia_smi("") == ()


def test_detect_without_gpu(monkeypatch):
    monkeypatch.setattr(hardware.shutil, "which", lambda name: None)
    monkeypatch.setattr(hardware.platform, "system", lambda: "Linux")
    hardware.refresh_gpus()
    try:
        hw = detect()
        assert hw.gpus == () and not hw.has_cuda
        assert hw.ram_total_bytes > 0 and 0 < hw.ram_available_bytes <= hw.ram_total_bytes
        assert "no GPU" in hw.summary()
    finally:
        hardware.refresh_gpus()


def test_detect_with_fake_nvidia_smi(monkeypatch):
    monkeypatch.setattr(hardware.shutil, "which", lambda name: "/usr/bin/nvidia-smi")

    class Done:
        stdout = "NVIDIA H100 80GB HBM3, 81559, 80000, 9.0\n"

    monkeypatch.setattr(hardware.subprocess, "run", lambda *a, **k: Done())
    hardware.refresh_gpus()
    try:
        hw = detect()
        assert hw.has_cuda and hw.gpus[0].compute_capability == (9, 0)
        assert "H100" in hw.summary()
    finally:
        hardware.refresh_gpus()


def test_refine_with_torch_only_when_already_imported(monkeypatch):
    hw = Hardware("me", 8 * GiB, 4 * GiB, 2)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert refine_with_torch(hw) is hw  # torch not imported: nothing changes, nothing imported
    assert "torch" not in sys.modules
    props = types.SimpleNamespace(name="Fake CUDA", major=8, minor=0)
    cuda = types.SimpleNamespace(is_available=lambda: True, device_count=lambda: 1,
                                 mem_get_info=lambda i: (3 * GiB, 16 * GiB), get_device_properties=lambda i: props)
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=cuda))
    out = refine_with_torch(hw)
    assert out.gpus == (GPU("Fake CUDA", 16 * GiB, 3 * GiB, compute_capability=(8, 0)),)


def test_profiles():
    names = [p.name for p in PROFILES]
    assert names[0] == "Space cpu-basic" and PROFILES[0].gpus == () and PROFILES[0].cpu_count == 2
    assert {"NVIDIA T4 16 GB", "NVIDIA L4 24 GB", "NVIDIA A10G 24 GB", "NVIDIA A100 80 GB",
            "NVIDIA H100 80 GB"} <= set(names)
    assert all(p.is_profile for p in PROFILES)


@pytest.mark.skipif(not hardware.shutil.which("nvidia-smi"), reason="needs a CUDA GPU")
def test_real_gpu_detected():
    assert detect().has_cuda


def test_hardware_lines_in_spanish():
    from lib import i18n

    hw = Hardware(hardware.THIS_MACHINE, 25_800_000_000, 12_000_000_000, 8,
                  (GPU("NVIDIA L4", 24_200_000_000, 20_000_000_000),))
    with i18n.scope("es"):
        assert hw.lines().splitlines() == ["- RAM: **25,8 GB** (12 GB libres)", "- CPU: 8 hilos",
                                           "- GPU: **NVIDIA L4**, 24,2 GB de VRAM"]
        assert hw.summary() == "25,8 GB de RAM (12 GB libres), NVIDIA L4 (24,2 GB)"
        assert Hardware("x", 8 * 10**9, None, None).lines().splitlines()[-1] == "- GPU: no se detectó ninguna"
        assert hardware.host_label(hw.name) == "Esta máquina"
        assert hardware.host_label("NVIDIA T4 16 GB") == "NVIDIA T4 16 GB"
    assert hw.name == "This machine" and hardware.host_label(hw.name) == "This machine"  # the key stays
