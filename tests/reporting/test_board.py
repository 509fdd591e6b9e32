"""The office's board of a round: rows, states, counts, overdue, mail, query count.

On the real ise-2 round (tests/reporting/conftest.py): デジタル政策課 is
asked for ISE2-01..03, 戸籍住民課 for ISE2-13 and 14; every other KGI is
所管課未設定. The sizes of the query-count test come from factories.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, ActualState
from reporting import services
from reporting.models import Message, MessageStatus, Purpose
from tests.factories import DepartmentFactory, IndicatorFactory, MeasureFactory, PlanFactory
from tests.helpers import client_for, user_with_role, visible_text
from tests.reporting.conftest import DEADLINE, OPENED, TOKYO

pytestmark = pytest.mark.django_db

STATES = ("未着手", "入力中", "提出済", "差戻し", "確定")


@pytest.fixture(autouse=True)
def clock():
    """The board's clock stands on 令和9年4月15日 unless a test moves it."""
    with mock.patch("reporting.views.office.now", return_value=OPENED) as now:
        yield now
SAVED = datetime(2027, 4, 20, 10, 5, tzinfo=TOKYO)


class _TableRows(HTMLParser):
    """Every row of the page's board tables: (tbody id, texts of its cells)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str | None, list[str]]] = []
        self._in_table = False
        self._group: str | None = None
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self._in_table = "board-table" in (found.get("class") or "")
        elif not self._in_table:
            return
        elif tag == "tbody":
            self._group = found.get("id")
        elif tag == "tr":
            self._cells = []
        elif tag in ("td", "th") and self._cells is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            self.rows.append((self._group, self._cells))
            self._cells = None
        elif tag == "table":
            self._in_table = False
            self._group = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[tuple[str | None, list[str]]]:
    parser = _TableRows()
    parser.feed(html)
    return parser.rows


def kgi_rows(response, submission) -> dict[str, list[str]]:
    """Map each KGI code of one department's rows to its cells (code, item, state, value, evaluation)."""
    group = f"department-{submission.pk}"
    return {cells[0]: cells for tbody, cells in table_rows(response.content.decode())
            if tbody == group and len(cells) == 5}


def department_row(response, submission) -> str:
    """Return the text of one department's heading row (state, overdue, last change)."""
    group = f"department-{submission.pk}"
    return next(" ".join(cells) for tbody, cells in table_rows(response.content.decode())
                if tbody == group and len(cells) == 2)


def unassigned_codes(response) -> list[str]:
    return [cells[0] for tbody, cells in table_rows(response.content.decode())
            if tbody == "unassigned-kgis"]


def counts(response, heading: str) -> dict[str, int]:
    """Read the counts under ``heading`` (「所管課（2課）」, 「KGI（所管課ごと）」)."""
    text = visible_text(response)
    part = text[text.index(heading):]
    return {state: int(re.search(rf"{state} (\d+)", part)[1]) for state in STATES}


def board(client, round_):
    response = client.get(reverse("reporting:board", args=[round_.pk]))
    assert response.status_code == 200
    return response


def entries(codes_values, kgis) -> list[services.Entry]:
    by_code = {kgi.code: kgi for kgi in kgis}
    return [services.Entry(by_code[code].pk, ActualState.MEASURED, Decimal(value),
                           len(value.partition(".")[2]), progress=f"{code}の取組")
            for code, value in codes_values]


@pytest.fixture
def office(owners):
    return client_for(owners.office)


@pytest.fixture
def digital(owners, opened):
    return opened.submissions.get(department=owners.digital)


@pytest.fixture
def residents(owners, opened):
    return opened.submissions.get(department=owners.residents)


def save_two_of_three(owners, opened, digital) -> None:
    kgis = services.round_indicators(opened, owners.digital)
    services.entries_save(submission=digital, entries=entries(
        [("ISE2-01", "45.0"), ("ISE2-02", "18")], kgis,
    ), user=owners.digital_user, seen=digital.version, now=SAVED)
    digital.refresh_from_db()


def submit_all(owners, opened, digital) -> None:
    kgis = services.round_indicators(opened, owners.digital)
    services.entries_save(submission=digital, entries=entries(
        [("ISE2-03", "170")], kgis,
    ), user=owners.digital_user, seen=digital.version, now=SAVED)
    digital.refresh_from_db()
    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version, now=SAVED)
    digital.refresh_from_db()


