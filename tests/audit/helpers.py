"""What the audit trail's tests share: a user, an actual, the pages that show the history."""

from __future__ import annotations

import re
from decimal import Decimal

from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator
from tests.helpers import section, user_with_role, visible_text

HISTORY_HEADING = "変更履歴（最近10件）"
WHEN = re.compile(r"令和\d+年\d+月\d+日 \d\d:\d\d")


def office_of(municipality: str, username: str = "test-office", full_name: str = "テスト 花子"):
    """A DX office user of ``municipality`` (a code), with a name the history shows."""
    user = user_with_role(Role.OFFICE, municipality=municipality, username=username)
    user.first_name = full_name
    user.save()
    return user


def ise_office(username: str = "ise-office", full_name: str = "伊勢 花子"):
    return office_of("ise", username, full_name)


def kgi_history(client, code: str) -> str:
    """Return the visible text of the KGI page's change list."""
    response = client.get(reverse("pages:indicator", args=[code]))
    assert response.status_code == 200
    return section(visible_text(response), HISTORY_HEADING)


def indicator_change_url(code: str) -> str:
    return reverse("admin:indicators_indicator_change",
                   args=[Indicator.objects.get(code=code).pk])


def history_text(client, model: str, pk: int) -> str:
    response = client.get(reverse(f"admin:indicators_{model}_history", args=[pk]))
    assert response.status_code == 200
    return visible_text(response)


def new_actual(code: str = "ISE2-01", year: int = 2026, value: str = "40.0") -> Actual:
    return Actual.objects.create(
        indicator=Indicator.objects.get(code=code), fiscal_year=year, value=Decimal(value),
        value_places=len(value.partition(".")[2]),
    )


def inline_field(data: dict[str, str], prefix: str, year: int, name: str) -> str:
    """Return the form field ``name`` of the inline row for ``year``."""
    year_field = next(
        key for key, value in data.items()
        if key.startswith(f"{prefix}-") and key.endswith("-fiscal_year") and value == str(year)
    )
    return year_field.replace("fiscal_year", name)
