"""The public pages on a phone-sized Chromium: small, accessible, keyboard-only, reflowing.

Cold cache (a new browser context per page), Pixel 5 emulation (Playwright's
descriptor, written out: the session's Playwright object is not at hand).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import caches

from indicators.models import Actual, Indicator
from tests.browser.helpers import wcag_violations
from tests.public.conftest import publish

pytestmark = pytest.mark.django_db(transaction=True)

BUDGET = 300_000
PIXEL_5 = {
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36"
    ),
    "viewport": {"width": 393, "height": 727},
    "screen": {"width": 393, "height": 851},
    "device_scale_factor": 2.75,
    "is_mobile": True,
    "has_touch": True,
}
PLAN_YEAR = "/public/ise/ise-1/2025/"
LONG_VIEW = "/public/ise/ise-1/2025/ISE1-01/"
PAGES = [
    "/public/", "/public/ise/", "/public/ise/ise-1/", PLAN_YEAR, LONG_VIEW,
    "/public/ise/ise-2/2026/ISE2-13/", "/public/accessibility/", "/public/iga/",
]


@pytest.fixture
def published(plans):
    """ise-1 2025 and ise-2 2026 published, ISE2-13's R8 actual confirmed (the long view)."""
    caches["public"].clear()
    Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-13"), fiscal_year=2026,
                          value=Decimal("170"), confirmed=True)
    publish("ise-1", 2025)
    publish("ise-2", 2026)
    yield
    caches["public"].clear()


def transferred(browser, url: str) -> tuple[int, int]:
    """Open ``url`` cold on a Pixel 5; return (bytes transferred, number of requests)."""
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **PIXEL_5)
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_load_state("load")
    total = 0
    for request in finished:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    context.close()
    return total, len(finished)


def test_first_load_on_a_phone_is_within_300_kb(published, live_server, browser, capsys):
    for path in (PLAN_YEAR, LONG_VIEW):
        size, requests = transferred(browser, live_server.url + path)
        with capsys.disabled():
            print(f"\n{path}: {size:,} B transferred in {requests} requests (cold, Pixel 5)")
        assert 0 < size <= BUDGET, (path, size)


def test_every_public_page_is_clean_under_axe_and_reflows(published, live_server, page):
    for width in (320, 640, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        for path in PAGES:
            page.goto(live_server.url + path)
            assert page.get_attribute("html", "lang") == "ja", path
            assert page.locator("script").count() == 0, path
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (width, path, overflow)
            if width == 320 or width == 1280:
                violations = wcag_violations(page)
                assert violations == [], f"{width}px {path}\n" + "\n".join(violations)


FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return [element.getAttribute('href'), style.outlineStyle !== 'none' && style.outlineWidth !== '0px'];
}"""


@pytest.mark.parametrize("path", [PLAN_YEAR, LONG_VIEW])
def test_tab_reaches_every_link_and_download_with_a_visible_focus(
    published, live_server, page, path
):
    page.set_viewport_size({"width": 393, "height": 800})
    page.goto(live_server.url + path)
    links = set(page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"))
    reached: set[str] = set()
    for _ in range(len(links) + 5):
        page.keyboard.press("Tab")
        href, outlined = page.evaluate(FOCUSED)
        if href is not None:
            assert outlined, f"no visible focus on {href}"
            reached.add(href)
    assert links - reached == set()
    assert any(href.endswith(".csv") for href in reached) == (path == PLAN_YEAR)
