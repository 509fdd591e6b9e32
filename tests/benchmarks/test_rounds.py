"""The bench's rounds (benchmarks/rounds.py) and round pages, at a tiny size.

``make bench`` builds them at national size and takes minutes; these tests
build the same at 3 cities × 4 KGIs, so that ``make test`` catches a
bench that no longer writes what the round's pages read, or whose pages
no longer answer.
"""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks import pages
from benchmarks.rounds import COMMENT_LENGTH, DEPARTMENTS, rounds_generate
from demo.synthetic import synthetic_generate, synthetic_municipalities
from indicators.models import Actual
from indicators.selectors import plan_default_years
from plans.models import Department, Measure, Plan
from reporting.models import Message, ReturnNote, Round, Submission, SubmissionStatus

pytestmark = pytest.mark.django_db

CITIES, KGIS, YEARS = 3, 4, 4
ROUND_PAGES = ("実績報告 ボード", "実績報告 入力ページ", "実績報告 入力ページの保存", "進捗管理シート")


@pytest.fixture
def generated(plans):
    synthetic_generate(municipalities=CITIES, indicators=KGIS, years=YEARS)
    synthetic = Plan.objects.filter(municipality__in=synthetic_municipalities()).order_by("code")
    editable = synthetic[1]
    system = pages.system_user()
    counts = rounds_generate(user=system, editable={editable.pk})
    return counts, list(synthetic), editable, system


def test_every_city_gets_20_departments_each_owning_a_measure(generated):
    counts, synthetic, _editable, _system = generated
    assert counts["所管課"] == CITIES * (DEPARTMENTS - 1)
    for plan in synthetic:
        departments = Department.objects.filter(municipality=plan.municipality)
        assert departments.count() == DEPARTMENTS
        added = departments.exclude(name="合成データ課").order_by("name")
        assert [d.name for d in added] == [f"合成データ課{n:02d}" for n in range(1, 20)]
        for department in added:
            assert list(department.measures.values_list("policy__plan", flat=True)) == [plan.pk]
        # The generator's department still owns every measure, so all 4 KGIs.
        assert departments.get(name="合成データ課").measures.count() == 4
        # Every measure has several owners.
        assert all(measure.departments.count() >= 5
                   for measure in Measure.objects.filter(policy__plan=plan))


def test_one_open_round_per_plan_for_its_year_with_a_mix_of_states(generated):
    counts, synthetic, editable, system = generated
    years = plan_default_years(plans=synthetic)
    for plan in synthetic:
        round_ = Round.objects.get(plan=plan)
        assert round_.fiscal_year == years[plan.pk] == 2027
        assert round_.is_open and round_.opened_by == system
        assert round_.submissions.count() == DEPARTMENTS
        assert round_.submissions.get(department__name="合成データ課").status == (
            SubmissionStatus.IN_PROGRESS)
        states = Counter(round_.submissions.values_list("status", flat=True))
        confirmed = 0 if plan == editable else 1
        assert states == Counter({
            SubmissionStatus.NOT_STARTED: 4, SubmissionStatus.IN_PROGRESS: 7 + 1,
            SubmissionStatus.SUBMITTED: 5 + 1 - confirmed, SubmissionStatus.RETURNED: 2,
            SubmissionStatus.CONFIRMED: confirmed,
        })
    submissions = Submission.objects.filter(round__plan__in=synthetic)
    assert counts["提出"] == CITIES * DEPARTMENTS
    # The plan whose page the bench saves keeps every KGI open to the save.
    assert not submissions.filter(round__plan=editable,
                                  status=SubmissionStatus.CONFIRMED).exists()
    # As round_open writes it: a history row each, and (here) no mail.
    assert Round.history.filter(plan__in=synthetic).count() == CITIES
    assert Submission.history.filter(round__plan__in=synthetic).count() == CITIES * DEPARTMENTS
    assert not Message.objects.exists()


