"""Synthetic municipalities, plans, KGIs, targets and actuals for scale tests.

Everything synthetic hangs off a municipality whose code starts with
``syn-`` and whose prefecture is 「（合成データ）」, so it never mixes with a
real plan and one call removes it all. Rows are written with
``bulk_create`` in batches: no per-row query and, because bulk_create sends
no signals, no django-simple-history rows.

Each plan runs ``years`` fiscal years ending with FY2029 (R11), like the
shipped plans. Each KGI has a target for every plan year and exactly
``years`` actuals, shifted two years earlier than the plan: the first two
are history (実績の推移, the second of them the baseline year) and the
plan's last two years are pending (no actual yet).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from itertools import cycle

from django.db import connection, transaction
from django.db.models import Model, QuerySet

from accounts.models import Affiliation
from indicators.models import Accumulation, Actual, ActualState, Indicator, Kind, Outlook, Target
from ise_iga_dx.lib.lgcode import full_code
from plans.models import BasicPolicy, Department, Initiative, Measure, Municipality, Plan

PREFIX = "syn-"
PREFECTURE = "（合成データ）"
# 全国地方公共団体コード of the synthetic cities: 9 and the city's number, with
# the check digit. No real code begins with 9 (prefectures are 01–47), so a
# synthetic city can be published (publication needs the code) and never
# claims a real city's code.
SYNTHETIC_LG_PREFIX = "9"


def synthetic_lg_code(number: int) -> str:
    """Return the code of synthetic city ``number`` (1–9,999; none beyond, it would not fit)."""
    return full_code(f"{SYNTHETIC_LG_PREFIX}{number:04d}") if number <= 9_999 else ""
PLAN_NAME_MARK = "【合成データ】"
END_YEAR = 2029
SHIFT = 2  # years of history before the plan = plan years still pending
POLICIES = 2
MEASURES_PER_POLICY = 2
BATCH_SIZE = 2000
CHUNK = 100  # municipalities written per round, to bound memory
MAX_MUNICIPALITIES = 99_999
MAX_INDICATORS = 999
MAX_YEARS = 30
NOT_MEASURED_SHARE = 0.03
NOT_MEASURED_REASON = "合成データ：この年度は計測していない想定です。"
CONFIRMED_AT = datetime(2026, 6, 30, tzinfo=UTC)
KINDS = (Kind.INCREASE, Kind.DECREASE, Kind.REDUCTION, Kind.MILESTONE)
ACCUMULATIONS = (Accumulation.ANNUAL, Accumulation.CUMULATIVE, Accumulation.CALENDAR)
UNITS = {Kind.INCREASE: "件", Kind.DECREASE: "時間", Kind.REDUCTION: "時間", Kind.MILESTONE: ""}
KIND_NAMES = {
    Kind.INCREASE: "増加型", Kind.DECREASE: "減少型",
    Kind.REDUCTION: "削減率型", Kind.MILESTONE: "完了型",
}
ACCUMULATION_NAMES = {
    Accumulation.ANNUAL: "単年度", Accumulation.CUMULATIVE: "累計",
    Accumulation.CALENDAR: "暦年",
}

Progress = Callable[[str], None]
# The rows another app keeps under synthetic plans (the reporting round's
# rounds, submissions and mail), which this app does not know: the app
# registers, in its ready(), a function that returns its removal steps
# for the plans being removed, children first (label, queryset).
Steps = list[tuple[str, QuerySet[Model]]]
DEPENDENTS: list[Callable[[QuerySet[Plan]], Steps]] = []


def register_dependents(steps: Callable[[QuerySet[Plan]], Steps]) -> None:
    """Have ``synthetic_remove`` delete ``steps(plans)`` before the plans' own rows."""
    if steps not in DEPENDENTS:
        DEPENDENTS.append(steps)


class SyntheticDataError(Exception):
    """The request cannot be carried out; the message is for the user."""


def synthetic_municipalities() -> QuerySet[Municipality]:
    return Municipality.objects.filter(code__startswith=PREFIX)


def _check_prefix_is_ours() -> None:
    real = synthetic_municipalities().exclude(prefecture=PREFECTURE)
    names = list(real.values_list("code", flat=True)[:5])
    if names:
        raise SyntheticDataError(
            f"合成データ用のコード接頭辞「{PREFIX}」を実在の自治体が使っています"
            f"（{'、'.join(names)}）。合成データの生成・削除は行いません。"
        )


def _one_place(value: float) -> Decimal:
    return Decimal(max(0, round(value * 10))).scaleb(-1)


