"""lib.format: human units both ways."""
from datetime import UTC, datetime, timedelta

import pytest

from lib import format as fmt


@pytest.mark.parametrize("n, text", [
    (0, "0"), (999, "999"), (1000, "1k"), (1234, "1.2k"), (999_950, "1M"), (1_234_567, "1.2M"),
    (22_700_000, "22.7M"), (7_615_616_512, "7.6B"), (135_000_000_000, "135B"), (None, "–"),
])
def test_compact(n, text):
    assert fmt.compact(n) == text


def test_params_marks_estimates():
    assert fmt.params(7_000_000_000, exact=False) == "~7B"
    assert fmt.params(494_032_768, exact=True) == "494M"
    assert fmt.params(None) == "–"


def test_size_bytes_is_decimal_like_the_hub():
    assert fmt.size_bytes(438_000_000) == "438 MB"
    assert fmt.size_bytes(15_230_000_000) == "15.2 GB"
    assert fmt.size_bytes(512) == "512 B"


@pytest.mark.parametrize("text, n", [
    ("500M", 500_000_000), ("1.5B", 1_500_000_000), ("7e9", 7_000_000_000), ("1,000", 1000),
    ("20k", 20_000), (" 3 b ", 3_000_000_000), ("", None), ("lots", None), ("1.2.3M", None), (None, None),
])
def test_parse_count(text, n):
    assert fmt.parse_count(text) == n


def test_round_trip_of_compact_for_url_values():
    for n in (100_000_000, 500_000_000, 8_000_000_000, 70_000_000_000):
        assert fmt.parse_count(fmt.compact(n)) == n


def test_ago():
    now = datetime(2026, 5, 10, tzinfo=UTC)
    assert fmt.ago(now - timedelta(days=400), now) == "1 year ago"
    assert fmt.ago(now - timedelta(days=3), now) == "3 days ago"
    assert fmt.ago(None) == "–"


def test_count_text_parses_back_exactly():
    assert fmt.count_text(500_000_000) == "500M"
    assert fmt.count_text(123_456_789) == "123456789"
    assert fmt.count_text(None) == ""
    for n in (1, 999, 1500, 123_456_789, 7_615_616_512):
        assert fmt.parse_count(fmt.count_text(n)) == n


def test_counts_read_a_decimal_comma_and_count_text_is_one_form_in_every_language():
    from lib import i18n

    assert fmt.parse_count("1,5B") == 1_500_000_000 and fmt.parse_count("2,25M") == 2_250_000
    assert fmt.parse_count("1,000") == 1000  # a grouping comma (three digits)
    with i18n.scope("es"):
        assert fmt.compact(1_500_000_000) == "1,5B"
        assert fmt.count_text(1_500_000_000) == "1.5B"
        assert fmt.parse_count(fmt.compact(1_500_000_000)) == 1_500_000_000


def test_significant_digits_and_decimal_marks_follow_the_language():
    from lib import i18n

    assert fmt.significant(0.012345, 3) == "0.0123" and fmt.decimal_marks("81.0 (74.0 – 88.0)") == "81.0 (74.0 – 88.0)"
    with i18n.scope("es"):
        assert fmt.significant(0.012345, 3) == "0,0123"
        assert fmt.decimal_marks("81.0 (74.0 – 88.0)") == "81,0 (74,0 – 88,0)"
