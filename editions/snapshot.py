"""What an edition keeps: every figure, text and evaluation of a plan-year, as printed.

:func:`build` reads the plan's structure and KGIs, evaluates each KGI for
every year it holds (the engine, :mod:`indicators.evaluation`) and keeps
the words the pages print (:mod:`indicators.wording`), not the model rows:
an edition shows what was presented, whatever the data or the rules say
later. The frozen pages are rendered separately (:mod:`editions.rendering`);
this dict feeds the public pages, the open data and the changes between
editions (:mod:`editions.changes`).

Years after the edition's year keep their targets but no actual, outlook
or comment: the edition says what was known of its own year.

Format (``FORMAT``): a dict of plain JSON values::

    {"format": 1, "municipality": {...}, "plan": {...}, "fiscal_year": 2025,
     "counts": {...}, "policies": [{... "measures": [{... "kgis": [code, ...]}]}],
     "kgis": [{"code": ..., "years": [{"fiscal_year": ..., ...}, ...]}, ...]}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch

from indicators import achievement, wording
from indicators.continuations import LINKS, plan_label
from indicators.evaluation import indicator_year, near_threshold
from indicators.models import Actual, Indicator, Kind, Outlook, Target
from indicators.selectors import DOCUMENT_ORDER, indicators_for_rows
from ise_iga_dx.lib import wareki
from pages.display import policy_heading
from plans.models import Department, Measure

if TYPE_CHECKING:
    from collections.abc import Iterable
    from decimal import Decimal

    from indicators.evaluation import IndicatorYear
    from indicators.models import Continuation
    from plans.models import Plan

FORMAT = 1
# The 達成率 of each kind, in words (docs/achievement-rules.md, 「Indicator kinds」).
RATE_FORMULAS: dict[str, str] = {
    Kind.INCREASE: "達成率＝実績値÷目標値×100",
    Kind.DECREASE: (
        "達成率＝目標値÷実績値×100（目標値が0のときは、実績値が0以下で達成、達成率なし）"
    ),
    Kind.REDUCTION: (
        "削減率＝（基準値－実績値）÷基準値×100、達成率＝削減率÷目標の削減率×100"
    ),
    Kind.MILESTONE: "完了したかどうかで評価（達成率なし）",
}


def number(value: Decimal | None) -> str | None:
    """Return a stored number as plain text (「1050000」, 「83.4」), or None."""
    return None if value is None else format(value, "f")


def counts_data(counts: achievement.Counts) -> dict[str, Any]:
    return {
        "achieved": counts.achieved, "not_achieved": counts.not_achieved,
        "pending": counts.pending, "not_measured": counts.not_measured,
        "not_due": counts.not_due, "total": counts.total,
        "line": wording.counts_line(counts),
    }


def counts_of(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Return the counts of the years ``rows`` (year_data dicts) within the plan period."""
    return counts_data(achievement.rollup(
        achievement.Evaluation(row["evaluation"]) for row in rows if row["in_period"]
    ))


def year_data(row: IndicatorYear) -> dict[str, Any]:
    """Return one KGI-year as the pages print it, with its stored value and state."""
    reported = row.reported
    status = achievement.status_of(row.result, threshold=near_threshold())
    return {
        "fiscal_year": row.fiscal_year,
        "label": wareki.fiscal_year_label(row.fiscal_year),
        "in_period": row.in_period,
        "target": number(row.target.value) if row.target is not None else None,
        "target_label": row.target_label,
        "actual": number(row.actual.value) if row.actual is not None else None,
        "actual_label": row.actual_label,
        "state": row.actual.state if row.actual is not None else "",
        # 確定 (confirmed) or 速報: only a confirmed actual is ever published.
        "confirmed": bool(row.actual is not None and row.actual.confirmed),
        # The row shows an outlook (見込み), never published.
        "outlook": row.shows_outlook,
        "evaluation_label": row.evaluation_label,
        "evaluation": row.result.evaluation.value,
        "status": status.value,
        "status_label": wording.STATUS_LABELS[status],
        "status_symbol": wording.STATUS_SYMBOLS[status],
        "rate": row.shown_rate,
        "commentary": [[heading, text] for heading, text in wording.commentary(reported)]
        if reported is not None else [],
        "not_measured_reason": wording.not_measured_reason(reported) or "",
        "remarks": wording.remarks_text(actual=reported, notes="", with_reason=False)
        if reported is not None else "",
        "revision": (
            f"{row.revision_label}：当初目標値 {row.original_target_label} → 変更後 "
            f"{row.target_label}（{row.revised_on_label}決定）理由：{row.revision_reason}"
        ) if row.target_revised else "",
        "published_label": row.published_label if row.mismatch else "",
    }


def link_data(link: Continuation, other: Indicator) -> dict[str, str]:
    return {
        "code": other.code, "plan": other.plan.code, "plan_label": plan_label(other.plan),
        "item": other.item, "reason": link.reason,
    }


