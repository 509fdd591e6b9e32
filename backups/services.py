"""Back the whole database up into one file, and restore it into an empty one.

The file is the database engine's own format, so that nothing is lost or
renumbered on the way: every row keeps its id, every history row keeps the
id of its object, and the sequences (PostgreSQL) or ``sqlite_sequence``
(SQLite) keep their counters, so that an id used once is never given again.

- PostgreSQL: ``pg_dump --format=custom`` (one compressed file, read back by
  ``pg_restore`` in a single transaction: all or nothing).
- SQLite: the SQLite file itself, copied by SQLite's online backup API
  (``sqlite3.Connection.backup``) both ways, a consistent copy even while
  the app is writing.

The kind of a file is told by its first bytes (``PGDMP`` or
``SQLite format 3\\0``); a file is accepted only if it also holds this app's
tables. A backup is written to a temporary file beside its name, checked as
a restore would check it, and only then renamed: a failed or interrupted
backup leaves no file. A restore goes only into a database without tables.

This module imports no app of the project: it copies every table, whatever
the models are.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import DatabaseError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.db.backends.base.base import BaseDatabaseWrapper

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
ENGINES = {
    "django.db.backends.postgresql": POSTGRESQL,
    "django.db.backends.sqlite3": SQLITE,
}
LABELS = {POSTGRESQL: "PostgreSQL", SQLITE: "SQLite"}
FORMATS = {POSTGRESQL: "pg_dump カスタム形式", SQLITE: "SQLite データベースファイル"}
MAGIC = {POSTGRESQL: b"PGDMP", SQLITE: b"SQLite format 3\x00"}
# Tables every migrated database of this app has: a file without them is
# some other database's backup.
APP_TABLES = ("django_migrations", "indicators_actual")
# Where Debian's packages put each major version's tools (as
# scripts/with_postgres.sh finds them); the newest is used, else PATH.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
# Keys of DATABASES[...]["OPTIONS"] that Django's PostgreSQL backend uses
# itself; every other key is a libpq connection parameter (sslmode, …).
DJANGO_OPTIONS = frozenset(
    {"isolation_level", "server_side_binding", "assume_role", "pool", "cursor_factory", "context"}
)
SEE_DOCS = "手順は docs/operations.md にあります。"


class BackupError(Exception):
    """Why a backup or restore was refused or failed, in Japanese for the operator."""


@dataclass(frozen=True)
class Backup:
    path: Path
    kind: str
    size: int


# --- The database and the file ------------------------------------------------


def engine_kind(connection: BaseDatabaseWrapper) -> str:
    engine = connection.settings_dict["ENGINE"]
    try:
        return ENGINES[engine]
    except KeyError:
        raise BackupError(
            f"データベースエンジン {engine} のバックアップには対応していません"
            "（PostgreSQL と SQLite だけです）。"
        ) from None


def database_label(connection: BaseDatabaseWrapper) -> str:
    """Name the database for a message: its file, or its name and server."""
    settings = connection.settings_dict
    if engine_kind(connection) == SQLITE:
        return str(settings["NAME"])
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"{settings['NAME']}@{host}{port}"


def file_kind(path: Path) -> str | None:
    """Return the kind of backup ``path`` holds by its first bytes, or None."""
    with path.open("rb") as file:
        head = file.read(max(len(magic) for magic in MAGIC.values()))
    for kind, magic in MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def check_backup_file(path: Path, *, kind: str, shown: Path | None = None) -> None:
    """Refuse ``path`` unless it is a readable backup of this app for ``kind``.

    The same check runs on a backup just written (before its rename; its
    messages then name the file it was to become, ``shown``) and on the
    file given to restore, so that every file backup writes is one restore
    accepts.
    """
    name = shown or path
    if not path.is_file():
        raise BackupError(f"バックアップファイル {name} がありません。")
    found = file_kind(path)
    if found is None:
        raise BackupError(
            f"{name} はバックアップファイルではありません（{LABELS[POSTGRESQL]} の "
            f"{FORMATS[POSTGRESQL]}でも {LABELS[SQLITE]} のデータベースでもありません）。"
            "manage.py backup で作ったファイルを指定してください。"
        )
    if found != kind:
        raise BackupError(
            f"{name} は {LABELS[found]} のバックアップですが、復元先（DATABASE_URL）は "
            f"{LABELS[kind]} です。バックアップを取ったときと同じ種類のデータベースに"
            "復元してください（種類をまたぐ移行はこのコマンドではできません）。"
        )
    read = sqlite_tables if kind == SQLITE else pg_dump_tables
    tables = read(path, shown=name)
    missing = [table for table in APP_TABLES if table not in tables]
    if missing:
        raise BackupError(
            f"{name} はこのアプリのデータベースのバックアップではありません"
            f"（{'、'.join(missing)} の表がありません）。"
        )


def sqlite_tables(path: Path, *, shown: Path) -> set[str]:
    """Return the tables of the SQLite file ``path``, after SQLite's quick check."""
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{shown} を開けません：{error}") from None
    try:
        check = [row[0] for row in source.execute("PRAGMA quick_check")]
        if check != ["ok"]:
            raise BackupError(f"{shown} は壊れています（SQLite の検査：{check[0]}）。")
        rows = source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row[0] for row in rows}
    except sqlite3.Error as error:
        raise BackupError(
            f"{shown} は壊れているか、途中までしか書かれていません（{error}）。"
        ) from None
    finally:
        source.close()


