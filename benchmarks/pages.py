"""Benchmark: server time and SQL queries of the pages, small and national size.

Run by ``make bench`` (or ``python -m benchmarks.pages``) against the
database DATABASE_URL names (a throw-away SQLite file by default). It

1. migrates, loads the two real plans (``seed_plans``) and measures each
   page at 1 plan × 16 KGIs (Ise's 第2期, the real data);
2. times ``generate_synthetic --municipalities 1741 --indicators 40
   --years 8`` (about 560,000 actuals) and measures the same pages for a
   synthetic plan at national size;
3. writes the figures to ``benchmarks/results/pages-<database>.json``
   (``benchmarks.report`` turns them into docs/performance.md).

Server time is the time Django takes to answer a request in process
(Django's test client: every middleware, the view, the template), as
the system administrator, the login that sees every plan. Each page is
requested a few times to warm up, then RUNS times; p50 and p95 are over
those runs. The query count is of one more request.

Each page's time is also given as a ratio to the admin change list a
user would otherwise open for the same data (the ``reference`` of each
page below), measured in the same run: the pages and the admin list run
alternately, so both see the same drift of this machine's speed.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import common

RUNS = int(os.environ.get("BENCH_RUNS", "40"))
WARMUP = 3
NATIONAL = {"municipalities": 1741, "indicators": 40, "years": 8}


@dataclass(frozen=True)
class Page:
    """A page to measure and the admin list of the same data."""

    name: str
    url: str
    reference: str


@dataclass(frozen=True)
class Measured:
    name: str
    url: str
    reference: str
    p50_ms: float
    p95_ms: float
    queries: int
    bytes: int
    reference_p50_ms: float
    ratio: float


def setup_django(directory: Path) -> None:
    common.setup_django(directory)
    from django.conf import settings

    # The test client talks to "testserver"; a production-like
    # configuration still answers it.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[index]


def pages_for(
    *, plan: str, indicator: str, plan_id: int, indicator_id: int, year: int
) -> list[Page]:
    actuals = "/admin/indicators/actual/"
    return [
        Page("ホーム", "/", "/admin/plans/plan/"),
        Page(
            "ダッシュボード", f"/plans/{plan}/", f"{actuals}?indicator__plan__id__exact={plan_id}"
        ),
        Page("指標のページ", f"/indicators/{indicator}/",
             f"{actuals}?indicator__id__exact={indicator_id}"),
        Page("印刷用ページ", f"/plans/{plan}/print/",
             f"{actuals}?indicator__plan__id__exact={plan_id}"),
        Page("JSON API", f"/api/v1/plans/{plan}/status?year={year}",
             f"{actuals}?indicator__plan__id__exact={plan_id}"),
        Page("管理画面 実績値一覧", actuals, actuals),
    ]


def measure(client, pages: list[Page]) -> list[Measured]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get(url: str) -> tuple[float, int]:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return elapsed * 1000, len(response.content)

    results = []
    for page in pages:
        for _ in range(WARMUP):
            get(page.url)
            get(page.reference)
        times, references = [], []
        for _ in range(RUNS):
            elapsed, size = get(page.url)
            times.append(elapsed)
            references.append(get(page.reference)[0])
        with CaptureQueriesContext(connection) as queries:
            get(page.url)
        p50 = statistics.median(times)
        reference_p50 = statistics.median(references)
        results.append(Measured(
            name=page.name, url=page.url, reference=page.reference,
            p50_ms=round(p50, 1), p95_ms=round(percentile(times, 0.95), 1),
            queries=len(queries), bytes=size,
            reference_p50_ms=round(reference_p50, 1), ratio=round(p50 / reference_p50, 2),
        ))
        print(f"  {page.name}: p50 {p50:.1f} ms, p95 {results[-1].p95_ms} ms, "
              f"{len(queries)} queries, ratio {results[-1].ratio}", file=sys.stderr)
    return results


def system_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-system", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


def server_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        setup_django(Path(directory))
        from django.core.management import call_command
        from django.db import connection

        from demo.synthetic import synthetic_generate, synthetic_municipalities
        from indicators.models import Indicator
        from indicators.selectors import plan_default_year
        from plans.models import Plan

        call_command("migrate", verbosity=0)
        call_command("seed_plans", verbosity=0)
        client = system_client()
        result: dict[str, object] = {
            "database": connection.vendor, "server": server_version(), "runs": RUNS,
        }

        if synthetic_municipalities().exists():
            raise SystemExit(
                "合成データが既にあるデータベースでは測れません（remove_synthetic で削除）。"
            )
        ise = Plan.objects.get(code="ise-2")
        first = Indicator.objects.get(code="ISE2-01")
        print(f"pages, {connection.vendor}, small (ise-2)", file=sys.stderr)
        result["small"] = {
            "plans": Plan.objects.count(),
            "indicators": Indicator.objects.filter(plan=ise).count(),
            "pages": [asdict(m) for m in measure(client, pages_for(
                plan=ise.code, indicator=first.code, plan_id=ise.pk, indicator_id=first.pk,
                year=plan_default_year(plan=ise)))],
        }

        print(f"generating national data on {connection.vendor}", file=sys.stderr)
        started = time.perf_counter()
        counts = synthetic_generate(**NATIONAL)
        result["generate_s"] = round(time.perf_counter() - started, 1)
        result["generated"] = counts
        # A plan in the middle of the data set, and its first KGI.
        plan = Plan.objects.filter(municipality__in=synthetic_municipalities()).order_by(
            "code")[NATIONAL["municipalities"] // 2]
        indicator = Indicator.objects.filter(plan=plan).order_by("position").first()
        print(f"pages, {connection.vendor}, national ({plan.code})", file=sys.stderr)
        result["national"] = {
            "plans": Plan.objects.count(),
            "indicators": Indicator.objects.filter(plan=plan).count(),
            "pages": [asdict(m) for m in measure(client, pages_for(
                plan=plan.code, indicator=indicator.code, plan_id=plan.pk,
                indicator_id=indicator.pk, year=plan_default_year(plan=plan)))],
        }
        path = common.write_result(f"pages-{connection.vendor}", result)
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
