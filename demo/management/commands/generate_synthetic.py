"""Create clearly labelled synthetic plans for scale and speed tests."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.synthetic import PREFIX, SyntheticDataError, synthetic_generate


class Command(BaseCommand):
    help = (
        f"性能試験用の合成データ（自治体コード「{PREFIX}00001」〜、計画名「【合成データ】…」）を"
        "作ります。各計画は指定年数で令和11年度に終わり、指標ごとに計画の全年度の目標値と、"
        "2 年前にずらした同じ年数の実績値（計画前の推移 2 年、計画の最後の 2 年は未入力）を"
        "持ちます。一括登録のため変更履歴は記録しません。合成データが既にあれば何もせずに"
        "止まります。削除は remove_synthetic で行います。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipalities", type=int, required=True, help="自治体数")
        parser.add_argument("--indicators", type=int, required=True, help="計画ごとの指標数")
        parser.add_argument("--years", type=int, required=True, help="計画期間の年数")
        parser.add_argument("--seed", type=int, default=0, help="乱数の種（既定 0）")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            counts = synthetic_generate(
                municipalities=options["municipalities"], indicators=options["indicators"],
                years=options["years"], seed=options["seed"], progress=self.stdout.write,
            )
        except SyntheticDataError as error:
            raise CommandError(str(error)) from error
        summary = "、".join(f"{label} {count:,} 件" for label, count in counts.items())
        self.stdout.write(
            f"合成データを作成しました（{time.perf_counter() - started:.1f} 秒）：{summary}"
        )
