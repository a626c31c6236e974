"""config.json facts and exact parameter counts on the meta device."""
import json

import pytest

from lib.modelconfig import ModelConfig, count_parameters


def test_gpt2_spellings_and_defaults():
    c = ModelConfig.from_dict({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": 768,
                               "n_layer": 12, "n_head": 12, "vocab_size": 50257, "n_positions": 1024})
    assert (c.num_layers, c.hidden_size, c.num_heads, c.num_kv_heads, c.head_dim) == (12, 768, 12, 12, 64)
    assert c.intermediate_size == 3072 and c.max_positions == 1024 and c.tie_word_embeddings
    assert c.is_decoder and not c.uses_gqa and not c.requires_custom_code


def test_llama_gqa_untied_default_and_window():
    c = ModelConfig.from_dict({"model_type": "mistral", "architectures": ["MistralForCausalLM"], "hidden_size": 4096,
                               "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
                               "sliding_window": 4096, "torch_dtype": "bfloat16"})
    assert c.uses_gqa and c.sliding_window == 4096 and not c.tie_word_embeddings and c.dtype == "bfloat16"
    off = ModelConfig.from_dict({"model_type": "qwen2", "sliding_window": 4096, "use_sliding_window": False})
    assert off.sliding_window is None


def test_nested_text_config_custom_code_and_quantization():
    c = ModelConfig.from_dict({"model_type": "llava", "architectures": ["LlavaForConditionalGeneration"],
                               "text_config": {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32,
                                               "num_attention_heads": 32, "vocab_size": 32064},
                               "auto_map": {"AutoModel": "modeling.Foo"},
                               "quantization_config": {"quant_method": "awq", "bits": 4}})
    assert c.num_layers == 32 and c.vocab_size == 32064 and c.requires_custom_code
    assert c.quantization.method == "awq" and c.quantization.bits == 4
    bnb = ModelConfig.from_dict({"quantization_config": {"load_in_4bit": True}})
    assert bnb.quantization.method == "bitsandbytes" and bnb.quantization.bits == 4


def test_bert_is_encoder_and_bad_values():
    c = ModelConfig.from_dict({"model_type": "bert", "architectures": ["BertModel"], "hidden_size": "oops",
                               "num_hidden_layers": -3})
    assert c.is_encoder_only and not c.is_decoder and c.hidden_size is None and c.num_layers is None
    with pytest.raises(ValueError):
        ModelConfig.from_dict(["not", "a", "dict"])


def test_from_file_errors(tmp_path):
    with pytest.raises(ValueError, match="no config.json"):
        ModelConfig.from_file(tmp_path)
    (tmp_path / "config.json").write_text("{bad")
    with pytest.raises(ValueError, match="cannot read"):
        ModelConfig.from_file(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "num_hidden_layers": 2}))
    assert ModelConfig.from_file(tmp_path).num_layers == 2


def test_count_parameters_on_meta_device():
    # hand count for a 2-layer BERT, hidden 32, intermediate 64, vocab 100, 512 positions, 2 token types:
    h, i, v, p, t, L = 32, 64, 100, 512, 2, 2
    emb = v * h + p * h + t * h + 2 * h  # word, position, token type, LayerNorm
    layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h  # q,k,v,o + LN, fc in/out + LN
    pooler = h * h + h
    cfg = {"model_type": "bert", "architectures": ["BertModel"], "hidden_size": h, "intermediate_size": i,
           "num_hidden_layers": L, "num_attention_heads": 2, "vocab_size": v}
    assert count_parameters(cfg) == emb + L * layer + pooler
    assert count_parameters({**cfg, "auto_map": {"AutoModel": "x.Y"}}) is None  # never runs custom code
    assert count_parameters({"model_type": "no-such-type"}) is None
