"""``LinkedLookup``: prior records through the person index, linked records marked, judgments once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from adapters.casenumber import try_parse_case_number
from adapters.idnumber import IdNumber, parse_id_number
from adapters.records import (
    Agency,
    AgencyRecords,
    CorrectionRecord,
    CorrectionStatus,
    CorrectionType,
    CustodyRecord,
    Judgment,
    PenaltyType,
    ReportingStatus,
    Sentence,
    SourceRef,
    Verdict,
)
from hub.identity.lookup import LinkedLookup
from hub.identity.relink import relink
from hub.identity.service import IdentityService
from hub.records import FetchStatus, LookupResult, SourceStatus, merge
from hub.store import Store
from tests.identity.support import ASU, entry, put

CASE = "（2024）川3431刑初12号"


def judgment(case_number: str) -> Judgment:
    return Judgment(
        source=SourceRef(Agency.COURT, case_number),
        case_number=try_parse_case_number(case_number),
        court_name="昭觉县人民法院",
        verdict=Verdict.GUILTY,
        sentence=Sentence(PenaltyType.FIXED_TERM_IMPRISONMENT, term_months=24),
        effective_date=dt.date(2024, 5, 1),
    )


class Prior:
    """The fan-out as the ID number alone finds it: the court's judgment."""

    async def lookup(self, id_number: IdNumber) -> LookupResult:
        court = AgencyRecords(Agency.COURT, judgments=[judgment(CASE)])
        status = SourceStatus(Agency.COURT, FetchStatus.OK, dt.datetime.now(dt.UTC), 1.0)
        return merge(id_number, [court], [status])


class Fetcher:
    def __init__(self, agency: Agency, records: AgencyRecords) -> None:
        self.agency = agency
        self.records = records
        self.asked: list[list[str]] = []

    async def fetch_records_by_local_keys(self, keys: Sequence[str]) -> AgencyRecords:
        self.asked.append(list(keys))
        return self.records


def prison_records() -> AgencyRecords:
    stay = CustodyRecord(
        SourceRef(Agency.PRISON, "RJ1"),
        "四川省凉山监狱",
        try_parse_case_number("(2024)川3431刑初12号"),
        dt.date(2024, 5, 10),
        dt.date(2026, 5, 9),
        None,
    )
    return AgencyRecords(Agency.PRISON, custody=[stay])


def correction_records() -> AgencyRecords:
    period = CorrectionRecord(
        SourceRef(Agency.JUSTICE_BUREAU, "7"),
        CorrectionType.PAROLE,
        "513431",
        dt.date(2025, 1, 1),
        dt.date(2026, 5, 9),
        ReportingStatus.REPORTED,
        dt.date(2025, 1, 3),
        CorrectionStatus.ACTIVE,
        case_number=try_parse_case_number("［2024］川3431刑初12号"),
    )
    return AgencyRecords(Agency.JUSTICE_BUREAU, corrections=[period])


async def test_lookup_adds_linked_records(
    store: Store,
) -> None:
    await put(
        store,
        entry("court", CASE, "吉克阿依", number=ASU),
        entry("prison", "ZF1", "吉克·阿依"),
        entry("justice_bureau", "7", "吉克阿依", number=ASU[:10] + "9" + ASU[11:]),
    )
    await relink(store)
    prison = Fetcher(Agency.PRISON, prison_records())
    bureau = Fetcher(Agency.JUSTICE_BUREAU, correction_records())
    lookup = LinkedLookup(Prior(), IdentityService(store), [prison, bureau])

    result = await lookup.lookup(parse_id_number(ASU))

    assert prison.asked == [["ZF1"]] and bureau.asked == [["7"]]
    assert {(link.agency, link.method, link.same_id_number) for link in result.links} == {
        ("court", "id_number", True),
        ("prison", "probabilistic", False),
        ("justice_bureau", "probabilistic", False),
    }
    assert len(result.judgments_by_case) == 1
    grouped = result.judgments_by_case[0]
    assert set(grouped.agencies) == {Agency.COURT, Agency.PRISON, Agency.JUSTICE_BUREAU}
    assert grouped.judgment is not None and len(grouped.custody) == len(grouped.corrections) == 1
    assert len(result.case_information.custody) == 1


async def test_unindexed_number_plain_fan_out(store: Store) -> None:
    result = await LinkedLookup(Prior(), IdentityService(store), []).lookup(parse_id_number(ASU))

    assert result.person_id is None and result.links == ()
    assert len(result.criminal_records) == 1


async def test_linked_fetch_overlaps_fan_out(store: Store) -> None:
    """The fan-out returns only once the linked fetch has started, so run in turn they would deadlock."""
    await put(store, entry("court", CASE, "吉克阿依", number=ASU), entry("prison", "ZF1", "吉克·阿依"))
    await relink(store)
    asked = asyncio.Event()

    class SlowPrior(Prior):
        async def lookup(self, id_number: IdNumber) -> LookupResult:
            await asyncio.wait_for(asked.wait(), timeout=5)
            return await super().lookup(id_number)

    class SignallingFetcher(Fetcher):
        async def fetch_records_by_local_keys(self, keys: Sequence[str]) -> AgencyRecords:
            asked.set()
            return await super().fetch_records_by_local_keys(keys)

    prison = SignallingFetcher(Agency.PRISON, prison_records())
    lookup = LinkedLookup(SlowPrior(), IdentityService(store), [prison])

    result = await lookup.lookup(parse_id_number(ASU))

    assert prison.asked == [["ZF1"]]
    assert len(result.case_information.custody) == 1
    assert {status.agency for status in result.sources} >= {Agency.COURT}
