"""manage.py kpi_status prints the document's table or deterministic JSON."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from indicators.models import Actual, Indicator

pytestmark = pytest.mark.django_db


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
    }


def test_json_shows_an_entered_actual_with_its_rate(plans):
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-08"), fiscal_year=2026,
        value="6450.5", value_places=1,
    )
    document = json.loads(kpi_status("--plan", "ise-2", "--year", "2026", "--format", "json"))
    row = document["indicators"][7]
    assert (row["actual"], row["evaluation"], row["rate"]) == ("6450.5", "achieved", "102.4")


def test_json_is_deterministic_with_sorted_keys(plans):
    args = ("--plan", "ise-1", "--year", "2025", "--format", "json")
    first = kpi_status(*args)
    assert first == kpi_status(*args)
    document = json.loads(first)
    assert list(document) == sorted(document)
    assert list(document["indicators"][0]) == sorted(document["indicators"][0])
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
        (("--plan", "ise-2", "--year", "2030"), "計画期間"),
        (("--plan", "ise-2", "--year", "1900"), "計画期間"),
    ],
)
def test_unknown_plan_or_year_is_a_clear_error(plans, args, message):
    with pytest.raises(CommandError, match=message):
        kpi_status(*args)


def test_unknown_plan_exits_non_zero(plans, capsys):
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "kpi_status", "--plan", "x", "--year", "2026"])
    assert exit_info.value.code != 0
    assert "計画コード「x」はありません" in capsys.readouterr().err
