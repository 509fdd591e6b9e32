"""Meeting editions in a real Chromium: freezing by keyboard, axe-core, the mark on paper."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from editions import services
from editions.models import Edition
from indicators.models import Actual
from plans.models import Plan
from tests.browser.helpers import log_in, wcag_violations

pytestmark = pytest.mark.django_db(transaction=True)

TOKYO = ZoneInfo("Asia/Tokyo")
LIST = "/editions/plans/ise-1/"
MEETING = "令和8年6月10日 第1回 伊勢市デジタル推進本部員会議"


def tab_to(page, selector: str, text: str = "", limit: int = 80) -> None:
    """Press Tab until ``selector`` (holding ``text``) has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "([s, t]) => document.activeElement.matches(s)"
            " && document.activeElement.textContent.includes(t)",
            [selector, text],
        ):
            return
    raise AssertionError(f"{selector} {text} never got the focus by Tab")


def freeze(name: str, when: datetime) -> Edition:
    return services.freeze_edition(
        plan=Plan.objects.get(code="ise-1"), fiscal_year=2025, meeting_name=name,
        meeting_date=when.date(), user=None, now=when,
    )


def test_the_office_freezes_an_edition_by_keyboard_only(plans, live_server, page, office_login):
    errors = log_in(page, live_server, office_login, LIST)
    tab_to(page, "#id_fiscal_year")
    page.keyboard.type("令和7")
    tab_to(page, "#id_meeting_name")
    page.keyboard.type(MEETING)
    tab_to(page, "#id_meeting_date")
    # Headless Chromium orders the date input's fields month, day, year
    # whatever the page's locale; each moves on to the next when full.
    page.keyboard.type("06102026")
    tab_to(page, "button[type=submit]", "この内容で会議資料版を作成する")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "何も作成していません" not in page.inner_text("main"), page.inner_text("main")
    page.wait_for_url(re.compile(r".*/editions/\d+/$"))
    edition = Edition.objects.get()
    assert (edition.fiscal_year, edition.meeting_name, edition.meeting_date.isoformat()) == (
        2025, MEETING, "2026-06-10"
    )
    assert "を作成しました" in page.inner_text("main")
    # From the edition to its print page, by keyboard.
    tab_to(page, "a", "印刷用ページ（KGI進捗状況一覧")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/editions/{edition.pk}/print/")
    assert f"会議資料版（第1版・{MEETING}）" in page.inner_text("main")
    assert errors == []


def test_the_edition_pages_pass_axe_wcag_a_and_aa(plans, live_server, page, office_login):
    freeze(MEETING, datetime(2026, 6, 10, 15, tzinfo=TOKYO))
    actual = Actual.objects.get(indicator__code="ISE1-01", fiscal_year=2025)
    actual.value = Decimal("99")
    actual.save()
    second = freeze("第2回", datetime(2026, 9, 1, 10, tzinfo=TOKYO))
    services.publish_edition(edition=second, user=None, with_comments=False,
                             now=datetime(2026, 9, 2, tzinfo=TOKYO))
    errors = log_in(page, live_server, office_login, LIST)
    for path in (LIST, f"/editions/{second.pk}/", f"/editions/{second.pk}/print/",
                 f"/editions/{second.pk}/sheet/", f"/editions/{second.pk}/changes/"):
        page.goto(f"{live_server.url}{path}")
        assert wcag_violations(page) == [], path
    assert errors == []


def test_the_change_mark_prints_in_greyscale(plans, live_server, page, office_login):
    from pypdf import PdfReader

    freeze(MEETING, datetime(2026, 6, 10, 15, tzinfo=TOKYO))
    actual = Actual.objects.get(indicator__code="ISE1-01", fiscal_year=2025)
    actual.value = Decimal("99")
    actual.save()
    second = freeze("第2回", datetime(2026, 9, 1, 10, tzinfo=TOKYO))
    log_in(page, live_server, office_login, f"/editions/{second.pk}/print/")
    page.emulate_media(media="print")
    # The mark is a word and a black border, not a colour: greyscale paper
    # keeps both (a CSS grayscale filter would print the page as an image,
    # so the PDF's text is read as printed).
    row = page.locator("tr.kgi-changed")
    assert row.count() == 1
    border = row.locator("th").first.evaluate(
        "e => [getComputedStyle(e).borderLeftWidth, getComputedStyle(e).borderLeftColor]"
    )
    assert float(border[0].removesuffix("px")) >= 4 and border[1] == "rgb(0, 0, 0)"
    pdf = page.pdf(prefer_css_page_size=True)
    text = "".join(
        unicodedata.normalize("NFKC", sheet.extract_text())
        for sheet in PdfReader(io.BytesIO(pdf)).pages
    )
    squeezed = re.sub(r"\s+", "", text)
    assert "◆変更あり" in squeezed
    # pypdf reads the middle dot 「・」 as 「‧」.
    assert "会議資料版(第2版" in squeezed and "第2回)" in squeezed
    assert "前回の版(第1版:" in squeezed
