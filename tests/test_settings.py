"""Settings come from the environment, with safe local defaults."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from ise_iga_dx.settings import BASE_DIR, database_from_url, envbool


def test_sqlite_url_is_relative_to_the_project():
    assert database_from_url("sqlite:///db.sqlite3")["NAME"] == str(BASE_DIR / "db.sqlite3")
    assert database_from_url("sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"


def test_postgres_url_with_password_port_and_socket_directory():
    db = database_from_url("postgres://kpi:p%40ss@db.example:5433/ise?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "kpi", "p@ss", "db.example", "5433", "ise"
    )
    assert db["OPTIONS"] == {"sslmode": "require"}
    socket = database_from_url("postgresql://postgres@/ise?host=/tmp/pg")
    assert (socket["HOST"], socket["OPTIONS"]) == ("/tmp/pg", {})


def test_unknown_database_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url("mysql://x/y")


def test_debug_is_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    assert envbool("DEBUG", "0") is False
    monkeypatch.setenv("DEBUG", "yes")
    assert envbool("DEBUG", "0") is True
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG=maybe"):
        envbool("DEBUG", "0")


def test_the_ui_speaks_japanese_in_tokyo(settings):
    assert settings.LANGUAGE_CODE == "ja"
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.DEBUG is False
