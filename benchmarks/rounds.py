"""The national data set's reporting rounds, for the round's pages in ``benchmarks.pages``.

``demo.synthetic.synthetic_generate`` gives each synthetic city one
department (「合成データ課」) owning all its plan's measures, and no round.
:func:`rounds_generate`, run after it, gives the data set what the round's
pages read at national size:

- every synthetic city ~20 departments: the generator's one and 19 more
  (「合成データ課01」…「合成データ課19」), each owning one of its plan's
  measures (so a measure has several owners, and 合成データ課 still owns
  all 40 KGIs);
- one 実績報告 per plan for the plan's default year (the year its pages
  open on), in the shape ``reporting.services.round_open`` writes it
  (the round, one submission per owning department, a history row each)
  but without its e-mail;
- the submissions in a mix of states (合成データ課 入力中; the others
  未着手, 入力中, 提出済, 差戻し with the office's notes, 確定 with their
  KGIs' actuals confirmed), and about half of the year's actuals with
  取組状況・要因分析・今後の方向性 of 100–300 characters each.

Rows are written in bulk (no per-row query, no signals), a hundred cities
at a time to bound memory, in one transaction. Only synthetic cities are
touched; the data set is for a throw-away benchmark database
(``remove_synthetic`` removes the rounds with the plans).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.writers import history_create
from demo.synthetic import synthetic_municipalities
from indicators.models import Actual, Indicator
from indicators.selectors import plan_default_years
from plans.models import Department, Measure, Plan
from reporting.models import Purpose, ReturnNote, Round, Submission, SubmissionStatus
from reporting.services import OPEN_REASON

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser

DEPARTMENTS = 20  # per synthetic city, the generator's own 合成データ課 among them
DEPARTMENT_NAME = "合成データ課{:02d}"
DIVISION = "合成データ部"
CHUNK = 100  # cities per step, to bound memory
BATCH_SIZE = 2000
COMMENTED_SHARE = 0.5
COMMENT_LENGTH = (100, 300)
OPENED_DAYS_AGO = 20
DEADLINE_IN_DAYS = 10
# The states of the 19 other departments' submissions, so many of each
# in every city: ten days before the deadline most are typing or have
# submitted. The confirmed one confirms its measure's KGIs (a quarter of
# the plan's).
MIX = (
    (SubmissionStatus.NOT_STARTED, 4), (SubmissionStatus.IN_PROGRESS, 7),
    (SubmissionStatus.SUBMITTED, 5), (SubmissionStatus.RETURNED, 2),
    (SubmissionStatus.CONFIRMED, 1),
)
SUBMITTED_STATES = frozenset(
    {SubmissionStatus.SUBMITTED, SubmissionStatus.RETURNED, SubmissionStatus.CONFIRMED}
)
RETURN_GENERAL = "合成データ：全体として、要因分析をもう少し具体的に書いてください。"
RETURN_KGI = "合成データ：実績値の算出方法（対象期間）を確認してください。"

# Sentences the comments are made of (synthetic; no real city's words).
PROGRESS = (
    "窓口での案内を見直し、オンライン申請の手順を利用者向けに分かりやすく整理しました。",
    "庁内の各課に説明会を開き、新しい手続きの運用を年度の前半に始めました。",
    "広報紙とウェブサイトで周知を重ね、地域の集会でも使い方の相談会を開きました。",
    "関係団体と協定を結び、実施体制を整えたうえで対象地区を二つ広げました。",
    "利用者アンケートの結果をもとに、画面の文言と入力項目を減らしました。",
    "予算の範囲で機器を更新し、職員向けの研修を三回行いました。",
)
ANALYSIS = (
    "目標を上回ったのは、周知の回数を増やしたことと手続きを簡単にしたことによると考えます。",
    "高齢の方の利用が伸びず、窓口での対面の手続きが引き続き多く残りました。",
    "年度の後半に利用が増えており、周知の効果が表れるまでに時間がかかったとみられます。",
    "他の手続きとの連携が遅れたため、見込んでいた件数に届きませんでした。",
    "繁忙期に問い合わせが集中し、対応に時間を要したことが課題として残りました。",
    "前年度と比べて改善しましたが、地区による差が大きいことが分かりました。",
)
DIRECTION = (
    "来年度は対象を全地区に広げ、使い方の相談会を定期的に開きます。",
    "利用の少ない世代に向けて、関係団体と協力した周知を強めます。",
    "手続きの流れをもう一度見直し、添付書類をさらに減らします。",
    "効果を毎月確かめ、必要に応じて進め方を見直します。",
    "他の課の手続きとも連携し、一度の入力で済む範囲を広げます。",
    "職員の研修を続け、窓口と電子申請のどちらでも同じ案内ができるようにします。",
)

def comment(rng: random.Random, sentences: tuple[str, ...]) -> str:
    """Return 100–300 characters of ``sentences`` in a random order, ending with 「。」."""
    low, high = COMMENT_LENGTH
    wanted = rng.randint(low, high)
    parts: list[str] = []
    while sum(map(len, parts)) < wanted:
        parts.append(rng.choice(sentences))
    text = "".join(parts)
    if len(text) > high:
        text = text[: high - 1] + "。"
    return text


def state_mix(rng: random.Random, count: int) -> list[SubmissionStatus]:
    """Return ``count`` states in the proportions of :data:`MIX`, shuffled."""
    pool = [state for state, weight in MIX for _ in range(weight)]
    states = [pool[index % len(pool)] for index in range(count)]
    rng.shuffle(states)
    return states


def rounds_generate(
    *, user: AbstractBaseUser, now: datetime | None = None, seed: int = 0,
    editable: set[int] | None = None, progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Give every synthetic city its departments, round, states and comments.

    ``user`` is recorded as the office member who opened the rounds and
    moved the submissions. The plans in ``editable`` (ids) get no 確定
    submission (提出済 instead), so their KGIs stay open to a department's
    save. Return the rows written, by kind.
    """
    now = now or timezone.now()
    rng = random.Random(seed)
    cities = list(synthetic_municipalities().order_by("pk").values_list("pk", flat=True))
    totals: Counter[str] = Counter()
    started = time.perf_counter()
    with transaction.atomic():
        for first in range(0, len(cities), CHUNK):
            chunk = cities[first:first + CHUNK]
            totals.update(write_chunk(chunk, rng=rng, user=user, now=now,
                                      editable=editable or set()))
            if progress:
                progress(f"{first + len(chunk):,} / {len(cities):,} 自治体"
                         f"（提出 {totals['提出']:,} 件、{time.perf_counter() - started:.1f} 秒）")
    analyze()
    return dict(totals)


