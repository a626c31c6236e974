"""Discover's logic (no Streamlit): lib.filter_choices (presets), lib.results (table rows, CSV), lib.charts."""
import csv
import io

import pytest

from lib import charts, results
from lib import filter_choices as filters
from lib import format as fmt
from lib.catalog.query import MAX_COUNT, MAX_LIMIT, CatalogQuery
from lib.hub.records import ModelRecord


def rec(**kw) -> ModelRecord:
    return ModelRecord.from_api({"id": "org/m", **kw})


def test_presets_round_trip_and_custom():
    for p in filters.PARAM_PRESETS:
        assert filters.preset_for(p.min, p.max) == p.label
        assert filters.preset_range(p.label) == (p.min, p.max)
    assert filters.preset_for(None, 500_000_000) == filters.CUSTOM
    assert filters.preset_range(filters.CUSTOM) is None


def test_results_frame_units_and_marks():
    exact = rec(pipeline_tag="text-classification", downloads=1_234_567, likes=3,
                safetensors={"parameters": {"BF16": 7_615_616_512}, "total": 7_615_616_512})
    guessed = ModelRecord(id="org/guess", params_total=7_000_000_000, params_exact=False)
    df = results.results_frame([exact, guessed])
    assert list(df.columns) == list(results.COLUMNS)
    assert df.loc[0, "Model"] == "https://huggingface.co/org/m"
    assert df.loc[0, "Task"] == "Text Classification"
    assert df.loc[0, "Parameters"] == "7.6B"
    assert df.loc[0, "Weights"] == "15.2 GB"  # BF16: 2 bytes a parameter
    assert df.loc[1, "Parameters"] == "~7B"
    assert df.loc[1, "Weights"].startswith("~")  # dtype unknown: float32 assumed, marked
    assert results.FIT_COLUMN not in df
    with_fit = results.results_frame([exact], fit={"org/m": "✅ fits"})
    assert with_fit.loc[0, results.FIT_COLUMN] == "✅ fits"


def test_scatter_skips_rows_log_axes_cannot_show():
    rows = [rec(downloads=10, safetensors={"parameters": {"F32": 5}, "total": 5}),
            rec(downloads=0, safetensors={"parameters": {"F32": 5}, "total": 5}),
            rec(downloads=10)]
    assert len(charts.scatter_frame(rows)) == 1


def test_counts_by_task_and_library():
    rows = [rec(pipeline_tag="fill-mask", library_name="transformers"),
            rec(pipeline_tag="fill-mask", library_name="transformers"),
            rec(pipeline_tag=None, library_name=None)]
    by_task = charts.counts_frame(rows, "task")
    assert by_task.iloc[0].tolist() == ["Fill-Mask", 2]
    assert "Unknown task" in set(by_task["task"])
    assert set(charts.counts_frame(rows, "library")["library"]) == {"transformers", "unknown"}


def test_csv_has_raw_numbers():
    r = rec(downloads=1_234_567, safetensors={"parameters": {"F16": 100}, "total": 100})
    rows = list(csv.DictReader(io.StringIO(results.results_csv([r]).decode())))
    assert rows[0]["id"] == "org/m" and rows[0]["downloads"] == "1234567"
    assert rows[0]["weights_bytes"] == "200" and rows[0]["params_exact"] == "True"
    assert results.csv_filename({"task": "fill-mask"}) == "hubscout-fill-mask.csv"


def test_task_options_cover_the_registry_grouped():
    from lib import tasks

    opts = filters.task_options()
    assert opts[0] == "" and set(opts[1:]) == set(tasks.registry())
    assert filters.task_label("image-classification") == "Vision › Image Classification"
    assert filters.task_label("", None) == "Any task"


# ---- hostile numbers in a link (issue 8, defect 7) ---------------------------------------------


@pytest.mark.parametrize("name", ["params_min", "params_max", "min_downloads", "min_likes", "limit"])
@pytest.mark.parametrize("raw", ["1e309", "1e400", "-1", "nan", "abc", "inf", "-inf", "1e20", "", "9" * 400])
def test_hostile_numbers_in_a_link_never_raise_and_are_said(name, raw):
    query, problems = CatalogQuery.parse_params({name: raw})
    value = getattr(query, name)
    top = MAX_LIMIT if name == "limit" else MAX_COUNT
    assert value is None or 0 <= value <= top
    assert problems, f"{name}={raw!r} was used silently"
    assert len(problems) == 1 and name in problems[0] and len(problems[0]) < 120
    assert CatalogQuery.from_params({name: raw}) == query  # the lenient form agrees


def test_numbers_in_range_are_kept_and_too_large_ones_clamped():
    query, problems = CatalogQuery.parse_params({"min_downloads": "1000", "params_max": "7e9", "limit": "50"})
    assert (query.min_downloads, query.params_max, query.limit, problems) == (1000, 7 * 10**9, 50, ())
    query, problems = CatalogQuery.parse_params({"min_downloads": "1e309", "limit": "1e309"})
    assert (query.min_downloads, query.limit) == (MAX_COUNT, MAX_LIMIT) and len(problems) == 2
    # counts built by the widgets are clamped the same way
    assert CatalogQuery(params_max=10**300, min_likes=-3).normalized() == CatalogQuery(params_max=MAX_COUNT)


def test_parse_count_turns_overflow_into_garbage():
    assert fmt.parse_count("1e400") is None and fmt.parse_count("1e300T") is None
    assert fmt.parse_count("1e300") == int(1e300)


def test_local_column_sits_beside_fits_here():
    """Defect (seen in the screenshots): the Local column came last, past License and Updated, off the
    right edge of the table in a 1440-px window. It now follows Fits here (or Weights), beside the facts
    about this machine."""
    recs = [ModelRecord(id="a/cached"), ModelRecord(id="b/remote")]
    cols = list(results.results_columns(recs, fit={"a/cached": "GPU bf16"}, local=frozenset({"a/cached"})))
    assert cols[:6] == ["Model", "Task", "Parameters", "Weights", results.FIT_COLUMN, results.LOCAL_COLUMN]
    cols = list(results.results_columns(recs, local=frozenset()))
    assert cols.index(results.LOCAL_COLUMN) == cols.index("Weights") + 1
    assert results.results_columns(recs, local=frozenset({"a/cached"}))[results.LOCAL_COLUMN] == ["local", ""]
