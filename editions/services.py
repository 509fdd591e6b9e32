"""The writes of editions and publication: freeze, publish, withdraw.

Each runs in one transaction and refuses, with a Japanese message naming
the reason (:class:`EditionRefused`), anything it cannot do whole.
Publication is audited (simple-history, with the reason); an edition's
history records who froze it.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction

from audit.versions import StaleEdit
from editions import changes, rendering, snapshot
from editions.models import Edition, Publication
from ise_iga_dx.lib import wareki
from plans.models import Plan
from spreadsheets.status_table import status_table, status_table_filename

if TYPE_CHECKING:
    from datetime import date, datetime

    from django.contrib.auth.models import AbstractBaseUser

MEETING_NAME_MAX = 200
# publish_edition without the page's view of the plan-year (commands, tests).
UNCHECKED = object()
FREEZE_ATTEMPTS = 3
REASON_MAX = 500


class EditionRefused(Exception):
    """The freeze, publication or withdrawal cannot be done; the message says why."""


def digest_of(edition: Edition) -> str:
    """Return the SHA-256 of an edition's frozen contents (data, pages, workbook)."""
    sha = hashlib.sha256()
    sha.update(json.dumps(edition.data, ensure_ascii=False, sort_keys=True).encode())
    for html in (edition.dashboard_html, edition.print_html, edition.sheet_html):
        sha.update(b"\0" + html.encode())
    sha.update(b"\0" + bytes(edition.workbook))
    return sha.hexdigest()


def previous_edition(*, plan: Plan, fiscal_year: int) -> Edition | None:
    return Edition.objects.filter(plan=plan, fiscal_year=fiscal_year).order_by("-number").first()


def check_meeting(*, plan: Plan, fiscal_year: int, meeting_name: str) -> str:
    name = " ".join(meeting_name.split())
    if not name:
        raise EditionRefused(
            "会議名を入力してください（例：令和9年6月10日 第1回 伊勢市デジタル推進本部員会議）。"
        )
    if len(name) > MEETING_NAME_MAX:
        raise EditionRefused(
            f"会議名は{MEETING_NAME_MAX}文字以内で入力してください（{len(name)}文字）。"
        )
    if fiscal_year not in plan.fiscal_years:
        raise EditionRefused(
            f"{wareki.fiscal_year_label(fiscal_year)}は{plan.name}の計画期間外です。"
        )
    return name


