"""Migration 0008 gives notices stored with the old mask the two-star one."""

from __future__ import annotations

from sqlalchemy import insert, select

from hub.store import create_engine, migrate
from hub.store.tables import notices
from tests.security.gql_support import notice_row


async def test_old_masks_get_two_stars(store_url: str) -> None:
    await migrate(store_url, "0007")
    engine = create_engine(store_url)
    stored = {"阿***": "阿**", "吉**": "吉**", "海来阿牛**": "海**", "": ""}
    async with engine.begin() as conn:
        for serial, old in enumerate(stored, start=1):
            row = {**notice_row(serial, "513401", "3401"), "person_name_masked": old}
            await conn.execute(insert(notices).values(**row))

    await migrate(store_url)

    async with engine.connect() as conn:
        rows = (await conn.execute(select(notices.c.court_sequence, notices.c.person_name_masked))).all()
    await engine.dispose()
    masks = dict(rows)
    assert [masks[serial] for serial in range(1, len(stored) + 1)] == list(stored.values())
