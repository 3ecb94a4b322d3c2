"""The sealing veto: no agency records that could contain a sealed record reach the records cache."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from adapters.records import Agency, AgencyRecords, PenaltyType, Sentence
from hub.cache import CachingAdapter, InProcessCache, RecordCache
from hub.cache_veto import juvenile_horizon, sealing_veto
from tests.perf.fakes import PERSON, fresh_metrics
from tests.standins import RECORDS, court_records, prison_records

# PERSON was born on 1985-06-12: under 18 until 2003-06-12 inclusive.
JUVENILE_OFFENCE = dt.date(2002, 11, 3)
ADULT_OFFENCE = dt.date(2010, 4, 1)


class CannedAdapter:
    def __init__(self, records: AgencyRecords) -> None:
        self.agency = records.agency
        self.records = records
        self.calls = 0

    async def start(self) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def fetch_records(self, id_number: object) -> AgencyRecords:
        self.calls += 1
        return self.records


def court_with(offence_date: dt.date | None, term_months: int = 24) -> AgencyRecords:
    judgment = replace(
        court_records().judgments[1],
        offence_date=offence_date,
        sentence=Sentence(PenaltyType.FIXED_TERM_IMPRISONMENT, term_months=term_months),
    )
    return AgencyRecords(agency=Agency.COURT, persons=court_records().persons, judgments=[judgment])


async def cached_after_two_lookups(records: AgencyRecords) -> tuple[int, int]:
    backend = InProcessCache()
    inner = CannedAdapter(records)
    adapter = CachingAdapter(
        inner, RecordCache(backend, is_cacheable=sealing_veto, metrics=fresh_metrics()), 60
    )
    await adapter.fetch_records(PERSON)
    await adapter.fetch_records(PERSON)
    return len(backend), inner.calls


async def test_juvenile_judgment_never_reaches_the_cache() -> None:
    assert await cached_after_two_lookups(court_with(JUVENILE_OFFENCE)) == (0, 2)


async def test_judgment_of_uncertain_age_is_not_cached() -> None:
    assert await cached_after_two_lookups(court_with(None)) == (0, 2)


async def test_adult_judgment_is_cached() -> None:
    assert await cached_after_two_lookups(court_with(ADULT_OFFENCE)) == (1, 1)


async def test_juvenile_judgment_over_five_years_is_cached() -> None:
    assert await cached_after_two_lookups(court_with(JUVENILE_OFFENCE, term_months=72)) == (1, 1)


def test_lifted_juvenile_judgment_is_cacheable() -> None:
    juvenile = court_with(JUVENILE_OFFENCE).judgments[0]
    later = replace(
        juvenile,
        source=replace(juvenile.source, local_reference="PJ-9"),
        offence_date=ADULT_OFFENCE,
        effective_date=dt.date(2021, 1, 5),
        sentence=Sentence(PenaltyType.FIXED_TERM_IMPRISONMENT, term_months=48),
    )
    records = AgencyRecords(agency=Agency.COURT, judgments=[juvenile, later])

    assert sealing_veto(PERSON, records)


def test_early_custody_is_not_cacheable() -> None:
    early = prison_records()
    early.custody = [replace(early.custody[0], admitted_on=juvenile_horizon(PERSON.birth_date))]
    undated = prison_records()
    undated.custody = [replace(undated.custody[0], admitted_on=None)]

    assert not sealing_veto(PERSON, early)
    assert not sealing_veto(PERSON, undated)
    assert sealing_veto(PERSON, prison_records())  # admitted 2019, years after the horizon


def police_without_detentions() -> AgencyRecords:
    records = RECORDS[Agency.POLICE]()
    records.administrative_detentions = []
    return records


def test_police_answers_without_detentions_pass() -> None:
    assert sealing_veto(PERSON, police_without_detentions())  # case filed 2024, years after the horizon


async def test_police_answer_with_detention_is_vetoed() -> None:
    records = RECORDS[Agency.POLICE]()

    assert len(records.administrative_detentions) == 1
    assert not sealing_veto(PERSON, records)
    assert await cached_after_two_lookups(records) == (0, 2)
    assert await cached_after_two_lookups(police_without_detentions()) == (1, 1)


def test_recent_detention_is_vetoed() -> None:
    records = RECORDS[Agency.POLICE]()
    records.police_cases, records.coercive_measures = [], []
    late = replace(records.administrative_detentions[0], start_date=dt.date(2026, 3, 1))
    records.administrative_detentions = [late]

    assert not sealing_veto(PERSON, records)


def test_early_or_undated_police_case_is_not_cacheable() -> None:
    early = police_without_detentions()
    early.police_cases = [replace(early.police_cases[0], filed_on=juvenile_horizon(PERSON.birth_date))]
    undated = police_without_detentions()
    undated.coercive_measures = [replace(undated.coercive_measures[0], start_date=None)]

    assert not sealing_veto(PERSON, early)
    assert not sealing_veto(PERSON, undated)


def test_court_answer_without_offence_dates_is_not_cacheable() -> None:
    assert not sealing_veto(PERSON, court_records())
