"""前期の指標との接続 in the office's admin: listed, edited and refused in scope."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Continuation, Indicator
from plans.models import Department
from tests.helpers import client_for, form_data, user_with_role, visible_text

pytestmark = pytest.mark.django_db

LIST = reverse("admin:indicators_continuation_changelist")


def link_url(later: str, page: str = "change") -> str:
    link = Continuation.objects.get(later__code=later)
    return reverse(f"admin:indicators_continuation_{page}", args=[link.pk])


def kgi_url(code: str) -> str:
    return reverse("admin:indicators_indicator_change",
                   args=[Indicator.objects.get(code=code).pk])


@pytest.fixture
def office(plans):
    return client_for(user_with_role(Role.OFFICE))


def test_the_office_lists_the_five_links(office):
    text = visible_text(office.get(LIST))
    for earlier, later in (("ISE1-01", "ISE2-13"), ("ISE1-05", "ISE2-16"),
                           ("ISE1-06", "ISE2-14"), ("ISE1-19", "ISE2-09"),
                           ("ISE1-20", "ISE2-12")):
        assert f"{earlier} → {later}" in text
    assert "第2期の指標 ISE2-13 オンライン化された行政手続きの数（単年度）" in text


def test_the_office_edits_a_reason_and_the_history_records_it(office):
    url = link_url("ISE2-16")
    page = office.get(url)
    assert page.status_code == 200
    data = form_data(page.content.decode())
    data["reason"] = "DX推進担当が計画書を確認して接続した。"
    response = office.post(url, data)
    assert response.status_code == 302, visible_text(response)
    link = Continuation.objects.get(later__code="ISE2-16")
    assert link.reason == "DX推進担当が計画書を確認して接続した。"
    assert link.version == 2
    assert link.history.count() == 2
    assert office.get(link_url("ISE2-16", "history")).status_code == 200


def test_a_refused_link_names_the_field_and_saves_nothing(office):
    data = form_data(office.get(reverse("admin:indicators_continuation_add")).content.decode())
    data.update({
        "earlier": str(Indicator.objects.get(code="ISE1-03").pk),
        "later": str(Indicator.objects.get(code="ISE2-01").pk),
        "reason": "誤った接続",
    })
    response = office.post(reverse("admin:indicators_continuation_add"), data)
    assert response.status_code == 200
    assert "単位が異なる指標は接続できません（前期の指標：件、後期の指標：%）。" in visible_text(response)
    assert "誤った接続" in response.content.decode()
    assert Continuation.objects.count() == 5


def test_the_kgi_admin_page_says_which_kgi_it_continues(office):
    text = visible_text(office.get(kgi_url("ISE2-13")))
    assert "前期・後期の指標: 第1期の指標 ISE1-01 オンライン化した手続き数（累計）から継続" in text
    text = visible_text(office.get(kgi_url("ISE1-01")))
    assert "第2期の指標 ISE2-13 オンライン化された行政手続きの数（単年度）に継続" in text
    assert "－（接続なし）" in visible_text(office.get(kgi_url("ISE2-01")))


def test_the_kgi_admin_page_shows_it_to_a_department_reading_it(plans):
    registry = Department.objects.get(municipality__code="ise", name="戸籍住民課")
    registry.measures.add(Indicator.objects.get(code="ISE2-13").measure)
    client = client_for(user_with_role(Role.DEPARTMENT, departments=("戸籍住民課",)))
    response = client.get(kgi_url("ISE2-13"))
    assert response.status_code == 200
    assert "ISE1-01 オンライン化した手続き数（累計）から継続" in visible_text(response)
    # The links themselves are the office's.
    assert client.get(LIST).status_code == 403


def test_another_city_sees_no_link_and_gets_404_for_one(plans):
    client = client_for(user_with_role(Role.OFFICE, municipality="iga"))
    response = client.get(LIST)
    assert response.status_code == 200
    assert not re.search(r"ISE\d-\d\d → ", visible_text(response))
    assert client.get(link_url("ISE2-13")).status_code == 404
