"""Remove every synthetic municipality and everything under it."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demo.synthetic import PREFIX, SyntheticDataError, synthetic_remove


class Command(BaseCommand):
    help = (
        f"generate_synthetic が作った合成データ（自治体コード「{PREFIX}」で始まる自治体と、"
        "その計画・指標・目標値・実績値・変更履歴）をすべて削除します。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            removed = synthetic_remove(progress=self.stdout.write)
        except SyntheticDataError as error:
            raise CommandError(str(error)) from error
        summary = "、".join(f"{label} {count:,} 件" for label, count in removed.items())
        self.stdout.write(
            f"合成データを削除しました（{time.perf_counter() - started:.1f} 秒）：{summary}"
        )
