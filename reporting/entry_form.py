"""The department page's form: its fields, and the POST turned into entries or errors.

Each KGI has five fields, named by the KGI's id (``value-12``,
``reason-12``, ``progress-12``, ``analysis-12``, ``direction-12``) and a
hidden ``seen-12``, the version of the stored actual the page showed
(empty when it showed none); the page carries the submission's
``version``. A value is read by the spreadsheets' parser
(:func:`spreadsheets.cells.parse_actual`), so 「２０５」, 「1,234」,
「45.0%」, 「205名」, 「－」 and 完了 read as in an uploaded sheet, and a
refusal says the same words, prefixed with the KGI's code and the field
(「ISE2-02 実績値：数値として読めません：「abc」」). Any error refuses the
whole page: :func:`entries_from_post` returns the entries only when every
field is good, and always what was typed, to show again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from indicators import wording
from indicators.models import COMMENT_MAX_LENGTH, ActualState
from reporting.services import Entry
from spreadsheets.actuals import kind_mismatch
from spreadsheets.cells import Cell, CellError, parse_actual

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from indicators.models import Actual, Indicator, Outlook
    from reporting.entry_page import EntryRow

LABELS = {
    "value": "実績値",  # 見込み値 in an outlook round
    "reason": "評価対象外の理由",
    "progress": "取組状況",
    "analysis": "要因分析",
    "direction": "今後の方向性",
}
TEXTS = ("reason", "progress", "analysis", "direction")
# What a milestone KGI's select offers, by the text the parser reads.
MILESTONE_CHOICES = (wording.DONE, wording.NOT_DONE, wording.DASH)
# A typed value longer than this is no number anyone meant; the parser's
# message quotes its start.
VALUE_MAX_LENGTH = 100
STALE_PAGE = (
    "ページの情報が古いか欠けているため保存できません。ページを開き直してから、"
    "もう一度入力してください。"
)
REASON_NEEDED = "評価対象外（「－」）とする理由を入力してください。"
CANNOT_CLEAR = (
    "入力済みの{value_word}は空欄にできません。計測しない場合は「－」と理由を入力してください。"
)


@dataclass
class TypedEntry:
    """One KGI's fields as the page shows them: stored, or as typed; and their errors."""

    value: str = ""
    reason: str = ""
    progress: str = ""
    analysis: str = ""
    direction: str = ""
    seen: str = ""
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Block:
    """What the template draws for one KGI: the row and its fields."""

    row: EntryRow
    fields: TypedEntry

    @property
    def choices(self) -> list[tuple[str, str]]:
        """Return a milestone's options as (value, label): 完了 (as the KGI says it) and 未完了."""
        done = self.row.indicator.done_label or wording.DONE
        labels = {wording.DONE: done, wording.NOT_DONE: wording.NOT_DONE,
                  wording.DASH: "－（評価対象外）"}
        return [(choice, labels[choice]) for choice in MILESTONE_CHOICES]

    @property
    def unlisted(self) -> bool:
        """Whether a milestone's typed value is none of its options (kept as typed)."""
        value = self.fields.value
        return self.row.milestone and bool(value) and value not in MILESTONE_CHOICES


@dataclass
class ParsedPage:
    """The POST read: the entries to save when ``valid``, and what to show again."""

    typed: dict[int, TypedEntry]
    entries: list[Entry]
    version: int | None
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems and not any(typed.errors for typed in self.typed.values())


def stored_entry(stored: Actual | Outlook | None) -> TypedEntry:
    """Return the fields of a stored value, as staff type it (45.0, 「－」, 完了)."""
    if stored is None:
        return TypedEntry()
    return TypedEntry(
        value=wording.entry_text(stored.state, stored.value, stored.value_places),
        reason=stored.not_measured_reason,
        progress=stored.progress,
        analysis=stored.analysis,
        direction=stored.direction,
        seen=str(stored.version),
    )


