"""The hub's own store: engine factory, tables and migrations.

SQLite (aiosqlite, WAL) is the embedded default; PostgreSQL (asyncpg) is chosen by URL.
Both run the same SQL through SQLAlchemy Core.
"""

from __future__ import annotations

# Imported for their side effect: they register their tables on the shared metadata.
from hub.store import audit_tables as audit_tables
from hub.store import identity_tables as identity_tables
from hub.store.engine import DEFAULT_URL, Store, create_engine, create_store, dialect_insert, utcnow
from hub.store.migrate import current_revision, migrate
from hub.store.tables import (
    NoticeStatus,
    cache_invalidations,
    delivery_attempts,
    hub_locks,
    metadata,
    notices,
    outbox,
    poll_watermarks,
)

__all__ = [
    "DEFAULT_URL",
    "NoticeStatus",
    "Store",
    "cache_invalidations",
    "create_engine",
    "create_store",
    "dialect_insert",
    "current_revision",
    "delivery_attempts",
    "hub_locks",
    "metadata",
    "migrate",
    "notices",
    "outbox",
    "poll_watermarks",
    "utcnow",
]
