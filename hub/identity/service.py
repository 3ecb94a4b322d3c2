"""The identity service the schema reaches through the request context.

``search`` finds people by name and birth date for an officer without the ID number and
gives each candidate a confidence; ``person`` shows one hub person with every record,
alias and possible match; ``decide`` records an operator's confirmation or rejection of
a possible match and applies it at once (``relink`` applies it again on every run).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from adapters.errors import InvalidIdentityArgument
from adapters.idnumber import IdNumber
from hub.identity import normalise
from hub.identity.decisions import apply as apply_decision
from hub.identity.index import (
    IndexedRecord,
    current_person,
    indexed,
    person_of_id_number,
    records_of_person,
)
from hub.identity.linkage import Outcome, Thresholds
from hub.identity.weights import NAME_WEIGHTS, NameComparer, NameLevel, Side, compare
from hub.store import Store
from hub.store.identity_tables import (
    identity_aliases,
    identity_candidates,
    identity_record_names,
    identity_records,
)

MAX_RESULTS = 50
# A search by name alone states nothing but the name, so it is judged on the name alone: a
# name the same or read the same (pinyin) makes a possible match, and nothing more. The
# linkage thresholds weigh whole records, which a name's weight alone never reaches, so
# they would call every such candidate a non-match.
NAME_ONLY = Thresholds(match=math.inf, possible=NAME_WEIGHTS[NameLevel.SAME_PINYIN])
# Log2 prior odds that a searched name and date belong to one given candidate: with it a
# score at the match threshold reads as about 0.999 and one at "possible" as about 0.9.
PRIOR_LOG2_ODDS = -8.5


@dataclass(frozen=True, slots=True)
class PersonMatch:
    person_id: int
    score: float
    confidence: float  # posterior probability under PRIOR_LOG2_ODDS
    outcome: Outcome
    agreed: tuple[str, ...]
    records: tuple[IndexedRecord, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PossibleMatch:
    record_a: IndexedRecord
    record_b: IndexedRecord
    score: float
    agreed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PersonView:
    person_id: int
    records: tuple[IndexedRecord, ...]
    names: tuple[str, ...]
    possible_matches: tuple[PossibleMatch, ...]


class IdentityService:
    """Reads and decisions over the person index.

    ``person_of`` runs on every lookup, so it may cache each result for ``person_ttl_s``
    seconds (0 caches none). A decision made here clears that cache at once. A relink or an
    index poll in another process shows within ``person_ttl_s``.
    """

    def __init__(
        self,
        store: Store,
        thresholds: Thresholds | None = None,
        *,
        person_ttl_s: float = 0.0,
        max_people: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.thresholds = thresholds or Thresholds()
        self._names = NameComparer()
        self.person_ttl_s = person_ttl_s
        self.max_people = max_people
        self._clock = clock
        self._people: OrderedDict[str, tuple[float, PersonView | None]] = OrderedDict()

    async def search(
        self, name: str, birth_date: dt.date | None = None, limit: int = 10
    ) -> list[PersonMatch]:
        """Candidates for a name (Yi or Han, any script or separator) and an optional birth date."""
        key = normalise.name_key(name or "")
        if not key:
            raise InvalidIdentityArgument("identity.search_name", argument="name")
        if not 1 <= limit <= MAX_RESULTS:
            raise InvalidIdentityArgument(
                "identity.limit", argument="limit", value=limit, maximum=MAX_RESULTS
            )

        async with self.store.read() as conn:
            found = await self._candidates(conn, key, birth_date)
            names = await _aliases(conn, set(found))
        query = Side((key,), birth_date.toordinal() if birth_date else 0, "0", None, None, None)
        thresholds = self.thresholds if birth_date is not None else NAME_ONLY
        matches = [
            self._match(query, person, rows, names.get(person, ()), thresholds)
            for person, rows in found.items()
        ]
        matches = [m for m in matches if m.outcome is not Outcome.NON_MATCH or birth_date is None]
        matches.sort(key=lambda m: (-m.score, m.person_id))
        return matches[:limit]

    async def person(self, person_id: int) -> PersonView | None:
        async with self.store.read() as conn:
            current = await current_person(conn, person_id)
            if current is None:
                return None
            records = await records_of_person(conn, current)
            names = (await _aliases(conn, {current})).get(current, ())
            matches = await self._possible_for(conn, [r.row_id for r in records])
        return PersonView(current, tuple(records), names, tuple(matches))

    async def person_of(self, id_number: IdNumber) -> PersonView | None:
        if self.person_ttl_s <= 0:
            return await self._read_person_of(id_number)
        cached = self.cached_person_of(id_number)
        if cached is not None:
            return cached[0]
        now = self._clock()
        view = await self._read_person_of(id_number)
        self._people[id_number.value] = (now + self.person_ttl_s, view)
        self._people.move_to_end(id_number.value)
        if len(self._people) > self.max_people:
            self._people.popitem(last=False)
        return view

    def cached_person_of(self, id_number: IdNumber) -> tuple[PersonView | None] | None:
        """Return ``(view,)`` when this process read the person's index entry within the TTL, else None.

        The view itself may be None: the index has no such person.
        """
        cached = self._people.get(id_number.value)
        if cached is None or cached[0] <= self._clock():
            return None
        self._people.move_to_end(id_number.value)
        return (cached[1],)

    async def _read_person_of(self, id_number: IdNumber) -> PersonView | None:
        async with self.store.read() as conn:
            person = await person_of_id_number(conn, id_number.value)
        return None if person is None else await self.person(person)

    async def possible_matches(self, limit: int = 20) -> list[PossibleMatch]:
        async with self.store.read() as conn:
            rows = await conn.execute(
                select(identity_candidates).order_by(identity_candidates.c.score.desc()).limit(limit)
            )
            return await self._possible(conn, rows.mappings().all())

    async def decide(
        self, record_a: int, record_b: int, *, confirmed: bool, operator: str, reason: str
    ) -> PersonView | None:
        """Confirm or reject a pair of index records; returns record A's person afterwards."""
        async with self.store.engine.begin() as conn:
            person = await apply_decision(conn, record_a, record_b, confirmed, operator, reason)
        self._people.clear()
        return await self.person(person)

    async def _candidates(
        self, conn: AsyncConnection, key: str, birth: dt.date | None
    ) -> dict[int, list[IndexedRecord]]:
        where: ColumnElement[bool]
        if birth is not None:
            dates = [d for d in (birth, normalise.transposed(birth)) if d is not None]
            where = identity_records.c.birth_date.in_(dates)
        else:
            sound = normalise.pinyin_key(key)
            persons = select(identity_aliases.c.person_id).where(
                or_(identity_aliases.c.name_key == key, identity_aliases.c.pinyin_key == sound)
            )
            other_names = select(identity_record_names.c.record_id).where(
                or_(identity_record_names.c.name_key == key, identity_record_names.c.pinyin_key == sound)
            )
            where = or_(
                identity_records.c.name_key == key,
                identity_records.c.pinyin_key == sound,
                identity_records.c.person_id.in_(persons),
                identity_records.c.id.in_(other_names),
            )
        rows = await conn.execute(select(identity_records).where(where).limit(5000))
        found: dict[int, list[IndexedRecord]] = defaultdict(list)
        for row in rows.mappings():
            if row["person_id"] is not None:
                found[int(row["person_id"])].append(indexed(row))
        return found

    def _match(
        self,
        query: Side,
        person: int,
        rows: Sequence[IndexedRecord],
        names: tuple[str, ...],
        thresholds: Thresholds,
    ) -> PersonMatch:
        keys = tuple(dict.fromkeys(normalise.name_key(n) for n in names))
        sides = [row.entry.side() for row in rows]
        best = max(
            (
                compare(
                    query, Side(keys or side.names, side.birth_ordinal, "0", None, None, None), self._names
                )
                for side in sides
            ),
            key=lambda c: c.score,
        )
        confidence = 1 / (1 + math.pow(2, -(best.score + PRIOR_LOG2_ODDS)))
        return PersonMatch(
            person_id=person,
            score=best.score,
            confidence=round(confidence, 4),
            outcome=thresholds.outcome(best.score),
            agreed=best.agreed,
            records=tuple(rows),
            names=names,
        )

    async def _possible_for(self, conn: AsyncConnection, row_ids: list[int]) -> list[PossibleMatch]:
        if not row_ids:
            return []
        rows = await conn.execute(
            select(identity_candidates).where(
                or_(identity_candidates.c.record_a.in_(row_ids), identity_candidates.c.record_b.in_(row_ids))
            )
        )
        return await self._possible(conn, rows.mappings().all())

    async def _possible(self, conn: AsyncConnection, rows: Sequence[RowMapping]) -> list[PossibleMatch]:
        pairs = [
            (int(r["record_a"]), int(r["record_b"]), float(r["score"]), tuple(r["agreed"])) for r in rows
        ]
        ids = {i for a, b, _, _ in pairs for i in (a, b)}
        records = await _records(conn, ids)
        return [
            PossibleMatch(records[a], records[b], score, agreed)
            for a, b, score, agreed in pairs
            if a in records and b in records
        ]


