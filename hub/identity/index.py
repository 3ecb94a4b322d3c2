"""The person index in the hub's store: write entries, read them back, move the feed cursors.

``ingest`` upserts entries by (agency, local key) and attaches each new one at once: to the
person that already has its valid ID number, or to a new person of its own. Records
without a valid ID number are joined to others by ``hub relink`` (``hub.identity.relink``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.identity import normalise
from hub.identity.entries import IndexEntry
from hub.identity.linkage import LinkMethod
from hub.store import Store, dialect_insert, utcnow
from hub.store.identity_tables import (
    identity_cursors,
    identity_events,
    identity_persons,
    identity_record_names,
    identity_records,
)

# Values per IN (...) list, well under SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class IndexedRecord:
    """A row of the index: the entry, its row id and how it is linked to its hub person."""

    row_id: int
    entry: IndexEntry
    person_id: int | None
    link_method: str | None
    link_score: float | None


def entry_row(entry: IndexEntry, now: dt.datetime) -> dict[str, Any]:
    return {
        "agency": entry.agency,
        "local_key": entry.local_key,
        "name": entry.name,
        "other_names": list(entry.other_names),
        "name_key": normalise.name_key(entry.name),
        "pinyin_key": normalise.pinyin_key(entry.name),
        "id_number": entry.id_number,
        "id_number_recorded": (entry.id_number_recorded or "")[:40] or None,
        "sex_code": entry.sex_code,
        "sex_conflict": entry.sex_conflict,
        "ethnicity_code": entry.ethnicity_code,
        "birth_date": entry.birth_date,
        "county_code": entry.county_code,
        "updated_at": now,
    }


def indexed(row: RowMapping) -> IndexedRecord:
    entry = IndexEntry(
        agency=row["agency"],
        local_key=row["local_key"],
        name=row["name"],
        other_names=tuple(row["other_names"] or ()),
        id_number=row["id_number"],
        id_number_recorded=row["id_number_recorded"],
        sex_code=row["sex_code"],
        sex_conflict=bool(row["sex_conflict"]),
        ethnicity_code=row["ethnicity_code"],
        birth_date=row["birth_date"],
        county_code=row["county_code"],
    )
    return IndexedRecord(row["id"], entry, row["person_id"], row["link_method"], row["link_score"])


async def ingest(store: Store, conn: AsyncConnection, entries: Sequence[IndexEntry]) -> int:
    """Upsert ``entries`` and give each record without a person one; returns the rows written."""
    if not entries:
        return 0
    now = utcnow()
    unique = {(e.agency, e.local_key): e for e in entries}
    rows = [entry_row(entry, now) for entry in unique.values()]
    insert = dialect_insert(store)(identity_records)
    changed = {key: insert.excluded[key] for key in rows[0] if key not in ("agency", "local_key")}
    await conn.execute(
        insert.on_conflict_do_update(index_elements=["agency", "local_key"], set_=changed), rows
    )
    await write_other_names(conn, list(unique.values()))
    await attach_new(conn)
    return len(rows)


async def write_other_names(conn: AsyncConnection, entries: Sequence[IndexEntry]) -> None:
    """Replace the searchable other names of the records of ``entries``, which are stored."""
    ids: dict[tuple[str, str], int] = {}
    keys_by_agency: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        keys_by_agency[entry.agency].append(entry.local_key)
    for agency, keys in keys_by_agency.items():
        for start in range(0, len(keys), CHUNK):
            rows = await conn.execute(
                select(identity_records.c.id, identity_records.c.local_key).where(
                    identity_records.c.agency == agency,
                    identity_records.c.local_key.in_(keys[start : start + CHUNK]),
                )
            )
            ids.update(((agency, local_key), row_id) for row_id, local_key in rows)

    record_ids = sorted(ids.values())
    for start in range(0, len(record_ids), CHUNK):
        chunk = record_ids[start : start + CHUNK]
        await conn.execute(delete(identity_record_names).where(identity_record_names.c.record_id.in_(chunk)))
    names = [
        {
            "record_id": ids[(entry.agency, entry.local_key)],
            "name_key": key,
            "pinyin_key": normalise.pinyin_key(key),
        }
        for entry in entries
        for key in other_name_keys(entry)
    ]
    if names:
        await conn.execute(identity_record_names.insert(), names)


def other_name_keys(entry: IndexEntry) -> list[str]:
    """Return the comparison keys of the entry's other names, without its own name's key."""
    own = normalise.name_key(entry.name)
    keys = (normalise.name_key(name) for name in entry.other_names)
    return list(dict.fromkeys(key for key in keys if key and key != own))


async def attach_new(conn: AsyncConnection) -> None:
    """Give records without a person the person of their ID number, or a new person."""
    pending = (
        await conn.execute(
            select(identity_records.c.id, identity_records.c.id_number).where(
                identity_records.c.person_id.is_(None)
            )
        )
    ).all()
    numbers = {number for _, number in pending if number}
    known = await persons_by_id_number(conn, numbers)
    next_id = await next_person_id(conn)
    now = utcnow()
    for row_id, number in pending:
        person = known.get(number) if number else None
        method = LinkMethod.ID_NUMBER if person is not None else LinkMethod.SINGLE
        if person is None:
            person, next_id = next_id, next_id + 1
            await create_person(conn, person, now, "新记录 / new record")
            if number:
                known[number] = person
        await conn.execute(
            update(identity_records)
            .where(identity_records.c.id == row_id)
            .values(person_id=person, link_method=method.value, link_score=None)
        )


async def persons_by_id_number(conn: AsyncConnection, numbers: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    chunk = sorted(numbers)
    for start in range(0, len(chunk), CHUNK):
        rows = await conn.execute(
            select(identity_records.c.id_number, identity_records.c.person_id).where(
                identity_records.c.id_number.in_(chunk[start : start + CHUNK]),
                identity_records.c.person_id.is_not(None),
            )
        )
        for number, person in rows:
            found.setdefault(number, person)
    return found


async def next_person_id(conn: AsyncConnection) -> int:
    highest = await conn.scalar(select(func.max(identity_persons.c.person_id)))
    return int(highest or 0) + 1


async def create_person(conn: AsyncConnection, person_id: int, now: dt.datetime, reason: str) -> None:
    await conn.execute(
        identity_persons.insert().values(
            person_id=person_id, status="active", merged_into=None, created_at=now, updated_at=now
        )
    )
    await conn.execute(
        identity_events.insert().values(kind="created", person_id=person_id, reason=reason, at=now)
    )


async def records_of_person(conn: AsyncConnection, person_id: int) -> list[IndexedRecord]:
    rows = await conn.execute(
        select(identity_records)
        .where(identity_records.c.person_id == person_id)
        .order_by(identity_records.c.agency, identity_records.c.local_key)
    )
    return [indexed(row) for row in rows.mappings()]


async def person_of_id_number(conn: AsyncConnection, id_number: str) -> int | None:
    person = await conn.scalar(
        select(identity_records.c.person_id)
        .where(identity_records.c.id_number == id_number, identity_records.c.person_id.is_not(None))
        .limit(1)
    )
    return None if person is None else int(person)


async def current_person(conn: AsyncConnection, person_id: int) -> int | None:
    """Follow merges from ``person_id`` to the person that has its records now."""
    for _ in range(50):
        row = (
            await conn.execute(
                select(identity_persons.c.status, identity_persons.c.merged_into).where(
                    identity_persons.c.person_id == person_id
                )
            )
        ).first()
        if row is None:
            return None
        if row.status != "merged" or row.merged_into is None:
            return person_id
        person_id = int(row.merged_into)
    return None


async def read_cursor(store: Store, agency: str) -> str:
    async with store.read() as conn:
        position = await conn.scalar(
            select(identity_cursors.c.position).where(identity_cursors.c.agency == agency)
        )
    return str(position or "")


async def write_cursor(store: Store, conn: AsyncConnection, agency: str, position: str) -> None:
    insert = dialect_insert(store)(identity_cursors)
    now = utcnow()
    await conn.execute(
        insert.values(agency=agency, position=position, updated_at=now).on_conflict_do_update(
            index_elements=["agency"], set_={"position": position, "updated_at": now}
        )
    )
