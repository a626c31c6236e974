"""ModelRecord: typed, tolerant of unknown fields, the same from the API, from huggingface_hub's
ModelInfo and from dumps; CatalogQuery's URL form survives bad input."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lib.catalog.query import CatalogQuery
from lib.hub.records import ModelRecord

EXAMPLES = Path(__file__).parent / "data" / "api_examples"  # recorded Hub answers (../shared/data/hub)


def body(name: str):
    return json.loads((EXAMPLES / f"{name}.json").read_text())["body"]


def test_expand_listing_gives_every_column():
    gpt2, qwen = (ModelRecord.from_api(x) for x in body("list_models_expand"))
    assert gpt2.id == "openai-community/gpt2" and gpt2.author == "openai-community"
    assert gpt2.pipeline_tag == "text-generation" and gpt2.library_name == "transformers"
    assert gpt2.params_total == 137_022_720 and dict(gpt2.params_by_dtype) == {"F32": 137_022_720}
    assert gpt2.params_exact and gpt2.weights_bytes == 137_022_720 * 4
    assert gpt2.license == "mit" and gpt2.languages == ("en",)
    assert gpt2.created_at == datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC)
    assert gpt2.gated is False and not gpt2.is_gated
    assert qwen.main_dtype == "BF16" and qwen.weights_bytes == 494_032_768 * 2
    assert qwen.license == "apache-2.0"


def test_full_listing_with_card_data_and_no_safetensors():
    rec = ModelRecord.from_api(body("list_models_full_cardData")[0])
    assert rec.id == "sentence-transformers/all-MiniLM-L6-v2"
    assert rec.params_total is None and not rec.params_exact  # unknown stays unknown
    assert rec.weights_bytes is None
    assert rec.trending_score == 89 and rec.likes == 4463
    assert "private" in rec.extra  # a field the record has no attribute for is kept, not dropped


def test_unknown_and_odd_fields_are_tolerated():
    rec = ModelRecord.from_api({"modelId": "a/b", "downloads": "12", "likes": None, "gated": "manual",
                                "brandNewField": {"x": 1}, "createdAt": "not a date"})
    assert rec.id == "a/b" and rec.author == "a"
    assert rec.downloads == 12 and rec.likes is None
    assert rec.is_gated and rec.gated == "manual"
    assert rec.created_at is None
    assert rec.extra["brandNewField"] == {"x": 1}
    with pytest.raises(ValueError, match="needs an id"):
        ModelRecord.from_api({"downloads": 3})


def test_same_record_from_huggingface_hubs_model_info():
    """vars(ModelInfo) (snake_case, nested objects) gives the same record as the raw JSON."""
    from huggingface_hub.hf_api import ModelInfo

    raw = body("list_models_expand")[1]
    from_raw = ModelRecord.from_api(raw)
    info = ModelInfo(**raw)
    from_info = ModelRecord.from_api({k: v for k, v in vars(info).items() if v is not None})
    for field in ("id", "author", "pipeline_tag", "library_name", "params_total", "downloads", "likes",
                  "license", "languages", "created_at", "last_modified", "gated"):
        assert getattr(from_info, field) == getattr(from_raw, field), field
    assert dict(from_info.params_by_dtype) == dict(from_raw.params_by_dtype)


def test_query_url_round_trip_and_lenient_parsing():
    q = CatalogQuery(task="text-classification", search=" bert ", language="ES", params_max=500_000_000,
                     gated=False, sort="likes", limit=20)
    params = q.normalized().to_params()
    assert params == {"task": "text-classification", "search": "bert", "language": "es",
                      "params_max": "500000000", "gated": "0", "sort": "likes", "limit": "20"}
    assert CatalogQuery.from_params(params) == q.normalized()
    bad = CatalogQuery.from_params({"params_min": "lots", "limit": "99999", "sort": "random", "gated": "maybe"})
    assert bad.params_min is None and bad.limit == 1000 and bad.sort == "downloads" and bad.gated is None