def kind_and_accumulation(index: int) -> tuple[Kind, Accumulation]:
    """Return the kind and accumulation of a plan's ``index``-th KGI (from 0).

    Kinds cycle with period 4 and accumulations with period 3, so any 4
    KGIs cover every kind and every accumulation. A milestone is always
    annual (a completion is not summed).
    """
    kind = KINDS[index % len(KINDS)]
    if kind == Kind.MILESTONE:
        return kind, Accumulation.ANNUAL
    return kind, ACCUMULATIONS[index % len(ACCUMULATIONS)]


def _series(
    rng: random.Random, kind: Kind, base: float, years: list[int], baseline_year: int
) -> tuple[dict[int, float], dict[int, float]]:
    """Return (expected, actual) annual figures by year for a numeric KGI."""
    expected: dict[int, float] = {}
    actual: dict[int, float] = {}
    for year in years:
        step = year - baseline_year
        if kind == Kind.INCREASE:
            expected[year] = base * (1 + 0.05 * step)
            actual[year] = expected[year] * rng.uniform(0.85, 1.15)
        elif kind == Kind.DECREASE:
            expected[year] = max(0.0, base * (1 - 0.04 * step))
            actual[year] = expected[year] * rng.uniform(0.85, 1.15)
        else:  # reduction: the target is a percentage, the actual a quantity
            expected[year] = max(0.0, 2.0 * step)
            achieved = expected[year] * rng.uniform(0.4, 1.6)
            actual[year] = base * (1 - min(achieved, 90.0) / 100)
    return expected, actual


def _indicator_rows(
    *, rng: random.Random, indicator: Indicator, plan_years: list[int],
    actual_years: list[int], not_measured_year: int | None,
) -> tuple[list[Target], list[Actual]]:
    kind = Kind(indicator.kind)
    last_actual_year = actual_years[-1]
    targets: list[Target] = []
    actuals: list[Actual] = []

    def actual_row(year: int, **fields: object) -> Actual:
        confirmed = year < last_actual_year
        return Actual(
            indicator=indicator, fiscal_year=year, confirmed=confirmed,
            confirmed_at=CONFIRMED_AT if confirmed else None, **fields,
        )

    if kind == Kind.MILESTONE:
        done_from = rng.choice([*plan_years, END_YEAR + 1])
        targets = [Target(indicator=indicator, fiscal_year=year) for year in plan_years]
        actuals = [
            actual_row(year, state=ActualState.DONE if year >= done_from else ActualState.NOT_DONE)
            for year in actual_years
        ]
        return targets, actuals

    years = sorted(set(plan_years) | set(actual_years))
    expected, measured = _series(rng, kind, float(indicator.baseline), years,
                                 indicator.baseline_year)
    if indicator.accumulation == Accumulation.CUMULATIVE and kind != Kind.REDUCTION:
        # Running totals since the plan began; history years stay annual.
        expected_total = measured_total = 0.0
        for year in years:
            if year in plan_years:
                expected_total += expected[year]
                measured_total += measured[year]
                expected[year], measured[year] = expected_total, measured_total
    targets = [
        Target(indicator=indicator, fiscal_year=year, value=_one_place(expected[year]),
               value_places=1)
        for year in plan_years
    ]
    for year in actual_years:
        if year == not_measured_year or rng.random() < NOT_MEASURED_SHARE:
            actuals.append(actual_row(
                year, state=ActualState.NOT_MEASURED, not_measured_reason=NOT_MEASURED_REASON,
            ))
        else:
            actuals.append(actual_row(
                year, state=ActualState.MEASURED, value=_one_place(measured[year]),
                value_places=1,
            ))
    return targets, actuals


