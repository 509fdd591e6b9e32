"""Benchmark: server time and SQL queries of the pages, small and national size.

Run by ``make bench`` (or ``python -m benchmarks.pages``) against the
database DATABASE_URL names (a throw-away SQLite file by default). It

1. migrates, loads the two real plans (``seed_plans``), opens ise-2's
   実績報告 on the demo's owners (``create_demo_user``'s デジタル政策課 and
   戸籍住民課, through ``reporting.services.round_open``) and measures each
   page at 1 plan × 16 KGIs (Ise's 第2期, the real data);
2. times ``generate_synthetic --municipalities 1741 --indicators 40
   --years 8`` (about 560,000 actuals), then the rounds of
   :mod:`benchmarks.rounds` (20 departments a city, a round per plan, its
   submissions and comments), and measures the same pages for a
   synthetic plan at national size;
3. writes the figures to ``benchmarks/results/pages-<database>.json``
   (``benchmarks.report`` turns them into docs/performance.md).

Server time is the time Django takes to answer a request in process
(Django's test client: every middleware, the view, the template), as
the system administrator, the login that sees every plan; the round's
department page (GET, and the save of every KGI on it) as a 所管課 login
of the department that owns the most KGIs. Each page is requested a few
times to warm up, then RUNS times; p50 and p95 are over those runs. The
query count is of one more request.

The save posts the whole page, every KGI's value and three comments,
as the page's form carries them (the versions it showed). Each POST
swaps every KGI's comments between two texts, so every one of them
changes a stored actual and the data does not drift from run to run.

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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import common

RUNS = int(os.environ.get("BENCH_RUNS", "40"))
WARMUP = 3
NATIONAL = {"municipalities": 1741, "indicators": 40, "years": 8}
SYSTEM = "system"
DEPARTMENT = "department"
# The demo's round on the real plan (tests/reporting/conftest.py's owners).
SMALL_PLAN = "ise-2"
SMALL_DEPARTMENT = "デジタル政策課"
DEADLINE_DAYS = 30
FORM_ENCODED = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Page:
    """A page to measure and the admin list of the same data.

    ``login`` names the client that requests it; ``form``, when given,
    makes the request a POST of the data it returns (built before each
    request, outside the timing), answered by a redirect.
    """

    name: str
    url: str
    reference: str
    login: str = SYSTEM
    form: Callable[[], dict[str, str]] | None = None


@dataclass(frozen=True)
class Measured:
    name: str
    url: str
    reference: str
    login: str
    method: str
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


def round_pages(*, submission, plan_id: int) -> list[Page]:
    """The round's pages: the board, the department's page and its save, the sheet."""
    round_ = submission.round
    plan = round_.plan
    actuals = f"/admin/indicators/actual/?indicator__plan__id__exact={plan_id}"
    page = f"/reporting/submissions/{submission.pk}/"
    return [
        Page("実績報告 ボード", f"/reporting/rounds/{round_.pk}/", actuals),
        Page("実績報告 入力ページ", page, actuals, login=DEPARTMENT),
        Page("実績報告 入力ページの保存", page, actuals, login=DEPARTMENT,
             form=save_form(submission.pk)),
        Page("進捗管理シート", f"/plans/{plan.code}/print/{round_.fiscal_year}/sheet/", actuals),
    ]


def save_form(submission_pk: int) -> Callable[[], dict[str, str]]:
    """Return what builds the department page's POST, as its form carries it.

    Every KGI the page shows: its stored value as staff type it (a value
    where none is stored yet), its reason, three comments, and the
    versions the page showed. Each call swaps the comments between two
    texts, so every KGI changes and the data stays the same after an
    even number of saves.
    """
    from indicators import wording
    from indicators.models import ActualState, Kind
    from reporting import entry_page
    from reporting.models import Submission
    from reporting.services import result_model

    calls = [0]

    def form() -> dict[str, str]:
        calls[0] += 1
        mark = "（一）" if calls[0] % 2 else "（二）"
        submission = Submission.objects.select_related("round").get(pk=submission_pk)
        round_ = submission.round
        indicators = list(entry_page.asked_indicators(submission))
        stored = {
            row.indicator_id: row for row in result_model(round_).objects.filter(
                indicator__in=indicators, fiscal_year=round_.fiscal_year)
        }
        data = {"version": str(submission.version)}
        for indicator in indicators:
            row = stored.get(indicator.pk)
            pk = indicator.pk
            if row is None:
                value = wording.DONE if indicator.kind == Kind.MILESTONE else "1"
            else:
                value = wording.entry_text(row.state, row.value, row.value_places)
            reason = row.not_measured_reason if row is not None else ""
            if row is not None and row.state == ActualState.NOT_MEASURED and not reason:
                reason = "合成データ：計測していません。"
            data.update({
                f"value-{pk}": value,
                f"reason-{pk}": reason,
                f"progress-{pk}": f"窓口での案内を見直しました{mark}",
                f"analysis-{pk}": f"周知の回数を増やしたことによると考えます{mark}",
                f"direction-{pk}": f"来年度は対象を全地区に広げます{mark}",
                f"seen-{pk}": "" if row is None else str(row.version),
            })
        return data

    return form


def department_client(*, department, username: str):
    """Return a client logged in as a 所管課 login of ``department``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from accounts.groups import ensure_role_groups
    from accounts.models import Affiliation
    from accounts.roles import Role

    ensure_role_groups()
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=Role.DEPARTMENT.value))
    affiliation, _ = Affiliation.objects.get_or_create(
        user=user, defaults={"municipality_id": department.municipality_id})
    affiliation.departments.add(department)
    client = Client()
    client.force_login(user)
    return client


