"""Stand-in agency adapters and a synthetic person, for service, schema and app tests.

The person is invented: a Yi man from Xichang recorded by the police under his Yi name
and by the court under his Han school name.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

from adapters.errors import HubError
from adapters.idnumber import IdNumber
from adapters.records import (
    AdministrativeDetention,
    Agency,
    AgencyRecords,
    CaseNumber,
    Charge,
    CoerciveMeasure,
    CoerciveMeasureType,
    CorrectionRecord,
    CorrectionStatus,
    CorrectionType,
    CustodyEvent,
    CustodyEventType,
    CustodyRecord,
    Judgment,
    PenaltyType,
    PersonIdentity,
    PoliceCase,
    PoliceCaseStatus,
    ReportingStatus,
    Sentence,
    SourceRef,
    Verdict,
)

ID_NUMBER = "513401198506120315"
ID_NUMBER_15 = "513401850612031"
ID_NUMBER_WITH_X = "51340119850612106X"

DRUG_CASE = CaseNumber("(2019)川3401刑初88号", 2019, "川3401", "刑初", 88)
THEFT_CASE = CaseNumber("（2023）川3401刑初12号", 2023, "川3401", "刑初", 12)
INJURY_CASE = CaseNumber("〔2024〕川34刑终7号", 2024, "川34", "刑终", 7)


def _ref(agency: Agency, key: str) -> SourceRef:
    return SourceRef(agency, key)


def person(
    agency: Agency, name: str, *, id_number: str | None = ID_NUMBER, other: tuple[str, ...] = ()
) -> PersonIdentity:
    return PersonIdentity(
        source=_ref(agency, f"{agency.value}-person-1"),
        name=name,
        id_number=id_number,
        id_number_as_recorded=id_number,
        sex_code="1",
        ethnicity_code="07",
        birth_date=dt.date(1985, 6, 12),
        county_code="513401",
        other_names=other,
    )


def police_records() -> AgencyRecords:
    return AgencyRecords(
        agency=Agency.POLICE,
        persons=[person(Agency.POLICE, "阿苏拉哈")],
        police_cases=[
            PoliceCase(
                _ref(Agency.POLICE, "AJ-1"),
                "A5134010000002024010001",
                "故意伤害",
                PoliceCaseStatus.FILED,
                dt.date(2024, 1, 5),
                "西昌市公安局",
            )
        ],
        coercive_measures=[
            CoerciveMeasure(
                _ref(Agency.POLICE, "QZ-1"),
                CoerciveMeasureType.BAIL,
                dt.date(2024, 1, 6),
                None,
                "A5134010000002024010001",
                "西昌市公安局",
            )
        ],
        administrative_detentions=[
            AdministrativeDetention(
                _ref(Agency.POLICE, "XJ-1"),
                "西公（治）行罚决字〔2022〕15号",
                "殴打他人",
                dt.date(2022, 3, 1),
                10,
                "西昌市公安局",
            )
        ],
    )


def court_records() -> AgencyRecords:
    guilty = Judgment(
        source=_ref(Agency.COURT, "PJ-1"),
        case_number=DRUG_CASE,
        court_name="西昌市人民法院",
        verdict=Verdict.GUILTY,
        sentence=Sentence(PenaltyType.FIXED_TERM_IMPRISONMENT, term_months=36, fine_yuan=5000),
        charges=(Charge("走私、贩卖、运输、制造毒品罪", "347", "贩卖"),),
        judgment_date=dt.date(2019, 8, 1),
        effective_date=dt.date(2019, 8, 12),
    )
    acquittal = Judgment(
        source=_ref(Agency.COURT, "PJ-2"),
        case_number=THEFT_CASE,
        court_name="西昌市人民法院",
        verdict=Verdict.NOT_GUILTY,
        sentence=Sentence(PenaltyType.NONE),
        charges=(Charge("盗窃罪", "264"),),
        judgment_date=dt.date(2023, 5, 2),
        effective_date=dt.date(2023, 5, 13),
    )
    pending_appeal = Judgment(
        source=_ref(Agency.COURT, "PJ-3"),
        case_number=INJURY_CASE,
        court_name="凉山彝族自治州中级人民法院",
        verdict=Verdict.GUILTY,
        sentence=Sentence(PenaltyType.FIXED_TERM_IMPRISONMENT, term_months=12),
        charges=(Charge("故意伤害罪", "234"),),
        judgment_date=dt.date(2024, 6, 1),
    )
    return AgencyRecords(
        agency=Agency.COURT,
        persons=[person(Agency.COURT, "苏建国", other=("阿苏拉哈",))],
        judgments=[pending_appeal, guilty, acquittal],
    )


def prison_records() -> AgencyRecords:
    custody = CustodyRecord(
        source=_ref(Agency.PRISON, "ZF-1"),
        prison_name="四川省凉山监狱",
        case_number=DRUG_CASE,
        admitted_on=dt.date(2019, 8, 20),
        sentence_end_date=dt.date(2022, 2, 19),
        released_on=dt.date(2022, 2, 19),
        events=(
            CustodyEvent(CustodyEventType.ADMISSION, dt.date(2019, 8, 20)),
            CustodyEvent(CustodyEventType.SENTENCE_REDUCTION, dt.date(2021, 3, 1), "减刑", months=6),
            CustodyEvent(CustodyEventType.RELEASE, dt.date(2022, 2, 19)),
        ),
    )
    return AgencyRecords(
        agency=Agency.PRISON,
        persons=[person(Agency.PRISON, "阿苏拉哈", id_number=None)],
        custody=[custody],
    )


def correction_records() -> AgencyRecords:
    correction = CorrectionRecord(
        source=_ref(Agency.JUSTICE_BUREAU, "JZ-1"),
        correction_type=CorrectionType.PAROLE,
        county_code="513401",
        start_date=dt.date(2021, 9, 1),
        end_date=dt.date(2022, 2, 19),
        reporting_status=ReportingStatus.REPORTED,
        reported_on=dt.date(2021, 9, 6),
        status=CorrectionStatus.COMPLETED,
        case_number=DRUG_CASE,
    )
    return AgencyRecords(
        agency=Agency.JUSTICE_BUREAU,
        persons=[person(Agency.JUSTICE_BUREAU, "阿苏拉哈")],
        corrections=[correction],
    )


RECORDS = {
    Agency.POLICE: police_records,
    Agency.COURT: court_records,
    Agency.PRISON: prison_records,
    Agency.JUSTICE_BUREAU: correction_records,
}


class StandInAdapter:
    """An adapter that returns canned records after ``delay_s``, or raises ``error``.

    ``stubborn`` makes it ignore cancellation until its delay has run out, as a badly
    written driver might. ``release`` (a thread-safe event) blocks ``start`` until it is set.
    """

    def __init__(
        self,
        agency: Agency,
        *,
        delay_s: float = 0.0,
        error: Exception | None = None,
        stubborn: bool = False,
        release: threading.Event | None = None,
        wsdl_loaded: bool = True,
    ) -> None:
        self.agency = agency
        self.delay_s = delay_s
        self.error = error
        self.stubborn = stubborn
        self.release = release
        self.wsdl_loaded = wsdl_loaded
        self.started = False
        self.closed = False
        self.calls: list[str] = []

    async def start(self) -> None:
        # A threading.Event, polled, because the test sets it from outside the server's loop.
        while self.release is not None and not self.release.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        self.started = True

    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        self.calls.append(id_number.value)
        await self._wait()
        if self.error is not None:
            raise self.error
        if id_number.value != ID_NUMBER:
            return AgencyRecords(agency=self.agency)
        return RECORDS[self.agency]()

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        self.closed = True

    async def _wait(self) -> None:
        if not self.stubborn:
            await asyncio.sleep(self.delay_s)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.delay_s
        while loop.time() < deadline:
            try:
                await asyncio.sleep(deadline - loop.time())
            except asyncio.CancelledError:
                continue


def standins(**overrides: StandInAdapter) -> list[StandInAdapter]:
    """One stand-in per agency; pass ``court=StandInAdapter(...)`` to replace one."""
    return [overrides.get(agency.name.lower()) or StandInAdapter(agency) for agency in Agency]


def failing(agency: Agency, error: HubError) -> StandInAdapter:
    return StandInAdapter(agency, error=error)
