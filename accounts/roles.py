"""Who may see and change what: the four roles and their scope.

A role is a Django group (its model permissions say *what* a user may do);
the user's :class:`~accounts.models.Affiliation` says *where*:

========== ====================================================================
Role       Scope
========== ====================================================================
システム管理者 every municipality, every action (a superuser is one too)
DX推進担当   all plan data of their municipality: entry, targets, structure,
           imports and exports, confirming actuals
所管課      the KGIs of measures owned by their departments: view, and enter
           actuals, which stay 入力中 until the DX office confirms them
閲覧        read-only pages and print-outs of their municipality
========== ====================================================================

Every query that lists plan data starts from :func:`scope_of`, through
``plans.selectors`` and ``indicators.selectors``; objects outside the
scope are simply absent, so views answer 404 and their existence does not
leak. A user with no role, or a non-system role without a municipality,
sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from plans.models import Plan


class Role(StrEnum):
    SYSTEM = "システム管理者"
    OFFICE = "DX推進担当"
    DEPARTMENT = "所管課"
    VIEWER = "閲覧"


# When a user is in several groups, the widest role counts.
PRECEDENCE = (Role.SYSTEM, Role.OFFICE, Role.DEPARTMENT, Role.VIEWER)
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Scope:
    """What one user may reach; built once per request by :func:`scope_of`."""

    role: Role | None
    municipality_id: int | None = None
    department_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def everywhere(self) -> bool:
        return self.role is Role.SYSTEM

    @property
    def reads_plans(self) -> bool:
        """Whole plans (dashboards, print-outs, the API) are in reach."""
        return self.everywhere or (
            self.role in (Role.OFFICE, Role.VIEWER) and self.municipality_id is not None
        )

    @property
    def manages_plans(self) -> bool:
        return self.everywhere or (self.role is Role.OFFICE and self.municipality_id is not None)

    @property
    def enters_actuals(self) -> bool:
        return self.manages_plans or (
            self.role is Role.DEPARTMENT and self.municipality_id is not None
        )

    @property
    def uses_admin(self) -> bool:
        """The admin is for entering and managing data; 閲覧 reads the pages only."""
        return self.role in (Role.SYSTEM, Role.OFFICE, Role.DEPARTMENT)

    @property
    def label(self) -> str:
        return self.role.value if self.role else "権限なし"

    def municipality_q(self, path: str = "") -> Q:
        """Filter objects whose municipality (at ``path``) the user belongs to."""
        if self.everywhere:
            return Q()
        if self.municipality_id is None or self.role is None:
            return NOTHING
        return Q(**{f"{path}municipality_id": self.municipality_id})

    def plan_q(self, path: str = "") -> Q:
        """Filter plans (at ``path``) the user may read as a whole."""
        if not self.reads_plans:
            return NOTHING
        return self.municipality_q(path)

    def managed_plan_q(self, path: str = "") -> Q:
        if not self.manages_plans:
            return NOTHING
        return self.municipality_q(path)

    def measure_q(self, path: str = "") -> Q:
        """Filter measures (at ``path``) whose KGIs the user may see."""
        if self.reads_plans:
            return self.municipality_q(f"{path}policy__plan__")
        if self.role is Role.DEPARTMENT and self.municipality_id is not None:
            # By name: accounts sits below plans (pyproject.toml's layers).
            owned = apps.get_model("plans", "Measure").objects.filter(
                departments__in=self.department_ids,
                departments__municipality_id=self.municipality_id,
            ).values("pk")
            return Q(**{f"{path}pk__in": owned})
        return NOTHING

    def indicator_q(self, path: str = "") -> Q:
        """Filter indicators (at ``path``) the user may see."""
        if self.reads_plans:
            return self.municipality_q(f"{path}plan__")
        if self.role is Role.DEPARTMENT:
            return self.measure_q(f"{path}measure__")
        return NOTHING

    def entry_q(self, path: str = "") -> Q:
        """Filter indicators (at ``path``) whose actuals the user may enter."""
        if self.manages_plans:
            return self.municipality_q(f"{path}plan__")
        if self.role is Role.DEPARTMENT:
            return self.measure_q(f"{path}measure__")
        return NOTHING

    def department_q(self, path: str = "") -> Q:
        """Filter departments (at ``path``) the user may see."""
        if self.reads_plans:
            return self.municipality_q(path)
        if self.role is Role.DEPARTMENT and self.municipality_id is not None:
            return Q(**{f"{path}pk__in": self.department_ids}) & self.municipality_q(path)
        return NOTHING

    # A check on a plan already fetched (no query).

    def manages_plan(self, plan: Plan) -> bool:
        return self.manages_plans and (
            self.everywhere or plan.municipality_id == self.municipality_id
        )


def role_of(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.SYSTEM
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in PRECEDENCE if role.value in names), None)


def scope_of(user: AbstractBaseUser | AnonymousUser) -> Scope:
    """Return ``user``'s scope, computed once per user object (so once per request)."""
    cached = getattr(user, "_kpi_scope", None)
    if cached is not None:
        return cached
    role = role_of(user)
    scope = Scope(role=role)
    if role is not None and role is not Role.SYSTEM:
        from accounts.models import Affiliation

        affiliation = (
            Affiliation.objects.filter(user=user).prefetch_related("departments").first()
        )
        if affiliation is not None and affiliation.municipality_id is not None:
            scope = Scope(
                role=role,
                municipality_id=affiliation.municipality_id,
                department_ids=frozenset(
                    d.pk for d in affiliation.departments.all()
                    if d.municipality_id == affiliation.municipality_id
                ),
            )
    if user.is_authenticated:
        user._kpi_scope = scope
    return scope