def write_chunk(
    cities: list[int], *, rng: random.Random, user: AbstractBaseUser, now: datetime,
    editable: set[int],
) -> Counter[str]:
    counts: Counter[str] = Counter()
    plans = list(Plan.objects.filter(municipality_id__in=cities).order_by("pk"))
    years = plan_default_years(plans=plans)
    measures: dict[int, list[int]] = {}
    for pk, plan_id in (Measure.objects.filter(policy__plan__in=plans)
                        .order_by("policy__plan_id", "policy__number", "number")
                        .values_list("pk", "policy__plan_id")):
        measures.setdefault(plan_id, []).append(pk)
    kgis: dict[int, list[int]] = {}  # by measure, in document order
    for pk, measure_id in (Indicator.objects.filter(plan__in=plans)
                           .order_by("position", "pk").values_list("pk", "measure_id")):
        kgis.setdefault(measure_id, []).append(pk)

    # The departments: 19 more per city, each owning one measure.
    plans_of: dict[int, list[Plan]] = {}
    for plan in plans:
        plans_of.setdefault(plan.municipality_id, []).append(plan)
    added = Department.objects.bulk_create([
        Department(municipality_id=city, name=DEPARTMENT_NAME.format(n), division=DIVISION)
        for city in cities for n in range(1, DEPARTMENTS)
    ], batch_size=BATCH_SIZE)
    counts["所管課"] += len(added)
    links = []
    for index, department in enumerate(added):
        for plan in plans_of.get(department.municipality_id, []):
            plan_measures = measures.get(plan.pk, [])
            if plan_measures:
                links.append(Measure.departments.through(
                    measure_id=plan_measures[index % (DEPARTMENTS - 1) % len(plan_measures)],
                    department_id=department.pk,
                ))
    Measure.departments.through.objects.bulk_create(links, batch_size=BATCH_SIZE)
    counts["施策の所管課"] += len(links)

    # Who owns what now: the departments a round asks, and their KGIs.
    owned: dict[int, list[int]] = {}  # department -> measures
    for measure_id, department_id in Measure.departments.through.objects.filter(
        measure__policy__plan__in=plans
    ).order_by("department_id", "measure_id").values_list("measure_id", "department_id"):
        owned.setdefault(department_id, []).append(measure_id)
    generated = {department.pk for department in added}

    # The rounds, opened OPENED_DAYS_AGO by ``user``.
    opened_at = now - timedelta(days=OPENED_DAYS_AGO)
    deadline = timezone.localtime(now).date() + timedelta(days=DEADLINE_IN_DAYS)
    rounds = Round.objects.bulk_create([
        Round(plan=plan, fiscal_year=years[plan.pk], purpose=Purpose.ACTUAL, deadline=deadline,
              opened_at=opened_at, opened_by=user)
        for plan in plans
    ], batch_size=BATCH_SIZE)
    history_create(rounds, model=Round, reason=OPEN_REASON, user=user, when=opened_at)
    counts["実績報告"] += len(rounds)

    submissions: list[Submission] = []
    for round_ in rounds:
        plan_measures = set(measures.get(round_.plan_id, []))
        asked = [
            department for department, owns in owned.items()
            if any(kgis.get(measure) for measure in owns if measure in plan_measures)
        ]
        others = [department for department in asked if department in generated]
        states = dict(zip(others, state_mix(rng, len(others)), strict=True))
        for department in asked:
            # The generator's department owns every KGI: still typing.
            state = states.get(department, SubmissionStatus.IN_PROGRESS)
            if state == SubmissionStatus.CONFIRMED and round_.plan_id in editable:
                state = SubmissionStatus.SUBMITTED
            changed_at = opened_at + timedelta(days=rng.randint(0, OPENED_DAYS_AGO - 1),
                                               minutes=rng.randint(0, 600))
            submitted = state in SUBMITTED_STATES
            submissions.append(Submission(
                round=round_, department_id=department, status=state,
                changed_at=opened_at if state == SubmissionStatus.NOT_STARTED else changed_at,
                changed_by=user, submitted_at=changed_at if submitted else None,
                submitted_by=user if submitted else None,
            ))
    submissions = Submission.objects.bulk_create(submissions, batch_size=BATCH_SIZE)
    history_create(submissions, model=Submission, reason=OPEN_REASON, user=user, when=opened_at)
    counts["提出"] += len(submissions)
    counts.update(f"提出：{submission.get_status_display()}" for submission in submissions)

    # Returns: the office's notes, on the submission and on its first KGI.
    notes = []
    confirmed_measures: dict[int, list[int]] = {}  # year -> measures
    year_of = {round_.pk: round_.fiscal_year for round_ in rounds}
    for submission in submissions:
        first_kgi = next((kgis[measure][0] for measure in owned[submission.department_id]
                          if kgis.get(measure)), None)
        if submission.status == SubmissionStatus.RETURNED:
            notes += [
                ReturnNote(submission=submission, indicator_id=None, comment=RETURN_GENERAL,
                           returned_at=submission.changed_at, returned_by=user),
                ReturnNote(submission=submission, indicator_id=first_kgi, comment=RETURN_KGI,
                           returned_at=submission.changed_at, returned_by=user),
            ]
        elif submission.status == SubmissionStatus.CONFIRMED:
            confirmed_measures.setdefault(year_of[submission.round_id], []).extend(
                owned[submission.department_id])
    ReturnNote.objects.bulk_create(notes, batch_size=BATCH_SIZE)
    counts["差戻しの理由"] += len(notes)
    for year, confirmed in confirmed_measures.items():
        counts["確定した実績値"] += Actual.objects.filter(
            indicator__measure_id__in=confirmed, fiscal_year=year, confirmed=False,
        ).update(confirmed=True, confirmed_at=now, confirmed_by=user, version=F("version") + 1)
    counts["取組状況などを記入した実績値"] += write_comments(plans, years, rng=rng, now=now)
    return counts


