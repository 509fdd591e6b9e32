"""A 完了型 KGI before the year its completion is due (docs/achievement-rules.md).

Its target rows name the due year; 未完了 before it is on schedule (期限前),
counted apart from 未達成 and never as 達成, and its target 「完了」 is shown
in the due year only.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from indicators.achievement import Evaluation
from indicators.models import ActualState
from indicators.selectors import indicator_years, plan_status, plan_year_counts
from tests.factories import ActualFactory, MilestoneFactory, TargetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def milestone():
    """A milestone due in R10 (2028), entered 未完了 in R8 (2026)."""
    indicator = MilestoneFactory(done_label="移行完了")
    TargetFactory(indicator=indicator, fiscal_year=2028, value=None)
    ActualFactory(indicator=indicator, fiscal_year=2026, state=ActualState.NOT_DONE, value=None)
    return indicator


def test_not_done_before_the_due_year_is_on_schedule(milestone):
    [row] = plan_status(plan=milestone.plan, fiscal_year=2026)
    assert row.result.evaluation == Evaluation.NOT_DUE
    assert row.evaluation_label == "未完了（期限：令和10年度）"
    assert row.actual_label == "未完了"


def test_the_target_shows_in_the_due_year_only(milestone):
    labels = {row.fiscal_year: row.target_label for row in indicator_years(indicator=milestone)}
    assert labels == {2026: "－", 2027: "－", 2028: "移行完了", 2029: "－"}


def test_not_done_in_the_due_year_and_after_is_not_achieved(milestone):
    for year in (2028, 2029):
        ActualFactory(
            indicator=milestone, fiscal_year=year, state=ActualState.NOT_DONE, value=None
        )
    evaluations = {row.fiscal_year: row.result.evaluation
                   for row in indicator_years(indicator=milestone)}
    assert evaluations[2026] == Evaluation.NOT_DUE
    assert evaluations[2028] == Evaluation.NOT_ACHIEVED
    assert evaluations[2029] == Evaluation.NOT_ACHIEVED


def test_done_before_the_due_year_is_achieved(milestone):
    ActualFactory(indicator=milestone, fiscal_year=2027, state=ActualState.DONE, value=None)
    [row] = plan_status(plan=milestone.plan, fiscal_year=2027)
    assert row.evaluation_label == "達成"


def test_counts_keep_not_due_apart(milestone):
    plan = milestone.plan
    counts = plan_year_counts(plans=[plan], fiscal_years={plan.pk: 2026})[plan.pk].counts
    assert (counts.achieved, counts.not_achieved, counts.not_due) == (0, 0, 1)
    assert counts.share_achieved is None


def test_json_says_not_due(milestone, capsys):
    call_command("kpi_status", plan=milestone.plan.code, year=2026, format="json")
    [row] = json.loads(capsys.readouterr().out)["indicators"]
    assert (row["evaluation"], row["actual"], row["rate"]) == ("not_due", None, None)


def test_table_counts_line_names_not_due(milestone, capsys):
    call_command("kpi_status", plan=milestone.plan.code, year=2026)
    out = capsys.readouterr().out
    assert "未完了（期限：令和10年度）" in out
    assert "達成 0 / 未達成 0 / 未入力 0 / 評価対象外 0 / 期限前 1" in out


def test_admin_list_and_kgi_page_word_it_the_same(milestone, admin_client_ja):
    response = admin_client_ja.get(
        "/admin/indicators/indicator/", {"fiscal_year": 2026, "plan__id__exact": milestone.plan_id}
    )
    assert "□ 未完了（期限：令和10年度）" in response.content.decode()
    page = admin_client_ja.get(f"/indicators/{milestone.code}/").content.decode()
    assert "未完了（期限：令和10年度）" in page
