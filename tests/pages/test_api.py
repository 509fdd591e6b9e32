"""GET /api/v1/plans/<code>/status: the kpi_status JSON over HTTP.

The API's rules (evaluations, scope, errors, headers) are checked on
factory plans (tests/factories.py); that it returns the command's very
text is checked on the three shipped plans, the richest data there is.
"""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator
from plans.models import Measure, Plan
from tests.factories import IndicatorFactory, PlanFactory, TargetFactory
from tests.helpers import user_with_role

pytestmark = pytest.mark.django_db

PLAN = "test-plan"


@pytest.fixture
def plan() -> Plan:
    """A 「テスト市」 plan ``test-plan`` (R8–R11) with TEST-01, a % KGI whose
    R8 target is 30.0%."""
    plan = PlanFactory(municipality__name="テスト市", code=PLAN)
    indicator = IndicatorFactory(measure__policy__plan=plan, code="TEST-01", unit="%")
    TargetFactory(indicator=indicator, fiscal_year=2026, value=Decimal("30.0"), value_places=1)
    return plan

JSON = "application/json; charset=utf-8"
YEAR_MESSAGE = "年度は西暦4桁の半角数字で指定してください（例：?year=2026）。"


def status_url(code: str) -> str:
    return reverse("api:plan_status", args=[code])


def kpi_status_json(code: str, year: int) -> str:
    out = StringIO()
    call_command("kpi_status", plan=code, year=year, format="json", stdout=out)
    return out.getvalue()


def detail(response) -> str:
    assert response["Content-Type"] == JSON
    return json.loads(response.content)["detail"]


def test_url_is_versioned():
    assert status_url("ise-2") == "/api/v1/plans/ise-2/status"


@pytest.mark.parametrize(("code", "year"), [("ise-1", 2025), ("ise-2", 2026), ("iga-2", 2029)])
def test_document_equals_the_kpi_status_command(plans, admin_client_ja, code, year):
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
        value=Decimal("42.5"), value_places=1,
    )
    response = admin_client_ja.get(status_url(code), {"year": str(year)})
    assert response.status_code == 200
    assert response["Content-Type"] == JSON
    command = kpi_status_json(code, year)
    assert json.loads(response.content) == json.loads(command)
    # The very same text, not only the same data.
    assert response.content.decode() == command.rstrip("\n")


def test_document_carries_the_r8_evaluation(plan, admin_client_ja):
    Actual.objects.create(
        indicator=Indicator.objects.get(code="TEST-01"), fiscal_year=2026,
        value=Decimal("42.5"), value_places=1,
    )
    document = json.loads(admin_client_ja.get(status_url(PLAN), {"year": "2026"}).content)
    first = document["indicators"][0]
    # 42.5 ÷ 30.0
    assert (first["code"], first["actual"], first["evaluation"], first["rate"]) == (
        "TEST-01", "42.5", "achieved", "141.7"
    )


def test_document_tells_provisional_from_confirmed(plan, admin_client_ja):
    actual = Actual.objects.create(
        indicator=Indicator.objects.get(code="TEST-01"), fiscal_year=2026,
        value=Decimal("42.5"), value_places=1,
    )

    def first() -> dict:
        response = admin_client_ja.get(status_url(PLAN), {"year": "2026"})
        return json.loads(response.content)["indicators"][0]

    assert (first()["confirmed"], first()["evaluation_text"]) == (
        False, "達成《達成率：141.7%》"
    )
    Actual.objects.filter(pk=actual.pk).update(confirmed=True)
    assert first()["confirmed"] is True
    actual.delete()
    assert (first()["confirmed"], first()["evaluation_text"]) == (None, "未入力")


def test_iga2_kgis_come_in_document_order(plans, admin_client_ja):
    iga = Plan.objects.get(code="iga-2")
    # Entered under policies 3, 1, 2: positions follow the entry.
    for position, number in enumerate((3, 1, 2), start=1):
        indicator = IndicatorFactory(
            measure=Measure.objects.filter(policy__plan=iga, policy__number=number).first(),
            plan=iga, code=f"IGA2-P{number}", position=position,
        )
        TargetFactory(indicator=indicator, fiscal_year=2026)
    document = json.loads(admin_client_ja.get(status_url("iga-2"), {"year": "2026"}).content)
    assert [row["code"] for row in document["indicators"]] == ["IGA2-P1", "IGA2-P2", "IGA2-P3"]


def test_a_viewer_reads_their_city_and_not_the_other(plan, client):
    PlanFactory(municipality__name="別テスト市", code="other-plan")
    client.force_login(user_with_role(Role.VIEWER, municipality=plan.municipality.code))
    assert client.get(status_url(PLAN), {"year": "2026"}).status_code == 200
    response = client.get(status_url("other-plan"), {"year": "2026"})
    assert response.status_code == 404
    assert detail(response) == "計画コード「other-plan」はありません。"


def test_anonymous_is_401_json_not_a_redirect(plan, client):
    response = client.get(status_url(PLAN), {"year": "2026"})
    assert response.status_code == 401
    assert detail(response) == "ログインが必要です。"


@pytest.mark.parametrize("year", [None, "", "abc", "99999", "２０２６", "202", "2026.0", "-2026"])
def test_missing_or_malformed_year_is_400(plan, admin_client_ja, year):
    params = {} if year is None else {"year": year}
    response = admin_client_ja.get(status_url(PLAN), params)
    assert response.status_code == 400
    assert detail(response) == YEAR_MESSAGE


@pytest.mark.parametrize(("year", "label"), [("2030", "令和12年度（2030）"), ("0000", "0年度")])
def test_year_outside_the_plan_is_400(plan, admin_client_ja, year, label):
    response = admin_client_ja.get(status_url(PLAN), {"year": year})
    assert response.status_code == 400
    assert detail(response) == (
        f"{label}は計画期間（令和8年度（2026）〜令和11年度（2029））の外です。"
    )


# TEST-PLAN: the factory plan's code in capitals.
@pytest.mark.parametrize("code", ["nope", "TEST-PLAN", "<script>"])
def test_unknown_plan_is_404_json(plan, admin_client_ja, code):
    response = admin_client_ja.get(status_url(code), {"year": "2026"})
    assert response.status_code == 404
    assert detail(response) == f"計画コード「{code}」はありません。"


def test_only_get_is_allowed(plan, admin_client_ja):
    response = admin_client_ja.post(status_url(PLAN) + "?year=2026")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert detail(response) == "GET で取得してください。"


def test_responses_are_not_cached(plan, admin_client_ja):
    response = admin_client_ja.get(status_url(PLAN), {"year": "2026"})
    assert "no-store" in response["Cache-Control"]
