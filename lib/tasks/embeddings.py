"""Embeddings: feature extraction and sentence similarity.

A sentence-transformers repo is run the way its own files describe it. The usual layout, a transformers
encoder then a pooling layer (``modules.json``: Transformer + Pooling [+ Normalize], the pooling in
``1_Pooling/config.json``), is run through transformers' AutoModel and :func:`pool` (the same arithmetic as
sentence-transformers' Pooling module), without importing sentence-transformers: that import costs seconds
(scikit-learn, scipy.stats, pandas) the run does not need. Any other layout (Dense layers, prompts, custom
modules, lower-casing, other model families …) loads through the SentenceTransformer class itself. Other
models get mean pooling.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib.i18n import N_, _

from . import hood as H
from .common import Output, max_tokens, text_example, truncate_text, widget_example
from .core import CodeParts, TaskSpec

ANY_MODEL = ("MODEL_MAPPING_NAMES",)  # any transformers model has hidden states

# sentence-transformers' pooling modes, in the order it concatenates them when a config asks for several
POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken")
_LEGACY_POOLING_KEYS = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
                        "pooling_mode_mean_tokens": "mean", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
                        "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}
# encoder families whose AutoModel gives the token embeddings sentence-transformers pools (last_hidden_state
# from input_ids + attention_mask [+ token_type_ids]); each is checked against SentenceTransformer.encode
# in tests/test_embeddings_light.py. Encoder-decoders (T5 …), decoders and the rest take the library route.
PLAIN_MODEL_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "mpnet", "distilbert"})
_TEXT_MODALITY = {"text": {"method": "forward", "method_output_name": "last_hidden_state"}}
# sentence_bert_config.json keys a plain layout may carry (the kwargs ones only empty: see _plain_sbert_config)
_SBERT_KEYS = {"max_seq_length", "do_lower_case", "transformer_task", "modality_config", "module_output_name",
               "model_args", "tokenizer_args", "config_args", "model_kwargs", "processor_kwargs", "config_kwargs",
               "processing_kwargs"}
_ST_CONFIG_KEYS = {"__version__", "prompts", "default_prompt_name", "similarity_fn_name", "model_type"}


@dataclass(frozen=True)
class StLayout:
    """A plain sentence-transformers repo: its pooling mode(s), whether it normalises, its max length."""

    modes: tuple[str, ...]
    normalize: bool
    max_seq_length: int | None

    @property
    def label(self) -> str:
        return f"sentence-transformers ({' + '.join(self.modes)})"  # i18n: technical identifiers


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _st_class(module: Any) -> str | None:
    """``Transformer`` / ``Pooling`` / ``Normalize`` … of a modules.json entry (None: not sentence-transformers')."""
    kind = module.get("type") if isinstance(module, dict) else None
    if not isinstance(kind, str) or not kind.startswith("sentence_transformers."):
        return None
    return kind.rsplit(".", 1)[-1]


def _pooling_modes(cfg: Any) -> tuple[str, ...] | None:
    """The modes of a Pooling config (old ``pooling_mode_*`` flags or ``pooling_mode``), None if unreadable."""
    if not isinstance(cfg, dict) or set(cfg) - {"word_embedding_dimension", "embedding_dimension", "pooling_mode",
                                                 "include_prompt", *_LEGACY_POOLING_KEYS}:
        return None
    if "pooling_mode" in cfg:
        mode = cfg["pooling_mode"]
        modes = (mode,) if isinstance(mode, str) else tuple(mode) if isinstance(mode, list) else ()
    else:
        modes = tuple(m for k, m in _LEGACY_POOLING_KEYS.items() if cfg.get(k)) or ("mean",)
    return modes if modes and all(m in POOLING_MODES for m in modes) else None


def _plain_sbert_config(cfg: Any) -> bool:
    if cfg is None:
        return True
    if not isinstance(cfg, dict) or set(cfg) - _SBERT_KEYS or cfg.get("do_lower_case"):
        return False
    if cfg.get("transformer_task", "feature-extraction") != "feature-extraction":
        return False
    if cfg.get("modality_config", _TEXT_MODALITY) != _TEXT_MODALITY \
            or cfg.get("module_output_name", "token_embeddings") != "token_embeddings":
        return False
    kw = ("model_args", "tokenizer_args", "config_args", "model_kwargs", "processor_kwargs", "config_kwargs",
          "processing_kwargs")
    size = cfg.get("max_seq_length")
    return all(not cfg.get(k) for k in kw) and (size is None or (isinstance(size, int) and size > 0))


def _plain_st_config(cfg: Any) -> bool:
    if cfg is None:
        return True
    if not isinstance(cfg, dict) or set(cfg) - _ST_CONFIG_KEYS:
        return False
    if cfg.get("model_type", "SentenceTransformer") != "SentenceTransformer":
        return False
    default = cfg.get("default_prompt_name")
    return not (default and ((cfg.get("prompts") or {}).get(default)))  # a default prompt changes every input


def plain_sentence_transformers(folder: str | Path) -> StLayout | None:
    """The layout of a sentence-transformers folder when transformers alone can run it as the library would
    (modules.json: Transformer at the top, Pooling, optionally Normalize; a plain encoder family; no
    prompt, lower-casing, custom code or extra settings); None otherwise (the library loads it)."""
    root = Path(folder)
    modules = _json(root / "modules.json")
    if not isinstance(modules, list) or len(modules) not in (2, 3):
        return None
    kinds = [_st_class(m) for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]) \
            or (modules[0].get("path") or "") not in ("", "."):
        return None
    config = _json(root / "config.json")
    if not isinstance(config, dict) or config.get("model_type") not in PLAIN_MODEL_TYPES or config.get("auto_map") \
            or config.get("is_encoder_decoder"):
        return None
    if any((root / f).exists() for f in ("adapter_config.json", "processor_config.json", "preprocessor_config.json")):
        return None
    sbert = _json(root / "sentence_bert_config.json")
    if sbert is None and any(root.glob("sentence_*_config.json")):  # i18n: a file name pattern
        return None  # an old config name, or one that is not JSON: the library's reading
    if not _plain_sbert_config(sbert) or not _plain_st_config(_json(root / "config_sentence_transformers.json")):
        return None
    pooling_path = modules[1].get("path")
    modes = _pooling_modes(_json(root / pooling_path / "config.json")) if isinstance(pooling_path, str) else None
    if modes is None:
        return None
    return StLayout(modes, len(modules) == 3, (sbert or {}).get("max_seq_length"))


