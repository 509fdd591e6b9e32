"""The admin import and the command write a file the same way.

Both read and check a file with :mod:`indicators.imports` and write it with
its bulk writer (``apply_actuals`` / ``apply_targets``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from indicators.imports import apply_actuals, preview_actuals, read_upload
from indicators.models import Actual, Indicator
from tests.indicators.test_imports import xlsx

pytestmark = pytest.mark.django_db


class Undo(Exception):
    """Raised to roll an import back once its outcome is read."""


def outcome_of(run, read):
    """Run an import, return ``read()`` of its outcome, and undo the import."""
    try:
        with transaction.atomic():
            run()
            seen = read()
            raise Undo
    except Undo:
        return seen


# Queries --------------------------------------------------------------------


def actual_rows(count: int) -> list[list]:
    """``count`` rows of the ise-2 plan's KGIs and years, every one a value."""
    codes = sorted(Indicator.objects.filter(plan__code="ise-2").values_list("code", flat=True))
    keys = [(code, year) for year in (2026, 2027, 2028, 2029) for code in codes][:count]
    return [[code, year, f"{n + 1}.5", "部署回答"] for n, (code, year) in enumerate(keys)]


def queries_to_import(rows: list[list], *, changed: int, step) -> int:
    """Return the queries ``step(data)`` counts importing ``rows``; undo the import.

    The first ``changed`` rows' actuals exist already, with another value.
    """
    indicators = {i.code: i for i in Indicator.objects.filter(plan__code="ise-2")}
    counted = []

    def run():
        Actual.objects.bulk_create(
            Actual(indicator=indicators[code], fiscal_year=year, value=Decimal(1))
            for code, year, *_ in rows[:changed]
        )
        counted.append(step(xlsx(rows)))

    def read():
        return Actual.history.filter(history_change_reason="ファイル取込：回答.xlsx").count()

    assert outcome_of(run, read) == len(rows)
    return counted[0]


def writer_queries(data: bytes) -> int:
    """The queries of the command's writer, apply_actuals()."""
    preview = preview_actuals(sheet=read_upload(data, "回答.xlsx"), filename="回答.xlsx")
    with CaptureQueriesContext(connection) as queries:
        apply_actuals(preview)
    return len(queries.captured_queries)


def test_the_writer_takes_as_many_queries_for_50_rows_as_for_5(plans):
    few = queries_to_import(actual_rows(5), changed=2, step=writer_queries)
    many = queries_to_import(actual_rows(50), changed=20, step=writer_queries)
    assert few == many
