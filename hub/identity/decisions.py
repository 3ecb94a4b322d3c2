"""Operators' decisions on possible matches: stored by agency and local key, applied at once.

A confirmation moves every record of the second person to the first and records the
merge. It raises ``IdentityConflict`` when the two people have different valid ID numbers. A rejection of
two records that are now one person splits the second record (with any record sharing its
valid ID number) off to a new person. ``hub.identity.relink`` applies both again on every
run, so a decision outlives every relink.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.errors import IdentityConflict, IdentityNotFound
from adapters.idnumber import mask_id_number
from hub.identity import normalise
from hub.identity.index import IndexedRecord, create_person, indexed, next_person_id, records_of_person
from hub.identity.linkage import LinkMethod
from hub.store import utcnow
from hub.store.identity_tables import (
    identity_aliases,
    identity_candidates,
    identity_decisions,
    identity_events,
    identity_persons,
    identity_records,
)


async def apply(
    conn: AsyncConnection, record_a: int, record_b: int, confirmed: bool, operator: str, reason: str
) -> int:
    """Store and apply one decision; returns record A's hub person afterwards."""
    a, b = await _record(conn, record_a), await _record(conn, record_b)
    if a.person_id is None or b.person_id is None:
        raise IdentityNotFound(
            "identity.record_not_found", value=str(record_a if a.person_id is None else record_b)
        )

    await _store_decision(conn, a, b, confirmed, operator, reason)
    await conn.execute(
        delete(identity_candidates).where(
            identity_candidates.c.record_a == min(a.row_id, b.row_id),
            identity_candidates.c.record_b == max(a.row_id, b.row_id),
        )
    )
    note = f"{operator}: {reason}"
    if confirmed:
        await _join(conn, a, b, note)
    elif a.person_id == b.person_id:
        await _split(conn, a.person_id, b, note)
    await conn.execute(
        identity_events.insert().values(
            kind="confirmed" if confirmed else "rejected",
            person_id=a.person_id,
            other_person_id=b.person_id,
            reason=f"记录 {a.row_id} / {b.row_id}；{note}",
            at=utcnow(),
        )
    )
    return a.person_id


async def _record(conn: AsyncConnection, row_id: int) -> IndexedRecord:
    row = (
        (await conn.execute(select(identity_records).where(identity_records.c.id == row_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise IdentityNotFound("identity.record_not_found", value=str(row_id))
    return indexed(row)


async def _store_decision(
    conn: AsyncConnection, a: IndexedRecord, b: IndexedRecord, confirmed: bool, operator: str, reason: str
) -> None:
    first, second = sorted([(a.entry.agency, a.entry.local_key), (b.entry.agency, b.entry.local_key)])
    pair = (
        identity_decisions.c.agency_a == first[0],
        identity_decisions.c.local_key_a == first[1],
        identity_decisions.c.agency_b == second[0],
        identity_decisions.c.local_key_b == second[1],
    )
    await conn.execute(delete(identity_decisions).where(*pair))
    await conn.execute(
        identity_decisions.insert().values(
            agency_a=first[0],
            local_key_a=first[1],
            agency_b=second[0],
            local_key_b=second[1],
            decision="confirmed" if confirmed else "rejected",
            operator=operator,
            reason=reason,
            decided_at=utcnow(),
        )
    )


async def _join(conn: AsyncConnection, a: IndexedRecord, b: IndexedRecord, note: str) -> None:
    keep, merged = a.person_id, b.person_id
    if keep is None or merged is None or keep == merged:
        return
    numbers_a = {r.entry.id_number for r in await records_of_person(conn, keep) if r.entry.id_number}
    numbers_b = {r.entry.id_number for r in await records_of_person(conn, merged) if r.entry.id_number}
    if numbers_a and numbers_b and numbers_a != numbers_b:
        raise IdentityConflict(first=mask_id_number(min(numbers_a)), second=mask_id_number(min(numbers_b)))

    now = utcnow()
    await conn.execute(
        update(identity_records).where(identity_records.c.person_id == merged).values(person_id=keep)
    )
    await conn.execute(
        update(identity_records)
        .where(identity_records.c.id == b.row_id, identity_records.c.id_number.is_(None))
        .values(link_method=LinkMethod.CONFIRMED.value)
    )
    await conn.execute(
        update(identity_persons)
        .where(identity_persons.c.person_id == merged)
        .values(status="merged", merged_into=keep, updated_at=now)
    )
    await conn.execute(
        update(identity_aliases).where(identity_aliases.c.person_id == merged).values(person_id=keep)
    )
    for name in (b.entry.name, *b.entry.other_names):
        await _add_alias(conn, keep, name)
    await conn.execute(
        identity_events.insert().values(
            kind="merged",
            person_id=keep,
            other_person_id=merged,
            reason=f"操作员确认 / confirmed; {note}",
            at=now,
        )
    )


async def _add_alias(conn: AsyncConnection, person: int, name: str) -> None:
    key = normalise.name_key(name)
    exists = await conn.scalar(
        select(identity_aliases.c.id).where(
            identity_aliases.c.person_id == person, identity_aliases.c.name_key == key
        )
    )
    if key and exists is None:
        await conn.execute(
            identity_aliases.insert().values(
                person_id=person,
                name=name,
                name_key=key,
                pinyin_key=normalise.pinyin_key(name),
                source="confirmed",
            )
        )


async def _split(conn: AsyncConnection, person: int, b: IndexedRecord, note: str) -> None:
    now = utcnow()
    new = await next_person_id(conn)
    await create_person(conn, new, now, f"拆分自 / split from {person}; {note}")
    moving = identity_records.c.id == b.row_id
    if b.entry.id_number:
        moving = moving | (identity_records.c.id_number == b.entry.id_number)
    await conn.execute(
        update(identity_records)
        .where(identity_records.c.person_id == person, moving)
        .values(person_id=new, link_method=LinkMethod.SINGLE.value, link_score=None)
    )
    await conn.execute(
        identity_events.insert().values(
            kind="split",
            person_id=new,
            other_person_id=person,
            reason=f"操作员否定 / rejected; {note}",
            at=now,
        )
    )