def repeatable_read() -> None:
    """Read the whole snapshot as of one moment (PostgreSQL; SQLite's transactions already do).

    Must be the transaction's first statement, so only where this call
    opened the transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def freeze_edition(
    *, plan: Plan, fiscal_year: int, meeting_name: str, meeting_date: date,
    user: AbstractBaseUser | None, now: datetime,
) -> Edition:
    """Freeze ``plan`` in ``fiscal_year`` as presented at a meeting; return the edition.

    One transaction: the snapshot, the pages, the 評価表 and the changes
    since the previous edition of the plan-year are read from one state of
    the database, and the edition is written whole or not at all. Two
    freezes of one plan-year at once: the unique number refuses the later
    one, which is then made again from a fresh state (as 第n+1版, with the
    changes since the edition that won).
    """
    name = check_meeting(plan=plan, fiscal_year=fiscal_year, meeting_name=meeting_name)
    outermost = not connection.in_atomic_block
    for attempt in range(1, FREEZE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                if outermost:
                    repeatable_read()
                return write_edition(
                    plan=plan, fiscal_year=fiscal_year, name=name, meeting_date=meeting_date,
                    user=user, now=now,
                )
        except IntegrityError as error:
            if "edition_number_unique" not in str(error):
                raise
            if not outermost or attempt == FREEZE_ATTEMPTS:
                raise EditionRefused(
                    "同じ計画・年度の会議資料版が同時に作成されました。一覧を開き直して確かめてから、"
                    "必要ならもう一度作成してください。"
                ) from error
    raise AssertionError("unreachable")


def write_edition(
    *, plan: Plan, fiscal_year: int, name: str, meeting_date: date,
    user: AbstractBaseUser | None, now: datetime,
) -> Edition:
    """Build and write the edition: everything :func:`freeze_edition` keeps, in its transaction."""
    previous = previous_edition(plan=plan, fiscal_year=fiscal_year)
    data = snapshot.build(plan=plan, fiscal_year=fiscal_year)
    found = changes.compare(previous.data if previous else None, data)
    data["changes"] = found
    data["previous"] = None if previous is None else {
        "number": previous.number, "meeting_name": previous.meeting_name,
        "meeting_date": previous.meeting_date.isoformat(),
    }
    edition = Edition(
        plan=plan, fiscal_year=fiscal_year, number=(previous.number if previous else 0) + 1,
        meeting_name=name, meeting_date=meeting_date, frozen_at=now, frozen_by=user,
        data=data, workbook=status_table(plan=plan, fiscal_year=fiscal_year),
        workbook_name=status_table_filename(plan=plan, fiscal_year=fiscal_year),
    )
    pages = rendering.render_pages(edition=edition, changed=changes.changed_codes(found))
    edition.dashboard_html = pages["dashboard"]
    edition.print_html = pages["print"]
    edition.sheet_html = pages["sheet"]
    edition.digest = digest_of(edition)
    edition._change_reason = f"会議資料版の作成：{name}"
    edition._history_user = user
    edition.save()
    return edition


def publish_edition(
    *, edition: Edition, user: AbstractBaseUser | None, with_comments: bool, now: datetime,
    seen_in_force: int | object = UNCHECKED,
) -> Publication:
    """Publish ``edition``; a publication of the same plan-year in force is withdrawn.

    The withdrawal says which edition replaced it. ``seen_in_force`` is the
    id of the plan-year's publication in force as the page showed it (0:
    none): if another was published or withdrawn since, nothing is done,
    so that a page opened earlier never puts an older edition over a newer
    one unseen.
    """
    municipality = edition.data["municipality"]
    if not municipality.get("lg_code"):
        raise EditionRefused(
            f"{municipality['name']}の全国地方公共団体コードが登録されていないため公表できません。"
            "オープンデータの1列目になるコードです。管理画面の「自治体」で登録してから、"
            "会議資料版を作り直して公表してください。"
        )
    with transaction.atomic():
        Plan.objects.select_for_update().filter(pk=edition.plan_id).first()
        # Locked: a withdrawal of it at the same moment waits, then this
        # sees it withdrawn (or the withdrawal sees it replaced).
        current = Publication.objects.filter(
            plan_id=edition.plan_id, fiscal_year=edition.fiscal_year, withdrawn_at__isnull=True
        ).select_for_update(of=("self",)).select_related("edition").first()
        if current is not None and current.edition_id == edition.pk:
            raise EditionRefused(f"{edition}はすでに公表中です。")
        if seen_in_force is not UNCHECKED and seen_in_force != (current.pk if current else 0):
            now_shown = f"第{current.edition.number}版が公表中" if current else "公表中の版なし"
            raise EditionRefused(
                f"このページを開いた後に、この年度の公表が変わっています（いま：{now_shown}）。"
                "ページを開き直して確かめてから、もう一度操作してください。"
            )
        if current is not None:
            try:
                withdraw(
                    publication=current, user=user, now=now,
                    reason=f"第{edition.number}版（{edition.meeting_name}）の公表により差し替え",
                )
            except StaleEdit as error:
                raise EditionRefused(
                    "この年度の公表が、たった今ほかの人に変更されました。"
                    "ページを開き直して確かめてから、もう一度操作してください。"
                ) from error
        publication = Publication(
            edition=edition, plan_id=edition.plan_id, fiscal_year=edition.fiscal_year,
            with_comments=with_comments, published_at=now, published_by=user,
        )
        publication._change_reason = (
            "公表" + ("（取組状況・要因分析・今後の方向性を含む）" if with_comments else "")
        )
        publication._history_user = user
        publication.save()
    return publication


def withdraw(*, publication: Publication, user: AbstractBaseUser | None, reason: str,
             now: datetime) -> None:
    publication.withdrawn_at = now
    publication.withdrawn_by = user
    publication.withdrawal_reason = reason
    publication._change_reason = f"公表の取り下げ：{reason}"
    publication._history_user = user
    publication.save()


def withdraw_publication(
    *, publication: Publication, seen_version: int, user: AbstractBaseUser | None,
    reason: str, now: datetime,
) -> None:
    """Withdraw ``publication`` with ``reason``; refuse a stale page or a blank reason."""
    reason = reason.strip()
    if not reason:
        raise EditionRefused(
            "取り下げの理由を入力してください。理由は変更履歴に残り、公表ページからは消えます。"
        )
    if len(reason) > REASON_MAX:
        raise EditionRefused(
            f"取り下げの理由は{REASON_MAX}文字以内で入力してください（{len(reason)}文字）。"
        )
    with transaction.atomic():
        locked = Publication.objects.select_for_update().get(pk=publication.pk)
        if locked.version != seen_version:
            raise EditionRefused(
                "この公表は、ページを開いた後に変更されています。ページを開き直してください。"
            )
        if not locked.in_force:
            raise EditionRefused("この公表はすでに取り下げられています。")
        try:
            withdraw(publication=locked, user=user, reason=reason, now=now)
        except StaleEdit as error:
            raise EditionRefused(
                "この公表は、ページを開いた後に変更されています。ページを開き直してください。"
            ) from error
