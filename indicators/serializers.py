"""The JSON contract of a plan's status for one fiscal year.

``manage.py kpi_status --format json`` and ``/api/v1/plans/<code>/status``
both write :func:`status_json`, so the command line and the API give the
same document byte for byte. Numbers are decimal strings (or null) with
the decimals their user typed; ``evaluation`` carries the state,
``evaluation_text`` the words the print page shows and ``confirmed``
whether the actual is 確定 (true), 速報 (false) or missing (null). Every
key is described in docs/api.md.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decimal import Decimal

    from indicators.evaluation import IndicatorYear
    from plans.models import Plan


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def confirmed_json(row: IndicatorYear) -> bool | None:
    """Return true for a confirmed (確定) actual, false for 速報, null without one."""
    return None if row.actual is None else row.actual.confirmed


def row_json(row: IndicatorYear) -> dict[str, Any]:
    """Return one indicator-year: the ten keys of the contract, ``confirmed``
    and ``evaluation_text`` (docs/api.md)."""
    indicator = row.indicator
    return {
        "code": indicator.code,
        "name": indicator.item,
        "unit": indicator.unit,
        "kind": indicator.kind,
        "accumulation": indicator.accumulation,
        "baseline": decimal_text(indicator.baseline_as_entered),
        "target": decimal_text(row.target.value_as_entered if row.target else None),
        "actual": decimal_text(row.actual.value_as_entered if row.actual else None),
        "evaluation": row.result.evaluation.value,
        "rate": row.shown_rate,
        "confirmed": confirmed_json(row),
        # The words the print page and the table show (indicators.wording).
        "evaluation_text": row.evaluation_label,
    }


def status_document(
    *, plan: Plan, fiscal_year: int, rows: list[IndicatorYear]
) -> dict[str, Any]:
    return {
        "plan": plan.code,
        "fiscal_year": fiscal_year,
        "indicators": [row_json(row) for row in rows],
    }


def status_json(*, plan: Plan, fiscal_year: int, rows: list[IndicatorYear]) -> str:
    """Return the document as deterministic text: sorted keys, two-space indent."""
    document = status_document(plan=plan, fiscal_year=fiscal_year, rows=rows)
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2)
