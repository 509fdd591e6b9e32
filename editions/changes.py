"""What changed between two editions of a plan-year (no Django: plain dicts).

The next edition marks each KGI whose year's figures or words differ from
the previous edition's (value, evaluation, target, commentary) and lists
every change on a page of its own. Both editions' snapshots
(:mod:`editions.snapshot`) hold the texts as printed, so a change is what
a reader of the two papers would see differ.
"""

from __future__ import annotations

from typing import Any

# The fields of a KGI-year compared, with the words the changes page uses.
COMPARED = (
    ("target_label", "目標値"),
    ("actual_label", "実績値"),
    ("evaluation_label", "評価"),
)
ABSENT = "（なし）"


def commentary_of(row: dict[str, Any]) -> dict[str, str]:
    return dict(row.get("commentary", []))


def kgi_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[dict[str, str]]:
    """Return the changes of one KGI's year between two editions, in the page's order."""
    code = (after or before)["code"]
    if before is None:
        return [{"code": code, "field": "指標", "before": ABSENT, "after": "追加"}]
    if after is None:
        return [{"code": code, "field": "指標", "before": "掲載", "after": "削除"}]
    old, new = before["row"], after["row"]
    found = [
        {"code": code, "field": label, "before": old[key], "after": new[key]}
        for key, label in COMPARED if old[key] != new[key]
    ]
    old_comments, new_comments = commentary_of(old), commentary_of(new)
    for heading in dict.fromkeys([*new_comments, *old_comments]):
        if old_comments.get(heading) != new_comments.get(heading):
            found.append({
                "code": code, "field": heading,
                "before": old_comments.get(heading, ABSENT),
                "after": new_comments.get(heading, ABSENT),
            })
    return found


def compare(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, str]]:
    """Return every change from ``previous`` to ``current``, KGIs in ``current``'s order.

    No previous edition, no changes: the first edition marks nothing.
    """
    if previous is None:
        return []
    old = {kgi["code"]: kgi for kgi in previous["kgis"]}
    new = {kgi["code"]: kgi for kgi in current["kgis"]}
    changes: list[dict[str, str]] = []
    for code in new:
        changes.extend(kgi_changes(old.get(code), new[code]))
    for code in old:
        if code not in new:
            changes.extend(kgi_changes(old[code], None))
    return changes


def changed_codes(changes: list[dict[str, str]]) -> set[str]:
    """Return the codes of the KGIs that ``changes`` name (the ones a page marks)."""
    return {change["code"] for change in changes}
