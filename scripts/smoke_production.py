"""Drive the production set-up through nginx, as a browser and an office would.

Run by scripts/smoke_production.sh, which starts PostgreSQL, gunicorn and
nginx from the files under deploy/ and sets the SMOKE_* variables read
below. Standard library only (urllib, http.cookiejar, ssl, html.parser).
Each check prints one line; the first failure ends the run with exit
status 1.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import http.cookiejar
import io
import json
import os
import re
import runpy
import secrets
import signal
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

BASE = os.environ["SMOKE_URL"]  # https://localhost:<port>
HTTP_BASE = os.environ["SMOKE_HTTP_URL"]  # http://localhost:<port>
CA_FILE = os.environ["SMOKE_CA"]
USERNAME = os.environ["SMOKE_USERNAME"]
PASSWORD = os.environ["SMOKE_PASSWORD"]
GUNICORN_LOG = Path(os.environ["SMOKE_GUNICORN_LOG"])
MAX_BYTES = int(os.environ["SMOKE_MAX_BYTES"])  # settings.KPI_IMPORT_MAX_BYTES
ROOT = Path(os.environ["SMOKE_ROOT"])

ONE_YEAR = 365 * 24 * 60 * 60
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A documentation address (RFC 5737), sent as a forged X-Forwarded-For: the
# app must count logins by the address nginx appends, not by this one.
FORGED_ADDRESS = "203.0.113.9"
# One actual, in the columns and the way a department types it.
ACTUALS_CSV = "指標コード,年度,実績値,備考\nISE2-01,R8,42.5%,本番構成の確認\n"


class Failed(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def text(self) -> str:
        data = self.body
        if self.header("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return data.decode("utf-8")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to check, not to follow."""

    def redirect_request(self, *args, **kwargs):
        return None


def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=CA_FILE)


class Browser:
    """Cookies (the session, CSRF) and a Referer, as a browser sends them."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=tls_context()),
            urllib.request.HTTPCookieProcessor(self.cookies),
            NoRedirects(),
        )
        self.plotly_url = ""  # found on the dashboard

    def request(self, method: str, path: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None, base: str = BASE) -> Response:
        url = urllib.parse.urljoin(base, path)
        request = urllib.request.Request(url, data=body, method=method,
                                         headers={"Accept-Language": "ja", **(headers or {})})
        try:
            with self.opener.open(request, timeout=120) as answer:
                return Response(answer.status, answer.headers, answer.read(), url)
        except urllib.error.HTTPError as answer:
            return Response(answer.code, answer.headers, answer.read(), url)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, fields: dict[str, str], *, referer: str,
             files: dict[str, tuple[str, bytes]] | None = None,
             headers: dict[str, str] | None = None) -> Response:
        body, content_type = multipart(fields, files or {})
        return self.request("POST", path, body=body, headers={
            "Content-Type": content_type, "Referer": referer, "Origin": BASE, **(headers or {}),
        })

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((cookie for cookie in self.cookies if cookie.name == name), None)


def multipart(fields: dict[str, str],
              files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = "smoke" + secrets.token_hex(12)
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  .encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, data) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                  .encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    # <select> name → option values, in order
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


class Forms(HTMLParser):
    """The page's forms: their action, inputs' values and selects' options."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._option: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        form = self._form
        if tag == "form":
            self._form = Form(a.get("action", ""))
            self.forms.append(self._form)
        elif form is None:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                form.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
            form.choices[self._select] = []
        elif tag == "option" and self._select:
            self._option = a.get("value", "")
            if "selected" in a:
                form.fields[self._select] = self._option

    def handle_data(self, data: str) -> None:
        if self._form and self._select and self._option is not None and data.strip():
            self._form.choices[self._select].append((self._option, data.strip()))
            self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None

    def with_action(self, pattern: str) -> Form:
        for form in self.forms:
            if re.search(pattern, form.action):
                return form
        raise Failed(f"no form posting to {pattern} (forms: {[f.action for f in self.forms]})")


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def gunicorn_log() -> str:
    return GUNICORN_LOG.read_text(encoding="utf-8", errors="replace")


# --- the checks --------------------------------------------------------------


