"""The police case number (AJBH) a judgment arose from: court stand-in, SOAP, court adapter,
and the sealing filter over the real police and court stand-ins."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from adapters.court import CourtAdapter
from adapters.idnumber import parse_id_number
from adapters.police import PoliceAdapter
from adapters.records import Agency
from hub.auth import Role
from hub.purpose import Purpose, state_purpose
from hub.records import FetchStatus, SourceStatus, merge
from hub.sealing import filter_lookup, seal_status
from simulators.cli import load_database, sqlite_url
from simulators.court import create_and_load, create_app
from simulators.model import Dataset, SimJudgment
from tests.court_support import KUN, NO_COUNTY, ServerThread, court_stand_in, sample_dataset, started_adapter
from tests.legacy_db import dataset
from tests.security.conftest import principal

AJBH = "A5134015100002023110004"
CASE = "（2026）川3401刑初5号"


def linked_sample() -> Dataset:
    """The court tests' sample, with KUN's 2024 judgment recorded against a police case."""
    data = sample_dataset()
    data.judgments[0].police_case_number = AJBH
    return data


@pytest.fixture
def court(tmp_path: Path) -> Iterator[ServerThread]:
    with court_stand_in(tmp_path, linked_sample()) as server:
        yield server


@pytest.fixture
async def adapter(court: ServerThread) -> AsyncIterator[CourtAdapter]:
    async with started_adapter(court) as started:
        yield started


async def test_id_query_maps_police_case_number(adapter: CourtAdapter) -> None:
    records = await adapter.fetch_records(parse_id_number(KUN.id_number))
    by_case = {j.case_number.raw: j.police_case_number for j in records.judgments}

    assert by_case == {"（2024）川3401刑初12号": AJBH, "(2019)川3401刑初305号": None}


async def test_batch_query_maps_police_case_number(adapter: CourtAdapter) -> None:
    found = await adapter.fetch_records_many([parse_id_number(KUN.id_number)])

    assert {j.police_case_number for j in found[KUN.id_number].judgments} == {AJBH, None}


async def test_case_lookup_and_changes_map_it(adapter: CourtAdapter) -> None:
    judgment = await adapter.judgment_by_case_number("(2024)川3401刑初12号")
    unlinked = await adapter.judgment_by_case_number("（2025）川34刑终7号")
    changes = await adapter.judgment_changes(0, limit=100)

    assert judgment is not None
    assert judgment.police_case_number == AJBH
    assert unlinked is not None
    assert unlinked.police_case_number is None
    assert [c.judgment.police_case_number for c in changes] == [AJBH, None, None, None, None]


async def test_soap_response_omits_unrecorded_number(court: ServerThread) -> None:
    body = """<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
      xmlns:tns="http://court.lsz.example/ws"><soap:Body>
      <tns:getAjxxByAh><tns:ah>{}</tns:ah></tns:getAjxxByAh></soap:Body></soap:Envelope>"""
    async with httpx.AsyncClient() as client:
        linked = await client.post(court.url + "/ws/court", content=body.format("（2024）川3401刑初12号"))
        unlinked = await client.post(court.url + "/ws/court", content=body.format("（2025）川34刑终7号"))

    assert f"<tns:gaajbh>{AJBH}</tns:gaajbh>" in linked.text
    assert "gaajbh" not in unlinked.text


async def test_posted_judgment_keeps_police_case_number(adapter: CourtAdapter, court: ServerThread) -> None:
    posted = {
        "person": {"name": NO_COUNTY.name, "id_number": NO_COUNTY.id_number, "sex_code": "1"},
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
            "police_case_number": "A5134015100002026080002",
        },
    }
    async with httpx.AsyncClient() as client:
        response = await client.post(court.url + "/admin/judgments", json=posted)

    changes = await adapter.judgment_changes(response.json()["sequence"] - 1)

    assert [c.judgment.police_case_number for c in changes] == ["A5134015100002026080002"]


def test_old_court_database_gains_column(tmp_path: Path) -> None:
    db_path = tmp_path / "court.sqlite"
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE AJ_PJ (AH TEXT PRIMARY KEY, AH_GF TEXT NOT NULL, DSRBH INTEGER NOT NULL)")
    conn.close()

    create_app(str(db_path))

    with sqlite3.connect(db_path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(AJ_PJ)")}
    conn.close()
    assert "GAAJBH" in columns


# The data set links each judgment to the police case it came from.


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Agency, str]]:
    folder = tmp_path_factory.mktemp("police-and-court")
    police_url = sqlite_url(folder, "police")
    load_database("police", police_url, dataset())
    court_db = str(folder / "court.sqlite")
    create_and_load(court_db, dataset())
    server = ServerThread(create_app(court_db), lifespan="off")
    server.start()
    yield {Agency.POLICE: police_url, Agency.COURT: server.url + "/ws/court"}
    server.stop()


def sealed_juvenile_judgment() -> SimJudgment:
    """The first judgment of the data set that is sealed under CPL art. 286."""
    for candidate in dataset().judgments:
        person = dataset().person(candidate.person_id)
        if person.legacy_15_only or candidate.effective_date is None or candidate.verdict != "guilty":
            continue
        adult = person.birth_date.replace(year=person.birth_date.year + 18)
        if candidate.offence_date < adult and (candidate.term_months or 0) <= 60:
            return candidate
    raise LookupError("the data set has no sealed juvenile judgment")


async def test_data_set_judgments_carry_police_cases(stand_ins: dict[Agency, str]) -> None:
    court = CourtAdapter(stand_ins[Agency.COURT])
    await court.start()
    try:
        changes = await court.judgment_changes(0, limit=1000)
    finally:
        await court.aclose()
    cases = {case.police_case_number: case.person_id for case in dataset().police_cases}
    expected = {j.case_number: j.police_case_number for j in dataset().judgments}

    assert len(changes) == len(expected)
    assert {c.judgment.case_number.raw: c.judgment.police_case_number for c in changes} == expected
    by_number = {parse_id_number(p.id_number).value: p.person_id for p in dataset().people}
    for change in changes:
        number = change.judgment.police_case_number
        assert number is not None
        assert change.person.id_number is not None
        assert cases[number] == by_number[change.person.id_number]


async def test_stand_ins_sealed_police_case_filtered(
    stand_ins: dict[Agency, str],
) -> None:
    sim = sealed_juvenile_judgment()
    subject = parse_id_number(dataset().person(sim.person_id).id_number)
    police = PoliceAdapter(stand_ins[Agency.POLICE], timeout_s=3.0)
    court = CourtAdapter(stand_ins[Agency.COURT])
    await police.start()
    await court.start()
    try:
        fetched = [await police.fetch_records(subject), await court.fetch_records(subject)]
    finally:
        await police.aclose()
        await court.aclose()
    now = dt.datetime.now(dt.UTC)
    result = merge(subject, fetched, [SourceStatus(a, FetchStatus.OK, now, 1.0) for a in Agency])
    judge, prison = principal(Role.JUDGE), principal(Role.PRISON_OFFICER)
    trial = state_purpose(judge, Purpose.TRIAL, case_number=CASE)
    execution = state_purpose(prison, Purpose.EXECUTION_OF_SENTENCE, case_number=CASE)

    judgment = result.criminal_records[0]
    assert judgment.police_case_number == sim.police_case_number
    assert seal_status(judgment, subject.birth_date, (), trial, judge).sealed
    assert [c.police_case_number for c in result.case_information.police_cases] == [sim.police_case_number]
    assert len(result.case_information.coercive_measures) == 2

    shown = filter_lookup(result, trial, judge)
    hidden = filter_lookup(result, execution, prison)

    assert shown.result == result
    assert shown.sealed_returned
    assert hidden.result.criminal_records == ()
    assert hidden.result.case_information.police_cases == ()
    assert hidden.result.case_information.coercive_measures == ()
    assert hidden.withheld == frozenset({Agency.COURT, Agency.POLICE})