def test_a_new_round_shows_every_asked_kgi_not_started(office, opened, digital, residents):
    response = board(office, opened)
    assert list(kgi_rows(response, digital)) == ["ISE2-01", "ISE2-02", "ISE2-03"]
    assert list(kgi_rows(response, residents)) == ["ISE2-13", "ISE2-14"]
    for row in [*kgi_rows(response, digital).values(), *kgi_rows(response, residents).values()]:
        assert row[2] == "未着手"
        assert row[3] == "未入力" and row[4] == ""
    assert counts(response, "所管課（2課）") == dict.fromkeys(STATES, 0) | {"未着手": 2}
    assert counts(response, "KGI（所管課ごと）") == dict.fromkeys(STATES, 0) | {"未着手": 5}
    text = visible_text(response)
    assert "令和8年度 実績報告 提出状況" in text
    assert "提出期限 令和9年5月29日" in text


def test_two_saved_kgis_are_in_progress_and_the_third_not_started(
    office, owners, opened, digital, residents
):
    save_two_of_three(owners, opened, digital)
    response = board(office, opened)
    rows = kgi_rows(response, digital)
    assert [rows[code][2] for code in ("ISE2-01", "ISE2-02", "ISE2-03")] == [
        "入力中", "入力中", "未着手"]
    # The value as printed and its evaluation (target 40.0%, 20名【累計】).
    assert rows["ISE2-01"][3:] == ["45.0%", "達成《達成率：112.5%》"]
    assert rows["ISE2-02"][3] == "18名"
    assert rows["ISE2-02"][4].startswith("未達成《達成率：90.0%》")
    assert rows["ISE2-03"][3:] == ["未入力", ""]
    heading = department_row(response, digital)
    assert "入力中" in heading
    assert "最終更新 令和9年4月20日 10:05・digital" in heading
    assert counts(response, "所管課（2課）") == dict.fromkeys(STATES, 0) | {
        "未着手": 1, "入力中": 1}
    assert counts(response, "KGI（所管課ごと）") == dict.fromkeys(STATES, 0) | {
        "未着手": 3, "入力中": 2}


def test_submitted_returned_and_confirmed(office, owners, opened, digital, residents):
    save_two_of_three(owners, opened, digital)
    submit_all(owners, opened, digital)
    response = board(office, opened)
    assert {row[2] for row in kgi_rows(response, digital).values()} == {"提出済"}
    assert kgi_rows(response, digital)["ISE2-03"][3:] == ["170名", "達成《達成率：106.3%》"]
    assert "提出済" in department_row(response, digital)
    assert "提出済 1／2課" in visible_text(response)

    kgis = services.round_indicators(opened, owners.digital)
    services.submission_return(submission=digital, comments={kgis[0].pk: "根拠の資料を"},
                               user=owners.office, seen=digital.version, now=SAVED)
    digital.refresh_from_db()
    response = board(office, opened)
    assert {row[2] for row in kgi_rows(response, digital).values()} == {"差戻し"}
    assert "差戻し" in department_row(response, digital)

    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version, now=SAVED)
    digital.refresh_from_db()
    services.submission_confirm(submission=digital, user=owners.office, seen=digital.version,
                                now=SAVED)
    response = board(office, opened)
    assert {row[2] for row in kgi_rows(response, digital).values()} == {"確定"}
    assert {row[2] for row in kgi_rows(response, residents).values()} == {"未着手"}
    assert counts(response, "KGI（所管課ごと）") == dict.fromkeys(STATES, 0) | {
        "未着手": 2, "確定": 3}


def test_the_actions_shown_follow_the_state(office, owners, opened, digital):
    response = board(office, opened)
    confirm = reverse("reporting:submission_confirm", args=[digital.pk])
    give_back = reverse("reporting:submission_return", args=[digital.pk])
    assert confirm not in response.content.decode()
    assert give_back not in response.content.decode()
    save_two_of_three(owners, opened, digital)
    submit_all(owners, opened, digital)
    html = board(office, opened).content.decode()
    assert confirm in html and give_back in html
    assert "締め切る" in html


def test_overdue_after_the_deadline_in_words(office, owners, opened, digital, residents):
    with mock.patch("reporting.views.office.now", return_value=SAVED):
        on_time = board(office, opened)
    assert "期限超過" not in department_row(on_time, digital)
    assert "提出期限 令和9年5月29日（あと39日）" in visible_text(on_time)
    save_two_of_three(owners, opened, digital)
    submit_all(owners, opened, digital)
    after = datetime(2027, 6, 1, 9, 0, tzinfo=TOKYO)
    with mock.patch("reporting.views.office.now", return_value=after):
        response = board(office, opened)
    # Submitted in time is not late; 戸籍住民課 never started and is.
    assert "期限超過" not in department_row(response, digital)
    assert "期限超過" in department_row(response, residents)
    assert "department--overdue" in response.content.decode()
    text = visible_text(response)
    assert "期限を3日過ぎています" in text
    assert "期限超過 1" in text


