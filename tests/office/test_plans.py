"""A measure is owned only by departments of its own city, also when added."""

from __future__ import annotations

import pytest
from django.urls import reverse

from plans.models import BasicPolicy, Department, Measure, Municipality
from tests.helpers import form_data, visible_text

pytestmark = pytest.mark.django_db


def test_adding_a_measure_with_another_citys_department_is_refused(plans, admin_client_ja):
    policy = BasicPolicy.objects.get(plan__code="ise-2", number=1)
    iga_department = Department.objects.create(
        municipality=Municipality.objects.get(code="iga"), name="テスト用の課"
    )
    ise_department = Department.objects.get(municipality__code="ise", name="デジタル政策課")
    url = reverse("admin:plans_measure_add")
    data = form_data(admin_client_ja.get(url).content.decode())
    data.update({
        "policy": str(policy.pk), "number": "9", "label": "⑨", "title": "テスト施策",
        "departments": [str(ise_department.pk), str(iga_department.pk)],
    })
    response = admin_client_ja.post(url, data)
    assert response.status_code == 200
    assert (
        "伊勢市の計画の施策に、他の自治体の課は選べません：伊賀市 テスト用の課"
        in visible_text(response)
    )
    assert not Measure.objects.filter(title="テスト施策").exists()

    data["departments"] = [str(ise_department.pk)]
    response = admin_client_ja.post(url, data)
    assert response.status_code == 302
    assert list(Measure.objects.get(title="テスト施策").departments.all()) == [ise_department]
