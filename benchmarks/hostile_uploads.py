"""Benchmark: refusing hostile uploads, and the admin import of a full file (issue 12).

Run by ``make bench`` (or ``python -m benchmarks.hostile_uploads``), on
SQLite by default and on the database DATABASE_URL names otherwise.

- Each hostile file of ``tests/spreadsheets/hostile_files.py`` (zip bombs,
  a lying zip directory, a million blank rows, a row a million rows down,
  a 16,384-column row, a styles bomb, entity expansion, a million empty
  CSV lines, a CSV line of two million commas), built at up to 5 MB, is
  read by ``spreadsheets.reading.read_sheet`` in a fresh Python, as the
  tests do: the time to its refusal and how far the process's peak
  memory grew over its own baseline, fastest time and largest growth of
  RUNS reads. The goal: every refusal within 2 s and 100 MB.
- The largest files the limits let through (one at each limit), read the
  same way: what a file crafted to pass every check can still cost.
- The admin import of a valid file of 20,000 actual rows (5,000 synthetic
  KGIs × R8–R11, the upload's row limit) through Django's test client in
  process, as ``benchmarks.import_actuals`` does it: the preview step
  (upload, read, check, render) and the confirm step (check again, write
  every row and its history row), fastest of RUNS.

Prints one JSON line and writes it to
``benchmarks/results/hostile-<database>.json``.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

from benchmarks.common import log, write_result
from benchmarks.import_actuals import (
    YEARS,
    admin_client,
    collected_static,
    department_file,
    setup_django_and_migrate,
    synthetic_plan,
)

RUNS = 3
UPLOAD = 5 * 1000 * 1000
INDICATORS = 5_000  # × 4 years = 20,000 rows
REFUSE_GOAL_S = 2.0
MEMORY_GOAL_BYTES = 100 * 1024 * 1024


def mib(size: int) -> float:
    return round(size / 1024 / 1024, 1)


def hostile_files() -> list[dict]:
    """Read each hostile file RUNS times in a fresh Python; return its figures."""
    from tests.spreadsheets.hostile_files import HOSTILE_FILES, measure_read

    results = []
    for name, (build, filename, expected) in HOSTILE_FILES.items():
        data = build(UPLOAD)
        runs = [measure_read(data, filename) for _ in range(RUNS)]
        message = runs[0].message or ""
        assert message.startswith(expected), (name, message)
        results.append({
            "name": name,
            "file_bytes": len(data),
            "seconds": round(min(run.seconds for run in runs), 4),
            "growth_mib": mib(max(run.growth_bytes for run in runs)),
            "message": message,
        })
        log(f"{name}: {results[-1]['seconds']} s, +{results[-1]['growth_mib']} MiB")
    return results


def limit_files() -> list[dict]:
    """Read the largest files the limits let through; return their figures."""
    from tests.spreadsheets.hostile_files import LIMIT_FILES, measure_read

    results = []
    for name, build in LIMIT_FILES.items():
        data = build()
        runs = [measure_read(data, "limit.xlsx") for _ in range(RUNS)]
        assert runs[0].message is None, (name, runs[0].message)
        results.append({
            "name": name,
            "file_bytes": len(data),
            "seconds": round(min(run.seconds for run in runs), 4),
            "growth_mib": mib(max(run.growth_bytes for run in runs)),
        })
        log(f"{name}: {results[-1]['seconds']} s, +{results[-1]['growth_mib']} MiB")
    return results


def admin_import(directory: Path) -> dict:
    """Time the admin's preview and confirm of a valid 20,000-row file."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from indicators.models import Actual

    synthetic_plan(INDICATORS)
    data = department_file(INDICATORS)
    rows = INDICATORS * len(YEARS)
    assert rows == settings.KPI_IMPORT_MAX_ROWS, rows
    assert len(data) <= settings.KPI_IMPORT_MAX_BYTES, len(data)
    collected_static(directory)
    changing = department_file(INDICATORS, offset=1)
    client = admin_client()
    written = Actual.objects.filter(indicator__plan__code="bench-1")

    def steps(file: bytes) -> tuple[float, float]:
        """Upload ``file`` and confirm it: the two steps' seconds."""
        upload = {"import_file": SimpleUploadedFile("bench.xlsx", file),
                  "format": "0", "resource": "0"}
        start = time.perf_counter()
        response = client.post(reverse("admin:indicators_actual_import"), upload)
        preview = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        confirm_form = response.context_data.get("confirm_form")
        assert confirm_form is not None, response.content.decode()[:3000]
        confirm = dict(confirm_form.initial)
        del response, confirm_form
        start = time.perf_counter()
        response = client.post(reverse("admin:indicators_actual_process_import"), confirm)
        assert response.status_code == 302, response.status_code
        return preview, time.perf_counter() - start

    new, changed = [], []
    for _ in range(RUNS):
        written.delete()
        new.append(steps(data))
        assert written.count() == rows
        # The same rows again, every value different: each row changes a stored actual.
        changed.append(steps(changing))
        assert written.filter(version=2).count() == rows
    log(f"admin import of {rows:,} new rows: preview {min(p for p, _ in new):.2f} s, "
        f"confirm {min(c for _, c in new):.2f} s; changing {rows:,} stored rows: preview "
        f"{min(p for p, _ in changed):.2f} s, confirm {min(c for _, c in changed):.2f} s")
    return {
        "rows": rows,
        "file_bytes": len(data),
        "preview_s": round(min(p for p, _ in new), 3),
        "confirm_s": round(min(c for _, c in new), 3),
        "both_s": round(min(p + c for p, c in new), 3),
        "changed_preview_s": round(min(p for p, _ in changed), 3),
        "changed_confirm_s": round(min(c for _, c in changed), 3),
        "changed_both_s": round(min(p + c for p, c in changed), 3),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        setup_django_and_migrate(Path(directory))
        from django.db import connection

        hostile = hostile_files()
        limits = limit_files()
        admin = admin_import(Path(directory))
        slowest = max(hostile, key=lambda item: item["seconds"])
        largest = max(hostile, key=lambda item: item["growth_mib"])
        result = {
            "benchmark": "hostile_uploads",
            "database": connection.vendor,
            "runs": RUNS,
            "hostile": hostile,
            "slowest_refusal": slowest["name"],
            "largest_growth": largest["name"],
            "refuse_goal_s": REFUSE_GOAL_S,
            "memory_goal_mib": mib(MEMORY_GOAL_BYTES),
            "goal_met": (slowest["seconds"] <= REFUSE_GOAL_S
                         and largest["growth_mib"] <= mib(MEMORY_GOAL_BYTES)),
            "limits": limits,
            "admin": admin,
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        }
        write_result(f"hostile-{connection.vendor}", result)
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