def test_unassigned_kgis_are_listed_so_nothing_falls_through(office, opened):
    response = board(office, opened)
    expected = [f"ISE2-{number:02d}" for number in (*range(4, 13), 15, 16)]
    assert unassigned_codes(response) == expected
    assert "所管課未設定のKGI（11件）" in visible_text(response)
    assert "所管課未設定 11" in visible_text(response)


def test_mail_counts_and_failed_addresses(office, opened):
    response = board(office, opened)
    assert "送信待ち 2" in visible_text(response)
    message = Message.objects.get(round=opened, to="residents@city.ise.example")
    message.status = MessageStatus.FAILED
    message.attempts = 5
    message.save()
    text = visible_text(board(office, opened))
    assert "送信待ち 1" in text and "送信失敗 1" in text and "送信済み 0" in text
    assert "residents@city.ise.example" in text
    assert "digital@city.ise.example" not in text


def test_a_closed_round_offers_no_action(office, owners, opened, digital):
    save_two_of_three(owners, opened, digital)
    submit_all(owners, opened, digital)
    services.round_close(round_=opened, user=owners.office, seen=opened.version, now=SAVED)
    html = board(office, opened).content.decode()
    assert "締切済" in html
    assert reverse("reporting:submission_confirm", args=[digital.pk]) not in html
    assert reverse("reporting:round_extend", args=[opened.pk]) not in html
    assert reverse("reporting:round_close", args=[opened.pk]) not in html


def test_an_outlook_round_shows_its_outlooks_not_the_actuals(office, owners, plans):
    round_ = services.round_open(plan=owners.plan, fiscal_year=2026, deadline=DEADLINE,
                                 user=owners.office, purpose=Purpose.OUTLOOK, now=OPENED)
    digital = round_.submissions.get(department=owners.digital)
    kgis = services.round_indicators(round_, owners.digital)
    # ISE2-03's actual was entered elsewhere; the outlook round does not count it.
    Actual.objects.create(indicator=kgis[2], fiscal_year=2026, value=Decimal(150))
    services.entries_save(submission=digital, entries=entries([("ISE2-01", "45.0")], kgis),
                          user=owners.digital_user, seen=digital.version, now=SAVED)
    response = board(office, round_)
    assert "令和8年度 見込み報告 提出状況" in visible_text(response)
    assert "見込み値" in visible_text(response)
    rows = kgi_rows(response, digital)
    assert rows["ISE2-01"][2:] == ["入力中", "45.0%（見込み）", "達成《達成率：112.5%》（見込み）"]
    assert rows["ISE2-03"][2:] == ["未着手", "未入力", ""]


# The query count does not grow with departments or KGIs.


def synthetic_round(departments: int, kgis_each: int, name: str):
    """A plan whose ``departments`` each own one measure of ``kgis_each`` KGIs, opened."""
    plan = PlanFactory(code=f"plan-{name}")
    municipality = plan.municipality
    office = user_with_role(Role.OFFICE, municipality=municipality.code,
                            username=f"office-{name}")
    owned = []
    for number in range(departments):
        department = DepartmentFactory(municipality=municipality)
        measure = MeasureFactory(policy__plan=plan)
        measure.departments.add(department)
        kgis = [IndicatorFactory(measure=measure) for _ in range(kgis_each)]
        user = user_with_role(Role.DEPARTMENT, municipality=municipality.code,
                              departments=(department.name,), username=f"{name}-{number}")
        user.email = f"{name}-{number}@example.org"
        user.save()
        owned.append((department, kgis, user))
    # A KGI of a measure no department owns.
    IndicatorFactory(measure__policy__plan=plan)
    round_ = services.round_open(plan=plan, fiscal_year=2026, deadline=DEADLINE, user=office,
                                 now=OPENED)
    department, kgis, user = owned[0]
    submission = round_.submissions.get(department=department)
    services.entries_save(submission=submission, entries=[
        services.Entry(kgi.pk, ActualState.MEASURED, Decimal(5)) for kgi in kgis
    ], user=user, seen=submission.version, now=OPENED)
    Message.objects.filter(round=round_).update(status=MessageStatus.FAILED)
    return round_, office


def count_board_queries(round_, office) -> int:
    client = client_for(office)
    url = reverse("reporting:board", args=[round_.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_the_board_runs_a_constant_number_of_queries(plans):
    small = count_board_queries(*synthetic_round(2, 3, "small"))
    large_round, large_office = synthetic_round(6, 12, "large")
    large = count_board_queries(large_round, large_office)
    assert small == large
    assert large <= 14
    response = client_for(large_office).get(reverse("reporting:board", args=[large_round.pk]))
    rows = [cells for tbody, cells in table_rows(response.content.decode())
            if (tbody or "").startswith("department-") and len(cells) == 5]
    assert len(rows) == 6 * 12
    assert len(unassigned_codes(response)) == 1
