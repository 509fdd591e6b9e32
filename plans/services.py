"""Writes to the plan structure that a form cannot make alone: measure owners.

A measure's owners (所管課) are a many-to-many relation, which
django-simple-history does not record here (``audit_trail`` declares no
``m2m_fields``). A change of owners therefore raises the measure's version
and writes a history row of the measure whose reason names the
departments, before and after: 「所管課の設定：デジタル政策課、戸籍住民課
（変更前：なし）」. The bulk admin action and the definitions import both
write owners through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F

from audit.versions import REENTER, stale_rows, stale_text
from audit.writers import history_create
from plans.models import Department, Measure

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from django.contrib.auth.models import AbstractBaseUser

NONE_TEXT = "なし"
NOTHING_CHANGED = (
    "どの施策の所管課も変更していません。施策一覧を開き直し、最新の内容を確かめてから"
    "もう一度設定してください。"
)
ADD = "add"
REPLACE = "replace"


class OwnersRefused(Exception):
    """The owners cannot be set; ``str()`` says why, in Japanese."""


def department_names(departments: Iterable[Department]) -> str:
    """Return 「デジタル政策課、戸籍住民課」 (「なし」 for none), in the given order."""
    return "、".join(department.name for department in departments) or NONE_TEXT


def owners_change_text(
    *, before: Iterable[Department], after: Iterable[Department]
) -> str:
    """Return 「所管課の設定：A、B（変更前：なし）」 for the history, in the admin's order."""
    return (
        f"所管課の設定：{department_names(sorted_departments(after))}"
        f"（変更前：{department_names(sorted_departments(before))}）"
    )


def sorted_departments(departments: Iterable[Department]) -> list[Department]:
    """Return ``departments`` in the admin's order (部局, 課名)."""
    return sorted(departments, key=lambda department: (department.division, department.name))


def measure_owners_write(owners: Mapping[int, Iterable[int]]) -> None:
    """Make the owners of each measure id exactly the department ids given.

    Two queries whatever the number of measures: the old links go, the
    new ones are inserted. The caller holds the transaction, raises the
    measures' versions and records their history.
    """
    if not owners:
        return
    through = Measure.departments.through
    through.objects.filter(measure_id__in=list(owners)).delete()
    through.objects.bulk_create([
        through(measure_id=measure_id, department_id=department_id)
        for measure_id, department_ids in owners.items()
        for department_id in dict.fromkeys(department_ids)
    ])


@dataclass
class OwnersOutcome:
    """The measures whose owners changed, and those already as asked."""

    changed: list[Measure]
    unchanged: list[Measure]


def measures_set_departments(
    *,
    measures: Sequence[Measure],
    departments: Sequence[Department],
    mode: str,
    user: AbstractBaseUser,
    seen: Mapping[int, int],
) -> OwnersOutcome:
    """Add ``departments`` to the owners of ``measures``, or make them the owners.

    ``mode`` is ADD or REPLACE (an empty ``departments`` then clears the
    owners). Every measure and department must be of one municipality.
    ``seen`` maps each measure's id to the version the page showed: a
    measure changed since refuses the whole step (OwnersRefused, with who
    changed it and when), and nothing is written. Each measure changed
    gets its version raised and a history row naming the departments.
    A constant number of queries whatever the number of measures.
    """
    if mode not in (ADD, REPLACE):
        raise ValueError(f"unknown mode {mode!r}")
    if mode == ADD and not departments:
        raise OwnersRefused("追加する所管課を選んでください。")
    cities = {measure.policy.plan.municipality_id for measure in measures}
    cities |= {department.municipality_id for department in departments}
    if len(cities) > 1:
        raise OwnersRefused(
            "所管課を設定できるのは、同じ自治体の施策と課の組み合わせだけです。"
            "施策一覧を自治体で絞り込んでから選んでください。"
        )
    with transaction.atomic():
        labels = {measure.pk: f"施策「{measure}」" for measure in measures}
        found = stale_rows(Measure, {measure.pk: seen.get(measure.pk, 0) for measure in measures},
                           labels=labels)
        if found:
            raise OwnersRefused(stale_text(found).replace(REENTER, NOTHING_CHANGED))
        current = {
            measure.pk: measure
            for measure in Measure.objects.filter(pk__in=list(labels))
            .select_related("policy__plan").prefetch_related("departments")
        }
        owners: dict[int, list[int]] = {}
        outcome = OwnersOutcome(changed=[], unchanged=[])
        for measure in (current[pk] for pk in labels):
            before = sorted_departments(measure.departments.all())
            wanted = list(departments) if mode == REPLACE else [*before, *departments]
            after = sorted_departments({department.pk: department for department in wanted}
                                       .values())
            if [d.pk for d in after] == [d.pk for d in before]:
                outcome.unchanged.append(measure)
                continue
            owners[measure.pk] = [department.pk for department in after]
            measure.version += 1
            measure._change_reason = owners_change_text(before=before, after=after)
            outcome.changed.append(measure)
        measure_owners_write(owners)
        Measure.objects.filter(pk__in=list(owners)).update(version=F("version") + 1)
        history_create(outcome.changed, model=Measure, user=user, update=True,
                       reason="所管課の設定")
    return outcome
