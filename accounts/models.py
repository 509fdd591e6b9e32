"""Which municipality and departments a login belongs to.

The role itself is a Django group (:mod:`accounts.roles`); this says
*where* the role applies: an Ise DX office member manages Ise's plans and
never sees Iga's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Affiliation(models.Model):
    """A user's municipality and, for a department user, their sections."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affiliation",
        verbose_name="ユーザー",
    )
    # By name, not by import: accounts sits below plans in the layers
    # (pyproject.toml), and plans' selectors and admin read the scope.
    municipality = models.ForeignKey(
        "plans.Municipality", on_delete=models.PROTECT, null=True, blank=True,
        related_name="affiliations", verbose_name="自治体",
        help_text="システム管理者は空欄（全自治体）。それ以外は必ず選びます。",
    )
    departments = models.ManyToManyField(
        "plans.Department", blank=True, related_name="affiliations", verbose_name="所管課",
        help_text="所管課の利用者が実績を入力できる課（同じ自治体の課だけ選べます）。",
    )

    class Meta:
        verbose_name = "所属"
        verbose_name_plural = "所属"

    def __str__(self) -> str:
        return f"{self.user} の所属（{self.municipality or '全自治体'}）"
