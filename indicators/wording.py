"""Texts as the plan documents print them.

Every page, export, print-out and command words an evaluation, a count or
a value through here, so the same result reads the same everywhere. Pure
functions over the engine's results; no queries.
"""

from __future__ import annotations

from indicators import achievement


def counts_line(counts: achievement.Counts) -> str:
    """Return 「達成 3 / 未達成 1 / 未入力 0 / 評価対象外 0（達成割合 75.0%）」.

    期限前 (milestones not yet due) appears only when there are some, so
    plans without milestones keep the document's four counts.
    """
    text = (
        f"達成 {counts.achieved} / 未達成 {counts.not_achieved} / 未入力 {counts.pending}"
        f" / 評価対象外 {counts.not_measured}"
    )
    if counts.not_due:
        text += f" / 期限前 {counts.not_due}"
    share = counts.share_achieved
    if share is not None:
        text += f"（達成割合 {achievement.format_rate(share)}%）"
    return text
