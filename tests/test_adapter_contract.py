"""One behaviour suite run against every agency adapter over its real stand-in.

Each behaviour is written once and parametrized over the police, court, prison and
justice-bureau adapters, so a new adapter meets the same contract or fails here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from adapters.contract import RecordAdapter
from adapters.correction import CorrectionAdapter
from adapters.court import CourtAdapter
from adapters.errors import UpstreamUnavailable
from adapters.idnumber import IdNumber, check_character, parse_id_number
from adapters.police import PoliceAdapter
from adapters.prison import PrisonAdapter
from adapters.records import Agency, AgencyRecords
from simulators import court as court_stand_in
from simulators.cli import load_database, sqlite_url
from simulators.model import Dataset
from tests.legacy_db import closed_port, dataset
from tests.servers import serve_in_thread

AGENCIES = [Agency.POLICE, Agency.COURT, Agency.PRISON, Agency.JUSTICE_BUREAU]
STAND_IN_NAMES = {Agency.POLICE: "police", Agency.PRISON: "prison", Agency.JUSTICE_BUREAU: "correction"}
RECORD_LISTS = (
    "judgments",
    "police_cases",
    "coercive_measures",
    "administrative_detentions",
    "custody",
    "corrections",
)


def people_with_records(data: Dataset, agency: Agency) -> set[int]:
    """Return the ids of people with records in the agency's stand-in."""
    holders: dict[Agency, Callable[[], set[int]]] = {
        Agency.POLICE: lambda: (
            {case.person_id for case in data.police_cases}
            | {detention.person_id for detention in data.administrative_detentions}
        ),
        Agency.COURT: lambda: {judgment.person_id for judgment in data.judgments},
        Agency.PRISON: lambda: {stay.person_id for stay in data.prison_stays},
        Agency.JUSTICE_BUREAU: lambda: {correction.person_id for correction in data.corrections},
    }
    return holders[agency]()


def all_records(result: AgencyRecords) -> list[object]:
    return [record for name in RECORD_LISTS for record in getattr(result, name)]


def unused_id_number(data: Dataset) -> IdNumber:
    """Return a valid Liangshan ID number that no person in the data set carries."""
    taken = {person.id_number for person in data.people}
    for sequence in range(100, 999):
        first17 = f"51340119770707{sequence:03d}"
        candidate = first17 + check_character(first17)
        if candidate not in taken:
            return parse_id_number(candidate)
    raise LookupError("every candidate ID number is taken")


@pytest.fixture(scope="module")
def stand_in_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Agency, str]]:
    """Fill every stand-in from the default data set and serve the court over HTTP."""
    folder: Path = tmp_path_factory.mktemp("stand-ins")
    data = dataset()
    urls: dict[Agency, str] = {}
    for agency, name in STAND_IN_NAMES.items():
        urls[agency] = sqlite_url(folder, name)
        load_database(name, urls[agency], data)

    court_db = str(folder / "court.sqlite")
    court_stand_in.create_and_load(court_db, data)
    with serve_in_thread(court_stand_in.create_app(court_db)) as base_url:
        urls[Agency.COURT] = f"{base_url}/ws/court"
        yield urls


def make_adapter(agency: Agency, url: str) -> RecordAdapter:
    if agency is Agency.COURT:
        return CourtAdapter(url, timeout_s=5.0)
    factories = {
        Agency.POLICE: PoliceAdapter,
        Agency.PRISON: PrisonAdapter,
        Agency.JUSTICE_BUREAU: CorrectionAdapter,
    }
    return factories[agency](url, timeout_s=3.0)


@pytest.fixture(params=AGENCIES, ids=[agency.value for agency in AGENCIES])
async def adapter(
    request: pytest.FixtureRequest, stand_in_urls: dict[Agency, str]
) -> AsyncIterator[RecordAdapter]:
    agency: Agency = request.param
    started = make_adapter(agency, stand_in_urls[agency])
    await started.start()
    try:
        yield started
    finally:
        await started.aclose()


async def test_adapter_meets_protocol(adapter: RecordAdapter) -> None:
    assert isinstance(adapter, RecordAdapter)


async def test_adapter_ping_succeeds(adapter: RecordAdapter) -> None:
    await adapter.ping()


