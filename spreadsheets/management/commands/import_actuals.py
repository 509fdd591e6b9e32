"""Import actuals (実績値) from an .xlsx or .csv file: all rows or none."""

from __future__ import annotations

from spreadsheets.actuals import ActualImport, preview_actuals
from spreadsheets.management.importing import SpreadsheetImportCommand
from spreadsheets.rows import read_upload
from spreadsheets.writer import apply_actuals


class Command(SpreadsheetImportCommand):
    help = (
        "実績値をExcel（.xlsx）またはCSVから取り込みます。列：指標コード, 年度, 実績値, 備考。"
        "1行でもエラーがあれば何も取り込みません。"
    )

    def read(self, data: bytes, filename: str) -> ActualImport:
        return preview_actuals(
            sheet=read_upload(data, filename), filename=filename, user=self.user
        )

    def apply(self, preview: ActualImport) -> None:
        apply_actuals(preview, user=self.user)
