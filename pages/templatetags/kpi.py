"""Template filters that show years and rates as the documents print them."""

from __future__ import annotations

from decimal import Decimal

from django import template

from indicators.wording import percent_label
from ise_iga_dx.lib import wareki

register = template.Library()


@register.filter
def fiscal_year_label(value: int | None) -> str:
    """Return 「令和8年度（2026）」 for 2026."""
    if value in (None, ""):
        return ""
    try:
        return wareki.fiscal_year_label(int(value))
    except ValueError:
        return f"{value}年度"


@register.filter
def fiscal_year_short(value: int | None) -> str:
    """Return 「R8」 for 2026."""
    if value in (None, ""):
        return ""
    try:
        return wareki.fiscal_year_short(int(value))
    except ValueError:
        return str(value)


@register.filter
def percent(value: Decimal | None) -> str:
    """Return a rate with one decimal and 「%」, or 「－」."""
    if value in (None, ""):
        return percent_label(None)
    return percent_label(Decimal(value))
