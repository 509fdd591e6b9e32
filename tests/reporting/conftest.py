"""A reporting round on the real ise-2 plan, with two departments owning measures.

The documents name no owners, so the test gives デジタル政策課 the measures
I-① and I-② (ISE2-01, ISE2-02, ISE2-03) and 戸籍住民課 III-① (ISE2-13,
ISE2-14); every other KGI is 所管課未設定. Each department has one login
with an e-mail address; the Ise office has one too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.roles import Role
from plans.models import Department, Measure, Plan
from reporting import services
from tests.helpers import user_with_role

TOKYO = ZoneInfo("Asia/Tokyo")
# The round of fiscal 2026 opens in April 2027; its deadline is 令和9年5月29日.
OPENED = datetime(2027, 4, 15, 9, 0, tzinfo=TOKYO)
DEADLINE = date(2027, 5, 29)
DIGITAL = "デジタル政策課"
RESIDENTS = "戸籍住民課"
OWNED = {DIGITAL: ((1, 1), (1, 2)), RESIDENTS: ((3, 1),)}


@dataclass
class RoundSetup:
    plan: Plan
    digital: Department
    residents: Department
    office: object
    digital_user: object
    residents_user: object


def give_measures(plan: Plan) -> dict[str, Department]:
    departments = {}
    for name, measures in OWNED.items():
        department = Department.objects.get(municipality=plan.municipality, name=name)
        for policy, number in measures:
            Measure.objects.get(policy__plan=plan, policy__number=policy,
                                number=number).departments.add(department)
        departments[name] = department
    return departments


@pytest.fixture
def owners(plans) -> RoundSetup:
    plan = Plan.objects.get(code="ise-2")
    departments = give_measures(plan)
    office = user_with_role(Role.OFFICE, username="ise-office")
    office.email = "office@city.ise.example"
    office.save()
    digital_user = user_with_role(Role.DEPARTMENT, departments=(DIGITAL,), username="digital")
    digital_user.email = "digital@city.ise.example"
    digital_user.save()
    residents_user = user_with_role(Role.DEPARTMENT, departments=(RESIDENTS,),
                                    username="residents")
    residents_user.email = "residents@city.ise.example"
    residents_user.save()
    return RoundSetup(plan, departments[DIGITAL], departments[RESIDENTS], office,
                      digital_user, residents_user)


@pytest.fixture
def opened(owners):
    """The fiscal-2026 round of ise-2, opened on 令和9年4月15日 by the office."""
    round_ = services.round_open(plan=owners.plan, fiscal_year=2026, deadline=DEADLINE,
                                 user=owners.office, now=OPENED)
    return round_
