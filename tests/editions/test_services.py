"""Freezing, publishing and withdrawing (editions.services) on the shipped ise-1 plan."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from editions import services
from editions.models import Edition, FrozenEdition, Publication
from indicators.models import Actual
from plans.models import Plan

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 6, 10, 15, 0, tzinfo=TOKYO)
MEETING = "令和8年6月10日 第1回 伊勢市デジタル推進本部員会議"


def freeze(plan: Plan, name: str = MEETING, year: int = 2025, when: datetime = NOW) -> Edition:
    return services.freeze_edition(
        plan=plan, fiscal_year=year, meeting_name=name, meeting_date=when.date(),
        user=None, now=when,
    )


@pytest.fixture
def ise1(plans) -> Plan:
    return Plan.objects.get(code="ise-1")


def kgi(edition: Edition, code: str) -> dict:
    return next(row for row in edition.data["kgis"] if row["code"] == code)


@pytest.mark.django_db
def test_freeze_keeps_the_documents_figures_and_evaluations(ise1):
    edition = freeze(ise1)
    assert (edition.number, edition.fiscal_year, edition.meeting_name) == (1, 2025, MEETING)
    data = edition.data
    assert data["municipality"]["lg_code"] == "242039"
    assert data["fiscal_year_label"] == "令和7年度（2025）"
    assert len(data["kgis"]) == 20
    # The document's own table: ISE1-01 142件 against 120件, 達成 118.3%.
    first = kgi(edition, "ISE1-01")["row"]
    assert (first["actual_label"], first["target_label"]) == ("142件", "120件《累計》")
    assert first["evaluation_label"] == "達成《達成率：118.3%》"
    assert first["confirmed"] is True and first["outlook"] is False
    # ise-1's document prints no 現状値.
    assert (kgi(edition, "ISE1-01")["baseline"], kgi(edition, "ISE1-01")["baseline_label"]) == (
        None, "－")
    assert data["counts"]["line"] == "達成 12 / 未達成 7 / 未入力 0 / 評価対象外 1（達成割合 63.2%）"
    # The link to the later plan travels with the KGI.
    assert kgi(edition, "ISE1-01")["continued_by"]["code"] == "ISE2-13"
    assert data["changes"] == [] and data["previous"] is None
    assert edition.workbook_name.endswith("_評価表_令和7年度.xlsx")
    assert bytes(edition.workbook)[:2] == b"PK"
    assert services.digest_of(edition) == edition.digest


@pytest.mark.django_db
def test_the_baseline_travels_with_each_kgi(plans):
    edition = freeze(Plan.objects.get(code="ise-2"), year=2026)
    first = kgi(edition, "ISE2-01")
    assert (first["baseline"], first["baseline_label"], first["baseline_year"]) == (
        "24.0000", "24.0%", 2025)
    # The year has no actual yet: nothing to publish, nothing evaluated.
    assert (first["row"]["actual"], first["row"]["confirmed"]) == (None, False)


@pytest.mark.django_db
def test_an_edition_never_changes_whatever_the_data_does(ise1):
    edition = freeze(ise1)
    saved = (edition.data, bytes(edition.workbook), edition.digest)
    actual = Actual.objects.get(indicator__code="ISE1-01", fiscal_year=2025)
    actual.value = Decimal("99")
    actual.progress = "後から書いた取組状況"
    actual.save()
    again = Edition.objects.get(pk=edition.pk)
    assert (again.data, bytes(again.workbook), again.digest) == saved
    assert kgi(again, "ISE1-01")["row"]["actual_label"] == "142件"
    assert services.digest_of(again) == again.digest


@pytest.mark.django_db
def test_a_frozen_edition_cannot_be_edited_or_deleted(ise1):
    edition = freeze(ise1)
    edition.meeting_name = "書き換え"
    with pytest.raises(FrozenEdition, match="変更・削除できません"):
        edition.save()
    with pytest.raises(FrozenEdition):
        edition.delete()
    assert Edition.objects.get(pk=edition.pk).meeting_name == MEETING


@pytest.mark.django_db
def test_the_next_edition_lists_what_changed(ise1):
    freeze(ise1)
    actual = Actual.objects.get(indicator__code="ISE1-01", fiscal_year=2025)
    actual.value = Decimal("100")
    actual.analysis = "要因を追記"
    actual.save()
    second = freeze(ise1, name="第2回", when=datetime(2026, 9, 1, 10, tzinfo=TOKYO))
    assert second.number == 2
    assert second.data["previous"]["number"] == 1
    changes = {(c["code"], c["field"]): (c["before"], c["after"]) for c in second.data["changes"]}
    assert changes[("ISE1-01", "実績値")] == ("142件", "100件")
    assert changes[("ISE1-01", "評価")] == ("達成《達成率：118.3%》", "未達成《達成率：83.3%》")
    assert changes[("ISE1-01", "要因分析")] == ("（未記入）", "要因を追記")
    assert {code for code, _field in changes} == {"ISE1-01"}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "year", "message"), [
    ("   ", 2025, "会議名を入力してください"),
    ("x" * 201, 2025, "200文字以内"),
    (MEETING, 2026, "計画期間外"),
])
def test_a_freeze_that_cannot_be_done_is_refused_whole(ise1, name, year, message):
    with pytest.raises(services.EditionRefused, match=message):
        freeze(ise1, name=name, year=year)
    assert not Edition.objects.exists()
    assert not Edition.history.model.objects.exists()


@pytest.mark.django_db
def test_a_failed_freeze_writes_nothing(ise1, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(services.rendering, "render_pages", broken)
    with pytest.raises(RuntimeError):
        freeze(ise1)
    assert not Edition.objects.exists()


@pytest.mark.django_db
def test_freezing_is_in_the_audit_trail(ise1, django_user_model):
    user = django_user_model.objects.create_user("office")
    edition = services.freeze_edition(
        plan=ise1, fiscal_year=2025, meeting_name=MEETING, meeting_date=date(2026, 6, 10),
        user=user, now=NOW,
    )
    record = edition.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+", user, f"会議資料版の作成：{MEETING}"
    )
    assert not hasattr(record, "workbook")


@pytest.mark.django_db
def test_publishing_a_later_edition_withdraws_the_earlier_saying_why(ise1):
    first = freeze(ise1)
    published = services.publish_edition(edition=first, user=None, with_comments=False, now=NOW)
    with pytest.raises(services.EditionRefused, match="すでに公表中"):
        services.publish_edition(edition=first, user=None, with_comments=False, now=NOW)
    second = freeze(ise1, name="第2回")
    services.publish_edition(edition=second, user=None, with_comments=True, now=NOW)
    published.refresh_from_db()
    assert published.withdrawn_at == NOW
    assert published.withdrawal_reason == "第2版（第2回）の公表により差し替え"
    in_force = Publication.objects.get(withdrawn_at__isnull=True)
    assert (in_force.edition, in_force.with_comments) == (second, True)
    reasons = list(Publication.history.model.objects.order_by("history_id").values_list(
        "history_type", "history_change_reason"))
    assert reasons == [
        ("+", "公表"), ("~", "公表の取り下げ：第2版（第2回）の公表により差し替え"),
        ("+", "公表（取組状況・要因分析・今後の方向性を含む）"),
    ]


@pytest.mark.django_db
def test_withdrawal_needs_a_reason_and_a_current_page(ise1):
    publication = services.publish_edition(
        edition=freeze(ise1), user=None, with_comments=False, now=NOW
    )
    with pytest.raises(services.EditionRefused, match="理由を入力"):
        services.withdraw_publication(
            publication=publication, seen_version=publication.version, user=None,
            reason="  ", now=NOW,
        )
    with pytest.raises(services.EditionRefused, match="開き直して"):
        services.withdraw_publication(
            publication=publication, seen_version=publication.version - 1, user=None,
            reason="誤り", now=NOW,
        )
    publication.refresh_from_db()
    assert publication.in_force
    services.withdraw_publication(
        publication=publication, seen_version=publication.version, user=None,
        reason="数値の誤りが見つかったため", now=NOW,
    )
    publication.refresh_from_db()
    assert (publication.in_force, publication.withdrawal_reason) == (False, "数値の誤りが見つかったため")
    with pytest.raises(services.EditionRefused, match="すでに取り下げ"):
        services.withdraw_publication(
            publication=publication, seen_version=publication.version, user=None,
            reason="もう一度", now=NOW,
        )


@pytest.mark.django_db
def test_the_database_keeps_one_publication_in_force_per_plan_year(ise1):
    edition = freeze(ise1)
    services.publish_edition(edition=edition, user=None, with_comments=False, now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Publication.objects.create(
            edition=edition, plan=ise1, fiscal_year=2025, published_at=NOW,
        )


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("two connections at once: PostgreSQL (SQLite's test database is one "
                    "shared in-memory database that refuses a second writer outright)")


def workbook_texts(edition: Edition) -> list[str]:
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(bytes(edition.workbook)))["評価表"]
    return [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]


@pytest.mark.django_db(transaction=True)
def test_an_edit_committed_during_a_freeze_is_in_none_of_its_parts(plans, monkeypatch):
    """The snapshot and the 評価表 are read at different moments of the freeze.

    Another connection commits a new value for ISE1-01 after the snapshot
    and before the workbook: both must still show 142件, the one state the
    freeze began with (REPEATABLE READ on PostgreSQL).
    """
    postgresql_only()
    plan = Plan.objects.get(code="ise-1")
    original = services.snapshot.build

    def build_then_someone_edits(**kwargs):
        data = original(**kwargs)

        def edit() -> None:
            Actual.objects.filter(indicator__code="ISE1-01", fiscal_year=2025).update(
                value=Decimal("99"))
            connection.close()

        other = threading.Thread(target=edit)
        other.start()
        other.join(timeout=30)
        return data

    monkeypatch.setattr(services.snapshot, "build", build_then_someone_edits)
    edition = freeze(plan)
    assert Actual.objects.get(indicator__code="ISE1-01", fiscal_year=2025).value == 99
    assert kgi(edition, "ISE1-01")["row"]["actual_label"] == "142件"
    texts = workbook_texts(edition)
    assert any(text.startswith("142") for text in texts)
    assert not any(text.startswith("99件") or text == "99" for text in texts)


@pytest.mark.django_db(transaction=True)
def test_two_freezes_at_once_get_two_numbers(plans):
    """Committed data, two connections: the plan's lock numbers the editions 1 and 2."""
    postgresql_only()
    plan = Plan.objects.get(code="ise-1")
    barrier = threading.Barrier(2)
    numbers, errors = [], []

    def run(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            numbers.append(freeze(plan, name=name).number)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("会議A", "会議B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(numbers) == [1, 2]
    assert sorted(Edition.objects.values_list("number", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_a_page_opened_before_a_later_publication_cannot_put_an_older_edition_back(ise1):
    """Two offices: B publishes 第2版 while A's page of 第1版 still shows none in force."""
    first, second = freeze(ise1), freeze(ise1, name="第2回")
    shown_to_a = 0  # A's page: nothing published for the year
    services.publish_edition(edition=second, user=None, with_comments=False, now=NOW,
                             seen_in_force=0)
    with pytest.raises(services.EditionRefused, match="いま：第2版が公表中"):
        services.publish_edition(edition=first, user=None, with_comments=False, now=NOW,
                                 seen_in_force=shown_to_a)
    assert Publication.objects.get(withdrawn_at__isnull=True).edition == second
    # Reopened, A sees 第2版 in force and may replace it knowingly.
    current = Publication.objects.get(withdrawn_at__isnull=True)
    services.publish_edition(edition=first, user=None, with_comments=False, now=NOW,
                             seen_in_force=current.pk)
    assert Publication.objects.get(withdrawn_at__isnull=True).edition == first


def test_publishing_needs_the_citys_code(plans):
    from plans.models import Municipality

    Municipality.objects.filter(code="ise").update(lg_code="")
    edition = freeze(Plan.objects.get(code="ise-1"))
    with pytest.raises(services.EditionRefused, match="全国地方公共団体コードが登録されていない"):
        services.publish_edition(edition=edition, user=None, with_comments=False, now=NOW)
    assert not Publication.objects.exists()