def write_comments(plans: list[Plan], years: dict[int, int], *, rng: random.Random,
                   now: datetime) -> int:
    """Write 取組状況・要因分析・今後の方向性 on about half of the year's actuals."""
    by_year: dict[int, list[int]] = {}
    for plan in plans:
        by_year.setdefault(years[plan.pk], []).append(plan.pk)
    when = connection.ops.adapt_datetimefield_value(now)
    rows = []
    for year, plan_ids in by_year.items():
        for pk in Actual.objects.filter(
            indicator__plan_id__in=plan_ids, fiscal_year=year
        ).order_by("pk").values_list("pk", flat=True):
            if rng.random() < COMMENTED_SHARE:
                rows.append((comment(rng, PROGRESS), comment(rng, ANALYSIS),
                             comment(rng, DIRECTION), when, pk))
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Actual._meta.db_table)} SET {quote('progress')} = %s, "
        f"{quote('analysis')} = %s, {quote('direction')} = %s, {quote('updated_at')} = %s, "
        f"{quote('version')} = {quote('version')} + 1 WHERE {quote('id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def analyze() -> None:
    """Refresh PostgreSQL's planner statistics of the tables just written."""
    if connection.vendor != "postgresql":
        return
    models = (Department, Measure.departments.through, Round, Submission, ReturnNote, Actual,
              Round.history.model, Submission.history.model)
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