def limits_agree(_: Browser) -> str:
    """The timeouts and size limits of gunicorn, nginx and systemd fit together."""
    site = (ROOT / "deploy/nginx/ise-iga-dx.conf").read_text()
    gunicorn = runpy.run_path(str(ROOT / "deploy/gunicorn.conf.py"))
    service = (ROOT / "deploy/systemd/ise-iga-dx.service").read_text()

    def nginx_value(name: str) -> str:
        values = re.findall(rf"^\s*{name}\s+(\S+);", site, re.M)
        check(len(values) == 1, f"nginx: {name} set {len(values)} times")
        return values[0]

    body = nginx_value("client_max_body_size")
    check(body.endswith("m"), f"client_max_body_size {body}: expected megabytes")
    body_bytes = int(body[:-1]) * 1024 * 1024
    check(MAX_BYTES < body_bytes <= MAX_BYTES + 2 * 1024 * 1024,
          f"client_max_body_size {body} should be the app's {MAX_BYTES:,} bytes plus a little")
    read_timeout = int(nginx_value("proxy_read_timeout").rstrip("s"))
    send_timeout = int(nginx_value("proxy_send_timeout").rstrip("s"))
    check(min(read_timeout, send_timeout) > gunicorn["timeout"],
          f"proxy_read_timeout and proxy_send_timeout must exceed gunicorn's timeout "
          f"{gunicorn['timeout']}s")
    stop = int(re.search(r"^TimeoutStopSec=(\d+)$", service, re.M).group(1))
    check(stop > gunicorn["graceful_timeout"],
          f"TimeoutStopSec={stop} must exceed gunicorn's graceful_timeout")
    megabytes = MAX_BYTES // (1024 * 1024)
    page = (ROOT / "deploy/nginx/errors/413.html").read_text()
    check(f"{megabytes}MBまで" in page, f"deploy/nginx/errors/413.html should say {megabytes}MB")
    return (f"upload {MAX_BYTES:,} B (app) < {body} (nginx); gunicorn timeout "
            f"{gunicorn['timeout']}s < nginx {read_timeout}s; stop {stop}s")


def http_redirects(browser: Browser) -> str:
    response = browser.get("/accounts/login/?next=/plans/", base=HTTP_BASE)
    check(response.status == 301, f"http:// answered {response.status}, not 301")
    location = response.header("Location")
    check(location == "https://localhost/accounts/login/?next=/plans/", f"Location {location}")
    return f"301 → {location}"


def other_hosts_refused(_: Browser) -> str:
    http_port = urllib.parse.urlsplit(HTTP_BASE).port
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Host": "203.0.113.9"})
        answer = connection.getresponse()
        raise Failed(f"http with an unknown Host answered {answer.status}, not nothing (444)")
    except (http.client.RemoteDisconnected, ConnectionResetError):
        pass
    finally:
        connection.close()
    # No certificate check here: only nginx's refusal can fail this handshake.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    https_port = urllib.parse.urlsplit(BASE).port
    connection = http.client.HTTPSConnection("127.0.0.1", https_port, timeout=10,
                                             context=context)
    try:
        connection.request("GET", "/")
        raise Failed("https without a known server name was answered")
    except ssl.SSLError as error:
        reason = error.reason
    finally:
        connection.close()
    return f"http: connection closed; https without SNI: {reason}"


def login_page(browser: Browser) -> str:
    deadline = time.monotonic() + 30
    while True:  # nginx and gunicorn's workers may still be starting
        try:
            # A forged X-Forwarded-Proto: nginx must overwrite it, or
            # Django (HTTPS_ONLY) would redirect to https:// again.
            response = browser.get("/accounts/login/", headers={"X-Forwarded-Proto": "http"})
            break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    check(response.status == 200, f"login page answered {response.status}")
    hsts = response.header("Strict-Transport-Security")
    check("max-age=31536000" in hsts and "includeSubDomains" in hsts, f"HSTS {hsts!r}")
    check("script-src 'self'" in response.header("Content-Security-Policy"), "no CSP header")
    csrf = browser.cookie("csrftoken")
    check(csrf is not None and csrf.secure, "csrftoken cookie missing or not Secure")
    return f"200, HSTS {hsts!r}, Secure csrftoken"


def login(browser: Browser) -> str:
    page = browser.get("/accounts/login/")
    form = Forms(page.text).with_action(r"^(/accounts/login/)?$")
    response = browser.post("/accounts/login/", {
        **form.fields, "username": USERNAME, "password": PASSWORD,
    }, referer=page.url, headers={"X-Forwarded-For": FORGED_ADDRESS})
    check(response.status == 302, f"login answered {response.status}: "
          f"{plain(response.text)[:300]}")
    check(response.header("Location") == "/", f"login went to {response.header('Location')}")
    session = browser.cookie("sessionid")
    check(session is not None, "no session cookie")
    check(session.secure and session.has_nonstandard_attr("HttpOnly"),
          "session cookie not Secure and HttpOnly")
    return "302 → /, sessionid Secure HttpOnly"


