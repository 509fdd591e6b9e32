"""Fiscal years (年度) and the Japanese era calendar (和暦), both ways.

A fiscal year runs April to March and is stored as the Western year it
starts in: 2026 = 令和8年度 = R8 (shared/spec/achievement.md, "Terms").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# The earliest and latest fiscal year anything may name (平成元年度 on).
MIN_YEAR = 1989
MAX_YEAR = 2200

REIWA_START = 2019
HEISEI_START = 1989
# 令和 began on 1 May 2019 (平成31年 ends on 30 April).
REIWA_FIRST_DAY = (2019, 5, 1)
# The month a fiscal year starts in.
FIRST_MONTH = 4

_ERA_OFFSETS = {"r": REIWA_START - 1, "令和": REIWA_START - 1,
                "h": HEISEI_START - 1, "平成": HEISEI_START - 1}
_ERA_YEAR = r"(?P<era>[rh]|令和|平成)(?P<number>\d{1,3}|元)(?:年度)?"
_WESTERN_YEAR = re.compile(r"(?P<year>\d{4})(?:年度)?", re.ASCII)
_ERA = re.compile(_ERA_YEAR, re.ASCII)
# The form fiscal_year_label() prints, 「令和8年度（2026）」, so a file this
# application exported can be read again.
_LABELLED_YEAR = re.compile(_ERA_YEAR + r"\((?P<year>\d{4})\)", re.ASCII)
_DATE_WESTERN = re.compile(
    r"(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?", re.ASCII
)
_DATE_ERA = re.compile(
    r"(?P<era>令和|平成|r|h)(?P<number>\d{1,2}|元)[-/.年](?P<month>\d{1,2})[-/.月]"
    r"(?P<day>\d{1,2})日?", re.ASCII
)


def reiwa(fiscal_year: int) -> int:
    """Return the Reiwa year of ``fiscal_year``: 2026 -> 8."""
    if fiscal_year < REIWA_START:
        raise ValueError(f"{fiscal_year} is before Reiwa")
    return fiscal_year - REIWA_START + 1


def _era(fiscal_year: int) -> tuple[str, str, int]:
    """Return the era name, its initial and the year within it."""
    if fiscal_year >= REIWA_START:
        return "令和", "R", reiwa(fiscal_year)
    if fiscal_year >= HEISEI_START:
        return "平成", "H", fiscal_year - HEISEI_START + 1
    raise ValueError(f"{fiscal_year} is before Heisei")


def fiscal_year_era(fiscal_year: int) -> str:
    """Return the fiscal year in the era calendar alone: "令和10年度"."""
    era, _initial, year = _era(fiscal_year)
    number = "元" if year == 1 else str(year)
    return f"{era}{number}年度"


def fiscal_year_label(fiscal_year: int) -> str:
    """Return the fiscal year in both calendars: "令和8年度（2026）"."""
    return f"{fiscal_year_era(fiscal_year)}（{fiscal_year}）"


def fiscal_year_short(fiscal_year: int) -> str:
    """Return the short era form of a fiscal year: "R8"."""
    _era_name, initial, year = _era(fiscal_year)
    return f"{initial}{year}"


def fiscal_year_of(day: date) -> int:
    """Return the fiscal year ``day`` falls in: 2027-03-31 -> 2026."""
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def date_text(day: date) -> str:
    """Return a date as the documents write it: 「令和8年9月1日」."""
    if (day.year, day.month, day.day) >= REIWA_FIRST_DAY:
        era, year = "令和", day.year - (REIWA_START - 1)
    else:
        era, year = "平成", day.year - (HEISEI_START - 1)
    number = "元" if year == 1 else str(year)
    return f"{era}{number}年{day.month}月{day.day}日"


def year_from_text(text: str) -> int | None:
    """Return the fiscal year ``text`` names, or None if it names none.

    Reads what staff type: 「2026」, 「2026年度」, 「R8」, 「Ｒ８」, 「令和元年度」,
    「H30」, and the label this application prints, 「令和8年度（2026）」
    (whose two years must agree). The range is not checked here.
    """
    folded = "".join(unicodedata.normalize("NFKC", text).split()).casefold()
    if match := _WESTERN_YEAR.fullmatch(folded):
        return int(match["year"])
    if match := _ERA.fullmatch(folded):
        return _era_year(match)
    if match := _LABELLED_YEAR.fullmatch(folded):
        year = _era_year(match)
        return year if year == int(match["year"]) else None
    return None


def _era_year(match: re.Match[str]) -> int | None:
    """Return the Western year of an era match such as 「令和元」; None for 「R0」."""
    number = 1 if match["number"] == "元" else int(match["number"])
    if number == 0:
        return None
    return _ERA_OFFSETS[match["era"]] + number


def date_from_text(text: str) -> date | None:
    """Return the date ``text`` names, or None: 「2026/9/1」, 「令和8年9月1日」, 「R8.9.1」."""
    folded = "".join(unicodedata.normalize("NFKC", text).split()).casefold()
    parts = None
    if match := _DATE_WESTERN.fullmatch(folded):
        parts = (int(match["year"]), int(match["month"]), int(match["day"]))
    elif (match := _DATE_ERA.fullmatch(folded)) and (year := _era_year(match)) is not None:
        parts = (year, int(match["month"]), int(match["day"]))
    if parts is None:
        return None
    try:
        return date(*parts)
    except ValueError:
        return None
