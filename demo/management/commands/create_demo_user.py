"""Create the first logins of a new installation, once: one per role and city.

A fresh installation has the plans (``seed_plans``) but nobody to read
them. This command gives the office one login per role in each city, so
that what each role sees can be tried at once, and prints each random
password a single time. It does nothing once any user exists: later
logins are made in the admin (ユーザー → 所属), see docs/roles.md.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count

from accounts.groups import ensure_role_groups
from accounts.models import Affiliation
from accounts.roles import Role
from ise_iga_dx.lib.text import width
from plans.models import Department, Measure, Municipality

if TYPE_CHECKING:
    from django.core.management.base import CommandParser

# (username, role, municipality code), in the order printed. A department
# login is for the department owning the most KGIs in that city.
CITY_LOGINS = (
    ("ise-office", Role.OFFICE, "ise"),
    ("ise-dept", Role.DEPARTMENT, "ise"),
    ("ise-viewer", Role.VIEWER, "ise"),
    ("iga-office", Role.OFFICE, "iga"),
    ("iga-dept", Role.DEPARTMENT, "iga"),
    ("iga-viewer", Role.VIEWER, "iga"),
)
HEADER = ("ユーザー名", "役割", "所属", "パスワード")
# Letters and digits without look-alikes (0/O, 1/l/I): the password is read
# off the screen and typed. 16 of them are about 92 bits.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 16


@dataclass(frozen=True)
class DemoLogin:
    """One login to create: its role and where the role applies."""

    username: str
    role: Role
    municipality: Municipality | None = None
    department: Department | None = None

    @property
    def affiliation_label(self) -> str:
        if self.municipality is None:
            return "全自治体"
        if self.department is None:
            return str(self.municipality)
        return f"{self.municipality} {self.department}"


# The documents name no owner for a measure. So that the reporting round
# has something to show, a fresh demo installation gives two of Ise's
# departments a few of ise-2's measures (demo data, not the documents':
# docs/reporting-round.md). (plan, policy number, measure number) by name.
DEMO_OWNERS = {
    ("ise", "デジタル政策課"): (("ise-2", 1, 1), ("ise-2", 1, 2), ("ise-2", 1, 3)),
    ("ise", "戸籍住民課"): (("ise-2", 3, 1),),
}
DEMO_EMAIL_DOMAIN = "example.invalid"


def give_demo_owners() -> list[str]:
    """Give the demo departments their measures, unless any measure has an owner."""
    if Measure.objects.filter(departments__isnull=False).exists():
        return []
    given = []
    for (city, name), measures in DEMO_OWNERS.items():
        department = Department.objects.filter(municipality__code=city, name=name).first()
        if department is None:
            continue
        for plan, policy, number in measures:
            measure = Measure.objects.filter(
                policy__plan__code=plan, policy__number=policy, number=number
            ).first()
            if measure is not None:
                measure.departments.add(department)
                given.append(f"{department.name}：{measure}")
    return given


def department_with_most_kgis(*, municipality: Municipality) -> Department | None:
    """Return the department owning the most KGIs; the first listed on a tie.

    The shipped plans name no owner for their measures, so on a fresh
    installation every department owns none and the first one is chosen.
    """
    return (
        Department.objects.filter(municipality=municipality)
        .select_related("municipality")
        .annotate(kgis=Count("measures__indicators", distinct=True))
        .order_by("-kgis", "pk")
        .first()
    )


def demo_logins(*, system_username: str) -> tuple[list[DemoLogin], list[str]]:
    """Return the logins to create and the notes to print beneath them."""
    logins = [DemoLogin(system_username, Role.SYSTEM)]
    notes: list[str] = []
    cities = Municipality.objects.in_bulk(
        {code for _, _, code in CITY_LOGINS}, field_name="code"
    )
    for username, role, code in CITY_LOGINS:
        city = cities.get(code)
        if city is None:
            continue
        if role is not Role.DEPARTMENT:
            logins.append(DemoLogin(username, role, city))
            continue
        department = department_with_most_kgis(municipality=city)
        if department is None:
            notes.append(
                f"※ {city}には所管課が登録されていない（計画の文書に記載がない）ため、"
                f"{username} は"
                "作っていません。管理画面で所管課を登録し、ユーザー → 所属 で設定してください。"
            )
            continue
        logins.append(DemoLogin(username, role, city, department))
        if not department.kgis:
            notes.append(
                f"※ {username}（{department}）が所管する施策はまだありません。管理画面の「施策」で"
                "所管課を設定すると、その施策のKGIがこのログインで表示・入力できます。"
            )
    return logins, notes


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def create_login(login: DemoLogin, password: str) -> None:
    users = get_user_model().objects
    if login.role is Role.SYSTEM:
        users.create_superuser(username=login.username, email="", password=password)
        return
    user = users.create_user(
        username=login.username, password=password,
        email=f"{login.username}@{DEMO_EMAIL_DOMAIN}",
    )
    user.groups.add(Group.objects.get(name=login.role.value))
    affiliation = Affiliation.objects.create(user=user, municipality=login.municipality)
    if login.department is not None:
        affiliation.departments.add(login.department)


def table(rows: list[tuple[str, ...]]) -> list[str]:
    sizes = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(
            value + " " * (size - width(value))
            for value, size in zip(row, sizes, strict=True)
        )
        .rstrip()
        for row in rows
    ]


class Command(BaseCommand):
    help = (
        "ユーザーが一人もいないときだけ、役割ごと・自治体ごとのデモ用ログインを作成し、"
        "パスワードを一度だけ表示します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--username", default="demo", help="システム管理者のユーザー名（既定：demo）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if get_user_model().objects.exists():
            return
        ensure_role_groups()
        with transaction.atomic():
            owners = give_demo_owners()
        logins, notes = demo_logins(system_username=options["username"])
        if owners:
            notes.append(
                "※ デモ用に、次の施策の所管課を設定しました"
                "（計画の文書には所管課の記載がありません）：" + "、".join(owners)
            )
        rows = [HEADER]
        with transaction.atomic():
            for login in logins:
                password = new_password()
                create_login(login, password)
                rows.append((login.username, login.role.value, login.affiliation_label, password))
        self.stdout.write("\n".join([
            "",
            "デモ用ログインを作成しました（パスワードの表示はこの一度だけです）：",
            "",
            *table(rows),
            "",
            *notes,
            ("http://127.0.0.1:8000/ からログインしてください（管理画面は /admin/）。"
             "役割ごとの違いは docs/roles.md にあります。"),
            "",
        ]))
