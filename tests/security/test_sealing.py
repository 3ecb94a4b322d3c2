"""Juvenile sealing (CPL art. 286): the age line, the five-year line, unsealing, and who sees what."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from adapters.idnumber import parse_id_number
from adapters.records import (
    Agency,
    CaseNumber,
    CustodyRecord,
    Judgment,
    PenaltyType,
    PersonIdentity,
    PoliceCase,
    PoliceCaseStatus,
    Sentence,
    SourceRef,
    Verdict,
)
from hub.audit import returned_from_lookup
from hub.auth import Role
from hub.lookups import AuditedLookup
from hub.purpose import Purpose, StatedPurpose, state_purpose
from hub.records import CaseInformation, FetchStatus, LookupResult, SourceStatus, best_identity
from hub.sealing import (
    JUVENILE_SEAL_BASIS,
    UNCERTAIN_AGE_SEAL_BASIS,
    SealReason,
    eighteenth_birthday,
    filter_lookup,
    filter_records,
    seal_status,
    under_18_on,
)
from tests.security.conftest import principal

BIRTH = dt.date(2000, 6, 15)
JUDGE = principal(Role.JUDGE)
PRISON = principal(Role.PRISON_OFFICER)


def judgment(
    serial: int = 1,
    *,
    offence: dt.date | None = dt.date(2017, 3, 1),
    months: int | None = 24,
    penalty: PenaltyType = PenaltyType.FIXED_TERM_IMPRISONMENT,
    effective: dt.date | None = dt.date(2017, 9, 1),
    verdict: Verdict = Verdict.GUILTY,
    probation: int | None = None,
) -> Judgment:
    return Judgment(
        source=SourceRef(Agency.COURT, f"PJ-{serial}"),
        case_number=CaseNumber(f"（2017）川3401刑初{serial}号", 2017, "川3401", "刑初", serial),
        court_name="西昌市人民法院",
        verdict=verdict,
        sentence=Sentence(penalty, term_months=months, probation_months=probation),
        judgment_date=effective - dt.timedelta(days=15) if effective else None,
        effective_date=effective,
        offence_date=offence,
    )


def trial() -> StatedPurpose:
    return state_purpose(JUDGE, Purpose.TRIAL, case_number="（2026）川3401刑初88号")


def sealed(record: Judgment, later: tuple[Judgment, ...] = (), birth: dt.date | None = BIRTH) -> bool:
    return seal_status(record, birth, later, None, PRISON).sealed


def test_an_offence_at_17_years_364_days_is_sealed() -> None:
    assert sealed(judgment(offence=dt.date(2018, 6, 14)))


def test_an_offence_on_the_18th_birthday_is_still_under_18_and_sealed() -> None:
    # SPC Interpretation 法释〔2006〕1号 art. 2: 18 is reached the day after the birthday.
    assert under_18_on(BIRTH, dt.date(2018, 6, 15))
    assert sealed(judgment(offence=dt.date(2018, 6, 15)))


def test_an_offence_at_18_years_and_1_day_is_not_sealed() -> None:
    decision = seal_status(judgment(offence=dt.date(2018, 6, 16)), BIRTH, (), None, PRISON)
    assert (decision.sealed, decision.reason) == (False, SealReason.ADULT_AT_OFFENCE)


def test_a_29_february_birthday_turns_on_28_february_in_a_common_year() -> None:
    assert eighteenth_birthday(dt.date(2008, 2, 29)) == dt.date(2026, 2, 28)
    assert under_18_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28))
    assert not under_18_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1))


def test_exactly_five_years_is_sealed_and_61_months_is_not() -> None:
    assert sealed(judgment(months=60))
    decision = seal_status(judgment(months=61), BIRTH, (), None, PRISON)
    assert (decision.sealed, decision.reason) == (False, SealReason.TERM_OVER_LIMIT)


@pytest.mark.parametrize("penalty", [PenaltyType.LIFE_IMPRISONMENT, PenaltyType.DEATH])
def test_life_and_death_sentences_are_never_sealed(penalty: PenaltyType) -> None:
    assert (
        seal_status(judgment(penalty=penalty, months=None), BIRTH, (), None, PRISON).reason
        is SealReason.LIFE_OR_DEATH
    )


@pytest.mark.parametrize(
    ("penalty", "months"),
    [
        (PenaltyType.CRIMINAL_DETENTION, 5),
        (PenaltyType.PUBLIC_SURVEILLANCE, 12),
        (PenaltyType.FINE_ONLY, None),
        (PenaltyType.DEPRIVATION_OF_POLITICAL_RIGHTS_ONLY, 12),
        (PenaltyType.EXEMPT, None),
    ],
)
def test_non_custodial_and_short_penalties_are_sealed(penalty: PenaltyType, months: int | None) -> None:
    assert sealed(judgment(penalty=penalty, months=months))


def test_a_suspended_sentence_is_sealed() -> None:
    assert sealed(judgment(months=36, probation=48))


def test_a_judgment_that_is_not_a_record_is_not_sealed() -> None:
    for record in (judgment(verdict=Verdict.NOT_GUILTY), judgment(effective=None)):
        assert seal_status(record, BIRTH, (), None, PRISON).reason is SealReason.NOT_A_RECORD


def test_a_later_sentence_bringing_the_combined_term_to_60_months_unseals() -> None:
    first = judgment(1, months=24)
    later = judgment(2, months=36, offence=dt.date(2021, 1, 1), effective=dt.date(2021, 6, 1))
    decision = seal_status(first, BIRTH, (later,), None, PRISON)
    assert (decision.sealed, decision.reason) == (False, SealReason.UNSEALED_COMBINED_TERM)
    assert decision.unsealed_by == later.case_number.raw


def test_a_later_sentence_leaving_the_combined_term_under_60_months_keeps_the_seal() -> None:
    later = judgment(2, months=35, offence=dt.date(2021, 1, 1), effective=dt.date(2021, 6, 1))
    assert sealed(judgment(1, months=24), (later,))


def test_a_later_life_sentence_unseals() -> None:
    later = judgment(2, penalty=PenaltyType.LIFE_IMPRISONMENT, months=None, effective=dt.date(2022, 1, 1))
    assert not sealed(judgment(1), (later,))


def test_an_unknown_offence_date_is_sealed_when_under_18_at_judgment() -> None:
    decision = seal_status(judgment(offence=None, effective=dt.date(2018, 5, 1)), BIRTH, (), None, PRISON)
    assert (decision.sealed, decision.reason) == (True, SealReason.JUVENILE)


def test_an_unknown_offence_date_of_an_adult_at_judgment_is_sealed_as_uncertain() -> None:
    decision = seal_status(judgment(offence=None, effective=dt.date(2020, 5, 1)), BIRTH, (), None, PRISON)
    assert (decision.sealed, decision.reason) == (True, SealReason.AGE_UNCERTAIN)


def test_an_unknown_birth_date_is_sealed_as_uncertain() -> None:
    assert seal_status(judgment(), None, (), None, PRISON).reason is SealReason.AGE_UNCERTAIN


def test_sealed_records_are_neither_cacheable_nor_publishable() -> None:
    decision = seal_status(judgment(), BIRTH, (), trial(), JUDGE)
    assert decision.sealed and decision.visible
    assert (decision.cacheable, decision.publishable) == (False, False)


PURPOSE_CASES = [
    (Role.POLICE_OFFICER, Purpose.CASE_HANDLING, True),
    (Role.PROSECUTOR, Purpose.CASE_HANDLING, True),
    (Role.PROSECUTOR, Purpose.PROSECUTION_REVIEW, True),
    (Role.JUDGE, Purpose.CASE_HANDLING, True),
    (Role.JUDGE, Purpose.TRIAL, True),
    (Role.PRISON_OFFICER, Purpose.EXECUTION_OF_SENTENCE, False),
    (Role.CORRECTION_OFFICER, Purpose.PRE_SENTENCE_INVESTIGATION, False),
    (Role.CORRECTION_OFFICER, Purpose.CORRECTION_SUPERVISION, False),
    (Role.AUDITOR, Purpose.AUDIT, False),
    (Role.OPERATOR, Purpose.OPERATIONS, False),
]


def test_every_purpose_is_covered() -> None:
    assert {purpose for _, purpose, _ in PURPOSE_CASES} == set(Purpose)


@pytest.mark.parametrize(("role", "purpose", "sees_sealed"), PURPOSE_CASES)
def test_each_purpose_sees_sealed_records_only_for_judicial_case_handling(
    role: Role, purpose: Purpose, sees_sealed: bool
) -> None:
    caller = principal(role)
    stated = state_purpose(caller, purpose, case_number="（2026）川3401刑初88号")
    open_record = judgment(9, offence=dt.date(2019, 1, 1), effective=dt.date(2019, 6, 1))
    seen = filter_records([judgment(1), open_record], BIRTH, stated, caller)
    assert seen.judgments == ((judgment(1), open_record) if sees_sealed else (open_record,))
    assert seen.cacheable is (not sees_sealed)


def test_without_a_case_number_nobody_sees_sealed_records() -> None:
    stated = StatedPurpose(Purpose.TRIAL, Role.JUDGE, None, "刑事诉讼法第三编")
    assert filter_records([judgment()], BIRTH, stated, JUDGE).judgments == ()


def test_a_hidden_record_leaves_exactly_what_its_absence_would() -> None:
    stated = state_purpose(PRISON, Purpose.EXECUTION_OF_SENTENCE, case_number="（2026）川3401刑初88号")
    open_record = judgment(9, offence=dt.date(2019, 1, 1), effective=dt.date(2019, 6, 1))
    with_sealed = filter_records([judgment(1), open_record], BIRTH, stated, PRISON)
    without = filter_records([open_record], BIRTH, stated, PRISON)
    assert with_sealed == without


def test_a_filtered_lookup_drops_custody_tied_to_the_hidden_record() -> None:
    sealed_record = judgment(1)
    custody = CustodyRecord(
        SourceRef(Agency.PRISON, "JY-1"), "四川省凉山监狱", sealed_record.case_number, None, None, None
    )
    unrelated = CustodyRecord(SourceRef(Agency.PRISON, "JY-2"), "四川省凉山监狱", None, None, None, None)
    result = LookupResult(
        id_number=parse_id_number("513401200006150016"),
        person=None,
        criminal_records=(sealed_record,),
        case_information=CaseInformation(custody=(custody, unrelated)),
        sources=(court_source(FetchStatus.OK),),
    )
    stated = state_purpose(PRISON, Purpose.EXECUTION_OF_SENTENCE, case_number="（2026）川3401刑初88号")
    hidden = filter_lookup(result, stated, PRISON)
    assert hidden.result.criminal_records == ()
    assert hidden.result.case_information.custody == (unrelated,)
    assert hidden.cacheable and hidden.publishable

    shown = filter_lookup(result, trial(), JUDGE)
    assert shown.result == result
    assert not shown.cacheable and not shown.publishable


def court_source(status: FetchStatus) -> SourceStatus:
    return SourceStatus(Agency.COURT, status, dt.datetime(2026, 12, 1, tzinfo=dt.UTC), 12.0)


@pytest.mark.parametrize("status", [FetchStatus.TIMED_OUT, FetchStatus.UNAVAILABLE, FetchStatus.ERROR])
def test_court_down_withholds_custody_without_sealed_access(status: FetchStatus) -> None:
    custody = CustodyRecord(
        SourceRef(Agency.PRISON, "JY-1"), "四川省凉山监狱", judgment(1).case_number, None, None, None
    )
    result = LookupResult(
        id_number=parse_id_number("513401200006150016"),
        person=None,
        criminal_records=(),
        case_information=CaseInformation(custody=(custody,)),
        sources=(court_source(status),),
    )
    stated = state_purpose(PRISON, Purpose.EXECUTION_OF_SENTENCE, case_number="（2026）川3401刑初88号")

    withheld = filter_lookup(result, stated, PRISON)
    judicial = filter_lookup(result, trial(), JUDGE)

    assert withheld.result.case_information.custody == ()
    assert judicial.result.case_information.custody == (custody,)


def test_each_record_carries_its_seal_basis() -> None:
    juvenile = judgment(1)
    adult = judgment(2, offence=dt.date(2019, 1, 1), effective=dt.date(2019, 6, 1))
    undated = judgment(3, offence=None, effective=dt.date(2019, 6, 1))
    result = LookupResult(
        id_number=parse_id_number("513401200006150016"),
        person=None,
        criminal_records=(juvenile, adult, undated),
        case_information=CaseInformation(),
        sources=(court_source(FetchStatus.OK),),
    )
    shown = AuditedLookup(filter_lookup(result, trial(), JUDGE), trial(), 1)

    assert shown.seal_basis(juvenile) == JUVENILE_SEAL_BASIS
    assert shown.seal_basis(adult) is None
    assert shown.seal_basis(undated) == UNCERTAIN_AGE_SEAL_BASIS


def test_audit_flags_records_tied_to_sealed_judgment() -> None:
    sealed_record = replace(judgment(1), police_case_number="A5134010000002016110001")
    custody = CustodyRecord(
        SourceRef(Agency.PRISON, "JY-1"), "四川省凉山监狱", sealed_record.case_number, None, None, None
    )
    unrelated = CustodyRecord(SourceRef(Agency.PRISON, "JY-2"), "四川省凉山监狱", None, None, None, None)
    police = PoliceCase(
        SourceRef(Agency.POLICE, "AJ-1"),
        "a5134010000002016110001 ",  # the police's own spelling of the same AJBH
        "盗窃案",
        PoliceCaseStatus.TRANSFERRED_FOR_PROSECUTION,
        dt.date(2016, 11, 2),
        "西昌市公安局",
    )
    result = LookupResult(
        id_number=parse_id_number("513401200006150016"),
        person=None,
        criminal_records=(sealed_record,),
        case_information=CaseInformation(police_cases=(police,), custody=(custody, unrelated)),
        sources=(court_source(FetchStatus.OK),),
    )

    returned = {
        r.local_reference: r.sealed for r in returned_from_lookup(filter_lookup(result, trial(), JUDGE))
    }

    assert returned == {"PJ-1": True, "AJ-1": True, "JY-1": True, "JY-2": False}


def identity(agency: Agency, name: str) -> PersonIdentity:
    return PersonIdentity(SourceRef(agency, f"{agency.value}-1"), name, "513401200006150016", None)


def sealed_court_only(*identities: PersonIdentity) -> LookupResult:
    return LookupResult(
        id_number=parse_id_number("513401200006150016"),
        person=best_identity(parse_id_number("513401200006150016"), identities),
        criminal_records=(judgment(1),),  # the court's only record: sealed
        case_information=CaseInformation(),
        sources=(court_source(FetchStatus.OK),),
        identities=identities,
    )


def test_identity_from_withheld_agency_dropped() -> None:
    court = identity(Agency.COURT, "阿苏某某")
    stated = state_purpose(PRISON, Purpose.EXECUTION_OF_SENTENCE, case_number="（2026）川3401刑初88号")

    assert filter_lookup(sealed_court_only(court), stated, PRISON).result.person is None
    assert filter_lookup(sealed_court_only(court), trial(), JUDGE).result.person == court


def test_other_names_from_withheld_agency_dropped() -> None:
    police = identity(Agency.POLICE, "阿苏拉哈")
    court = identity(Agency.COURT, "阿苏·拉哈木")
    stated = state_purpose(PRISON, Purpose.EXECUTION_OF_SENTENCE, case_number="（2026）川3401刑初88号")

    hidden = filter_lookup(sealed_court_only(police, court), stated, PRISON).result.person
    shown = filter_lookup(sealed_court_only(police, court), trial(), JUDGE).result.person

    assert hidden == police  # as if the court had never judged the person
    assert shown is not None
    assert shown.other_names == ("阿苏·拉哈木",)
