"""Checking a row's KGI: its kind, the model's rules, its targets (a stored
target is revised only through the targets import) and its position."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from indicators.models import Indicator, Kind, Target
from indicators.services import (
    LOCKED_DEFINITION_FIELDS,
    definition_locked_message,
    target_locked_message,
)
from indicators.wording import target_text
from spreadsheets.cells import CellError, parse_text
from spreadsheets.definitions.columns import (
    FIELD_COLUMNS,
    REVISION_HINT,
    DefinitionRow,
    RowCells,
    TargetColumn,
    baseline_label,
    kind_label,
    target_heading,
    with_text,
)
from spreadsheets.targets import parse_target

if TYPE_CHECKING:
    from collections.abc import Callable


class KgiChecks:
    """Check a row's KGI: its kind, its model rules, its targets and positions.

    Part of :class:`spreadsheets.definitions.reader.DefinitionReader`, whose
    state (``self.plan``, ``self.stored``, …) it reads and adds to.
    """

    def check_kind(
        self,
        row: RowCells,
        kind: str,
        baseline: Decimal | None,
        existing: Indicator | None,
        refuse: Callable[[str, str], None],
    ) -> None:
        """Refuse a baseline the kind does not allow, quoting what was typed."""
        if "baseline" in row.failed:
            return
        if kind == Kind.MILESTONE and baseline is not None:
            if row.baseline is not None:
                refuse(
                    "baseline",
                    f"完了型の指標には現状値を入力できません：「{row.baseline_text}」",
                )
            else:
                stored = baseline_label(baseline, existing.baseline_places, existing.unit)
                refuse(
                    "kind",
                    f"完了型にするには、登録済みの現状値（{stored}）を管理画面で消してください。",
                )
        if kind == Kind.REDUCTION and not (baseline is not None and baseline > 0):
            typed = f"：「{row.baseline_text}」" if row.baseline is not None else "（空欄です）。"
            refuse("baseline", f"削減率型の指標には 0 より大きい現状値が必要です{typed}")

    def check_confirmed(
        self, existing: Indicator, candidate: Indicator, refuse: Callable[[str, str], None]
    ) -> None:
        """Refuse a change of what a confirmed plan year's evaluation reads.

        Kind, unit, baseline and accumulation (LOCKED_DEFINITION_FIELDS):
        the office reopens the confirmed actuals first. The writer locks
        the plan, and the confirm step locks its actuals, so the two never
        cross (apply_definitions checks the file again under the lock).
        """
        years = self.stored.confirmed.get(existing.pk)
        if not years:
            return
        changed = [
            name for name in LOCKED_DEFINITION_FIELDS
            if getattr(existing, name) != getattr(candidate, name)
        ]
        if changed:
            labels = [str(Indicator._meta.get_field(name).verbose_name) for name in changed]
            refuse(changed[0], definition_locked_message(labels, years))

    def clean_indicator(self, candidate: Indicator, refuse: Callable[[str, str], None]) -> None:
        """Run the model's own checks; the related objects are in memory."""
        try:
            candidate.clean_fields(exclude={"plan", "measure", "initiative"})
            candidate.clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                value = getattr(candidate, name, None)
                for message in messages:
                    if isinstance(value, str) and value:
                        message = with_text(message, value)
                    refuse(FIELD_COLUMNS.get(name, "code"), message)

    def resolve_targets(
        self,
        row: RowCells,
        columns: list[TargetColumn],
        candidate: Indicator,
        existing: Indicator | None,
        refuse: Callable[[str, str], None],
    ) -> list[Target]:
        """Return the row's new and changed targets; blank cells keep theirs."""
        targets: list[Target] = []
        given: set[int] = set()
        for column in columns:
            cell = row.cells[column.index]
            try:
                parsed = parse_target(cell, candidate)
            except CellError as error:
                refuse(column.header, str(error))
                continue
            if parsed is None:
                continue
            value, places = parsed
            year = column.fiscal_year
            given.add(year)
            current = self.stored.targets.get((existing.pk, year)) if existing else None
            if current is not None and current.value == value:
                continue
            if current is not None:
                # A revision needs its reason and decision date, which this
                # file has no place for: the targets import and the admin ask.
                old = target_text(existing, current.value, current.value_places)
                refuse(column.header, with_text(
                    f"登録済みの目標値（{old}）はこのファイルでは変更できません。{REVISION_HINT}",
                    parse_text(cell),
                ))
                continue
            if existing is not None and year in self.stored.confirmed.get(existing.pk, ()):
                refuse(column.header, target_locked_message(year))
                continue
            target = Target(
                pk=current.pk if current else None,
                indicator=candidate, fiscal_year=year, value=value, value_places=places,
            )
            try:
                target.clean_fields(exclude={"indicator"})
                target.clean()
            except ValidationError as error:
                for message in error.messages:
                    refuse(column.header, with_text(message, parse_text(cell)))
                continue
            targets.append(target)
        if existing is not None and existing.kind != candidate.kind:
            self.check_stored_targets(existing, candidate, given, refuse)
        return targets

    def check_stored_targets(
        self,
        existing: Indicator,
        candidate: Indicator,
        given: set[int],
        refuse: Callable[[str, str], None],
    ) -> None:
        """Refuse a new kind that the targets kept from before would break."""
        for (indicator_id, year), target in sorted(self.stored.targets.items()):
            if indicator_id != existing.pk or year in given:
                continue
            kept = Target(indicator=candidate, fiscal_year=year, value=target.value)
            try:
                kept.clean()
            except ValidationError as error:
                old = target_text(existing, target.value, target.value_places)
                for message in error.message_dict.get("value", []):
                    refuse(
                        "kind",
                        f"評価の型を{kind_label(candidate.kind)}にすると、登録済みの"
                        f"{target_heading(year)}（{old}）と合いません：{message}"
                        "評価の型と目標値は管理画面の指標の画面で一緒に変更してください"
                        "（目標値の変更には変更理由と決定日が必要です）。",
                    )

    def old_target_label(self, existing: Indicator, fiscal_year: int) -> str:
        current = self.stored.targets.get((existing.pk, fiscal_year))
        if current is None:
            return "未設定"
        return target_text(existing, current.value, current.value_places)

    def check_positions(
        self, definitions: list[DefinitionRow], cells: dict[int, RowCells]
    ) -> None:
        """Refuse two KGIs of the plan on one 表示順, naming both."""
        in_file = {definition.code for definition in definitions}
        holders: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for indicator in self.stored.plan_indicators:
            if indicator.code not in in_file:
                holders[indicator.position].append((0, indicator.code))
        for definition in definitions:
            holders[definition.indicator.position].append((definition.row, definition.code))
        for position, entries in holders.items():
            (first_row, first_code), *others = sorted(entries)
            for number, _code in others:
                if first_row == 0:
                    reason = f"表示順「{position}」は登録済みの指標 {first_code} が使っています。"
                else:
                    reason = (
                        f"表示順「{position}」が{first_row}行目（{first_code}）と重なっています。"
                    )
                self.refuser(cells[number])("position", reason)
