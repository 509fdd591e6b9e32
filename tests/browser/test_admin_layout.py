"""The office's everyday admin screens at 1,280 px (and 768 px), in Chromium.

With the navigation open, every column the office decides on is on
screen without scrolling sideways, and a KGI's actual rows fit the page.
Screenshots go to a temporary directory, or with SCREENSHOTS=1 to
docs/screenshots/ (admin-actuals.png, admin-kgis.png, admin-kgi-page.png).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from indicators.models import Actual, Indicator
from tests.browser.helpers import log_in, wcag_violations

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.django_db(transaction=True)

WIDE, NARROW = 1280, 768
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ACTUAL_COLUMNS = ("指標", "年度", "実績値", "評価", "確定状況")
KGI_COLUMNS = ("指標コード", "項目", "年度", "現状値", "目標値", "実績値", "評価")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    if os.environ.get("SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        return DOCS
    return tmp_path


@pytest.fixture
def entered(plans, office_login) -> Indicator:
    """ISE2-01 with R8 confirmed (the longest 確定状況) and R9 entered with commentary."""
    from django.contrib.auth import get_user_model

    indicator = Indicator.objects.get(code="ISE2-01")
    Actual.objects.create(
        indicator=indicator, fiscal_year=2026, value=Decimal("42.5"), value_places=1,
        confirmed=True, confirmed_at=timezone.now(),
        confirmed_by=get_user_model().objects.get(username=office_login[0]),
        progress="窓口でのオンライン申請の案内を全庁で始めた。",
        analysis="子育て・介護の手続で利用が伸びた。",
        direction="対象手続を広げ、周知を続ける。",
    )
    Actual.objects.create(
        indicator=indicator, fiscal_year=2027, value=Decimal("47.0"), value_places=1,
        progress="入力中の実績値の説明。" * 8,
    )
    return indicator


def header_boxes(page: Page, names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Return each named column header's box, by its visible text."""
    boxes = {}
    for th in page.query_selector_all("#result_list thead th"):
        name = th.inner_text().strip()
        if name in names:
            boxes[name] = th.bounding_box()
    assert set(boxes) == set(names), f"columns missing: {set(names) - set(boxes)}"
    return boxes


def assert_columns_on_screen(page: Page, names: tuple[str, ...]) -> None:
    """Every named header ends inside the viewport and its scroll box: no scrolling."""
    results = page.query_selector(".results")
    visible = results.bounding_box()
    scroll, client = page.evaluate(
        "r => [r.scrollWidth, r.clientWidth]", results
    )
    for name, box in header_boxes(page, names).items():
        right = box["x"] + box["width"]
        assert right <= WIDE, f"{name} ends at {right:.0f} px"
        assert right <= visible["x"] + visible["width"] + 0.5, f"{name} is in the scroll box"
    assert scroll <= client, f"the list scrolls sideways ({scroll} > {client} px)"
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDE


def assert_navigation_open(page: Page) -> None:
    box = page.query_selector("#nav-sidebar").bounding_box()
    assert page.is_visible("#nav-sidebar") and box["x"] >= 0 and box["width"] >= 180


def test_actual_list_shows_every_deciding_column_at_1280(
    entered, live_server, page, office_login, shots
):
    log_in(page, live_server, office_login, "/admin/indicators/actual/")
    assert_navigation_open(page)
    assert_columns_on_screen(page, ACTUAL_COLUMNS)
    assert "確定（" in page.inner_text("#result_list")
    page.screenshot(path=shots / "admin-actuals.png")


def test_kgi_list_shows_every_deciding_column_at_1280(
    entered, live_server, page, office_login, shots
):
    log_in(page, live_server, office_login, "/admin/indicators/indicator/")
    assert_navigation_open(page)
    page.screenshot(path=shots / "admin-kgis.png")
    # With no year chosen (each plan on its default year: ise-1's R7 with
    # its published mismatches, the widest evaluations) and with R8 chosen.
    assert_columns_on_screen(page, KGI_COLUMNS)
    assert "公表値と相違" in page.inner_text("#result_list")
    page.screenshot(path=shots / "admin-kgis.png")
    page.goto(f"{live_server.url}/admin/indicators/indicator/?fiscal_year=2026")
    assert_columns_on_screen(page, tuple(name for name in KGI_COLUMNS if name != "年度"))


def test_kgi_page_actual_rows_fit_1280_and_come_first(
    entered, live_server, page, office_login, shots, tmp_path
):
    log_in(page, live_server, office_login, "/admin/")
    page.goto(f"{live_server.url}/admin/indicators/indicator/{entered.pk}/change/")
    assert_navigation_open(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDE
    group = page.query_selector("#actuals-group")
    box = group.bounding_box()
    assert box["x"] + box["width"] <= WIDE
    rows = page.query_selector_all("#actuals-group .inline-related:not(.empty-form)")
    assert len(rows) == 2
    for row in rows:
        row_box = row.bounding_box()
        assert row_box["x"] + row_box["width"] <= WIDE
        scroll, client = page.evaluate("r => [r.scrollWidth, r.clientWidth]", row)
        assert scroll <= client
    commentary = page.query_selector_all(
        "#actuals-group .inline-related:not(.empty-form) .kpi-commentary textarea"
    )
    assert len(commentary) == 3  # R9's; R8 is confirmed, its commentary is text
    for textarea in commentary:
        area = textarea.bounding_box()
        assert area["x"] + area["width"] <= WIDE and area["width"] >= 400
    # The rows are where the user looks: above the KGI's definition.
    assert box["y"] < page.query_selector("#targets-group").bounding_box()["y"]
    assert box["y"] < page.query_selector("#id_item").bounding_box()["y"]
    # The confirmed R8 reads as printed; R9 is an input.
    first = page.inner_text("#actuals-0")
    assert "令和8年度（2026）" in first and "42.5%" in first and "確定（" in first
    assert not page.is_visible("#actuals-0 input[type=text]")
    assert page.is_visible("input[name=actuals-1-value]")
    page.screenshot(path=shots / "admin-kgi-page.png")
    # The rows' boxes are labelled; the breadcrumbs' links are underlined.
    assert wcag_violations(page) == []
    page.screenshot(path=tmp_path / "admin-kgi-page-full.png", full_page=True)
    # A new row starts on R10, the first year without an actual.
    page.click("#actuals-group .add-row a")
    assert page.input_value("select[name=actuals-2-fiscal_year]") == "2028"


def test_actual_list_at_768_reaches_value_and_evaluation(
    entered, live_server, page, office_login, tmp_path
):
    page.set_viewport_size({"width": NARROW, "height": 900})
    log_in(page, live_server, office_login, "/admin/indicators/actual/")
    page.screenshot(path=tmp_path / "admin-actuals-768.png")
    for name in ("実績値", "評価"):
        header = page.locator("#result_list thead th", has_text=name).first
        header.scroll_into_view_if_needed()
        box = header.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= NARROW, name
    page.goto(f"{live_server.url}/admin/indicators/indicator/{Indicator.objects.get(code='ISE2-01').pk}/change/")
    page.screenshot(path=tmp_path / "admin-kgi-page-768.png", full_page=True)
    page.goto(f"{live_server.url}/admin/indicators/indicator/")
    page.screenshot(path=tmp_path / "admin-kgis-768.png", full_page=True)
