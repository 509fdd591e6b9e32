"""Fiscal years and 和暦, both ways, without the database."""

from __future__ import annotations

from datetime import date

import pytest

from ise_iga_dx.lib.wareki import (
    date_from_text,
    date_text,
    fiscal_year_era,
    fiscal_year_label,
    fiscal_year_of,
    fiscal_year_short,
    reiwa,
    year_from_text,
)


@pytest.mark.parametrize(
    ("year", "label", "era", "short"),
    [
        (2026, "令和8年度（2026）", "令和8年度", "R8"),
        (2019, "令和元年度（2019）", "令和元年度", "R1"),
        (2018, "平成30年度（2018）", "平成30年度", "H30"),
        (1989, "平成元年度（1989）", "平成元年度", "H1"),
    ],
)
def test_fiscal_year_labels(year: int, label: str, era: str, short: str) -> None:
    assert fiscal_year_label(year) == label
    assert fiscal_year_era(year) == era
    assert fiscal_year_short(year) == short


def test_reiwa_and_years_before_heisei() -> None:
    assert reiwa(2029) == 11
    with pytest.raises(ValueError):
        reiwa(2018)
    with pytest.raises(ValueError):
        fiscal_year_label(1988)


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2026, 4, 1), 2026), (date(2027, 3, 31), 2026), (date(2026, 11, 28), 2026),
     (date(2026, 1, 5), 2025)],
)
def test_fiscal_year_of(day: date, year: int) -> None:
    assert fiscal_year_of(day) == year


@pytest.mark.parametrize(
    ("day", "text"),
    [(date(2026, 9, 1), "令和8年9月1日"), (date(2019, 5, 1), "令和元年5月1日"),
     (date(2019, 4, 30), "平成31年4月30日")],
)
def test_date_text(day: date, text: str) -> None:
    assert date_text(day) == text


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2026", 2026), ("2026年度", 2026), ("R8", 2026), ("Ｒ８", 2026), ("r8", 2026),
        ("令和8年度", 2026), ("令和元年度", 2019), ("H30", 2018), ("令和8年度（2026）", 2026),
        (" 令和 8 年度 ", 2026),
        ("令和8年度（2027）", None), ("R0", None), ("8", None), ("平成", None), ("", None),
        ("２０２６", 2026), ("2026.0", None),
    ],
)
def test_year_from_text(text: str, year: int | None) -> None:
    assert year_from_text(text) == year


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026/9/1", date(2026, 9, 1)), ("2026-09-01", date(2026, 9, 1)),
        ("2026年9月1日", date(2026, 9, 1)), ("令和8年9月1日", date(2026, 9, 1)),
        ("R8.9.1", date(2026, 9, 1)), ("Ｒ８．９．１", date(2026, 9, 1)),
        ("H31.4.30", date(2019, 4, 30)), ("令和元年5月1日", date(2019, 5, 1)),
        ("2026/2/30", None), ("R0.9.1", None), ("9月1日", None), ("昨日", None),
    ],
)
def test_date_from_text(text: str, day: date | None) -> None:
    assert date_from_text(text) == day


# Moved from tests/indicators/test_achievement.py (issue 11).
@pytest.mark.parametrize(
    ("year", "number", "label", "short"),
    [
        (2026, 8, "令和8年度（2026）", "R8"),
        (2029, 11, "令和11年度（2029）", "R11"),
        (2019, 1, "令和元年度（2019）", "R1"),
        (2018, None, "平成30年度（2018）", "H30"),
        (1989, None, "平成元年度（1989）", "H1"),
    ],
)
def test_fiscal_years(year: int, number: int | None, label: str, short: str) -> None:
    assert fiscal_year_label(year) == label
    assert fiscal_year_short(year) == short
    if number is None:
        with pytest.raises(ValueError):
            reiwa(year)
    else:
        assert reiwa(year) == number