def owner_of_most(round_):
    """Return the submission of the department owning the most KGIs of ``round_``."""
    from django.db.models import Count, Q

    return (
        round_.submissions.select_related("department", "round__plan")
        .annotate(kgis=Count("department__measures__indicators", distinct=True,
                             filter=Q(department__measures__policy__plan=round_.plan_id)))
        .order_by("-kgis", "pk").first()
    )


def small_round(user):
    """Open ise-2's round of its default year on the demo's owners; return its submission."""
    from datetime import timedelta

    from django.utils import timezone

    from demo.management.commands.create_demo_user import give_demo_owners
    from indicators.selectors import plan_default_year
    from plans.models import Plan
    from reporting import services

    plan = Plan.objects.get(code=SMALL_PLAN)
    give_demo_owners()
    round_ = services.round_open(
        plan=plan, fiscal_year=plan_default_year(plan=plan), user=user,
        deadline=timezone.localdate() + timedelta(days=DEADLINE_DAYS),
    )
    return owner_of_most(round_)


def measure(
    clients: dict[str, object], pages: list[Page], *, runs: int = RUNS, warmup: int = WARMUP
) -> list[Measured]:
    """Measure each of ``pages``, alternately with its admin list (as the system login)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get(url: str, login: str = SYSTEM) -> tuple[float, int]:
        client = clients[login]
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return elapsed * 1000, len(response.content)

    def post(page: Page) -> tuple[float, int]:
        client = clients[page.login]
        # As a browser sends the page's form (no file field: urlencoded).
        data = urlencode(page.form())
        start = time.perf_counter()
        response = client.post(page.url, data, content_type=FORM_ENCODED)
        elapsed = time.perf_counter() - start
        # A refused save shows the page again (200) with its reasons.
        if response.status_code != 302:
            raise SystemExit(f"POST {page.url}: HTTP {response.status_code}, not saved")
        # The 「保存しました」 message would pile up in the cookie unread.
        client.cookies.pop("messages", None)
        return elapsed * 1000, len(response.content)

    def request(page: Page) -> tuple[float, int]:
        return post(page) if page.form else get(page.url, page.login)

    results = []
    for page in pages:
        for _ in range(warmup):
            request(page)
            get(page.reference)
        times, references = [], []
        for _ in range(runs):
            elapsed, size = request(page)
            times.append(elapsed)
            references.append(get(page.reference)[0])
        with CaptureQueriesContext(connection) as queries:
            request(page)
        p50 = statistics.median(times)
        reference_p50 = statistics.median(references)
        results.append(Measured(
            name=page.name, url=page.url, reference=page.reference, login=page.login,
            method="POST" if page.form else "GET",
            p50_ms=round(p50, 1), p95_ms=round(percentile(times, 0.95), 1),
            queries=len(queries), bytes=size,
            reference_p50_ms=round(reference_p50, 1), ratio=round(p50 / reference_p50, 2),
        ))
        print(f"  {page.name}: p50 {p50:.1f} ms, p95 {results[-1].p95_ms} ms, "
              f"{len(queries)} queries, ratio {results[-1].ratio}", file=sys.stderr)
    return results


def system_user():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-system", defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def client_of(user):
    from django.test import Client

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

        from benchmarks.rounds import rounds_generate
        from demo.synthetic import synthetic_generate, synthetic_municipalities
        from indicators.models import Indicator
        from indicators.selectors import plan_default_year
        from plans.models import Plan
        from reporting.models import Round

        call_command("migrate", verbosity=0)
        call_command("seed_plans", verbosity=0)
        system = system_user()
        clients = {SYSTEM: client_of(system)}
        result: dict[str, object] = {
            "database": connection.vendor, "server": server_version(), "runs": RUNS,
        }

        if synthetic_municipalities().exists():
            raise SystemExit(
                "合成データが既にあるデータベースでは測れません（remove_synthetic で削除）。"
            )
        ise = Plan.objects.get(code=SMALL_PLAN)
        first = Indicator.objects.get(code="ISE2-01")
        submission = small_round(system)
        clients[DEPARTMENT] = department_client(department=submission.department,
                                                username="bench-dept-ise")
        print(f"pages, {connection.vendor}, small ({SMALL_PLAN})", file=sys.stderr)
        result["small"] = {
            "plans": Plan.objects.count(),
            "indicators": Indicator.objects.filter(plan=ise).count(),
            "round": round_summary(submission),
            "pages": [asdict(m) for m in measure(clients, [
                *pages_for(plan=ise.code, indicator=first.code, plan_id=ise.pk,
                           indicator_id=first.pk, year=plan_default_year(plan=ise)),
                *round_pages(submission=submission, plan_id=ise.pk),
            ])],
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
        print(f"generating the rounds on {connection.vendor}", file=sys.stderr)
        started = time.perf_counter()
        result["rounds_generated"] = rounds_generate(
            user=system, editable={plan.pk}, progress=common.log)
        result["rounds_s"] = round(time.perf_counter() - started, 1)
        submission = owner_of_most(Round.objects.get(plan=plan))
        clients[DEPARTMENT] = department_client(department=submission.department,
                                                username="bench-dept-national")
        print(f"pages, {connection.vendor}, national ({plan.code})", file=sys.stderr)
        result["national"] = {
            "plans": Plan.objects.count(),
            "indicators": Indicator.objects.filter(plan=plan).count(),
            "round": round_summary(submission),
            "pages": [asdict(m) for m in measure(clients, [
                *pages_for(plan=plan.code, indicator=indicator.code, plan_id=plan.pk,
                           indicator_id=indicator.pk, year=plan_default_year(plan=plan)),
                *round_pages(submission=submission, plan_id=plan.pk),
            ])],
        }
        path = common.write_result(f"pages-{connection.vendor}", result)
        print(f"wrote {path}", file=sys.stderr)


def round_summary(submission) -> dict[str, object]:
    """What the round's pages of one plan show: departments, board rows, the saved KGIs."""
    from indicators.models import Indicator

    round_ = submission.round
    return {
        "fiscal_year": round_.fiscal_year,
        "departments": round_.submissions.count(),
        # One board row per department and KGI it was asked for.
        "board_rows": Indicator.objects.filter(
            plan_id=round_.plan_id, measure__departments__submissions__round=round_).count(),
        "department": submission.department.name,
        "department_kgis": submission.kgis,
    }


if __name__ == "__main__":
    main()