def _write_chunk(
    *, rng: random.Random, numbers: range, indicators: int, years: int,
) -> dict[str, int]:
    plan_years = list(range(END_YEAR - years + 1, END_YEAR + 1))
    actual_years = [year - SHIFT for year in plan_years]
    municipalities = Municipality.objects.bulk_create([
        Municipality(code=f"{PREFIX}{n:05d}", name=f"合成自治体{n:05d}", prefecture=PREFECTURE,
                     lg_code=synthetic_lg_code(n))
        for n in numbers
    ])
    departments = Department.objects.bulk_create([
        Department(municipality=m, name="合成データ課", division="合成データ部")
        for m in municipalities
    ])
    plans = Plan.objects.bulk_create([
        Plan(
            municipality=m, code=f"{m.code}-p",
            name=f"{PLAN_NAME_MARK}{m.name} DX推進計画", short_name=f"合成{m.code[-5:]}",
            start_year=plan_years[0], end_year=plan_years[-1],
            period_note="性能試験用の合成データです。実在の計画ではありません。",
        )
        for m in municipalities
    ])
    policies = BasicPolicy.objects.bulk_create([
        BasicPolicy(plan=plan, number=p, label="I" * p, title=f"合成基本方針{p}")
        for plan in plans for p in range(1, POLICIES + 1)
    ])
    measures = Measure.objects.bulk_create([
        Measure(policy=policy, number=n, label="①②③④⑤"[n - 1],
                title=f"合成施策{policy.number}-{n}")
        for policy in policies for n in range(1, MEASURES_PER_POLICY + 1)
    ])
    department_of = {d.municipality_id: d for d in departments}
    plan_of = {p.pk: p for p in plans}
    policy_plan = {policy.pk: plan_of[policy.plan_id] for policy in policies}
    Measure.departments.through.objects.bulk_create([
        Measure.departments.through(
            measure=measure,
            department=department_of[policy_plan[measure.policy_id].municipality_id],
        )
        for measure in measures
    ], batch_size=BATCH_SIZE)
    measures_by_plan: dict[int, list[Measure]] = {}
    for measure in measures:
        measures_by_plan.setdefault(policy_plan[measure.policy_id].pk, []).append(measure)

    rows: list[Indicator] = []
    for plan in plans:
        number = plan.code[len(PREFIX):len(PREFIX) + 5]
        measure_cycle = cycle(measures_by_plan[plan.pk])
        for index in range(indicators):
            kind, accumulation = kind_and_accumulation(index)
            code = f"SYN{number}-{index + 1:03d}"
            baseline = None if kind == Kind.MILESTONE else _one_place(rng.uniform(50, 1000))
            rows.append(Indicator(
                plan=plan, measure=next(measure_cycle), code=code, position=index + 1,
                item=f"合成指標{code}（{KIND_NAMES[kind]}・{ACCUMULATION_NAMES[accumulation]}）",
                unit=UNITS[kind], kind=kind, accumulation=accumulation,
                baseline=baseline, baseline_places=0 if baseline is None else 1,
                baseline_year=None if baseline is None else plan.baseline_year,
                done_label="導入完了" if kind == Kind.MILESTONE else "",
            ))
    created = Indicator.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    targets: list[Target] = []
    actuals: list[Actual] = []
    for indicator in created:
        # The second KGI of each plan (a decrease) always has one year not
        # measured, so small runs show the case too.
        not_measured_year = actual_years[0] if indicator.position == 2 else None
        t, a = _indicator_rows(
            rng=rng, indicator=indicator, plan_years=plan_years,
            actual_years=actual_years, not_measured_year=not_measured_year,
        )
        targets += t
        actuals += a
    Target.objects.bulk_create(targets, batch_size=BATCH_SIZE)
    Actual.objects.bulk_create(actuals, batch_size=BATCH_SIZE)
    return {
        "自治体": len(municipalities), "所管課": len(departments), "計画": len(plans),
        "基本方針": len(policies), "施策": len(measures), "指標": len(created),
        "目標値": len(targets), "実績値": len(actuals),
    }


