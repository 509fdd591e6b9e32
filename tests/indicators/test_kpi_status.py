"""manage.py kpi_status prints the document's table or deterministic JSON.

What the documents say (ise-2's KGIs in order, ISE2-08 in full, ise-1's
R7 review with its two printed errors, the plans' names) is checked on the
shipped plans; the JSON's rates, keys and errors on factory plans
(tests/factories.py).
"""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from indicators.models import Accumulation, Actual, ActualState, Indicator
from plans.models import BasicPolicy, Measure, Plan
from tests.factories import (
    ActualFactory,
    IndicatorFactory,
    MilestoneFactory,
    PlanFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan() -> Plan:
    """A 「テスト市」 plan ``test-plan`` (R8–R11), no KGIs yet."""
    return PlanFactory(municipality__name="テスト市", code="test-plan")


def kgi(plan: Plan, code: str, target: str | None = None, **fields) -> Indicator:
    """A KGI ``code`` of ``plan``, with an R8 ``target`` if given."""
    indicator = IndicatorFactory(measure__policy__plan=plan, code=code, **fields)
    if target is not None:
        TargetFactory(indicator=indicator, fiscal_year=2026, value=Decimal(target),
                      value_places=len(target.partition(".")[2]))
    return indicator


def kpi_status(*args: str) -> str:
    out = StringIO()
    call_command("kpi_status", *args, stdout=out)
    return out.getvalue()


def test_json_for_ise2_lists_every_indicator_in_document_order(plans):
    document = json.loads(kpi_status("--plan", "ise-2", "--year", "2026", "--format", "json"))
    assert document["plan"] == "ise-2"
    assert document["fiscal_year"] == 2026
    assert [row["code"] for row in document["indicators"]] == [
        f"ISE2-{n:02d}" for n in range(1, 17)
    ]
    assert document["indicators"][7] == {
        "code": "ISE2-08",
        "name": "デジタル技術の導入により、導入前と比べて短縮された業務時間の合計",
        "unit": "時間",
        "kind": "increase",
        "accumulation": "annual",
        "baseline": "5639.8",
        "target": "6300.0",
        "actual": None,
        "evaluation": "pending",
        "rate": None,
        "confirmed": None,
        "evaluation_text": "未入力",
    }


def test_json_shows_an_entered_actual_with_its_rate(plan):
    kgi(plan, "TEST-01", "10", position=1)
    Actual.objects.create(
        indicator=kgi(plan, "TEST-02", "6000.0", unit="時間", position=2), fiscal_year=2026,
        value="6450.5", value_places=1,
    )
    document = json.loads(kpi_status("--plan", plan.code, "--year", "2026", "--format", "json"))
    row = document["indicators"][1]
    assert row["code"] == "TEST-02"
    # 6,450.5 ÷ 6,000.0
    assert (row["actual"], row["evaluation"], row["rate"]) == ("6450.5", "achieved", "107.5")


def test_json_is_deterministic_with_sorted_keys(plan):
    # Not achieved (47 ÷ 50), a milestone, not measured, and a calendar-year KGI.
    ActualFactory(indicator=kgi(plan, "TEST-01", "50"), fiscal_year=2026, value=Decimal(47))
    MilestoneFactory(measure__policy__plan=plan, code="TEST-02")
    ActualFactory(indicator=kgi(plan, "TEST-03", "20"), fiscal_year=2026,
                  state=ActualState.NOT_MEASURED, value=None,
                  not_measured_reason="調査を実施せず")
    kgi(plan, "TEST-04", "30", accumulation=Accumulation.CALENDAR)
    args = ("--plan", plan.code, "--year", "2026", "--format", "json")
    first = kpi_status(*args)
    assert first == kpi_status(*args)
    document = json.loads(first)
    assert list(document) == sorted(document)
    assert list(document["indicators"][0]) == sorted(document["indicators"][0])
    by_code = {row["code"]: row for row in document["indicators"]}
    assert by_code["TEST-01"]["evaluation"] == "not_achieved"
    assert by_code["TEST-01"]["rate"] == "94.0"
    assert by_code["TEST-02"]["kind"] == "milestone"
    assert by_code["TEST-03"]["evaluation"] == "not_measured"
    assert by_code["TEST-04"]["accumulation"] == "calendar"


def test_json_for_the_ise1_review_gives_the_documents_results(plans):
    document = json.loads(kpi_status("--plan", "ise-1", "--year", "2025", "--format", "json"))
    by_code = {row["code"]: row for row in document["indicators"]}
    assert by_code["ISE1-13"]["evaluation"] == "not_achieved"
    assert by_code["ISE1-13"]["rate"] == "94.0"
    assert by_code["ISE1-14"]["kind"] == "milestone"
    assert by_code["ISE1-08"]["evaluation"] == "not_measured"
    assert by_code["ISE1-10"]["accumulation"] == "calendar"


def test_table_for_the_ise1_review_flags_the_two_printed_errors(plans):
    table = kpi_status("--plan", "ise-1", "--year", "2025")
    assert "令和7年度（2025）" in table
    assert "No." in table and "数値目標(KGI)" in table
    flagged = [line for line in table.splitlines() if "公表値と相違" in line]
    assert len(flagged) == 2
    assert "達成《達成率：270%》" in flagged[1] and "達成《達成率：195.0%》" in flagged[1]
    assert "1,589,989件" in table
    assert "達成《達成率：151.4%》" in table
    assert "公表値と計算値が異なる指標：2件" in table


def test_table_is_the_default_format(plans):
    assert kpi_status("--plan", "ise-2", "--year", "2027").startswith(
        "第2期 伊勢市デジタル行政推進ビジョン　令和9年度（2027）"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--plan", "nope", "--year", "2026"), "計画コード「nope」はありません"),
        (("--plan", "test-plan", "--year", "2030"), "計画期間"),
        (("--plan", "test-plan", "--year", "1900"), "計画期間"),
    ],
)
def test_unknown_plan_or_year_is_a_clear_error(plan, args, message):
    with pytest.raises(CommandError, match=message):
        kpi_status(*args)


