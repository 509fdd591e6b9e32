"""django-import-export resources: the admin's upload → preview → confirm.

The resources are adapters. Reading, checking and writing a file are
done by :mod:`spreadsheets.actuals`, :mod:`spreadsheets.targets`,
:mod:`spreadsheets.writer` (and :mod:`spreadsheets.definitions`),
exactly as for the ``import_actuals`` command, so both refuse the same
rows with the same Japanese messages and Excel row numbers, and write the
same rows and history rows in bulk.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import tablib
from django.core.cache import cache
from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.results import RowResult
from import_export.tmp_storages import CacheStorage

from indicators import wording
from indicators.models import Actual, Indicator, Target
from spreadsheets.actuals import note_column, preview_actuals
from spreadsheets.definitions import apply_definitions, definition_columns, preview_definitions
from spreadsheets.rows import (
    COLUMN_LABELS,
    REFUSED,
    ImportRefused,
    SheetImport,
    column_indexes,
    max_rows,
    max_upload_bytes,
    moved_rows,
    read_upload,
    target_column_indexes,
)
from spreadsheets.targets import preview_targets
from spreadsheets.writer import apply_actuals, apply_targets
from spreadsheets.xlsx import looks_like_formula

if TYPE_CHECKING:
    from import_export.results import Result

    from spreadsheets.reading import Sheet

ROW_COLUMN = "行"


def kept_sheet_key(data: bytes) -> str:
    """The cache key of the sheet read from ``data`` (within today's limits)."""
    digest = hashlib.sha256(data).hexdigest()
    return f"spreadsheets:sheet:{max_upload_bytes()}:{max_rows()}:{digest}"


def read_upload_kept(data: bytes) -> Sheet:
    """Read an upload, or return the sheet its preview step read already.

    The admin reads a file at the preview step and again, from its kept
    copy, at the confirm step. The sheet as read (cells only: no check,
    no database value) is kept in the cache beside the file, under the
    file's SHA-256, for as long as django-import-export keeps the file:
    the same bytes read the same, so the confirm step skips the second
    read while every check runs again (docs/performance.md). Only this
    server writes that cache entry, as it does every other. The format
    cannot see the file name: any non-Excel upload is tried as CSV, and a
    binary file is refused by the reader.
    """
    key = kept_sheet_key(data)
    packed = cache.get(key)
    if packed is not None:
        return pickle.loads(zlib.decompress(packed))
    sheet = read_upload(data, "upload.csv")
    # Compressed, the sheet of 10,000 rows is a tenth of its pickle.
    packed = zlib.compress(pickle.dumps(sheet, pickle.HIGHEST_PROTOCOL), 1)
    cache.set(key, packed, timeout=CacheStorage.CACHE_LIFETIME)
    return sheet


def forget_kept_sheet(data: bytes) -> None:
    """Drop the sheet kept for ``data`` once its import is confirmed."""
    cache.delete(kept_sheet_key(data))


class SpreadsheetFormat(base_formats.Format):
    """An .xlsx or .csv upload, recognised by its content.

    The dataset carries the parsed sheet itself (cells with their percent
    format and formula flags), which plain tablib rows would lose. A file
    without the required columns is refused here, as a form error.
    """

    check_columns = staticmethod(column_indexes)

    def __init__(self, encoding: str | None = None) -> None:
        # django-import-export passes its text encoding; the reader detects
        # UTF-8 or CP932 itself.
        self.encoding = encoding

    def get_title(self) -> str:
        return "Excel（.xlsx）または CSV（UTF-8／Shift_JIS）"

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        sheet = read_upload_kept(bytes(in_stream))
        self.check_columns(sheet.headers)
        dataset = tablib.Dataset(headers=[ROW_COLUMN])
        for row in sheet.rows:
            dataset.append([row.number])
        dataset.kpi_sheet = sheet
        return dataset

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def get_extension(self) -> str:
        return "xlsx"

    def can_import(self) -> bool:
        return True

    def can_export(self) -> bool:
        return False


class ActualSpreadsheetFormat(SpreadsheetFormat):
    """An actuals file: 指標コード, 年度, 実績値 (and 備考, 取組状況, 要因分析, 今後の方向性)."""


class TargetSpreadsheetFormat(SpreadsheetFormat):
    """A targets file: 指標コード, 年度, 目標値."""

    check_columns = staticmethod(target_column_indexes)


class FormulaSafeExport:
    """Export text that a spreadsheet could run as a formula as plain text.

    django-import-export's own escaping only drops a leading "="; an
    apostrophe, as OWASP suggests, keeps the text and covers + - @ too.
    """

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> Any:
        safe = tablib.Dataset(headers=dataset.headers)
        for row in dataset:
            safe.append([
                f"'{value}" if isinstance(value, str) and looks_like_formula(value) else value
                for value in row
            ])
        return super().export_data(safe, **kwargs)


class SafeXLSX(FormulaSafeExport, base_formats.XLSX):
    pass


class SafeCSV(FormulaSafeExport, base_formats.CSV):
    pass


EXPORT_FORMATS = [SafeXLSX, SafeCSV]


class CheckedRowsResource(resources.ModelResource):
    """A file checked and written as the command does (:mod:`spreadsheets.writer`).

    ``before_import`` runs the file's preview (the same code as the
    command); a row with errors becomes an invalid row carrying them, so
    django-import-export refuses the whole file. On confirmation (not the
    dry run of the preview step) ``apply_function``, the command's writer,
    writes the whole clean file with its history rows, inside
    django-import-export's transaction. django-import-export itself sees
    only the rows in error: none is loaded, compared or saved by it, so
    neither step makes a query per row.
    """

    preview_function: Any = None
    apply_function: Any = None

    class Meta:
        # Options shared by the subclasses (django-import-export merges them).
        import_id_fields = ("indicator", "fiscal_year")
        report_skipped = True
        use_transactions = True
        # No row is saved by django-import-export; "bulk" spares each row
        # the savepoint it would otherwise open (its bulk lists stay empty).
        use_bulk = True

    # The columns django-import-export looks rows up by (import_id_fields).
    key_columns = (COLUMN_LABELS["code"], COLUMN_LABELS["fiscal_year"])

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.preview: SheetImport | None = None
        self.row_errors: dict[int, dict[str, list[str]]] = {}

    # The Excel row number is the import's bookkeeping, not a column to
    # offer: exports and the import page's list of columns leave it out.
    def get_export_fields(self, selected_fields: Any = None) -> list[fields.Field]:
        return [
            field for field in super().get_export_fields(selected_fields)
            if field.column_name != ROW_COLUMN
        ]

    def get_user_visible_fields(self) -> list[fields.Field]:
        return [
            field for field in super().get_user_visible_fields()
            if field.column_name != ROW_COLUMN
        ]

    def get_export_queryset(self, request: Any = None) -> Any:
        return super().get_export_queryset(request).select_related("indicator")

    def import_data_inner(self, dataset: tablib.Dataset, dry_run: bool, *args: Any,
                          **kwargs: Any) -> Result:
        self.dry_run = dry_run
        return super().import_data_inner(dataset, dry_run, *args, **kwargs)

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        # The admin passes the signed-in user: rows outside their scope are refused.
        preview = type(self).preview_function(
            sheet=dataset.kpi_sheet, filename=kwargs.get("file_name") or "",
            user=kwargs.get("user"),
        )
        self.preview = preview
        for error in preview.errors:
            self.row_errors.setdefault(error.row, defaultdict(list))[error.column].append(
                error.reason
            )
        # Only the rows in error go on, by their Excel row number: each
        # becomes an invalid row, so django-import-export refuses the file.
        # A clean row needs nothing from it (apply_function writes the file
        # whole), and its per-row loop over 10,000 clean rows was a
        # measurable share of each step (docs/performance.md).
        numbers = [sheet_row.number for sheet_row in dataset.kpi_sheet.rows
                   if sheet_row.number in self.row_errors]
        dataset.wipe()
        dataset.headers = [ROW_COLUMN, *self.key_columns]
        dataset.extend([number, *[None] * len(self.key_columns)] for number in numbers)
        seen = kwargs.get("kpi_seen")
        if not self.dry_run and preview.ok and seen is not None:
            # What the user confirmed is what the preview step showed them:
            # a row changed since refuses the file (audit.versions).
            moved = moved_rows(self._meta.model, seen, preview.seen())
            if moved:
                raise ImportRefused(moved)
        if not self.dry_run and preview.ok:
            # The same writes and history rows as the command: the user and
            # the file's name give 「ファイル取込：<file>」. ImportRefused (a
            # row the models refuse, a clash with another writer) becomes
            # django-import-export's error, and nothing is kept.
            type(self).apply_function(preview, user=kwargs.get("user"))

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        errors = self.row_errors.get(row[ROW_COLUMN])
        if errors:
            raise ValidationError(dict(errors))

    def import_row(self, row: dict[str, Any], instance_loader: Any, **kwargs: Any) -> RowResult:
        """Report a row: invalid with its errors, or skipped (written by the file's writer)."""
        row_result = self.get_row_result_class()()
        try:
            self.before_import_row(row, **kwargs)
        except ValidationError as error:
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = error
        else:
            row_result.import_type = RowResult.IMPORT_TYPE_SKIP
        return row_result

    def after_import(self, dataset: tablib.Dataset, result: Result, **kwargs: Any) -> None:
        # The admin shows this preview: Excel row numbers, old → new.
        result.kpi_preview = self.preview
        rows = set(dataset[ROW_COLUMN]) if self.preview.errors else set()
        if any(error.row not in rows for error in self.preview.errors):
            # An error of no data row (a heading) must still stop the import.
            result.append_base_error(
                self.get_error_result_class()(ImportRefused(REFUSED))
            )


def indicator_field() -> fields.Field:
    return fields.Field(
        attribute="indicator", column_name=COLUMN_LABELS["code"],
        widget=widgets.ForeignKeyWidget(Indicator, field="code"),
    )


def fiscal_year_field() -> fields.Field:
    return fields.Field(
        attribute="fiscal_year", column_name=COLUMN_LABELS["fiscal_year"],
        widget=widgets.IntegerWidget(),
    )


class ActualResource(CheckedRowsResource):
    """Actuals by 指標コード and 年度; the same columns in and out."""

    preview_function = staticmethod(preview_actuals)
    apply_function = staticmethod(apply_actuals)

    row_number = fields.Field(column_name=ROW_COLUMN, readonly=True)
    indicator = indicator_field()
    fiscal_year = fiscal_year_field()
    value = fields.Field(column_name=COLUMN_LABELS["actual"], readonly=True)
    note = fields.Field(attribute="note", column_name=COLUMN_LABELS["note"], readonly=True)
    # The commentary, as the entry sheet carries it (and imports it back).
    progress = fields.Field(
        attribute="progress", column_name=COLUMN_LABELS["progress"], readonly=True
    )
    analysis = fields.Field(
        attribute="analysis", column_name=COLUMN_LABELS["analysis"], readonly=True
    )
    direction = fields.Field(
        attribute="direction", column_name=COLUMN_LABELS["direction"], readonly=True
    )

    class Meta:
        model = Actual
        fields = (
            "row_number", "indicator", "fiscal_year", "value", "note", "progress", "analysis",
            "direction",
        )

    def dehydrate_value(self, actual: Actual) -> str:
        return wording.entry_text(actual.state, actual.value, actual.value_places)

    def dehydrate_note(self, actual: Actual) -> str:
        # A not-measured year's reason, as the entry sheet writes it.
        return note_column(actual)


class TargetResource(CheckedRowsResource):
    """Targets by 指標コード and 年度; the same columns in and out."""

    preview_function = staticmethod(preview_targets)
    apply_function = staticmethod(apply_targets)

    row_number = fields.Field(column_name=ROW_COLUMN, readonly=True)
    indicator = indicator_field()
    fiscal_year = fiscal_year_field()
    value = fields.Field(column_name=COLUMN_LABELS["target"], readonly=True)

    class Meta:
        model = Target
        fields = ("row_number", "indicator", "fiscal_year", "value")

    def dehydrate_value(self, target: Target) -> str:
        if target.value is None:
            return wording.DONE
        return f"{target.value_as_entered:f}"


class DefinitionSpreadsheetFormat(SpreadsheetFormat):
    """A definitions file: the template of measures and KGIs."""

    check_columns = staticmethod(definition_columns)


class DefinitionResource(CheckedRowsResource):
    """Measures and KGIs with their targets, from the definitions template.

    A row touches several models (measure, initiative, KGI, targets):
    :func:`spreadsheets.definitions.apply_definitions` writes the whole file
    on confirmation, as it does for the ``import_definitions`` command.
    """

    preview_function = staticmethod(preview_definitions)
    apply_function = staticmethod(apply_definitions)
    key_columns = (COLUMN_LABELS["code"],)

    row_number = fields.Field(column_name=ROW_COLUMN, readonly=True)
    code = fields.Field(attribute="code", column_name=COLUMN_LABELS["code"])

    class Meta:
        model = Indicator
        fields = ("row_number", "code")
        import_id_fields = ("code",)

