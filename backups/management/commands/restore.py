"""Restore a backup into an empty database (docs/operations.md)."""

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
        "manage.py backup で作ったファイルを、DATABASE_URL が指す空のデータベース"
        "（作ったばかりで、表が1つもないもの）に復元します。表のあるデータベースには復元しません。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="manage.py backup で作ったバックアップファイル")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]).absolute()
        connection = connections[DEFAULT_DB_ALIAS]
        try:
            services.restore(path, connection=connection)
        except services.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"復元しました：{path} → {services.database_label(connection)}\n"
            "続けて manage.py migrate --check で未適用のマイグレーションがないことを"
            "確かめてから、アプリを起動してください。"
        )