def kgi_data(indicator: Indicator, *, fiscal_year: int, departments: list[str]) -> dict[str, Any]:
    targets = {row.fiscal_year: row for row in indicator.targets.all()}
    actuals = {row.fiscal_year: row for row in indicator.actuals.all()}
    outlooks = {row.fiscal_year: row for row in indicator.outlooks.all()}
    years = sorted(set(indicator.plan.fiscal_years) | set(targets) | set(actuals))
    rows = [
        indicator_year(
            indicator=indicator, fiscal_year=year, target=targets.get(year),
            actual=actuals.get(year) if year <= fiscal_year else None,
            outlook=outlooks.get(year) if year <= fiscal_year else None,
            due_year=indicator.due_year,
        )
        for year in years
    ]
    continues = getattr(indicator, "continues", None)
    continued = getattr(indicator, "continuation", None)
    kind = Kind(indicator.kind)
    return {
        "code": indicator.code,
        "number": indicator.position,
        "item": indicator.item,
        "short_name": indicator.short_name,
        "unit": indicator.unit,
        "kind": kind.value,
        "kind_label": kind.label,
        "formula": RATE_FORMULAS[kind],
        "accumulation": indicator.accumulation,
        "accumulation_label": wording.ACCUMULATION_LABELS[
            achievement.Accumulation(indicator.accumulation)
        ],
        "baseline": number(indicator.baseline),
        "baseline_label": indicator.baseline_label,
        "baseline_year": indicator.baseline_year,
        "notes": indicator.notes,
        "policy": indicator.measure.policy.label,
        "measure": str(indicator.measure),
        "measure_title": indicator.measure.title,
        "initiative": indicator.initiative.title if indicator.initiative else "",
        "purpose": indicator.initiative.purpose if indicator.initiative else "",
        "departments": departments,
        "continues": link_data(continues, continues.earlier) if continues else None,
        "continued_by": link_data(continued, continued.later) if continued else None,
        "years": [year_data(row) for row in rows],
        "row": year_data(next(row for row in rows if row.fiscal_year == fiscal_year)),
    }


def plan_indicators(plan: Plan) -> list[Indicator]:
    """Return the plan's KGIs in document order, with all their rows and links: six queries."""
    return list(
        indicators_for_rows(Indicator.objects.filter(plan=plan).order_by(*DOCUMENT_ORDER))
        .select_related(*LINKS, "continues__earlier__plan", "continuation__later__plan")
        .prefetch_related(
            Prefetch("targets", queryset=Target.objects.order_by("fiscal_year")),
            Prefetch("actuals", queryset=Actual.objects.order_by("fiscal_year")),
            Prefetch("outlooks", queryset=Outlook.objects.order_by("fiscal_year")),
        )
    )


def build(*, plan: Plan, fiscal_year: int) -> dict[str, Any]:
    """Return ``plan`` in ``fiscal_year`` as :data:`FORMAT` describes (module docstring)."""
    indicators = plan_indicators(plan)
    measures = list(
        Measure.objects.filter(policy__plan=plan).select_related("policy")
        .order_by("policy__number", "number")
    )
    owners: dict[int, list[str]] = {}
    for measure_id, name in (
        Department.objects.filter(measures__in=measures)
        .order_by("measures", "name").values_list("measures", "name")
    ):
        owners.setdefault(measure_id, []).append(name)
    kgis = [
        kgi_data(
            indicator, fiscal_year=fiscal_year, departments=owners.get(indicator.measure_id, [])
        )
        for indicator in indicators
    ]
    by_measure: dict[int, list[Indicator]] = {}
    for indicator in indicators:
        by_measure.setdefault(indicator.measure_id, []).append(indicator)
    rows_by_code = {kgi["code"]: kgi for kgi in kgis}
    policies: list[dict[str, Any]] = []
    seen: dict[int, dict[str, Any]] = {}
    for measure in measures:
        policy = measure.policy
        if policy.pk not in seen:
            seen[policy.pk] = {
                "label": policy.label, "title": policy.title,
                "heading": policy_heading(policy.label, policy.title),
                "description": policy.description, "measures": [],
            }
            policies.append(seen[policy.pk])
        seen[policy.pk]["measures"].append({
            "label": measure.label, "title": measure.title, "name": str(measure),
            "description": measure.description,
            "departments": owners.get(measure.pk, []),
            "kgis": [indicator.code for indicator in by_measure.get(measure.pk, [])],
        })
    for policy_data in policies:
        policy_data["counts"] = counts_of(
            rows_by_code[code]["row"] for measure in policy_data["measures"]
            for code in measure["kgis"]
        )
    municipality = plan.municipality
    return {
        "format": FORMAT,
        "municipality": {
            "code": municipality.code, "name": municipality.name,
            "prefecture": municipality.prefecture, "lg_code": municipality.lg_code,
        },
        "plan": {
            "code": plan.code, "name": plan.name, "short_name": plan.short_name,
            "period": wording.period_label(plan),
            "start_year": plan.start_year, "end_year": plan.end_year,
        },
        "fiscal_year": fiscal_year,
        "fiscal_year_label": wareki.fiscal_year_label(fiscal_year),
        "counts": counts_of(kgi["row"] for kgi in kgis),
        "policies": policies,
        "kgis": kgis,
    }
