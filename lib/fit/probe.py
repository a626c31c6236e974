"""Measure the peak resident memory of loading a model, in a fresh Python process.

The measurement runs ``python -c <script>`` so the parent never imports torch. The child:
imports torch + transformers (the framework baseline), loads the model with an ``Auto`` class
``from_pretrained`` (the same way the generic runner loads models), runs one small input
and reports, as JSON on stdout:

- ``rss_start``: resident bytes before importing torch/transformers,
- ``rss_import``: after importing them (the framework baseline),
- ``rss_loaded``: after ``from_pretrained``,
- ``rss_after``: after the forward pass,
- ``peak``: the process's peak resident set: ``VmHWM`` from ``/proc/self/status`` on Linux
  (``ru_maxrss`` is NOT usable there: Linux carries it over ``exec`` from the forked parent, so a
  child of a big parent would report the parent's size), ``ru_maxrss`` elsewhere,
- ``params``, ``dtype``: what was loaded.

Used by the calibration test and bench/bench_memory.py; also usable by the test-drive runner to
record a measured peak with :mod:`lib.fit.measured`.
"""
from __future__ import annotations

# i18n: file a calibration tool (bench/bench_memory.py): its scripts and errors are for a developer's terminal
import json
import subprocess
import sys
from dataclasses import dataclass

_SCRIPT = r"""
import json, resource, sys, os
import psutil
proc = psutil.Process()
rss_start = proc.memory_info().rss
import torch, transformers
torch.set_num_threads(1)
rss_import = proc.memory_info().rss
path, auto, dtype, tokens = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cls = getattr(transformers, auto)
kw = {} if dtype == "auto" else {"dtype": getattr(torch, dtype)}
model = cls.from_pretrained(path, **kw)
model.eval()
rss_loaded = proc.memory_info().rss
n = sum(p.numel() for p in model.parameters())
loaded_dtype = str(next(model.parameters()).dtype).replace("torch.", "")
vocab = int(getattr(model.config, "vocab_size", 1000) or 1000)
ids = torch.randint(0, min(vocab, 1000), (1, tokens))
with torch.inference_mode():
    if auto == "AutoModelForCausalLM":
        model(input_ids=ids, logits_to_keep=1)
    else:
        model(input_ids=ids)
rss_after = proc.memory_info().rss
peak = None
try:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
except OSError:
    pass
if peak is None:  # not Linux: ru_maxrss (KiB on Linux, bytes on macOS)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = peak if sys.platform == "darwin" else peak * 1024
print("PROBE" + json.dumps({"rss_start": rss_start, "rss_import": rss_import, "rss_loaded": rss_loaded,
      "rss_after": rss_after, "peak": peak, "params": n, "dtype": loaded_dtype}))
"""


@dataclass(frozen=True)
class ProbeResult:
    """Resident memory (bytes) of one fresh process loading one model and running one input."""

    rss_start: int
    rss_import: int
    rss_loaded: int
    rss_after: int
    peak: int
    params: int
    dtype: str

    @property
    def framework_baseline(self) -> int:
        """Resident bytes of the interpreter with torch + transformers imported, nothing loaded."""
        return self.rss_import


def probe_load(path: str, auto_class: str = "AutoModel", dtype: str = "auto", tokens: int = 16,
               timeout: float = 300.0) -> ProbeResult:
    """Load ``path`` with ``transformers.<auto_class>.from_pretrained`` in a fresh process and measure.

    ``dtype`` is ``"auto"`` (the checkpoint's) or a torch dtype name (``"float32"``, ``"bfloat16"``).
    Raises RuntimeError with the child's last error line when the load fails.
    """
    cmd = [sys.executable, "-c", _SCRIPT, str(path), auto_class, dtype, str(int(tokens))]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=_child_env())
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE"):
            return ProbeResult(**json.loads(line[5:]))
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"loading {path} in a fresh process failed: {tail}")


def probe_import_baseline(timeout: float = 120.0) -> int:
    """Resident bytes of a fresh Python process right after ``import torch, transformers``."""
    script = ("import psutil, torch, transformers\n"
              "print('PROBE', psutil.Process().memory_info().rss)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=timeout, env=_child_env())
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE"):
            return int(line.split()[1])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"importing torch/transformers failed: {tail}")


def _child_env() -> dict[str, str]:
    from lib.settings import child_process_env

    return child_process_env(HF_HUB_OFFLINE="1", TRANSFORMERS_VERBOSITY="error", OMP_NUM_THREADS="1")
