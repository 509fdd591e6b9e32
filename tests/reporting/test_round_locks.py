"""A submitted (or closed) round closes its year to the department's own
writes: its entry-sheet upload and its admin edits of that year are
refused with the round's messages, naming the KGI row; other years, the
DX office, and the department again after a return are not locked.

ise-2 as shipped, with デジタル政策課 owning ISE2-01..03 and 戸籍住民課
ISE2-13, 14 (tests/reporting/conftest.py).
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import scope_of
from indicators import entry_locks
from indicators.models import Actual, ActualState, Indicator
from reporting import services
from reporting.locks import round_refusals
from reporting.models import Purpose, Submission, SubmissionStatus
from spreadsheets.entry_sheet import entry_sheet
from tests.helpers import client_for, form_data
from tests.reporting.conftest import DEADLINE, OPENED, TOKYO
from tests.spreadsheets.test_admin import PROCESS_URL, upload

pytestmark = pytest.mark.django_db

SUBMITTED = services.state_message(Submission(status=SubmissionStatus.SUBMITTED), "edit")
DIGITAL_CODES = ("ISE2-01", "ISE2-02", "ISE2-03")
LATER = datetime(2027, 5, 1, 10, 0, tzinfo=TOKYO)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def submission_of(round_, department) -> Submission:
    return Submission.objects.get(round=round_, department=department)


def submit_digital(owners, round_) -> Submission:
    """デジタル政策課 saves its three KGIs on its page and submits (提出)."""
    submission = submission_of(round_, owners.digital)
    entries = [
        services.Entry(indicator_id=Indicator.objects.get(code=code).pk,
                       state=ActualState.MEASURED, value=Decimal(value), places=places,
                       progress="研修を実施した。")
        for code, value, places in (("ISE2-01", "41.0", 1), ("ISE2-02", "18", 0),
                                    ("ISE2-03", "150", 0))
    ]
    services.entries_save(submission=submission, entries=entries, user=owners.digital_user,
                          seen=submission.version, now=LATER)
    submission.refresh_from_db()
    return services.submission_submit(submission=submission, user=owners.digital_user,
                                      seen=submission.version, now=LATER)


def department_sheet(owners, fiscal_year: int, values: dict[str, object]) -> bytes:
    """The department's own entry sheet for ``fiscal_year``, with ``values`` typed in."""
    data = entry_sheet(plan=owners.plan, fiscal_year=fiscal_year, department=owners.digital)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["実績入力"]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in values:
            row[headers.index("実績値")].value = values[row[0].value]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def stored_values(fiscal_year: int = 2026) -> dict[str, Decimal | None]:
    return dict(Actual.objects.filter(fiscal_year=fiscal_year).values_list(
        "indicator__code", "value"))


def confirm(client, response):
    """Confirm a previewed upload, as the 確定 button does."""
    data = form_data(response.content.decode(), action=reverse(PROCESS_URL))
    return client.post(reverse(PROCESS_URL), data, follow=True)


@pytest.fixture
def submitted(owners, opened) -> Submission:
    return submit_digital(owners, opened)


def test_after_submitting_the_departments_upload_is_refused_naming_the_rows(
    owners, submitted
):
    client = client_for(owners.digital_user)
    before = stored_values()
    data = department_sheet(owners, 2026, {"ISE2-01": 45.5, "ISE2-03": 160})
    response = upload(client, data)
    page = page_text(response)
    assert "取り込めません（2件のエラー）" in page
    assert f"2行目 実績値 ISE2-01 {SUBMITTED}" in page
    assert f"4行目 実績値 ISE2-03 {SUBMITTED}" in page
    # ISE2-02 is unchanged: not a write, not refused.
    assert "3行目 実績値" not in page
    assert reverse(PROCESS_URL) not in response.content.decode()
    assert stored_values() == before


