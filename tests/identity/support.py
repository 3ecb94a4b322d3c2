"""Small builders shared by the person-index tests."""

from __future__ import annotations

from adapters.idnumber import check_character
from hub.identity.entries import IndexEntry, entry_from_raw
from hub.identity.index import ingest
from hub.identity.normalise import SexScheme
from hub.store import Store


def valid(first17: str) -> str:
    return first17 + check_character(first17)


ASU = valid("51343119850307123")
OTHER = valid("51343119850307125")


def entry(
    agency: str,
    key: str,
    name: str,
    *,
    number: str | None = None,
    birth: str | None = "1985-03-07",
    sex: str = "1",
    county: str | None = "513431",
    others: tuple[str, ...] = (),
) -> IndexEntry:
    return entry_from_raw(
        agency,
        key,
        name=name,
        other_names=others,
        id_number=number,
        sex=sex,
        sex_scheme=SexScheme.GB,
        birth_date=birth,
        county=county,
    )


async def put(store: Store, *entries: IndexEntry) -> None:
    async with store.engine.begin() as conn:
        await ingest(store, conn, entries)
