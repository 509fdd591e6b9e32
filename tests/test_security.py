"""Hardening: login throttling, sessions, production settings, headers, CSRF, passwords."""

from __future__ import annotations

import ast
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from indicators.models import Actual
from ise_iga_dx.security import client_ip_address, client_username
from tests.helpers import PASSWORD, client_for, form_data, user_with_role, visible_text

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
LOGIN_URLS = ("/accounts/login/", "/admin/login/")
LOCKED = "ログインを一時停止しています"


# --- Login throttling (django-axes) ---------------------------------------


def log_in(client: Client, url: str, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(url, {"username": username, "password": password},
                       REMOTE_ADDR=address)


def fail_five_times(client: Client, url: str, username: str) -> None:
    """Four wrong passwords get the form's error; the fifth, the lockout page."""
    for _ in range(4):
        response = log_in(client, url, username, "wrong-password")
        assert response.status_code == 200
        assert "正しいユーザー名とパスワードを入力してください" in visible_text(response)
    response = log_in(client, url, username, "wrong-password")
    assert response.status_code == 429
    assert LOCKED in visible_text(response)


def age_attempts(username: str, by: timedelta) -> None:
    """Move the recorded failures back in time, as if ``by`` had passed."""
    for attempt in AccessAttempt.objects.filter(username=username):
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - by
        )


@pytest.fixture
def staff(django_user_model):
    """A login that may use both the pages and the admin."""
    django_user_model.objects.create_superuser("kacho", "", PASSWORD)
    django_user_model.objects.create_superuser("kakari", "", PASSWORD)


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_five_wrong_passwords_refuse_even_the_right_one_in_japanese(db, staff, url):
    client = Client()
    fail_five_times(client, url, "kacho")
    response = log_in(client, url, "kacho", PASSWORD)
    assert response.status_code == 429
    text = visible_text(response)
    assert LOCKED in text
    assert "15分たってから、もう一度ログインしてください" in text
    assert "DX推進本部事務局（システム管理者）に連絡してください" in text
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_the_lockout_is_by_name_and_address_together(db, staff, url):
    client = Client()
    fail_five_times(client, url, "kacho")
    assert log_in(client, url, "kacho", PASSWORD).status_code == 429
    # Another user at the same desk, and the same user at another desk.
    assert log_in(Client(), url, "kakari", PASSWORD).status_code == 302
    assert log_in(Client(), url, "kacho", PASSWORD, address="10.0.0.2").status_code == 302


