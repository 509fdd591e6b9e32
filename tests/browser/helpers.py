"""What the browser tests share: logging in, and axe-core's verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

WCAG_A_AA = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}


def log_in(page: Page, live_server, office_login: tuple[str, str], path: str = "/") -> list[str]:
    """Open ``path`` through the login form it leads to, as a user would.

    Works for the pages' login and the admin's. Returns a list that fills
    with the console errors the browser reports from then on.
    """
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}{path}")
    page.fill("#id_username", office_login[0])
    page.fill("#id_password", office_login[1])
    page.press("#id_password", "Enter")
    page.wait_for_url(f"**{path}")
    page.wait_for_load_state("load")
    return errors


def wcag_violations(page: Page) -> list[str]:
    """Return one line per WCAG 2.1 A/AA violation axe-core reports."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if WCAG_A_AA & set(violation["tags"])
    ]
