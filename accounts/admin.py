"""Users with their municipality and departments, on one page (システム管理者 only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.models import Affiliation
from plans.models import Department

if TYPE_CHECKING:
    from django.http import HttpRequest


class AffiliationInline(admin.StackedInline):
    model = Affiliation
    can_delete = False
    filter_horizontal = ("departments",)
    verbose_name_plural = "所属（自治体と所管課）"

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.name == "departments":
            kwargs["queryset"] = Department.objects.select_related("municipality")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class KpiUserAdmin(UserAdmin):
    inlines = (AffiliationInline,)
    list_display = ("username", "last_name", "first_name", "roles", "municipality", "is_active")
    list_filter = ("groups", "affiliation__municipality", "is_active")
    list_select_related = ("affiliation__municipality",)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="役割")
    def roles(self, obj: Any) -> str:
        return "、".join(group.name for group in obj.groups.all())

    @admin.display(description="自治体")
    def municipality(self, obj: Any) -> str:
        affiliation = getattr(obj, "affiliation", None)
        if affiliation is None or affiliation.municipality is None:
            return "－"
        return str(affiliation.municipality)
