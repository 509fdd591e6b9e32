"""Import measures and KGIs with their targets from the definitions template."""

from __future__ import annotations

from spreadsheets.definitions import DefinitionImport, apply_definitions, read_definitions
from spreadsheets.management.importing import SpreadsheetImportCommand


class Command(SpreadsheetImportCommand):
    help = (
        "施策と指標（KGI）・目標値を、定義用テンプレート（.xlsx/.csv）から取り込みます。"
        "1行でもエラーがあれば何も取り込みません。"
    )

    def read(self, data: bytes, filename: str) -> DefinitionImport:
        return read_definitions(data, filename, user=self.user)

    def apply(self, preview: DefinitionImport) -> None:
        apply_definitions(preview, user=self.user)
