"""Embeddings: feature extraction and sentence similarity (sentence-transformers repos through that
library, other models with mean pooling)."""
from __future__ import annotations

from typing import Any

from . import hood as H
from .common import Output, max_tokens, text_example, truncate_text, widget_example
from .core import CodeParts, TaskSpec

ANY_MODEL = ("MODEL_MAPPING_NAMES",)  # any transformers model has hidden states


def embed(loaded, texts: list[str]):
    """L2-normalised sentence embeddings (numpy [n, dim]), the pooling used, and per text its
    truncation notice (None when it fits)."""
    import numpy as np
    import torch

    if loaded.kind == "sentence_transformers":
        m = loaded.model
        limit = getattr(m, "max_seq_length", None) or 512
        cut = [truncate_text(m.tokenizer, t, limit, "text")[1] for t in texts]
        vec = m.encode(texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vec, dtype=np.float32), "sentence-transformers", cut
    tok, model = loaded.tokenizer, loaded.model
    limit = max_tokens(tok, loaded.config)
    cut = [truncate_text(tok, t, limit, "text")[1] for t in texts]
    enc = tok(texts, padding=True, truncation=True, max_length=limit, return_tensors="pt")
    enc = H.to_device(enc, loaded.device)
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state.float()
    mask = enc["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    pooled = torch.nn.functional.normalize(pooled, dim=-1)
    return pooled.cpu().numpy(), "mean", cut


def _notices(cut: list[str | None]) -> list[str]:
    return list(dict.fromkeys(n for n in cut if n))


def _vector_out(v, pooling: str) -> dict:
    import numpy as np

    return {"dim": int(v.shape[0]), "norm": float(np.linalg.norm(v)), "vector": [float(x) for x in v],
            "pooling": pooling}


def run_feature_extraction(loaded, inputs: dict, task: str, opts) -> Output:
    vecs, pooling, cut = embed(loaded, [inputs["text"]])
    return _vector_out(vecs[0], pooling), _notices(cut)


def run_feature_extraction_batch(loaded, items: list[dict], task: str, opts) -> list[Output]:
    """All texts in one padded forward pass (sentence-transformers: one encode call)."""
    vecs, pooling, cut = embed(loaded, [it["text"] for it in items])
    return [(_vector_out(v, pooling), _notices([c])) for v, c in zip(vecs, cut)]


def run_sentence_similarity(loaded, inputs: dict, task: str, opts) -> Output:
    texts = [inputs["source"], *inputs["sentences"]]
    vecs, pooling, cut = embed(loaded, texts)
    matrix = vecs @ vecs.T
    return {"source": inputs["source"], "sentences": list(inputs["sentences"]),
            "scores": [float(x) for x in matrix[0, 1:]], "matrix": [[float(x) for x in row] for row in matrix],
            "labels": texts, "pooling": pooling}, _notices(cut)


def _similarity_example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    ex = widget_example("sentence-similarity", language)
    if isinstance(ex, dict):
        return {"source": ex.get("source_sentence", ""), "sentences": list(ex.get("sentences", []))}
    return {"source": "That is a happy person", "sentences": ["That is a happy dog", "Today is a sunny day"]}


def hood_hidden_states(loaded, model_id: str, task: str, inputs: dict) -> H.UnderTheHood:
    text = inputs.get("source", "") if task == "sentence-similarity" else inputs.get("text", "")
    e = H.encode(loaded, text)
    hidden = e.net(**e.feed).last_hidden_state.float().cpu()[0]
    norms = hidden.norm(dim=-1)
    rows = [{"position": p, "token": t, "id": i, "hidden norm": float(n),
             "first values": ", ".join(f"{x:+.3f}" for x in hidden[p, :4].tolist())}
            for p, (t, i, n) in enumerate(zip(e.tokens, e.ids, norms.tolist()))]
    code = H.code(model_id, "AutoModel", e.text_expr,
                  "hidden = out.last_hidden_state[0]          # one vector per token\n"
                  "mask = inputs['attention_mask'][0].unsqueeze(-1)\n"
                  "sentence = (hidden * mask).sum(0) / mask.sum()  # mean pooling\n"
                  "sentence = torch.nn.functional.normalize(sentence, dim=-1)\n")
    return e.view("encoder (no head): hidden states", hidden.shape, rows,
                  "One hidden vector per token; the sentence embedding is their (masked) mean. "
                  "No logits and no softmax: there is no classification head.", code, id2label={})


def _auto_body(task: str):
    def body(inp: dict, config: dict | None, opts: Any) -> str:
        texts = [inp["source"], *inp["sentences"]] if task == "sentence-similarity" else [inp.get("text")]
        return (f"texts = {texts!r}\n"
                'inputs = tokenizer(texts, padding=True, truncation=True, return_tensors="pt").to(device)\n'
                "with torch.inference_mode():\n    hidden = model(**inputs).last_hidden_state\n"
                "mask = inputs.attention_mask.unsqueeze(-1).to(hidden.dtype)\n"
                "emb = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)  # mean pooling\n"
                + ("print((emb[:1] @ emb[1:].T)[0].tolist())\n"
                   if task == "sentence-similarity" else "print(emb.shape)\n"))

    return body


TASKS = [
    TaskSpec(tag="feature-extraction", input_kind="text", run=run_feature_extraction,
             run_batch=run_feature_extraction_batch, renderer="embedding", pipeline_task="feature-extraction",
             example=text_example("feature-extraction", "Hub Scout helps you pick a model from the Hugging Face Hub."),
             model_classes=ANY_MODEL, guess_rank=90, hood=hood_hidden_states,
             code=CodeParts("AutoModel", auto_body=_auto_body("feature-extraction"), processor="tokenizer")),
    TaskSpec(tag="sentence-similarity", input_kind="text_pair", run=run_sentence_similarity, renderer="similarity",
             example=_similarity_example, model_classes=ANY_MODEL, guess_rank=95, hood=hood_hidden_states,
             code=CodeParts("AutoModel", auto_body=_auto_body("sentence-similarity"), processor="tokenizer")),
]
