"""``relink``: link the whole index again and keep every hub person ID stable.

A new cluster keeps the hub person ID held by most of its records (ties: the oldest ID).
When one cluster contains records of several old persons, the others are recorded as merged
into it, with the reason; when an old person's records fall into several clusters, the
largest keeps the ID and the rest get new IDs, recorded as split off. Operator decisions
(``identity_decisions``) are applied on every run, so a confirmation or rejection
survives any relink.

Only the records whose person, method or score changed are written, in batches that
commit one by one: a relink that is interrupted and run again writes only what is left.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.identity.index import IndexedRecord, indexed, next_person_id
from hub.identity.linkage import Decision, Linker, LinkRecord, LinkResult, Thresholds
from hub.store import Store, utcnow
from hub.store.identity_tables import (
    identity_aliases,
    identity_candidates,
    identity_decisions,
    identity_events,
    identity_persons,
    identity_records,
)

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
WRITE_BATCH = 2000


@dataclass(slots=True)
class RelinkReport:
    records: int = 0
    persons: int = 0
    merged: int = 0
    split: int = 0
    written: int = 0
    possible_matches: int = 0
    conflicting_confirmations: int = 0


@dataclass(frozen=True, slots=True)
class _Assignment:
    person_of_cluster: dict[int, int]
    merges: list[tuple[int, int, int]]  # (merged person, kept person, cluster)
    splits: list[tuple[int, int]]  # (old person, new person)
    created: list[int]


async def relink(
    store: Store, *, thresholds: Thresholds | None = None, progress: Progress | None = None
) -> RelinkReport:
    """Link every indexed record again and write persons, events and possible matches."""
    records = await _load(store)
    decisions = await load_decisions(store, records)
    result = Linker(thresholds, progress).link(
        [LinkRecord(r.row_id, r.entry.side()) for r in records], decisions
    )
    async with store.read() as conn:
        first_new = await next_person_id(conn)
    assignment = assign_ids(records, result, first_new)

    report = RelinkReport(records=len(records), persons=len(set(result.cluster.values())))
    report.merged, report.split = len(assignment.merges), len(assignment.splits)
    report.possible_matches, report.conflicting_confirmations = (
        len(result.candidates),
        len(result.conflicting),
    )
    await _write_persons(store, result, assignment)
    report.written = await _write_records(store, records, result, assignment, progress)
    logger.info(
        "relink records=%d persons=%d merged=%d split=%d written=%d possible=%d",
        report.records,
        report.persons,
        report.merged,
        report.split,
        report.written,
        report.possible_matches,
    )
    return report


async def _load(store: Store) -> list[IndexedRecord]:
    async with store.read() as conn:
        rows = await conn.execute(select(identity_records).order_by(identity_records.c.id))
        return [indexed(row) for row in rows.mappings()]


async def load_decisions(store: Store, records: Sequence[IndexedRecord]) -> list[Decision]:
    by_key = {(r.entry.agency, r.entry.local_key): r.row_id for r in records}
    async with store.read() as conn:
        rows = (await conn.execute(select(identity_decisions))).mappings().all()
    decisions = []
    for row in rows:
        a = by_key.get((row["agency_a"], row["local_key_a"]))
        b = by_key.get((row["agency_b"], row["local_key_b"]))
        if a is not None and b is not None:
            decisions.append(Decision(a, b, row["decision"] == "confirmed"))
    return decisions


def assign_ids(records: Sequence[IndexedRecord], result: LinkResult, first_new: int) -> _Assignment:
    """Choose each cluster's hub person ID from the IDs its records held before."""
    members: dict[int, Counter[int]] = defaultdict(Counter)
    sizes: Counter[int] = Counter()
    for record in records:
        cluster = result.cluster[record.row_id]
        sizes[cluster] += 1
        if record.person_id is not None:
            members[cluster][record.person_id] += 1

    claimed: dict[int, int] = {}  # old person → cluster that kept it
    person_of_cluster: dict[int, int] = {}
    merges, splits, created = [], [], []
    next_id = first_new
    for cluster in sorted(sizes, key=lambda c: (-sizes[c], c)):
        held = sorted(members[cluster].items(), key=lambda item: (-item[1], item[0]))
        free = [person for person, _ in held if person not in claimed]
        if free:
            person = free[0]
        else:
            person, next_id = next_id, next_id + 1
            (splits.append((held[0][0], person)) if held else created.append(person))
        claimed[person] = cluster
        person_of_cluster[cluster] = person
        for other in free[1:]:
            merges.append((other, person, cluster))
            claimed[other] = cluster
    return _Assignment(person_of_cluster, merges, splits, created)


