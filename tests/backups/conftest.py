"""Running manage.py as an operator would, and new empty databases to restore into."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from backups.services import pg_connection

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Run ``python *args`` from the project in a new process on ``database_url``."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True, text=True, timeout=300, check=False,
    )


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return run("manage.py", *args, database_url=database_url)


def postgres_admin(statement: str) -> None:
    """Run CREATE/DROP DATABASE on the test server, outside any transaction."""
    import psycopg

    conninfo, env = pg_connection(connection.settings_dict)
    with psycopg.connect(conninfo, password=env.get("PGPASSWORD"), autocommit=True) as admin:
        admin.execute(statement)


def postgres_url(name: str) -> str:
    """DATABASE_URL with its database name replaced by ``name`` (same server, user, socket)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A new database with no tables, as an operator creates one to restore into.

    SQLite: a file name that does not exist yet. PostgreSQL: CREATE DATABASE
    on the test server (what createdb does), dropped afterwards.
    """
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"restore_drill_{uuid.uuid4().hex[:8]}"
    postgres_admin(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name)
    finally:
        postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
