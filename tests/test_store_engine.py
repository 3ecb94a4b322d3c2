"""The SQLite store: writers take the lock at BEGIN, readers never wait for them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hub.store import Store, create_store, migrate
from hub.store.audit_tables import CHAIN_HEAD_ID, audit_chain_head

head = audit_chain_head.c


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"
    await migrate(url)
    migrated = create_store(url)
    yield migrated
    await migrated.aclose()


async def test_reader_skips_open_writer_lock(store: Store) -> None:
    async with store.engine.begin() as writer:
        await writer.execute(update(audit_chain_head).where(head.id == CHAIN_HEAD_ID).values(sequence=7))

        async def read_sequence() -> int:
            async with store.read() as conn:
                return int(await conn.scalar(select(head.sequence)) or 0)

        # Under the write lock a second writer would wait out the 10 s busy timeout.
        seen = await asyncio.wait_for(read_sequence(), timeout=2.0)
        assert seen == 0  # the last committed state: the writer has not committed yet

    async with store.read() as conn:
        assert await conn.scalar(select(head.sequence)) == 7


async def test_second_writer_waits_for_first(store: Store) -> None:
    async with store.engine.begin() as writer:
        await writer.execute(update(audit_chain_head).where(head.id == CHAIN_HEAD_ID).values(sequence=7))

        async def write() -> None:
            async with store.engine.begin() as other:
                await other.execute(update(audit_chain_head).values(sequence=head.sequence + 1))

        second = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not second.done()  # blocked at BEGIN IMMEDIATE
    await asyncio.wait_for(second, timeout=5.0)
    async with store.read() as conn:
        assert await conn.scalar(select(head.sequence)) == 8
