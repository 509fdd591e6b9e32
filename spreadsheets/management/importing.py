"""What the spreadsheet import commands share: all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.commands import add_user_argument, user_from_option
from spreadsheets.rows import ImportRefused


class SpreadsheetImportCommand(BaseCommand):
    """Read a file, print every bad row, and write only a clean file.

    With ``--user``, rows outside that user's scope are refused and the
    changes are recorded as theirs.
    """

    user: Any = None

    def read(self, data: bytes, filename: str) -> Any:
        """Return the file's preview; raise ImportRefused for the whole file."""
        raise NotImplementedError

    def apply(self, preview: Any) -> None:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="取り込むファイル（.xlsx または .csv）")
        parser.add_argument(
            "--dry-run", action="store_true", help="確認だけ行い、データベースは変更しない"
        )
        add_user_argument(parser, purpose="取り込みます")

    def handle(self, *args: Any, **options: Any) -> None:
        self.user = user_from_option(options["user"])
        path = Path(options["path"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"ファイルを読めません：{path}（{error.strerror}）") from None
        try:
            preview = self.read(data, path.name)
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        if preview.ok and not options["dry_run"]:
            try:
                self.apply(preview)
            except ImportRefused as error:
                # Row errors found while writing are listed below.
                if preview.ok:
                    raise CommandError(str(error)) from None
        if not preview.ok:
            for row_error in preview.errors:
                self.stderr.write(str(row_error))
            raise CommandError(
                f"{len(preview.errors)}件のエラーがあるため、何も取り込みませんでした。"
            )
        prefix = "確認のみ（変更していません）：" if options["dry_run"] else "取り込みました："
        self.stdout.write(f"{prefix}{preview.summary()}")
