"""What a citizen may see of a published edition, read from its ``data`` alone.

An edition's data (:mod:`editions.snapshot`) keeps everything the office
saw, 速報 and 見込み included. The public pages show a year's actual and
evaluation only where the actual was confirmed (確定) and is not an
outlook; every other year prints 「－」 (legend: 未公表). The three
comments show only where the office published them. Everything a public
page, chart or download prints passes through :func:`public_year`, so
the rule lives in one place.

Pure functions over plain dicts: no queries and no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from indicators import achievement, wording
from ise_iga_dx.lib import wareki

DASH = wording.DASH
UNPUBLISHED = "未公表"
UNPUBLISHED_LEGEND = (
    "「－」は、実績値・評価を公表していない年度（実績が未確定・見込み・未入力のもの、"
    "またはこの版の年度より後の年度）です。"
)
# The status words of a published year: the symbol survives greyscale printing.
STATUS_CLASSES = {
    "achieved": "achieved", "near": "near", "below": "below",
    "pending": "pending", "not_measured": "not-measured", "not_due": "not-due",
}


def decimal_of(text: str | None) -> Decimal | None:
    """Return a number the snapshot kept as text (「142.0000」), or None."""
    if text in (None, ""):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def plain_number(value: Decimal | None) -> str:
    """Return ``value`` without separators or trailing zeros: 「142」, 「83.4」, or ""."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class PublicYear:
    """One KGI-year as the public pages print it."""

    fiscal_year: int
    label: str
    short_label: str
    in_period: bool
    target: Decimal | None
    target_label: str
    published: bool
    actual: Decimal | None
    actual_label: str
    evaluation: str
    evaluation_label: str
    status: str
    status_label: str
    status_symbol: str
    rate: str
    commentary: list[tuple[str, str]] = field(default_factory=list)
    not_measured_reason: str = ""
    remarks: str = ""
    revision: str = ""

    @property
    def status_class(self) -> str:
        return STATUS_CLASSES.get(self.status, "unpublished") if self.published else "unpublished"


def is_published(row: dict[str, Any]) -> bool:
    """Whether a year's actual may be shown: confirmed (確定), and not an outlook."""
    return bool(row.get("confirmed")) and not row.get("outlook")


def public_year(row: dict[str, Any], *, with_comments: bool) -> PublicYear:
    """Return the year ``row`` (a snapshot year) as a citizen may see it."""
    published = is_published(row)
    common = {
        "fiscal_year": row["fiscal_year"],
        "label": row["label"],
        "short_label": wareki.fiscal_year_short(row["fiscal_year"]),
        "in_period": row["in_period"],
        "target": decimal_of(row.get("target")),
        "target_label": row.get("target_label") or DASH,
        "revision": row.get("revision") or "",
    }
    if not published:
        return PublicYear(
            **common, published=False, actual=None, actual_label=DASH, evaluation="unpublished",
            evaluation_label=DASH, status="unpublished", status_label=UNPUBLISHED,
            status_symbol=DASH, rate="",
        )
    return PublicYear(
        **common, published=True,
        actual=decimal_of(row.get("actual")),
        actual_label=row.get("actual_label") or DASH,
        evaluation=row.get("evaluation") or "",
        evaluation_label=row.get("evaluation_label") or DASH,
        status=row.get("status") or "",
        status_label=row.get("status_label") or "",
        status_symbol=row.get("status_symbol") or "",
        rate=row.get("rate") or "",
        commentary=[(heading, text) for heading, text in row.get("commentary") or []]
        if with_comments else [],
        not_measured_reason=row.get("not_measured_reason") or "",
        remarks=row.get("remarks") or "",
    )


# Counts ------------------------------------------------------------------


@dataclass(frozen=True)
class PublicCounts:
    """Evaluations of published years; the others are counted as 未公表."""

    achieved: int = 0
    not_achieved: int = 0
    not_measured: int = 0
    not_due: int = 0
    # Confirmed, yet not evaluable (no target or baseline in the plan).
    unevaluated: int = 0
    unpublished: int = 0

    @property
    def total(self) -> int:
        return (
            self.achieved + self.not_achieved + self.not_measured + self.not_due
            + self.unevaluated + self.unpublished
        )

    @property
    def share_label(self) -> str:
        """Return the share achieved of those evaluated: 「63.2%」, or ""."""
        share = achievement.Counts(
            achieved=self.achieved, not_achieved=self.not_achieved, pending=0,
            not_measured=0,
        ).share_achieved
        return "" if share is None else f"{wording.format_rate(share)}%"

    @property
    def items(self) -> list[tuple[str, str, int]]:
        """Return (class, label, count) for each kind shown: 期限前 and 未評価 only if any."""
        items = [
            ("achieved", "達成", self.achieved),
            ("below", "未達成", self.not_achieved),
            ("not-measured", "評価対象外", self.not_measured),
        ]
        if self.not_due:
            items.append(("not-due", "期限前", self.not_due))
        if self.unevaluated:
            items.append(("pending", "未評価", self.unevaluated))
        items.append(("unpublished", UNPUBLISHED, self.unpublished))
        return items

    @property
    def line(self) -> str:
        """Return 「達成 12 / 未達成 7 / 評価対象外 1 / 未公表 0（達成割合 63.2%）」."""
        text = " / ".join(f"{label} {count}" for _cls, label, count in self.items)
        share = self.share_label
        return f"{text}（達成割合 {share}）" if share else text


