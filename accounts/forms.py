"""The admin's login form: a role opens the admin, not the is_staff flag."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.roles import scope_of


class RoleAdminAuthenticationForm(AdminAuthenticationForm):
    """Let in the roles that use the admin (see KpiAdminSite.has_permission).

    Django's admin form refuses anyone without is_staff, which the office
    never ticks: a DX推進担当 or 所管課 going straight to /admin/ would be
    told their password was wrong.
    """

    error_messages: ClassVar[dict[str, str]] = {
        **AuthenticationForm.error_messages,
        "no_admin": (
            "このログインの役割では管理画面を使えません。計画や指標はホーム（/）からご覧ください。"
        ),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        # AuthenticationForm's check (an active user), not the is_staff one.
        AuthenticationForm.confirm_login_allowed(self, user)
        if not scope_of(user).uses_admin:
            raise ValidationError(self.error_messages["no_admin"], code="no_admin")
