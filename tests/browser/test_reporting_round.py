"""The whole reporting round in a real Chromium, on the live server and the real ise-2 plan.

デジタル政策課 owns ISE2-01..03 and 戸籍住民課 ISE2-13, 14
(tests/reporting/conftest.py); each has a login with an e-mail address,
and so has the Ise office. The server's clock is moved through the
round (``django.utils.timezone.now``, which every page, service and the
mail worker read):

- 令和9年4月15日: the office opens 「令和8年度 実績報告」 through the form,
  deadline 令和9年4月20日;
- 4月16日: デジタル政策課 comes from the home banner, types its values as
  staff type them (「45.0%」, 「２２名」, 「１７５」) with the three
  comments, saves and submits; 戸籍住民課 downloads its entry sheet from
  its page, fills it with openpyxl, uploads it through the admin's actuals
  import and confirms the preview, and forgets to submit;
- 4月19日: the office returns デジタル政策課's answer with a comment on
  ISE2-01; the department sees it beside the field, fixes the value and
  submits again;
- 4月22日 (two days late for 戸籍住民課): the reminder job records its
  reminder, the mail worker's tasks send every recorded message to a real
  SMTP server on loopback, and the reminder's link opens 戸籍住民課's page,
  where it submits; the office confirms both on the board;
- the 進捗管理シート, printed by Chromium, carries both departments'
  commentary and the confirmed values.

With ``SCREENSHOTS=1`` the test also writes docs/screenshots/round-*.png.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

import openpyxl
import pytest
from django.utils import timezone

from indicators.models import Actual, ActualState, Indicator
from reporting import reminders
from reporting.models import Message, MessageStatus, ReturnNote, Round, SubmissionStatus
from tests.browser.helpers import log_in
from tests.browser.test_print import pdf_pages, squeezed
from tests.helpers import PASSWORD
from tests.mailserver import free_port, smtp_server, subject
from tests.reporting import conftest as reporting
from tests.reporting.conftest import DIGITAL, RESIDENTS, TOKYO
from tests.reporting.test_mail import work_off

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.django_db(transaction=True)

owners = reporting.owners

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DEADLINE = date(2027, 4, 20)
# What the departments report: the page as typed, the sheet as written.
TYPED = {
    "ISE2-01": ("45.0%", "職員研修を3回開催し、延べ412名が受講した。",
                "研修後のアンケートで理解度が上がった。", "管理職向けの研修を加える。"),
    "ISE2-02": ("２２名", "DXリーダー認定の募集を年2回に増やした。",
                "各課からの推薦が増えた。", "認定後のフォローアップ研修を行う。"),
    "ISE2-03": ("１７５", "DX活用人材の認定講座を4期開催した。",
                "オンライン受講を可能にした。", "認定者の活用事例を庁内で共有する。"),
}
FIXED = ("４２．５", "（2つの設問の平均値に訂正）")
RETURN_COMMENT = "45.0%は1つ目の設問の割合です。2つの設問の割合の平均値を入力してください。"
SHEET = {
    "ISE2-13": (181, "転入届など11手続をオンライン化した。", "電子申請の様式を共通化した。",
                "子育て関連の手続を優先して拡大する。"),
    "ISE2-14": (86.5, "利用者アンケートを窓口と電子申請で実施した。",
                "入力項目の多い手続で満足度が下がった。", "入力画面を見直し、説明を短くする。"),
}


class Clock:
    """The server's clock: real time, shifted to the day the test says."""

    def __init__(self, start: datetime) -> None:
        self.move_to(start)

    def move_to(self, when: datetime) -> None:
        self.offset = when - datetime.now(tz=TOKYO)

    def __call__(self) -> datetime:
        return datetime.now(tz=TOKYO) + self.offset


def at(day: int, hour: int) -> datetime:
    """A time of April 2027 in Tokyo."""
    return datetime(2027, 4, day, hour, 0, tzinfo=TOKYO)


