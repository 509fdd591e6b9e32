"""Published editions of the shipped plans, and every public URL of a plan-year."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from editions.models import Publication
from editions.services import freeze_edition, publish_edition
from indicators.models import Actual, Indicator, Outlook
from plans.models import Plan

TOKYO = ZoneInfo("Asia/Tokyo")
MEETING = "令和8年6月10日 第1回 伊勢市デジタル推進本部員会議"
MEETING_DAY = date(2026, 6, 10)
PUBLISHED = datetime(2026, 7, 31, 10, 0, tzinfo=TOKYO)
ISE1_YEAR = "/public/ise/ise-1/2025/"


def publish(code: str, year: int, *, with_comments: bool = False,
            when: datetime = PUBLISHED, meeting: str = MEETING) -> Publication:
    edition = freeze_edition(
        plan=Plan.objects.get(code=code), fiscal_year=year, meeting_name=meeting,
        meeting_date=MEETING_DAY, user=None, now=when,
    )
    return publish_edition(edition=edition, user=None, with_comments=with_comments, now=when)


def year_urls(municipality: str, plan: str, year: int, lg_code: str) -> list[str]:
    """Every public URL of one plan-year: the page, each KGI's and the three downloads."""
    base = f"/public/{municipality}/{plan}/{year}/"
    codes = Indicator.objects.filter(plan__code=plan).order_by("position").values_list(
        "code", flat=True
    )
    return [
        base, *(f"{base}{code}/" for code in codes),
        f"{base}{lg_code}_dx_kgi_{year}.csv", f"{base}{lg_code}_dx_kgi_{year}.json",
        f"{base}datapackage.json",
    ]


def city_urls(municipality: str, plan: str, years: range, lg_code: str) -> list[str]:
    return [
        f"/public/{municipality}/", f"/public/{municipality}/{plan}/",
        *(url for year in years for url in year_urls(municipality, plan, year, lg_code)),
    ]


@pytest.fixture
def ise1_published(plans) -> Publication:
    """ise-1 2025 (20 KGIs, every R7 actual confirmed) as published on 令和8年7月31日."""
    return publish("ise-1", 2025)


@pytest.fixture
def ise2_published(ise1_published) -> Publication:
    """ise-2 2026 published too, with ISE2-13's R8 actual (170件) confirmed.

    ISE2-14 has a 速報 (unconfirmed) actual and ISE2-01 only an outlook:
    neither may show.
    """
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-13"), fiscal_year=2026,
        value=Decimal("170"), confirmed=True,
    )
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-14"), fiscal_year=2026,
        value=Decimal("86.5"), value_places=1, confirmed=False,
    )
    Outlook.objects.create(
        indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026, value=Decimal("17"),
    )
    return publish("ise-2", 2026, meeting="令和9年6月9日 第1回 伊勢市デジタル推進本部員会議")
