"""Owners in bulk: 「選択した施策の所管課を設定」 on the measure list gives the
selected measures departments in one screen, adding or replacing, with a
history row per measure that names the departments before and after.

ise-2 as shipped (its measures have no owners), and the Ise departments.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from plans.models import Department, Measure, Municipality
from tests.factories import DepartmentFactory
from tests.helpers import client_for, form_data, user_with_role

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:plans_measure_changelist"
ACTION = "set_departments"


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def measures(*keys: tuple[int, int], plan: str = "ise-2") -> list[Measure]:
    return [Measure.objects.get(policy__plan__code=plan, policy__number=policy, number=number)
            for policy, number in keys]


def department(name: str, city: str = "ise") -> Department:
    return Department.objects.get(municipality__code=city, name=name)


def owners(measure: Measure) -> list[str]:
    return sorted(measure.departments.values_list("name", flat=True))


def choose(client, chosen: list[Measure]):
    """Select ``chosen`` on the list and run the action: the page to choose departments."""
    return client.post(reverse(CHANGELIST), {
        "action": ACTION, "_selected_action": [str(measure.pk) for measure in chosen],
    })


def apply(client, chosen: list[Measure], departments: list[Department], mode: str,
          seen: dict[int, int] | None = None):
    """Post the page's form, as its button does."""
    seen = seen or {measure.pk: measure.version for measure in chosen}
    return client.post(reverse(CHANGELIST), {
        "action": ACTION, "apply": "1",
        "_selected_action": [str(measure.pk) for measure in chosen],
        "seen": [f"{pk}:{version}" for pk, version in seen.items()],
        "departments": [str(item.pk) for item in departments], "mode": mode,
    }, follow=True)


@pytest.fixture
def office(plans):
    return user_with_role(Role.OFFICE, username="ise-office")


def test_the_action_opens_a_page_of_the_citys_departments(office):
    client = client_for(office)
    chosen = measures((1, 1), (1, 2), (3, 1))
    chosen[0].departments.add(department("健康課"))
    response = choose(client, chosen)
    assert response.status_code == 200
    page = text(response)
    assert "次の施策（3件）に、伊勢市の所管課を設定します。" in page
    assert "健康課" in page and "なし" in page
    html = response.content.decode()
    offered = re.findall(r'name="departments" value="(\d+)"', html)
    assert sorted(map(int, offered)) == sorted(
        Department.objects.filter(municipality__code="ise").values_list("pk", flat=True)
    )
    # Iga's departments are not offered to Ise's measures.
    assert not Department.objects.filter(municipality__code="iga",
                                         pk__in=map(int, offered)).exists()
    assert "選択した施策の所管課を設定" in text(client.get(reverse(CHANGELIST)))


def test_adding_departments_keeps_the_owners_and_records_the_change(office):
    client = client_for(office)
    chosen = measures((1, 1), (1, 2))
    chosen[0].departments.add(department("健康課"))
    versions = {measure.pk: measure.version for measure in chosen}
    response = apply(client, chosen, [department("デジタル政策課"), department("戸籍住民課")],
                     "add")
    assert "2件の施策の所管課に「戸籍住民課、デジタル政策課」を加えました" in text(response)
    first, second = (Measure.objects.get(pk=measure.pk) for measure in chosen)
    assert owners(first) == sorted(["健康課", "デジタル政策課", "戸籍住民課"])
    assert owners(second) == sorted(["デジタル政策課", "戸籍住民課"])
    assert first.version == versions[first.pk] + 1
    record = first.history.order_by("-history_date", "-history_id").first()
    assert record.history_type == "~" and record.history_user == office
    assert record.history_change_reason == (
        "所管課の設定：健康課、戸籍住民課、デジタル政策課（変更前：健康課）"
    )
    assert record.version == first.version
    assert second.history.order_by("-history_date", "-history_id").first() \
        .history_change_reason == "所管課の設定：戸籍住民課、デジタル政策課（変更前：なし）"


def test_replacing_sets_exactly_the_departments_chosen_and_none_clears(office):
    client = client_for(office)
    (measure,) = measures((2, 1))
    measure.departments.add(department("健康課"), department("保育課"))
    apply(client, [measure], [department("高齢・障がい福祉課")], "replace")
    assert owners(measure) == ["高齢・障がい福祉課"]
    measure.refresh_from_db()
    response = apply(client, [measure], [], "replace")
    assert "1件の施策の所管課を「なし」にしました" in text(response)
    assert owners(measure) == []


