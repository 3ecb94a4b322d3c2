"""The person index in the hub's store: stable IDs, relinks, decisions, aliases and search."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.errors import IdentityConflict, InvalidIdentityArgument
from adapters.idnumber import parse_id_number
from hub.identity.index import entry_row
from hub.identity.linkage import Outcome
from hub.identity.relink import relink
from hub.identity.service import IdentityService
from hub.store import Store, create_store, migrate, utcnow
from hub.store.identity_tables import identity_events, identity_record_names, identity_records
from tests.identity.support import ASU, OTHER, entry, put


async def persons(store: Store) -> dict[str, int]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(select(identity_records.c.local_key, identity_records.c.person_id))
        return {key: person for key, person in rows}


async def row_id(store: Store, key: str) -> int:
    async with store.engine.connect() as conn:
        found = await conn.scalar(select(identity_records.c.id).where(identity_records.c.local_key == key))
    assert found is not None
    return int(found)


async def event_kinds(store: Store) -> list[str]:
    async with store.engine.connect() as conn:
        return [kind for (kind,) in await conn.execute(select(identity_events.c.kind))]


async def test_ingest_joins_same_id_number(store: Store) -> None:
    await put(store, entry("police", "R1", "阿苏拉哈", number=ASU))
    await put(store, entry("prison", "ZF1", "阿苏·拉哈", number=ASU[:6] + ASU[8:17]))

    found = await persons(store)

    assert found["R1"] == found["ZF1"]


async def test_relink_joins_and_keeps_ids(store: Store) -> None:
    await put(store, entry("police", "R1", "吉克阿依", number=ASU), entry("court", "C1", "吉克·阿依"))
    before = await persons(store)

    first = await relink(store)
    after = await persons(store)
    second = await relink(store)

    assert after["C1"] == after["R1"] == before["R1"]
    assert first.merged == 1 and "merged" in await event_kinds(store)
    assert second.written == 0 and await persons(store) == after


async def test_reingest_keeps_person_ids(store: Store) -> None:
    records = (entry("police", "R1", "吉克阿依", number=ASU), entry("court", "C1", "吉克·阿依"))
    await put(store, *records)
    await relink(store)
    linked = await persons(store)

    await put(store, *records)
    await relink(store)

    assert await persons(store) == linked


async def test_possible_match_shows_agreed_fields(store: Store) -> None:
    await put(store, entry("police", "R1", "阿苏拉哈", number=ASU), entry("prison", "ZF9", "苏文华"))
    await relink(store)

    matches = await IdentityService(store).possible_matches()

    assert len(matches) == 1
    assert set(matches[0].agreed) == {"birth_date", "sex", "county"}
    assert matches[0].score > 0
    found = await persons(store)
    assert found["R1"] != found["ZF9"]


async def test_confirmation_survives_relink(store: Store) -> None:
    await put(store, entry("police", "R1", "阿苏拉哈", number=ASU), entry("prison", "ZF9", "苏文华"))
    await relink(store)
    service = IdentityService(store)

    view = await service.decide(
        await row_id(store, "R1"), await row_id(store, "ZF9"), confirmed=True, operator="op1", reason="核实"
    )
    await relink(store)
    found = await persons(store)
    by_alias = await service.search("苏文华")

    assert view is not None and {"阿苏拉哈", "苏文华"} <= set(view.names)
    assert found["R1"] == found["ZF9"]
    assert [m.person_id for m in by_alias] == [found["R1"]]
    assert await service.possible_matches() == []


async def test_rejection_survives_relink(store: Store) -> None:
    await put(store, entry("police", "R1", "吉克阿依", number=ASU), entry("court", "C1", "吉克·阿依"))
    await relink(store)
    service = IdentityService(store)

    await service.decide(
        await row_id(store, "R1"),
        await row_id(store, "C1"),
        confirmed=False,
        operator="op1",
        reason="不是同一人",
    )
    split = await persons(store)
    await relink(store)
    relinked = await persons(store)

    assert split["R1"] != split["C1"]
    assert relinked == split
    assert {"split", "rejected"} <= set(await event_kinds(store))


async def test_confirm_distinct_numbers_raises(store: Store) -> None:
    await put(
        store, entry("police", "R1", "阿苏拉哈", number=ASU), entry("police", "R2", "阿苏拉哈", number=OTHER)
    )

    with pytest.raises(IdentityConflict):
        await IdentityService(store).decide(
            await row_id(store, "R1"), await row_id(store, "R2"), confirmed=True, operator="op1", reason="x"
        )


async def test_search_returns_confidence(store: Store) -> None:
    await put(
        store,
        entry("police", "R1", "曲比阿果", number=ASU),
        entry("police", "R2", "王志强", number=OTHER, birth="1985-03-07"),
    )

    found = await IdentityService(store).search("確比·阿果", dt.date(1985, 3, 7))

    assert found[0].outcome is not Outcome.NON_MATCH
    assert 0.5 < found[0].confidence <= 1
    assert "阿苏" not in found[0].names
    assert [r.entry.local_key for r in found[0].records] == ["R1"]
    assert all(m.outcome is not Outcome.NON_MATCH for m in found)


async def test_search_finds_a_transposed_birth_date(store: Store) -> None:
    await put(store, entry("police", "R1", "沙马伍各", number=ASU))

    found = await IdentityService(store).search("沙马伍各", dt.date(1985, 7, 3))

    assert len(found) == 1


async def test_search_without_name_raises(store: Store) -> None:
    with pytest.raises(InvalidIdentityArgument):
        await IdentityService(store).search(" · ")


async def test_person_of_lists_linked_records(store: Store) -> None:
    await put(store, entry("police", "R1", "吉克阿依", number=ASU), entry("court", "C1", "吉克·阿依"))
    await relink(store)

    view = await IdentityService(store).person_of(parse_id_number(ASU))

    assert view is not None
    assert sorted((r.entry.local_key, r.link_method) for r in view.records) == [
        ("C1", "probabilistic"),
        ("R1", "id_number"),
    ]


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def linked_keys(view: object) -> list[str]:
    assert view is not None
    return sorted(r.entry.local_key for r in view.records)  # type: ignore[attr-defined]


async def test_person_of_cached_until_ttl(store: Store) -> None:
    await put(store, entry("police", "R1", "吉克阿依", number=ASU), entry("court", "C1", "吉克·阿依"))
    clock = Clock()
    service = IdentityService(store, person_ttl_s=5.0, clock=clock)
    person = parse_id_number(ASU)

    assert linked_keys(await service.person_of(person)) == ["R1"]
    await relink(store)  # another process links C1; this service still returns its cached view
    assert linked_keys(await service.person_of(person)) == ["R1"]
    clock.now += 5.0
    assert linked_keys(await service.person_of(person)) == ["C1", "R1"]


async def test_decision_clears_person_cache(store: Store) -> None:
    await put(store, entry("police", "R1", "吉克阿依", number=ASU), entry("court", "C1", "吉克·阿依"))
    await relink(store)
    service = IdentityService(store, person_ttl_s=3600.0, clock=Clock())
    person = parse_id_number(ASU)
    assert linked_keys(await service.person_of(person)) == ["C1", "R1"]

    await service.decide(
        await row_id(store, "R1"),
        await row_id(store, "C1"),
        confirmed=False,
        operator="op1",
        reason="不是同一人",
    )

    assert linked_keys(await service.person_of(person)) == ["R1"]


async def test_person_cache_bounded(store: Store) -> None:
    await put(
        store, entry("police", "R1", "吉克阿依", number=ASU), entry("police", "R2", "阿苏拉哈", number=OTHER)
    )
    service = IdentityService(store, person_ttl_s=60.0, max_people=1, clock=Clock())

    await service.person_of(parse_id_number(ASU))
    await service.person_of(parse_id_number(OTHER))

    assert list(service._people) == [OTHER]


async def test_search_by_other_name_alone_finds_the_person(store: Store) -> None:
    await put(store, entry("police", "R1", "海来阿牛", number=ASU, others=("海文堃",)))
    await relink(store)
    service = IdentityService(store)

    by_other_name = await service.search("海文堃")
    by_sound = await service.search("海文坤")  # another character of the same reading

    found = await persons(store)
    assert [m.person_id for m in by_other_name] == [found["R1"]]
    assert [m.person_id for m in by_sound] == [found["R1"]]


async def test_search_by_name_alone_rates_namesakes_possible(store: Store) -> None:
    """A name alone neither proves nor disproves identity: every namesake is a possible match.

    The linkage thresholds weigh whole records. A name's weight alone stays under them, so
    they called everyone a search by name found a non-match.
    """
    await put(
        store,
        entry("police", "R1", "海来阿牛", number=ASU, others=("海文堃",)),
        entry("police", "R2", "海来拉哈", number=OTHER, birth="1983-12-02", others=("海文堃",)),
    )
    await relink(store)
    service = IdentityService(store)

    by_name = await service.search("海来阿牛")
    by_other_name = await service.search("海文堃")
    by_sound = await service.search("海文坤")
    with_birth_date = await service.search("海来阿牛", dt.date(1985, 3, 7))

    found = await persons(store)
    assert [(m.person_id, m.outcome) for m in by_name] == [(found["R1"], Outcome.POSSIBLE)]
    assert sorted(m.person_id for m in by_other_name) == sorted([found["R1"], found["R2"]])
    assert {m.outcome for m in by_other_name + by_sound} == {Outcome.POSSIBLE}
    assert [(m.person_id, m.outcome) for m in with_birth_date] == [(found["R1"], Outcome.MATCH)]


async def test_reingest_replaces_the_other_names(store: Store) -> None:
    await put(store, entry("police", "R1", "海来阿牛", number=ASU, others=("海文堃",)))
    await put(store, entry("police", "R1", "海来阿牛", number=ASU, others=("海文华",)))
    service = IdentityService(store)

    assert await service.search("海文堃") == []
    assert len(await service.search("海文华")) == 1


async def test_migration_copies_existing_other_names(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"
    await migrate(url, revision="0004")
    old = create_store(url)
    async with old.engine.begin() as conn:
        recorded = entry("police", "R1", "海来阿牛", number=ASU, others=("海文堃", "海来·阿牛"))
        await conn.execute(identity_records.insert().values(**entry_row(recorded, utcnow())))
    await old.aclose()

    await migrate(url)
    store = create_store(url)
    async with store.engine.connect() as conn:
        copied = (await conn.execute(select(identity_record_names.c.name_key))).scalars().all()
    await store.aclose()

    # The other name written like the record's own name adds nothing to search by.
    assert copied == ["海文堃"]
