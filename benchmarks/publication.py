"""Benchmark: freezing an edition at national size, and the public pages.

Run by ``make bench`` (or ``python -m benchmarks.publication``) with
DATABASE_URL naming the PostgreSQL database ``benchmarks.pages`` filled
with the national synthetic data (1,741 cities × 40 KGIs × 8 years). It

1. freezes FROZEN synthetic plans, each for its default year, through
   ``editions.services.freeze_edition`` (the snapshot, the three pages,
   the 評価表 and the changes, in one transaction), timing each, and
   counts the queries of one more freeze;
2. publishes the plan in the middle of the data set and measures its
   public pages in process (Django's test client, no login): RUNS
   requests each with the rendered-page cache cleared before every
   request (cold: every request renders) and RUNS with it warm; p50, p95,
   queries and bytes;
3. publishes PUBLISHED plans in all (the public pages and the load run of
   ``benchmarks.load`` read these), timing each publication: it renders
   the publication's pages into the shared cache (public_site.warming);
4. writes ``benchmarks/results/publication-<database>.json``.

Editions and publications stay in the database for ``benchmarks.load``
and ``benchmarks.transfer``; ``remove_synthetic`` removes them with the
plans.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

from benchmarks import common

RUNS = int(os.environ.get("BENCH_RUNS", "40"))
WARMUP = 3
FROZEN = int(os.environ.get("BENCH_FROZEN", "20"))
PUBLISHED = int(os.environ.get("BENCH_PUBLISHED", "50"))
MEETING = "ベンチマーク用の会議"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[index]


def figures(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
    }


def freeze(plan, user):
    from django.utils import timezone

    from editions.services import freeze_edition
    from indicators.selectors import plan_default_year

    now = timezone.now()
    return freeze_edition(
        plan=plan, fiscal_year=plan_default_year(plan=plan), meeting_name=MEETING,
        meeting_date=timezone.localdate(), user=user, now=now,
    )


def public_urls(edition) -> list[tuple[str, str]]:
    from django.urls import reverse

    plan, year = edition.plan, edition.fiscal_year
    municipality = plan.municipality
    kgi = edition.data["kgis"][0]["code"]
    plan_year = {"municipality": municipality.code, "plan": plan.code, "year": year}
    return [
        ("公開 自治体のページ", reverse("public:municipality", args=[municipality.code])),
        ("公開 計画・年度のページ", reverse("public:plan_year", kwargs=plan_year)),
        ("公開 指標のページ", reverse("public:indicator", kwargs={**plan_year, "code": kgi})),
        ("オープンデータ CSV", reverse("public:csv", kwargs={
            **plan_year, "filename": f"{municipality.lg_code}_dx_kgi_{year}"})),
        ("オープンデータ datapackage.json", reverse("public:datapackage", kwargs=plan_year)),
    ]


def measure_public(urls: list[tuple[str, str]]) -> list[dict[str, object]]:
    from django.core.cache import caches

    from public_site.caching import CACHE_ALIAS

    cache = caches[CACHE_ALIAS]
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()

    def get(url: str) -> tuple[float, int]:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return elapsed, len(response.content)

    results = []
    for name, url in urls:
        for _ in range(WARMUP):
            get(url)
        cold = []
        for _ in range(RUNS):
            cache.clear()
            cold.append(get(url)[0])
        cache.clear()
        reset_queries()  # a full log (9,000 entries) would count nothing
        with CaptureQueriesContext(connection) as captured:
            size = get(url)[1]
        # Counted now: the log is read lazily, and each request resets it.
        queries = len(captured)
        warm = [get(url)[0] for _ in range(RUNS)]
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            get(url)
        warm_queries = len(captured)
        results.append({
            "name": name, "url": url, "bytes": size,
            "cold": {**figures(cold), "queries": queries},
            "warm": {**figures(warm), "queries": warm_queries},
        })
        print(f"  {name}: cold p95 {results[-1]['cold']['p95_ms']} ms "
              f"({queries} queries), warm p95 {results[-1]['warm']['p95_ms']} ms",
              file=sys.stderr)
    return results


def main() -> None:
    common.setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from demo.synthetic import synthetic_municipalities
    from editions.models import Publication
    from editions.services import publish_edition
    from plans.models import Plan
    from public_site.warming import paths_of, warm

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # The public pages name their CSS through the manifest (DEBUG off).
    call_command("collectstatic", interactive=False, verbosity=0, stdout=sys.stderr)
    if not synthetic_municipalities().exists():
        raise SystemExit(
            "合成データがありません。先に python -m benchmarks.pages を同じ DATABASE_URL で"
            "実行してください。"
        )
    plans = list(
        Plan.objects.filter(municipality__in=synthetic_municipalities())
        .select_related("municipality").order_by("code")
    )
    middle = plans[len(plans) // 2]
    chosen = [middle, *[plan for plan in plans[:: max(1, len(plans) // PUBLISHED)]
                         if plan.pk != middle.pk]][:PUBLISHED]
    print(f"publication, {connection.vendor}: freezing {len(chosen)} plans", file=sys.stderr)
    times, editions = [], []
    for plan in chosen:
        start = time.perf_counter()
        editions.append(freeze(plan, None))
        times.append((time.perf_counter() - start) * 1000)
    # The first FROZEN are the measured freezes; the rest make the public side.
    measured = times[:FROZEN]
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        extra = freeze(middle, None)
    queries = len(captured)
    first = publish_edition(edition=extra, user=None, with_comments=True, now=timezone.now())
    public_pages = measure_public(public_urls(extra))
    # The cold runs emptied the cache: render the measured publication's pages again.
    warm(first)
    publish_times = []
    for edition in editions[1:]:
        start = time.perf_counter()
        publish_edition(edition=edition, user=None, with_comments=True, now=timezone.now())
        publish_times.append((time.perf_counter() - start) * 1000)
    kgis = len(extra.data["kgis"])
    result = {
        "database": connection.vendor,
        "runs": RUNS,
        "plans": len(plans),
        "freeze": {
            **figures(measured), "count": len(measured), "queries": queries,
            "kgis": kgis,
            "data_bytes": len(json.dumps(extra.data, ensure_ascii=False).encode()),
            "pages_bytes": sum(len(html.encode()) for html in (
                extra.dashboard_html, extra.print_html, extra.sheet_html)),
            "workbook_bytes": len(bytes(extra.workbook)),
        },
        "publish": {**figures(publish_times), "count": len(publish_times), "pages": len(
            paths_of(first))},
        "published": Publication.objects.filter(withdrawn_at__isnull=True).count(),
        "public_pages": public_pages,
    }
    print(f"  freeze of {kgis} KGIs: p50 {result['freeze']['p50_ms']} ms, "
          f"p95 {result['freeze']['p95_ms']} ms, {queries} queries", file=sys.stderr)
    path = common.write_result(f"publication-{connection.vendor}", result)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