def count_years(years: list[PublicYear]) -> PublicCounts:
    """Count ``years`` (within the plan period) by what the public may see."""
    tally = dict.fromkeys(
        ("achieved", "not_achieved", "not_measured", "not_due", "unevaluated", "unpublished"), 0
    )
    for year in years:
        if not year.in_period:
            continue
        if not year.published:
            tally["unpublished"] += 1
        elif year.evaluation in ("achieved", "not_achieved", "not_measured", "not_due"):
            tally[year.evaluation] += 1
        else:
            tally["unevaluated"] += 1
    return PublicCounts(**tally)


# One plan-year -----------------------------------------------------------


@dataclass(frozen=True)
class PublicKgi:
    """One KGI of a published edition: its structure and its public years."""

    data: dict[str, Any]
    years: list[PublicYear]
    row: PublicYear
    policy_heading: str

    @property
    def code(self) -> str:
        return self.data["code"]

    @property
    def name(self) -> str:
        return self.data.get("short_name") or self.data["item"]

    @property
    def kind_word(self) -> str:
        return wording.KIND_LABELS[achievement.Kind(self.data["kind"])]

    @property
    def baseline_label(self) -> str:
        """Return the baseline as printed (from the edition; 「－」 if it kept none)."""
        label = self.data.get("baseline_label")
        if label:
            return label
        value = decimal_of(self.data.get("baseline"))
        if value is None:
            return DASH
        return wording.format_number(value, self.data.get("unit") or "")

    @property
    def baseline(self) -> Decimal | None:
        return decimal_of(self.data.get("baseline"))

    @property
    def baseline_year_label(self) -> str:
        year = self.data.get("baseline_year")
        return wareki.fiscal_year_label(year) if year else ""


@dataclass(frozen=True)
class PublicMeasure:
    name: str
    description: str
    departments: list[str]
    kgis: list[PublicKgi]


@dataclass(frozen=True)
class PublicPolicy:
    heading: str
    description: str
    measures: list[PublicMeasure]
    counts: PublicCounts


@dataclass(frozen=True)
class PublicPlanYear:
    """A published plan-year: the plan, its policies, measures and KGIs."""

    data: dict[str, Any]
    policies: list[PublicPolicy]
    kgis: dict[str, PublicKgi]
    counts: PublicCounts

    @property
    def fiscal_year(self) -> int:
        return self.data["fiscal_year"]


def public_kgi(kgi: dict[str, Any], *, policy_heading: str, with_comments: bool) -> PublicKgi:
    return PublicKgi(
        data=kgi,
        years=[public_year(row, with_comments=with_comments) for row in kgi["years"]],
        row=public_year(kgi["row"], with_comments=with_comments),
        policy_heading=policy_heading,
    )


def plan_year(data: dict[str, Any], *, with_comments: bool) -> PublicPlanYear:
    """Return an edition's data as the public plan-year page shows it."""
    headings = {policy["label"]: policy["heading"] for policy in data["policies"]}
    kgis = {
        kgi["code"]: public_kgi(
            kgi, policy_heading=headings.get(kgi.get("policy"), ""), with_comments=with_comments
        )
        for kgi in data["kgis"]
    }
    policies = []
    for policy in data["policies"]:
        measures = [
            PublicMeasure(
                name=measure["name"], description=measure.get("description", ""),
                departments=measure.get("departments", []),
                kgis=[kgis[code] for code in measure["kgis"] if code in kgis],
            )
            for measure in policy["measures"]
        ]
        policies.append(PublicPolicy(
            heading=policy["heading"], description=policy.get("description", ""),
            measures=measures,
            counts=count_years([kgi.row for measure in measures for kgi in measure.kgis]),
        ))
    return PublicPlanYear(
        data=data, policies=policies, kgis=kgis,
        counts=count_years([kgi.row for kgi in kgis.values()]),
    )


# The long view -----------------------------------------------------------


