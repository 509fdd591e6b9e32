"""Print every indicator of a plan for one fiscal year."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.commands import add_user_argument, user_from_option
from indicators.models import Kind
from indicators.selectors import plan_default_year, plan_status, rows_rollup
from indicators.serializers import status_json
from indicators.wording import counts_line
from ise_iga_dx.lib import wareki
from ise_iga_dx.lib.params import parse_year
from ise_iga_dx.lib.text import clip, pad, width
from plans.models import Plan
from plans.selectors import plans_visible_to

if TYPE_CHECKING:
    from indicators.evaluation import IndicatorYear


def year_argument(raw: str) -> int:
    """Read ``--year`` as ``?year=`` is read everywhere (lib.params.parse_year)."""
    year = parse_year(raw)
    if year is None:
        raise argparse.ArgumentTypeError(f"年度は西暦4桁の半角数字で指定してください：{raw[:20]}")
    return year


def status_table(*, plan: Plan, fiscal_year: int, rows: list[IndicatorYear]) -> str:
    """Return the document's review table as aligned plain text."""
    header = ("No.", "施策名称", "数値目標(KGI)", "実績", "評価")
    body: list[tuple[str, ...] | str] = []
    policy = None
    for row in rows:
        indicator = row.indicator
        if indicator.measure.policy_id != policy:
            policy = indicator.measure.policy_id
            body.append(f"◆ {indicator.measure.policy}")
        kgi = clip(indicator.item, 40)
        if indicator.kind != Kind.MILESTONE:
            kgi = f"{kgi}：{row.target_label}"
        body.append(
            (indicator.code, clip(indicator.measure.title, 30), kgi, row.actual_label,
             row.evaluation_label)
        )
        if row.mismatch:
            body.append(f"  ※ 公表値と相違：文書の評価は「{row.published_label}」、計算上は"
                        f"「{row.evaluation_label}」")
    cells = [header] + [line for line in body if isinstance(line, tuple)]
    sizes = [max(width(cells_row[i]) for cells_row in cells) for i in range(len(header))]

    def line(values: tuple[str, ...]) -> str:
        cells = (pad(value, size) for value, size in zip(values, sizes, strict=True))
        return " | ".join(cells).rstrip()

    lines = [
        f"{plan.name}　{wareki.fiscal_year_label(fiscal_year)}",
        line(header),
        "-+-".join("-" * size for size in sizes),
    ]
    lines += [line(item) if isinstance(item, tuple) else item for item in body]
    lines.append(counts_line(rows_rollup(rows)))
    mismatches = sum(row.mismatch for row in rows)
    if mismatches:
        lines.append(f"公表値と計算値が異なる指標：{mismatches}件")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "計画の全指標について、指定した年度の目標・実績・評価を表示します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", required=True, help="計画コード（例：ise-2）")
        parser.add_argument(
            "--year", type=year_argument,
            help="年度（西暦、例：2026）。省略すると計画の既定の年度（実績のある最新の年度）",
        )
        parser.add_argument("--format", choices=("table", "json"), default="table")
        add_user_argument(parser, purpose="表示します")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_from_option(options["user"])
        plans = Plan.objects.all() if user is None else plans_visible_to(user=user)
        try:
            plan = plans.get(code=options["plan"])
        except Plan.DoesNotExist:
            codes = "、".join(plans.values_list("code", flat=True)) or "なし"
            raise CommandError(
                f"計画コード「{options['plan']}」はありません（登録済み：{codes}）。"
            ) from None
        year = options["year"]
        if year is None:
            year = plan_default_year(plan=plan)
        if year not in plan.fiscal_years:
            raise CommandError(
                f"{year}年度は{plan.name}の計画期間（{plan.start_year}〜{plan.end_year}年度）"
                "の外です。"
            )
        rows = plan_status(plan=plan, fiscal_year=year)
        render = status_json if options["format"] == "json" else status_table
        self.stdout.write(render(plan=plan, fiscal_year=year, rows=rows))
