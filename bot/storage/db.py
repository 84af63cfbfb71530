"""The database: engine set-up for SQLite or PostgreSQL, migrations on start, one locked unit of work.

Updates of one user are applied one at a time: on PostgreSQL the user's row is locked
(`SELECT … FOR UPDATE`) for the transaction; on SQLite every write transaction starts with
`BEGIN IMMEDIATE`, which takes the database's write lock at once. Either way two workers cannot
interleave one chat's updates.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        memory = database in ("", ":memory:")
        if not memory:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA secure_delete=ON")  # deleted data is overwritten, not left in free pages
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE")  # straight to sqlite3: every update

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def unavailable(error: BaseException | None) -> bool:
    """The database could not be reached or was busy (a server down, a connection dropped, SQLite locked
    past its busy timeout): the same work can succeed later, unlike a bug or a constraint violation."""
    for _ in range(10):  # the error and what caused it
        if isinstance(error, exc.TimeoutError):  # no pooled connection came free
            return True
        # PEP 249's names, raised by SQLAlchemy and by the drivers themselves (sqlite3, psycopg)
        if any(cls.__name__ in ("OperationalError", "InterfaceError") for cls in type(error).__mro__):
            return True
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        if error is None or (error := error.__cause__ or error.__context__) is None:
            return False
    return False


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._migrated = False
        self._lock = threading.Lock()

    def migrate(self) -> None:
        """Apply every Alembic migration not yet applied (idempotent; safe at each start)."""
        with self._lock:
            if self._migrated:
                return
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            with self.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
            self._migrated = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        with Session(self.engine, expire_on_commit=False) as db, db.begin():
            yield db

    def dispose(self) -> None:
        self.engine.dispose()