def test_returned_have_notes_and_confirmed_have_confirmed_actuals(generated):
    _counts, synthetic, _editable, _system = generated
    submissions = Submission.objects.filter(round__plan__in=synthetic)
    for returned in submissions.filter(status=SubmissionStatus.RETURNED):
        notes = ReturnNote.objects.filter(submission=returned)
        assert notes.filter(indicator=None).count() == 1
        assert notes.exclude(indicator=None).get().indicator.measure.departments.filter(
            pk=returned.department_id).exists()
    confirmed = submissions.filter(status=SubmissionStatus.CONFIRMED)
    assert confirmed.count() == CITIES - 1
    for submission in confirmed:
        actuals = Actual.objects.filter(
            indicator__measure__departments=submission.department,
            fiscal_year=submission.round.fiscal_year)
        assert actuals.exists() and not actuals.filter(confirmed=False).exists()


def test_about_half_the_years_actuals_carry_100_to_300_characters_of_comments(generated):
    counts, synthetic, _editable, _system = generated
    year = Actual.objects.filter(indicator__plan__in=synthetic, fiscal_year=2027)
    commented = year.exclude(progress="")
    assert counts["取組状況などを記入した実績値"] == commented.count()
    assert 0 < commented.count() < year.count()
    low, high = COMMENT_LENGTH
    for actual in commented:
        for text in (actual.progress, actual.analysis, actual.direction):
            assert low <= len(text) <= high and text.endswith("。")
    # Other years are as the generator left them.
    assert not Actual.objects.filter(indicator__plan__in=synthetic).exclude(
        fiscal_year=2027).exclude(progress="").exists()


def test_the_bench_measures_the_round_pages_and_saves_without_drift(generated):
    _counts, _synthetic, editable, system = generated
    submission = pages.owner_of_most(Round.objects.get(plan=editable))
    assert submission.department.name == "合成データ課" and submission.kgis == KGIS
    clients = {pages.SYSTEM: pages.client_of(system),
               pages.DEPARTMENT: pages.department_client(department=submission.department,
                                                         username="bench-dept-test")}
    measured = pages.measure(clients, pages.round_pages(submission=submission,
                                                       plan_id=editable.pk), runs=2, warmup=1)
    assert [m.name for m in measured] == list(ROUND_PAGES)
    assert [m.method for m in measured] == ["GET", "GET", "POST", "GET"]
    # The pages have content; the save answers with a redirect to the page.
    assert [m.bytes > 0 for m in measured] == [True, True, False, True]
    assert all(m.queries > 0 for m in measured)
    # 1 + 2 + 1 saves: every KGI's comments swapped back to the second text.
    actuals = Actual.objects.filter(indicator__plan=editable, fiscal_year=2027)
    assert {actual.progress for actual in actuals} == {"窓口での案内を見直しました（二）"}
    summary = pages.round_summary(submission)
    assert summary["departments"] == DEPARTMENTS
    # 合成データ課 has 4 rows; the 19 others one KGI each.
    assert summary["board_rows"] == KGIS + DEPARTMENTS - 1


def test_the_small_section_opens_ise2s_round_on_the_demo_owners(plans):
    system = pages.system_user()
    submission = pages.small_round(system)
    assert submission.department.name == pages.SMALL_DEPARTMENT
    assert submission.round.plan.code == "ise-2"
    clients = {pages.SYSTEM: pages.client_of(system),
               pages.DEPARTMENT: pages.department_client(department=submission.department,
                                                         username="bench-dept-ise")}
    plan = submission.round.plan
    measured = pages.measure(clients, pages.round_pages(submission=submission, plan_id=plan.pk),
                             runs=1, warmup=1)
    assert all(m.queries > 0 for m in measured)
    # The save typed a value for every KGI that had none, then kept it.
    asked = pages.round_summary(submission)["department_kgis"]
    assert Actual.objects.filter(indicator__measure__departments=submission.department,
                                 fiscal_year=submission.round.fiscal_year).count() == asked
