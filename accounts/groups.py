"""The four role groups and the model permissions each one carries.

Kept in code and applied after every ``migrate`` (and after a test flush),
so a fresh installation has the groups and an upgrade corrects them. The
scope (which municipality, which departments) is not here: see
:mod:`accounts.roles`.
"""

from __future__ import annotations

from typing import Any

from accounts.roles import Role

STRUCTURE = ("plan", "basicpolicy", "measure", "initiative", "department")
DATA = ("indicator", "target", "actual", "continuation")
CRUD = ("add", "change", "delete", "view")

PERMISSIONS: dict[Role, set[str]] = {
    Role.SYSTEM: {
        *(f"plans.{action}_{model}" for model in (*STRUCTURE, "municipality") for action in CRUD),
        *(f"indicators.{action}_{model}" for model in DATA for action in CRUD),
        "indicators.import_indicator", "indicators.import_target", "indicators.import_actual",
        "indicators.confirm_actual",
        *(f"accounts.{action}_affiliation" for action in CRUD),
        *(f"auth.{action}_{model}" for model in ("user", "group") for action in CRUD),
        "admin.view_logentry",
    },
    Role.OFFICE: {
        "plans.view_municipality",
        *(f"plans.{action}_{model}" for model in STRUCTURE for action in CRUD),
        *(f"indicators.{action}_{model}" for model in DATA for action in CRUD),
        "indicators.import_indicator", "indicators.import_target", "indicators.import_actual",
        "indicators.confirm_actual",
    },
    Role.DEPARTMENT: {
        "indicators.view_indicator", "indicators.view_target",
        "indicators.view_actual", "indicators.add_actual", "indicators.change_actual",
        "indicators.import_actual",
    },
    # 閲覧 reads the pages, never the admin.
    Role.VIEWER: set(),
}


def ensure_role_groups(**kwargs: Any) -> None:
    """Create the role groups and set their permissions to exactly those above."""
    from django.contrib.auth.models import Group, Permission

    wanted = {name for names in PERMISSIONS.values() for name in names}
    by_name = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.filter(
            content_type__app_label__in={name.split(".")[0] for name in wanted}
        ).values_list("pk", "content_type__app_label", "codename")
    }
    for role, names in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set([by_name[name] for name in names if name in by_name])