def synthetic_generate(
    *, municipalities: int, indicators: int, years: int, seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Create the synthetic data set; return the rows written by kind.

    Refuse (SyntheticDataError) when synthetic data already exists, so a
    second run never doubles or half-updates a data set.
    """
    if not 1 <= municipalities <= MAX_MUNICIPALITIES:
        raise SyntheticDataError(f"自治体数は 1〜{MAX_MUNICIPALITIES:,} で指定してください。")
    if not 1 <= indicators <= MAX_INDICATORS:
        raise SyntheticDataError(f"指標数は 1〜{MAX_INDICATORS} で指定してください。")
    if not 1 <= years <= MAX_YEARS:
        raise SyntheticDataError(f"年数は 1〜{MAX_YEARS} で指定してください。")
    _check_prefix_is_ours()
    existing = synthetic_municipalities().count()
    if existing:
        raise SyntheticDataError(
            f"合成データが既にあります（合成自治体 {existing:,} 件）。"
            "作り直すときは、先に remove_synthetic で削除してください。"
        )
    rng = random.Random(seed)
    totals: dict[str, int] = {}
    started = time.perf_counter()
    with transaction.atomic():
        for first in range(1, municipalities + 1, CHUNK):
            numbers = range(first, min(first + CHUNK, municipalities + 1))
            for label, count in _write_chunk(
                rng=rng, numbers=numbers, indicators=indicators, years=years
            ).items():
                totals[label] = totals.get(label, 0) + count
            if progress:
                progress(
                    f"{numbers[-1]:,} / {municipalities:,} 自治体"
                    f"（実績値 {totals['実績値']:,} 件、{time.perf_counter() - started:.1f} 秒）"
                )
    _analyze()
    return totals


def _analyze() -> None:
    """Refresh PostgreSQL's planner statistics of the tables just written.

    Right after a bulk load the planner still takes the tables for empty
    and picks nested loops over sequential scans: removing the national
    data set then took minutes instead of seconds.
    """
    if connection.vendor != "postgresql":
        return
    models = (Municipality, Department, Plan, BasicPolicy, Measure, Indicator, Target, Actual)
    with connection.cursor() as cursor:
        for model in (*models, Measure.departments.through):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _delete(queryset: QuerySet[Model]) -> int:
    """Delete the rows of ``queryset`` in one statement; return how many.

    QuerySet.delete() would load every row to send the delete signals, on
    which django-simple-history writes one history row each: far too slow
    for hundreds of thousands of rows, and history of data that is gone.
    """
    model = queryset.model
    subquery, params = queryset.order_by().values("pk").query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        # SQLite and PostgreSQL both allow the subquery on the same table.
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({subquery})", params)
        return cursor.rowcount


def synthetic_remove(*, progress: Progress | None = None) -> dict[str, int]:
    """Delete every synthetic row, history included; return counts by kind."""
    _check_prefix_is_ours()
    municipalities = synthetic_municipalities()
    users = list(Affiliation.objects.filter(municipality__in=municipalities)
                 .values_list("user__username", flat=True)[:5])
    if users:
        raise SyntheticDataError(
            f"合成自治体に所属する利用者がいます（{'、'.join(users)}）。"
            "先に所属を変更するか、利用者を削除してください。"
        )
    plans = Plan.objects.filter(municipality__in=municipalities)
    departments = Department.objects.filter(municipality__in=municipalities)
    policies = BasicPolicy.objects.filter(plan__in=plans)
    measures = Measure.objects.filter(policy__in=policies)
    initiatives = Initiative.objects.filter(measure__in=measures)
    indicators = Indicator.objects.filter(plan__in=plans)
    history = {model: model.history.model for model in (
        Actual, Outlook, Target, Indicator, Initiative, Measure, BasicPolicy, Plan, Department,
    )}
    # Children before parents: Indicator.measure and Plan.municipality are
    # PROTECT, and the subqueries below find rows through their parents.
    steps: Steps = [step for dependents in DEPENDENTS for step in dependents(plans)]
    steps += [
        ("変更履歴", history[Actual].objects.filter(indicator_id__in=indicators.values("pk"))),
        ("変更履歴", history[Target].objects.filter(indicator_id__in=indicators.values("pk"))),
        ("変更履歴", history[Outlook].objects.filter(indicator_id__in=indicators.values("pk"))),
        ("変更履歴", history[Indicator].objects.filter(plan_id__in=plans.values("pk"))),
        ("変更履歴", history[Initiative].objects.filter(measure_id__in=measures.values("pk"))),
        ("変更履歴", history[Measure].objects.filter(policy_id__in=policies.values("pk"))),
        ("変更履歴", history[BasicPolicy].objects.filter(plan_id__in=plans.values("pk"))),
        ("変更履歴", history[Plan].objects.filter(
            municipality_id__in=municipalities.values("pk"))),
        ("変更履歴", history[Department].objects.filter(
            municipality_id__in=municipalities.values("pk"))),
        ("実績値", Actual.objects.filter(indicator__in=indicators)),
        ("見込み", Outlook.objects.filter(indicator__in=indicators)),
        ("目標値", Target.objects.filter(indicator__in=indicators)),
        ("指標", indicators),
        ("取組", initiatives),
        ("施策の所管課", Measure.departments.through.objects.filter(measure__in=measures)),
        ("所属の所管課", Affiliation.departments.through.objects.filter(
            department__in=departments)),
        ("施策", measures),
        ("基本方針", policies),
        ("計画", plans),
        ("所管課", departments),
        ("自治体", municipalities),
    ]
    removed: dict[str, int] = {}
    started = time.perf_counter()
    _analyze()
    with transaction.atomic():
        for label, queryset in steps:
            removed[label] = removed.get(label, 0) + _delete(queryset)
            if progress and label != "変更履歴":
                progress(f"{label} {removed[label]:,} 件を削除"
                         f"（{time.perf_counter() - started:.1f} 秒）")
    return removed