def pg_dump_tables(path: Path, *, shown: Path) -> set[str]:
    """Return the tables in the table of contents of the custom-format dump ``path``."""
    result = run_pg_tool(
        "pg_restore", "--list", str(path), env=dict(os.environ),
        failure=f"{shown} を読めません。壊れているか、途中までしか書かれていません",
    )
    # A table's entry: "215; 1259 16390 TABLE public django_migrations postgres"
    return set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+)(?= |$)", result, flags=re.MULTILINE))


def database_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """Return the tables and views of the database, connecting to it first."""
    try:
        with connection.cursor() as cursor:
            return connection.introspection.table_names(cursor, include_views=True)
    except DatabaseError as error:
        raise BackupError(
            f"データベース {database_label(connection)} に接続できません：{str(error).strip()}\n"
            f"DATABASE_URL を確かめてください。{SEE_DOCS}"
        ) from None


# --- PostgreSQL's tools ---------------------------------------------------------


def pg_tool(name: str, *, pattern: str = PG_BIN_GLOB) -> str:
    """Return the path of ``name`` (pg_dump, pg_restore): the newest version's, else PATH's."""

    def version(directory: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(directory).parent.name))

    for directory in sorted(glob.glob(pattern), key=version, reverse=True):
        candidate = Path(directory) / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} が見つかりません。PostgreSQL のクライアント（Debian では "
            "postgresql-client）を入れてください。"
        )
    return found


def conninfo_value(value: str) -> str:
    """Quote ``value`` for a libpq connection string."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def pg_connection(settings: dict) -> tuple[str, dict[str, str]]:
    """Return the ``--dbname`` connection string and environment for the pg tools.

    From a ``DATABASES`` entry: HOST may be a unix-socket directory, and the
    libpq parameters of OPTIONS (``?sslmode=…`` in DATABASE_URL) are kept.
    The password goes into PGPASSWORD, never onto the command line, where
    every user of the machine could read it. Without one, the tools find it
    where the app's own connection does (PGPASSWORD, ~/.pgpass).
    """
    options = {
        key: str(value) for key, value in (settings.get("OPTIONS") or {}).items()
        if key not in DJANGO_OPTIONS and value is not None
    }
    password = options.pop("password", "") or str(settings.get("PASSWORD") or "")
    parameters = {
        "dbname": settings.get("NAME"),
        "host": settings.get("HOST"),
        "port": settings.get("PORT"),
        "user": settings.get("USER"),
        **options,
    }
    conninfo = " ".join(
        f"{key}={conninfo_value(str(value))}" for key, value in parameters.items()
        if value not in (None, "")
    )
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return conninfo, env


def run_pg_tool(name: str, *args: str, env: dict[str, str], failure: str) -> str:
    """Run a PostgreSQL tool; return its output, or raise with its message."""
    result = subprocess.run(
        [pg_tool(name), *args], env=env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, errors="replace", check=False,
    )
    if result.returncode != 0:
        detail = result.stderr.strip() or f"終了コード {result.returncode}"
        raise BackupError(f"{failure}（{name}）：\n{detail}")
    return result.stdout


# --- Writing the file -----------------------------------------------------------


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The temporary file is created readable by its owner only (0600), and
    removed whatever stops the block (an error, Ctrl+C), so that ``path``
    is either the whole backup or not there.
    """
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        temporary.unlink(missing_ok=True)


