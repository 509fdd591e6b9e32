"""Limit any plan-data queryset to a user's scope, for reading or for changing.

The admin (querysets, per-object permissions, foreign-key choices) and the
imports go through :func:`limit_to_scope`, so there is one table of which
model is reached through which path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from accounts.roles import NOTHING, Scope, scope_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import Model, QuerySet


def municipality_pk_q(scope: Scope) -> Q:
    if scope.everywhere:
        return Q()
    if scope.role is None or scope.municipality_id is None:
        return NOTHING
    return Q(pk=scope.municipality_id)


# model label → (filter for reading, filter for changing)
FILTERS: dict[str, tuple[Callable[[Scope], Q], Callable[[Scope], Q]]] = {
    "plans.municipality": (municipality_pk_q, lambda s: municipality_pk_q(s) if s.everywhere
                           else NOTHING),
    "plans.department": (lambda s: s.department_q(), lambda s: s.managed_plan_q()),
    "plans.plan": (lambda s: s.plan_q(), lambda s: s.managed_plan_q()),
    "plans.basicpolicy": (lambda s: s.plan_q("plan__"), lambda s: s.managed_plan_q("plan__")),
    "plans.measure": (lambda s: s.measure_q(), lambda s: s.managed_plan_q("policy__plan__")),
    "plans.initiative": (
        lambda s: s.measure_q("measure__"), lambda s: s.managed_plan_q("measure__policy__plan__")
    ),
    "indicators.indicator": (lambda s: s.indicator_q(), lambda s: s.managed_plan_q("plan__")),
    "indicators.target": (
        lambda s: s.indicator_q("indicator__"), lambda s: s.managed_plan_q("indicator__plan__")
    ),
    "indicators.actual": (
        lambda s: s.indicator_q("indicator__"), lambda s: s.entry_q("indicator__")
    ),
    # A link between two KGIs: within reach only where both KGIs are.
    "indicators.continuation": (
        lambda s: s.indicator_q("earlier__") & s.indicator_q("later__"),
        lambda s: s.managed_plan_q("earlier__plan__") & s.managed_plan_q("later__plan__"),
    ),
}


def scope_filter(model: type[Model], scope: Scope, *, change: bool = False) -> Q | None:
    """Return the filter for ``model`` (None for a model outside plan data)."""
    filters = FILTERS.get(model._meta.label_lower)
    if filters is None:
        return None
    return filters[1 if change else 0](scope)


def limit_to_scope(
    queryset: QuerySet, user: AbstractBaseUser | AnonymousUser, *, change: bool = False
) -> QuerySet:
    """Return ``queryset`` without the rows ``user`` may not read (or change)."""
    condition = scope_filter(queryset.model, scope_of(user), change=change)
    return queryset if condition is None else queryset.filter(condition)


def in_scope(obj: Model, user: AbstractBaseUser | AnonymousUser, *, change: bool = False) -> bool:
    """Whether ``obj`` is within ``user``'s scope (one query)."""
    condition = scope_filter(type(obj), scope_of(user), change=change)
    if condition is None:
        return True
    return type(obj)._default_manager.filter(condition, pk=obj.pk).exists()