def test_nothing_chosen_to_add_is_an_error_on_the_page(office):
    client = client_for(office)
    chosen = measures((1, 1))
    response = apply(client, chosen, [], "add")
    assert response.status_code == 200
    assert "加える所管課を1つ以上選んでください。" in text(response)
    assert owners(chosen[0]) == []


def test_a_measure_changed_since_the_page_was_shown_refuses_the_step(office):
    client = client_for(office)
    chosen = measures((1, 1), (1, 2))
    seen = {measure.pk: measure.version for measure in chosen}
    edited = chosen[1]
    edited.title = "テスト用に変えた施策名"
    edited.save()
    response = apply(client, chosen, [department("デジタル政策課")], "add", seen=seen)
    assert (
        "施策「② テスト用に変えた施策名」は、このページを開いた後にシステムが" in text(response)
    )
    assert "（変更された項目：施策）。どの施策の所管課も変更していません。" in text(response)
    assert owners(chosen[0]) == [] and owners(edited) == []


def test_measures_of_two_cities_are_refused(plans, admin_client_ja):
    chosen = [*measures((1, 1)), *measures((1, 1), plan="iga-2")]
    response = admin_client_ja.post(reverse(CHANGELIST), {
        "action": ACTION, "_selected_action": [str(measure.pk) for measure in chosen],
    }, follow=True)
    assert "同じ自治体の施策だけです" in text(response)
    # Nor can a page be forged with another city's department.
    iga = DepartmentFactory(municipality=Municipality.objects.get(code="iga"), name="テスト課")
    response = apply(admin_client_ja, measures((1, 1)), [iga], "add")
    assert f"正しく選択してください。 {iga.pk} は候補にありません。" in text(response)
    assert owners(measures((1, 1))[0]) == []


def test_a_department_login_cannot_run_it(plans):
    user = user_with_role(Role.DEPARTMENT, departments=("デジタル政策課",), username="digital")
    client = client_for(user)
    chosen = measures((1, 1))
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert choose(client, chosen).status_code == 403
    assert owners(chosen[0]) == []


def applying_queries(client, chosen: list[Measure]) -> int:
    with CaptureQueriesContext(connection) as queries:
        apply(client, chosen, [department("デジタル政策課"), department("健康課")], "replace")
    return len(queries.captured_queries)


def test_the_step_takes_as_many_queries_for_six_measures_as_for_two(office):
    client = client_for(office)
    applying_queries(client, measures((1, 1)))  # warm-up: sessions, content types
    few = applying_queries(client, measures((1, 2), (2, 1)))
    many = applying_queries(client, measures((2, 2), (2, 3), (2, 4), (3, 1), (3, 2), (3, 3)))
    assert few == many


def test_owners_changed_on_the_measures_own_page_are_named_in_its_history(office):
    """The page saves the owners after the measure: its history row still names them."""
    client = client_for(office)
    (measure,) = measures((1, 1))
    url = reverse("admin:plans_measure_change", args=[measure.pk])
    data = form_data(client.get(url).content.decode())
    data["departments"] = [str(department("健康課").pk), str(department("デジタル政策課").pk)]
    data["_save"] = "保存"
    response = client.post(url, data)
    assert response.status_code == 302, text(response)[:2000]
    assert owners(measure) == ["デジタル政策課", "健康課"]
    latest = measure.history.latest()
    assert latest.history_change_reason == (
        "所管課の設定：健康課、デジタル政策課（変更前：なし）"
    )

    # Removing one names the owners before too; a save without a change adds no row.
    data = form_data(client.get(url).content.decode())
    data["departments"] = [str(department("健康課").pk)]
    data["_save"] = "保存"
    assert client.post(url, data).status_code == 302
    assert measure.history.latest().history_change_reason == (
        "所管課の設定：健康課（変更前：健康課、デジタル政策課）"
    )
    rows = measure.history.count()
    data = form_data(client.get(url).content.decode())
    data["_save"] = "保存"
    assert client.post(url, data).status_code == 302
    assert measure.history.count() == rows