def backup(path: Path, *, connection: BaseDatabaseWrapper) -> Backup:
    """Write the whole database of ``connection`` to the new file ``path``."""
    kind = engine_kind(connection)
    if path.exists():
        raise BackupError(
            f"{path} は既にあります。上書きはしません。別の名前を指定するか、"
            "古いファイルを移してから実行してください。"
        )
    if not path.parent.is_dir():
        raise BackupError(f"保存先のディレクトリ {path.parent} がありません。")
    if kind == SQLITE and not connection.is_in_memory_db():
        name = Path(connection.settings_dict["NAME"])
        if not name.is_file():
            # Connecting would create an empty database there.
            raise BackupError(
                f"データベースファイル {name} がありません。DATABASE_URL を確かめてください。"
            )
    with atomic_file(path) as temporary:
        if kind == POSTGRESQL:
            backup_postgresql(connection.settings_dict, temporary)
        else:
            backup_sqlite(connection, temporary)
        try:
            check_backup_file(temporary, kind=kind, shown=path)
        except BackupError as error:
            raise BackupError(
                f"バックアップを確かめたところ問題があったため、{path} は書き出していません：\n"
                f"{error}"
            ) from None
    return Backup(path=path, kind=kind, size=path.stat().st_size)


def backup_postgresql(settings: dict, temporary: Path) -> None:
    # One snapshot of the whole database (pg_dump reads in one repeatable-read
    # transaction), compressed; owners and privileges are left to restore.
    conninfo, env = pg_connection(settings)
    run_pg_tool(
        "pg_dump", "--format=custom", "--no-password", f"--file={temporary}",
        f"--dbname={conninfo}", env=env, failure="バックアップに失敗しました",
    )


def backup_sqlite(connection: BaseDatabaseWrapper, temporary: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(temporary)
    try:
        connection.connection.backup(target)
        # One file: a database in WAL mode would be read with -wal/-shm beside it.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"バックアップに失敗しました（SQLite）：{error}") from None
    finally:
        target.close()


# --- Restoring ------------------------------------------------------------------


def restore(path: Path, *, connection: BaseDatabaseWrapper) -> None:
    """Restore the backup ``path`` into the empty database of ``connection``."""
    kind = engine_kind(connection)
    check_backup_file(path, kind=kind)
    tables = database_tables(connection)
    if tables:
        shown = "、".join(sorted(tables)[:3]) + ("、…" if len(tables) > 3 else "")
        raise BackupError(
            f"復元先のデータベース {database_label(connection)} には既に表があります"
            f"（{len(tables)}個：{shown}）。\n"
            "復元は、表が1つもない空のデータベースにだけ行います。いまのデータに"
            "上書きしたり混ぜたりすると、id と変更履歴の対応が崩れるためです。\n"
            "空のデータベースを新しく作り（PostgreSQL は createdb、SQLite はまだない"
            "ファイル名）、DATABASE_URL でそれを指定してからもう一度実行してください。"
            f"いまのデータベースは調査用に残しておけます。{SEE_DOCS}"
        )
    if kind == POSTGRESQL:
        restore_postgresql(path, connection.settings_dict)
    else:
        restore_sqlite(path, connection)
    missing = [table for table in APP_TABLES if table not in database_tables(connection)]
    if missing:
        raise BackupError(f"復元後のデータベースに {'、'.join(missing)} の表がありません。")


def restore_postgresql(path: Path, settings: dict) -> None:
    # All or nothing (one transaction, stopping at the first error). The
    # objects get the restoring user as their owner (--no-owner) and no
    # GRANT/REVOKE of the old server (--no-acl): the roles of the server
    # restored to may differ from the ones of the server backed up.
    conninfo, env = pg_connection(settings)
    run_pg_tool(
        "pg_restore", "--exit-on-error", "--single-transaction", "--no-owner", "--no-acl",
        "--no-password", f"--dbname={conninfo}", str(path), env=env,
        failure="復元に失敗しました。データベースは復元前のまま（空）です",
    )


def restore_sqlite(path: Path, connection: BaseDatabaseWrapper) -> None:
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(f"復元に失敗しました（SQLite）：{error}") from None
    finally:
        source.close()
