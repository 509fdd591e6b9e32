"""The meeting paper's words (indicators.wording): 「（未記入）」 and the 備考, without the database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.models import Actual, ActualState
from indicators.wording import (
    UNWRITTEN,
    commentary,
    not_measured_reason,
    note_marks,
    remarks_text,
    written,
)

NOTES = "※1 R8.3月末時点で、保有率は81.2%となります。"


def measured(**fields: object) -> Actual:
    return Actual(fiscal_year=2026, value=Decimal(1), **fields)


def not_measured(reason: str = "調査を休止", **fields: object) -> Actual:
    return Actual(fiscal_year=2026, state=ActualState.NOT_MEASURED, not_measured_reason=reason,
                  **fields)


@pytest.mark.parametrize(("text", "printed"), [
    ("DX研修を実施した。", "DX研修を実施した。"),
    ("  前後の空白\n", "前後の空白"),
    ("", UNWRITTEN),
    ("　 \n", UNWRITTEN),
    (None, UNWRITTEN),
])
def test_written_never_prints_a_blank(text, printed):
    assert written(text) == printed


def test_commentary_is_the_three_comments_in_order():
    actual = measured(progress="実施した", analysis="", direction="拡充する")
    assert commentary(actual) == [
        ("取組状況", "実施した"), ("要因分析", UNWRITTEN), ("今後の方向性", "拡充する"),
    ]
    assert commentary(None) == [
        ("取組状況", UNWRITTEN), ("要因分析", UNWRITTEN), ("今後の方向性", UNWRITTEN),
    ]


def test_not_measured_reason_only_for_a_not_measured_year():
    assert not_measured_reason(not_measured()) == "調査を休止"
    assert not_measured_reason(not_measured(reason=" ")) == UNWRITTEN
    # A reason left behind on a year measured again is not that year's.
    assert not_measured_reason(measured(not_measured_reason="調査を休止")) is None
    assert not_measured_reason(None) is None


@pytest.mark.parametrize(("texts", "marks"), [
    (("(※1)", NOTES), ["※1"]),
    (("", "※2 UI(…)"), ["※2"]),
    (("", "※ RPA(…)"), ["※"]),
    (("(※１)", "※１ 全角の番号\n※2 二つ目"), ["※１", "※2"]),
    (("【完了】", "《参考：R8.4.1時点の対象者数370人》"), []),
])
def test_note_marks(texts, marks):
    assert note_marks(*texts) == marks


def test_remarks_say_not_measured_with_the_reason():
    assert remarks_text(actual=not_measured()) == "評価対象外：調査を休止"
    assert remarks_text(actual=not_measured(), with_reason=False) == ""


def test_remarks_join_flags_reason_note_and_notes_in_order():
    actual = not_measured(note="委託先の集計が遅れた", remark="(※1)")
    assert remarks_text(actual=actual, notes=NOTES, flags=["速報（未確定の実績値）", ""]) == (
        f"速報（未確定の実績値）／評価対象外：調査を休止／委託先の集計が遅れた／{NOTES}"
    )


def test_remarks_name_the_marks_of_notes_printed_below():
    actual = measured(remark="(※1)")
    assert remarks_text(actual=actual, notes=NOTES, notes_below=True) == "※1：表の下の注記を参照"
    assert remarks_text(actual=None, notes="《参考》対象者数", notes_below=True) == "表の下の注記を参照"


def test_remarks_are_empty_when_there_is_nothing_to_say():
    assert remarks_text(actual=measured(remark="【完了】")) == ""
    assert remarks_text(actual=None) == ""
    assert remarks_text(actual=measured(note="  ")) == ""
