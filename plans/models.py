"""The structure of a municipality's DX plan, as its document lays it out.

A plan has basic policies (基本方針), each with measures (施策), each with
initiatives (・ lines, 取組); KGIs hang off a measure and, where the
document names one, an initiative. Every model has a natural key so the
fixtures load twice without duplicates.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from audit.fields import audit_trail
from audit.versions import Versioned
from ise_iga_dx.lib import lgcode


class MunicipalityManager(models.Manager["Municipality"]):
    def get_by_natural_key(self, code: str) -> Municipality:
        return self.get(code=code)


def validate_lg_code(value: str) -> None:
    """Refuse a 全国地方公共団体コード that is not six digits or whose check digit is wrong."""
    error = lgcode.check_error(value)
    if error:
        raise ValidationError(error, code="lg_code")


class Municipality(models.Model):
    """A city, town or village that runs a DX plan (伊勢市, 伊賀市)."""

    code = models.SlugField("コード", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    prefecture = models.CharField("都道府県", max_length=16, blank=True)
    # 総務省's code, not in the plan documents: the open data's first column.
    lg_code = models.CharField(
        "全国地方公共団体コード", max_length=6, blank=True, validators=[validate_lg_code],
        help_text=(
            "検査数字を含む6桁（例：伊勢市 242039、伊賀市 242161）。"
            "公開するデータの1列目になります。"
        ),
    )

    objects = MunicipalityManager()

    class Meta:
        verbose_name = "自治体"
        verbose_name_plural = "自治体"
        ordering = ("code",)
        constraints = [
            models.UniqueConstraint(
                fields=("lg_code",), condition=~Q(lg_code=""),
                name="municipality_unique_lg_code",
                violation_error_message="この全国地方公共団体コードの自治体は既に登録されています。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class DepartmentManager(models.Manager["Department"]):
    def get_by_natural_key(self, municipality: str, name: str) -> Department:
        return self.get(municipality__code=municipality, name=name)


class Department(Versioned):
    """A section of the city office (所管課) that can own measures."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="departments",
        verbose_name="自治体",
    )
    name = models.CharField("課名", max_length=64)
    division = models.CharField("部局", max_length=64, blank=True)

    objects = DepartmentManager()
    history = audit_trail("所管課")

    class Meta:
        verbose_name = "所管課"
        verbose_name_plural = "所管課"
        ordering = ("municipality", "division", "name")
        constraints = [
            models.UniqueConstraint(
                fields=("municipality", "name"), name="department_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.division} {self.name}".strip()

    def natural_key(self) -> tuple[str, str]:
        return (self.municipality.code, self.name)

    natural_key.dependencies = ["plans.municipality"]


class PlanManager(models.Manager["Plan"]):
    def get_by_natural_key(self, code: str) -> Plan:
        return self.get(code=code)


class Plan(Versioned):
    """A DX plan document with its period in fiscal years (R8–R11 = 2026–2029).

    Fiscal years are stored as the Western year they start in.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="plans",
        verbose_name="自治体",
    )
    code = models.SlugField("計画コード", max_length=32, unique=True)
    name = models.CharField("計画名", max_length=200)
    short_name = models.CharField("略称", max_length=64, blank=True)
    start_year = models.PositiveSmallIntegerField("計画期間（開始年度）")
    end_year = models.PositiveSmallIntegerField("計画期間（終了年度）")
    published = models.CharField("策定・公表", max_length=64, blank=True)
    basic_philosophy = models.CharField("基本理念", max_length=200, blank=True)
    philosophy_text = models.TextField("基本理念の説明", blank=True)
    organisation = models.CharField("推進体制", max_length=200, blank=True)
    secretariat = models.CharField("事務局", max_length=200, blank=True)
    organisation_text = models.TextField("推進体制の説明", blank=True)
    period_note = models.TextField("計画期間の注記", blank=True)

    objects = PlanManager()
    history = audit_trail("計画")

    class Meta:
        verbose_name = "計画"
        verbose_name_plural = "計画"
        ordering = ("municipality", "code")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year")), name="plan_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(start_year__gte=1989, end_year__lte=2200),
                name="plan_period_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    @property
    def fiscal_years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    @property
    def baseline_year(self) -> int:
        """The year before the plan, whose figure is the baseline (現状値)."""
        return self.start_year - 1

    def clean(self) -> None:
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": "終了年度は開始年度以降にしてください。"})


class BasicPolicyManager(models.Manager["BasicPolicy"]):
    def get_by_natural_key(self, plan: str, number: int) -> BasicPolicy:
        return self.get(plan__code=plan, number=number)


class BasicPolicy(Versioned):
    """A basic policy (基本方針) of a plan, numbered as printed (I, II, …)."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="policies", verbose_name="計画"
    )
    number = models.PositiveSmallIntegerField("順序")
    label = models.CharField("番号", max_length=16, help_text="文書の表記（I、基本方針 1 など）")
    title = models.CharField("基本方針", max_length=200)
    description = models.TextField("説明", blank=True)

    objects = BasicPolicyManager()
    history = audit_trail("基本方針")

    class Meta:
        verbose_name = "基本方針"
        verbose_name_plural = "基本方針"
        ordering = ("plan", "number")
        constraints = [
            models.UniqueConstraint(fields=("plan", "number"), name="policy_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.title}"

    def natural_key(self) -> tuple[str, int]:
        return (self.plan.code, self.number)

    natural_key.dependencies = ["plans.plan"]


class MeasureManager(models.Manager["Measure"]):
    def get_by_natural_key(self, plan: str, policy: int, number: int) -> Measure:
        return self.get(policy__plan__code=plan, policy__number=policy, number=number)


class Measure(Versioned):
    """A measure (施策) under a basic policy, numbered as printed (①, ②, …).

    For Iga's vision the ■ directions stand here; the action plan's own
    items are added beneath them as initiatives.
    """

    policy = models.ForeignKey(
        BasicPolicy, on_delete=models.CASCADE, related_name="measures",
        verbose_name="基本方針",
    )
    number = models.PositiveSmallIntegerField("順序")
    label = models.CharField("番号", max_length=16, blank=True)
    title = models.CharField("施策", max_length=200)
    description = models.TextField("説明", blank=True)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="measures", verbose_name="所管課"
    )

    objects = MeasureManager()
    history = audit_trail("施策")

    class Meta:
        verbose_name = "施策"
        verbose_name_plural = "施策"
        ordering = ("policy", "number")
        constraints = [
            models.UniqueConstraint(fields=("policy", "number"), name="measure_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.title}".strip()

    def natural_key(self) -> tuple[str, int, int]:
        return (*self.policy.natural_key(), self.number)

    natural_key.dependencies = ["plans.basicpolicy"]


class InitiativeManager(models.Manager["Initiative"]):
    def get_by_natural_key(
        self, plan: str, policy: int, measure: int, number: int
    ) -> Initiative:
        return self.get(
            measure__policy__plan__code=plan,
            measure__policy__number=policy,
            measure__number=measure,
            number=number,
        )


class Initiative(Versioned):
    """An initiative (・ line, 取組) of a measure, with its purpose (目的(意図))."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="initiatives", verbose_name="施策"
    )
    number = models.PositiveSmallIntegerField("順序")
    title = models.CharField("取組", max_length=200)
    purpose = models.TextField("目的（意図）", blank=True)

    objects = InitiativeManager()
    history = audit_trail("取組")

    class Meta:
        verbose_name = "取組"
        verbose_name_plural = "取組"
        ordering = ("measure", "number")
        constraints = [
            models.UniqueConstraint(
                fields=("measure", "number"), name="initiative_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str, int, int, int]:
        return (*self.measure.natural_key(), self.number)

    natural_key.dependencies = ["plans.measure"]