def dashboard(browser: Browser) -> str:
    response = browser.get("/plans/ise-2/?year=2026", headers={"Accept-Encoding": "gzip"})
    check(response.status == 200, f"dashboard answered {response.status}")
    check(response.header("Content-Encoding") == "gzip", "dashboard not gzip-compressed")
    html = response.text
    check("伊勢市" in html and "ISE2-01" in html, "dashboard lacks the plan or its KGIs")
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    plotly = [src for src in scripts if "plotly" in src]
    check(plotly, f"no plotly script on the dashboard ({scripts})")
    browser.plotly_url = plotly[0]
    return f"200, {len(response.body):,} B gzip ({len(html.encode()):,} B), plotly {plotly[0]}"


def static_file(browser: Browser) -> str:
    response = browser.get(browser.plotly_url, headers={"Accept-Encoding": "br, gzip"})
    check(response.status == 200, f"{browser.plotly_url} answered {response.status}")
    cache = response.header("Cache-Control")
    age = re.search(r"max-age=(\d+)", cache)
    check("immutable" in cache and age and int(age.group(1)) >= ONE_YEAR,
          f"Cache-Control {cache!r}: not a year, immutable")
    encoding = response.header("Content-Encoding")
    check(encoding in ("br", "gzip"), f"plotly.js sent as {encoding or 'identity'}")
    check("javascript" in response.header("Content-Type"), response.header("Content-Type"))
    check(response.header("X-Content-Type-Options") == "nosniff", "no nosniff on a static file")
    gzipped = browser.get(browser.plotly_url, headers={"Accept-Encoding": "gzip"})
    check(gzipped.header("Content-Encoding") == "gzip", "no gzip copy")
    check(b"plotly.js" in gzip.decompress(gzipped.body)[:2000], "not plotly.js")
    return f"200, {encoding}, {len(response.body):,} B, Cache-Control {cache!r}"


def upload_form(browser: Browser) -> tuple[Response, Form]:
    page = browser.get("/admin/indicators/actual/import/")
    check(page.status == 200, f"import page answered {page.status}")
    return page, Forms(page.text).with_action(r"/admin/indicators/actual/import/$|^$")


def upload(browser: Browser, filename: str, data: bytes, marker: str) -> Response:
    page, form = upload_form(browser)
    fields = dict(form.fields)
    fields.setdefault("format", form.choices.get("format", [("0", "")])[0][0])
    return browser.post(f"/admin/indicators/actual/import/?smoke={marker}", fields,
                        referer=page.url, files={"import_file": (filename, data)})


def admin_import(browser: Browser) -> str:
    started = time.perf_counter()
    preview = upload(browser, "部署回答.csv", ACTUALS_CSV.encode(), "preview")
    check(preview.status == 200, f"preview answered {preview.status}")
    page = plain(preview.text)
    check("取り込み内容の確認：新規 1件" in page, f"no preview of one new row: {page[:600]}")
    preview_s = time.perf_counter() - started
    confirm = Forms(preview.text).with_action(r"/process_import/$")
    check(confirm.fields.get("import_file_name"), "confirm form without the kept file")
    started = time.perf_counter()
    done = browser.post(confirm.action, confirm.fields, referer=preview.url)
    check(done.status == 302, f"confirm answered {done.status}: {plain(done.text)[:600]}")
    confirm_s = time.perf_counter() - started
    listing = browser.get(done.header("Location"))
    check("取り込みました：新規 1件" in plain(listing.text), "no 取り込みました message")
    return f"preview {preview_s:.2f}s, confirm {confirm_s:.2f}s → 取り込みました：新規 1件"


def import_written(browser: Browser) -> str:
    response = browser.get("/api/v1/plans/ise-2/status?year=2026")
    check(response.status == 200, f"API answered {response.status}")
    check(response.header("Content-Type").startswith("application/json"),
          response.header("Content-Type"))
    rows = {row["code"]: row for row in json.loads(response.text)["indicators"]}
    row = rows["ISE2-01"]
    check(row["actual"] == "42.5", f"ISE2-01 2026 actual is {row['actual']!r}, not '42.5'")
    return f"API: ISE2-01 2026 actual {row['actual']}, {row['evaluation']} {row['rate']}"


def download(browser: Browser) -> str:
    response = browser.get("/exports/plans/ise-2/status/2026.xlsx")
    check(response.status == 200, f"download answered {response.status}")
    check(response.header("Content-Type") == XLSX_TYPE, response.header("Content-Type"))
    check(response.body[:4] == b"PK\x03\x04", "not a ZIP file")
    names = zipfile.ZipFile(io.BytesIO(response.body)).namelist()
    check("xl/workbook.xml" in names, "no workbook in the ZIP")
    disposition = response.header("Content-Disposition")
    check(disposition.startswith("attachment"), f"Content-Disposition {disposition!r}")
    filename = urllib.parse.unquote(disposition.partition("''")[2])
    return f"200, {len(response.body):,} B, {XLSX_TYPE}, {filename}"