def test_unknown_plan_exits_non_zero(capsys):
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "kpi_status", "--plan", "x", "--year", "2026"])
    assert exit_info.value.code != 0
    assert "計画コード「x」はありません" in capsys.readouterr().err


def test_json_tells_confirmed_from_provisional_and_prints_the_evaluation(plan):
    confirmed = kgi(plan, "TEST-01", "40", unit="%", position=1)
    ActualFactory(indicator=confirmed, fiscal_year=2026, value=Decimal("42.5"),
                  value_places=1, confirmed=True)
    provisional = kgi(plan, "TEST-02", "40", unit="%", position=2)
    ActualFactory(indicator=provisional, fiscal_year=2026, value=Decimal("39.98"),
                  value_places=2)
    kgi(plan, "TEST-03", "10", position=3)
    ActualFactory(indicator=kgi(plan, "TEST-04", "20", position=4), fiscal_year=2026,
                  state=ActualState.NOT_MEASURED, value=None,
                  not_measured_reason="調査を実施せず", confirmed=True)
    document = json.loads(kpi_status("--plan", plan.code, "--year", "2026", "--format", "json"))
    rows = {row["code"]: row for row in document["indicators"]}
    assert (rows["TEST-01"]["confirmed"], rows["TEST-01"]["evaluation_text"]) == (
        True, "達成《達成率：106.3%》"
    )
    assert (rows["TEST-02"]["confirmed"], rows["TEST-02"]["evaluation_text"]) == (
        False, "未達成《達成率：99.9%》"
    )
    # No actual: nothing to confirm.
    assert (rows["TEST-03"]["confirmed"], rows["TEST-03"]["evaluation_text"]) == (
        None, "未入力"
    )
    assert (rows["TEST-04"]["confirmed"], rows["TEST-04"]["evaluation_text"]) == (True, "－")
    # The ten keys of the contract are all still there, unchanged.
    assert set(rows["TEST-01"]) == {
        "code", "name", "unit", "kind", "accumulation", "baseline", "target", "actual",
        "evaluation", "rate", "confirmed", "evaluation_text",
    }
    assert rows["TEST-01"]["rate"] == "106.3"


def test_evaluation_text_is_what_the_table_prints(plans):
    document = json.loads(kpi_status("--plan", "ise-1", "--year", "2025", "--format", "json"))
    table = kpi_status("--plan", "ise-1", "--year", "2025")
    by_code = {row["code"]: row for row in document["indicators"]}
    assert by_code["ISE1-13"]["evaluation_text"] == "未達成《達成率：94.0%》"
    assert by_code["ISE1-08"]["evaluation_text"] == "－"
    # Shipped published actuals are confirmed.
    assert by_code["ISE1-13"]["confirmed"] is True
    for row in document["indicators"]:
        assert row["evaluation_text"] in table


def iga_kgis_across_policies() -> list[str]:
    """Three KGIs under iga-2's real policies, entered in the order 1, 3, 2.

    Their positions follow the entry, as the office adds them, so the
    position alone would list policy 3 before policy 2.
    """
    plan = Plan.objects.get(code="iga-2")
    codes = []
    for position, policy_number in enumerate((1, 3, 2), start=1):
        measure = Measure.objects.filter(policy__plan=plan, policy__number=policy_number).first()
        code = f"IGA2-{position:02d}"
        indicator = IndicatorFactory(measure=measure, plan=plan, code=code, position=position)
        TargetFactory(indicator=indicator, fiscal_year=2026, value=Decimal(10))
        codes.append(code)
    return codes


def test_iga2_json_lists_kgis_in_document_order(plans):
    iga_kgis_across_policies()
    document = json.loads(kpi_status("--plan", "iga-2", "--year", "2026", "--format", "json"))
    # Policy 1's KGI, then policy 2's (entered third), then policy 3's.
    assert [row["code"] for row in document["indicators"]] == [
        "IGA2-01", "IGA2-03", "IGA2-02"
    ]


def test_iga2_table_lists_basic_policies_1_2_3(plans):
    iga_kgis_across_policies()
    table = kpi_status("--plan", "iga-2", "--year", "2026")
    policies = [line for line in table.splitlines() if line.startswith("◆")]
    expected = [
        f"◆ {policy}"
        for policy in BasicPolicy.objects.filter(plan__code="iga-2").order_by("number")
    ]
    assert policies == expected
    assert len(policies) == 3
