"""Two people and one row: the fixtures of the stale-edit tests.

A city with one KGI and its R8 actual (40件), two DX office users of the
city (office-a, office-b) and a department user whose department owns the
KGI's measure (dept-user). Test modules import the fixtures they use.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.roles import Role
from indicators.models import Actual
from tests.factories import ActualFactory, DepartmentFactory, IndicatorFactory, MunicipalityFactory
from tests.helpers import user_with_role


@pytest.fixture
def city(db):
    return MunicipalityFactory(name="テスト市")


@pytest.fixture
def kgi(city):
    return IndicatorFactory(measure__policy__plan__municipality=city, item="元の項目")


@pytest.fixture
def office(city):
    return user_with_role(Role.OFFICE, municipality=city.code, username="office-a")


@pytest.fixture
def colleague(city):
    return user_with_role(Role.OFFICE, municipality=city.code, username="office-b")


@pytest.fixture
def department_user(city, kgi):
    department = DepartmentFactory(municipality=city)
    department.measures.add(kgi.measure)
    return user_with_role(Role.DEPARTMENT, municipality=city.code,
                          departments=(department.name,), username="dept-user")


@pytest.fixture
def entered(kgi) -> Actual:
    return ActualFactory(indicator=kgi, fiscal_year=2026, value=Decimal(40))
