"""Settings for ise_iga_dx: one module, configured from the environment.

Every variable has a safe local default so that ``make run`` works on a
fresh machine; production sets ``SECRET_KEY``, ``ALLOWED_HOSTS`` and
``DATABASE_URL`` (see ``.env.example``).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"Unexpected value {name}={value} (use 1 or 0)")


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, object]:
    """Translate ``sqlite:///path`` or ``postgres://…`` into a DATABASES entry.

    A PostgreSQL URL may name a unix-socket directory with ``?host=/dir``.
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///db.sqlite3 is relative to the project, sqlite:////abs absolute.
        name = Path(unquote(parts.path)[1:])
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / name),
            # Every write transaction takes the database's write lock at its
            # start: writers queue instead of both reading a row, then one
            # overwriting the other (audit.versions).
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    if parts.scheme in ("postgres", "postgresql"):
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        host = query.pop("host", None) or unquote(parts.hostname or "")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": host,
            "PORT": str(parts.port or ""),
            "OPTIONS": query,
            "CONN_MAX_AGE": int(os.getenv("CONN_MAX_AGE", "60")),
        }
    raise ImproperlyConfigured(
        f"Unexpected value DATABASE_URL={url} (use sqlite:///… or postgres://…)"
    )


def local_secret_key() -> str:
    """Return a random key kept in a git-ignored file beside the project.

    No secret lives in the repository; production sets SECRET_KEY.
    """
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("DEBUG", "0")
SECRET_KEY = os.getenv("SECRET_KEY") or local_secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "ise_iga_dx.apps.KpiAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "simple_history",
    "axes",
    # The audit trail's shared parts (no models): the bottom layer, imports no app.
    "audit",
    "plans",
    "indicators",
    "pages",
    "spreadsheets",
    # The yearly reporting round: rounds, submissions, returns and their mail.
    "reporting",
    # Meeting editions (会議資料版) and their publication (公表).
    "editions",
    # The public pages and open data: publications in force, no login (/public/).
    "public_site",
    # Background work (the round's e-mail): Django's tasks framework, backported,
    # with its database backend, so a task is written in the transaction that
    # causes it (docs/reporting-round.md).
    "django_tasks",
    "django_tasks_db",
    # After the apps whose permissions its role groups hold (accounts.groups).
    "accounts",
    # seed_plans, create_demo_user and the synthetic data set (no models).
    "demo",
    # Backup and restore of the whole database (no models; docs/operations.md).
    "backups",
    # The admin of every app above (no models): loaded last, so the
    # ModelAdmins it registers find every model and Django's own User admin.
    "office",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Refuses a URL with a NUL character, and a body longer than
    # REQUEST_BODY_MAX_BYTES before anything reads it (413);
    # Content-Security-Policy and Permissions-Policy on every response.
    "ise_iga_dx.security.HardeningMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages go out compressed (a 40-KGI dashboard: 41 kB -> 6 kB); static
    # files, answered by WhiteNoise above, are compressed at collectstatic.
    # Django pads compressed responses against BREACH and masks the CSRF
    # token on every response.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: no-store on every response to a signed-in user
    # (shared office PCs); needs request.user.
    "ise_iga_dx.security.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records request.user as the author of every change (audit trail).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: refuses a throttled login.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a throttled user name and address is refused before
    # the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "ise_iga_dx.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.scope",
            ],
        },
    },
]

WSGI_APPLICATION = "ise_iga_dx.wsgi.application"

