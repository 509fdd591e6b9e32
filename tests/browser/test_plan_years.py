"""The 年度推移 in Chromium: accessible, no sideways page scroll, A4 landscape on paper."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.models import Actual, Indicator
from tests.browser.helpers import log_in, wcag_violations
from tests.browser.test_print import pdf_pages, squeezed

pytestmark = pytest.mark.django_db(transaction=True)

# A4 landscape in PostScript points (297 mm × 210 mm).
A4_LANDSCAPE = (841.89, 595.28)
YEARS = "/plans/ise-2/years/"
CODES = [f"ISE2-{number:02d}" for number in range(1, 17)]
HEADINGS = ["令和8年度(2026)", "令和9年度(2027)", "令和10年度(2028)", "令和11年度(2029)"]
# Where the table's codes and status words sit, and whether the page scrolls sideways.
LAYOUT = """() => {
    const width = document.documentElement.clientWidth;
    const region = document.querySelector('.plan-years__scroll');
    const box = element => {
        const rect = element.getBoundingClientRect();
        return {left: rect.left, right: rect.right, text: element.innerText.trim()};
    };
    return {
        width,
        pageOverflow: document.documentElement.scrollWidth - width,
        regionOverflow: region.scrollWidth - region.clientWidth,
        region: [region.getAttribute('role'), region.getAttribute('tabindex'),
                 document.getElementById(region.getAttribute('aria-labelledby')).innerText],
        codes: [...document.querySelectorAll('.years-table th.code a')].map(box),
        statuses: [...document.querySelectorAll('.years-table .status')].map(box),
    };
}"""


def report_r8_and_r9() -> None:
    """Give each ise-2 KGI with a baseline an R8 actual equal to it (below its
    target), and ISE2-01 an R9 one (57.0% against 60.0%: 未達成《達成率：95.0%》)."""
    for indicator in Indicator.objects.filter(plan__code="ise-2", baseline__isnull=False):
        Actual.objects.create(indicator=indicator, fiscal_year=2026, value=indicator.baseline,
                              value_places=indicator.baseline_places, confirmed=True)
    Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2027,
                          value=Decimal("57.0"), value_places=1, confirmed=True)


def test_axe_finds_nothing_on_screen_or_paper(plans, live_server, page, office_login):
    report_r8_and_r9()
    errors = log_in(page, live_server, office_login, YEARS)
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        violations = wcag_violations(page)
        assert violations == [], f"{media}: " + "\n".join(violations)
    # Nothing refused by the Content Security Policy (it reports to the console).
    assert errors == []


@pytest.mark.parametrize("width", [1280, 768])
def test_the_page_never_scrolls_sideways_and_keeps_codes_and_statuses_in_view(
    plans, live_server, page, office_login, width,
):
    report_r8_and_r9()
    page.set_viewport_size({"width": width, "height": 900})
    errors = log_in(page, live_server, office_login, YEARS)
    layout = page.evaluate(LAYOUT)
    assert layout["pageOverflow"] <= 0
    assert layout["region"][:2] == ["region", "0"]
    assert layout["region"][2].startswith("第2期 伊勢市デジタル行政推進ビジョン")
    # The table fits: nothing hides behind a sideways scroll at either width.
    assert layout["regionOverflow"] <= 1
    assert [code["text"] for code in layout["codes"]] == CODES
    for box in layout["codes"] + layout["statuses"]:
        assert box["left"] >= 0 and box["right"] <= layout["width"] + 0.5, box
    statuses = [box["text"].split()[-1] for box in layout["statuses"]]
    # ISE2-01's R9: the word, not only a colour; the others' R8 equal their targets or not.
    assert "未達成（90%以上）" in statuses
    assert errors == []


def test_the_print_button_prints_without_an_inline_script(plans, live_server, page,
                                                         office_login):
    errors = log_in(page, live_server, office_login, YEARS)
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="この表を印刷する").click()
    assert page.evaluate("window.__printed") is True
    assert errors == []


def test_a4_landscape_pdf_with_every_kgi_and_the_years_on_every_sheet(
    plans, live_server, page, office_login,
):
    report_r8_and_r9()
    log_in(page, live_server, office_login, YEARS)
    page.emulate_media(media="print")
    pages = pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True))
    print("ise-2 年度推移:", len(pages), "pages")
    assert len(pages) >= 2
    on = []
    for number, ((width, height), text) in enumerate(pages, start=1):
        assert abs(width - A4_LANDSCAPE[0]) <= 2 and abs(height - A4_LANDSCAPE[1]) <= 2
        text = squeezed(text)
        # The year headings repeat at the top of every sheet; the page number at its foot.
        for heading in HEADINGS:
            assert heading in text, (number, heading)
        assert f"{number}/{len(pages)}" in text, number
        # No KGI's rows split across sheets: each 目標値 row has its 評価 row on
        # the same sheet (the legend on the first sheet names each word once).
        assert text.count("目標値") == text.count("評価"), number
        on.append([code for code in CODES if code in text])
    # Every KGI once, in document order, sheet after sheet.
    assert [code for codes in on for code in codes] == CODES
    whole = "".join(squeezed(text) for _size, text in pages)
    # ISE2-01: R8 24.0% ÷ 40.0%, R9 57.0% ÷ 60.0%; ISE2-16: 47,272 ÷ 53,000 名.
    assert "評価未達成《達成率:60.0%》△未達成未達成《達成率:95.0%》○未達成(90%以上)--" in whole
    assert "評価未達成《達成率:89.2%》△未達成---" in whole
    # The screen's help and button are not on paper.
    assert "この表を印刷する" not in whole
