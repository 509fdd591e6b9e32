"""KGIs (数値目標), their yearly targets (目標値) and actuals (実績値).

Numbers are stored as decimals with four places; the number of decimals
the user typed is kept beside each (``*_places``) so that 45.0% stays
45.0% on every page, as the documents print it. The achievement maths
lives in :mod:`indicators.achievement`, never here.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from audit.fields import audit_trail
from audit.versions import Versioned
from indicators import achievement, wording
from indicators.wording import outside_period_message
from ise_iga_dx.lib import wareki
from ise_iga_dx.lib.decimals import as_entered
from plans.models import Initiative, Measure, Plan

MAX_DIGITS = 19
DECIMAL_PLACES = 4
FISCAL_YEAR_VALIDATORS = [MinValueValidator(1989), MaxValueValidator(2200)]
# The longest 取組状況・要因分析・今後の方向性 a page or a sheet accepts.
COMMENT_MAX_LENGTH = 2000


class Kind(models.TextChoices):
    INCREASE = achievement.Kind.INCREASE.value, "増加型（実績が目標以上で達成）"
    DECREASE = achievement.Kind.DECREASE.value, "減少型（実績が目標以下で達成）"
    REDUCTION = achievement.Kind.REDUCTION.value, "削減率型（基準値からの削減率）"
    MILESTONE = achievement.Kind.MILESTONE.value, "完了型（完了で達成）"


class Accumulation(models.TextChoices):
    ANNUAL = achievement.Accumulation.ANNUAL.value, "単年度"
    CUMULATIVE = achievement.Accumulation.CUMULATIVE.value, "累計"
    CALENDAR = achievement.Accumulation.CALENDAR.value, "暦年"


class ActualState(models.TextChoices):
    MEASURED = achievement.ActualState.MEASURED.value, "数値"
    NOT_MEASURED = achievement.ActualState.NOT_MEASURED.value, "評価対象外（計測なし）"
    DONE = achievement.ActualState.DONE.value, "完了"
    NOT_DONE = achievement.ActualState.NOT_DONE.value, "未完了"


class PublishedEvaluation(models.TextChoices):
    ACHIEVED = achievement.Evaluation.ACHIEVED.value, "達成"
    NOT_ACHIEVED = achievement.Evaluation.NOT_ACHIEVED.value, "未達成"
    NOT_MEASURED = achievement.Evaluation.NOT_MEASURED.value, "－（評価対象外）"


def decimal_field(verbose_name: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs
    )


def places_field() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        "小数桁数", default=0, validators=[MaxValueValidator(DECIMAL_PLACES)], editable=False
    )


class IndicatorManager(models.Manager["Indicator"]):
    def get_by_natural_key(self, code: str) -> Indicator:
        return self.get(code=code)


class Indicator(Versioned):
    """A KGI (数値目標): what is measured, how, and from which baseline.

    ``kind`` says which direction counts as achievement; ``accumulation``
    says whether a year's figure stands alone (単年度), is the running total
    since the plan began (累計) or is a calendar-year figure (暦年).
    """

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="indicators", verbose_name="計画"
    )
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="indicators", verbose_name="施策"
    )
    initiative = models.ForeignKey(
        Initiative, on_delete=models.PROTECT, related_name="indicators",
        null=True, blank=True, verbose_name="取組",
    )
    code = models.CharField(
        "指標コード", max_length=32, unique=True,
        validators=[RegexValidator(
            r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$",
            "指標コードは ISE2-01 のように英大文字・数字・ハイフンで入力してください。",
        )],
    )
    position = models.PositiveSmallIntegerField("表示順", help_text="計画の文書での順番")
    item = models.TextField("項目（KGI）")
    short_name = models.CharField(
        "略称", max_length=40, blank=True,
        help_text="一覧表で項目の代わりに表示する短い名前（任意）。空欄なら項目をそのまま表示します。"
        "指標のページと印刷用ページには項目の全文を表示します。",
    )
    unit = models.CharField("単位", max_length=16, blank=True)
    kind = models.CharField("評価の型", max_length=16, choices=Kind.choices, default=Kind.INCREASE)
    accumulation = models.CharField(
        "集計方法", max_length=16, choices=Accumulation.choices, default=Accumulation.ANNUAL
    )
    baseline = decimal_field("現状値", null=True, blank=True)
    baseline_places = places_field()
    baseline_year = models.PositiveSmallIntegerField(
        "現状値の年度", null=True, blank=True, validators=FISCAL_YEAR_VALIDATORS
    )
    done_label = models.CharField(
        "完了時の表記", max_length=32, blank=True,
        help_text="完了型のみ（例：移行完了）。空欄なら「完了」",
    )
    notes = models.TextField("注記（※）", blank=True)

    objects = IndicatorManager()
    history = audit_trail("指標")

    class Meta:
        verbose_name = "指標（KGI）"
        verbose_name_plural = "指標（KGI）"
        permissions = [("import_indicator", "施策・指標の定義をファイルから取り込める")]
        ordering = ("plan", "position")
        constraints = [
            models.UniqueConstraint(fields=("plan", "position"), name="indicator_unique_position"),
            models.CheckConstraint(
                condition=Q(baseline__isnull=True) | Q(baseline__gte=0),
                name="indicator_baseline_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.REDUCTION) | Q(baseline__isnull=False, baseline__gt=0),
                name="indicator_reduction_has_baseline",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.MILESTONE) | Q(baseline__isnull=True),
                name="indicator_milestone_has_no_baseline",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="indicator_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(accumulation__in=Accumulation.values),
                name="indicator_accumulation_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.item[:40]}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    natural_key.dependencies = ["plans.plan", "plans.measure", "plans.initiative"]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.measure_id and self.plan_id and self.measure.policy.plan_id != self.plan_id:
            errors["measure"] = "この計画の施策を選んでください。"
        if self.initiative_id and self.initiative.measure_id != self.measure_id:
            errors["initiative"] = "選んだ施策の取組を選んでください。"
        if self.kind == Kind.REDUCTION and not (self.baseline and self.baseline > 0):
            errors["baseline"] = "削減率型の指標には 0 より大きい現状値が必要です。"
        if self.kind == Kind.MILESTONE and self.baseline is not None:
            errors["baseline"] = "完了型の指標には現状値を入力できません。"
        if self.baseline is not None and self.baseline < 0:
            errors["baseline"] = "現状値に負の値は入力できません。"
        if errors:
            raise ValidationError(errors)

    @property
    def baseline_as_entered(self) -> Decimal | None:
        return as_entered(self.baseline, self.baseline_places)

    @property
    def baseline_label(self) -> str:
        """Return the baseline as printed: "5,639.8時間", or 「－」."""
        return wording.baseline_text(self.baseline, self.unit, self.baseline_places)


def parent_indicator(row: Target | Actual) -> Indicator | None:
    """Return the row's indicator, also while an admin page adds both at once."""
    try:
        return row.indicator
    except Indicator.DoesNotExist:
        return None


