"""The police adapter against its stand-in, loaded into SQLite and into MariaDB (GBK tables)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.contract import RecordAdapter
from adapters.idnumber import parse_id_number
from adapters.police import PoliceAdapter
from adapters.records import Agency, AgencyRecords, CoerciveMeasureType, PoliceCaseStatus
from simulators.police import store
from tests.legacy_db import dataset, first_person


def _police_ids() -> set[int]:
    data = dataset()
    return {case.person_id for case in data.police_cases} | {
        detention.person_id for detention in data.administrative_detentions
    }


@pytest.fixture(scope="session")
def police_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("police") / "police.sqlite"
    url = f"sqlite+aiosqlite:///{path}"
    store.create_and_load(url, dataset())
    return url


@pytest.fixture(scope="session")
def police_mariadb_url(mariadb_url: str) -> str:
    store.create_and_load(mariadb_url, dataset())
    return mariadb_url


@pytest.fixture(params=["sqlite", "mariadb"])
async def police(request: pytest.FixtureRequest) -> AsyncIterator[PoliceAdapter]:
    url = request.getfixturevalue(f"police_{request.param}_url")
    adapter = PoliceAdapter(url)
    await adapter.start()
    yield adapter
    await adapter.aclose()


async def _fetch(police: PoliceAdapter, id_number: str) -> AgencyRecords:
    return await police.fetch_records(parse_id_number(id_number))


def test_police_adapter_meets_contract() -> None:
    assert isinstance(PoliceAdapter("sqlite+aiosqlite://"), RecordAdapter)


async def test_showcase_person_has_the_drug_case(police: PoliceAdapter) -> None:
    showcase = dataset().person(dataset().showcase_person_id)

    records = await _fetch(police, showcase.id_number)

    assert [case.case_type for case in records.police_cases] == ["贩卖毒品案"]


async def test_case_maps_status_date_unit_source(police: PoliceAdapter) -> None:
    data = dataset()
    case = next(c for c in data.police_cases if c.person_id == data.showcase_person_id)

    records = await _fetch(police, data.person(case.person_id).id_number)

    found = records.police_cases[0]
    assert found.status is PoliceCaseStatus.CLOSED
    assert found.filed_on == case.filed_on
    assert found.unit == case.unit
    assert found.source.agency is Agency.POLICE
    assert found.source.local_reference == case.police_case_number


async def test_measures_map_to_canonical_types(police: PoliceAdapter) -> None:
    showcase = dataset().person(dataset().showcase_person_id)

    records = await _fetch(police, showcase.id_number)

    measures = [m.measure for m in records.coercive_measures]
    assert measures == [CoerciveMeasureType.CRIMINAL_DETENTION, CoerciveMeasureType.ARREST]


async def test_administrative_detention_keeps_its_decision_number(police: PoliceAdapter) -> None:
    data = dataset()
    detention = next(d for d in data.administrative_detentions if d.person_id == data.showcase_person_id)

    records = await _fetch(police, data.person(detention.person_id).id_number)

    assert [d.decision_number for d in records.administrative_detentions] == [detention.decision_number]


async def test_person_keeps_name_and_alias(police: PoliceAdapter) -> None:
    showcase = dataset().person(dataset().showcase_person_id)

    records = await _fetch(police, showcase.id_number)

    assert records.persons[0].name == showcase.name
    assert records.persons[0].other_names == (showcase.han_name,)


async def test_fifteen_digit_number_found(police: PoliceAdapter) -> None:
    person = first_person(lambda p: p.legacy_15_only, _police_ids())

    records = await _fetch(police, person.id_number)

    assert records.persons[0].id_number == person.id_number
    assert records.persons[0].id_number_as_recorded == person.id_number[:6] + person.id_number[8:17]


async def test_lower_case_x_found_and_normalised(police: PoliceAdapter) -> None:
    person = first_person(lambda p: store.stored_id_number(p).endswith("x"), _police_ids())

    records = await _fetch(police, person.id_number)

    assert records.persons[0].id_number == person.id_number
    assert records.persons[0].id_number_as_recorded == person.id_number[:17] + "x"


@pytest.mark.parametrize(("legacy", "expected"), [("1", "1"), ("2", "2")])
async def test_legacy_sex_code_maps(police: PoliceAdapter, legacy: str, expected: str) -> None:
    person = first_person(lambda p: p.sex_code == legacy, _police_ids())

    records = await _fetch(police, person.id_number)

    assert records.persons[0].sex_code == expected


async def test_ethnicity_57_maps_to_97(police: PoliceAdapter) -> None:
    person = first_person(lambda p: p.ethnicity_code in ("20", "27"), _police_ids())

    records = await _fetch(police, person.id_number)

    assert records.persons[0].ethnicity_code == "97"


async def test_yi_ethnicity_keeps_its_code(police: PoliceAdapter) -> None:
    showcase = dataset().person(dataset().showcase_person_id)

    records = await _fetch(police, showcase.id_number)

    assert records.persons[0].ethnicity_code == "07"


async def test_char_birth_date_is_parsed(police: PoliceAdapter) -> None:
    showcase = dataset().person(dataset().showcase_person_id)

    records = await _fetch(police, showcase.id_number)

    assert records.persons[0].birth_date == showcase.birth_date


async def test_zero_birth_date_reads_as_unknown(police: PoliceAdapter) -> None:
    person = first_person(lambda p: p.person_id % 97 == 5, _police_ids())

    records = await _fetch(police, person.id_number)

    assert records.persons[0].birth_date is None


async def test_blank_filing_date_reads_as_unknown(police: PoliceAdapter) -> None:
    case = dataset().police_cases[7]

    records = await _fetch(police, dataset().person(case.person_id).id_number)

    filed = {c.police_case_number: c.filed_on for c in records.police_cases}
    assert filed[case.police_case_number] is None


async def test_open_measure_has_no_end_date(police: PoliceAdapter) -> None:
    case = next(c for c in dataset().police_cases if any(m.end_date is None for m in c.measures))

    records = await _fetch(police, dataset().person(case.person_id).id_number)

    assert any(m.end_date is None for m in records.coercive_measures)


async def test_unknown_person_gives_empty_records(police: PoliceAdapter) -> None:
    records = await _fetch(police, "11010519491231002X")

    assert records == AgencyRecords(agency=Agency.POLICE)


async def test_gbk_only_character_round_trips(police: PoliceAdapter) -> None:
    person = first_person(lambda p: "堃" in p.name or "堃" in (p.han_name or ""), _police_ids())

    records = await _fetch(police, person.id_number)

    names = (records.persons[0].name, *records.persons[0].other_names)
    assert any("堃" in name for name in names)


def test_filing_dates_stored_as_char_8() -> None:
    rows = store.build_rows(dataset())[store.T_AJ_JBXX]

    assert all(len(row["LASJ"]) == 8 for row in rows)


async def test_filing_dates_match_the_data_set(police_sqlite_url: str) -> None:
    data = dataset()
    person = data.person(data.police_cases[3].person_id)
    adapter = PoliceAdapter(police_sqlite_url)

    records = await adapter.fetch_records(parse_id_number(person.id_number))
    await adapter.aclose()

    expected = {
        c.police_case_number: c.filed_on for c in data.police_cases if c.person_id == person.person_id
    }
    assert {c.police_case_number: c.filed_on for c in records.police_cases} == expected
