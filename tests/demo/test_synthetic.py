"""Synthetic data for scale tests: generate_synthetic and remove_synthetic."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.roles import Role
from demo.synthetic import PREFECTURE, kind_and_accumulation
from indicators.models import Accumulation, Actual, ActualState, Indicator, Kind, Outlook, Target
from plans.models import BasicPolicy, Department, Measure, Municipality, Plan
from reporting import services
from reporting.models import Message, ReturnNote, Round, Submission
from tests.helpers import client_for, user_with_role

pytestmark = pytest.mark.django_db

N, M, Y = 3, 8, 4
MODELS = (Municipality, Department, Plan, BasicPolicy, Measure, Indicator, Target, Actual)


def generate(*, seed: int = 0) -> str:
    out = StringIO()
    call_command(
        "generate_synthetic", municipalities=N, indicators=M, years=Y, seed=seed, stdout=out
    )
    return out.getvalue()


def remove() -> str:
    out = StringIO()
    call_command("remove_synthetic", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    counted = {model.__name__: model.objects.count() for model in MODELS}
    counted.update({
        f"History{model.__name__}": model.history.model.objects.count()
        for model in MODELS if hasattr(model, "history")
    })
    return counted


def synthetic_actuals():
    return Actual.objects.filter(indicator__plan__municipality__code__startswith="syn-")


@pytest.fixture
def system_client():
    return client_for(user_with_role(Role.SYSTEM, municipality=None, username="kacho"))


def test_counts_are_exactly_as_asked(plans):
    output = generate()
    synthetic = Plan.objects.filter(municipality__code__startswith="syn-")
    assert Municipality.objects.filter(code__startswith="syn-").count() == N
    assert synthetic.count() == N
    assert Indicator.objects.filter(plan__in=synthetic).count() == N * M
    assert Target.objects.filter(indicator__plan__in=synthetic).count() == N * M * Y
    assert synthetic_actuals().count() == N * M * Y
    assert f"実績値 {N * M * Y:,} 件" in output
    assert "合成データを作成しました" in output


def test_labels_and_codes(plans):
    generate()
    municipality = Municipality.objects.get(code="syn-00001")
    assert municipality.name == "合成自治体00001"
    assert municipality.prefecture == PREFECTURE == "（合成データ）"
    plan = Plan.objects.get(code="syn-00001-p")
    assert plan.name.startswith("【合成データ】")
    assert (plan.start_year, plan.end_year) == (2026, 2029)
    codes = list(plan.indicators.values_list("code", flat=True))
    assert codes[:2] == ["SYN00001-001", "SYN00001-002"]


def test_every_kind_accumulation_and_state_is_present(plans):
    generate()
    indicators = Indicator.objects.filter(plan__code__startswith="syn-")
    assert set(indicators.values_list("kind", flat=True)) == set(Kind.values)
    assert set(indicators.values_list("accumulation", flat=True)) == set(Accumulation.values)
    actuals = synthetic_actuals()
    assert set(actuals.values_list("state", flat=True)) == set(ActualState.values)
    assert set(actuals.values_list("confirmed", flat=True)) == {True, False}
    assert actuals.filter(
        state=ActualState.NOT_MEASURED, not_measured_reason__startswith="合成データ"
    ).exists()
    # History before the plan, and the plan's last two years pending.
    assert set(actuals.values_list("fiscal_year", flat=True)) == {2024, 2025, 2026, 2027}
    assert not actuals.filter(fiscal_year__in=(2028, 2029)).exists()


def test_kinds_and_accumulations_cover_every_value_within_four_kgis():
    pairs = [kind_and_accumulation(index) for index in range(4)]
    assert {kind for kind, _ in pairs} == set(Kind.values)
    assert {accumulation for _, accumulation in pairs} == set(Accumulation.values)


def test_a_sample_passes_full_clean(plans):
    generate()
    synthetic = {"plan__code__startswith": "syn-"}
    for indicator in Indicator.objects.filter(**synthetic).order_by("plan", "position")[:M]:
        indicator.full_clean()
        for row in [*indicator.targets.all(), *indicator.actuals.all()]:
            row.full_clean()
    for model in (Plan, BasicPolicy, Measure, Department):
        model.objects.filter(pk__in=model.objects.order_by("-pk")[:3]).first().full_clean()


def test_same_seed_same_values_and_another_seed_differs(plans):
    generate(seed=7)
    first = list(synthetic_actuals().order_by("indicator__code", "fiscal_year")
                 .values_list("state", "value"))
    remove()
    generate(seed=7)
    again = list(synthetic_actuals().order_by("indicator__code", "fiscal_year")
                 .values_list("state", "value"))
    remove()
    generate(seed=8)
    other = list(synthetic_actuals().order_by("indicator__code", "fiscal_year")
                 .values_list("state", "value"))
    assert first == again
    assert first != other


def test_no_history_rows_are_written(plans):
    before = counts()
    generate()
    after = counts()
    for key in before:
        if key.startswith("History"):
            assert after[key] == before[key], key


def test_real_plans_are_untouched_and_show_only_their_own_kgis(plans, system_client):
    real = {
        code: sorted(Indicator.objects.filter(plan__code=code).values_list("code", flat=True))
        for code in ("ise-1", "ise-2", "iga-2")
    }
    real_actuals = list(Actual.objects.filter(indicator__plan__code__in=real)
                        .order_by("pk").values_list("pk", "value", "state"))
    generate()
    for code, indicator_codes in real.items():
        assert sorted(
            Indicator.objects.filter(plan__code=code).values_list("code", flat=True)
        ) == indicator_codes
        response = system_client.get(reverse("pages:plan", args=[code]))
        assert response.status_code == 200
        page = response.content.decode()
        assert "SYN0" not in page and "合成" not in page
    assert list(Actual.objects.filter(indicator__plan__code__in=real)
                .order_by("pk").values_list("pk", "value", "state")) == real_actuals


def test_home_and_synthetic_dashboard_render_with_synthetic_data(plans, system_client):
    generate()
    home = system_client.get(reverse("pages:home"))
    assert home.status_code == 200
    assert "【合成データ】" in home.content.decode()
    for name, args in (
        ("pages:plan", ["syn-00001-p"]),
        ("pages:plan_print", ["syn-00002-p"]),
        ("pages:indicator", ["SYN00003-004"]),
    ):
        assert system_client.get(reverse(name, args=args)).status_code == 200


def test_remove_leaves_exactly_the_real_data(plans):
    before = counts()
    generate()
    assert counts() != before
    output = remove()
    assert counts() == before
    assert f"実績値 {N * M * Y:,} 件" in output
    assert f"自治体 {N} 件" in output


def test_remove_also_deletes_history_of_edited_synthetic_rows(plans):
    generate()
    actual = synthetic_actuals().filter(state=ActualState.MEASURED).first()
    actual.note = "管理画面で編集"
    actual.save()
    plan = Plan.objects.get(code="syn-00001-p")
    plan.short_name = "編集"
    plan.save()
    history_before = Actual.history.model.objects.count()
    output = remove()
    assert "変更履歴 2 件" in output
    assert Actual.history.model.objects.count() == history_before - 1
    assert not Plan.history.model.objects.filter(code="syn-00001-p").exists()


def test_remove_also_deletes_the_rounds_of_synthetic_plans(plans):
    """A round opened on a synthetic plan (as make bench does) goes with it."""
    from datetime import date

    from django.utils import timezone

    before = counts()
    generate()
    plan = Plan.objects.get(code="syn-00001-p")
    office = user_with_role(Role.SYSTEM, municipality=None, username="kacho")
    round_ = services.round_open(plan=plan, fiscal_year=2026, deadline=date(2027, 5, 31),
                                 user=office)
    submission = round_.submissions.get()
    kgi = plan.indicators.first()
    ReturnNote.objects.create(submission=submission, indicator=kgi, comment="合成データ",
                              returned_at=timezone.now(), returned_by=office)
    Message.objects.create(key="synthetic-1", kind="reminder", round=round_,
                           to="dept@example.invalid", subject="件名", body="本文",
                           created_at=timezone.now())
    Outlook.objects.create(indicator=kgi, fiscal_year=2026, state=ActualState.MEASURED,
                           value=1)
    output = remove()
    assert "実績報告 1 件" in output and "提出 1 件" in output and "見込み 1 件" in output
    assert counts() == before
    for model in (Round, Submission, ReturnNote, Message, Outlook):
        assert not model.objects.exists(), model
    for model in (Round, Submission, Outlook):
        assert not model.history.model.objects.exists(), model


def test_remove_also_deletes_the_editions_of_synthetic_plans(plans):
    """make bench freezes and publishes synthetic plans; their editions go with them."""
    from django.utils import timezone

    from editions.models import Edition, Publication
    from editions.services import freeze_edition, publish_edition

    before = counts()
    generate()
    plan = Plan.objects.get(code="syn-00001-p")
    now = timezone.now()
    edition = freeze_edition(plan=plan, fiscal_year=2026, meeting_name="合成", user=None,
                             meeting_date=now.date(), now=now)
    publish_edition(edition=edition, user=None, with_comments=False, now=now)
    output = remove()
    assert "会議資料版 1 件" in output and "公表 1 件" in output
    assert counts() == before
    for model in (Edition, Publication):
        assert not model.objects.exists(), model
        assert not model.history.model.objects.exists(), model


def test_second_run_refuses_and_changes_nothing(plans):
    generate()
    before = counts()
    with pytest.raises(CommandError, match=r"合成データが既にあります.*remove_synthetic"):
        generate()
    assert counts() == before


def test_refuses_when_a_real_municipality_uses_the_prefix(plans):
    Municipality.objects.create(code="syn-real", name="実在市", prefecture="三重県")
    with pytest.raises(CommandError, match="実在の自治体が使っています"):
        generate()
    with pytest.raises(CommandError, match="実在の自治体が使っています"):
        remove()
    assert Municipality.objects.filter(code="syn-real").exists()


def test_remove_refuses_while_a_user_belongs_to_a_synthetic_municipality(plans):
    generate()
    user_with_role(Role.OFFICE, municipality="syn-00001")
    with pytest.raises(CommandError, match="合成自治体に所属する利用者"):
        remove()
    assert Municipality.objects.filter(code="syn-00001").exists()


@pytest.mark.parametrize(
    ("option", "value"), [("municipalities", 0), ("indicators", 1000), ("years", 0)]
)
def test_out_of_range_sizes_are_refused(plans, option, value):
    sizes = {"municipalities": 1, "indicators": 1, "years": 1, option: value}
    with pytest.raises(CommandError, match="指定してください"):
        call_command("generate_synthetic", **sizes, stdout=StringIO())
