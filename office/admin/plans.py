"""Admin for the plan structure: plan → basic policy → measure → initiative."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Max, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.admin_scope import CHOICE_STYLES, ChoiceStyle, ScopedAdminMixin, ScopedRelatedFilter
from audit.admin import AuditedAdmin, VersionCheckedAdmin
from ise_iga_dx.lib import wareki
from plans.models import BasicPolicy, Department, Initiative, Measure, Municipality, Plan
from plans.services import (
    ADD,
    REPLACE,
    OwnersRefused,
    department_names,
    measures_set_departments,
    owners_change_text,
    sorted_departments,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


# Choices of a parent name its plan ------------------------------------------
# Two plans of a city (and, for the system administrator, two cities) share
# 「II」 and 「①」: every choice of a policy, measure or initiative says
# whose it is, 「伊勢市 第2期 › II 効率的に業務を行い、…」, in the documents' order.

SEPARATOR = " › "


def plan_label(plan: Plan) -> str:
    """Return 「伊勢市 第2期」: the city and the plan's short name."""
    return f"{plan.municipality.name} {plan.short_name or plan.name}"


def policy_choice(policy: BasicPolicy) -> str:
    return f"{plan_label(policy.plan)}{SEPARATOR}{policy}"


def measure_choice(measure: Measure) -> str:
    policy = measure.policy
    return f"{plan_label(policy.plan)}{SEPARATOR}{policy.label}{SEPARATOR}{measure}"


def initiative_choice(initiative: Initiative) -> str:
    measure = initiative.measure
    return (
        f"{plan_label(measure.policy.plan)}{SEPARATOR}{measure.policy.label}{SEPARATOR}"
        f"{measure.label or measure.title}{SEPARATOR}{initiative.title}"
    )


PLAN_ORDER = ("municipality__code", "code")
CHOICE_STYLES.update({
    "plans.basicpolicy": ChoiceStyle(
        label=policy_choice,
        ordering=(*(f"plan__{key}" for key in PLAN_ORDER), "number"),
        related=("plan__municipality",),
    ),
    "plans.measure": ChoiceStyle(
        label=measure_choice,
        ordering=(*(f"policy__plan__{key}" for key in PLAN_ORDER), "policy__number", "number"),
        related=("policy__plan__municipality",),
    ),
    "plans.initiative": ChoiceStyle(
        label=initiative_choice,
        ordering=(
            *(f"measure__policy__plan__{key}" for key in PLAN_ORDER),
            "measure__policy__number", "measure__number", "number",
        ),
        related=("measure__policy__plan__municipality",),
    ),
})


# Searching a measure by its number ----------------------------------------------
# The list shows 「⑤ セキュリティ対策の徹底」; typed so (or 「5」, 「⑤セキュリティ…」)
# the number picks the measure numbered so and the words search the titles
# and the plan's names.

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# A circled number typed against the title: 「⑤セキュリティ」.
GLUED_NUMBER = re.compile(f"(?<![^\\s])([{CIRCLED}])(?=\\S)")


def measure_number(term: str) -> int | None:
    """Return the number a search term names (⑤, 5, ５), or None for a word."""
    if len(term) == 1 and term in CIRCLED:
        return CIRCLED.index(term) + 1
    folded = unicodedata.normalize("NFKC", term)
    # A measure's number has a digit or two; a longer run is a word (and
    # would not fit the database's integer).
    if folded.isascii() and folded.isdecimal() and len(folded) <= 3:
        return int(folded)
    return None


def split_number_terms(search_term: str) -> tuple[list[int], str]:
    """Return the numbers a search names and the rest of its words."""
    numbers, words = [], []
    for term in GLUED_NUMBER.sub(r"\1 ", search_term).split():
        number = measure_number(term)
        if number is None:
            words.append(term)
        else:
            numbers.append(number)
    return numbers, " ".join(words)


def numbered(number: int) -> Q:
    """Measures numbered ``number``: by their printed ⑤ where they have one, else their 順序."""
    circled = Q(label__in=list(CIRCLED))
    match = Q(number=number) & ~circled
    if number <= len(CIRCLED):
        match |= Q(label=CIRCLED[number - 1])
    return match