def pool(hidden, mask, modes: tuple[str, ...]):
    """Sentence embeddings from token embeddings ``hidden`` [n, t, d] and ``attention_mask`` [n, t], as
    sentence-transformers' Pooling module computes them (padded inputs, no prompt): one block per mode,
    concatenated in ``modes`` order; half precision is summed in float32."""
    import torch

    acc = torch.float32 if hidden.dtype in (torch.float16, torch.bfloat16) else hidden.dtype
    out = []
    for mode in modes:
        if mode == "cls":
            first = mask.to(torch.int).argmax(dim=1)
            out.append(torch.gather(hidden, 1, first.view(-1, 1, 1).expand(-1, 1, hidden.shape[-1])).squeeze(1))
        elif mode == "max":
            m = mask.unsqueeze(-1).expand_as(hidden).to(hidden.dtype)
            out.append(hidden.masked_fill(m == 0, float("-inf")).max(dim=1).values)
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            m = mask.unsqueeze(-1).to(hidden.dtype)
            total = (hidden * m).sum(dim=1, dtype=acc)
            count = torch.clamp(m.sum(dim=1, dtype=acc), min=1e-9)
            out.append((total / (count if mode == "mean" else torch.sqrt(count))).to(hidden.dtype))
        elif mode == "weightedmean":
            m = mask.unsqueeze(-1).to(acc)
            weights = torch.arange(1, hidden.shape[1] + 1, device=hidden.device, dtype=acc).view(1, -1, 1)
            weights = weights - mask.to(torch.int32).argmax(dim=1).view(-1, 1, 1)  # from the first real token
            wm = m * weights
            out.append(((hidden * wm).sum(dim=1) / torch.clamp(wm.sum(dim=1), min=1e-9)).to(hidden.dtype))
        elif mode == "lasttoken":
            n, t, d = hidden.shape
            values, idx = mask.flip(1).max(1)
            idx = torch.where(values == 0, t - 1, idx)
            m = mask.unsqueeze(-1).expand_as(hidden).to(hidden.dtype)
            out.append(torch.gather(hidden * m, 1, (t - idx - 1).view(-1, 1, 1).expand(-1, 1, d)).squeeze(1))
        else:
            raise ValueError(f"unknown pooling mode {mode!r}")  # i18n: a programmer's error (modes are checked)
    return torch.cat(out, dim=-1)


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
    layout = loaded.st_layout
    if layout is not None:  # a plain sentence-transformers repo: its tokenizer limit, its pooling
        limit = tok.model_max_length
        cut = [truncate_text(tok, t, limit, "text")[1] for t in texts]
        enc = H.to_device(tok(texts, padding=True, truncation="longest_first", return_tensors="pt"), loaded.device)
        with torch.inference_mode():
            pooled = pool(model(**enc).last_hidden_state, enc["attention_mask"], layout.modes).float()
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.cpu().numpy(), layout.label, cut
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


