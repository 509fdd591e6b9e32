"""What importing a row would change, as the preview's lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators.models import Indicator, Target
from indicators.wording import target_text
from spreadsheets.definitions.columns import (
    NONE_TEXT,
    accumulation_label,
    baseline_label,
    kind_label,
    measure_text,
    quote,
    same_text,
    target_heading,
    year_label,
)
from spreadsheets.definitions.structure import initiative_text

if TYPE_CHECKING:
    from spreadsheets.definitions.reader import Stored


def new_indicator_lines(indicator: Indicator, targets: list[Target]) -> list[str]:
    """Return what a new KGI will be, as preview lines."""
    lines = [
        f"施策：{measure_text(indicator.measure)}",
        f"項目：{quote(indicator.item)}",
        f"表示順：{indicator.position}",
        f"評価の型：{kind_label(indicator.kind)}",
        f"集計方法：{accumulation_label(indicator.accumulation)}",
    ]
    if indicator.initiative is not None:
        lines.insert(1, f"取組：{initiative_text(indicator.initiative)}")
    if indicator.unit:
        lines.append(f"単位：{indicator.unit}")
    if indicator.baseline is not None:
        lines.append(
            "現状値："
            f"{baseline_label(indicator.baseline, indicator.baseline_places, indicator.unit)}"
            f"（{year_label(indicator.baseline_year)}）"
        )
    lines += [
        f"{target_heading(target.fiscal_year)}："
        f"{target_text(indicator, target.value, target.value_places)}"
        for target in targets
    ]
    if indicator.notes:
        lines.append(f"注記：{quote(indicator.notes)}")
    return lines


def indicator_changes(old: Indicator, new: Indicator, stored: Stored) -> list[str]:
    """Return 「単位：件 → 回」 lines for what differs from the stored KGI."""
    lines: list[str] = []
    old_measure = stored.measures_by_id[old.measure_id]
    if new.measure is not old_measure:
        lines.append(f"施策：{measure_text(old_measure)} → {measure_text(new.measure)}")
    old_initiative = stored.initiatives_by_id.get(old.initiative_id)
    if new.initiative is not old_initiative:
        lines.append(
            f"取組：{initiative_text(old_initiative)} → {initiative_text(new.initiative)}"
        )
    if new.position != old.position:
        lines.append(f"表示順：{old.position} → {new.position}")
    if not same_text(old.item, new.item):
        lines.append(f"項目：{quote(old.item)} → {quote(new.item)}")
    if not same_text(old.unit, new.unit):
        lines.append(f"単位：{old.unit or NONE_TEXT} → {new.unit or NONE_TEXT}")
    if new.kind != old.kind:
        lines.append(f"評価の型：{kind_label(old.kind)} → {kind_label(new.kind)}")
    if new.accumulation != old.accumulation:
        lines.append(
            f"集計方法：{accumulation_label(old.accumulation)} → "
            f"{accumulation_label(new.accumulation)}"
        )
    # Numerically equal values are the same: an Excel number cell cannot
    # carry the decimals typed (45 and 45.0 read alike).
    if new.baseline != old.baseline:
        lines.append(
            f"現状値：{baseline_label(old.baseline, old.baseline_places, old.unit)} → "
            f"{baseline_label(new.baseline, new.baseline_places, new.unit)}"
        )
    elif new.baseline is not None:
        new.baseline_places = old.baseline_places
    if new.baseline_year != old.baseline_year:
        lines.append(
            f"現状値の年度：{year_label(old.baseline_year)} → {year_label(new.baseline_year)}"
        )
    if not same_text(old.notes, new.notes):
        lines.append(f"注記：{quote(old.notes)} → {quote(new.notes)}")
    return lines
