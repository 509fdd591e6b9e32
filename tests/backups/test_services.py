"""The parts of backups.services an operator never sees until they fail:
atomic writing, finding pg_dump, the connection arguments, and a backup
that fails leaving no file behind."""

from __future__ import annotations

import os
import sqlite3
import stat
from typing import TYPE_CHECKING

import pytest
from django.db import connection

from backups.services import BackupError, atomic_file, pg_connection, pg_tool
from tests.backups.conftest import manage, postgres_url

if TYPE_CHECKING:
    from pathlib import Path


# --- Writing the file -------------------------------------------------------


def test_a_completed_file_is_renamed_into_place_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "kgi.backup"
    with atomic_file(path) as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".kgi.backup.")
        temporary.write_bytes(b"SQLite format 3\x00 and the rest")
        assert not path.exists()
    assert list(tmp_path.iterdir()) == [path]
    assert path.read_bytes() == b"SQLite format 3\x00 and the rest"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("stop", [BackupError("pg_dump が失敗しました"), KeyboardInterrupt()],
                         ids=["error", "ctrl-c"])
def test_a_file_stopped_half_way_is_removed(tmp_path, stop):
    with pytest.raises(type(stop)), atomic_file(tmp_path / "kgi.backup") as temporary:
        temporary.write_bytes(b"PGDMP and half of the data")
        raise stop
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_a_backup_that_fails_leaves_no_file(tmp_path):
    """As an operator runs it: a database that is not there, and one that is not
    this app's (the check after writing refuses it and removes the file)."""
    backups = tmp_path / "backups"
    backups.mkdir()
    if connection.vendor == "sqlite":
        missing = tmp_path / "missing.sqlite3"
        with sqlite3.connect(tmp_path / "other.sqlite3") as other:
            other.execute("CREATE TABLE notes (id integer)")
        urls = {f"sqlite:///{missing}": f"データベースファイル {missing} がありません。",
                f"sqlite:///{tmp_path / 'other.sqlite3'}": "このアプリのデータベースのバックアップではありません"}
    else:
        urls = {postgres_url("no_such_database"): 'database "no_such_database" does not exist',
                postgres_url("postgres"): "このアプリのデータベースのバックアップではありません"}
    for url, reason in urls.items():
        failed = manage("backup", str(backups / "kgi.backup"), database_url=url)
        assert failed.returncode == 1
        assert reason in failed.stderr
        assert list(backups.iterdir()) == []
    if connection.vendor == "sqlite":
        assert not missing.exists()


# --- PostgreSQL's tools and connection ----------------------------------------


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_pg_tool_is_the_newest_installed_version(tmp_path, monkeypatch):
    for version in ("9.6", "10", "15"):
        executable(tmp_path / "postgresql" / version / "bin" / "pg_dump")
    (tmp_path / "postgresql" / "16" / "bin").mkdir(parents=True)  # its client not installed
    pattern = str(tmp_path / "postgresql" / "*" / "bin")
    assert pg_tool("pg_dump", pattern=pattern) == str(tmp_path / "postgresql/15/bin/pg_dump")

    on_path = executable(tmp_path / "path" / "pg_restore")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert pg_tool("pg_restore", pattern=pattern) == str(on_path)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(BackupError, match=r"^pg_restore が見つかりません。PostgreSQL の"
                                          r"クライアント（Debian では postgresql-client）"):
        pg_tool("pg_restore", pattern=pattern)


def test_the_password_goes_in_the_environment_never_on_the_command_line(monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "someone else's")
    conninfo, env = pg_connection({
        "NAME": "ise_iga_dx", "USER": "kgi", "PASSWORD": "pa ss'word\\", "HOST": "db.example",
        "PORT": "5433", "OPTIONS": {"sslmode": "verify-full", "isolation_level": 1},
    })
    assert conninfo == ("dbname='ise_iga_dx' host='db.example' port='5433' user='kgi' "
                        "sslmode='verify-full'")
    assert "pa ss" not in conninfo
    assert env["PGPASSWORD"] == "pa ss'word\\"
    assert env["PATH"] == os.environ["PATH"]


def test_a_socket_directory_and_no_password(monkeypatch):
    # Without a password in DATABASE_URL the app's connection (libpq) reads
    # PGPASSWORD from the environment, and so do the tools.
    monkeypatch.setenv("PGPASSWORD", "from the environment")
    conninfo, env = pg_connection({
        "NAME": "it's", "USER": "postgres", "PASSWORD": "", "HOST": "/tmp/pg socket",
        "PORT": "", "OPTIONS": {},
    })
    assert conninfo == r"dbname='it\'s' host='/tmp/pg socket' user='postgres'"
    assert env["PGPASSWORD"] == "from the environment"


def test_a_password_given_in_the_url_query_is_kept_off_the_command_line():
    conninfo, env = pg_connection({
        "NAME": "kgi", "USER": "kgi", "PASSWORD": "", "HOST": "", "PORT": "",
        "OPTIONS": {"password": "from-the-query"},
    })
    assert conninfo == "dbname='kgi' user='kgi'"
    assert env["PGPASSWORD"] == "from-the-query"
