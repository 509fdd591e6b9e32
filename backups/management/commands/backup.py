"""Back the whole database up into one new file (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from backups import services

if TYPE_CHECKING:
    from django.core.management.base import CommandParser


class Command(BaseCommand):
    help = (
        "データベース全体を1つのファイルにバックアップします（PostgreSQL は pg_dump の"
        "カスタム形式、SQLite は SQLite のバックアップ機能）。復元は manage.py restore。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="書き出すファイル（既にあるファイルには上書きしません。権限は 600）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]).absolute()
        try:
            written = services.backup(path, connection=connections[DEFAULT_DB_ALIAS])
        except services.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"バックアップを書き出しました：{written.path}（{services.LABELS[written.kind]}、"
            f"{services.FORMATS[written.kind]}、{written.size:,}バイト）"
        )
