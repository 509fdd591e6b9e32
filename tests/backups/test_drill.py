"""The restore drill: back up, restore into a new empty database, compare everything.

As an operator would run it (docs/operations.md): ``manage.py backup``,
then ``manage.py restore`` in a new process with DATABASE_URL naming a new
empty database, then ``manage.py migrate --check``. The restored database
is read by a new process too (tests/backups/snapshot.py), through the same
settings and code the app runs on, so that ``kpi_status`` is computed from
the restored rows exactly as the pages and the API would compute it.

The data is committed (a transactional test), so that pg_dump sees it.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from accounts.roles import Role
from indicators.models import Actual, Indicator
from indicators.services import actuals_confirm
from plans.models import Measure, Plan
from tests.backups.conftest import manage, run
from tests.backups.snapshot import snapshot
from tests.factories import ActualFactory, IndicatorFactory, TargetFactory
from tests.helpers import user_with_role

pytestmark = pytest.mark.django_db(transaction=True)


def two_cities_with_history() -> None:
    """Actuals of Ise and Iga entered, edited, confirmed and deleted, each with its history.

    A deleted actual leaves history rows whose object id no longer exists,
    and a gap in the ids: a restore that renumbered, or that reset the
    sequences, would hand those ids to other rows.
    """
    ise_office = user_with_role(Role.OFFICE, municipality="ise", username="ise-office")
    iga_office = user_with_role(Role.OFFICE, municipality="iga", username="iga-office")
    iga = Plan.objects.get(code="iga-2")
    # Iga's document has no KGIs (they live in its action plan): three made up.
    measure = Measure.objects.filter(policy__plan=iga).first()
    iga_kgis = [
        IndicatorFactory(measure=measure, code=f"IGA2-T{n:02d}", position=n, unit="件")
        for n in (1, 2, 3)
    ]
    for kgi in iga_kgis:
        TargetFactory(indicator=kgi, fiscal_year=2026, value=Decimal(10))
    ise_kgis = list(Indicator.objects.filter(plan__code="ise-2").order_by("position")[:4])

    actuals = {}
    for kgi, value in zip(ise_kgis + iga_kgis, ("8", "12", "3.5", "40", "9", "11", "2"),
                          strict=True):
        actuals[kgi.code] = ActualFactory(
            indicator=kgi, fiscal_year=2026, value=Decimal(value),
            value_places=len(value.partition(".")[2]),
        )
    ise_first, iga_first = actuals[ise_kgis[0].code], actuals["IGA2-T01"]
    for actual, value in ((ise_first, "9"), (iga_first, "10")):
        actual.value = Decimal(value)
        actual._change_reason = "所管課の回答で修正"
        actual.save()
    actuals_confirm(actuals=[ise_first, actuals[ise_kgis[1].code]], user=ise_office)
    actuals_confirm(actuals=[iga_first], user=iga_office)
    actuals[ise_kgis[3].code].delete()
    actuals["IGA2-T03"].delete()
    # Entered after the deletes: its id is past the deleted ones.
    ActualFactory(indicator=iga_kgis[2], fiscal_year=2027, value=Decimal(4))

    # An import waiting between preview and confirm, and a login.
    cache.set("import-preview-drill", "指標コード,年度,実績値\nIGA2-T01,2026,10\n", 3600)
    session = SessionStore()
    session["_auth_user_id"] = str(ise_office.pk)
    session.create()


def test_a_restored_backup_is_the_same_database(plans, tmp_path, empty_database_url):
    two_cities_with_history()
    before = snapshot(connection)
    # The data reaches what the drill is about: history of several objects
    # of both cities, with edits, confirms and deletes, and a session and a
    # cached upload.
    actual_history = before["history"]["indicators.Actual"]
    assert {kind for _, _, kind, _ in actual_history} == {"+", "~", "-"}
    assert {text for *_, text in actual_history if text} >= {"ISE2-01 R8 実績", "IGA2-T01 R8 実績"}
    assert len(before["tables"]["django_session"]) == 1
    assert len(before["tables"]["ise_iga_dx_cache"]) == 1

    backup = tmp_path / "kgi.backup"
    call_command("backup", str(backup), stdout=io.StringIO())
    restored = manage("restore", str(backup), database_url=empty_database_url)
    assert restored.returncode == 0, restored.stderr
    assert "復元しました" in restored.stdout

    checked = manage("migrate", "--check", database_url=empty_database_url)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    read = run("-m", "tests.backups.snapshot", database_url=empty_database_url)
    assert read.returncode == 0, read.stderr
    after = json.loads(read.stdout)
    assert sorted(after["tables"]) == sorted(before["tables"])
    for table, rows in before["tables"].items():
        assert after["tables"][table] == rows, table
    assert after["sequences"] == before["sequences"]
    assert after["history"] == before["history"]
    assert after["kpi_status"] == before["kpi_status"]
    assert json.loads(after["kpi_status"]["iga-2"]["years"]["2026"])["indicators"][0] == {
        "code": "IGA2-T01", "name": Actual.objects.get(indicator__code="IGA2-T01").indicator.item,
        "unit": "件", "kind": "increase", "accumulation": "annual", "baseline": None, "target": "10",
        "actual": "10", "evaluation": "achieved", "rate": "100.0",
        "confirmed": True, "evaluation_text": "達成《達成率：100.0%》",
    }
