"""The yearly reporting round (実績報告) as data: rounds, submissions, returns, mail.

A :class:`Round` asks every department that owns a measure of a plan for
its KGIs' results of one fiscal year, by a deadline. Each department's
answer is a :class:`Submission`, whose state moves only through
:mod:`reporting.services` (the rules: docs/reporting-round.md). A return
(差戻し) carries a comment per KGI (:class:`ReturnNote`). Every e-mail
the round causes is a :class:`Message`, recorded in the same transaction
as the action and sent later by the worker (:mod:`reporting.tasks`).

The values themselves are the KGIs' actuals (``indicators.Actual``): a
round never keeps a second copy of a figure.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from audit.fields import audit_trail
from audit.versions import Versioned
from ise_iga_dx.lib import wareki
from plans.models import Department, Plan


class RoundStatus(models.TextChoices):
    OPEN = "open", "受付中"
    CLOSED = "closed", "締切済"


class Purpose(models.TextChoices):
    """What a round collects: the year's results, or a mid-year outlook (見込み)."""

    ACTUAL = "actual", "実績報告"
    OUTLOOK = "outlook", "見込み報告"


class SubmissionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未着手"
    IN_PROGRESS = "in_progress", "入力中"
    SUBMITTED = "submitted", "提出済"
    RETURNED = "returned", "差戻し"
    CONFIRMED = "confirmed", "確定"


class Round(Versioned):
    """One plan's reporting round for one fiscal year (「令和8年度 実績報告」)."""

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="rounds", verbose_name="計画"
    )
    fiscal_year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(1989), MaxValueValidator(2200)]
    )
    purpose = models.CharField(
        "種類", max_length=16, choices=Purpose.choices, default=Purpose.ACTUAL,
        help_text="実績報告は年度の実績値を、見込み報告は年度途中の見込み（年度末の見通し）を集めます。",
    )
    deadline = models.DateField("提出期限")
    status = models.CharField(
        "状態", max_length=16, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    opened_at = models.DateTimeField("開始日時")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="開始した人",
    )
    closed_at = models.DateTimeField("締切日時", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="締め切った人",
    )

    history = audit_trail("実績報告")

    class Meta:
        verbose_name = "実績報告"
        verbose_name_plural = "実績報告"
        ordering = ("plan", "-fiscal_year")
        constraints = [
            models.UniqueConstraint(
                fields=("plan", "fiscal_year", "purpose"), name="round_unique_year"
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="round_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RoundStatus.values), name="round_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.short_name or self.plan.name} {self.title}"

    @property
    def title(self) -> str:
        """「令和8年度 実績報告」, 「令和8年度 見込み報告」."""
        return f"{wareki.fiscal_year_era(self.fiscal_year)} {self.get_purpose_display()}"

    @property
    def collects_outlook(self) -> bool:
        return self.purpose == Purpose.OUTLOOK

    @property
    def value_word(self) -> str:
        """What the round's values are called: 「実績値」 or 「見込み値」."""
        return "見込み値" if self.collects_outlook else "実績値"

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


class Submission(Versioned):
    """One department's answer to a round: its state, and who moved it when."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="submissions", verbose_name="実績報告"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="submissions",
        verbose_name="所管課",
    )
    status = models.CharField(
        "状態", max_length=16, choices=SubmissionStatus.choices,
        default=SubmissionStatus.NOT_STARTED,
    )
    changed_at = models.DateTimeField("最終更新")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="最終更新者",
    )
    submitted_at = models.DateTimeField("提出日時", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="提出した人",
    )

    history = audit_trail("実績報告の提出")

    class Meta:
        verbose_name = "実績報告の提出"
        verbose_name_plural = "実績報告の提出"
        ordering = ("round", "department")
        constraints = [
            models.UniqueConstraint(
                fields=("round", "department"), name="submission_unique_department"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SubmissionStatus.values), name="submission_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.department}"


class ReturnNote(models.Model):
    """The office's comment on one KGI when it returns a submission (差戻し).

    Append-only: a later return adds notes, an earlier one stays as written.
    The department page shows the notes of the latest return beside the
    field they are about.
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="return_notes",
        verbose_name="提出",
    )
    # By name: the round sits above the KGIs; PROTECT keeps the record.
    indicator = models.ForeignKey(
        "indicators.Indicator", on_delete=models.PROTECT, related_name="+",
        verbose_name="指標", null=True, blank=True,
    )
    comment = models.TextField("差戻しの理由")
    returned_at = models.DateTimeField("差戻し日時")
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="差し戻した人",
    )

    class Meta:
        verbose_name = "差戻しの理由"
        verbose_name_plural = "差戻しの理由"
        ordering = ("submission", "returned_at", "id")

    def __str__(self) -> str:
        return self.comment[:40]


class MessageStatus(models.TextChoices):
    PENDING = "pending", "送信待ち"
    SENT = "sent", "送信済み"
    FAILED = "failed", "送信失敗"


class Message(models.Model):
    """One e-mail to one address, recorded with the action that causes it.

    The worker sends it (:func:`reporting.tasks.send_message`), retrying
    while the SMTP server is unreachable; ``status`` says how far it got.
    ``key`` makes a message unique (a reminder goes once per department
    and day), so running the reminder job twice sends nothing twice.
    """

    key = models.CharField("識別子", max_length=200, unique=True)
    kind = models.CharField("種類", max_length=32)
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="messages", verbose_name="実績報告",
        null=True, blank=True,
    )
    to = models.EmailField("宛先")
    subject = models.CharField("件名", max_length=200)
    body = models.TextField("本文")
    status = models.CharField(
        "状態", max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("送信試行回数", default=0)
    # Set while a worker sends it: another worker leaves it alone until the
    # claim is older than reporting.tasks.CLAIM_TIMEOUT (a worker that died
    # mid-send); then it is sent again, under the same Message-ID.
    claimed_at = models.DateTimeField("送信開始日時", null=True, blank=True)
    last_error = models.TextField("最後のエラー", blank=True)
    created_at = models.DateTimeField("記録日時")
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)

    class Meta:
        verbose_name = "送信メール"
        verbose_name_plural = "送信メール"
        ordering = ("-created_at", "id")
        indexes = [models.Index(fields=["status"], name="message_status_idx")]

    def __str__(self) -> str:
        return f"{self.to} {self.subject}"