vector_output = _vector_out  # the ``embedding`` output of one vector (lib.runner.remote builds it too)


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
    return {"source": _("That is a happy person"),
            "sentences": [_("That is a happy dog"), _("Today is a sunny day")]}


def hood_hidden_states(loaded, model_id: str, task: str, inputs: dict) -> H.UnderTheHood:
    text = inputs.get("source", "") if task == "sentence-similarity" else inputs.get("text", "")
    e = H.encode(loaded, text)
    hidden = e.net(**e.feed).last_hidden_state.float().cpu()[0]
    norms = hidden.norm(dim=-1)
    norm_col, first_col = _("hidden norm"), _("first values")
    rows = [{"position": p, "token": t, "id": i, norm_col: float(n),
             first_col: ", ".join(f"{x:+.3f}" for x in hidden[p, :4].tolist())}
            for p, (t, i, n) in enumerate(zip(e.tokens, e.ids, norms.tolist()))]
    code = H.code(model_id, "AutoModel", e.text_expr,
                  "hidden = out.last_hidden_state[0]          # one vector per token\n"  # i18n: code shown as code
                  "mask = inputs['attention_mask'][0].unsqueeze(-1)\n"
                  "sentence = (hidden * mask).sum(0) / mask.sum()  # mean pooling\n"
                  "sentence = torch.nn.functional.normalize(sentence, dim=-1)\n")
    return e.view(_("encoder (no head): hidden states"), hidden.shape, rows,
                  _("One hidden vector per token; the sentence embedding is their (masked) mean. No logits and no "
                    "softmax: there is no classification head."), code, id2label={})


def _auto_body(task: str):
    def body(inp: dict, config: dict | None, opts: Any) -> str:
        texts = [inp["source"], *inp["sentences"]] if task == "sentence-similarity" else [inp.get("text")]
        return (f"texts = {texts!r}\n"  # i18n: code shown as code
                'inputs = tokenizer(texts, padding=True, truncation=True, return_tensors="pt").to(device)\n'
                "with torch.inference_mode():\n    hidden = model(**inputs).last_hidden_state\n"
                "mask = inputs.attention_mask.unsqueeze(-1).to(hidden.dtype)\n"
                "emb = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)  # mean pooling\n"
                + ("print((emb[:1] @ emb[1:].T)[0].tolist())\n"  # i18n: code shown as code
                   if task == "sentence-similarity" else "print(emb.shape)\n"))

    return body


TASKS = [
    TaskSpec(tag="feature-extraction", input_kind="text", run=run_feature_extraction,
             run_batch=run_feature_extraction_batch, renderer="embedding", pipeline_task="feature-extraction",
             example=text_example("feature-extraction",
                                  N_("Hub Scout helps you pick a model from the Hugging Face Hub.")),
             model_classes=ANY_MODEL, guess_rank=90, hood=hood_hidden_states,
             code=CodeParts("AutoModel", auto_body=_auto_body("feature-extraction"), processor="tokenizer")),
    TaskSpec(tag="sentence-similarity", input_kind="text_pair", run=run_sentence_similarity, renderer="similarity",
             example=_similarity_example, model_classes=ANY_MODEL, guess_rank=95, hood=hood_hidden_states,
             code=CodeParts("AutoModel", auto_body=_auto_body("sentence-similarity"), processor="tokenizer")),
]
