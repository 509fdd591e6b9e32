"""The 全国地方公共団体コード of a municipality: shipped for both cities, checked on entry."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from plans.models import Municipality
from tests.helpers import client_for, user_with_role

pytestmark = pytest.mark.django_db


def test_both_cities_ship_with_their_code(plans):
    codes = dict(Municipality.objects.values_list("code", "lg_code"))
    assert codes == {"ise": "242039", "iga": "242161"}
    for municipality in Municipality.objects.all():
        municipality.full_clean()


def errors_of(municipality: Municipality) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        municipality.full_clean()
    return raised.value.message_dict


def test_a_wrong_check_digit_is_refused_with_the_right_one(plans):
    municipality = Municipality(code="tsu", name="津市", prefecture="三重県", lg_code="242010")
    assert errors_of(municipality) == {"lg_code": [
        "全国地方公共団体コード「242010」の検査数字（6桁目）が合いません。「24201」なら「242012」です。"
    ]}
    municipality.lg_code = "242012"
    municipality.full_clean()


def test_two_municipalities_cannot_share_a_code_but_may_both_have_none(plans):
    duplicate = Municipality(code="ise-copy", name="伊勢市（複製）", lg_code="242039")
    assert errors_of(duplicate) == {"__all__": [
        "この全国地方公共団体コードの自治体は既に登録されています。"
    ]}
    Municipality.objects.create(code="a", name="A")
    Municipality.objects.create(code="b", name="B")


def test_the_admin_form_names_the_field_and_keeps_the_code(plans):
    system = user_with_role(Role.SYSTEM, municipality=None, username="kacho")
    client = client_for(system)
    ise = Municipality.objects.get(code="ise")
    response = client.post(f"/admin/plans/municipality/{ise.pk}/change/", {
        "code": "ise", "name": "伊勢市", "prefecture": "三重県", "lg_code": "242038",
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert "「24203」なら「242039」です。" in page
    assert 'value="242038"' in page
    ise.refresh_from_db()
    assert ise.lg_code == "242039"