async def _records(conn: AsyncConnection, ids: set[int]) -> dict[int, IndexedRecord]:
    if not ids:
        return {}
    rows = await conn.execute(select(identity_records).where(identity_records.c.id.in_(sorted(ids))))
    return {int(row["id"]): indexed(row) for row in rows.mappings()}


async def _aliases(conn: AsyncConnection, persons: set[int]) -> dict[int, tuple[str, ...]]:
    """Collect every name of each person: recorded names, other names and confirmed aliases."""
    names: dict[int, dict[str, None]] = defaultdict(dict)
    if not persons:
        return {}
    chosen = sorted(persons)
    rows = await conn.execute(
        select(identity_records.c.person_id, identity_records.c.name, identity_records.c.other_names).where(
            identity_records.c.person_id.in_(chosen)
        )
    )
    for person, name, others in rows:
        for each in (name, *(others or ())):
            names[int(person)][each] = None
    aliases = await conn.execute(
        select(identity_aliases.c.person_id, identity_aliases.c.name).where(
            identity_aliases.c.person_id.in_(chosen)
        )
    )
    for person, name in aliases:
        names[int(person)][name] = None
    return {person: tuple(found) for person, found in names.items()}


async def clear_candidate(conn: AsyncConnection, a: int, b: int) -> None:
    await conn.execute(
        delete(identity_candidates).where(
            identity_candidates.c.record_a == min(a, b), identity_candidates.c.record_b == max(a, b)
        )
    )