def test_after_submitting_the_departments_admin_edit_is_refused(owners, submitted):
    client = client_for(owners.digital_user)
    actual = Actual.objects.get(indicator__code="ISE2-01", fiscal_year=2026)
    url = reverse("admin:indicators_actual_change", args=[actual.pk])
    page = client.get(url)
    # Said on the page before anything is typed.
    assert SUBMITTED in page_text(page)
    data = form_data(page.content.decode())
    data.update({"value": "45.5", "_save": "保存"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert f"ISE2-01 令和8年度（2026）の実績値：{SUBMITTED}" in page_text(response)
    actual.refresh_from_db()
    assert actual.value == Decimal("41.0")
    # Adding the same KGI-year again is no way round it either.
    add = reverse("admin:indicators_actual_add")
    data = form_data(client.get(add).content.decode())
    data.update({"indicator": str(actual.indicator_id), "fiscal_year": "2026",
                 "state": "measured", "value": "45.5", "_save": "保存"})
    assert SUBMITTED in page_text(client.post(add, data))


def test_the_departments_other_years_are_not_affected(owners, submitted):
    client = client_for(owners.digital_user)
    response = upload(client, department_sheet(owners, 2027, {"ISE2-01": 50.0}))
    assert "新規 1件" in page_text(response)
    confirm(client, response)
    assert stored_values(2027) == {"ISE2-01": Decimal("50.0")}


def test_the_office_upload_of_the_submitted_year_is_accepted(owners, submitted):
    client = client_for(owners.office)
    response = upload(client, department_sheet(owners, 2026, {"ISE2-01": 45.5}))
    assert "変更 1件" in page_text(response)
    confirm(client, response)
    assert stored_values()["ISE2-01"] == Decimal("45.5")


def test_after_a_return_the_departments_upload_is_accepted_again(owners, opened, submitted):
    services.submission_return(
        submission=submitted, comments={None: "ISE2-01 の値を確かめてください。"},
        user=owners.office, seen=submitted.version, now=LATER,
    )
    client = client_for(owners.digital_user)
    response = upload(client, department_sheet(owners, 2026, {"ISE2-01": 45.5}))
    assert "変更 1件" in page_text(response)
    confirm(client, response)
    assert stored_values()["ISE2-01"] == Decimal("45.5")


def test_after_the_round_closes_the_department_is_refused_with_the_closed_message(
    owners, opened
):
    closed = services.round_close(round_=opened, user=owners.office, seen=opened.version,
                                  now=LATER)
    message = services.closed_message(closed)
    # 戸籍住民課 never submitted: the closed round refuses it all the same.
    client = client_for(owners.residents_user)
    data = entry_sheet(plan=owners.plan, fiscal_year=2026, department=owners.residents)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook["実績入力"]["H2"] = 12
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = page_text(upload(client, buffer.getvalue()))
    assert f"2行目 実績値 ISE2-13 {message}" in page
    assert "令和8年度 実績報告は締め切られました" in message
    assert not Actual.objects.filter(fiscal_year=2026).exists()


def test_a_department_that_has_not_submitted_is_not_locked(owners, submitted):
    client = client_for(owners.residents_user)
    data = entry_sheet(plan=owners.plan, fiscal_year=2026, department=owners.residents)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook["実績入力"]["H2"] = 12
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, buffer.getvalue())
    assert "新規 1件" in page_text(response)


def test_the_round_check_is_two_queries_for_every_key(owners, submitted):
    user = owners.digital_user
    scope_of(user)
    keys = frozenset(
        (indicator.pk, year) for indicator in Indicator.objects.filter(plan=owners.plan)
        for year in owners.plan.fiscal_years
    )
    with CaptureQueriesContext(connection) as queries:
        refused = round_refusals(user, keys)
    # Two whatever the number of keys: inside a transaction (a write, as
    # here) the department's submissions are locked first, then the check.
    assert len(queries.captured_queries) == 2
    assert "FOR UPDATE" in queries.captured_queries[0]["sql"] or connection.vendor == "sqlite"
    codes = dict(Indicator.objects.values_list("pk", "code"))
    assert sorted((codes[pk], year) for pk, year in refused) == [
        (code, 2026) for code in DIGITAL_CODES
    ]
    assert set(refused.values()) == {SUBMITTED}
    # The office is never locked, and asks nothing.
    scope_of(owners.office)
    with CaptureQueriesContext(connection) as queries:
        assert entry_locks.refusals(owners.office, keys) == {}
    assert len(queries.captured_queries) == 0


def test_a_confirmed_submission_stays_locked(owners, opened, submitted):
    services.submission_confirm(submission=submitted, user=owners.office,
                                seen=submitted.version, now=LATER)
    key = (Indicator.objects.get(code="ISE2-02").pk, 2026)
    message = entry_locks.refusals(owners.digital_user, {key})[key]
    assert message == services.state_message(
        Submission(status=SubmissionStatus.CONFIRMED), "edit"
    )


def test_a_submitted_outlook_round_does_not_lock_the_actuals(owners):
    """見込み報告 locks the year's outlooks, which the entry sheet never writes."""
    outlook = services.round_open(plan=owners.plan, fiscal_year=2026, deadline=DEADLINE,
                                  user=owners.office, purpose=Purpose.OUTLOOK, now=OPENED)
    assert submit_digital(owners, outlook).status == SubmissionStatus.SUBMITTED
    client = client_for(owners.digital_user)
    response = upload(client, department_sheet(owners, 2026, {"ISE2-01": 45.5}))
    assert "新規 1件" in page_text(response)
    confirm(client, response)
    assert stored_values() == {"ISE2-01": Decimal("45.5")}


def test_a_departments_sheet_upload_moves_its_submission_to_in_progress(owners, opened):
    """The entry sheet is an entry like the page: the board and the reminders see 入力中."""
    client = client_for(owners.digital_user)
    preview = upload(client, department_sheet(owners, 2026, {"ISE2-01": 42}))
    assert "新規 1件" in page_text(preview)
    digital = submission_of(opened, owners.digital)
    assert digital.status == SubmissionStatus.NOT_STARTED  # a preview writes nothing
    confirm(client, preview)
    digital.refresh_from_db()
    assert (digital.status, digital.changed_by) == (SubmissionStatus.IN_PROGRESS,
                                                     owners.digital_user)
    assert digital.history.latest().history_change_reason == (
        "実績報告：所管課の入力（ファイル取込）"
    )
    # The other department, and the office's own uploads, move nothing.
    assert submission_of(opened, owners.residents).status == SubmissionStatus.NOT_STARTED
