"""Benchmark: bytes a browser transfers to show a plan's dashboard.

Run by ``make bench`` (or ``python -m benchmarks.transfer``) against the
database DATABASE_URL names (a throw-away SQLite file by default; an empty
database is migrated and given the two real plans with ``seed_plans``).
Budget (issue 6): **the dashboard's repeat load under 150 KB transferred**
(150,000 bytes, DevTools' kB).

The app is served as in production: ``copy_plotly_js`` and
``collectstatic``, then gunicorn with DEBUG=0 on 127.0.0.1 and a free
port, static files sent by WhiteNoise (precompressed, hashed names cached
for a year). A headless Chromium (Debian's, driven by Playwright) logs in
through the login form as a system administrator this benchmark creates
(``bench-transfer``, kept, its password reset to a random one on each
run), and a DevTools (CDP) session adds up what the network
delivered: ``Network.loadingFinished``'s ``encodedDataLength`` (headers
and body as received, compressed if the server compressed), 0 for a
request served from the browser's cache. For each dashboard measured (the
real ``ise-2``, 16 KGIs; and, when the database holds the synthetic
national data, the synthetic plan in the middle, 40 KGIs):

- ``first``: a new browser context, logged in, its cache emptied
  (``Network.clearBrowserCache``, so the login page's style sheet does not
  count as cached), then the dashboard opened;
- ``repeat``: the same context goes to the home page (not counted), then
  opens the dashboard again by an ordinary navigation (``page.goto``);
- ``reload``: the same context reloads the dashboard (``page.reload``,
  Chromium's normal reload: it revalidates the page itself only).

Pages are gzip-compressed by Django's GZipMiddleware and static files
are sent as Brotli or gzip (settings); the what-if this benchmark once
measured (GZipMiddleware added) is now the configuration.

Writes ``benchmarks/results/transfer-<database>.json``::

    {
      "database": "postgresql",
      "budget_repeat_bytes": 150000,
      "chromium": "156.0.8078.79",
      "server": "gunicorn 23.0.0, 2 workers, DEBUG=0",
      "dashboards": [
        {
          "plan": "ise-2", "indicators": 16, "url": "/plans/ise-2/",
          "loads": {
            "first": {
              "bytes": 1499587,        # transferred, headers included
              "body_bytes": 4889563,   # decoded, cached ones included
              "requests": 6,
              "from_cache": 0,         # requests served from the cache
              "resources": [           # in the order they were sent
                {"path": "/plans/ise-2/", "type": "Document",
                 "status": 200, "bytes": 27196, "body_bytes": 26406,
                 "content_encoding": null, "cache_control": null,
                 "from_cache": false},
                {"path": "/static/vendor/plotly/plotly.min.64350c93487d.js",
                 "type": "Script", "status": 200, "bytes": 1464762,
                 "body_bytes": 4851164, "content_encoding": "gzip",
                 "cache_control": "max-age=315360000, public, immutable",
                 "from_cache": false},
                …
              ]
            },
            "repeat": {…}, "reload": {…}
          },
          "within_budget": true       # repeat and reload bytes <= budget
        }
      ]
    }

and prints one summary line to stdout.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from benchmarks.common import ROOT, log, setup_django, write_result

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import Browser, CDPSession, Page, Response

BUDGET_REPEAT_BYTES = 150_000
# Issue 15: a public page's first load on a phone, cold cache, everything included.
BUDGET_PUBLIC_BYTES = 300_000
PHONE = "Pixel 5"
USERNAME = "bench-transfer"
WORKERS = 2
SERVER_START_TIMEOUT = 60
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As tests/browser/conftest.py: without these Chromium tries Google's
# services at start, which this sandbox (and a municipal network) refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]
def prepare(password: str) -> list[dict[str, Any]]:
    """Migrate, load plans if none, collect static files, create the login.

    Return the dashboards to measure: code, URL and KGI count.
    """
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from demo.synthetic import synthetic_municipalities
    from indicators.models import Indicator
    from plans.models import Plan

    # stdout carries only the summary line; the commands' messages go to
    # stderr.
    call_command("migrate", verbosity=0, stdout=sys.stderr)
    if not Plan.objects.exists():
        log("no plans: seed_plans")
        call_command("seed_plans", verbosity=0, stdout=sys.stderr)
    call_command("copy_plotly_js", verbosity=0, stdout=sys.stderr)
    call_command("collectstatic", interactive=False, verbosity=0, stdout=sys.stderr)

    user, _ = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()

    plans = [Plan.objects.get(code="ise-2")]
    synthetic = Plan.objects.filter(
        municipality__in=synthetic_municipalities()).order_by("code")
    count = synthetic.count()
    if count:
        # The plan benchmarks.pages measures: the middle of the data set.
        plans.append(synthetic[count // 2])
    dashboards = [
        {"plan": plan.code, "indicators": Indicator.objects.filter(plan=plan).count(),
         "url": f"/plans/{plan.code}/"}
        for plan in plans
    ]
    connection.close()
    return dashboards


def public_pages() -> list[dict[str, Any]]:
    """Return the public pages to measure: the plan-year and a KGI of one publication.

    The publication of the plan in the middle of the synthetic data set
    (``benchmarks.publication`` published it), else any; none, nothing.
    """
    from django.db import connection
    from django.urls import reverse

    from demo.synthetic import synthetic_municipalities
    from editions.selectors import publications_in_force

    published = publications_in_force().order_by("plan__code")
    synthetic = published.filter(plan__municipality__in=synthetic_municipalities())
    count = synthetic.count()
    publication = synthetic[count // 2] if count else published.first()
    if publication is None:
        connection.close()
        return []
    kwargs = {"municipality": publication.plan.municipality.code,
              "plan": publication.plan.code, "year": publication.fiscal_year}
    code = publication.edition.data["kgis"][0]["code"]
    pages = [
        {"name": "計画・年度のページ", "url": reverse("public:plan_year", kwargs=kwargs)},
        {"name": "指標のページ", "url": reverse("public:indicator",
                                             kwargs={**kwargs, "code": code})},
    ]
    connection.close()
    return pages


def measure_public(browser: Browser, playwright: Any, base: str,
                   page_info: dict[str, Any]) -> dict[str, Any]:
    """A citizen's first load on a phone (no login, cold cache), and a repeat."""
    context = browser.new_context(**playwright.devices[PHONE], locale="ja-JP",
                                  timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        cdp = context.new_cdp_session(page)
        recorder = Recorder(cdp)
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")
        url = base + page_info["url"]
        loads = {"first": measured(page, recorder, lambda: page.goto(url))}
        loads["reload"] = measured(page, recorder, page.reload)
    finally:
        context.close()
    return {**page_info, "device": PHONE, "loads": loads,
            "within_budget": loads["first"]["bytes"] <= BUDGET_PUBLIC_BYTES}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(*, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """Start gunicorn as production runs it and wait until it answers."""
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1",
           "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "ise_iga_dx.settings"}
    with log_path.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "ise_iga_dx.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn ended:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit(
        f"gunicorn did not answer in {SERVER_START_TIMEOUT} s:\n{log_path.read_text()}"
    )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class Recorder:
    """What the DevTools network events say about each request."""

    def __init__(self, cdp: CDPSession) -> None:
        self.requests: dict[str, dict[str, Any]] = {}
        self.recording = False
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", self._cached)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)

    def start(self) -> None:
        self.requests = {}
        self.recording = True

    def stop(self) -> list[dict[str, Any]]:
        self.recording = False
        return list(self.requests.values())

    def _entry(self, event: dict[str, Any]) -> dict[str, Any] | None:
        if not self.recording:
            return None
        return self.requests.get(event["requestId"])

    def _sent(self, event: dict[str, Any]) -> None:
        if not self.recording:
            return
        url = event["request"]["url"]
        if url.startswith("data:"):
            return
        self.requests[event["requestId"]] = {
            "url": url, "type": event.get("type"), "status": None,
            "encoded": 0, "body": 0, "headers": {}, "from_cache": False,
            "finished": False, "failed": None,
        }

    def _cached(self, event: dict[str, Any]) -> None:
        if entry := self._entry(event):
            entry["from_cache"] = True

    def _response(self, event: dict[str, Any]) -> None:
        if entry := self._entry(event):
            response = event["response"]
            entry["status"] = response.get("status")
            entry["headers"] = {k.lower(): v for k, v in response.get("headers", {}).items()}
            if response.get("fromDiskCache") or response.get("fromMemoryCache") \
                    or response.get("fromPrefetchCache"):
                entry["from_cache"] = True

    def _data(self, event: dict[str, Any]) -> None:
        if entry := self._entry(event):
            entry["body"] += event.get("dataLength", 0)

    def _finished(self, event: dict[str, Any]) -> None:
        if entry := self._entry(event):
            entry["encoded"] = event.get("encodedDataLength", 0)
            entry["finished"] = True

    def _failed(self, event: dict[str, Any]) -> None:
        if entry := self._entry(event):
            entry["failed"] = event.get("errorText")
            entry["finished"] = True


def summarise(requests: list[dict[str, Any]]) -> dict[str, Any]:
    resources = []
    for entry in requests:
        parts = urlsplit(entry["url"])
        headers = entry["headers"]
        resources.append({
            "path": parts.path + (f"?{parts.query}" if parts.query else ""),
            "type": entry["type"],
            "status": entry["status"],
            "bytes": 0 if entry["from_cache"] else entry["encoded"],
            "body_bytes": entry["body"],
            "content_encoding": headers.get("content-encoding"),
            "cache_control": headers.get("cache-control"),
            "from_cache": entry["from_cache"],
            **({"failed": entry["failed"]} if entry["failed"] else {}),
        })
    return {
        "bytes": sum(r["bytes"] for r in resources),
        "body_bytes": sum(r["body_bytes"] for r in resources),
        "requests": len(resources),
        "from_cache": sum(r["from_cache"] for r in resources),
        "resources": resources,
    }


def settle(page: Page, recorder: Recorder) -> None:
    """Wait until every recorded request has finished (or 10 s)."""
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        # Playwright delivers CDP events while it waits.
        page.wait_for_timeout(100)
        if all(entry["finished"] for entry in recorder.requests.values()):
            return
    log("warning: some requests did not finish")


def measured(
    page: Page, recorder: Recorder, action: Callable[[], Response | None]
) -> dict[str, Any]:
    """Record what ``action`` (a navigation of ``page``) transfers."""
    recorder.start()
    response = action()
    if response is None or response.status != 200:
        raise SystemExit(f"{page.url}: HTTP {response and response.status}")
    settle(page, recorder)
    return summarise(recorder.stop())


def login(page: Page, base: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/accounts/login/" in page.url:
        raise SystemExit(f"login as {USERNAME} failed")
    page.wait_for_load_state("networkidle")


def measure_dashboard(browser: Browser, base: str, password: str,
                      dashboard: dict[str, Any]) -> dict[str, Any]:
    context = browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        cdp = context.new_cdp_session(page)
        recorder = Recorder(cdp)
        cdp.send("Network.enable")
        login(page, base, password)
        cdp.send("Network.clearBrowserCache")
        url = base + dashboard["url"]
        loads = {"first": measured(page, recorder, lambda: page.goto(url))}
        page.goto(f"{base}/")
        page.wait_for_load_state("networkidle")
        loads["repeat"] = measured(page, recorder, lambda: page.goto(url))
        loads["reload"] = measured(page, recorder, page.reload)
    finally:
        context.close()
    return {
        **dashboard, "loads": loads,
        "within_budget": all(loads[name]["bytes"] <= BUDGET_REPEAT_BYTES
                             for name in ("repeat", "reload")),
    }


def kb(value: int) -> str:
    return f"{value / 1000:,.1f} kB"


def main() -> None:
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        raise SystemExit(
            f"{CHROMIUM} is missing (scripts/apt_install.sh chromium fonts-noto-cjk)."
        )
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        setup_django(scratch)
        from django.db import connection

        vendor = connection.vendor
        password = secrets.token_urlsafe(16)
        log(f"transfer, {vendor}: migrate, collectstatic, login {USERNAME}")
        dashboards = prepare(password)
        public = public_pages()
        port = free_port()
        server = start_server(port=port, log_path=scratch / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        try:
            import gunicorn

            result: dict[str, Any] = {
                "database": vendor,
                "budget_repeat_bytes": BUDGET_REPEAT_BYTES,
                "server": f"gunicorn {gunicorn.__version__}, {WORKERS} workers, DEBUG=0",
                "dashboards": [],
                "budget_public_bytes": BUDGET_PUBLIC_BYTES,
                "public": [],
            }
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                result["chromium"] = browser.version
                try:
                    for dashboard in dashboards:
                        log(f"transfer, {vendor}: {dashboard['url']}")
                        result["dashboards"].append(
                            measure_dashboard(browser, base, password, dashboard))
                    for page_info in public:
                        log(f"transfer, {vendor}: {page_info['url']} ({PHONE})")
                        result["public"].append(
                            measure_public(browser, playwright, base, page_info))
                finally:
                    browser.close()
        finally:
            stop_server(server)

    path = write_result(f"transfer-{vendor}", result)
    log(f"wrote {path}")
    print(f"transfer {vendor}: " + "; ".join(
        f"{d['plan']} first {kb(d['loads']['first']['bytes'])}"
        f" (of {kb(d['loads']['first']['body_bytes'])}),"
        f" repeat {kb(d['loads']['repeat']['bytes'])}, reload {kb(d['loads']['reload']['bytes'])}"
        f" {'≤' if d['within_budget'] else '>'} {kb(BUDGET_REPEAT_BYTES)}"
        for d in result["dashboards"]))
    for page_info in result["public"]:
        print(f"transfer {vendor}: public {page_info['name']} first "
              f"{kb(page_info['loads']['first']['bytes'])} on a {PHONE} "
              f"{'≤' if page_info['within_budget'] else '>'} {kb(BUDGET_PUBLIC_BYTES)}")


if __name__ == "__main__":
    main()