def entry_sheet_url(plan: Plan, *, year: int | None = None, department: int | None = None) -> str:
    url = reverse("spreadsheets:entry_sheet", args=[plan.code])
    query = "&".join(
        f"{name}={value}" for name, value in (("year", year), ("department", department))
        if value is not None
    )
    return f"{url}?{query}" if query else url


def status_table_url(plan: Plan, year: int) -> str:
    return reverse("spreadsheets:status_table", args=[plan.code, year])


@admin.register(Municipality)
class MunicipalityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "prefecture", "lg_code")
    search_fields = ("code", "name", "lg_code")


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, AuditedAdmin):
    list_display = ("name", "division", "municipality", "entry_sheets")
    list_filter = (("municipality", ScopedRelatedFilter),)
    search_fields = ("name", "division")
    list_select_related = ("municipality",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Department]:
        return super().get_queryset(request).prefetch_related("municipality__plans")

    @admin.display(description="入力シート（この課の施策）")
    def entry_sheets(self, obj: Department) -> str:
        return format_html_join(
            " ", '<a href="{}">{}</a>',
            ((entry_sheet_url(plan, department=obj.pk), plan.short_name or plan.code)
             for plan in obj.municipality.plans.all()),
        )


class BasicPolicyInline(VersionCheckedAdmin, admin.TabularInline):
    model = BasicPolicy
    fields = ("number", "label", "title")
    extra = 0


@admin.register(Plan)
class PlanAdmin(ScopedAdminMixin, AuditedAdmin):
    list_display = ("code", "name", "municipality", "period", "downloads")
    list_filter = (("municipality", ScopedRelatedFilter),)
    search_fields = ("code", "name")
    list_select_related = ("municipality",)
    inlines = (BasicPolicyInline,)
    actions = ("download_entry_sheet", "download_status_table")

    @admin.display(description="計画期間")
    def period(self, obj: Plan) -> str:
        return (
            f"{wareki.fiscal_year_short(obj.start_year)}〜"
            f"{wareki.fiscal_year_short(obj.end_year)}"
        )

    @admin.display(description="Excel（入力シート／評価表）")
    def downloads(self, obj: Plan) -> str:
        years = list(obj.fiscal_years)
        entry = format_html_join(
            " ", '<a href="{}">{}</a>',
            ((entry_sheet_url(obj, year=year), wareki.fiscal_year_short(year))
             for year in years),
        )
        status = format_html_join(
            " ", '<a href="{}">{}</a>',
            ((status_table_url(obj, year), wareki.fiscal_year_short(year))
             for year in years),
        )
        return format_html(
            '入力シート：<a href="{}">全年度</a> {}<br>評価表：{}<br>'
            '<a href="{}">指標定義テンプレート</a>',
            entry_sheet_url(obj), entry, status,
            reverse("spreadsheets:definitions_template", args=[obj.code]),
        )

    def single_plan(self, request: HttpRequest, queryset: QuerySet[Plan]) -> Plan | None:
        if queryset.count() != 1:
            self.message_user(request, "計画を1件だけ選んでください。", messages.WARNING)
            return None
        return queryset.get()

    @admin.action(description="入力シート（Excel、全年度）をダウンロード")
    def download_entry_sheet(self, request: HttpRequest, queryset: QuerySet[Plan]) -> Any:
        plan = self.single_plan(request, queryset)
        return HttpResponseRedirect(entry_sheet_url(plan)) if plan else None

    @admin.action(description="評価表（Excel、実績のある最新年度）をダウンロード")
    def download_status_table(self, request: HttpRequest, queryset: QuerySet[Plan]) -> Any:
        plan = self.single_plan(request, queryset)
        if plan is None:
            return None
        latest = plan.indicators.filter(
            actuals__fiscal_year__gte=plan.start_year,
            actuals__fiscal_year__lte=plan.end_year,
        ).aggregate(year=Max("actuals__fiscal_year"))["year"]
        return HttpResponseRedirect(status_table_url(plan, latest or plan.start_year))