async def test_adapter_returns_own_agency(adapter: RecordAdapter) -> None:
    data = dataset()
    person = data.person(data.showcase_person_id)

    result = await adapter.fetch_records(parse_id_number(person.id_number))

    assert result.agency is adapter.agency


async def test_showcase_person_has_records_everywhere(adapter: RecordAdapter) -> None:
    data = dataset()
    person = data.person(data.showcase_person_id)

    result = await adapter.fetch_records(parse_id_number(person.id_number))

    assert all_records(result), f"{adapter.agency} returned no records for the showcase person"


async def test_every_record_names_source(adapter: RecordAdapter) -> None:
    data = dataset()
    person = data.person(data.showcase_person_id)

    result = await adapter.fetch_records(parse_id_number(person.id_number))

    for record in all_records(result) + list(result.persons):
        source = record.source
        assert source.agency is adapter.agency
        assert source.local_reference.strip()


async def test_identity_uses_canonical_codes(adapter: RecordAdapter) -> None:
    data = dataset()
    person = data.person(data.showcase_person_id)

    result = await adapter.fetch_records(parse_id_number(person.id_number))

    assert result.persons, f"{adapter.agency} returned no identity for the showcase person"
    for identity in result.persons:
        assert identity.id_number == person.id_number
        assert identity.sex_code in {"0", "1", "2", "9"}
        assert identity.name


async def test_unknown_person_returns_nothing(adapter: RecordAdapter) -> None:
    result = await adapter.fetch_records(unused_id_number(dataset()))

    assert all_records(result) == []
    assert result.persons == []


async def test_every_holder_is_found(adapter: RecordAdapter) -> None:
    """Every person with records in the stand-in is found by their 18-character number."""
    data = dataset()
    holders = sorted(people_with_records(data, adapter.agency))[:40]

    missing = []
    for person_id in holders:
        result = await adapter.fetch_records(parse_id_number(data.person(person_id).id_number))
        if not all_records(result):
            missing.append(person_id)

    assert missing == []


async def test_legacy_15_digit_holder_is_found(adapter: RecordAdapter) -> None:
    data = dataset()
    holders = people_with_records(data, adapter.agency)
    legacy = [person for person in data.people if person.legacy_15_only and person.person_id in holders]
    if not legacy:
        pytest.skip(f"the data set has no 15-digit-only person with {adapter.agency} records")

    result = await adapter.fetch_records(parse_id_number(legacy[0].id_number))

    assert all_records(result)


async def test_records_are_frozen_values(adapter: RecordAdapter) -> None:
    data = dataset()
    person = data.person(data.showcase_person_id)

    result = await adapter.fetch_records(parse_id_number(person.id_number))

    for record in all_records(result):
        assert dataclasses.is_dataclass(record)
        with pytest.raises(dataclasses.FrozenInstanceError):
            record.source = None


@pytest.mark.parametrize("agency", AGENCIES, ids=[agency.value for agency in AGENCIES])
async def test_unreachable_system_raises_unavailable(agency: Agency) -> None:
    port = closed_port()
    url = (
        f"http://127.0.0.1:{port}/ws/court"
        if agency is Agency.COURT
        else f"postgresql+asyncpg://postgres@127.0.0.1:{port}/none"
    )
    unreachable = make_adapter(agency, url)

    with pytest.raises(UpstreamUnavailable) as caught:
        await unreachable.start()
        await unreachable.fetch_records(parse_id_number(dataset().people[0].id_number))
    await unreachable.aclose()

    assert caught.value.agency == agency.value


async def test_batch_matches_single_lookups(adapter: RecordAdapter) -> None:
    ids = [parse_id_number(person.id_number) for person in dataset().people[:30]]

    many: dict[str, AgencyRecords] = await adapter.fetch_records_many(ids)  # type: ignore[attr-defined]
    singles = [await adapter.fetch_records(id_number) for id_number in ids]

    assert set(many) == {id_number.value for id_number in ids}
    for id_number, single in zip(ids, singles, strict=True):
        assert sorted(map(repr, all_records(many[id_number.value]))) == sorted(map(repr, all_records(single)))
    assert any(all_records(records) for records in many.values())