class YearRowManager(models.Manager):
    """Natural key (indicator code, fiscal year) for targets and actuals."""

    def get_by_natural_key(self, indicator: str, fiscal_year: int) -> models.Model:
        return self.get(indicator__code=indicator, fiscal_year=fiscal_year)


class IndicatorYearRow(Versioned):
    """What targets and actuals share: one row per indicator and fiscal year."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="%(class)ss", verbose_name="指標"
    )
    fiscal_year = models.PositiveSmallIntegerField("年度", validators=FISCAL_YEAR_VALIDATORS)
    value_places = places_field()

    objects = YearRowManager()

    class Meta:
        abstract = True
        ordering = ("indicator_id", "fiscal_year")

    def natural_key(self) -> tuple[str, int]:
        return (self.indicator.code, self.fiscal_year)

    natural_key.dependencies = ["indicators.indicator"]

    @property
    def value_as_entered(self) -> Decimal | None:
        return as_entered(self.value, self.value_places)


class Target(IndicatorYearRow):
    """The target (目標値) of one indicator for one fiscal year.

    For a reduction indicator the value is the reduction in percent,
    stored positive (「R7年度比 ▲2.0%」 is 2.0). A milestone's target has
    no value: the row says in which year completion is due.
    """

    value = decimal_field("目標値", null=True, blank=True)
    # A revision (上方修正 etc.) keeps the plan's first target here; the
    # value above is the one in force, which evaluation uses.
    original_value = decimal_field("当初目標値", null=True, blank=True, editable=False)
    original_value_places = places_field()
    revision_reason = models.TextField("変更理由", blank=True, editable=False)
    revised_on = models.DateField("変更の決定日", null=True, blank=True, editable=False)

    history = audit_trail("目標値")

    class Meta(IndicatorYearRow.Meta):
        verbose_name = "目標値"
        verbose_name_plural = "目標値"
        permissions = [("import_target", "目標値をファイルから取り込める")]
        # The admin's 年度 filter reads the earliest and latest year.
        indexes = [models.Index(fields=["fiscal_year"], name="target_year_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=("indicator", "fiscal_year"), name="target_unique_year"
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="target_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {wareki.fiscal_year_short(self.fiscal_year)} 目標"

    def clean(self) -> None:
        indicator = parent_indicator(self)
        if indicator is None:
            return
        plan = indicator.plan
        errors: dict[str, str] = {}
        if self.fiscal_year is not None and self.fiscal_year not in plan.fiscal_years:
            errors["fiscal_year"] = outside_period_message(self.fiscal_year, plan)
        if indicator.kind == Kind.MILESTONE and self.value is not None:
            errors["value"] = "完了型の指標には目標値を入力できません（年度だけを登録します）。"
        elif indicator.kind != Kind.MILESTONE and self.value is None:
            errors["value"] = "目標値を入力してください。"
        elif self.value is not None and self.value < 0:
            errors["value"] = "目標値に負の値は入力できません。"
        if errors:
            raise ValidationError(errors)


class Actual(IndicatorYearRow):
    """The result (実績値) of one indicator for one fiscal year.

    A number; not measured (評価対象外, with a reason); or, for a milestone,
    done / not done. Years before the plan hold history (実績の推移).
    Where a document printed an evaluation, it is kept as published
    (公表値) so that a mismatch with the computed one can be flagged.
    """

    state = models.CharField(
        "区分", max_length=16, choices=ActualState.choices, default=ActualState.MEASURED
    )
    value = decimal_field("実績値", null=True, blank=True)
    remark = models.CharField(
        "表記の補足", max_length=64, blank=True,
        help_text="実績値の後ろに表示（例：【完了】、(※1)）",
    )
    not_measured_reason = models.TextField("評価対象外の理由", blank=True)
    note = models.TextField("備考", blank=True)
    progress = models.TextField("取組状況", blank=True)
    analysis = models.TextField("要因分析", blank=True)
    direction = models.TextField("今後の方向性", blank=True)
    published_evaluation = models.CharField(
        "公表された評価", max_length=16, choices=PublishedEvaluation.choices, blank=True
    )
    published_rate = decimal_field("公表された達成率", null=True, blank=True)
    published_rate_places = places_field()
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    # 入力中 until the DX office confirms (確定); a confirmed actual is
    # locked until reopened with a reason (recorded in the history).
    confirmed = models.BooleanField("確定", default=False, editable=False)
    confirmed_at = models.DateTimeField("確定日時", null=True, blank=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="確定した人", editable=False,
    )

    history = audit_trail("実績値")

    class Meta(IndicatorYearRow.Meta):
        verbose_name = "実績値"
        verbose_name_plural = "実績値"
        permissions = [
            ("import_actual", "実績値をファイルから取り込める"),
            ("confirm_actual", "実績値を確定・確定取消できる"),
        ]
        # The admin's 年度 filter reads the earliest and latest year.
        indexes = [models.Index(fields=["fiscal_year"], name="actual_year_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=("indicator", "fiscal_year"), name="actual_unique_year"
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=ActualState.MEASURED, value__isnull=False)
                    | (~Q(state=ActualState.MEASURED) & Q(value__isnull=True))
                ),
                name="actual_value_iff_measured",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0), name="actual_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(published_rate__isnull=True) | Q(published_rate__gte=0),
                name="actual_published_rate_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ActualState.values), name="actual_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {wareki.fiscal_year_short(self.fiscal_year)} 実績"

    def clean(self) -> None:
        errors = result_errors(self, what="実績値")
        if errors:
            raise ValidationError(errors)


def result_errors(row: Actual | Outlook, *, what: str) -> dict[str, str]:
    """Return what is wrong with an actual or an outlook, by field (the same rules)."""
    errors: dict[str, str] = {}
    indicator = parent_indicator(row)
    milestone = indicator is not None and indicator.kind == Kind.MILESTONE
    if indicator is not None and row.fiscal_year is not None:
        plan = indicator.plan
        # Earlier years are history (実績の推移); later ones do not exist yet.
        if row.fiscal_year > plan.end_year:
            errors["fiscal_year"] = outside_period_message(row.fiscal_year, plan)
    if milestone:
        if row.value is not None:
            errors["value"] = (
                "完了型の指標には数値を入力できません。「完了」か「未完了」を選んでください。"
            )
        elif row.state == ActualState.MEASURED:
            errors["state"] = "完了型の指標は「完了」か「未完了」を選んでください。"
    elif indicator is not None and row.state in (ActualState.DONE, ActualState.NOT_DONE):
        errors["state"] = "「完了」「未完了」は完了型の指標だけで選べます。"
    if not milestone and row.state == ActualState.MEASURED and row.value is None:
        errors["value"] = (
            f"{what}を入力してください（計測しない年は「評価対象外」を選びます）。"
        )
    if row.state == ActualState.NOT_MEASURED:
        if row.value is not None:
            errors["value"] = f"評価対象外の年には{what}を入力できません。"
        if not row.not_measured_reason.strip():
            errors["not_measured_reason"] = "評価対象外とする理由を入力してください。"
    if row.value is not None and row.value < 0:
        errors["value"] = f"{what}に負の値は入力できません。"
    return errors


class Outlook(IndicatorYearRow):
    """The outlook (見込み) of one indicator for one fiscal year, reported mid-year.

    Kept beside the year's actual, never in its place: an outlook round
    (reporting) writes it, the pages show it, marked 「見込み」, only while
    the year has no actual. Evaluated by the same rules as an actual.
    """

    state = models.CharField(
        "区分", max_length=16, choices=ActualState.choices, default=ActualState.MEASURED
    )
    value = decimal_field("見込み値", null=True, blank=True)
    not_measured_reason = models.TextField("評価対象外の理由", blank=True)
    progress = models.TextField("取組状況", blank=True)
    analysis = models.TextField("要因分析", blank=True)
    direction = models.TextField("今後の方向性", blank=True)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    confirmed = models.BooleanField("確定", default=False, editable=False)
    confirmed_at = models.DateTimeField("確定日時", null=True, blank=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="確定した人", editable=False,
    )

    # What the evaluation reads of an actual: an outlook has no published figure.
    published_evaluation = ""
    published_rate = None
    remark = ""
    note = ""

    history = audit_trail("見込み")

    class Meta(IndicatorYearRow.Meta):
        verbose_name = "見込み"
        verbose_name_plural = "見込み"
        constraints = [
            models.UniqueConstraint(
                fields=("indicator", "fiscal_year"), name="outlook_unique_year"
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=ActualState.MEASURED, value__isnull=False)
                    | (~Q(state=ActualState.MEASURED) & Q(value__isnull=True))
                ),
                name="outlook_value_iff_measured",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0), name="outlook_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ActualState.values), name="outlook_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {wareki.fiscal_year_short(self.fiscal_year)} 見込み"

    def clean(self) -> None:
        errors = result_errors(self, what="見込み値")
        if errors:
            raise ValidationError(errors)


class ContinuationManager(models.Manager["Continuation"]):
    def get_by_natural_key(self, later: str) -> Continuation:
        return self.get(later__code=later)


class Continuation(Versioned):
    """前期の指標との接続: a KGI of a later plan continues one of an earlier plan.

    Recorded only where the documents show the same measure (the earlier
    plan's last actual carried over as the later plan's baseline), with
    the reason: what the documents show and where. A KGI continues at most
    one KGI and is continued by at most one. The long view
    (:mod:`indicators.continuations`) reads one series across the periods.
    """

    earlier = models.OneToOneField(
        Indicator, on_delete=models.CASCADE, related_name="continuation",
        verbose_name="前期の指標",
        error_messages={"unique": "この前期の指標は、すでに別の指標に継続されています。"},
    )
    later = models.OneToOneField(
        Indicator, on_delete=models.CASCADE, related_name="continues",
        verbose_name="後期の指標",
        error_messages={"unique": "この後期の指標は、すでに別の前期の指標から継続しています。"},
    )
    reason = models.TextField(
        "接続の根拠",
        help_text="同じ指標と判断した根拠（計画書の記載と、その章・表・番号）を書きます。",
    )

    objects = ContinuationManager()
    history = audit_trail("前期の指標との接続")

    class Meta:
        verbose_name = "前期の指標との接続"
        verbose_name_plural = "前期の指標との接続"
        ordering = ("later__plan", "later__position")
        constraints = [
            models.CheckConstraint(
                condition=~Q(earlier=F("later")), name="continuation_not_itself",
                violation_error_message="前期の指標と後期の指標には別々の指標を選んでください。",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="continuation_has_reason",
                violation_error_message="接続の根拠を入力してください。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.earlier.code} → {self.later.code}"

    def natural_key(self) -> tuple[str]:
        return (self.later.code,)

    natural_key.dependencies = ["indicators.indicator"]

    def clean(self) -> None:
        if not (self.earlier_id and self.later_id):
            return
        earlier, later = self.earlier, self.later
        errors: dict[str, str] = {}
        if earlier.pk == later.pk:
            errors["later"] = (
                "後期の指標には、前期の指標とは別の指標（後の計画の指標）を選んでください。"
            )
        elif earlier.plan.municipality_id != later.plan.municipality_id:
            errors["later"] = (
                f"後期の指標は、前期の指標と同じ自治体（{earlier.plan.municipality.name}）"
                "の計画から選んでください。"
            )
        elif earlier.plan.end_year >= later.plan.start_year:
            errors["earlier"] = (
                f"前期の指標は、後期の指標の計画（{later.plan}：{wording.period_label(later.plan)}）"
                f"が始まる前に終わる計画から選んでください（選んだ指標の計画は"
                f"{wording.period_label(earlier.plan)}）。"
            )
        elif earlier.unit != later.unit:
            errors["later"] = (
                f"単位が異なる指標は接続できません（前期の指標：{earlier.unit or '単位なし'}、"
                f"後期の指標：{later.unit or '単位なし'}）。"
            )
        if errors:
            raise ValidationError(errors)