class MeasureInline(VersionCheckedAdmin, admin.TabularInline):
    model = Measure
    fields = ("number", "label", "title")
    extra = 0


@admin.register(BasicPolicy)
class BasicPolicyAdmin(ScopedAdminMixin, AuditedAdmin):
    list_display = ("__str__", "plan")
    list_filter = (
        ("plan__municipality", ScopedRelatedFilter),
        ("plan", ScopedRelatedFilter),
    )
    search_fields = ("label", "title", "plan__name", "plan__short_name", "plan__code")
    list_select_related = ("plan",)
    inlines = (MeasureInline,)


class InitiativeInline(VersionCheckedAdmin, admin.StackedInline):
    model = Initiative
    fields = ("number", "title", "purpose")
    extra = 0


class MeasureForm(forms.ModelForm):
    """A measure is owned only by departments of its own plan's city.

    The change page offers only those; this also holds on the add page,
    where the city is known only once the policy is chosen.
    """

    class Meta:
        model = Measure
        fields = ("policy", "number", "label", "title", "description", "departments")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        policy = cleaned.get("policy")
        departments = cleaned.get("departments") or []
        if policy is None:
            return cleaned
        city = policy.plan.municipality
        others = [d for d in departments if d.municipality_id != city.pk]
        if others:
            names = "、".join(f"{d.municipality} {d}" for d in others)
            self.add_error(
                "departments", f"{city}の計画の施策に、他の自治体の課は選べません：{names}"
            )
        return cleaned


