from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import pytest

from adapters.errors import UpstreamFault, UpstreamTimeout, UpstreamUnavailable
from adapters.idnumber import parse_id_number
from adapters.records import Agency
from hub.records import FetchStatus, LookupResult, PriorRecordService, SourceStatus
from tests.standins import ID_NUMBER, StandInAdapter, standins

TIMEOUTS = {agency: 1.0 for agency in Agency}


def service(*adapters: StandInAdapter, timeouts: dict[Agency, float] | None = None) -> PriorRecordService:
    return PriorRecordService(list(adapters) or standins(), timeouts or TIMEOUTS)


def by_agency(result: LookupResult) -> dict[Agency, SourceStatus]:
    return {source.agency: source for source in result.sources}


async def test_lookup_calls_every_agency() -> None:
    adapters = standins()

    result = await service(*adapters).lookup(parse_id_number(ID_NUMBER))

    assert [adapter.calls for adapter in adapters] == [[ID_NUMBER]] * 4
    assert {source.status for source in result.sources} == {FetchStatus.OK}


async def test_agencies_are_called_concurrently() -> None:
    adapters = [StandInAdapter(agency, delay_s=0.3) for agency in Agency]

    started = time.perf_counter()
    await service(*adapters).lookup(parse_id_number(ID_NUMBER))
    elapsed = time.perf_counter() - started

    assert elapsed < 0.6


async def test_slow_agency_does_not_delay_others_latency() -> None:
    court = StandInAdapter(Agency.COURT, delay_s=0.5)

    result = await service(*standins(court=court)).lookup(parse_id_number(ID_NUMBER))
    sources = by_agency(result)

    assert sources[Agency.POLICE].latency_ms < 200
    assert sources[Agency.COURT].latency_ms >= 500


async def test_timeout_marks_agency_timed_out() -> None:
    court = StandInAdapter(Agency.COURT, delay_s=5)
    timeouts = {**TIMEOUTS, Agency.COURT: 0.2}

    result = await service(*standins(court=court), timeouts=timeouts).lookup(parse_id_number(ID_NUMBER))
    source = by_agency(result)[Agency.COURT]

    assert source.status is FetchStatus.TIMED_OUT
    assert isinstance(source.error, UpstreamTimeout)
    assert source.error.agency == "court"


async def test_timeout_keeps_other_agencies_data() -> None:
    court = StandInAdapter(Agency.COURT, delay_s=5)
    timeouts = {**TIMEOUTS, Agency.COURT: 0.2}

    result = await service(*standins(court=court), timeouts=timeouts).lookup(parse_id_number(ID_NUMBER))

    assert result.criminal_records == ()
    assert len(result.case_information.police_cases) == 1
    assert len(result.case_information.custody) == 1


async def test_timeout_returns_on_time_when_adapter_ignores_cancellation() -> None:
    court = StandInAdapter(Agency.COURT, delay_s=0.6, stubborn=True)
    svc = service(*standins(court=court), timeouts={**TIMEOUTS, Agency.COURT: 0.2})

    started = time.perf_counter()
    result = await svc.lookup(parse_id_number(ID_NUMBER))
    elapsed = time.perf_counter() - started
    await svc.aclose()

    assert elapsed < 0.4
    assert by_agency(result)[Agency.COURT].status is FetchStatus.TIMED_OUT


