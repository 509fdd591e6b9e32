"""The frozen pages of an edition (editions.rendering) on the shipped ise-1 plan."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from editions import rendering, services
from editions.models import Edition
from indicators.models import Actual
from plans.models import Plan

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST = datetime(2026, 6, 10, 15, 0, tzinfo=TOKYO)
SECOND = datetime(2026, 9, 1, 10, 0, tzinfo=TOKYO)
MEETING = "令和8年6月10日 第1回 伊勢市デジタル推進本部員会議"
MARK = "◆変更あり"


def freeze(plan: Plan, name: str = MEETING, when: datetime = FIRST) -> Edition:
    return services.freeze_edition(
        plan=plan, fiscal_year=2025, meeting_name=name, meeting_date=when.date(),
        user=None, now=when,
    )


@pytest.fixture
def ise1(plans) -> Plan:
    return Plan.objects.get(code="ise-1")


def change_ise1_01() -> None:
    actual = Actual.objects.get(indicator__code="ISE1-01", fiscal_year=2025)
    actual.value = Decimal("100")
    actual.analysis = "要因を追記"
    actual.save()


def print_row(html: str, number: int) -> str:
    """Return the print table's row of the KGI numbered ``number``."""
    match = re.search(
        rf'<tr[^>]*>\s*<th scope="row" class="print-table__no">{number}\b.*?</tr>', html, re.S
    )
    assert match, f"No.{number} not found"
    return match.group(0)


def sheet_block(html: str, code: str) -> str:
    match = re.search(rf'<section class="sheet-block[^"]*"[^>]*>\s*<h2[^>]*>No\.\d+　{code}.*?</section>',
                      html, re.S)
    assert match, f"{code} not found"
    return match.group(0)


def dashboard_row(html: str, code: str) -> str:
    match = re.search(rf'<tr[^>]*>\s*<th scope="row" class="code"><a [^>]*>{code}</a>.*?</tr>',
                      html, re.S)
    assert match, f"{code} not found"
    return match.group(0)


@pytest.mark.django_db
def test_the_first_edition_freezes_the_three_pages_as_presented(ise1):
    edition = freeze(ise1)
    line = f"会議資料版（第1版・{MEETING}）"
    # The print page: header, the document's figures, the day of freezing.
    assert line in edition.print_html
    assert "伊勢市デジタル行政推進ビジョン（第1期）　令和7年度（2025）" in edition.print_html
    assert "令和8年6月10日現在" in edition.print_html
    assert "142件" in print_row(edition.print_html, 1)
    assert "達成割合" in edition.print_html
    # The sheet: the edition named atop every printed sheet (the repeated thead).
    thead = re.search(r"<thead class=\"progress-sheet__header\">.*?</thead>",
                      edition.sheet_html, re.S).group(0)
    assert line in thead
    assert "142件" in sheet_block(edition.sheet_html, "ISE1-01")
    # The dashboard: counts and every KGI, no chart, no script, no navigation.
    assert edition.dashboard_html.count('class="code"><a href="/indicators/ISE1-') == 20
    assert "令和7年度（2025）の評価" in edition.dashboard_html
    for html in (edition.dashboard_html, edition.print_html, edition.sheet_html):
        assert "<script" not in html
        assert "breadcrumbs" not in html
        assert "year-selector" not in html
        assert "◆" not in html
    assert "data-chart-json" not in edition.dashboard_html


@pytest.mark.django_db
def test_the_next_edition_marks_the_changed_kgi_on_every_page(ise1):
    freeze(ise1)
    change_ise1_01()
    second = freeze(ise1, name="第2回", when=SECOND)
    legend = (
        f"◆＝前回の版（第1版：{MEETING}）から変わった指標。"
        "変更点の一覧：No.1 ISE1-01（実績値・評価・要因分析）"
    )
    for html in (second.dashboard_html, second.print_html, second.sheet_html):
        assert legend in html
    # The changed KGI: the word and the bordered row; the unchanged ones: neither.
    changed = print_row(second.print_html, 1)
    assert 'class="kgi-changed"' in changed and MARK in changed and "100件" in changed
    unchanged = print_row(second.print_html, 2)
    assert "kgi-changed" not in unchanged and MARK not in unchanged
    assert second.print_html.count(MARK) == 1
    block = sheet_block(second.sheet_html, "ISE1-01")
    assert "sheet-block--changed" in block and MARK in block and "要因を追記" in block
    assert MARK not in sheet_block(second.sheet_html, "ISE1-02")
    assert second.sheet_html.count(MARK) == 1
    assert MARK in dashboard_row(second.dashboard_html, "ISE1-01")
    assert MARK not in dashboard_row(second.dashboard_html, "ISE1-02")
    assert second.dashboard_html.count(MARK) == 1
    assert services.digest_of(second) == second.digest


@pytest.mark.django_db
def test_an_edition_with_nothing_changed_marks_nothing(ise1):
    freeze(ise1)
    second = freeze(ise1, name="第2回", when=SECOND)
    assert second.data["changes"] == []
    for html in (second.dashboard_html, second.print_html, second.sheet_html):
        assert "◆" not in html
    assert "会議資料版（第2版・第2回）" in second.print_html


def test_the_legend_names_the_previous_edition_and_each_kgi_once():
    data = {
        "previous": {"number": 2, "meeting_name": "第2回会議", "meeting_date": "2026-09-01"},
        "kgis": [{"code": "A-01", "number": 1}, {"code": "A-02", "number": 2}],
        "changes": [
            {"code": "A-02", "field": "目標値", "before": "1件", "after": "2件"},
            {"code": "A-02", "field": "評価", "before": "達成", "after": "未達成"},
            {"code": "A-09", "field": "指標", "before": "掲載", "after": "削除"},
        ],
    }
    assert rendering.legend(data) == (
        "◆＝前回の版（第2版：第2回会議）から変わった指標。"
        "変更点の一覧：No.2 A-02（目標値・評価）、A-09（指標）"
    )
    assert rendering.legend({**data, "changes": []}) == ""
    assert rendering.legend({**data, "previous": None}) == ""
