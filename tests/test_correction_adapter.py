"""The justice-bureau adapter against its stand-in, loaded into SQLite and into PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.contract import RecordAdapter
from adapters.correction import CorrectionAdapter
from adapters.idnumber import parse_id_number
from adapters.records import AgencyRecords, CorrectionStatus, CorrectionType, ReportingStatus
from simulators.correction import store
from simulators.model import SimCorrection
from tests.legacy_db import dataset


@pytest.fixture(scope="session")
def correction_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("correction") / "correction.sqlite"
    url = f"sqlite+aiosqlite:///{path}"
    store.create_and_load(url, dataset())
    return url


@pytest.fixture(scope="session")
def correction_postgres_url(postgres_url: str) -> str:
    store.create_and_load(postgres_url, dataset())
    return postgres_url


@pytest.fixture(params=["sqlite", "postgres"])
async def bureau(request: pytest.FixtureRequest) -> AsyncIterator[CorrectionAdapter]:
    adapter = CorrectionAdapter(request.getfixturevalue(f"correction_{request.param}_url"))
    await adapter.start()
    yield adapter
    await adapter.aclose()


def _first(**values: object) -> SimCorrection:
    return next(
        c for c in dataset().corrections if all(getattr(c, key) == value for key, value in values.items())
    )


async def _fetch_for(bureau: CorrectionAdapter, correction: SimCorrection) -> AgencyRecords:
    person = dataset().person(correction.person_id)
    return await bureau.fetch_records(parse_id_number(person.id_number))


def test_correction_adapter_meets_contract() -> None:
    assert isinstance(CorrectionAdapter("sqlite+aiosqlite://"), RecordAdapter)


@pytest.mark.parametrize("kind", list(CorrectionType))
async def test_correction_type_maps_from_code(bureau: CorrectionAdapter, kind: CorrectionType) -> None:
    correction = _first(correction_type=kind.value)

    records = await _fetch_for(bureau, correction)

    assert [c.correction_type for c in records.corrections] == [kind]


@pytest.mark.parametrize("status", [s for s in ReportingStatus if s is not ReportingStatus.PENDING])
async def test_reporting_status_maps_from_its_code(
    bureau: CorrectionAdapter, status: ReportingStatus
) -> None:
    correction = _first(reporting_status=status.value)

    records = await _fetch_for(bureau, correction)

    assert records.corrections[0].reporting_status is status


@pytest.mark.parametrize("status", list(CorrectionStatus))
async def test_correction_status_maps_from_its_code(
    bureau: CorrectionAdapter, status: CorrectionStatus
) -> None:
    correction = _first(status=status.value)

    records = await _fetch_for(bureau, correction)

    assert records.corrections[0].status is status


async def test_showcase_parole_keeps_details(bureau: CorrectionAdapter) -> None:
    correction = _first(person_id=dataset().showcase_person_id)

    records = await _fetch_for(bureau, correction)

    found = records.corrections[0]
    assert found.start_date == correction.start_date
    assert found.end_date == correction.end_date
    assert found.reported_on == correction.reported_on
    assert found.county_code == correction.county_code
    assert found.case_number is not None
    assert found.case_number.raw == correction.case_number


async def test_person_keeps_normalised_id_number(bureau: CorrectionAdapter) -> None:
    correction = dataset().corrections[0]

    records = await _fetch_for(bureau, correction)

    assert records.persons[0].id_number == dataset().person(correction.person_id).id_number


async def test_unknown_person_gives_empty_records(bureau: CorrectionAdapter) -> None:
    records = await bureau.fetch_records(parse_id_number("11010519491231002X"))

    assert records.corrections == []