def blocks(rows: Iterable[EntryRow], typed: Mapping[int, TypedEntry] | None = None) -> list[Block]:
    """Pair each row with its fields: as typed where given, else as stored."""
    typed = typed or {}
    return [
        Block(row=row, fields=typed.get(row.indicator.pk) or stored_entry(row.stored))
        for row in rows
    ]


def as_text(raw: str) -> str:
    """Return a textarea's text with a browser's CRLF line ends as the LF stored."""
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def optional_version(raw: str) -> tuple[int | None, bool]:
    """Return a hidden version field as a number (None when empty) and whether it read."""
    raw = raw.strip()
    if not raw:
        return None, True
    if raw.isascii() and raw.isdigit() and len(raw) <= 10:
        return int(raw), True
    return None, False


def entries_from_post(
    data: Mapping[str, str], indicators: Sequence[Indicator], *, value_word: str = "実績値"
) -> ParsedPage:
    """Read the page's POST for ``indicators`` (the KGIs the page shows).

    A KGI whose fields are absent from the POST (a page opened before it
    was assigned) is left alone; fields of other KGIs are ignored.
    ``value_word`` names the value in messages (実績値, 見込み値).
    """
    version, version_ok = optional_version(data.get("version", ""))
    parsed = ParsedPage(typed={}, entries=[], version=version)
    if version is None or not version_ok:
        parsed.problems.append(STALE_PAGE)
    for indicator in indicators:
        if f"value-{indicator.pk}" not in data:
            continue
        typed, entry = read_entry(data, indicator, value_word=value_word)
        parsed.typed[indicator.pk] = typed
        if entry is None and not typed.errors:
            parsed.problems.append(STALE_PAGE)
        elif entry is not None:
            parsed.entries.append(entry)
    if parsed.problems:
        parsed.problems = list(dict.fromkeys(parsed.problems))
    return parsed


def read_entry(
    data: Mapping[str, str], indicator: Indicator, *, value_word: str = "実績値"
) -> tuple[TypedEntry, Entry | None]:
    """Read one KGI's fields: what was typed, and its entry (None on any error)."""
    pk = indicator.pk
    typed = TypedEntry(
        value=data.get(f"value-{pk}", ""),
        **{name: as_text(data.get(f"{name}-{pk}", "")) for name in TEXTS},
        seen=data.get(f"seen-{pk}", "").strip(),
    )
    errors = typed.errors
    seen, seen_ok = optional_version(typed.seen)
    parsed = None
    if len(typed.value) > VALUE_MAX_LENGTH:
        errors["value"] = f"{VALUE_MAX_LENGTH}文字以内で入力してください。"
    else:
        try:
            # 「205名」 for a KGI counted in 名: its own unit may follow the number.
            parsed = parse_actual(Cell(typed.value), indicator.unit)
        except CellError as error:
            errors["value"] = str(error)
    if parsed is not None:
        mismatch = kind_mismatch(indicator, parsed)
        if mismatch:
            errors["value"] = mismatch
            parsed = None
    if parsed is None and "value" not in errors and seen is not None:
        # The service keeps a stored value left blank; say so rather than
        # let the page look as if it were cleared.
        errors["value"] = CANNOT_CLEAR.format(value_word=value_word)
    state = ActualState(parsed.state.value) if parsed is not None else None
    if state == ActualState.NOT_MEASURED and not typed.reason.strip():
        errors["reason"] = REASON_NEEDED
    for name in TEXTS:
        length = len(getattr(typed, name).strip())
        if length > COMMENT_MAX_LENGTH:
            errors[name] = (
                f"{COMMENT_MAX_LENGTH:,}文字以内で入力してください（{length:,}文字入力されています）。"
            )
    labels = {**LABELS, "value": value_word}
    for name, message in errors.items():
        errors[name] = f"{indicator.code} {labels[name]}：{message}"
    if errors or not seen_ok:
        return typed, None
    return typed, Entry(
        indicator_id=pk,
        state=state,
        value=parsed.value if parsed is not None else None,
        places=parsed.places if parsed is not None else 0,
        not_measured_reason=typed.reason,
        progress=typed.progress,
        analysis=typed.analysis,
        direction=typed.direction,
        seen=seen,
    )