async def test_timeout_is_per_agency() -> None:
    court = StandInAdapter(Agency.COURT, delay_s=0.4)
    police = StandInAdapter(Agency.POLICE, delay_s=0.4)
    timeouts = {**TIMEOUTS, Agency.COURT: 1.0, Agency.POLICE: 0.1}

    result = await service(*standins(court=court, police=police), timeouts=timeouts).lookup(
        parse_id_number(ID_NUMBER)
    )
    sources = by_agency(result)

    assert sources[Agency.COURT].status is FetchStatus.OK
    assert sources[Agency.POLICE].status is FetchStatus.TIMED_OUT


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UpstreamUnavailable(agency="prison", operation="fetch_records"), FetchStatus.UNAVAILABLE),
        (UpstreamTimeout(agency="prison", operation="fetch_records", timeout_s=3), FetchStatus.TIMED_OUT),
        (
            UpstreamFault(agency="prison", operation="fetch_records", fault_string="ORA-00942"),
            FetchStatus.ERROR,
        ),
        (KeyError("XM"), FetchStatus.ERROR),
    ],
)
async def test_failing_agency_reports_status(error: Exception, status: FetchStatus) -> None:
    prison = StandInAdapter(Agency.PRISON, error=error)

    result = await service(*standins(prison=prison)).lookup(parse_id_number(ID_NUMBER))
    source = by_agency(result)[Agency.PRISON]

    assert source.status is status
    assert source.error is not None
    assert len(result.criminal_records) == 1


async def test_unexpected_adapter_error_becomes_upstream_error() -> None:
    prison = StandInAdapter(Agency.PRISON, error=KeyError("XM"))

    result = await service(*standins(prison=prison)).lookup(parse_id_number(ID_NUMBER))

    error = by_agency(result)[Agency.PRISON].error

    assert error is not None
    assert error.code == "UPSTREAM_ERROR"
    assert "KeyError" not in error.render("en")
    assert "XM" not in error.render("zh")


async def test_source_records_latency_and_time() -> None:
    police = StandInAdapter(Agency.POLICE, delay_s=0.1)
    before = dt.datetime.now(dt.UTC)

    result = await service(*standins(police=police)).lookup(parse_id_number(ID_NUMBER))
    source = by_agency(result)[Agency.POLICE]

    assert source.latency_ms >= 100
    assert source.fetched_at.tzinfo is dt.UTC
    assert source.fetched_at >= before


async def test_criminal_records_hold_only_effective_guilty_judgments() -> None:
    result = await service().lookup(parse_id_number(ID_NUMBER))

    assert [j.case_number.serial for j in result.criminal_records] == [88]
    assert [j.case_number.serial for j in result.case_information.judgments] == [12, 7]


async def test_case_information_collects_other_records() -> None:
    info = (await service().lookup(parse_id_number(ID_NUMBER))).case_information

    assert len(info.police_cases) == 1
    assert len(info.coercive_measures) == 1
    assert len(info.administrative_detentions) == 1
    assert len(info.custody) == 1
    assert len(info.corrections) == 1


async def test_person_prefers_identity_with_valid_id_number() -> None:
    result = await service().lookup(parse_id_number(ID_NUMBER))

    assert result.person is not None
    assert result.person.name == "阿苏拉哈"
    assert result.person.id_number == ID_NUMBER
    assert result.person.other_names == ("苏建国",)


async def test_person_is_none_when_no_agency_knows_them() -> None:
    result = await service().lookup(parse_id_number("51340119850612106X"))

    assert result.person is None


async def test_lookup_logs_one_masked_line_per_agency(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="hub.records")
    court = StandInAdapter(Agency.COURT, error=UpstreamUnavailable(agency="court", operation="fetch_records"))

    await service(*standins(court=court)).lookup(parse_id_number(ID_NUMBER))
    records = [record for record in caplog.records if record.name == "hub.records"]
    lines = [record.getMessage() for record in records]

    assert len(lines) == 4
    assert all(ID_NUMBER not in line for line in lines)
    assert all("513401********0315" in line for line in lines)
    # Parts with records log at DEBUG, since each upstream call has its own line.
    # The missing part logs at INFO.
    info = [record.getMessage() for record in records if record.levelno == logging.INFO]
    assert len(info) == 1
    assert info[0].startswith("agency=court ")
    assert "outcome=unavailable" in info[0]


async def test_abandoned_call_is_cancelled() -> None:
    court = StandInAdapter(Agency.COURT, delay_s=5)
    svc = service(*standins(court=court), timeouts={**TIMEOUTS, Agency.COURT: 0.05})

    await svc.lookup(parse_id_number(ID_NUMBER))
    await asyncio.sleep(0.05)

    assert svc._abandoned == set()
