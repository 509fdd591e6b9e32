"""The one describer of a change: each value as a person reads it, old → new.

A value reads from its model field (choices by their labels, はい／いいえ,
decimals as entered, Japanese dates, a related row by its name, blank as
「（空欄）」) unless the caller gives its own text; the admin's history
pages and the KGI page print changes through it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.describe import (
    BLANK,
    ChangeEntry,
    FieldChange,
    changed_lines,
    changes,
    decimal_text,
    field_names,
    fields_of,
    previous_values,
    quoted,
    record_values,
    records_with_previous,
    shown,
    shown_fields,
    user_label,
)
from indicators.models import Actual, ActualState, Indicator, Target
from plans.models import Measure
from tests.audit.helpers import ise_office, new_actual


def read(model, name, **values) -> str:
    """Return how field ``name`` of ``model`` reads with ``values``."""
    return shown(model, name).read(values.__getitem__)


# Generic values, from the field -------------------------------------------------


def test_a_field_is_labelled_with_its_own_name():
    assert shown(Actual, "value").label == "実績値"
    assert shown(Indicator, "baseline_year").label == "現状値の年度"


def test_a_choice_reads_by_its_label():
    assert read(Actual, "state", state=ActualState.NOT_MEASURED) == "評価対象外（計測なし）"
    assert read(Actual, "state", state="gone") == "gone"
    assert read(Actual, "published_evaluation", published_evaluation="") == BLANK


def test_a_yes_no_field_reads_in_japanese():
    assert read(Actual, "confirmed", confirmed=True) == "はい"
    assert read(Actual, "confirmed", confirmed=False) == "いいえ"


def test_a_decimal_reads_with_the_places_it_was_entered_with():
    assert shown(Actual, "value").fields == ("value", "value_places")
    assert read(Actual, "value", value=Decimal("45.0000"), value_places=1) == "45.0"
    assert read(Actual, "value", value=Decimal("100.0000"), value_places=0) == "100"
    assert read(Actual, "value", value=None, value_places=1) == BLANK
    # Without its places, as stored.
    assert decimal_text(Decimal("45.0000")) == "45.0000"


def test_dates_and_times_read_in_japanese():
    assert read(Target, "revised_on", revised_on=date(2026, 6, 1)) == "2026年6月1日"
    when = timezone.make_aware(datetime(2026, 11, 22, 14, 5))
    assert read(Actual, "confirmed_at", confirmed_at=when) == "2026年11月22日 14:05"
    assert read(Actual, "confirmed_at", confirmed_at=None) == BLANK


def test_text_and_numbers_read_as_they_are_and_blank_says_so():
    assert read(Actual, "note", note="再集計") == "再集計"
    assert read(Actual, "note", note="") == BLANK
    assert read(Target, "fiscal_year", fiscal_year=2026) == "2026"


@pytest.mark.django_db
def test_a_related_row_reads_by_its_name_or_says_it_was_deleted(plans):
    measure = Measure.objects.first()
    assert shown(Indicator, "measure").fields == ("measure_id",)
    assert read(Indicator, "measure", measure_id=measure.pk) == str(measure)
    assert read(Indicator, "initiative", initiative_id=None) == BLANK
    assert read(Indicator, "measure", measure_id=999_999) == "（削除済み：ID 999999）"


# Overrides ------------------------------------------------------------------------


def test_a_callers_text_reads_the_same_fields_unless_told_others():
    with_unit = shown(Indicator, "baseline", lambda value, places: f"{value:.{places}f}時間")
    assert with_unit.fields == ("baseline", "baseline_places")
    assert with_unit.read({"baseline": Decimal("5639.8000"), "baseline_places": 1}.get) \
        == "5639.8時間"
    state_and_value = shown(
        Actual, "value", lambda state, value, places: state,
        fields=("state", "value", "value_places"),
    )
    assert (state_and_value.label, state_and_value.fields) == (
        "実績値", ("state", "value", "value_places")
    )


def test_shown_fields_takes_texts_for_some_and_the_fields_own_for_the_rest():
    items = shown_fields(Actual, ("note", "state"), {"note": quoted})
    values = {"note": "  長い\n備考 ", "state": ActualState.DONE}.get
    assert [item.read(values) for item in items] == ["「長い 備考」", "完了"]


def test_quoted_keeps_a_text_on_one_line_and_short():
    assert quoted("国の目標に\n合わせる") == "「国の目標に 合わせる」"
    assert quoted("あ" * 31) == "「" + "あ" * 30 + "…」"
    assert quoted(" ") == BLANK


# Old → new --------------------------------------------------------------------------


def test_changes_lists_what_reads_differently_old_to_new():
    items = shown_fields(Actual, ("value", "note", "state"))
    old = {"value": Decimal("40.0000"), "value_places": 1, "note": "", "state": "measured"}
    new = dict(old, value=Decimal("42.5000"), value_places=1, note="再集計")
    found = changes(items, old.get, new.get)
    assert found == [
        FieldChange("実績値", "40.0", "42.5"), FieldChange("備考", BLANK, "再集計"),
    ]
    assert [str(item) for item in found] == ["実績値：40.0 → 42.5", "備考：（空欄） → 再集計"]
    # The same value entered with more places reads differently.
    assert changes(items, old.get, dict(old, value_places=2).get) == [
        FieldChange("実績値", "40.0", "40.00")
    ]


def test_changed_lines_reads_a_record_against_its_previous_values():
    record = SimpleNamespace(note="新", previous_note="旧", state="done", previous_state="done")
    items = shown_fields(Actual, ("note", "state"))
    assert changed_lines(record, items) == ["備考：旧 → 新"]
    assert record_values(record)("note") == "新"
    assert previous_values(record)("note") == "旧"
    assert fields_of(items, "confirmed") == ["note", "state", "confirmed"]


def test_a_values_places_count_as_the_value():
    assert field_names(Actual, ["value_places", "note", "value"]) == ["value", "note"]
    assert field_names(Actual, ["original_value_places"]) == ["original_value_places"]


# Reading the history ----------------------------------------------------------------


@pytest.mark.django_db
def test_records_with_previous_puts_each_records_previous_values_beside_it(plans):
    actual = new_actual(value="40.0")
    for value in ("41.0", "42.0"):
        actual.value = Decimal(value)
        actual.save()
    with CaptureQueriesContext(connection) as queries:
        records = records_with_previous(
            Actual.history.model, fields=["value"], limit=2, id=actual.pk
        )
    assert len(queries.captured_queries) == 1
    assert [(r.previous_value, r.value) for r in records] == [
        (Decimal("41.0"), Decimal("42.0")), (Decimal("40.0"), Decimal("41.0")),
    ]
    first = records_with_previous(Actual.history.model, fields=["value"], limit=3,
                                  id=actual.pk)[-1]
    assert (first.history_type, first.previous_history_id, first.previous_value) == (
        "+", None, None
    )


@pytest.mark.django_db
def test_who_made_a_change_and_when(plans):
    user = ise_office(full_name="伊勢 花子")
    assert user_label(user) == "伊勢 花子"
    user.first_name = ""
    assert user_label(user) == user.get_username()
    assert user_label(None) == "システム"

    record = SimpleNamespace(
        history_date=timezone.make_aware(datetime(2026, 11, 22, 14, 5)),
        history_user=None, history_change_reason=None,
    )
    entry = ChangeEntry.of(record, ["備考：旧 → 新"])
    assert (entry.who, entry.changes, entry.reason) == ("システム", ("備考：旧 → 新",), "")
    assert entry.when_label == "令和8年11月22日 14:05"
