"""Which rounds and submissions a user may reach, and what a round asks for.

As everywhere (:mod:`accounts.roles`), objects outside a user's scope are
absent from these querysets, so a view answers 404 and their existence
does not leak. Within reach, what a role may *do* is a second question
(:func:`may_manage`, :func:`may_enter`): a 所管課 login that opens the
office's board of its own city's round gets 403, not 404.

========= ==================================== =================================
Role      Reaches                               May
========= ==================================== =================================
DX推進担当  every round and submission of its       open, extend, close rounds;
          city's plans                          read, return, confirm submissions
所管課     its departments' submissions and         read and save its own KGIs'
          their rounds                          values, submit
閲覧       the rounds of its city's plans           nothing (403)
========= ==================================== =================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from accounts.roles import NOTHING, Role, scope_of
from reporting.models import Message, ReturnNote, Round, Submission

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

    from accounts.roles import Scope
    from plans.models import Plan


def own_departments_q(scope: Scope, path: str = "") -> Q:
    """Filter rows whose department (at ``path``) is one of a 所管課 login's own."""
    if scope.role is not Role.DEPARTMENT or scope.municipality_id is None:
        return NOTHING
    return Q(**{f"{path}department_id__in": scope.department_ids,
                f"{path}department__municipality_id": scope.municipality_id})


def rounds_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Round]:
    """Return the rounds ``user`` can reach (404 for the others)."""
    scope = scope_of(user)
    condition = scope.plan_q("plan__")
    if scope.role is Role.DEPARTMENT:
        owned = Submission.objects.filter(own_departments_q(scope)).values("round_id")
        condition = Q(pk__in=owned)
    return Round.objects.filter(condition).select_related("plan__municipality")


def submissions_visible_to(
    *, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[Submission]:
    """Return the submissions ``user`` can reach (404 for the others)."""
    scope = scope_of(user)
    condition = (own_departments_q(scope) if scope.role is Role.DEPARTMENT
                 else scope.plan_q("round__plan__"))
    return Submission.objects.filter(condition).select_related(
        "round__plan__municipality", "department"
    )


def may_manage(user: AbstractBaseUser | AnonymousUser, round_: Round) -> bool:
    """Whether ``user`` runs ``round_`` (open, extend, close, return, confirm)."""
    return scope_of(user).manages_plan(round_.plan)


def may_enter(user: AbstractBaseUser | AnonymousUser, submission: Submission) -> bool:
    """Whether ``user`` enters and submits ``submission`` (its own department's)."""
    scope = scope_of(user)
    return (
        scope.role is Role.DEPARTMENT
        and submission.department_id in scope.department_ids
        and submission.department.municipality_id == scope.municipality_id
    )


def open_submissions_of(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Submission]:
    """Return a 所管課 login's submissions in rounds still open (its home page)."""
    scope = scope_of(user)
    return Submission.objects.filter(
        own_departments_q(scope), round__status="open"
    ).select_related("round__plan", "department").order_by("round__deadline", "pk")


def rows_under(plans: QuerySet[Plan]) -> list[tuple[str, QuerySet[Any]]]:
    """The round's rows under ``plans``, children first, history included.

    For demo.synthetic's removal of synthetic plans (registered in
    reporting.apps): every row here points at a plan, a department or a
    KGI that is removed after it.
    """
    rounds = Round.objects.filter(plan__in=plans)
    submissions = Submission.objects.filter(round__in=rounds)
    return [
        ("変更履歴", Submission.history.model.objects.filter(round_id__in=rounds.values("pk"))),
        ("変更履歴", Round.history.model.objects.filter(plan_id__in=plans.values("pk"))),
        ("実績報告のメール", Message.objects.filter(round__in=rounds)),
        ("差戻しのコメント", ReturnNote.objects.filter(submission__in=submissions)),
        ("提出", submissions),
        ("実績報告", rounds),
    ]
