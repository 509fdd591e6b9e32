"""A measure is owned only by departments of its own city, also when added.

The rule, not the documents: the cities, plan, policy and departments come
from factories (tests/factories.py), 「テスト市」 and 「別テスト町」.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from plans.models import Measure
from tests.factories import BasicPolicyFactory, DepartmentFactory, MunicipalityFactory
from tests.helpers import form_data, visible_text

pytestmark = pytest.mark.django_db


def test_adding_a_measure_with_another_citys_department_is_refused(admin_client_ja):
    policy = BasicPolicyFactory(plan__municipality__name="テスト市", number=1)
    other_department = DepartmentFactory(
        municipality=MunicipalityFactory(name="別テスト町"), name="テスト用の課", division=""
    )
    own_department = DepartmentFactory(municipality=policy.plan.municipality,
                                       name="テスト政策課")
    url = reverse("admin:plans_measure_add")
    data = form_data(admin_client_ja.get(url).content.decode())
    data.update({
        "policy": str(policy.pk), "number": "9", "label": "⑨", "title": "テスト施策",
        "departments": [str(own_department.pk), str(other_department.pk)],
    })
    response = admin_client_ja.post(url, data)
    assert response.status_code == 200
    assert (
        "テスト市の計画の施策に、他の自治体の課は選べません：別テスト町 テスト用の課"
        in visible_text(response)
    )
    assert not Measure.objects.filter(title="テスト施策").exists()

    data["departments"] = [str(own_department.pk)]
    response = admin_client_ja.post(url, data)
    assert response.status_code == 302
    assert list(Measure.objects.get(title="テスト施策").departments.all()) == [own_department]
