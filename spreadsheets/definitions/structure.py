"""Placing a row's KGI under its measure (施策) and initiative (取組), new or renamed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from indicators.models import Indicator
from plans.models import Initiative, Measure
from spreadsheets.definitions.columns import (
    NONE_TEXT,
    RowCells,
    cell_text,
    first_given,
    folded,
    measure_text,
    quote,
    same_text,
    with_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable


class StructureRows:
    """Place a row's KGI under its measure (施策) and initiative (取組).

    Part of :class:`spreadsheets.definitions.reader.DefinitionReader`, whose
    state (``self.plan``, ``self.stored``, …) it reads and adds to.
    """

    def resolve_measure(
        self,
        row: RowCells,
        existing: Indicator | None,
        refuse: Callable[[str, str], None],
        changes: list[str],
    ) -> Measure | None:
        """Return the row's measure: stored, renamed or new."""
        if row.policy is None and row.measure is None and existing is not None:
            return self.stored.measures_by_id[existing.measure_id]
        if row.policy is None or row.measure is None:
            for key, label in (("policy", "基本方針番号"), ("measure", "施策番号")):
                if getattr(row, key) is None and key not in row.failed:
                    refuse(key, f"{label}が空欄です（新しい指標には必須です）。")
            return None
        policy = self.stored.policies.get(row.policy)
        if policy is None:
            numbers = "、".join(str(number) for number in sorted(self.stored.policies)) or "なし"
            refuse(
                "policy",
                f"基本方針番号「{row.policy}」はこの計画（{self.plan.code}）にありません"
                f"（登録済みの番号：{numbers}）。基本方針はファイルからは作れません。",
            )
            return None
        key = (row.policy, row.measure)
        first_row, title, other = first_given(self.measure_titles.get(key, []), row.number)
        if other is not None:
            refuse(
                "measure_title",
                f"施策 {row.policy}-{row.measure} の施策名が{first_row}行目（{quote(title)}）"
                f"と違います：{quote(other)}",
            )
        stored = self.stored.measures.get(key)
        if stored is not None:
            if title and not same_text(stored.title, title):
                if key not in self.renamed:
                    self.renamed[key] = renamed_measure(stored, cell_text(title))
                if row.number == first_row:
                    changes.append(
                        f"施策名（{row.policy}-{row.measure}）："
                        f"{quote(stored.title)} → {quote(title)}"
                    )
            return stored
        if not title:
            refuse(
                "measure_title",
                f"施策番号「{row.measure}」は基本方針{row.policy}に登録されていません。"
                "新しい施策にするには施策名を入力してください。",
            )
            return None
        measure = self.new_measures.get(key)
        if measure is None:
            measure = Measure(policy=policy, number=row.measure, label="", title=cell_text(title))
            try:
                measure.clean_fields(exclude={"policy"})
            except ValidationError as error:
                for message in error.messages:
                    refuse("measure_title", with_text(message, title))
                return None
            self.new_measures[key] = measure
            changes.append(f"新しい施策：{measure_text(measure)}")
        return measure

    def resolve_initiative(
        self,
        row: RowCells,
        measure: Measure,
        existing: Indicator | None,
        refuse: Callable[[str, str], None],
        changes: list[str],
    ) -> Initiative | None:
        """Return the row's initiative: stored, new, kept or none."""
        if not row.initiative:
            if existing is not None and existing.measure_id == measure.pk:
                return self.stored.initiatives_by_id.get(existing.initiative_id)
            return None
        key = (measure.policy.number, measure.number, folded(row.initiative))
        first_row, purpose, other = first_given(self.purposes.get(key, []), row.number)
        if other is not None:
            refuse(
                "purpose",
                f"取組{quote(row.initiative)}の目的（意図）が{first_row}行目と違います："
                f"{quote(other)}",
            )
        stored = None
        if measure.pk is not None:
            stored = self.stored.initiatives.get((measure.pk, folded(row.initiative)))
        if stored is not None:
            if purpose and not same_text(stored.purpose, purpose):
                if key not in self.changed_initiatives:
                    changed = Initiative(
                        pk=stored.pk, measure=measure, number=stored.number,
                        title=stored.title, purpose=cell_text(purpose),
                    )
                    self.changed_initiatives[key] = changed
                if row.number == first_row:
                    changes.append(
                        f"取組の目的（{quote(stored.title)}）：{quote(stored.purpose)} → "
                        f"{quote(purpose)}"
                    )
            return stored
        initiative = self.new_initiatives.get(key)
        if initiative is None:
            measure_key = (measure.policy.number, measure.number)
            number = self.next_initiative.get(
                measure_key, self.stored.last_initiative.get(measure.pk, 0)
            ) + 1
            self.next_initiative[measure_key] = number
            initiative = Initiative(
                measure=measure, number=number, title=row.initiative,
                purpose=cell_text(purpose),
            )
            try:
                initiative.clean_fields(exclude={"measure"})
            except ValidationError as error:
                for message in error.messages:
                    refuse("initiative", with_text(message, row.initiative))
                return None
            self.new_initiatives[key] = initiative
            changes.append(f"新しい取組：{quote(row.initiative)}")
        return initiative


def renamed_measure(stored: Measure, title: str) -> Measure:
    return Measure(
        pk=stored.pk, policy=stored.policy, number=stored.number, label=stored.label,
        title=title, description=stored.description,
    )


def initiative_text(initiative: Initiative | None) -> str:
    return NONE_TEXT if initiative is None else quote(initiative.title)
