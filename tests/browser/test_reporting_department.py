"""The department's page of a round in a real Chromium: keyboard only, axe, a tablet.

デジタル政策課 (ISE2-01 目標 40.0%, ISE2-02, ISE2-03) reports on the
real ise-2 round, opened as in tests/reporting/conftest.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, ActualState, Indicator
from plans.models import Plan
from reporting import services
from reporting.models import SubmissionStatus
from tests.browser.helpers import log_in, wcag_violations
from tests.helpers import PASSWORD, user_with_role
from tests.reporting.conftest import DEADLINE, DIGITAL, OPENED, give_measures

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = ("value", "reason", "progress", "analysis", "direction")
# Where the page's marks sit against the screen, and whether it scrolls sideways.
LAYOUT = """() => {
    const width = document.documentElement.clientWidth;
    const box = element => {
        const rect = element.getBoundingClientRect();
        return {left: rect.left, right: rect.right, text: element.innerText};
    };
    return {
        width,
        overflow: document.documentElement.scrollWidth - width,
        state: box(document.querySelector('.entry-header .submission-status')),
        marks: [...document.querySelectorAll('.entry .status')].map(box),
        blocks: [...document.querySelectorAll('.entry')].map(box),
        inputs: [...document.querySelectorAll('.entry input[type=text], .entry textarea')]
            .map(box),
    };
}"""


@pytest.fixture
def digital(plans):
    """The submission of デジタル政策課, its login, and its three KGIs."""
    plan = Plan.objects.get(code="ise-2")
    give_measures(plan)
    office = user_with_role(Role.OFFICE, username="ise-office")
    user = user_with_role(Role.DEPARTMENT, departments=(DIGITAL,), username="digital")
    round_ = services.round_open(plan=plan, fiscal_year=2026, deadline=DEADLINE, user=office,
                                 now=OPENED)
    submission = round_.submissions.get(department__name=DIGITAL)
    kgis = {k.code: k for k in Indicator.objects.filter(code__in=["ISE2-01", "ISE2-02",
                                                                  "ISE2-03"])}
    return submission, user, kgis


def save_others(submission, user, kgis) -> None:
    """ISE2-02 and ISE2-03 answered before the page opens: the test types ISE2-01."""
    services.entries_save(submission=submission, user=user, seen=submission.version, entries=[
        services.Entry(kgis["ISE2-02"].pk, ActualState.MEASURED, Decimal(22)),
        services.Entry(kgis["ISE2-03"].pk, ActualState.NOT_MEASURED,
                       not_measured_reason="調査を休止"),
    ])


def open_page(page, live_server, user, submission) -> list[str]:
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return log_in(page, live_server, (user.username, PASSWORD),
                  reverse("reporting:submission", args=[submission.pk]))


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.innerText")


def tab_to(page, target: str, limit: int = 40) -> list[str]:
    """Press Tab until ``target`` (an id or a button's words) has focus; return the path."""
    path = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        path.append(focused(page))
        if path[-1] == target:
            return path
    raise AssertionError(f"{target} never got focus: {path}")


def test_keyboard_only_entry_save_evaluation_and_submit(live_server, page, digital):
    submission, user, kgis = digital
    save_others(submission, user, kgis)
    errors = open_page(page, live_server, user, submission)
    first = kgis["ISE2-01"].pk
    tab_to(page, f"value-{first}")
    page.keyboard.type("４５．０")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page) == f"progress-{first}"
    page.keyboard.type("研修を3回実施しました")
    # Then through every field in the page's order to the save button.
    path = tab_to(page, "下書き保存")
    expected = [f"analysis-{first}", f"direction-{first}"] + [
        f"{name}-{kgis[code].pk}" for code in ("ISE2-02", "ISE2-03") for name in FIELDS
    ] + ["下書き保存"]
    assert path == expected
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    main = page.inner_text("main")
    assert "保存しました（1件）" in main
    assert "3件中3件 入力済み" in main
    block = page.locator(".entry", has_text="ISE2-01")
    assert "達成率 112.5%" in block.inner_text()
    assert "達成" in block.locator(".status").inner_text()
    actual = Actual.objects.get(indicator=kgis["ISE2-01"], fiscal_year=2026)
    assert (actual.value, actual.value_places, actual.progress) == (
        Decimal("45.0"), 1, "研修を3回実施しました")

    tab_to(page, "提出する", limit=60)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    main = page.inner_text("main")
    assert "提出しました。DX推進担当が確認します。" in main
    assert "提出済" in page.inner_text(".entry-header")
    assert page.locator(".entry input, .entry textarea").count() == 0
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
    assert errors == []