class MeasureOwnersForm(forms.Form):
    """The departments to give the selected measures, and how (add or replace)."""

    departments = forms.ModelMultipleChoiceField(
        label="所管課", queryset=Department.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mode = forms.ChoiceField(
        label="設定のしかた", widget=forms.RadioSelect, initial=ADD,
        choices=(
            (ADD, "選んだ課を所管課に加える（今の所管課はそのまま）"),
            (REPLACE, "選んだ課だけを所管課にする（今の所管課と入れ替える。"
                      "1つも選ばなければ所管課を外す）"),
        ),
    )

    def __init__(self, *args: Any, municipality_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.filter(
            municipality_id=municipality_id
        ).order_by("division", "name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (cleaned.get("mode") == ADD and not cleaned.get("departments")
                and "departments" not in self.errors):
            self.add_error("departments", "加える所管課を1つ以上選んでください。")
        return cleaned


SEEN_FIELD = "seen"


def posted_versions(request: HttpRequest) -> dict[int, int]:
    """Return the version of each measure the page showed (「<id>:<version>」)."""
    shown: dict[int, int] = {}
    for item in request.POST.getlist(SEEN_FIELD):
        pk, _, version = item.partition(":")
        if pk.isdecimal() and version.isdecimal() and len(pk) < 19 and len(version) < 19:
            shown[int(pk)] = int(version)
    return shown


@admin.register(Measure)
class MeasureAdmin(ScopedAdminMixin, AuditedAdmin):
    form = MeasureForm
    owners_template = "admin/plans/measure/set_departments.html"
    actions = ("set_departments",)
    list_display = ("__str__", "policy", "plan")
    list_filter = (
        ("policy__plan__municipality", ScopedRelatedFilter),
        ("policy__plan", ScopedRelatedFilter),
    )
    search_fields = (
        "title", "policy__plan__name", "policy__plan__short_name", "policy__plan__code",
    )
    search_help_text = (
        "施策の番号と名称（例：⑤ セキュリティ対策の徹底）、"
        "計画の名称・略称（例：第2期）で検索します。"
    )
    list_select_related = ("policy", "policy__plan")
    filter_horizontal = ("departments",)
    inlines = (InitiativeInline,)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Measure], search_term: str
    ) -> tuple[QuerySet[Measure], bool]:
        numbers, words = split_number_terms(search_term)
        for number in numbers:
            queryset = queryset.filter(numbered(number))
        return super().get_search_results(request, queryset, words)

    @admin.display(description="計画", ordering="policy__plan__code")
    def plan(self, obj: Measure) -> str:
        return obj.policy.plan.code

    def save_model(self, request: HttpRequest, obj: Measure, form: Any, change: bool) -> None:
        """Say in the history when the page changed the owners.

        The owners are saved after the measure (save_related), so its
        history row would show none of it: its reason names them, before
        and after, as the bulk action's does.
        """
        if "departments" in form.changed_data:
            before = list(obj.departments.all()) if change else []
            obj._change_reason = owners_change_text(
                before=before, after=form.cleaned_data["departments"]
            )
        super().save_model(request, obj, form, change)

    @admin.action(description="選択した施策の所管課を設定", permissions=("change",))
    def set_departments(self, request: HttpRequest, queryset: QuerySet[Measure]) -> Any:
        """Give the selected measures departments in one step, via a page to choose them.

        The measures must be of one city (its departments are offered).
        The page posts the version of each measure it showed; a measure
        changed since refuses the step (plans.services).
        """
        measures = list(
            queryset.select_related("policy__plan__municipality")
            .prefetch_related("departments")
            .order_by("policy__plan__code", "policy__number", "number")
        )
        cities = {measure.policy.plan.municipality for measure in measures}
        if len(cities) != 1:
            self.message_user(
                request,
                "所管課をまとめて設定できるのは、同じ自治体の施策だけです。"
                "施策一覧を自治体で絞り込んでから選んでください。",
                messages.ERROR,
            )
            return None
        (city,) = cities
        applying = "apply" in request.POST
        form = MeasureOwnersForm(request.POST if applying else None, municipality_id=city.pk)
        if applying and form.is_valid():
            try:
                outcome = measures_set_departments(
                    measures=measures, departments=list(form.cleaned_data["departments"]),
                    mode=form.cleaned_data["mode"], user=request.user,
                    seen=posted_versions(request),
                )
            except OwnersRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)
                return None
            self.report_owners(request, outcome, form.cleaned_data)
            return None
        seen = posted_versions(request) if applying else {}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "選択した施策の所管課を設定",
            "city": city,
            "rows": [
                (measure, department_names(sorted_departments(measure.departments.all())),
                 seen.get(measure.pk, measure.version))
                for measure in measures
            ],
            "form": form,
            "action": "set_departments",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:plans_measure_changelist"),
        }
        return TemplateResponse(request, self.owners_template, context)

    def report_owners(self, request: HttpRequest, outcome: Any, chosen: dict[str, Any]) -> None:
        """Say in one message what was set on which measures (each one's history has the rest)."""
        names = department_names(sorted_departments(chosen["departments"]))
        if outcome.changed:
            done = (
                f"所管課に「{names}」を加えました" if chosen["mode"] == ADD
                else f"所管課を「{names}」にしました"
            )
            listed = "、".join(f"「{measure}」" for measure in outcome.changed)
            self.message_user(
                request, f"{len(outcome.changed)}件の施策の{done}：{listed}", messages.SUCCESS
            )
        if outcome.unchanged:
            listed = "、".join(f"「{measure}」" for measure in outcome.unchanged)
            self.message_user(
                request,
                f"所管課がすでにそのとおりの施策{len(outcome.unchanged)}件は変えていません：{listed}",
                messages.INFO,
            )

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        # A measure may only be owned by departments of its own city.
        obj_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if db_field.name == "departments" and obj_id:
            municipality = Measure.objects.filter(pk=obj_id).values(
                "policy__plan__municipality"
            )[:1]
            kwargs["queryset"] = Department.objects.filter(municipality__in=municipality)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Initiative)
class InitiativeAdmin(ScopedAdminMixin, AuditedAdmin):
    list_display = ("title", "measure")
    list_filter = (("measure__policy__plan", ScopedRelatedFilter),)
    search_fields = (
        "title", "purpose", "measure__title", "measure__policy__plan__name",
        "measure__policy__plan__short_name", "measure__policy__plan__code",
    )
    list_select_related = ("measure",)
