"""An import writes what its preview showed, for the user who uploaded it, or nothing.

- A row changed between the preview and the confirm refuses the file,
  naming the row, who changed it and when.
- Another user who learns the upload's key gets 404; the upload stays for
  its uploader.
- A confirm (確定) landing while an import is being written is never
  written over: the import and the confirm serialise on the rows (two real
  connections on PostgreSQL).
- The admin's own export imports back unchanged, notes that look like
  formulas included.

Workflow rules, on factory data.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse

from indicators.models import Actual
from indicators.services import StaleActuals, actuals_confirm
from spreadsheets import writer
from spreadsheets.actuals import preview_actuals
from spreadsheets.resources import ActualResource, SafeCSV, SafeXLSX
from spreadsheets.rows import Action, ImportRefused, read_upload
from tests.factories import ActualFactory
from tests.helpers import client_for, form_data, visible_text, xlsx

IMPORT = "admin:indicators_actual_import"
PROCESS = "admin:indicators_actual_process_import"
WHEN = r"令和\d+年\d+月\d+日 \d\d:\d\d"


def preview(client, data: bytes, name: str = "回答.xlsx") -> dict:
    """Upload ``data``; return the confirm form of its preview page."""
    response = client.post(reverse(IMPORT), {
        "import_file": SimpleUploadedFile(name, data), "format": "0", "resource": "0",
    })
    assert response.status_code == 200
    confirm = form_data(response.content.decode(), action=reverse(PROCESS))
    assert confirm.get("import_file_name"), visible_text(response)
    return confirm


@pytest.mark.django_db
def test_a_row_changed_after_the_preview_refuses_the_file(office, department_user, entered):
    confirm = preview(client_for(office), xlsx([[entered.indicator.code, "R8", 60, None]]))
    # The department corrects its value on its own page meanwhile.
    url = reverse("admin:indicators_actual_change", args=[entered.pk])
    page = form_data(client_for(department_user).get(url).content.decode())
    page.update(value="50", _save="保存")
    assert client_for(department_user).post(url, page).status_code == 302

    response = client_for(office).post(reverse(PROCESS), confirm, follow=True)
    shown = visible_text(response)
    assert re.search(
        f"2行目（{entered.indicator.code}）は、このページを開いた後にdept-userさんが{WHEN}に"
        "変更しました（変更された項目：実績値）。", shown
    ), shown
    assert "取り込みませんでした。" in shown
    entered.refresh_from_db()
    assert entered.value == Decimal(50)


@pytest.mark.django_db
def test_a_preview_unchanged_until_the_confirm_imports(office, entered):
    confirm = preview(client_for(office), xlsx([[entered.indicator.code, "R8", 60, None]]))
    response = client_for(office).post(reverse(PROCESS), confirm, follow=True)
    assert "取り込みました：新規 0件 / 変更 1件" in visible_text(response)
    entered.refresh_from_db()
    assert (entered.value, entered.version) == (Decimal(60), 2)


@pytest.mark.django_db
def test_another_user_cannot_confirm_an_upload_and_it_stays_for_its_uploader(
    office, colleague, entered
):
    """As found: a pending upload was confirmable by anyone who learned its key."""
    confirm = preview(client_for(office), xlsx([[entered.indicator.code, "R8", 60, None]]))
    assert client_for(colleague).post(reverse(PROCESS), confirm).status_code == 404
    entered.refresh_from_db()
    assert entered.value == Decimal(40)
    response = client_for(office).post(reverse(PROCESS), confirm, follow=True)
    assert "取り込みました" in visible_text(response)
    entered.refresh_from_db()
    assert entered.value == Decimal(60)
    record = entered.history.order_by("-history_id").first()
    assert record.history_user.username == "office-a"


@pytest.mark.django_db
def test_a_confirm_between_the_imports_read_and_its_write_is_never_overwritten(
    office, entered
):
    """The writer locks the rows it changes and refuses any moved since its read."""
    result = preview_actuals(sheet=read_upload(xlsx([[entered.indicator.code, "R8", 60, None]]),
                                               "回答.xlsx"))
    assert result.counts[Action.CHANGED] == 1
    actuals_confirm(actuals=[Actual.objects.get(pk=entered.pk)], user=office)
    with pytest.raises(ImportRefused, match=r"2行目.*確定"):
        writer.apply_actuals(result, user=office)
    entered.refresh_from_db()
    assert (entered.value, entered.confirmed) == (Decimal(40), True)


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("two connections that wait on row locks: PostgreSQL (SQLite serialises "
                    "whole write transactions, BEGIN IMMEDIATE)")


@pytest.mark.django_db(transaction=True)
def test_an_import_and_a_confirm_racing_on_one_row_serialise(office, entered, monkeypatch):
    """As found: an import already confirming wrote into an actual confirmed a second earlier.

    The import takes the row's lock and pauses; the confirm, on its own
    connection, must wait for it, and then refuse: the row it showed has
    changed. The actual ends with the imported value, unconfirmed.
    """
    postgresql_only()
    result = preview_actuals(sheet=read_upload(xlsx([[entered.indicator.code, "R8", 60, None]]),
                                               "回答.xlsx"))
    shown = Actual.objects.get(pk=entered.pk)  # what the office's confirm page showed
    locked, release = threading.Event(), threading.Event()
    original = writer.update_actuals

    def update_then_wait(actuals):
        original(actuals)
        locked.set()
        assert release.wait(10)

    monkeypatch.setattr(writer, "update_actuals", update_then_wait)
    outcome: dict[str, object] = {}

    def run_import():
        try:
            outcome["import"] = writer.apply_actuals(result, user=office)
        finally:
            connections.close_all()

    def run_confirm():
        try:
            actuals_confirm(actuals=[shown], user=office)
            outcome["confirm"] = "confirmed"
        except StaleActuals as stale:
            outcome["confirm"] = str(stale)
        finally:
            connections.close_all()

    importing = threading.Thread(target=run_import)
    importing.start()
    assert locked.wait(10)
    confirming = threading.Thread(target=run_confirm)
    confirming.start()
    confirming.join(1.0)
    assert confirming.is_alive(), "the confirm did not wait for the import's row lock"
    release.set()
    importing.join(10)
    confirming.join(10)
    assert "import" in outcome
    assert "このページを開いた後に" in str(outcome["confirm"])
    entered.refresh_from_db()
    assert (entered.value, entered.confirmed) == (Decimal(60), False)


@pytest.mark.django_db
@pytest.mark.parametrize("export_format", [SafeXLSX, SafeCSV])
def test_the_admins_own_export_imports_back_unchanged(entered, export_format):
    """As found: re-importing the export added a literal ' to formula-looking notes."""
    notes = ["=1+1", "+81 の件", "-5%減", "@担当"]
    for year, note in zip((2027, 2028, 2029), notes[1:], strict=True):
        ActualFactory(indicator=entered.indicator, fiscal_year=year, value=Decimal(1), note=note)
    Actual.objects.filter(pk=entered.pk).update(note=notes[0])
    dataset = ActualResource().export(Actual.objects.filter(indicator=entered.indicator))
    exported = export_format().export_data(dataset)
    data = exported if isinstance(exported, bytes) else exported.encode("utf-8-sig")
    result = preview_actuals(sheet=read_upload(data, "export." + export_format().get_extension()))
    assert result.ok, result.errors
    assert result.counts[Action.CHANGED] == 0 and result.counts[Action.UNCHANGED] == 4
