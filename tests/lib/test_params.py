"""The one reader of ``?year=`` and ids."""

from __future__ import annotations

import pytest

from ise_iga_dx.lib.params import parse_id, parse_year


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        ("2026", 2026), (" 2026 ", None), ("1989", 1989), ("2200", 2200),
        (None, None), ("", None), ("R8", None), ("２０２６", None), ("2026²", None),
        ("²⁰²⁶", None), ("20260", None), ("1988", 1988), ("0000", 0), ("-202", None),
        ("2026\x00", None), ("9" * 5000, None),
    ],
)
def test_parse_year(raw: str | None, year: int | None) -> None:
    assert parse_year(raw) == year


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", 1), ("0042", 42), ("9" * 18, int("9" * 18)), ("9" * 19, None), ("", None),
     (None, None), ("-1", None), ("1.0", None), ("²", None), (" 1", None)],
)
def test_parse_id(raw: str | None, value: int | None) -> None:
    assert parse_id(raw) == value