@dataclass
class Desk:
    """Each user's own browser window (a context of its own, so logins do not mix)."""

    browser: Browser
    live_server: object
    errors: list[tuple[str, list[str]]] = field(default_factory=list)
    contexts: list = field(default_factory=list)

    def open(self, username: str, path: str = "/") -> Page:
        """A fresh window logged in as ``username`` (a session dies when the clock jumps)."""
        context = self.browser.new_context(
            locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        # The console errors of every window (a CSP refusal shows there).
        self.errors.append((username, log_in(page, self.live_server, (username, PASSWORD),
                                             path)))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock(at(15, 9))
    with mock.patch("django.utils.timezone.now", clock):
        yield clock


@pytest.fixture
def desk(browser, live_server) -> Iterator[Desk]:
    desk = Desk(browser, live_server)
    yield desk
    desk.close()


@pytest.fixture
def smtp(settings, live_server):
    """Django's SMTP backend pointed at a loopback port; links lead to the live server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "kpi@city.ise.example"
    settings.SITE_URL = live_server.url
    return settings


def screenshot(page: Page, name: str, **options) -> None:
    """Write docs/screenshots/<name> when SCREENSHOTS=1 (else nothing)."""
    if os.environ.get("SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / name, **options)


def click_through(page: Page, name: str | re.Pattern, role: str = "button") -> None:
    """Click a button or link by its accessible name and wait for the next page."""
    with page.expect_navigation():
        page.get_by_role(role, name=name, exact=True).click()
    page.wait_for_load_state("load")


def on_the_board(action: str, department: str) -> re.Pattern:
    """A board button's name: the action, then the department for a screen reader."""
    return re.compile(rf"^{action}\s*（{department}）$")


def main_text(page: Page) -> str:
    return page.inner_text("main")


def board_states(page: Page, department: str) -> tuple[str, list[str]]:
    """A department's state (「未着手 ⚠ 期限超過」 when late) and its KGIs' states on the board."""
    group = page.locator("tbody.department", has=page.locator(".department-name",
                                                              has_text=department))
    head = group.locator(".department-row th")
    state = head.locator(".state").inner_text()
    if head.locator(".overdue").count():
        state += " " + " ".join(head.locator(".overdue").inner_text().split())
    return state, [cell.strip() for cell in group.locator("td.state-cell").all_inner_texts()]


# The steps of the round, in order.


def office_opens_the_round(desk: Desk) -> tuple[Page, Round]:
    page = desk.open("ise-office", "/reporting/")
    click_through(page, "実績報告を開始する", role="link")
    # April 2027: ise-2 and 令和8年度 are chosen already; 実績報告 by default.
    assert page.eval_on_selector("#id_fiscal_year", "s => s.selectedOptions[0].text") == (
        "令和8年度（2026）")
    page.fill("#id_deadline", DEADLINE.isoformat())
    click_through(page, "開始する（各課にメールを送る）")
    round_ = Round.objects.get(plan__code="ise-2", fiscal_year=2026)
    assert page.inner_text("main h1") == "令和8年度 実績報告　提出状況"
    text = main_text(page)
    assert "2課に入力を依頼し、メール2件を送信待ちとして記録しました。" in text
    assert "令和9年4月20日（あと5日）" in text
    assert board_states(page, DIGITAL) == ("未着手", ["未着手"] * 3)
    assert board_states(page, RESIDENTS) == ("未着手", ["未着手"] * 2)
    return page, round_


def kgi_ids(round_: Round) -> dict[str, int]:
    return dict(Indicator.objects.filter(plan=round_.plan).values_list("code", "pk"))


def digital_enters_and_submits(desk: Desk, ids: dict[str, int]) -> None:
    page = desk.open("digital")
    banner = page.get_by_role("region", name="実績報告")
    assert "令和8年度 実績報告：3件中0件 入力済み　期限 令和9年4月20日（あと4日）" in (
        banner.inner_text())
    with page.expect_navigation():
        banner.get_by_role("link").first.click()
    assert page.inner_text("h1").startswith("令和8年度 実績報告")
    for code, (value, progress, analysis, direction) in TYPED.items():
        pk = ids[code]
        page.fill(f"#value-{pk}", value)
        page.fill(f"#progress-{pk}", progress)
        page.fill(f"#analysis-{pk}", analysis)
        page.fill(f"#direction-{pk}", direction)
    click_through(page, "下書き保存")
    text = main_text(page)
    assert "保存しました（3件）" in text
    assert "3件中3件 入力済み" in page.inner_text(".entry-header")
    first = page.locator(".entry", has_text="ISE2-01")
    assert "45.0%" in first.inner_text() and "達成率 112.5%" in first.inner_text()
    values = {a.indicator.code: (a.value, a.value_places, a.state, a.progress)
              for a in Actual.objects.filter(indicator_id__in=ids.values(), fiscal_year=2026)}
    assert values == {
        "ISE2-01": (Decimal("45.0"), 1, ActualState.MEASURED, TYPED["ISE2-01"][1]),
        "ISE2-02": (Decimal(22), 0, ActualState.MEASURED, TYPED["ISE2-02"][1]),
        "ISE2-03": (Decimal(175), 0, ActualState.MEASURED, TYPED["ISE2-03"][1]),
    }
    click_through(page, "提出する")
    assert "提出しました。DX推進担当が確認します。" in main_text(page)
    assert page.inner_text(".entry-header .submission-status") == "提出済"
    assert page.locator(".entry input, .entry textarea").count() == 0


def residents_fills_the_entry_sheet(desk: Desk, round_: Round, tmp_path: Path) -> None:
    submission = round_.submissions.get(department__name=RESIDENTS)
    page = desk.open("residents", f"/reporting/submissions/{submission.pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="この課の記入用シート（Excel）をダウンロード").click()
    downloaded = tmp_path / download.value.suggested_filename
    assert downloaded.suffix == ".xlsx"
    download.value.save_as(downloaded)
    workbook = openpyxl.load_workbook(downloaded)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    column = {name: headers.index(name) + 1 for name in headers if name}
    rows = {sheet.cell(row, column["指標コード"]).value: row
            for row in range(2, sheet.max_row + 1)}
    assert sorted(rows) == ["ISE2-13", "ISE2-14"]
    for code, (value, progress, analysis, direction) in SHEET.items():
        row = rows[code]
        assert sheet.cell(row, column["年度"]).value == 2026
        sheet.cell(row, column["実績値"]).value = value
        sheet.cell(row, column["取組状況"]).value = progress
        sheet.cell(row, column["要因分析"]).value = analysis
        sheet.cell(row, column["今後の方向性"]).value = direction
    filled = tmp_path / "戸籍住民課_記入用シート.xlsx"
    workbook.save(filled)

    # The download left the page in place: its link to the admin's import;
    # upload, preview, confirm.
    click_through(page, "管理画面で取り込み", role="link")
    page.set_input_files("#id_import_file", filled)
    click_through(page, "アップロードして内容を確認")
    preview = page.inner_text("#content")
    assert "ISE2-13" in preview and "181件" in preview
    assert "ISE2-14" in preview and "86.5%" in preview
    with page.expect_navigation():
        page.locator("input[name=confirm]").click()
    assert page.locator(".messagelist li").all_inner_texts() == [
        "取り込みました：新規 2件 / 変更 0件 / 変更なし 0件 / 空欄 0件"]
    actuals = {a.indicator.code: a for a in Actual.objects.filter(
        indicator__code__in=SHEET, fiscal_year=2026)}
    assert {code: (a.value, a.progress, a.analysis, a.direction, a.confirmed)
            for code, a in actuals.items()} == {
        "ISE2-13": (Decimal(181), *SHEET["ISE2-13"][1:], False),
        "ISE2-14": (Decimal("86.5"), *SHEET["ISE2-14"][1:], False),
    }
    # Its page shows what the sheet brought; it has not submitted.
    page.goto(f"{desk.live_server.url}/reporting/submissions/{submission.pk}/")
    assert "2件中2件 入力済み" in page.inner_text(".entry-header")
    assert page.input_value(f"#progress-{actuals['ISE2-13'].indicator_id}") == (
        SHEET["ISE2-13"][1])


def office_returns_digital(page: Page, round_: Round, ids: dict[str, int]) -> None:
    assert board_states(page, DIGITAL) == ("提出済", ["提出済"] * 3)
    # The department's sheet is its entry: its submission and its KGIs are 入力中.
    assert board_states(page, RESIDENTS) == ("入力中", ["入力中"] * 2)
    click_through(page, on_the_board("差し戻す", DIGITAL), role="link")
    assert TYPED["ISE2-01"][1] in main_text(page)
    page.fill(f"#comment-{ids['ISE2-01']}", RETURN_COMMENT)
    click_through(page, "差し戻す")
    assert "デジタル政策課の提出を差し戻しました（コメント1件）。" in main_text(page)
    assert board_states(page, DIGITAL) == ("差戻し", ["差戻し"] * 3)
    note = ReturnNote.objects.get()
    assert (note.indicator_id, note.comment) == (ids["ISE2-01"], RETURN_COMMENT)


def digital_fixes_and_submits_again(desk: Desk, round_: Round, ids: dict[str, int]) -> None:
    submission = round_.submissions.get(department__name=DIGITAL)
    page = desk.open("digital", f"/reporting/submissions/{submission.pk}/")
    assert page.inner_text(".entry-header .submission-status") == "差戻し"
    first = ids["ISE2-01"]
    note = page.locator(".entry", has_text="ISE2-01").locator(".return-note")
    assert RETURN_COMMENT in note.inner_text()
    # Only beside the KGI it is about, and named by its value field to a screen reader.
    assert page.locator(".return-note").count() == 1
    assert f"note-{first}" in page.get_attribute(f"#value-{first}", "aria-describedby")
    page.fill(f"#value-{first}", FIXED[0])
    page.fill(f"#progress-{first}", TYPED["ISE2-01"][1] + FIXED[1])
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "round-department.png")
    click_through(page, "下書き保存")
    assert "保存しました（1件）" in main_text(page)
    block = page.locator(".entry", has_text="ISE2-01").inner_text()
    assert "42.5%" in block and "達成率 106.3%" in block
    click_through(page, "提出する")
    assert "提出しました。DX推進担当が確認します。" in main_text(page)


def reminder_reaches_residents(desk: Desk, round_: Round, smtp) -> str:
    """The job records the day's reminders; the worker sends all mail; return the link."""
    counts = reminders.reminders_record(
        today=timezone.localdate(), days_before=smtp.REPORTING_REMIND_DAYS_BEFORE
    )
    assert counts == {"reminder": 1, "late": 1}
    with smtp_server(smtp.EMAIL_PORT) as (inbox, _port):
        sent = work_off()
    # Opened ×2, submitted ×2 and returned ×1 as the round went, then today's two.
    assert sent == Message.objects.count() == 7
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    received = inbox.to("residents@city.ise.example")
    assert [subject(m) for m in received] == [
        "【実績報告のお願い】第2期 伊勢市デジタル行政推進ビジョン 令和8年度 実績報告"
        "（期限 令和9年4月20日）",
        "【実績報告】提出のお願い：提出期限を2日過ぎています（令和8年度 実績報告）",
    ]
    body = received[-1].get_content()
    assert "提出期限 令和9年4月20日：提出期限を2日過ぎています。" in body
    assert not any("提出のお願い" in subject(m) for m in inbox.to("digital@city.ise.example"))
    [late] = [m for m in inbox.to("office@city.ise.example") if "期限を過ぎて" in subject(m)]
    assert "・戸籍住民課（入力中）" in late.get_content()
    [link] = re.findall(r"入力ページ：(\S+)", body)
    submission = round_.submissions.get(department__name=RESIDENTS)
    assert link == f"{desk.live_server.url}/reporting/submissions/{submission.pk}/"
    return link.removeprefix(desk.live_server.url)


def office_confirms(page: Page, department: str) -> None:
    click_through(page, on_the_board("確定する", department))
    assert f"{department}の提出を確定しました。" in main_text(page)


def board_screenshot(page: Page) -> None:
    """The board down to its departments' table (the list of unowned KGIs is left out)."""
    box = page.locator("section", has=page.locator("#board-departments")).bounding_box()
    screenshot(page, "round-board.png", full_page=True,
               clip={"x": 0, "y": 0, "width": 1280, "height": box["y"] + box["height"] + 16})


def sheet_screenshot(page: Page) -> None:
    """The first A4 sheet as printed: its printable width (186 mm at 96 dpi), the
    blocks that fit its height (271 mm), none cut (the printed page breaks there)."""
    width, height = 703, 1024
    page.set_viewport_size({"width": width, "height": height})
    bottoms = page.eval_on_selector_all(
        ".progress-sheet__row", "rows => rows.map(row => row.getBoundingClientRect().bottom)")
    last = max(bottom for bottom in bottoms if bottom <= height)
    screenshot(page, "round-progress-sheet.png",
               clip={"x": 0, "y": 0, "width": width, "height": last + 4})
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_whole_round_in_a_browser(owners, clock, desk, smtp, tmp_path):
    office, round_ = office_opens_the_round(desk)
    ids = kgi_ids(round_)

    clock.move_to(at(16, 10))
    digital_enters_and_submits(desk, ids)
    clock.move_to(at(16, 14))
    residents_fills_the_entry_sheet(desk, round_, tmp_path)

    clock.move_to(at(19, 10))
    office = desk.open("ise-office", f"/reporting/rounds/{round_.pk}/")
    office_returns_digital(office, round_, ids)
    clock.move_to(at(19, 15))
    digital_fixes_and_submits_again(desk, round_, ids)

    # Two days past the deadline, 戸籍住民課 has still not submitted.
    clock.move_to(at(22, 9))
    link = reminder_reaches_residents(desk, round_, smtp)
    office = desk.open("ise-office", f"/reporting/rounds/{round_.pk}/")
    assert "令和9年4月20日（期限を2日過ぎています）" in main_text(office)
    office_confirms(office, DIGITAL)
    assert board_states(office, DIGITAL) == ("確定", ["確定"] * 3)
    assert board_states(office, RESIDENTS) == ("入力中 ⚠ 期限超過", ["入力中"] * 2)
    board_screenshot(office)

    clock.move_to(at(22, 10))
    residents = desk.open("residents", link)
    assert "期限を2日過ぎています" in residents.inner_text(".entry-header")
    click_through(residents, "提出する")
    assert "提出しました。DX推進担当が確認します。" in main_text(residents)

    clock.move_to(at(22, 11))
    office.reload()
    office_confirms(office, RESIDENTS)
    assert board_states(office, RESIDENTS) == ("確定", ["確定"] * 2)
    assert "提出済\n2／2課" in main_text(office)
    assert set(round_.submissions.values_list("status", flat=True)) == {
        SubmissionStatus.CONFIRMED}
    reported = Actual.objects.filter(indicator_id__in=[ids[code] for code in (*TYPED, *SHEET)],
                                     fiscal_year=2026)
    assert {a.indicator.code: (a.value, a.confirmed) for a in reported} == {
        "ISE2-01": (Decimal("42.5"), True), "ISE2-02": (Decimal(22), True),
        "ISE2-03": (Decimal(175), True), "ISE2-13": (Decimal(181), True),
        "ISE2-14": (Decimal("86.5"), True),
    }

    # The meeting's paper: both departments' commentary, the confirmed values.
    office.goto(f"{desk.live_server.url}/plans/ise-2/print/2026/sheet/")
    office.emulate_media(media="print")
    sheet_screenshot(office)
    pages = pdf_pages(office.pdf(prefer_css_page_size=True, print_background=True))
    text = squeezed("".join(text for _size, text in pages))
    commentary = {code: comments for code, (_value, *comments) in {**TYPED, **SHEET}.items()}
    commentary["ISE2-01"][0] += FIXED[1]
    for code, comments in commentary.items():
        block = text[text.index(squeezed(code)):]
        for heading, comment in zip(("取組状況", "要因分析", "今後の方向性"), comments,
                                    strict=True):
            assert squeezed(heading + comment) in block, (code, heading)
    for code, value in (("ISE2-01", "42.5%"), ("ISE2-02", "22名"), ("ISE2-03", "175名"),
                        ("ISE2-13", "181件"), ("ISE2-14", "86.5%")):
        block = text[text.index(squeezed(code)):]
        assert block.index(squeezed(f"実績値(R8){value}評価")) < block.index("取組状況"), code
    # Confirmed: no 速報 mark, no count of unconfirmed actuals.
    assert "速報" not in text
    # デジタル政策課's three KGIs open the first sheet.
    assert all(code in squeezed(pages[0][1]) for code in TYPED)
    assert [(user, errors) for user, errors in desk.errors if errors] == []