def test_a_bad_value_is_shown_beside_its_field_and_linked(live_server, page, digital):
    submission, user, kgis = digital
    open_page(page, live_server, user, submission)
    second = kgis["ISE2-02"].pk
    page.fill(f"#value-{second}", "abc")
    with page.expect_navigation():
        page.get_by_role("button", name="下書き保存").click()
    page.wait_for_load_state("load")
    alert = page.get_by_role("alert")
    assert "ISE2-02 実績値：数値として読めません：「abc」" in alert.inner_text()
    assert page.input_value(f"#value-{second}") == "abc"
    # The field names its error to a screen reader.
    field = page.get_by_label("ISE2-02 実績値（名）")
    assert field.get_attribute("aria-invalid") == "true"
    alert.get_by_role("link").first.press("Enter")
    assert page.evaluate("location.hash") == f"#value-{second}"
    assert wcag_violations(page) == []


@pytest.mark.parametrize("width", [1280, 768])
def test_the_page_is_accessible_and_fits_the_screen(live_server, page, digital, width):
    submission, user, kgis = digital
    save_others(submission, user, kgis)
    page.set_viewport_size({"width": width, "height": 1024 if width < 1000 else 900})
    errors = open_page(page, live_server, user, submission)
    assert wcag_violations(page) == []
    layout = page.evaluate(LAYOUT)
    assert layout["overflow"] <= 0
    assert layout["state"]["text"] == "入力中"
    assert layout["state"]["left"] >= 0 and layout["state"]["right"] <= layout["width"]
    assert len(layout["marks"]) == 3
    for mark in layout["marks"] + layout["blocks"] + layout["inputs"]:
        assert mark["left"] >= 0 and mark["right"] <= layout["width"], mark
    assert "評価対象外" in layout["marks"][2]["text"]
    if width == 768:
        # A block per KGI: the three comments stack rather than squeeze.
        lefts = page.evaluate("""() => [...document.querySelector('.entry')
            .querySelectorAll('.entry__comments textarea')]
            .map(textarea => Math.round(textarea.getBoundingClientRect().left))""")
        assert len(lefts) == 3
        assert len(set(lefts)) == 1
    assert errors == []


def test_the_home_banner_and_the_read_only_page_are_accessible(live_server, page, digital):
    submission, user, kgis = digital
    save_others(submission, user, kgis)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    errors = log_in(page, live_server, (user.username, PASSWORD))
    banner = page.get_by_role("region", name="実績報告")
    assert "令和8年度 実績報告：3件中2件 入力済み" in banner.inner_text()
    assert wcag_violations(page) == []
    with page.expect_navigation():
        banner.get_by_role("link").first.click()
    page.wait_for_load_state("load")
    assert "令和8年度 実績報告" in page.inner_text("h1")
    submission.refresh_from_db()
    services.entries_save(submission=submission, user=user, seen=submission.version,
                          entries=[services.Entry(kgis["ISE2-01"].pk, ActualState.MEASURED,
                                                  Decimal(30), progress="途中")])
    submission.refresh_from_db()
    services.submission_submit(submission=submission, user=user, seen=submission.version)
    page.reload()
    assert "提出済みのため変更できません" in page.inner_text("main")
    assert wcag_violations(page) == []
    layout = page.evaluate(LAYOUT)
    assert layout["overflow"] <= 0
    assert layout["state"]["text"] == "提出済"
    assert layout["state"]["right"] <= layout["width"]
    assert errors == []
