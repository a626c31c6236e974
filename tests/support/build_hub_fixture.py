"""Rebuild tests/support/hub_models.json, the Hub stand-in's seeded model list.

Real rows of ../shared/data/hub/exgenesis_models_by_task_2025-03.csv (public Hub metadata,
2025-03-24): the 4 most-downloaded models of every pipeline tag, plus the three models of
../shared/data/hub/api_examples. Hub field names (``/api/models`` JSON). Only needed to refresh
the fixture; the tests read the JSON.

Stand-in choices (test data, never shown in the app): the file has no likes, so ``likes`` is 0;
``safetensors`` is only set when the parameter count is irregular (a real ``safetensors.total``),
with the whole count under one dtype (BF16 for models created from 2024 on, else F32) because the
file has no per-dtype split; ``lastModified`` equals ``createdAt``; ``gated`` is false; two models carry
an ``inferenceProviderMapping`` (:data:`PROVIDERS`, in the shape ``model_info`` answers: keyed by provider).
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "hub"
OUT = Path(__file__).with_name("hub_models.json")
LIBRARIES = (
    "transformers", "sentence-transformers", "diffusers", "timm", "gguf", "peft", "onnx",
    "pytorch", "keras", "sklearn", "stable-baselines3", "open_clip", "speechbrain", "nemo",
    "ultralytics", "mlx", "transformers.js", "flair", "spacy", "fasttext", "pyannote-audio",
)

# Inference Providers serving a model (issue 11): stand-in mappings in the Hub's format, one staging entry.
PROVIDERS = {
    "meta-llama/Llama-3.1-8B-Instruct": {
        "together": {"providerId": "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", "status": "live",
                     "task": "conversational"},
        "novita": {"providerId": "meta-llama/llama-3.1-8b-instruct", "status": "live", "task": "conversational"},
        "featherless-ai": {"providerId": "meta-llama/Llama-3.1-8B-Instruct", "status": "staging",
                           "task": "conversational"},
    },
    "black-forest-labs/FLUX.1-dev": {
        "fal-ai": {"providerId": "fal-ai/flux/dev", "status": "live", "task": "text-to-image"},
        "replicate": {"providerId": "black-forest-labs/flux-dev", "status": "live", "task": "text-to-image"},
    },
}


def main() -> int:
    df = pd.read_csv(SHARED / "exgenesis_models_by_task_2025-03.csv")
    df = df.sort_values("downloads", ascending=False).groupby("tasks", sort=True).head(4)
    rows = []
    for r in df.itertuples():
        tags = ast.literal_eval(r.tags) if isinstance(r.tags, str) else []
        created = (pd.Timestamp(r.created_at).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                   if isinstance(r.created_at, str) else None)
        lib = next((t for t in tags if t in LIBRARIES), None)
        row = {
            "id": r.model_id, "author": r.model_id.split("/")[0] if "/" in r.model_id else None,
            "pipeline_tag": r.tasks, "library_name": lib, "downloads": int(r.downloads), "likes": 0,
            "tags": tags, "createdAt": created, "lastModified": created, "gated": False, "private": False,
        }
        p = r.parameters
        if p == p and p and int(p) % 1_000_000 != 0:
            dtype = "BF16" if created and created >= "2024" else "F32"
            row["safetensors"] = {"parameters": {dtype: int(p)}, "total": int(p)}
        card = {}
        lic = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None)
        if lic:
            card["license"] = lic
        langs = [t for t in tags if 2 <= len(t) <= 3 and t.isalpha() and t.islower()]
        if langs:
            card["language"] = langs
        if isinstance(r.base_model, str):
            card["base_model"] = r.base_model
        row["cardData"] = card
        rows.append(row)
    for name in ("list_models_expand.json", "list_models_full_cardData.json"):
        for item in json.loads((SHARED / "api_examples" / name).read_text())["body"]:
            item = {k: v for k, v in item.items() if k not in ("_id", "modelId", "sha", "siblings", "disabled")}
            rows = [x for x in rows if x["id"] != item["id"]] + [item]
    for row in rows:
        if row["id"] in PROVIDERS:
            row["inferenceProviderMapping"] = PROVIDERS[row["id"]]
    OUT.write_text("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n")
    print(f"wrote {len(rows)} models to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
