"""Estimated vs measured speed: prefill and decode tokens/s of real-shaped models on this machine.

Random-weight models built from real configs (bench/configs: GPT-2 124M, a Qwen2.5-0.5B-shaped and a
Llama-3.2-1B-shaped model) with ``AutoModelForCausalLM.from_config``, each run at fp32 and bf16:
``generate`` over a PROMPT-token prompt for NEW greedy tokens, timed token by token with the
runner's own timer (:mod:`lib.tasks.timing`): prefill tokens/s = prompt / time to first token,
decode tokens/s = (new − 1) / time from the first token to the last.

The estimate (:func:`lib.fit.speed.estimate_speed`) uses this machine's figures measured by the host
probe IN THE SAME RUN (:func:`lib.fit.host_probe.measure`, not the stored one; its bandwidth and matmul
rates measured again just before each row): the machine is shared, and the probe's figures move with
its load as the runs do. Target: every estimate within ±35 %.
The load average is printed: other processes on the machine slow every figure.

Run: .venv/bin/python bench/bench_speed.py [--models gpt2,qwen2.5-0.5b] [--new 8] [--repeats 2] [--threads 1]
(on a busy shared machine ``--threads 1`` keeps torch's threads from waiting on each other)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.fit import host_probe  # noqa: E402
from lib.fit.spec import ModelSpec  # noqa: E402
from lib.fit.speed import estimate_speed  # noqa: E402
from lib.modelconfig import ModelConfig  # noqa: E402

CONFIGS = Path(__file__).resolve().parent / "configs"
MODELS = ("gpt2", "qwen2.5-0.5b", "llama-3.2-1b")
PROMPT = 128
TARGET = 0.35


def config(name: str) -> dict:
    data = json.loads((CONFIGS / f"{name}.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def build(name: str):
    import torch
    import transformers as tf

    torch.manual_seed(0)
    raw = config(name)
    cfg = tf.AutoConfig.for_model(raw.pop("model_type"), **raw)
    model = tf.AutoModelForCausalLM.from_config(cfg, dtype=torch.float32).eval()
    return model, sum(p.numel() for p in model.parameters())


def measure(model, new: int, repeats: int) -> tuple[float, float]:
    """(prefill tokens/s, decode tokens/s): the best of ``repeats`` generate calls."""
    import torch

    from lib.tasks.timing import timing

    vocab = model.config.vocab_size
    ids = torch.randint(0, min(vocab, 30_000), (1, PROMPT))
    best_pre = best_dec = 0.0
    with torch.inference_mode(), timing() as timer:
        model.generate(ids[:, :8], max_new_tokens=2, min_new_tokens=2, do_sample=False, streamer=timer,
                       pad_token_id=0)  # warm-up: first kernels
        for _ in range(repeats):
            model.generate(ids, max_new_tokens=new, min_new_tokens=new, do_sample=False, streamer=timer,
                           pad_token_id=0)
            t = timer.last
            best_pre = max(best_pre, t.prefill_tokens_per_s or 0.0)
            best_dec = max(best_dec, t.decode_tokens_per_s or 0.0)
    return best_pre, best_dec


def detail(spec, host, dtype: str, new: int, pre: float, dec: float) -> None:
    """The roofline's terms (seconds) beside the measured times, for fitting the efficiency factors."""
    from lib.fit.estimate import kv_cache_bytes
    from lib.fit.speed import model_work, overhead_s

    w = model_work(spec, dtype)
    kv = kv_cache_bytes(spec.config, PROMPT + new, 4 if dtype == "fp32" else 2)
    mem = (w.weight_bytes_read + kv) / host.bandwidth
    body = 2 * (w.matmul_params - (w.head_params if w.addmm else 0))
    head = 2 * w.head_params if w.addmm else 0
    dec_c = body / host.flops_at(dtype, decode=True, addmm=w.addmm) + head / host.flops_at(dtype, decode=True)
    pre_c = PROMPT * ((body + 4 * w.layers * PROMPT / 2 * w.attn_width) / host.flops_at(dtype, addmm=w.addmm)
                      + head / host.flops_at(dtype))
    print(f"    decode: measured {1 / dec:.4f} s; bytes/bw {mem:.4f}, flops/gemv {dec_c:.4f}, "
          f"overhead {overhead_s(w, host):.4f} | prefill: measured {PROMPT / pre:.3f} s; flops/gemm {pre_c:.3f}, "
          f"bytes/bw {w.weight_bytes_read / host.bandwidth:.4f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--dtypes", default="fp32,bf16")
    ap.add_argument("--new", type=int, default=8, help="new tokens per generate call")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--detail", action="store_true", help="print the roofline's terms per row")
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    t_start = time.perf_counter()
    load0 = os.getloadavg()
    probe = host_probe.measure()
    host = host_probe.host_speed(probe)
    cpu = probe["cpu"]
    print(f"host probe ({probe['seconds']:.1f} s, {probe['threads']} threads): copy {cpu['bandwidth'] / 1e9:.1f} GB/s, "
          f"GEMM fp32 {cpu['fp32'] / 1e9:.1f} / bf16 {cpu['bf16'] / 1e9:.1f} GFLOP/s, "
          f"GEMV fp32 {cpu['fp32_gemv'] / 1e9:.1f} / bf16 {cpu['bf16_gemv'] / 1e9:.1f} GFLOP/s, "
          f"addmm bf16 {cpu['bf16_mm'] / 1e9:.2f} / GEMV {cpu['bf16_mm_gemv'] / 1e9:.2f} GFLOP/s, "
          f"framework {cpu['layer_s'] * 1e3:.2f} ms per layer + {cpu['step_s'] * 1e3:.2f} ms per step")
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} (cores: {os.cpu_count()})")
    head = (f"{'model':<14}{'dtype':<6}{'prefill meas':>13}{'est':>9}{'err':>8}"
            f"{'decode meas':>13}{'est':>9}{'err':>8}  bound")
    print(head)
    print("-" * len(head))
    worst = 0.0
    rows = []
    for name in args.models.split(","):
        model, n = build(name)
        spec = ModelSpec(model_id=name, params_total=n, params_exact=True, config=ModelConfig.from_dict(config(name)),
                         pipeline_tag="text-generation")
        for dtype in args.dtypes.split(","):
            model = model.to(torch.bfloat16 if dtype == "bf16" else torch.float32)
            # the bandwidth and matmul rates again, just before this row: a shared machine's load drifts
            with torch.inference_mode():
                probe["cpu"].update(host_probe.figures(torch, "cpu"))
            host = host_probe.host_speed(probe)
            pre, dec = measure(model, args.new, args.repeats)
            est = estimate_speed(spec, host, dtype, context_tokens=PROMPT + args.new, prompt_tokens=PROMPT)
            e_pre = est.prefill_tokens_per_s / pre - 1
            e_dec = est.decode_tokens_per_s / dec - 1
            worst = max(worst, abs(e_pre), abs(e_dec))
            rows.append((name, dtype, pre, est.prefill_tokens_per_s, dec, est.decode_tokens_per_s))
            print(f"{name:<14}{dtype:<6}{pre:>13.1f}{est.prefill_tokens_per_s:>9.1f}{e_pre:>+8.0%}"
                  f"{dec:>13.2f}{est.decode_tokens_per_s:>9.2f}{e_dec:>+8.0%}  {est.bound}", flush=True)
            if args.detail:
                detail(spec, host, dtype, args.new, pre, dec)
        del model
    load1 = os.getloadavg()
    print(f"load average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; "
          f"{time.perf_counter() - t_start:.0f} s in all")
    verdict = "PASS" if worst <= TARGET else "FAIL"
    print(f"worst estimate error {worst:.0%} (target ±{TARGET:.0%}): {verdict}")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