DATABASES = {"default": database_from_url(os.getenv("DATABASE_URL", "sqlite:///db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
# Numbers are formatted by the achievement module, as the documents print
# them; Django's own localisation would add separators to years (2,026).
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic writes each file under a name with a hash of its content,
# plus gzip (and, with brotli installed, br) copies, and a manifest;
# {% static %} links the hashed name, which WhiteNoise sends with a
# one-year "immutable" Cache-Control. plotly.min.js (~4.6 MB, ~1.4 MB
# gzipped) is so downloaded once per release, not once per page.
# With DEBUG off a page needs the manifest: `make run` runs collectstatic
# first, and the tests collect into a temporary STATIC_ROOT once per
# session (tests/conftest.py) so that they exercise this storage.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "pages:home"
LOGOUT_REDIRECT_URL = "login"

# ---------------------------------------------------------------------------
# Security (docs/security.md explains each choice)
# ---------------------------------------------------------------------------

# Login throttling (django-axes), on the pages' login and the admin's alike:
# five wrong passwords for one user name from one address refuse that pair
# for 15 minutes. Name and address together, so that someone guessing from
# elsewhere cannot lock a colleague out of their own desk; never permanent,
# so nobody has to wait for the office to unlock them.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A try during the lockout (even with the right password) is refused but
# does not restart the 15 minutes, so the lockout page's promise holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
# The Japanese lockout page (templates/registration/locked_out.html).
AXES_LOCKOUT_CALLABLE = "ise_iga_dx.security.lockout_response"
# REMOTE_ADDR, or behind the TLS proxy the address it forwards.
AXES_CLIENT_IP_CALLABLE = "ise_iga_dx.security.client_ip_address"
# The typed user name, cut to what axes' table holds.
AXES_USERNAME_CALLABLE = "ise_iga_dx.security.client_username"

# Sessions end 8 hours after login (a working day; not extended by use),
# and the cookie goes when the browser closes, so a shared PC does not stay
# logged in. Scripts cannot read it, and other sites' forms do not send it.
SESSION_COOKIE_AGE = int(os.getenv("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Headers of SecurityMiddleware and XFrameOptionsMiddleware (Django's
# defaults, written out because docs/security.md promises them); the
# Content-Security-Policy comes from ise_iga_dx.security.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Production is served over HTTPS only: HTTPS_ONLY=1 (.env.example). Off by
# default so that `make run` works at http://127.0.0.1:8000.
HTTPS_ONLY = envbool("HTTPS_ONLY", "0")
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
# Not preloaded: the browsers' preload list takes a whole registrable domain
# (the city's), which is the city's decision, not this app's, and an entry
# takes months to undo. Django's reminder about it is silenced.
SECURE_HSTS_PRELOAD = False
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if HTTPS_ONLY and not os.getenv("SECRET_KEY"):
    # Every app server must sign with the same key, and a key file written
    # beside the code is lost with the next deployment.
    raise ImproperlyConfigured("HTTPS_ONLY=1 needs SECRET_KEY in the environment")

# BEHIND_TLS_PROXY=1 when a reverse proxy ends TLS and forwards plain HTTP:
# it must set X-Forwarded-Proto (and replace any the client sent) and append
# the client's address to X-Forwarded-For.
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", "0")
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A not-achieved indicator whose shown rate reaches this is marked as near
# (the Ise review singles out 「未達成でも達成率が90%を超える」).
KPI_NEAR_THRESHOLD = os.getenv("KPI_NEAR_THRESHOLD", "90.0")

# The licence of the open data (CSV, JSON, datapackage.json of every
# published plan-year), as a Data Package "licenses" entry: an SPDX id,
# its title and its text's address. CC BY 4.0 by default, which the
# government's standard terms of use (政府標準利用規約 第2.0版) are
# compatible with; a city that chooses another sets all three.
KPI_OPEN_DATA_LICENSE = {
    "name": os.getenv("KPI_OPEN_DATA_LICENSE", "CC-BY-4.0"),
    "title": os.getenv(
        "KPI_OPEN_DATA_LICENSE_TITLE", "クリエイティブ・コモンズ 表示 4.0 国際 ライセンス"
    ),
    "path": os.getenv(
        "KPI_OPEN_DATA_LICENSE_URL", "https://creativecommons.org/licenses/by/4.0/deed.ja"
    ),
}

# Spreadsheet uploads (admin and import_actuals): refused above these. Every
# other limit of an upload (what an .xlsx may inflate to, its cells, its
# rows with the blank ones) is derived from these two by
# spreadsheets.archive.Limits.
KPI_IMPORT_MAX_BYTES = int(os.getenv("KPI_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
KPI_IMPORT_MAX_ROWS = int(os.getenv("KPI_IMPORT_MAX_ROWS", "20000"))
# A request body may be an upload and 1 MB more (the form, the multipart
# headers): HardeningMiddleware answers 413 to a longer Content-Length
# before the body is read; Django refuses form fields past it too.
REQUEST_BODY_MAX_BYTES = KPI_IMPORT_MAX_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# UploadLimitHandler first: past KPI_IMPORT_MAX_BYTES it keeps nothing more
# of a file, whatever the Content-Length said.
FILE_UPLOAD_HANDLERS = [
    "ise_iga_dx.security.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# The upload between an import's preview and its confirmation is kept in
# the cache, which lives in the database: every app server sees it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "ise_iga_dx_cache",
    },
    # The public pages' rendered bytes, keyed by the publications they show
    # (public_site.caching): editions never change, so an entry never goes stale.
    # In the database, so that every worker and app server shares one copy
    # and a publication's pages, rendered when it is published
    # (public_site.warming), are ready for the first citizen. Its table is made
    # by public's migration 0001.
    "public": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "public_page_cache",
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": int(os.getenv("KPI_PUBLIC_CACHE_ENTRIES", "100000"))},
    },
}
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
# Importing needs the explicit "import_<model>" permission, not view access.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# The audit trail (django-simple-history) is a record, not an undo button:
# reverting from the history page would bypass the confirm step's lock.
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}

# The reporting round's mail (reporting.mail, reporting.tasks). Links in a
# message start with SITE_URL (not the request's host: the reminder job has
# no request, and a Host header must never steer a link).
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000")
EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.getenv("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "0")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "0")
EMAIL_TIMEOUT = int(os.getenv("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "kpi-noreply@localhost")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Reminders: this many days before the deadline, and every day after it.
REPORTING_REMIND_DAYS_BEFORE = int(os.getenv("REPORTING_REMIND_DAYS_BEFORE", "3"))
