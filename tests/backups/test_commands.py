"""``manage.py backup`` and ``manage.py restore``: what they write, and what they refuse.

Each test runs on the database of the run (SQLite or PostgreSQL); a file
"of the other engine" is a PostgreSQL dump on SQLite and an SQLite file on
PostgreSQL. The whole round trip is tests/backups/test_drill.py.
"""

from __future__ import annotations

import io
import sqlite3
import stat
import subprocess
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from backups.services import file_kind, pg_connection, pg_tool
from plans.models import Plan
from tests.backups.conftest import manage, postgres_url

# Committed data, as an operator's backup sees it. On SQLite the test
# database's write transaction (BEGIN IMMEDIATE, settings) would hold the
# lock the backup waits for; each test here runs outside one.
pytestmark = pytest.mark.django_db(transaction=True)

if TYPE_CHECKING:
    from pathlib import Path

def backup_of_the_test_database(directory: Path) -> Path:
    path = directory / "kgi.backup"
    call_command("backup", str(path), stdout=io.StringIO())
    return path


def restore_refused(path: Path) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), stdout=io.StringIO())
    return str(refused.value)


def test_backup_writes_one_file_of_the_engine_readable_by_its_owner_only(plans, tmp_path):
    out = io.StringIO()
    call_command("backup", str(tmp_path / "kgi.backup"), stdout=out)
    path = tmp_path / "kgi.backup"
    assert list(tmp_path.iterdir()) == [path]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert file_kind(path) == connection.vendor
    label = {"postgresql": "PostgreSQL、pg_dump カスタム形式",
             "sqlite": "SQLite、SQLite データベースファイル"}[connection.vendor]
    assert out.getvalue() == (
        f"バックアップを書き出しました：{path}（{label}、{path.stat().st_size:,}バイト）\n"
    )


def test_backup_never_overwrites_a_file(plans, tmp_path):
    path = tmp_path / "kgi.backup"
    path.write_bytes(b"yesterday's backup")
    with pytest.raises(CommandError, match="は既にあります。上書きはしません。"):
        call_command("backup", str(path), stdout=io.StringIO())
    assert path.read_bytes() == b"yesterday's backup"
    assert list(tmp_path.iterdir()) == [path]


def test_backup_refuses_a_directory_that_does_not_exist(plans, tmp_path):
    with pytest.raises(CommandError, match=r"保存先のディレクトリ .* がありません。"):
        call_command("backup", str(tmp_path / "missing" / "kgi.backup"), stdout=io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_a_database_that_has_tables(plans, tmp_path):
    path = backup_of_the_test_database(tmp_path)
    message = restore_refused(path)
    assert "には既に表があります" in message
    assert "復元は、表が1つもない空のデータベースにだけ行います。" in message
    assert "空のデータベースを新しく作り（PostgreSQL は createdb、SQLite はまだないファイル名）" in message
    assert "docs/operations.md" in message
    assert Plan.objects.count() == 3


@pytest.mark.parametrize("content", [b"", "指標コード,年度,実績値\n".encode(), b"PK\x03\x04" + bytes(60)],
                         ids=["empty", "csv", "xlsx"])
def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path, content):
    path = tmp_path / "kgi.backup"
    path.write_bytes(content)
    assert restore_refused(path) == (
        f"{path} はバックアップファイルではありません（PostgreSQL の pg_dump カスタム形式でも "
        "SQLite のデータベースでもありません）。manage.py backup で作ったファイルを指定してください。"
    )


def test_restore_refuses_a_missing_file(db, tmp_path):
    path = tmp_path / "kgi.backup"
    assert restore_refused(path) == f"バックアップファイル {path} がありません。"


def test_restore_refuses_a_backup_of_the_other_engine(db, tmp_path):
    path = tmp_path / "other.backup"
    if connection.vendor == "sqlite":
        path.write_bytes(b"PGDMP" + bytes(200))
        other, this = "PostgreSQL", "SQLite"
    else:
        with sqlite3.connect(path) as other_database:
            other_database.execute("CREATE TABLE indicators_actual (id integer)")
        other, this = "SQLite", "PostgreSQL"
    assert restore_refused(path) == (
        f"{path} は {other} のバックアップですが、復元先（DATABASE_URL）は {this} です。"
        "バックアップを取ったときと同じ種類のデータベースに復元してください"
        "（種類をまたぐ移行はこのコマンドではできません）。"
    )


def test_restore_refuses_a_backup_of_another_database(db, tmp_path):
    path = tmp_path / "other.backup"
    if connection.vendor == "sqlite":
        with sqlite3.connect(path) as other_database:
            other_database.execute("CREATE TABLE django_migrations (id integer)")
    else:
        # A real dump of the server's `postgres` database, which has no tables.
        settings = {**connection.settings_dict, "NAME": "postgres"}
        conninfo, env = pg_connection(settings)
        subprocess.run([pg_tool("pg_dump"), "--format=custom", f"--file={path}",
                        f"--dbname={conninfo}"], env=env, check=True)
    missing = "indicators_actual" if connection.vendor == "sqlite" else (
        "django_migrations、indicators_actual")
    assert restore_refused(path) == (
        f"{path} はこのアプリのデータベースのバックアップではありません（{missing} の表がありません）。"
    )


def test_restore_refuses_a_damaged_backup(plans, tmp_path):
    path = backup_of_the_test_database(tmp_path)
    content = path.read_bytes()
    if connection.vendor == "sqlite":
        # Half of the file: SQLite's check finds the missing pages.
        path.write_bytes(content[: len(content) // 2])
        assert restore_refused(path) == (
            f"{path} は壊れているか、途中までしか書かれていません（database disk image is malformed）。"
        )
    else:
        # The header and nothing after it: pg_restore cannot read the contents.
        path.write_bytes(content[:40])
        assert restore_refused(path).startswith(
            f"{path} を読めません。壊れているか、途中までしか書かれていません（pg_restore）：\n"
            "pg_restore: error: "
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_a_restore_that_fails_half_way_leaves_the_database_empty(plans, tmp_path,
                                                                   empty_database_url):
    """PostgreSQL: a dump missing its last bytes passes the check (its table of
    contents is whole), then fails while restoring the data; the single
    transaction takes back the tables it had created."""
    path = backup_of_the_test_database(tmp_path)
    whole = path.read_bytes()
    cut = tmp_path / "cut.backup"
    cut.write_bytes(whole[:-1000])

    failed = manage("restore", str(cut), database_url=empty_database_url)
    assert failed.returncode == 1
    assert "復元に失敗しました。データベースは復元前のまま（空）です（pg_restore）" in failed.stderr
    # Still empty: the whole backup is accepted.
    restored = manage("restore", str(path), database_url=empty_database_url)
    assert restored.returncode == 0, restored.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_restore_says_when_the_database_does_not_exist(plans, tmp_path):
    path = backup_of_the_test_database(tmp_path)
    refused = manage("restore", str(path), database_url=postgres_url("no_such_database"))
    assert refused.returncode == 1
    assert "CommandError: データベース no_such_database@" in refused.stderr
    assert 'database "no_such_database" does not exist' in refused.stderr
    assert "DATABASE_URL を確かめてください。" in refused.stderr
