"""SQLModel tables. The schema itself is created and changed only by Alembic (migrations/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, LargeBinary
from sqlmodel import Field, SQLModel


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    lang: str = Field(default="", max_length=8)
    active_case_id: str | None = Field(default=None, max_length=16)
    profile: dict | None = Field(default=None, sa_column=Column(JSON))
    consent_at: datetime | None = None  # agreed to the privacy notice (PIPL art. 13, 17)
    pending: str | None = Field(default=None, max_length=32)  # an account action awaiting confirm ("delete")
    created_at: datetime
    updated_at: datetime


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"

    id: str = Field(primary_key=True, max_length=16)
    user_id: int = Field(sa_column=Column(BigInteger, index=True, nullable=False))
    status: str = Field(default="draft", max_length=16)
    scenario: str | None = Field(default=None, max_length=32)
    data: dict = Field(sa_column=Column(JSON, nullable=False))
    conv: dict = Field(sa_column=Column(JSON, nullable=False))
    version: int = 0
    created_at: datetime
    updated_at: datetime


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already applied: a redelivered update is applied once."""

    __tablename__ = "processed_updates"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    user_id: int = Field(sa_column=Column(BigInteger, index=True, nullable=False))
    processed_at: datetime


class EvidenceBlob(SQLModel, table=True):
    """File contents by SHA-256, in the database so every worker of a deployment shares them."""

    __tablename__ = "evidence_blobs"

    sha256: str = Field(primary_key=True, max_length=64)
    mime: str = Field(max_length=100)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime


class EvidenceFile(SQLModel, table=True):
    """A file a user sent: who, for which case, under what original name and type."""

    __tablename__ = "evidence_files"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, index=True, nullable=False))
    case_id: str | None = Field(default=None, max_length=16, index=True)
    sha256: str = Field(max_length=64, index=True)
    name: str = Field(max_length=255)
    mime: str = Field(max_length=100)
    size: int
    received_at: datetime
