"""The dashboard on a tablet (768 px) and at 1,280 px in a real Chromium.

The KGI tables keep 状況 (◎○△ in its colour) and 進捗率 inside the
screen: no sideways scrolling to see how a KGI is doing. Screenshots go
to tmp_path; with SCREENSHOTS=1 also to docs/screenshots/ (dashboard.png
at 1,280 px, dashboard-768.png at 768 px).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indicators.models import Actual, Indicator
from tests.browser.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = {1280: "dashboard.png", 768: "dashboard-768.png"}

# Where each KGI row's status and progress cells sit, and what overflows.
LAYOUT = """() => {
    const width = document.documentElement.clientWidth;
    const rows = [...document.querySelectorAll('.kgi-table tbody tr')]
        .filter(row => row.querySelector('td.mark'));
    const box = cell => {
        const rect = cell.getBoundingClientRect();
        return {left: rect.left, right: rect.right, width: rect.width, text: cell.innerText};
    };
    return {
        width,
        pageOverflow: document.documentElement.scrollWidth - width,
        tableOverflow: Math.max(0, ...[...document.querySelectorAll('.table-scroll')]
            .map(region => region.scrollWidth - region.clientWidth)),
        cells: rows.map(row => ({
            status: box(row.querySelector('td.mark')),
            progress: box(row.querySelector('td.progress')),
            headers: [...row.closest('table').querySelectorAll('thead th')]
                .map(th => th.getBoundingClientRect().right <= width + 0.5),
        })),
        achievedColour: getComputedStyle(
            document.querySelector('.kgi-table .status-achieved')).color,
    };
}"""


def open_dashboard(page, live_server, office_login, width: int, path: str) -> dict:
    page.set_viewport_size({"width": width, "height": 1024 if width < 1000 else 900})
    errors = log_in(page, live_server, office_login, path)
    page.wait_for_load_state("load")
    layout = page.evaluate(LAYOUT)
    assert errors == []
    return layout


def assert_status_and_progress_in_view(layout: dict) -> None:
    width = layout["width"]
    assert layout["cells"], "no KGI rows"
    assert layout["pageOverflow"] <= 0
    assert layout["tableOverflow"] <= 1
    for row in layout["cells"]:
        for cell in (row["status"], row["progress"]):
            assert cell["width"] > 30
            assert cell["left"] >= 0 and cell["right"] <= width + 0.5, (cell, width)
        assert all(row["headers"])
    # The colour at a glance: the achieved mark keeps its green.
    assert layout["achievedColour"] == "rgb(27, 94, 32)"


@pytest.mark.parametrize("width", [1280, 768])
def test_ise1_status_and_progress_stay_in_view(plans, live_server, page, office_login, width):
    layout = open_dashboard(page, live_server, office_login, width, "/plans/ise-1/?year=2025")
    assert_status_and_progress_in_view(layout)
    marks = {row["status"]["text"].replace("\n", " ") for row in layout["cells"]}
    assert {"◎ 達成", "△ 未達成"} <= marks
    assert any(text.startswith("○ 未達成") for text in marks)


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_dashboard_screenshots(plans, live_server, page, office_login, width, tmp_path):
    Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
                          value="42.5", value_places=1)
    layout = open_dashboard(page, live_server, office_login, width, "/plans/ise-2/")
    page.wait_for_selector("[data-chart-json='plan-chart'] .main-svg")
    assert_status_and_progress_in_view(layout)
    shot = tmp_path / WIDTHS[width]
    page.screenshot(path=shot)
    assert shot.stat().st_size > 10_000
    if os.environ.get("SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / WIDTHS[width])
    # Scrolled to the table, the status column is on screen too.
    page.locator(".kgi-table td.mark").first.scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / f"table-{width}.png")