@dataclass(frozen=True)
class SeriesMember:
    """One KGI of a series, from its own published edition."""

    code: str
    plan_code: str
    plan_label: str
    name: str
    unit: str
    kind: str
    accumulation_label: str
    start_year: int
    end_year: int
    years: dict[int, PublicYear]

    @property
    def heading(self) -> str:
        return f"{self.plan_label}の指標 {self.code} {self.name}（{self.accumulation_label}）"


@dataclass(frozen=True)
class SeriesYear:
    fiscal_year: int
    row: PublicYear
    member: SeriesMember
    borrowed: bool = False
    note: str = ""


@dataclass(frozen=True)
class PublicSeries:
    """One measure across plan periods, from two published editions (oldest first)."""

    members: list[SeriesMember]
    years: list[SeriesYear]
    reason: str

    @property
    def accumulation_differs(self) -> bool:
        return len({member.accumulation_label for member in self.members}) > 1

    @property
    def range_label(self) -> str:
        first, last = self.years[0].fiscal_year, self.years[-1].fiscal_year
        return f"{wareki.fiscal_year_short(first)}〜{wareki.fiscal_year_short(last)}"


def series_member(kgi: dict[str, Any], plan: dict[str, Any]) -> SeriesMember:
    return SeriesMember(
        code=kgi["code"], plan_code=plan["code"],
        plan_label=plan.get("short_name") or plan["name"],
        name=kgi.get("short_name") or kgi["item"], unit=kgi.get("unit") or "",
        kind=kgi["kind"], accumulation_label=kgi["accumulation_label"],
        start_year=plan["start_year"], end_year=plan["end_year"],
        years={
            row["fiscal_year"]: public_year(row, with_comments=False) for row in kgi["years"]
        },
    )


def empty_year(fiscal_year: int) -> PublicYear:
    return PublicYear(
        fiscal_year=fiscal_year, label=wareki.fiscal_year_label(fiscal_year),
        short_label=wareki.fiscal_year_short(fiscal_year), in_period=False, target=None,
        target_label=DASH, published=False, actual=None, actual_label=DASH,
        evaluation="unpublished", evaluation_label=DASH, status="unpublished",
        status_label=UNPUBLISHED, status_symbol=DASH, rate="",
    )


def series_year(members: list[SeriesMember], year: int) -> SeriesYear:
    """Return the row a year shows, by the rules of :mod:`indicators.continuations`.

    The KGI whose plan period holds the year shows it; where it has no
    published value and the other KGI has, the other's row shows, noted.
    """
    holding = [m for m in members if year in m.years and m.years[year].published]
    owner = next((m for m in members if m.start_year <= year <= m.end_year), None)
    if owner is not None:
        own = owner.years.get(year) or empty_year(year)
        others = [m for m in holding if m is not owner]
        if own.published or not others:
            return SeriesYear(fiscal_year=year, row=own, member=owner)
        other = others[0]
        return SeriesYear(
            fiscal_year=year, row=other.years[year], member=other, borrowed=True,
            note=f"{owner.plan_label}（{owner.code}）にはこの年度の公表済みの実績値がないため、"
                 f"{other.plan_label}の{other.code}の値を表示しています。",
        )
    if holding:
        return SeriesYear(fiscal_year=year, row=holding[0].years[year], member=holding[0],
                          borrowed=True)
    first = members[0]
    return SeriesYear(fiscal_year=year, row=first.years.get(year) or empty_year(year),
                      member=first, borrowed=True)


def long_view(
    *, kgi: dict[str, Any], plan: dict[str, Any],
    other_kgi: dict[str, Any] | None, other_plan: dict[str, Any] | None,
) -> PublicSeries | None:
    """Return the series across ``kgi`` and its linked KGI, or None without a published one.

    ``other_kgi`` comes from the linked plan's edition in force (None if
    that plan has no publication or the edition lacks the KGI).
    """
    if other_kgi is None or other_plan is None:
        return None
    link = kgi.get("continues") or kgi.get("continued_by")
    if not link or link.get("code") != other_kgi["code"]:
        return None
    members = sorted(
        [series_member(kgi, plan), series_member(other_kgi, other_plan)],
        key=lambda member: member.start_year,
    )
    held = [y for m in members for y, row in m.years.items() if row.published]
    first = min([members[0].start_year, *held])
    last = max([members[-1].end_year, *held])
    return PublicSeries(
        members=members,
        years=[series_year(members, year) for year in range(first, last + 1)],
        reason=link.get("reason", ""),
    )


def own_series(*, kgi: dict[str, Any], plan: dict[str, Any]) -> PublicSeries:
    """Return one KGI's own years as a series (the chart of a KGI without a long view)."""
    member = series_member(kgi, plan)
    return PublicSeries(
        members=[member],
        years=[SeriesYear(fiscal_year=year, row=row, member=member)
               for year, row in sorted(member.years.items())],
        reason="",
    )
