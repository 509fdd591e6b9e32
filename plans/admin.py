"""Admin for the plan structure: plan → basic policy → measure → initiative."""

from __future__ import annotations

from django.contrib import admin

from plans.models import BasicPolicy, Department, Initiative, Measure, Municipality, Plan


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "prefecture")
    search_fields = ("code", "name")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "division", "municipality")
    list_filter = ("municipality",)
    search_fields = ("name", "division")
    list_select_related = ("municipality",)


class BasicPolicyInline(admin.TabularInline):
    model = BasicPolicy
    fields = ("number", "label", "title")
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "municipality", "start_year", "end_year")
    list_filter = ("municipality",)
    search_fields = ("code", "name")
    list_select_related = ("municipality",)
    inlines = (BasicPolicyInline,)


class MeasureInline(admin.TabularInline):
    model = Measure
    fields = ("number", "label", "title")
    extra = 0


@admin.register(BasicPolicy)
class BasicPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "plan")
    list_filter = ("plan__municipality", "plan")
    search_fields = ("title",)
    list_select_related = ("plan",)
    inlines = (MeasureInline,)


class InitiativeInline(admin.StackedInline):
    model = Initiative
    fields = ("number", "title", "purpose")
    extra = 0


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ("__str__", "policy", "plan")
    list_filter = ("policy__plan__municipality", "policy__plan")
    search_fields = ("title",)
    list_select_related = ("policy", "policy__plan")
    filter_horizontal = ("departments",)
    inlines = (InitiativeInline,)

    @admin.display(description="計画", ordering="policy__plan__code")
    def plan(self, obj: Measure) -> str:
        return obj.policy.plan.code

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # A measure may only be owned by departments of its own city.
        obj_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if db_field.name == "departments" and obj_id:
            municipality = Measure.objects.filter(pk=obj_id).values(
                "policy__plan__municipality"
            )[:1]
            kwargs["queryset"] = Department.objects.filter(municipality__in=municipality)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ("title", "measure")
    list_filter = ("measure__policy__plan",)
    search_fields = ("title", "purpose")
    list_select_related = ("measure",)
