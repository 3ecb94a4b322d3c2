"""Shared loader for the relational stand-ins: drop, create and fill one database.

Loaders run once, before the hub starts, so they use a synchronous engine. They accept
the async URLs the adapters use and switch to the matching synchronous driver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, insert
from sqlalchemy.engine import make_url

# async driver -> synchronous driver for the same server
SYNC_DRIVERS = {
    "sqlite+aiosqlite": "sqlite",
    "postgresql+asyncpg": "postgresql+psycopg",
    "mysql+asyncmy": "mysql+pymysql",
    "mysql+aiomysql": "mysql+pymysql",
    "mariadb+asyncmy": "mariadb+pymysql",
}


def sync_url(url: str) -> str:
    parsed = make_url(url)
    driver = SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def recreate(url: str, metadata: MetaData, rows: Mapping[Table, Sequence[Mapping[str, Any]]]) -> None:
    """Drop and create every table of ``metadata`` at ``url`` and insert ``rows``."""
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            metadata.create_all(conn)
            for table in metadata.sorted_tables:
                batch = rows.get(table)
                if batch:
                    conn.execute(insert(table), list(batch))
    finally:
        engine.dispose()


def char_date(value: Any) -> str:
    """A date as the CHAR(8) ``YYYYMMDD`` text older systems store; None becomes blanks."""
    return value.strftime("%Y%m%d") if value is not None else "00000000"
