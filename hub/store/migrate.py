"""Run the hub's Alembic migrations from code.

Migrations do not run when the hub starts: ``hub migrate`` runs them, once per deployment,
so that N replicas or cron jobs never race to change the schema. The embedded default can
opt in with ``HUB_AUTO_MIGRATE=true``. On PostgreSQL a transaction-level advisory lock
makes two concurrent ``migrate`` calls run one after the other.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from hub.store.engine import create_engine

SCRIPT_LOCATION = "hub:migrations"

# An arbitrary constant naming the migration lock among PostgreSQL advisory locks.
_MIGRATION_LOCK_KEY = 0x4A4548_0001


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


async def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (the newest by default)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


async def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
