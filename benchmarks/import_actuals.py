"""Benchmark: importing 10,000 actual rows against openpyxl reading the file.

Run by ``make bench`` (or ``python -m benchmarks.import_actuals``).
It builds a throw-away database (SQLite by default, the one DATABASE_URL
names otherwise) holding a clearly synthetic plan of 2,500 KGIs, writes an
.xlsx of 10,000 actuals (2,500 KGIs × 4 years) the way a department fills
the entry sheet, and times, best of several runs:

- openpyxl alone reading the file in read-only mode (the floor), and
- the whole import: read, check every row, write every row in one
  transaction (what ``import_actuals`` does).

The goal is at most 3× the openpyxl time. Each import run is timed right
after an openpyxl run and the ratio is taken per pair: this machine's
speed drifts by half from minute to minute, and a pair sees the same
drift. Prints one JSON line with the median ratio and the fastest times,
and writes it to ``benchmarks/results/import-<database>.json``.
"""

from __future__ import annotations

import io
import json
import os
import platform
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from benchmarks.common import setup_django, write_result

ROWS = 10_000
YEARS = (2026, 2027, 2028, 2029)
RUNS = 7


def setup_django_and_migrate(database_dir: Path) -> None:
    setup_django(database_dir)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def synthetic_plan(indicators: int) -> None:
    from indicators.models import Indicator, Target
    from plans.models import BasicPolicy, Measure, Municipality, Plan

    municipality, _ = Municipality.objects.get_or_create(code="bench", name="ベンチマーク市（合成）")
    plan, _ = Plan.objects.get_or_create(
        code="bench-1", defaults={"municipality": municipality, "name": "合成データ計画",
                                  "start_year": 2026, "end_year": 2029},
    )
    policy, _ = BasicPolicy.objects.get_or_create(plan=plan, number=1,
                                                  defaults={"label": "I", "title": "合成"})
    measure, _ = Measure.objects.get_or_create(policy=policy, number=1,
                                               defaults={"title": "合成施策"})
    if Indicator.objects.filter(plan=plan).count() == indicators:
        return
    Indicator.objects.bulk_create(
        Indicator(plan=plan, measure=measure, code=f"BENCH-{n:05d}", position=n,
                  item=f"合成指標{n}", unit="件", baseline=Decimal(100))
        for n in range(indicators)
    )
    Target.objects.bulk_create(
        Target(indicator=indicator, fiscal_year=year, value=Decimal(120))
        for indicator in Indicator.objects.filter(plan=plan) for year in YEARS
    )


def department_file(indicators: int) -> bytes:
    """Return an .xlsx typed the way departments type: numbers, %, notes."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["指標コード", "年度", "実績値", "備考"])
    for n in range(indicators):
        for year in YEARS:
            value: object = 100 + (n * 7 + year) % 50 + 0.5
            sheet.append([f"BENCH-{n:05d}", f"R{year - 2018}", value, "部署回答"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def paired(floor, function, *, before=None, runs: int = RUNS) -> tuple[float, float, float]:
    """Return (fastest floor, fastest function, median ratio) over paired runs."""
    floors, times = [], []
    for _ in range(runs):
        if before:
            before()
        floors.append(timed(floor))
        times.append(timed(function))
    ratios = sorted(t / f for t, f in zip(times, floors))
    return min(floors), min(times), ratios[len(ratios) // 2]


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        setup_django_and_migrate(Path(directory))
        import openpyxl
        from django.conf import settings
        from django.db import connection

        from indicators.models import Actual
        from spreadsheets.actuals import preview_actuals
        from spreadsheets.rows import Action, read_upload
        from spreadsheets.writer import apply_actuals

        indicators = ROWS // len(YEARS)
        synthetic_plan(indicators)
        data = department_file(indicators)
        settings.KPI_IMPORT_MAX_BYTES = max(settings.KPI_IMPORT_MAX_BYTES, len(data))

        def openpyxl_alone() -> None:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            for _row in workbook.worksheets[0].iter_rows(values_only=True):
                pass
            workbook.close()

        counts = {}

        def whole_import() -> None:
            preview = preview_actuals(sheet=read_upload(data, "bench.xlsx"))
            assert preview.ok, preview.errors[:3]
            counts.update(apply_actuals(preview))

        def clear() -> None:
            Actual.objects.filter(indicator__plan__code="bench-1").delete()

        floor, new, ratio_new = paired(openpyxl_alone, whole_import, before=clear)
        assert counts[Action.NEW] == ROWS, counts
        _, unchanged, ratio_unchanged = paired(openpyxl_alone, whole_import)
        assert counts[Action.UNCHANGED] == ROWS, counts
        result = {
            "benchmark": "import_actuals",
            "rows": ROWS,
            "database": connection.vendor,
            "file_bytes": len(data),
            "openpyxl_read_only_s": round(floor, 3),
            "import_new_rows_s": round(new, 3),
            "import_unchanged_rows_s": round(unchanged, 3),
            "ratio_new_median": round(ratio_new, 2),
            "ratio_unchanged_median": round(ratio_unchanged, 2),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        }
        write_result(f"import-{connection.vendor}", result)
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
