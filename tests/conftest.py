"""Shared fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema), a fixed clock."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_TRANSCRIPTS = ROOT.parent / "shared" / "transcripts"
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIXED_NOW = datetime(2025, 11, 28, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def now() -> datetime:
    return FIXED_NOW


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


def _pg_base() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture
def pg_url():
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = _pg_base()
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it)")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path: Path) -> str:
    """Run a test on SQLite and on PostgreSQL (the latter when TEST_DATABASE_URL is set)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("pg_url")


def _migrated(url: str):
    from bot.storage import Database

    database = Database(url)
    database.migrate()
    return database


@pytest.fixture
def db(sqlite_url):
    """A migrated SQLite database of the test's own."""
    database = _migrated(sqlite_url)
    yield database
    database.dispose()


@pytest.fixture
def any_db(db_url):
    """A migrated database, once on SQLite and once on PostgreSQL (when TEST_DATABASE_URL is set)."""
    database = _migrated(db_url)
    yield database
    database.dispose()
