"""Storage: SQLModel tables, Alembic migrations on start, SQLite by default or PostgreSQL."""

from bot.storage.db import Database

__all__ = ["Database"]
