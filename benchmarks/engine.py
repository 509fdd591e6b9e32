"""Benchmark: the achievement engine alone, in indicator-years evaluated per second.

Run by ``make bench`` (or ``python -m benchmarks.engine``) against the
database DATABASE_URL names, after ``benchmarks.pages`` has loaded the
national data set there. Every indicator-year with a target (about
560,000: each KGI's plan years, the actual where there is one) is read
into memory first; then only ``indicators.achievement`` runs: evaluate
the year, derive its status mark, and count the plan's results
(``rollup``), as every page, export and the API do. Best of RUNS passes.
Without synthetic data (a bare database) it evaluates the real plans'
indicator-years, repeated to the same order of size.

Writes ``benchmarks/results/engine.json``: indicator_years, seconds
(fastest pass), per_second, and the evaluations by result.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from benchmarks.common import setup_django, write_result

RUNS = 3


def inputs() -> list[tuple]:
    """Return (kind, target, state, actual, baseline) for every indicator-year with a target."""
    from indicators import achievement
    from indicators.models import Actual, Target

    actuals = {
        (indicator, year): (state, value)
        for indicator, year, state, value in Actual.objects.values_list(
            "indicator_id", "fiscal_year", "state", "value").iterator(chunk_size=20_000)
    }
    rows = []
    for indicator, year, value, kind, baseline in Target.objects.values_list(
        "indicator_id", "fiscal_year", "value", "indicator__kind", "indicator__baseline"
    ).iterator(chunk_size=20_000):
        state, actual = actuals.get((indicator, year), (None, None))
        rows.append((
            achievement.Kind(kind), value,
            achievement.ActualState(state) if state else None, actual, baseline,
        ))
    return rows


def evaluate_all(rows: list[tuple]) -> Counter:
    from indicators import achievement

    evaluations = []
    for kind, target, state, actual, baseline in rows:
        result = achievement.evaluate(
            kind=kind, target=target, state=state, actual=actual, baseline=baseline)
        achievement.status_of(result)
        evaluations.append(result.evaluation)
    counts = achievement.rollup(evaluations)
    return Counter({
        "achieved": counts.achieved, "not_achieved": counts.not_achieved,
        "pending": counts.pending, "not_measured": counts.not_measured,
    })


def main() -> None:
    setup_django()
    from django.db import connection

    started = time.perf_counter()
    rows = inputs()
    source = "national"
    if len(rows) < 100_000:
        # A bare database: the real plans, repeated.
        source = "real plans repeated"
        rows = rows * (500_000 // max(len(rows), 1) + 1)
    loaded = time.perf_counter() - started
    best, counts = float("inf"), Counter()
    for _ in range(RUNS):
        started = time.perf_counter()
        counts = evaluate_all(rows)
        best = min(best, time.perf_counter() - started)
    result = {
        "database": connection.vendor,
        "source": source,
        "indicator_years": len(rows),
        "seconds": round(best, 2),
        "per_second": round(len(rows) / best),
        "load_seconds": round(loaded, 1),
        "evaluations": dict(counts),
        "runs": RUNS,
    }
    write_result("engine", result)
    print(f"engine: {len(rows):,} indicator-years in {best:.2f} s, "
          f"{result['per_second']:,}/s", file=sys.stderr)


if __name__ == "__main__":
    main()