async def _write_persons(store: Store, result: LinkResult, assignment: _Assignment) -> None:
    now = utcnow()
    async with store.engine.begin() as conn:
        for person in assignment.created + [new for _, new in assignment.splits]:
            await conn.execute(
                identity_persons.insert().values(
                    person_id=person, status="active", merged_into=None, created_at=now, updated_at=now
                )
            )
        events = [
            {"kind": "created", "person_id": p, "other_person_id": None, "reason": "relink", "at": now}
            for p in assignment.created
        ]
        events += [
            {
                "kind": "split",
                "person_id": new,
                "other_person_id": old,
                "at": now,
                "reason": "重新关联后记录不再匹配 / records no longer match after relink",
            }
            for old, new in assignment.splits
        ]
        for merged, kept, cluster in assignment.merges:
            await conn.execute(
                update(identity_persons)
                .where(identity_persons.c.person_id == merged)
                .values(status="merged", merged_into=kept, updated_at=now)
            )
            await conn.execute(
                update(identity_aliases).where(identity_aliases.c.person_id == merged).values(person_id=kept)
            )
            events.append(
                {
                    "kind": "merged",
                    "person_id": kept,
                    "other_person_id": merged,
                    "at": now,
                    "reason": _merge_reason(result, cluster),
                }
            )
        if events:
            await conn.execute(identity_events.insert(), events)
        await _write_candidates(conn, result, now)


def _merge_reason(result: LinkResult, cluster: int) -> str:
    methods = sorted({m.value for ref, m in result.method.items() if result.cluster[ref] == cluster})
    return "关联方式 / linked by: " + ", ".join(methods)


async def _write_candidates(conn: AsyncConnection, result: LinkResult, now: object) -> None:
    await conn.execute(delete(identity_candidates))
    rows = [
        {
            "record_a": min(c.a, c.b),
            "record_b": max(c.a, c.b),
            "score": c.score,
            "agreed": list(c.agreed),
            "created_at": now,
        }
        for c in result.candidates
    ]
    for start in range(0, len(rows), WRITE_BATCH):
        await conn.execute(identity_candidates.insert(), rows[start : start + WRITE_BATCH])


async def _write_records(
    store: Store,
    records: Sequence[IndexedRecord],
    result: LinkResult,
    assignment: _Assignment,
    progress: Progress | None,
) -> int:
    changes = []
    for record in records:
        person = assignment.person_of_cluster[result.cluster[record.row_id]]
        method = result.method[record.row_id].value
        score = result.score.get(record.row_id)
        if (record.person_id, record.link_method, record.link_score) != (person, method, score):
            changes.append({"row": record.row_id, "person": person, "method": method, "score": score})

    statement = (
        update(identity_records)
        .where(identity_records.c.id == bindparam("row"))
        .values(person_id=bindparam("person"), link_method=bindparam("method"), link_score=bindparam("score"))
    )
    for start in range(0, len(changes), WRITE_BATCH):
        async with store.engine.begin() as conn:
            await conn.execute(statement, changes[start : start + WRITE_BATCH])
        if progress is not None:
            progress("write", min(start + WRITE_BATCH, len(changes)), len(changes))
    return len(changes)
