from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.models import Actual, ActualState
from reporting import services
from reporting.models import Message, SubmissionStatus
from tests.reporting.conftest import OPENED

pytestmark = pytest.mark.django_db


def test_round_walk(owners, opened):
    digital = opened.submissions.get(department=owners.digital)
    assert digital.status == SubmissionStatus.NOT_STARTED
    assert Message.objects.filter(kind="opened").count() == 2
    kgis = services.round_indicators(opened, owners.digital)
    assert [k.code for k in kgis] == ["ISE2-01", "ISE2-02", "ISE2-03"]
    entries = [services.Entry(k.pk, ActualState.MEASURED, Decimal(5), 0, progress="p")
               for k in kgis]
    services.entries_save(submission=digital, entries=entries, user=owners.digital_user,
                          seen=digital.version, now=OPENED)
    digital.refresh_from_db()
    assert digital.status == SubmissionStatus.IN_PROGRESS
    assert Actual.objects.filter(indicator__in=kgis, fiscal_year=2026).count() == 3
    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version, now=OPENED)
    digital.refresh_from_db()
    services.submission_return(submission=digital, comments={kgis[0].pk: "根拠を"},
                               user=owners.office, seen=digital.version, now=OPENED)
    digital.refresh_from_db()
    assert digital.status == SubmissionStatus.RETURNED
    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version, now=OPENED)
    digital.refresh_from_db()
    services.submission_confirm(submission=digital, user=owners.office, seen=digital.version,
                                now=OPENED)
    assert Actual.objects.filter(indicator__in=kgis, confirmed=True).count() == 3
    digital.refresh_from_db()
    with pytest.raises(services.RoundRefused):
        services.entries_save(submission=digital, entries=entries, user=owners.digital_user,
                              seen=digital.version)
