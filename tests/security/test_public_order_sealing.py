"""Sealed case information at the filter level: public-order violation records (revised PSAPL
art. 136) and the police side of a sealed juvenile case (CPL art. 286)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from adapters.casenumber import try_parse_case_number
from adapters.idnumber import check_character, parse_id_number
from adapters.records import (
    PUBLIC_ORDER_SEAL_BASIS,
    AdministrativeDetention,
    Agency,
    AgencyRecords,
    CoerciveMeasure,
    CoerciveMeasureType,
    Judgment,
    PenaltyType,
    PersonIdentity,
    PoliceCase,
    PoliceCaseStatus,
    Sentence,
    SourceRef,
    Verdict,
)
from hub.audit import lookup_entry, returned_from_lookup
from hub.auth import Principal, Role
from hub.identity.lookup import LinkedLookupResult, RecordLink
from hub.lookups import AuditedLookup
from hub.purpose import Purpose, StatedPurpose, state_purpose
from hub.records import FetchStatus, LookupResult, SourceStatus, merge
from hub.sealing import FilteredLookup, SealReason, filter_lookup, public_order_seal
from schema.types import AdministrativeDetention as DetentionType
from tests.security.conftest import principal

CASE = "（2026）川3401刑初5号"
JUDGE = principal(Role.JUDGE)
POLICE = principal(Role.POLICE_OFFICER)
PRISON = principal(Role.PRISON_OFFICER)
CORRECTION = principal(Role.CORRECTION_OFFICER)


def valid(first17: str) -> str:
    return first17 + check_character(first17)


ADULT_ID = valid("51340119900214101")  # born 1990-02-14
JUVENILE_ID = valid("51340120060610101")  # born 2006-06-10: under 18 until 2024-06-10
JUVENILE_AJBH = "A5134015100002023090007"
LATER_AJBH = "A5134015100002025020003"


def trial() -> StatedPurpose:
    return state_purpose(JUDGE, Purpose.TRIAL, case_number=CASE)


def execution() -> StatedPurpose:
    return state_purpose(PRISON, Purpose.EXECUTION_OF_SENTENCE, case_number=CASE)


def police_person(id_number: str) -> PersonIdentity:
    return PersonIdentity(SourceRef(Agency.POLICE, "R-1"), "阿尔木呷", id_number, id_number, "1")


def detention(key: str = "XJ-1", start: dt.date = dt.date(2025, 3, 1)) -> AdministrativeDetention:
    return AdministrativeDetention(
        SourceRef(Agency.POLICE, key), "西公（治）行罚决字〔2025〕15号", "殴打他人", start, 10, "西昌市公安局"
    )


def adult_judgment() -> Judgment:
    return Judgment(
        source=SourceRef(Agency.COURT, "（2024）川3401刑初77号"),
        case_number=try_parse_case_number("（2024）川3401刑初77号"),
        court_name="西昌市人民法院",
        verdict=Verdict.GUILTY,
        sentence=Sentence(PenaltyType.FIXED_TERM_IMPRISONMENT, term_months=12),
        judgment_date=dt.date(2024, 8, 1),
        effective_date=dt.date(2024, 8, 12),
        offence_date=dt.date(2024, 2, 1),
    )


def juvenile_judgment() -> Judgment:
    """Offence at 17, two years: sealed (CPL art. 286), and the court recorded the police case."""
    return Judgment(
        source=SourceRef(Agency.COURT, "（2024）川3401刑初9号"),
        case_number=try_parse_case_number("（2024）川3401刑初9号"),
        court_name="西昌市人民法院",
        verdict=Verdict.GUILTY,
        sentence=Sentence(PenaltyType.FIXED_TERM_IMPRISONMENT, term_months=24),
        judgment_date=dt.date(2024, 3, 1),
        effective_date=dt.date(2024, 3, 12),
        offence_date=dt.date(2023, 9, 1),
        police_case_number=JUVENILE_AJBH,
    )


def police_case(number: str, filed: dt.date, status: PoliceCaseStatus) -> PoliceCase:
    return PoliceCase(SourceRef(Agency.POLICE, number), number, "盗窃案", status, filed, "西昌市公安局")


def measure(key: str, kind: CoerciveMeasureType, start: dt.date, number: str | None) -> CoerciveMeasure:
    return CoerciveMeasure(SourceRef(Agency.POLICE, key), kind, start, None, number, "西昌市公安局")


def juvenile_police() -> AgencyRecords:
    return AgencyRecords(
        Agency.POLICE,
        persons=[police_person(JUVENILE_ID)],
        police_cases=[
            police_case(JUVENILE_AJBH, dt.date(2023, 9, 2), PoliceCaseStatus.CLOSED),
            police_case(LATER_AJBH, dt.date(2025, 2, 3), PoliceCaseStatus.UNDER_INVESTIGATION),
        ],
        coercive_measures=[
            measure("QZ-1", CoerciveMeasureType.CRIMINAL_DETENTION, dt.date(2023, 9, 2), JUVENILE_AJBH),
            measure("QZ-2", CoerciveMeasureType.BAIL, dt.date(2023, 9, 20), JUVENILE_AJBH),
            measure("QZ-3", CoerciveMeasureType.BAIL, dt.date(2025, 2, 4), LATER_AJBH),
            measure("QZ-4", CoerciveMeasureType.SUMMONS, dt.date(2025, 1, 5), None),
        ],
    )


def status(agency: Agency, outcome: FetchStatus = FetchStatus.OK) -> SourceStatus:
    return SourceStatus(agency, outcome, dt.datetime(2026, 12, 1, tzinfo=dt.UTC), 5.0)


def looked_up(id_number: str, *records: AgencyRecords, court: FetchStatus = FetchStatus.OK) -> LookupResult:
    statuses = [status(Agency.POLICE), status(Agency.COURT, court)]
    return merge(parse_id_number(id_number), list(records), statuses)


def detained(*detentions: AdministrativeDetention) -> LookupResult:
    """An adult with a visible conviction at the court and, by default, a detention at the police."""
    police = AgencyRecords(
        Agency.POLICE,
        persons=[police_person(ADULT_ID)],
        administrative_detentions=list(detentions or (detention(),)),
    )
    court = AgencyRecords(Agency.COURT, judgments=[adult_judgment()])
    return looked_up(ADULT_ID, police, court)


def never_detained() -> LookupResult:
    police = AgencyRecords(Agency.POLICE, persons=[police_person(ADULT_ID)])
    return looked_up(ADULT_ID, police, AgencyRecords(Agency.COURT, judgments=[adult_judgment()]))


def linked(result: LookupResult) -> LinkedLookupResult:
    links = (
        RecordLink("court", "（2024）川3401刑初77号", "id_number", None, None, True),
        RecordLink("police", "R-1", "id_number", None, None, True),
    )
    return LinkedLookupResult(
        id_number=result.id_number,
        person=result.person,
        criminal_records=result.criminal_records,
        case_information=result.case_information,
        sources=result.sources,
        person_id=7,
        links=links,
        judgments_by_case=(),
    )


def link_agencies(filtered: FilteredLookup, purpose: StatedPurpose) -> list[str]:
    return [link.agency for link in AuditedLookup(filtered, purpose, 1).links]


# Public-order violation records


@pytest.mark.parametrize(
    ("caller", "purpose"),
    [
        (PRISON, execution()),
        (CORRECTION, state_purpose(CORRECTION, Purpose.PRE_SENTENCE_INVESTIGATION, case_number=CASE)),
        (POLICE, StatedPurpose(Purpose.CASE_HANDLING, Role.POLICE_OFFICER, None, "刑事诉讼法第52条")),
        (POLICE, None),
    ],
    ids=["prison officer", "correction officer", "police without a case number", "no purpose"],
)
def test_detentions_hidden_without_sealed_access(caller: Principal, purpose: StatedPurpose | None) -> None:
    filtered = filter_lookup(detained(), purpose, caller)

    assert filtered.result.case_information.administrative_detentions == ()
    assert [j.source.local_reference for j in filtered.result.criminal_records] == ["（2024）川3401刑初77号"]
    assert filtered.withheld == frozenset({Agency.POLICE})
    assert not filtered.sealed_returned
    assert (filtered.cacheable, filtered.publishable) == (True, True)


def test_hidden_detentions_match_their_absence() -> None:
    two = detained(detention("XJ-1"), detention("XJ-2", dt.date(2012, 7, 3)))

    hidden = filter_lookup(two, execution(), PRISON)
    absent = filter_lookup(never_detained(), execution(), PRISON)

    assert hidden.result == absent.result
    assert returned_from_lookup(hidden) == returned_from_lookup(absent)
    assert (hidden.cacheable, hidden.publishable) == (absent.cacheable, absent.publishable)


@pytest.mark.parametrize(
    ("caller", "purpose"),
    [
        (JUDGE, trial()),
        (POLICE, state_purpose(POLICE, Purpose.CASE_HANDLING, case_number="A5134015100002026110001")),
    ],
    ids=["judge at trial", "police handling a case"],
)
def test_detentions_shown_sealed_to_case_handling(caller: Principal, purpose: StatedPurpose) -> None:
    filtered = filter_lookup(detained(), purpose, caller)

    assert filtered.result.case_information.administrative_detentions == (detention(),)
    assert filtered.withheld == frozenset()
    assert filtered.sealed_returned
    assert (filtered.cacheable, filtered.publishable) == (False, False)
    assert AuditedLookup(filtered, purpose, 1).sealed_returned


def test_public_order_seal_reason_and_visibility() -> None:
    shown = public_order_seal(trial(), JUDGE)
    hidden = public_order_seal(execution(), PRISON)

    assert (shown.sealed, shown.reason, shown.visible) == (True, SealReason.PUBLIC_ORDER, True)
    assert (hidden.sealed, hidden.visible) == (True, False)
    assert PUBLIC_ORDER_SEAL_BASIS == "治安管理处罚法第136条"


def test_audit_marks_shown_detention_sealed() -> None:
    filtered = filter_lookup(detained(), trial(), JUDGE)

    entry = lookup_entry(
        JUDGE,
        trial(),
        ADULT_ID,
        subject_key=b"k" * 32,
        agencies_answered=["court", "police"],
        returned=returned_from_lookup(filtered),
    )

    returned = entry.fields()["returned"]
    assert {"agency": "police", "local_reference": "XJ-1", "sealed": True} in returned
    assert {"agency": "court", "local_reference": "（2024）川3401刑初77号", "sealed": False} in returned


def test_audit_omits_hidden_detention() -> None:
    returned = returned_from_lookup(filter_lookup(detained(), execution(), PRISON))

    assert [(r.agency, r.sealed) for r in returned] == [("court", False)]


def test_links_omit_detention_only_agency() -> None:
    result = linked(detained())
    assert result.person is not None
    assert result.person.source.agency is Agency.POLICE

    hidden = filter_lookup(result, execution(), PRISON)
    shown = filter_lookup(result, trial(), JUDGE)

    assert link_agencies(hidden, execution()) == ["court"]
    assert link_agencies(shown, trial()) == ["court", "police"]


def test_links_keep_identity_only_agency() -> None:
    filtered = filter_lookup(linked(never_detained()), execution(), PRISON)

    assert link_agencies(filtered, execution()) == ["court", "police"]


def test_graphql_detention_has_seal_basis() -> None:
    shown = DetentionType.from_record(detention())

    assert (shown.sealed, shown.seal_basis) == (True, "治安管理处罚法第136条")
    assert shown.decision_number == "西公（治）行罚决字〔2025〕15号"


# Police cases and coercive measures of a sealed juvenile case


def juvenile() -> LookupResult:
    court = AgencyRecords(Agency.COURT, judgments=[juvenile_judgment()])
    return looked_up(JUVENILE_ID, juvenile_police(), court)


def test_sealed_judgment_hides_police_case() -> None:
    filtered = filter_lookup(juvenile(), execution(), PRISON)
    info = filtered.result.case_information

    assert filtered.result.criminal_records == ()
    assert [c.police_case_number for c in info.police_cases] == [LATER_AJBH]
    assert [m.source.local_reference for m in info.coercive_measures] == ["QZ-4", "QZ-3"]
    assert filtered.withheld == frozenset({Agency.COURT, Agency.POLICE})
    assert not filtered.sealed_returned


def test_sealed_judgment_hides_differently_typed_police_case() -> None:
    typed = replace(
        juvenile_judgment(), police_case_number=" a" + JUVENILE_AJBH[1:12] + " " + JUVENILE_AJBH[12:]
    )
    court = AgencyRecords(Agency.COURT, judgments=[typed])

    filtered = filter_lookup(looked_up(JUVENILE_ID, juvenile_police(), court), execution(), PRISON)

    assert [c.police_case_number for c in filtered.result.case_information.police_cases] == [LATER_AJBH]
    assert len(filtered.result.case_information.coercive_measures) == 2


def test_sealed_judgment_shows_police_case() -> None:
    filtered = filter_lookup(juvenile(), trial(), JUDGE)
    info = filtered.result.case_information

    assert [j.police_case_number for j in filtered.result.criminal_records] == [JUVENILE_AJBH]
    assert {c.police_case_number for c in info.police_cases} == {JUVENILE_AJBH, LATER_AJBH}
    assert len(info.coercive_measures) == 4
    assert filtered.result == juvenile()
    assert filtered.sealed_returned
    assert not filtered.cacheable


def test_hidden_police_case_matches_its_absence() -> None:
    police = juvenile_police()
    police.police_cases = police.police_cases[1:]
    police.coercive_measures = police.coercive_measures[2:]

    hidden = filter_lookup(juvenile(), execution(), PRISON)
    absent = filter_lookup(looked_up(JUVENILE_ID, police), execution(), PRISON)

    assert hidden.result.case_information == absent.result.case_information
    assert returned_from_lookup(hidden) == returned_from_lookup(absent)


def test_unsealed_judgment_keeps_police_case() -> None:
    number = "A5134015100002024020001"
    adult = AgencyRecords(Agency.COURT, judgments=[replace(adult_judgment(), police_case_number=number)])
    police = AgencyRecords(
        Agency.POLICE,
        police_cases=[police_case(number, dt.date(2024, 2, 2), PoliceCaseStatus.CLOSED)],
        coercive_measures=[measure("QZ-9", CoerciveMeasureType.BAIL, dt.date(2024, 2, 3), number)],
    )
    result = looked_up(ADULT_ID, police, adult)

    filtered = filter_lookup(result, execution(), PRISON)

    assert filtered.result == result


@pytest.mark.parametrize("outcome", [FetchStatus.TIMED_OUT, FetchStatus.UNAVAILABLE])
def test_court_down_withholds_police_cases(outcome: FetchStatus) -> None:
    result = looked_up(JUVENILE_ID, juvenile_police(), court=outcome)

    withheld = filter_lookup(result, execution(), PRISON)
    judicial = filter_lookup(result, trial(), JUDGE)

    assert withheld.result.case_information.police_cases == ()
    assert withheld.result.case_information.coercive_measures == ()
    assert judicial.result.case_information == result.case_information
