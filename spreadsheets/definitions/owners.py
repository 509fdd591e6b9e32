"""The 所管課 column: a measure's owning departments, by name.

Names are separated by 「、」, 「,」 or 「・」 (or a line break) and matched
to the municipality's departments by name, NFKC-folded and with spaces
ignored; 「情報戦略局 デジタル政策課」 (部局 and 課名) reads too. A name with a
「・」 of its own (高齢・障がい福祉課) is read whole first. A cell of the
column sets exactly the departments it lists; 「なし」 removes them all; a
blank cell, like every blank cell of the template, leaves them as stored;
and a file without the column changes no owner.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from plans.services import department_names, sorted_departments
from spreadsheets.definitions.columns import NONE_TEXT, RowCells, clip

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from plans.models import Department, Measure

# Split the cell on these (after NFKC, 「，」 is 「,」 and 「､」 is 「、」).
SEPARATORS = re.compile(r"[、,\n]")
MIDDLE_DOT = "・"
# A department name holds at most this many 「・」-separated parts: a bound
# that keeps a cell of 30,000 dots a linear read.
MAX_DOTTED_PARTS = 4
# Up to this many, an unknown name's message lists every department.
LISTED_DEPARTMENTS = 20


def name_key(text: str) -> str:
    """Return ``text`` for comparing department names: NFKC, no spaces, casefolded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def department_lookup(departments: Iterable[Department]) -> dict[str, Department]:
    """Map each department's 課名, and its 部局 and 課名 together, to it."""
    lookup: dict[str, Department] = {}
    for department in departments:
        lookup[name_key(department.name)] = department
        lookup.setdefault(name_key(str(department)), department)
    return lookup


def read_owner_names(
    text: str, lookup: dict[str, Department]
) -> tuple[list[Department], list[str]]:
    """Return the departments ``text`` names, in its order, and the names unknown."""
    found: list[Department] = []
    unknown: list[str] = []
    for piece in SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        if not piece.strip():
            continue
        # The longest run of 「・」-separated parts that names a department
        # wins: 「高齢・障がい福祉課・保育課」 is two departments.
        parts = piece.split(MIDDLE_DOT)
        hits: list[Department] = []
        misses: list[str] = []
        start = 0
        while start < len(parts):
            for end in range(min(len(parts), start + MAX_DOTTED_PARTS), start, -1):
                department = lookup.get(name_key(MIDDLE_DOT.join(parts[start:end])))
                if department is not None:
                    hits.append(department)
                    start = end
                    break
            else:
                if parts[start].strip():
                    misses.append(parts[start].strip())
                start += 1
        found += hits
        if misses and not hits:
            # Nothing of it is a department: quote it as typed, not in pieces.
            misses = [piece.strip()]
        unknown += misses
    return list({department.pk: department for department in found}.values()), unknown


def owners_text(departments: Iterable[Department]) -> str:
    """Return the cell the template writes: 「デジタル政策課、戸籍住民課」, "" for none."""
    return "、".join(department.name for department in sorted_departments(departments))


@dataclass
class OwnerChange:
    """A measure whose owners the file sets, and what they were ([] for a new one)."""

    measure: Measure
    departments: list[Department]
    before: list[Department] = field(default_factory=list)


class OwnerRows:
    """Read the 所管課 column of a row and note the owners it sets on its measure.

    Part of :class:`spreadsheets.definitions.reader.DefinitionReader`, whose
    state (``self.plan``, ``self.stored``, ``self.owner_changes``, …) it
    reads and adds to.
    """

    def resolve_owners(
        self,
        row: RowCells,
        measure: Measure,
        refuse: Callable[[str, str], None],
        changes: list[str],
    ) -> None:
        """Check the row's 所管課 against its measure's, and say what it changes.

        The first row of a measure that fills the column sets its owners;
        another row of it that names others is refused, naming that row.
        """
        text = row.departments
        if "departments" not in self.columns or not text:
            return
        if name_key(text) == name_key(NONE_TEXT):
            departments: list[Department] = []
        else:
            departments, unknown = read_owner_names(text, self.stored.department_lookup)
            for name in unknown:
                refuse("departments", self.unknown_department(name))
            if unknown:
                return
        key = (measure.policy.number, measure.number)
        wanted = sorted(department.pk for department in departments)
        first = self.owner_rows.setdefault(key, (row.number, wanted, text))
        if first[0] != row.number:
            if first[1] != wanted:
                refuse(
                    "departments",
                    f"施策 {key[0]}-{key[1]} の所管課が{first[0]}行目（{clip(first[2])}）と"
                    f"違います：「{clip(text)}」",
                )
            return
        before = (
            [] if measure.pk is None
            else [self.stored.departments[pk]
                  for pk in self.stored.owners.get(measure.pk, ())]
        )
        if sorted(department.pk for department in before) == wanted:
            return
        self.owner_changes[key] = OwnerChange(measure, departments, before)
        after = department_names(sorted_departments(departments))
        if measure.pk is None:
            changes.append(f"所管課（{key[0]}-{key[1]}）：{after}")
        else:
            changes.append(
                f"所管課（{key[0]}-{key[1]}）："
                f"{department_names(sorted_departments(before))} → {after}"
            )

    def unknown_department(self, name: str) -> str:
        """Say a name is no department of the plan's city, listing them if few."""
        city = self.plan.municipality.name
        known = sorted_departments(self.stored.departments.values())
        if not known:
            hint = "所管課は管理画面の「所管課」で先に登録してください。"
        elif len(known) <= LISTED_DEPARTMENTS:
            hint = f"登録済みの所管課：{'、'.join(department.name for department in known)}。"
        else:
            hint = "管理画面の「所管課」一覧で名前を確かめてください。"
        return f"所管課「{clip(name)}」は{city}の所管課に登録されていません。{hint}"
