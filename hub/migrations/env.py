"""Alembic environment for the hub's store, async engines only.

``hub.store.migrate`` passes an open connection in ``config.attributes["connection"]``;
the ``alembic`` command line instead builds an engine from ``HUB_STORE_URL``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from hub.store.engine import DEFAULT_URL, create_engine
from hub.store.tables import metadata

config = context.config


def run_with(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_with)
    finally:
        await engine.dispose()


def run_offline() -> None:
    context.configure(
        url=os.environ.get("HUB_STORE_URL", DEFAULT_URL), target_metadata=metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (given := config.attributes.get("connection")) is not None:
    run_with(given)
else:
    asyncio.run(run_from_url(os.environ.get("HUB_STORE_URL", DEFAULT_URL)))
