"""The admin site: who may enter it is decided by role (accounts.roles)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from accounts.forms import RoleAdminAuthenticationForm
from accounts.roles import scope_of

if TYPE_CHECKING:
    from django.http import HttpRequest


class KpiAdminSite(admin.AdminSite):
    login_form = RoleAdminAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        """システム管理者, DX推進担当 and 所管課 enter; 閲覧 reads the pages only.

        The is_staff flag is not consulted: a role is what opens the admin,
        so the office never has to remember to tick it.
        """
        user = request.user
        return user.is_active and scope_of(user).uses_admin
