"""The prison adapter against its stand-in, loaded into SQLite and into PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.contract import RecordAdapter
from adapters.idnumber import parse_id_number
from adapters.prison import PrisonAdapter, ethnicity_code, term_months
from adapters.records import Agency, AgencyRecords, CustodyEventType
from adapters.sql import MappingError
from simulators.prison import store
from tests.legacy_db import dataset, first_person


def _prisoner_ids() -> set[int]:
    return {stay.person_id for stay in dataset().prison_stays}


@pytest.fixture(scope="session")
def prison_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("prison") / "prison.sqlite"
    url = f"sqlite+aiosqlite:///{path}"
    store.create_and_load(url, dataset())
    return url


@pytest.fixture(scope="session")
def prison_postgres_url(postgres_url: str) -> str:
    store.create_and_load(postgres_url, dataset())
    return postgres_url


@pytest.fixture(params=["sqlite", "postgres"])
async def prison(request: pytest.FixtureRequest) -> AsyncIterator[PrisonAdapter]:
    adapter = PrisonAdapter(request.getfixturevalue(f"prison_{request.param}_url"))
    await adapter.start()
    yield adapter
    await adapter.aclose()


async def _fetch(prison: PrisonAdapter, id_number: str) -> AgencyRecords:
    return await prison.fetch_records(parse_id_number(id_number))


async def _showcase(prison: PrisonAdapter) -> AgencyRecords:
    return await _fetch(prison, dataset().person(dataset().showcase_person_id).id_number)


def test_prison_adapter_meets_contract() -> None:
    assert isinstance(PrisonAdapter("sqlite+aiosqlite://"), RecordAdapter)


async def test_showcase_stay_lists_events(prison: PrisonAdapter) -> None:
    records = await _showcase(prison)

    events = [event.event for event in records.custody[0].events]
    assert events == [
        CustodyEventType.ADMISSION,
        CustodyEventType.SENTENCE_REDUCTION,
        CustodyEventType.SENTENCE_REDUCTION,
        CustodyEventType.PAROLE,
    ]


async def test_reductions_carry_their_months(prison: PrisonAdapter) -> None:
    stay = next(s for s in dataset().prison_stays if s.person_id == dataset().showcase_person_id)

    records = await _showcase(prison)

    months = [e.months for e in records.custody[0].events if e.event is CustodyEventType.SENTENCE_REDUCTION]
    assert months == [reduction.months for reduction in stay.reductions]


async def test_stay_maps_date_and_text_columns(prison: PrisonAdapter) -> None:
    stay = next(s for s in dataset().prison_stays if s.person_id == dataset().showcase_person_id)

    records = await _showcase(prison)

    custody = records.custody[0]
    assert custody.admitted_on == stay.admitted_on
    assert custody.sentence_end_date == stay.sentence_end_date
    assert custody.released_on == stay.released_on


async def test_stay_case_number_is_parsed(prison: PrisonAdapter) -> None:
    stay = next(s for s in dataset().prison_stays if s.person_id == dataset().showcase_person_id)

    records = await _showcase(prison)

    case_number = records.custody[0].case_number
    assert case_number is not None
    assert case_number.raw == stay.case_number
    assert case_number.case_type == "刑初"


async def test_stay_source_names_admission_key(prison: PrisonAdapter) -> None:
    records = await _showcase(prison)

    source = records.custody[0].source
    assert source.agency is Agency.PRISON
    assert source.local_reference.startswith("RJ")


async def test_completed_sentence_maps_to_release(prison: PrisonAdapter) -> None:
    stay = next(s for s in dataset().prison_stays if s.release_type == "release")

    records = await _fetch(prison, dataset().person(stay.person_id).id_number)

    assert records.custody[0].events[-1].event is CustodyEventType.RELEASE


async def test_serving_prisoner_has_no_release(prison: PrisonAdapter) -> None:
    stay = next(s for s in dataset().prison_stays if s.released_on is None)

    records = await _fetch(prison, dataset().person(stay.person_id).id_number)

    assert records.custody[0].released_on is None


@pytest.mark.parametrize(("sex", "expected"), [("1", "1"), ("2", "2")])
async def test_chinese_sex_maps_to_code(prison: PrisonAdapter, sex: str, expected: str) -> None:
    person = first_person(lambda p: p.sex_code == sex, _prisoner_ids())

    records = await _fetch(prison, person.id_number)

    assert records.persons[0].sex_code == expected


async def test_ethnicity_name_maps_to_code(prison: PrisonAdapter) -> None:
    records = await _showcase(prison)

    assert records.persons[0].ethnicity_code == "07"


async def test_fifteen_digit_number_found(prison: PrisonAdapter) -> None:
    person = first_person(lambda p: p.legacy_15_only, _prisoner_ids())

    records = await _fetch(prison, person.id_number)

    assert records.persons[0].id_number == person.id_number
    assert records.persons[0].id_number_as_recorded == person.id_number[:6] + person.id_number[8:17]


async def test_school_name_is_other_name(prison: PrisonAdapter) -> None:
    showcase = dataset().person(dataset().showcase_person_id)

    records = await _showcase(prison)

    assert records.persons[0].other_names == (showcase.han_name,)


async def test_unknown_person_gives_empty_records(prison: PrisonAdapter) -> None:
    records = await _fetch(prison, "11010519491231002X")

    assert records == AgencyRecords(agency=Agency.PRISON)


@pytest.mark.parametrize(("text", "months"), [("7年", 84), ("2年6个月", 30), ("8个月", 8), ("8月", 8)])
def test_term_text_converts_to_months(text: str, months: int) -> None:
    assert term_months(text, field="zf_rjdj.xq") == months


@pytest.mark.parametrize("text", ["", "七年", "2年半"])
def test_unreadable_term_raises_mapping_error(text: str) -> None:
    with pytest.raises(MappingError):
        term_months(text, field="zf_rjdj.xq")


@pytest.mark.parametrize(("name", "code"), [("彝族", "07"), ("彝", "07"), ("汉族", "01"), ("傈僳族", "20")])
def test_ethnicity_name_converts(name: str, code: str) -> None:
    assert ethnicity_code(name) == code


def test_term_text_round_trips() -> None:
    assert [term_months(store.term_text(m), field="xq") for m in (7, 12, 30)] == [7, 12, 30]