def upload_over_app_limit(browser: Browser) -> str:
    """Above the app's limit, below nginx's: the app explains, in Japanese."""
    size = MAX_BYTES + 64 * 1024
    response = upload(browser, "大きすぎる.csv", b"x" * size, "over-app-limit")
    check(response.status == 200, f"answered {response.status}")
    check("ファイルが大きすぎます" in plain(response.text), "no 大きすぎます message from the app")
    check("smoke=over-app-limit" in gunicorn_log(), "the request is not in gunicorn's log")
    return f"{size:,} B: the app's form error ファイルが大きすぎます"


def upload_over_nginx_limit(browser: Browser) -> str:
    """Above client_max_body_size: nginx answers 413, gunicorn never sees it."""
    size = MAX_BYTES + 2 * 1024 * 1024
    page, form = upload_form(browser)
    body, content_type = multipart(form.fields, {"import_file": ("巨大.csv", b"x" * size)})
    parts = urllib.parse.urlsplit(BASE)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=60,
                                             context=tls_context())
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)
    try:
        connection.putrequest("POST", "/admin/indicators/actual/import/?smoke=over-nginx-limit")
        for name, value in {"Content-Type": content_type, "Content-Length": str(len(body)),
                            "Cookie": cookies, "Referer": page.url}.items():
            connection.putheader(name, value)
        connection.endheaders()
        # nginx may answer before the whole body is sent.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.send(body)
        answer = connection.getresponse()
        status, text = answer.status, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()
    check(status == 413, f"answered {status}, not 413")
    check("ファイルが大きすぎます" in text, "413 without the Japanese page")
    check("over-nginx-limit" not in gunicorn_log(), "the refused request reached gunicorn")
    return f"{len(body):,} B: 413 from nginx (deploy/nginx/errors/413.html), not in gunicorn's log"


def forwarded_for(browser: Browser) -> str:
    """Logins are counted by the address nginx appends, not a forged one."""
    response = browser.get("/admin/axes/accesslog/")
    check(response.status == 200, f"axes access log answered {response.status}")
    page = plain(response.text)
    check("127.0.0.1" in page, "the login is not logged from 127.0.0.1")
    check(FORGED_ADDRESS not in page, "the login is logged from the forged address")
    log = gunicorn_log()
    check(f'{FORGED_ADDRESS}, 127.0.0.1 "POST /accounts/login/' in log,
          "gunicorn's log lacks the X-Forwarded-For nginx built")
    return f"login logged from 127.0.0.1; X-Forwarded-For '{FORGED_ADDRESS}, 127.0.0.1'"



def log_clean(_: Browser) -> str:
    log = gunicorn_log()
    for bad in ("Traceback", "[ERROR]", "WORKER TIMEOUT"):
        check(bad not in log, f"gunicorn's log has {bad!r}:\n{log[-3000:]}")
    return f"no error in {len(log.splitlines())} lines"


def gunicorn_stopped(browser: Browser) -> str:
    """gunicorn stopped (the last check): nginx answers its own page, in Japanese."""
    pid = int(os.environ["SMOKE_GUNICORN_PID"])  # started by smoke_production.sh
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while True:
        response = browser.get("/")
        if response.status == 502 or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # still stopping
    check(response.status == 502, f"answered {response.status}, not 502")
    check("ただいま応答できません" in response.text, "502 without the Japanese page")
    return "502 with deploy/nginx/errors/50x.html"


CHECKS = [
    ("limits agree", limits_agree),
    ("http → https", http_redirects),
    ("other hosts refused", other_hosts_refused),
    ("login page", login_page),
    ("login", login),
    ("dashboard", dashboard),
    ("static file", static_file),
    ("admin import", admin_import),
    ("import written", import_written),
    ("download", download),
    ("upload over the app's limit", upload_over_app_limit),
    ("upload over nginx's limit", upload_over_nginx_limit),
    ("X-Forwarded-For", forwarded_for),
    ("gunicorn's log", log_clean),
    ("gunicorn stopped", gunicorn_stopped),
]


def main() -> int:
    browser = Browser()
    started = time.perf_counter()
    passed = 0
    for name, function in CHECKS:
        step = time.perf_counter()
        try:
            detail = function(browser)
        except (Failed, OSError, KeyError, ValueError) as error:
            print(f"FAIL  {name}: {type(error).__name__}: {error}", flush=True)
            break
        print(f"ok    {name} ({time.perf_counter() - step:.2f} s): {detail}", flush=True)
        passed += 1
    failed = len(CHECKS) - passed
    print(f"{len(CHECKS)} checks through nginx in {time.perf_counter() - started:.1f} s"
          + (f", {failed - 1} not run after the failure" if failed else ""))
    print(f"smoke: {passed} passed, {min(failed, 1)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
