"""Print every indicator of a plan for one fiscal year."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.commands import add_user_argument, user_from_option
from indicators import achievement
from indicators.models import Kind
from indicators.selectors import plan_status, rows_rollup
from indicators.serializers import status_json
from indicators.wording import counts_line
from plans.models import Plan
from plans.selectors import plans_visible_to

if TYPE_CHECKING:
    from indicators.selectors import IndicatorYear


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if width(text) <= limit:
        return text
    while width(text) > limit - 1:
        text = text[:-1]
    return text + "…"


def pad(text: str, size: int) -> str:
    return text + " " * (size - width(text))


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
        return " | ".join(pad(value, size) for value, size in zip(values, sizes)).rstrip()

    lines = [
        f"{plan.name}　{achievement.fiscal_year_label(fiscal_year)}",
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
        parser.add_argument("--year", required=True, type=int, help="年度（西暦、例：2026）")
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
        if year not in plan.fiscal_years:
            raise CommandError(
                f"{year}年度は{plan.name}の計画期間（{plan.start_year}〜{plan.end_year}年度）"
                "の外です。"
            )
        rows = plan_status(plan=plan, fiscal_year=year)
        render = status_json if options["format"] == "json" else status_table
        self.stdout.write(render(plan=plan, fiscal_year=year, rows=rows))
