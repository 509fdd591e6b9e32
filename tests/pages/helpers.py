"""What the page tests share: the visible text of a page, synthetic KGIs."""

from __future__ import annotations

import html
import re
from decimal import Decimal

from indicators.models import Actual, Indicator, Target
from plans.models import Measure, Plan


def visible_text(response) -> str:
    """Return the page's text with tags removed and whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"(?s)<head>.*?</head>", " ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


def section(text: str, start: str, end: str | None = None) -> str:
    """Return the part of ``text`` from ``start`` up to ``end``."""
    begin = text.index(start)
    if end is None:
        return text[begin:]
    return text[begin:text.index(end, begin + len(start))]


def add_synthetic_kgis(*, plan_code: str, count: int) -> list[Indicator]:
    """Add ``count`` increase KGIs to a plan, each with targets and an actual."""
    plan = Plan.objects.get(code=plan_code)
    measures = list(Measure.objects.filter(policy__plan=plan).order_by("pk"))
    start = Indicator.objects.filter(plan=plan).count() + 1
    indicators = Indicator.objects.bulk_create(
        Indicator(
            plan=plan,
            measure=measures[number % len(measures)],
            code=f"SYN-{number:03d}",
            position=start + number,
            item=f"合成指標{number}",
            unit="件",
            baseline=Decimal(10),
            baseline_year=plan.baseline_year,
        )
        for number in range(count)
    )
    Target.objects.bulk_create(
        Target(indicator=indicator, fiscal_year=year, value=Decimal(20 + year - plan.start_year))
        for indicator in indicators
        for year in plan.fiscal_years
    )
    Actual.objects.bulk_create(
        Actual(indicator=indicator, fiscal_year=plan.start_year, value=Decimal(number % 30))
        for number, indicator in enumerate(indicators)
    )
    return indicators
