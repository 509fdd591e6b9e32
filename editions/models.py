"""Meeting editions (会議資料版) and their publication (公表).

An :class:`Edition` is a plan-year as presented at a dated meeting: every
figure, text and evaluation the pages showed, the pages themselves and
the Excel 評価表, taken in one transaction (:func:`editions.services.
freeze_edition`). It is never edited: a later meeting gets a later
edition of the same plan-year, which supersedes it. A
:class:`Publication` shows an edition to citizens on the public pages
until it is withdrawn, with a reason, or replaced by the publication of
a later edition. docs/editions.md says how the office uses them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.fields import audit_trail
from audit.versions import Versioned
from ise_iga_dx.lib import wareki
from plans.models import Plan

# The frozen contents: never copied into the history (they never change).
FROZEN_CONTENTS = ["data", "dashboard_html", "print_html", "sheet_html", "workbook"]


class FrozenEdition(Exception):
    """A frozen edition was about to be changed or deleted."""

    def __init__(self) -> None:
        super().__init__(
            "会議資料版は確定後に変更・削除できません。"
            "内容を改めるときは、同じ年度の新しい版を作成してください（前の版は差し替え済みになります）。"
        )


class Edition(models.Model):
    """会議資料版: a plan-year frozen as presented at a meeting (immutable)."""

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="editions", verbose_name="計画"
    )
    fiscal_year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveSmallIntegerField("版", help_text="同じ計画・年度の何版目か（1から）")
    meeting_name = models.CharField("会議名", max_length=200)
    meeting_date = models.DateField("会議の日付")
    frozen_at = models.DateTimeField("作成日時")
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="作成者",
    )
    # Every figure, text and evaluation, as printed (editions.snapshot).
    data = models.JSONField("内容")
    # The pages as rendered at freezing (editions.rendering).
    dashboard_html = models.TextField("ダッシュボード")
    print_html = models.TextField("印刷用ページ")
    sheet_html = models.TextField("進捗管理シート")
    workbook = models.BinaryField("評価表（Excel）")
    workbook_name = models.CharField("評価表のファイル名", max_length=200)
    digest = models.CharField(
        "内容のハッシュ（SHA-256）", max_length=64,
        help_text="内容・ページ・評価表から計算した値。作成後に変わっていないことの確認に使います。",
    )

    history = audit_trail("会議資料版", excluded_fields=FROZEN_CONTENTS)

    class Meta:
        verbose_name = "会議資料版"
        verbose_name_plural = "会議資料版"
        ordering = ("plan", "-fiscal_year", "-number")
        constraints = [
            models.UniqueConstraint(
                fields=("plan", "fiscal_year", "number"), name="edition_number_unique",
                violation_error_message="この計画・年度には同じ番号の版がすでにあります。",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.plan} {wareki.fiscal_year_label(self.fiscal_year)} "
            f"第{self.number}版（{self.meeting_name}）"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise FrozenEdition
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise FrozenEdition


class Publication(Versioned):
    """公表: an edition shown on the public pages, until withdrawn (with a reason).

    At most one publication of a plan-year is in force; publishing a later
    edition withdraws the earlier one, saying so.
    """

    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="publications", verbose_name="会議資料版"
    )
    # The edition's plan and year again, so that the database keeps one
    # publication in force per plan-year.
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="publications", verbose_name="計画"
    )
    fiscal_year = models.PositiveSmallIntegerField("年度")
    with_comments = models.BooleanField(
        "取組状況・要因分析・今後の方向性も公表する", default=False,
    )
    published_at = models.DateTimeField("公表日時")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="公表した人",
    )
    withdrawn_at = models.DateTimeField("取り下げ日時", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="取り下げた人",
    )
    withdrawal_reason = models.TextField("取り下げの理由", blank=True)

    history = audit_trail("公表")

    class Meta:
        verbose_name = "公表"
        verbose_name_plural = "公表"
        ordering = ("plan", "-fiscal_year", "-published_at")
        constraints = [
            models.UniqueConstraint(
                fields=("plan", "fiscal_year"), condition=Q(withdrawn_at__isnull=True),
                name="publication_one_in_force",
                violation_error_message="この計画・年度はすでに公表中です。",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="publication_withdrawal_has_reason",
                violation_error_message="取り下げの理由を入力してください。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition}の公表"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None
