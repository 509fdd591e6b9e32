"""Users with their municipality and departments, on one page (システム管理者 only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from axes.admin import AccessAttemptAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.models import Affiliation
from accounts.roles import Role
from plans.models import Department

if TYPE_CHECKING:
    from django.http import HttpRequest


class AffiliationForm(forms.ModelForm):
    class Meta:
        model = Affiliation
        fields = ("municipality", "departments")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        municipality = cleaned.get("municipality")
        departments = cleaned.get("departments") or []
        others = [d for d in departments if d.municipality_id != getattr(municipality, "pk", None)]
        if others:
            names = "、".join(f"{d.municipality} {d}" for d in others)
            self.add_error(
                "departments",
                f"所属の自治体（{municipality or '未選択'}）以外の課は選べません：{names}",
            )
        return cleaned


class AffiliationInline(admin.StackedInline):
    model = Affiliation
    form = AffiliationForm
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
        # A superuser is a システム管理者 whatever its groups (accounts.roles.role_of).
        if obj.is_superuser:
            return Role.SYSTEM.value
        return "、".join(group.name for group in obj.groups.all()) or "なし（何も表示されません）"

    @admin.display(description="自治体")
    def municipality(self, obj: Any) -> str:
        affiliation = getattr(obj, "affiliation", None)
        if affiliation is not None and affiliation.municipality is not None:
            return str(affiliation.municipality)
        if obj.is_superuser or any(g.name == Role.SYSTEM.value for g in obj.groups.all()):
            return "全自治体"
        # Any other role without a municipality sees nothing: say so.
        return "未設定（何も表示されません）"


# django-axes' list of throttled logins, with its two unnamed columns in
# Japanese (its models and fields: accounts/locale/ja; its app: accounts.apps).
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class KpiAccessAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description="状態")
    def status(self, obj: AccessAttempt) -> str:
        limit = axes_settings.AXES_FAILURE_LIMIT
        if obj.failures_since_start >= limit:
            return "ロック中"
        return f"あと{limit - obj.failures_since_start}回の失敗でロック"

    @admin.display(description="期限")
    def expiration(self, obj: AccessAttempt) -> Any:
        return super().expiration(obj)
