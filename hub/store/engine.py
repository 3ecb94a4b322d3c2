"""The engine factory for the hub's own database: embedded SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_blocking_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

DEFAULT_URL = "sqlite+aiosqlite:///var/hub.sqlite"

# Milliseconds a SQLite writer waits for another writer before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000


# Execution option naming a connection that only reads: on SQLite it begins deferred.
READ_ONLY = "hub_read_only"


@dataclass(frozen=True)
class Store:
    """The hub's database: an async engine and the dialect the SQL has to suit."""

    engine: AsyncEngine

    @functools.cached_property
    def reader(self) -> AsyncEngine:
        """The same pool for connections that only read.

        On SQLite every other transaction takes the write lock at BEGIN; a reader that did
        so would queue behind the audit appends and the pollers for nothing.
        """
        return self.engine.execution_options(**{READ_ONLY: True})

    def read(self) -> AsyncConnection:
        """Open a connection for reads only: ``async with store.read() as conn``."""
        return self.reader.connect()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    async def aclose(self) -> None:
        await self.engine.dispose()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_engine(url: str = DEFAULT_URL, *, echo: bool = False) -> AsyncEngine:
    """Build an async engine: aiosqlite in WAL mode for ``sqlite`` URLs, asyncpg for ``postgresql``.

    A relative SQLite path is created under the working directory (``./var/`` by default).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, echo=echo, pool_pre_ping=True)

    database = parsed.database or ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


def blocking_twin(engine: AsyncEngine) -> Engine | None:
    """Return a synchronous engine on the same SQLite file, with the same pragmas, or None for another store.

    A writer that runs whole transactions in its own thread then hands off once per
    transaction, not once per statement as through aiosqlite. PostgreSQL's driver has no
    such hand-off, and an in-memory database cannot be opened twice.
    """
    return blocking_sqlite_engine(engine.url)


def blocking_sqlite_engine(url: str | URL) -> Engine | None:
    """Return a synchronous engine on the SQLite file ``url`` names, with the store's pragmas, or None.

    None for another store, or for an in-memory database, which a second engine cannot open.
    """
    url = make_url(url)
    if sqlite_file(url) is None:
        return None
    twin = create_blocking_engine(
        url.set(drivername="sqlite+pysqlite"),
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(twin, "connect", _sqlite_pragmas)
    event.listen(twin, "begin", _sqlite_begin_immediate)
    return twin


def missing_sqlite_file(url: str) -> Path | None:
    """Return the file a SQLite URL names if it does not exist, else None (also for another store).

    A command that only works on an existing store checks this first, because SQLite would
    create an empty file at the first connection.
    """
    path = sqlite_file(url)
    return None if path is None or path.exists() else path


def sqlite_file(url: str | URL) -> Path | None:
    """Return the file of a SQLite URL, or None for another store or an in-memory database."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def create_store(url: str = DEFAULT_URL, *, echo: bool = False) -> Store:
    return Store(create_engine(url, echo=echo))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would defer BEGIN; the hub issues it itself below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes can fail with SQLITE_BUSY when a
    # second writer slipped in between; taking the write lock at BEGIN makes claims atomic.
    # Readers (``Store.read``) never write, so they begin deferred and read a WAL snapshot.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def dialect_insert(store: Store) -> Any:
    """The dialect's ``insert`` construct, which offers ``on_conflict_do_nothing``/``_do_update``."""
    if store.is_postgresql:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
