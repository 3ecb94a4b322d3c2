"""Purpose of use: which role may state which purpose, and which need a case number."""

from __future__ import annotations

import pytest

from adapters.errors import Forbidden, InvalidCaseNumber, PurposeRequired
from hub.auth import Principal, Role, Unit, UnitAgency
from hub.purpose import CASE_NUMBER_REQUIRED, DEFAULT_LEGAL_BASIS, PURPOSE_ROLES, Purpose, state_purpose
from tests.security.conftest import principal

CASE = "（2026）川3401刑初88号"


@pytest.mark.parametrize(
    ("purpose", "role"), [(purpose, role) for purpose, roles in PURPOSE_ROLES.items() for role in roles]
)
def test_each_purpose_is_accepted_from_its_roles(purpose: Purpose, role: Role) -> None:
    stated = state_purpose(principal(role), purpose, case_number=CASE)
    assert (stated.purpose, stated.role, stated.case_number) == (purpose, role, CASE)
    assert stated.legal_basis == DEFAULT_LEGAL_BASIS[purpose]


@pytest.mark.parametrize(
    ("purpose", "role"),
    [(purpose, role) for purpose, roles in PURPOSE_ROLES.items() for role in Role if role not in roles],
)
def test_each_purpose_is_refused_from_other_roles(purpose: Purpose, role: Role) -> None:
    with pytest.raises(Forbidden) as denied:
        state_purpose(principal(role), purpose, case_number=CASE)
    assert denied.value.key == "purpose.role"


@pytest.mark.parametrize("purpose", sorted(CASE_NUMBER_REQUIRED))
def test_purposes_about_a_case_need_its_number(purpose: Purpose) -> None:
    role = sorted(PURPOSE_ROLES[purpose])[0]
    for blank in (None, "", "   "):
        with pytest.raises(PurposeRequired) as missing:
            state_purpose(principal(role), purpose, case_number=blank)
        assert (missing.value.code, missing.value.part) == ("PURPOSE_REQUIRED", "case_number")
        assert "须填写案号" in missing.value.render("zh")


def test_audit_and_operations_need_no_case_number() -> None:
    assert state_purpose(principal(Role.AUDITOR), Purpose.AUDIT).case_number is None
    assert state_purpose(principal(Role.OPERATOR), "operations").case_number is None


@pytest.mark.parametrize("given", [None, "", "curiosity"])
def test_a_missing_or_unknown_purpose_is_refused(given: str | None) -> None:
    with pytest.raises(PurposeRequired) as missing:
        state_purpose(principal(Role.JUDGE), given, case_number=CASE)
    assert missing.value.part == "missing"
    assert "须说明查询目的" in missing.value.render("zh")


def test_a_stated_legal_basis_is_kept() -> None:
    stated = state_purpose(principal(Role.JUDGE), Purpose.TRIAL, case_number=CASE, legal_basis="刑法第65条")
    assert stated.legal_basis == "刑法第65条"


def test_only_judicial_case_purposes_with_a_case_number_open_sealed_records() -> None:
    judge = principal(Role.JUDGE)
    assert state_purpose(judge, Purpose.TRIAL, case_number=CASE).sealed_access
    officer = principal(Role.CORRECTION_OFFICER)
    assert not state_purpose(officer, Purpose.CORRECTION_SUPERVISION, case_number=CASE).sealed_access


def test_a_judge_who_is_also_a_clerk_states_the_purpose_as_judge() -> None:
    both = Principal("u", Unit(UnitAgency.COURT, "513401"), frozenset({Role.COURT_CLERK, Role.JUDGE}))
    assert state_purpose(both, Purpose.CASE_HANDLING, case_number=CASE).role is Role.JUDGE


def judge_of(county: str) -> Principal:
    return principal(Role.JUDGE, county)


@pytest.mark.parametrize(
    ("county", "case_number"),
    [
        ("513401", "（2026）川3401刑初88号"),  # the county court's own case
        ("513400", "（2026）川34刑终7号"),  # the intermediate court's appeal
        ("513400", "（2026）川3431刑初12号"),  # a county case the intermediate court reviews
        ("513401", "(2013)凉中法刑一初字第291号"),  # older form: court named by abbreviation
    ],
)
def test_trial_accepts_the_judges_own_court(county: str, case_number: str) -> None:
    stated = state_purpose(judge_of(county), Purpose.TRIAL, case_number=case_number)

    assert stated.case_number == case_number


@pytest.mark.parametrize(
    ("county", "case_number"),
    [
        ("513401", "（2026）川3431刑初12号"),  # another county's court
        ("513401", "（2026）川34刑终7号"),  # the intermediate court, above the county court
    ],
)
def test_trial_rejects_other_court_case(county: str, case_number: str) -> None:
    with pytest.raises(Forbidden) as denied:
        state_purpose(judge_of(county), Purpose.TRIAL, case_number=case_number)

    assert denied.value.key == "purpose.case_court"
    assert denied.value.reason == "CASE_COURT"
    assert case_number in denied.value.render("zh")
    assert "人民法院" in denied.value.render("zh")  # names the caller's court, not a code
    assert "belongs to a court other than yours (" in denied.value.render("en")


def test_intermediate_court_refusal_names_the_prefecture() -> None:
    """The intermediate court tries every county's cases, so "not your court's case" would mislead."""
    case_number = "（2026）川01刑初3号"  # a court of Chengdu, outside the prefecture
    with pytest.raises(Forbidden) as denied:
        state_purpose(judge_of("513400"), Purpose.TRIAL, case_number=case_number)

    zh, en = denied.value.render("zh"), denied.value.render("en")
    assert denied.value.key == "purpose.case_prefecture"
    assert denied.value.reason == "CASE_COURT"
    assert case_number in zh
    assert "本州法院" in zh
    assert "中级人民法院" in zh
    assert "不是本院" not in zh
    assert "Liangshan Prefecture" in en
    assert "Intermediate People's Court" in en


def test_purpose_messages_name_enum_and_chinese() -> None:
    with pytest.raises(PurposeRequired) as missing:
        state_purpose(principal(Role.JUDGE), Purpose.TRIAL)
    with pytest.raises(Forbidden) as refused:
        state_purpose(principal(Role.PRISON_OFFICER), Purpose.TRIAL, case_number=CASE)

    assert "审判（TRIAL）" in missing.value.render("zh")
    assert "TRIAL" in missing.value.render("en")
    assert "审判（TRIAL）" in refused.value.render("zh")
    assert "purpose TRIAL" in refused.value.render("en")


def test_trial_rejects_malformed_case_number() -> None:
    with pytest.raises(InvalidCaseNumber):
        state_purpose(judge_of("513401"), Purpose.TRIAL, case_number="庭审需要")


def test_other_purposes_keep_free_form_numbers() -> None:
    police_case = "A5134010000002026110001"  # AJBH: opaque to the hub
    stated = state_purpose(principal(Role.POLICE_OFFICER), Purpose.CASE_HANDLING, case_number=police_case)

    assert stated.case_number == police_case