def test_the_lockout_ends_after_15_minutes_and_retrying_does_not_extend_it(db, staff):
    url = LOGIN_URLS[0]
    fail_five_times(Client(), url, "kacho")
    age_attempts("kacho", timedelta(minutes=14))
    assert log_in(Client(), url, "kacho", PASSWORD).status_code == 429
    age_attempts("kacho", timedelta(minutes=1, seconds=1))
    response = log_in(Client(), url, "kacho", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("pages:home")


def test_a_successful_login_forgets_the_failures(db, staff):
    url = LOGIN_URLS[0]
    for _ in range(4):
        log_in(Client(), url, "kacho", "wrong-password")
    assert log_in(Client(), url, "kacho", PASSWORD).status_code == 302
    for _ in range(4):
        log_in(Client(), url, "kacho", "wrong-password")
    assert log_in(Client(), url, "kacho", PASSWORD).status_code == 302


def test_throttling_is_never_permanent(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_ON_SUCCESS is True


def test_behind_the_proxy_the_forwarded_address_counts(settings):
    request = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7",
    )
    assert client_ip_address(request) == "10.0.0.1"
    settings.BEHIND_TLS_PROXY = True
    assert client_ip_address(request) == "198.51.100.7"
    request.META["HTTP_X_FORWARDED_FOR"] = "<script>"
    assert client_ip_address(request) == "10.0.0.1"


def test_axes_records_at_most_its_column_of_a_typed_user_name():
    request = RequestFactory().post("/accounts/login/", {"username": "k" * 300})
    assert client_username(request) == "k" * 255
    assert client_username(request, {"username": "kacho"}) == "kacho"
    assert client_username(RequestFactory().post("/accounts/login/", {})) is None


# --- Sessions --------------------------------------------------------------


def test_sessions_last_a_working_day_and_end_with_the_browser(db, staff, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    client = Client()
    log_in(client, LOGIN_URLS[0], "kacho", PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert client.session.get_expiry_age() == 8 * 60 * 60


def test_an_expired_session_is_sent_to_the_login_page(plans, staff):
    client = Client()
    log_in(client, LOGIN_URLS[0], "kacho", PASSWORD)
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/plans/ise-2/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/plans/ise-2/"


# --- Production settings and secrets ----------------------------------------


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py in a fresh process with ``env`` over a clean environment."""
    names = ("PATH", "HOME", "LANG", "DATABASE_URL")
    base = {name: os.environ[name] for name in names if name in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


def production_env() -> dict[str, str]:
    """The settings of .env.example, with a real random key in place of its placeholder.

    Its DATABASE_URL is left out: the check needs no database.
    """
    env = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        name, equals, value = line.partition("=")
        if equals and not line.startswith("#"):
            env[name.strip()] = value.strip()
    assert env["ALLOWED_HOSTS"] == "kpi.example.lg.jp" and env["HTTPS_ONLY"] == "1"
    del env["DATABASE_URL"]
    return {**env, "SECRET_KEY": secrets.token_urlsafe(50)}


def test_check_deploy_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stderr
    # The one silenced check is security.W021 (HSTS preload; docs/security.md).
    assert "System check identified no issues (1 silenced)." in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_check_deploy_fails_in_development_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_https_only_without_a_secret_key_in_the_environment_refuses_to_start():
    env = production_env()
    del env["SECRET_KEY"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "HTTPS_ONLY=1 needs SECRET_KEY" in result.stderr


def setting(name: str, **env: str) -> str:
    command = f"from django.conf import settings; print(settings.{name})"
    result = manage("shell", "-v", "0", "-c", command,
                    **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_proxy_header_is_trusted_only_when_the_environment_says_so():
    assert setting("SECURE_PROXY_SSL_HEADER") == "None"
    assert setting("SECURE_PROXY_SSL_HEADER", BEHIND_TLS_PROXY="1") == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_the_session_age_can_be_set_from_the_environment():
    assert setting("SESSION_COOKIE_AGE", SESSION_COOKIE_AGE="3600") == "3600"


def test_the_settings_hold_no_secret_key():
    tree = ast.parse((ROOT / "ise_iga_dx" / "settings.py").read_text())
    assignments = [
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(getattr(target, "id", "") == "SECRET_KEY" for target in node.targets)
    ]
    assert len(assignments) == 1
    literals = [node.value for node in ast.walk(assignments[0]) if isinstance(node, ast.Constant)]
    assert literals == ["SECRET_KEY"]  # only the environment variable's name


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False)


def test_the_local_key_file_is_git_ignored_and_untracked():
    assert git("check-ignore", "-q", ".secret_key").returncode == 0
    assert git("ls-files", "--error-unmatch", ".secret_key").returncode != 0
    # A key startproject would have written: the prefix and 20+ key characters.
    generated_key = r"django-insecure-[^[:space:]\"'`]{20}"
    assert git("grep", "-l", "-E", "-e", generated_key).stdout == ""


# --- Response headers ---------------------------------------------------------


def policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize("path", [
    "/accounts/login/", "/", "/plans/ise-2/", "/indicators/ISE2-06/", "/admin/",
    "/api/v1/plans/ise-2/status?year=2026", "/exports/plans/ise-2/status/2026.xlsx",
    "/no-such-page/",
])
def test_every_response_has_the_security_headers(plans, admin_client_ja, path):
    response = admin_client_ja.get(path)
    csp = policy(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["img-src"] == ["'self'", "data:"]
    for directive in ("font-src", "connect-src", "base-uri", "form-action"):
        assert csp[directive] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]


def test_a_nul_character_in_the_url_is_refused_before_any_view(plans, admin_client_ja):
    page = admin_client_ja.get("/indicators/ISE2%0001/")
    assert page.status_code == 400
    assert page.content.decode() == "URLに使えない文字（NUL）が含まれています。"
    assert "script-src 'self'" in page["Content-Security-Policy"]
    search = admin_client_ja.get("/admin/indicators/actual/", {"q": "a\x00b"})
    assert search.status_code == 400
    api = admin_client_ja.get("/api/v1/plans/ise-2/status", {"year": "20\x0026"})
    assert api.status_code == 400
    assert api.json() == {"detail": "URLに使えない文字（NUL）が含まれています。"}


def test_the_lockout_page_has_the_security_headers(db, staff):
    client = Client()
    fail_five_times(client, LOGIN_URLS[0], "kacho")
    response = log_in(client, LOGIN_URLS[0], "kacho", PASSWORD)
    assert response.status_code == 429
    assert "script-src 'self'" in response["Content-Security-Policy"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    return [match.group(0) for pattern in (INLINE_SCRIPT, HANDLER, JAVASCRIPT_URL)
            for match in pattern.finditer(html)]


def test_no_template_has_inline_script_or_handlers():
    found = {
        str(path.relative_to(ROOT)): inline_code(path.read_text())
        for path in TEMPLATES.rglob("*.html")
    }
    assert {path: code for path, code in found.items() if code} == {}


def admin_pages() -> list[str]:
    actual = Actual.objects.filter(indicator__code="ISE2-06").first()
    return [
        "/admin/", "/admin/indicators/indicator/", "/admin/indicators/indicator/?q=ISE2",
        f"/admin/indicators/indicator/{actual.indicator_id}/change/",
        f"/admin/indicators/indicator/{actual.indicator_id}/history/",
        "/admin/indicators/actual/", f"/admin/indicators/actual/{actual.pk}/change/",
        f"/admin/indicators/actual/{actual.pk}/history/", "/admin/indicators/actual/add/",
        "/admin/indicators/actual/import/", "/admin/indicators/actual/export/",
        "/admin/indicators/target/import/", "/admin/indicators/indicator/import/",
        "/admin/plans/plan/", "/admin/plans/department/", "/admin/auth/user/add/",
        "/admin/password_change/",
    ]


def test_served_pages_run_no_inline_code(plans, admin_client_ja):
    """The project's, Django admin's, import-export's and simple-history's pages."""
    paths = ["/", "/plans/ise-2/", "/plans/ise-2/print/", "/indicators/ISE2-06/",
             *admin_pages()]
    found = {}
    for path in paths:
        response = admin_client_ja.get(path)
        assert response.status_code == 200, path
        found[path] = inline_code(response.content.decode())
    assert {path: code for path, code in found.items() if code} == {}


def test_the_export_page_override_is_the_original_without_its_handler():
    """templates/admin/import_export/export.html copies a block of the package's.

    After an upgrade of django-import-export this fails until the copy is
    taken again (with the onchange attribute left out).
    """
    import import_export

    original = (Path(import_export.__file__).parent / "templates" / "admin" / "import_export"
                / "export.html").read_text()
    ours = (TEMPLATES / "admin" / "import_export" / "export.html").read_text()

    def content_block(text: str) -> str:
        block = text[text.index("{% block content %}"):].replace("{% endblock content %}",
                                                                 "{% endblock %}")
        return re.sub(r"\s+", " ", block).strip()

    handler = re.compile(r'\s*onchange="onSelectToggleChange\(event\)"')
    assert handler.search(original)
    assert content_block(ours) == content_block(handler.sub("", original))


# --- CSRF ------------------------------------------------------------------------


def csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def test_login_without_a_token_is_refused(db, staff):
    for url in LOGIN_URLS:
        response = csrf_client().post(url, {"username": "kacho", "password": PASSWORD})
        assert response.status_code == 403, url


def test_every_form_post_without_a_token_is_refused(plans, django_user_model):
    user = django_user_model.objects.create_superuser("csrf-office", "", PASSWORD)
    actual = Actual.objects.filter(indicator__code="ISE2-06").first()
    client = csrf_client(user)
    urls = [
        f"/admin/indicators/actual/{actual.pk}/change/", "/admin/indicators/actual/add/",
        "/admin/indicators/actual/import/", "/admin/indicators/actual/process_import/",
        "/admin/indicators/actual/export/",
        f"/admin/indicators/indicator/{actual.indicator_id}/change/",
        "/admin/auth/user/add/", "/admin/password_change/", "/admin/logout/",
        "/accounts/logout/",
    ]
    for url in urls:
        response = client.post(url, {"note": "x", "value": "1"})
        assert response.status_code == 403, url
    assert client.get("/").status_code == 200  # still logged in: the logouts were refused
    actual.refresh_from_db()
    assert actual.note != "x"


FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.IGNORECASE | re.DOTALL)
POST = re.compile(r"""method\s*=\s*["']?post""", re.IGNORECASE)


def test_every_post_form_in_the_templates_has_a_csrf_token():
    forms = [
        (path.relative_to(ROOT), form)
        for path in TEMPLATES.rglob("*.html")
        for form in FORM.findall(path.read_text())
        if POST.search(form.split(">", 1)[0])
    ]
    assert forms, "the logout and login forms at least"
    missing = [str(path) for path, form in forms if "{% csrf_token %}" not in form]
    assert missing == []


# --- Password validators ------------------------------------------------------------


WEAK = [
    ("password", "このパスワードは一般的すぎます。"),
    ("12345678", "このパスワードは数字しか使われていません。"),
    ("kacho-tanaka", "このパスワードは ユーザー名 と似すぎています。"),
    ("Ab3-x9", "このパスワードは短すぎます。最低 8 文字以上必要です。"),
]


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_the_admin_refuses_a_weak_password_for_a_new_user(
    db, admin_client_ja, django_user_model, password, message
):
    url = reverse("admin:auth_user_add")
    data = form_data(admin_client_ja.get(url).content.decode())
    data.update(username="kacho-tanaka", password1=password, password2=password,
                usable_password="true")
    response = admin_client_ja.post(url, data)
    assert response.status_code == 200
    assert message in visible_text(response)
    assert not django_user_model.objects.filter(username="kacho-tanaka").exists()


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_the_admin_refuses_a_weak_password_change(db, admin_client_ja, password, message):
    user = user_with_role(Role.DEPARTMENT, username="kacho-tanaka")
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin_client_ja.post(url, {"password1": password, "password2": password,
                                          "usable_password": "true"})
    assert response.status_code == 200
    assert message in visible_text(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_strong_password_is_accepted(db, admin_client_ja):
    user = user_with_role(Role.DEPARTMENT, username="kacho-tanaka")
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin_client_ja.post(url, {"password1": "Ise-kpi-2026-aki", "password2":
                                          "Ise-kpi-2026-aki", "usable_password": "true"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Ise-kpi-2026-aki")
    assert client_for(user).get("/").status_code == 200
