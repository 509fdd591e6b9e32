"""The 進捗管理シート printed by Chromium: A4 portrait, commentary on paper,
no KGI block split across two sheets, the plan and year on every sheet."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from indicators.models import Actual, Indicator
from tests.browser.helpers import log_in, wcag_violations
from tests.browser.test_print import pdf_pages, squeezed

pytestmark = pytest.mark.django_db(transaction=True)

# A4 portrait in PostScript points (210 mm × 297 mm).
A4_PORTRAIT = (595.28, 841.89)
ISE2_SHEET = "/plans/ise-2/print/2026/sheet/"
ISE1_SHEET = "/plans/ise-1/print/2025/sheet/"
# Sentences of the length departments write, from one line to a paragraph.
SENTENCE = "庁内の各課と連携し、研修と周知を計画どおり実施した。"


def progress_token(position: int) -> str:
    return f"【取組{position:02d}】"


def direction_token(position: int) -> str:
    return f"【方向{position:02d}】"


def comment_ise2() -> list[str]:
    """Give each of ise-2's sixteen KGIs an R8 actual and commentary; return their codes.

    Each comment starts with a token naming its KGI's No. (【取組05】,
    【方向05】), a whole word in the PDF's text; the lengths vary from a
    line to a long paragraph, so the blocks differ in height and the
    page breaks fall in different places.
    """
    codes = []
    for indicator in Indicator.objects.filter(plan__code="ise-2").order_by("position"):
        position = indicator.position
        Actual.objects.create(
            indicator=indicator, fiscal_year=2026,
            value=indicator.baseline if indicator.baseline is not None else Decimal(10),
            value_places=indicator.baseline_places,
            progress=progress_token(position) + SENTENCE * (1 + position % 5 * 3),
            analysis="" if position % 4 == 0 else SENTENCE * (position % 3 + 1),
            direction=direction_token(position) + SENTENCE * (position % 4 + 1),
        )
        codes.append(indicator.code)
    return codes


def print_sheet(page) -> list[tuple[tuple[float, float], str]]:
    page.emulate_media(media="print")
    return pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True))


def pages_with(pages: list[tuple[tuple[float, float], str]], token: str) -> list[int]:
    """Return the 1-based numbers of the pages whose text holds ``token``."""
    token = squeezed(token)
    return [number for number, (_size, text) in enumerate(pages, start=1)
            if token in squeezed(text)]


def assert_a4_portrait_headed(pages, heading: str) -> None:
    for number, ((width, height), text) in enumerate(pages, start=1):
        assert abs(width - A4_PORTRAIT[0]) <= 2 and abs(height - A4_PORTRAIT[1]) <= 2
        # The plan and year head every sheet; the page number is at its foot.
        assert squeezed(heading) in squeezed(text), number
        assert f"{number} / {len(pages)}" in text, number


def test_ise2_commentary_prints_and_no_block_is_split(plans, live_server, page, office_login):
    codes = comment_ise2()
    log_in(page, live_server, office_login, ISE2_SHEET)
    pages = print_sheet(page)
    print("ise-2 sheet:", len(pages), "pages")
    assert len(pages) >= 4
    assert_a4_portrait_headed(pages, "第2期伊勢市デジタル行政推進ビジョン令和8年度(2026)進捗管理シート")
    found = []
    for position, code in enumerate(codes, start=1):
        on = pages_with(pages, code)
        assert len(on) == 1, f"{code} on pages {on}"
        # The block's first comment and its last are on the code's page.
        assert pages_with(pages, progress_token(position)) == on, code
        assert pages_with(pages, direction_token(position)) == on, code
        found.append(on[0])
    # In document order, sheet after sheet.
    assert found == sorted(found)
    text = squeezed("".join(text for _size, text in pages))
    assert squeezed(progress_token(4) + SENTENCE * 13) in text
    # ISE2-04, 08, 12 and 16 left 要因分析 blank: 「（未記入）」 on paper.
    assert text.count(squeezed("要因分析（未記入）")) == 4


def test_ise1_prints_every_kgi_once_with_unwritten_comments(plans, live_server, page,
                                                             office_login):
    log_in(page, live_server, office_login, ISE1_SHEET)
    pages = print_sheet(page)
    assert_a4_portrait_headed(pages, "伊勢市デジタル行政推進ビジョン(第1期)令和7年度(2025)進捗管理シート")
    on = []
    for number in range(1, 21):
        code = f"ISE1-{number:02d}"
        found = pages_with(pages, code)
        assert len(found) == 1, f"{code} on pages {found}"
        on.append(found[0])
    assert on == sorted(on)
    # The not-measured reason prints on ISE1-08's sheet.
    assert pages_with(pages, "評価対象外の理由Google Analytics") == [on[7]]
    for _size, text in pages:
        assert squeezed("取組状況（未記入）要因分析（未記入）今後の方向性（未記入）") in squeezed(text)


def test_sheet_passes_axe_wcag_a_and_aa(plans, live_server, page, office_login):
    comment_ise2()
    errors = log_in(page, live_server, office_login, ISE2_SHEET)
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        violations = wcag_violations(page)
        assert violations == [], f"{media}: " + "\n".join(violations)
    # Nothing refused by the Content Security Policy (it reports to the console).
    assert errors == []


def test_print_page_links_to_the_sheet(plans, live_server, page, office_login):
    log_in(page, live_server, office_login, "/plans/ise-1/print/2025/")
    page.get_by_role("link", name=re.compile("進捗管理シート")).click()
    page.wait_for_url(f"**{ISE1_SHEET}")
    assert page.locator("h1").inner_text().endswith("進捗管理シート")
