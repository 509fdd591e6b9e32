"""The office runs a reporting round in a real Chromium, by keyboard.

It opens 「令和8年度 実績報告」 for ise-2 through the form, sees the board,
and returns デジタル政策課's submission with a comment, moving with Tab and
Enter only. axe-core finds no WCAG 2.1 A/AA violation on any of these
pages, at 1,280 px and on a 768 px tablet, where every KGI's state word
stays on the screen.
"""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest

from indicators.models import ActualState
from reporting import services
from reporting.models import ReturnNote, Round, SubmissionStatus
from tests.browser.helpers import log_in, wcag_violations
from tests.helpers import PASSWORD
from tests.reporting import conftest as reporting
from tests.reporting.conftest import OPENED

pytestmark = pytest.mark.django_db(transaction=True)

# The reporting tests' ise-2 round (デジタル政策課: ISE2-01..03, 戸籍住民課: 13, 14).
owners = reporting.owners
opened = reporting.opened

FOCUSED = r"""() => {
    const element = document.activeElement;
    return {id: element.id, text: (element.textContent || '').replace(/\s+/g, ''),
            tag: element.tagName};
}"""
# Where each KGI row's state cell sits, and whether anything overflows.
LAYOUT = """() => {
    const width = document.documentElement.clientWidth;
    const cells = [...document.querySelectorAll('.board-table tbody.department td.state-cell')];
    return {
        width,
        pageOverflow: document.documentElement.scrollWidth - width,
        tableOverflow: Math.max(0, ...[...document.querySelectorAll('.table-scroll')]
            .map(region => region.scrollWidth - region.clientWidth)),
        states: cells.map(cell => {
            const rect = cell.querySelector('.state').getBoundingClientRect();
            return {left: rect.left, right: rect.right, text: cell.innerText.trim()};
        }),
    };
}"""


def tab_to(page, *, text: str = "", element_id: str = "", limit: int = 120) -> None:
    """Press Tab until the focused element is the one named (by its text or id)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if (text and focused["text"] == text) or (element_id and focused["id"] == element_id):
            return
    raise AssertionError(f"Tab never reached {text or element_id}")


def press_enter(page) -> None:
    """Press Enter on the focused link or button and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")


def assert_axe_clean(page) -> None:
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)


def submit_digital(owners, round_) -> None:
    """デジタル政策課 enters its three KGIs with comments and submits (as its page would)."""
    submission = round_.submissions.get(department=owners.digital)
    kgis = services.round_indicators(round_, owners.digital)
    services.entries_save(submission=submission, entries=[
        services.Entry(kgi.pk, ActualState.MEASURED, Decimal(value), places,
                       progress=f"{kgi.code}の取組状況", analysis="要因", direction="方向性")
        for kgi, (value, places) in zip(kgis, [("45.0", 1), ("18", 0), ("170", 0)],
                                        strict=True)
    ], user=owners.digital_user, seen=submission.version, now=OPENED)
    submission.refresh_from_db()
    services.submission_submit(submission=submission, user=owners.digital_user,
                               seen=submission.version, now=OPENED)


def test_office_opens_a_round_and_returns_a_submission_by_keyboard(owners, live_server, page):
    with mock.patch("reporting.views.office.now", return_value=OPENED):
        errors = log_in(page, live_server, ("ise-office", PASSWORD), "/reporting/")
        assert page.inner_text("main h1") == "実績報告"
        assert_axe_clean(page)

        tab_to(page, text="実績報告を開始する")
        press_enter(page)
        assert page.url.endswith("/reporting/rounds/new/")
        # April 2027: ise-2 and fiscal 2026 are chosen already.
        assert page.eval_on_selector("#id_plan", "s => s.selectedOptions[0].text") == (
            "伊勢市 第2期 伊勢市デジタル行政推進ビジョン")
        assert page.eval_on_selector("#id_fiscal_year", "s => s.selectedOptions[0].text") == (
            "令和8年度（2026）")
        assert_axe_clean(page)
        # A past deadline first: refused, said, nothing opened.
        tab_to(page, element_id="id_deadline")
        page.fill("#id_deadline", "2027-03-31")
        tab_to(page, text="開始する（各課にメールを送る）")
        press_enter(page)
        assert "提出期限（令和9年3月31日）が過去の日付です。" in page.inner_text("main")
        assert not Round.objects.exists()
        assert_axe_clean(page)
        page.focus("#id_deadline")
        page.fill("#id_deadline", "2027-05-29")
        tab_to(page, text="開始する（各課にメールを送る）")
        press_enter(page)

        round_ = Round.objects.get(plan__code="ise-2", fiscal_year=2026)
        assert page.url.endswith(f"/reporting/rounds/{round_.pk}/")
        assert page.inner_text("main h1") == "令和8年度 実績報告　提出状況"
        main = page.inner_text("main")
        assert "2課に入力を依頼し、メール2件を送信待ちとして記録しました。" in main
        assert "令和9年5月29日（あと44日）" in main
        assert_axe_clean(page)

        submit_digital(owners, round_)
        page.reload()
        tab_to(page, text="差し戻す（デジタル政策課）")
        press_enter(page)
        assert page.url.endswith("/return/")
        assert "ISE2-01の取組状況" in page.inner_text("main")
        assert_axe_clean(page)
        first = services.round_indicators(round_, owners.digital)[0]
        tab_to(page, element_id=f"comment-{first.pk}")
        page.keyboard.type("回答の母数を添えてください。")
        tab_to(page, text="差し戻す")
        press_enter(page)
        assert page.url.endswith(f"/reporting/rounds/{round_.pk}/")

        main = page.inner_text("main")
        assert "デジタル政策課の提出を差し戻しました（コメント1件）。" in main
        note = ReturnNote.objects.get()
        assert (note.indicator_id, note.comment) == (first.pk, "回答の母数を添えてください。")
        assert round_.submissions.get(department=owners.digital).status == (
            SubmissionStatus.RETURNED)
        states = page.eval_on_selector_all(
            f"#department-{round_.submissions.get(department=owners.digital).pk} .state-cell",
            "cells => cells.map(cell => cell.innerText.trim())")
        assert states == ["差戻し", "差戻し", "差戻し"]
        assert_axe_clean(page)
        assert errors == []


@pytest.mark.parametrize("width", [1280, 768])
def test_the_board_keeps_its_states_in_view(owners, opened, live_server, page, width):
    submit_digital(owners, opened)
    page.set_viewport_size({"width": width, "height": 1024 if width < 1000 else 900})
    # After the deadline: 戸籍住民課 is late.
    late = OPENED.replace(month=6, day=1)
    with mock.patch("reporting.views.office.now", return_value=late):
        errors = log_in(page, live_server, ("ise-office", PASSWORD),
                        f"/reporting/rounds/{opened.pk}/")
        layout = page.evaluate(LAYOUT)
        assert layout["pageOverflow"] <= 0
        assert layout["tableOverflow"] <= 1
        assert [state["text"] for state in layout["states"]] == ["未着手", "未着手", "提出済",
                                                                  "提出済", "提出済"]
        for state in layout["states"]:
            assert state["left"] >= 0 and state["right"] <= layout["width"] + 0.5, state
        assert page.locator(".department--overdue .overdue").first.is_visible()
        assert_axe_clean(page)
        submission = opened.submissions.get(department=owners.digital)
        page.goto(f"{live_server.url}/reporting/submissions/{submission.pk}/return/")
        assert_axe_clean(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert errors == []
