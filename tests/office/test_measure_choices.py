"""Choices of a parent name its plan; a measure is found by its number and title.

The shipped plans (fixtures/): Ise's first period (ise-1: policies II–IV,
measures without printed numbers) and second period (ise-2: policies
I–III, measures ①…) share labels, as Iga's (iga-2) would for the system
administrator. 「セキュリティ対策の徹底」 is a measure of both Ise plans:
⑤ under ise-2's II, unnumbered under ise-1's IV.
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from accounts.roles import Role
from plans.models import Measure
from tests.helpers import client_for, user_with_role

pytestmark = pytest.mark.django_db

SECURITY = "セキュリティ対策の徹底"


def options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
    return [
        html.unescape(text).strip()
        for value, text in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', select)
        if value
    ]


@pytest.fixture
def office(plans):
    return client_for(user_with_role(Role.OFFICE, municipality="ise"))


def test_the_policy_choices_name_their_plan_in_the_documents_order(office):
    page = office.get(reverse("admin:plans_measure_add")).content.decode()
    labels = options(page, "policy")
    assert [label.split(" ", 3)[:3] for label in labels] == [
        ["伊勢市", "第1期", "›"], ["伊勢市", "第1期", "›"], ["伊勢市", "第1期", "›"],
        ["伊勢市", "第2期", "›"], ["伊勢市", "第2期", "›"], ["伊勢市", "第2期", "›"],
    ]
    assert [label.split(" › ")[1].split(" ")[0] for label in labels] == [
        "II", "III", "IV", "I", "II", "III",
    ]
    assert "伊勢市 第2期 › II 効率的に業務を行い、信頼される行政運営" in labels


def test_the_system_administrator_sees_each_citys_plans_named(plans, admin_client_ja):
    page = admin_client_ja.get(reverse("admin:plans_measure_add")).content.decode()
    labels = options(page, "policy")
    assert labels[0].startswith("伊賀市 第2次IDXビジョン › 基本方針 1 ")
    assert len(labels) == 9


def test_a_kgis_measure_and_initiative_choices_name_their_plan(office):
    page = office.get(reverse("admin:indicators_indicator_add")).content.decode()
    measures = options(page, "measure")
    assert f"伊勢市 第2期 › II › ⑤ {SECURITY}" in measures
    assert f"伊勢市 第1期 › IV › {SECURITY}" in measures
    assert measures.index(f"伊勢市 第1期 › IV › {SECURITY}") < measures.index(
        f"伊勢市 第2期 › II › ⑤ {SECURITY}"
    )
    initiatives = options(page, "initiative")
    assert initiatives and all(label.startswith("伊勢市 第") for label in initiatives)
    assert all(label.count(" › ") == 3 for label in initiatives)


def found(client, query: str) -> set[tuple[str, str]]:
    response = client.get(reverse("admin:plans_measure_changelist"), {"q": query})
    assert response.status_code == 200
    return {
        (measure.policy.plan.code, str(measure))
        for measure in response.context["cl"].result_list
    }


@pytest.mark.parametrize("query", [
    f"⑤ {SECURITY}", f"⑤{SECURITY}", f"5 {SECURITY}", f"５ {SECURITY}", "⑤ セキュリティ",
    f"第2期 {SECURITY}", f"ise-2 {SECURITY}",
])
def test_a_measure_is_found_by_its_number_or_plan_and_its_title(office, query):
    assert found(office, query) == {("ise-2", f"⑤ {SECURITY}")}


def test_the_title_alone_finds_both_plans_measures(office):
    assert found(office, SECURITY) == {("ise-1", SECURITY), ("ise-2", f"⑤ {SECURITY}")}


def test_a_number_alone_finds_the_measures_numbered_so(office):
    result = found(office, "⑤")
    assert ("ise-2", f"⑤ {SECURITY}") in result
    assert all(label.startswith("⑤ ") or plan == "ise-1" for plan, label in result)
    assert Measure.objects.filter(label="⑤").count() == len(
        [1 for _, label in result if label.startswith("⑤ ")]
    )
