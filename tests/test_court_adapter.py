"""The court adapter against the court stand-in over real HTTP on loopback."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from adapters.contract import RecordAdapter
from adapters.court import CourtAdapter
from adapters.idnumber import parse_id_number
from adapters.records import (
    Agency,
    CaseNumber,
    Charge,
    CorrectionType,
    PenaltyType,
    Sentence,
    SourceRef,
    Verdict,
)
from simulators.dataset import build_dataset
from simulators.model import Dataset
from tests.court_support import (
    KUN,
    NO_COUNTY,
    NOBODY,
    OLD_HUILI,
    ServerThread,
    court_stand_in,
    sample_dataset,
    started_adapter,
)


@pytest.fixture
def court(tmp_path: Path) -> Iterator[ServerThread]:
    with court_stand_in(tmp_path, sample_dataset()) as server:
        yield server


@pytest.fixture
async def adapter(court: ServerThread) -> AsyncIterator[CourtAdapter]:
    async with started_adapter(court) as started:
        yield started


async def configure(court: ServerThread, **settings: object) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(court.url + "/admin/config", json=settings)
        response.raise_for_status()


async def test_adapter_meets_record_contract(adapter: CourtAdapter) -> None:
    assert isinstance(adapter, RecordAdapter)


async def test_fetch_records_maps_judgment_fields(adapter: CourtAdapter) -> None:
    records = await adapter.fetch_records(parse_id_number(KUN.id_number))
    judgment = next(j for j in records.judgments if j.case_number.raw == "（2024）川3401刑初12号")

    assert judgment.source == SourceRef(Agency.COURT, "（2024）川3401刑初12号")
    assert judgment.case_number == CaseNumber("（2024）川3401刑初12号", 2024, "川3401", "刑初", 12)
    assert judgment.court_name == "西昌市人民法院"
    assert judgment.verdict is Verdict.GUILTY
    assert judgment.sentence == Sentence(PenaltyType.FIXED_TERM_IMPRISONMENT, 24, 36, 5000)
    assert judgment.charges == (Charge("走私、贩卖、运输、制造毒品罪", "347", "贩卖"),)
    assert judgment.judgment_date == dt.date(2024, 3, 5)
    assert judgment.effective_date == dt.date(2024, 3, 18)
    assert judgment.offence_date == dt.date(2023, 11, 20)
    assert judgment.procuratorate == "西昌市人民检察院"
    assert judgment.correction_type is CorrectionType.SUSPENDED_SENTENCE
    assert judgment.residence_county_code == "513401"


async def test_fetch_records_maps_person_identity(adapter: CourtAdapter) -> None:
    records = await adapter.fetch_records(parse_id_number(KUN.id_number))
    person = records.persons[0]

    assert person.name == "吉克堃"
    assert person.id_number == KUN.id_number
    assert person.id_number_as_recorded == KUN.id_number
    assert person.sex_code == "1"
    assert person.ethnicity_code == "07"
    assert person.birth_date == dt.date(1985, 3, 12)
    assert person.county_code == "513401"


async def test_fetch_records_returns_all_judgments(adapter: CourtAdapter) -> None:
    records = await adapter.fetch_records(parse_id_number(KUN.id_number))

    assert sorted(j.case_number.serial or 0 for j in records.judgments) == [12, 305]


async def test_fetch_records_finds_15_digit_records(adapter: CourtAdapter) -> None:
    records = await adapter.fetch_records(parse_id_number(OLD_HUILI.id_number))

    assert [j.case_number.court for j in records.judgments] == ["西法"]
    assert records.persons[0].id_number_as_recorded == OLD_HUILI.id_number[:6] + OLD_HUILI.id_number[8:17]
    assert records.persons[0].id_number == OLD_HUILI.id_number


async def test_fetch_records_unknown_person_empty(adapter: CourtAdapter) -> None:
    records = await adapter.fetch_records(parse_id_number(NOBODY))

    assert records.judgments == []
    assert records.persons == []


async def test_flawed_judgments_still_map(adapter: CourtAdapter) -> None:
    records = await adapter.fetch_records(parse_id_number(NO_COUNTY.id_number))
    by_raw = {j.case_number.raw: j for j in records.judgments}

    assert by_raw["川3401刑初八号"].case_number == CaseNumber(raw="川3401刑初八号")
    assert by_raw["（2025）川34刑终7号"].effective_date is None
    assert by_raw["（2025）川34刑终7号"].residence_county_code == "519999"


@pytest.mark.parametrize("declaration", ["honest", "header_only", "utf8_lie", "gb2312"])
async def test_gbk_body_keeps_kun(adapter: CourtAdapter, court: ServerThread, declaration: str) -> None:
    await configure(court, declaration=declaration)

    records = await adapter.fetch_records(parse_id_number(KUN.id_number))

    assert records.persons[0].name == "吉克堃"


async def test_case_lookup_matches_bracket_variants(adapter: CourtAdapter) -> None:
    judgment = await adapter.judgment_by_case_number("(2024) 川3401刑初12号")

    assert judgment is not None
    assert judgment.case_number.raw == "（2024）川3401刑初12号"
    assert judgment.charges == (Charge("走私、贩卖、运输、制造毒品罪", "347", "贩卖"),)


async def test_case_lookup_maps_typed_fields(adapter: CourtAdapter) -> None:
    judgment = await adapter.judgment_by_case_number("（2025）川34刑终7号")

    assert judgment is not None
    assert judgment.sentence == Sentence(PenaltyType.PUBLIC_SURVEILLANCE, 12, None, 5000)
    assert judgment.correction_type is CorrectionType.PUBLIC_SURVEILLANCE
    assert judgment.effective_date is None
    assert judgment.court_name == "凉山彝族自治州中级人民法院"


async def test_case_lookup_unknown_is_none(adapter: CourtAdapter) -> None:
    assert await adapter.judgment_by_case_number("（2024）川3401刑初99999号") is None


async def test_changes_page_in_sequence_order(adapter: CourtAdapter) -> None:
    first = await adapter.judgment_changes(0, limit=2)
    rest = await adapter.judgment_changes(first[-1].sequence, limit=100)

    assert [change.sequence for change in first + rest] == [1, 2, 3, 4, 5]


async def test_changes_carry_subject_identity(adapter: CourtAdapter) -> None:
    changes = await adapter.judgment_changes(0, limit=1)

    assert changes[0].person.name == "吉克堃"
    assert changes[0].person.id_number == KUN.id_number
    assert changes[0].person.county_code == "513401"
    assert changes[0].judgment.residence_county_code == "513401"


async def test_changes_after_last_are_empty(adapter: CourtAdapter) -> None:
    assert await adapter.judgment_changes(5) == []


async def test_added_judgment_appears_as_change(adapter: CourtAdapter, court: ServerThread) -> None:
    posted = {
        "person": {"name": "吉克堃", "id_number": KUN.id_number, "sex_code": "1", "county_code": "513401"},
        "judgment": {
            "case_number": "（2026）川3401刑初88号",
            "court_name": "西昌市人民法院",
            "court_code": "川3401",
            "verdict": "guilty",
            "penalty": "criminal_detention",
            "term_months": 4,
            "charges": [{"name": "危险驾驶罪", "article": "133-1"}],
            "judgment_date": "2026-11-02",
            "effective_date": "2026-11-13",
        },
    }
    async with httpx.AsyncClient() as client:
        response = await client.post(court.url + "/admin/judgments", json=posted)

    changes = await adapter.judgment_changes(5)

    assert response.json() == {"sequence": 6}
    assert [change.judgment.case_number.serial for change in changes] == [88]


async def test_ping_succeeds_when_court_up(adapter: CourtAdapter) -> None:
    await adapter.ping()


@pytest.fixture
def built_court(tmp_path: Path) -> Iterator[tuple[ServerThread, Dataset]]:
    dataset = build_dataset(people=400)
    with court_stand_in(tmp_path, dataset) as server:
        yield server, dataset


async def test_data_set_judgments_found_by_id(
    built_court: tuple[ServerThread, Dataset],
) -> None:
    server, dataset = built_court
    expected: dict[str, set[str]] = {}
    for judgment in dataset.judgments:
        expected.setdefault(dataset.person(judgment.person_id).id_number, set()).add(judgment.case_number)
    adapter = CourtAdapter(server.url + "/ws/court")
    await adapter.start()

    found = {}
    for number in expected:
        records = await adapter.fetch_records(parse_id_number(number))
        found[number] = {judgment.case_number.raw for judgment in records.judgments}
    await adapter.aclose()

    assert found == expected


async def test_data_set_names_survive_gbk(
    built_court: tuple[ServerThread, Dataset],
) -> None:
    server, dataset = built_court
    adapter = CourtAdapter(server.url + "/ws/court")
    await adapter.start()

    changes = await adapter.judgment_changes(0, limit=1000)
    await adapter.aclose()

    assert {c.person.name for c in changes} == {dataset.person(j.person_id).name for j in dataset.judgments}
