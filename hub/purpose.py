"""Purpose of use: why a caller looks a person up, and what that purpose lets them see.

A lookup of criminal records must state its purpose, and the purposes tied to a case must
name the case. Sealed juvenile records are open only to judicial organs handling a case
(CPL art. 286 para. 2; SPC Interpretation art. 581, which also requires the reason and the
legal basis to be stated): here that is ``JUDICIAL_CASE_PURPOSES`` used by a role in
``JUDICIAL_CASE_ROLES``, with a case number. The bodies "querying under state rules" the
article also names are not modelled: no role the hub issues stands for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from adapters.casenumber import parse_case_number
from adapters.errors import Forbidden, PurposeRequired
from adapters.regions import PREFECTURE_CODE, current_county
from hub.auth import Principal, Role


class Purpose(StrEnum):
    """The purposes a lookup may state. Each member's comment gives the duty behind it."""

    CASE_HANDLING = "case_handling"  # investigating a criminal case (CPL arts. 52, 115)
    PROSECUTION_REVIEW = "prosecution_review"  # review for prosecution (CPL arts. 171, 176)
    TRIAL = "trial"  # trying a case, incl. recidivism (CPL part III; Criminal Law art. 65)
    EXECUTION_OF_SENTENCE = "execution_of_sentence"  # admitting a prisoner (CPL art. 264)
    PRE_SENTENCE_INVESTIGATION = "pre_sentence_investigation"  # 调查评估 (CC Law art. 18)
    CORRECTION_SUPERVISION = "correction_supervision"  # supervising a person (CC Law arts. 17, 23)
    AUDIT = "audit"  # reviewing the hub's own audit log
    OPERATIONS = "operations"  # running the hub: no personal lookups


# Court codes of Sichuan courts: "川" and the court's region code without the province's "51".
SICHUAN_COURT_PREFIX = "川"
PROVINCE_CODE = "51"

# Which roles may state which purpose. A purpose absent for a role is refused.
PURPOSE_ROLES: dict[Purpose, frozenset[Role]] = {
    Purpose.CASE_HANDLING: frozenset({Role.POLICE_OFFICER, Role.PROSECUTOR, Role.JUDGE}),
    Purpose.PROSECUTION_REVIEW: frozenset({Role.PROSECUTOR}),
    Purpose.TRIAL: frozenset({Role.JUDGE}),
    Purpose.EXECUTION_OF_SENTENCE: frozenset({Role.PRISON_OFFICER}),
    Purpose.PRE_SENTENCE_INVESTIGATION: frozenset({Role.CORRECTION_OFFICER}),
    Purpose.CORRECTION_SUPERVISION: frozenset({Role.CORRECTION_OFFICER}),
    Purpose.AUDIT: frozenset({Role.AUDITOR}),
    Purpose.OPERATIONS: frozenset({Role.OPERATOR}),
}

# Every purpose about a person is about one case or judgment, and the audit entry names it.
CASE_NUMBER_REQUIRED: frozenset[Purpose] = frozenset(
    {
        Purpose.CASE_HANDLING,
        Purpose.PROSECUTION_REVIEW,
        Purpose.TRIAL,
        Purpose.EXECUTION_OF_SENTENCE,
        Purpose.PRE_SENTENCE_INVESTIGATION,
        Purpose.CORRECTION_SUPERVISION,
    }
)

# Judicial case handling in the sense of CPL art. 286 and SPC Interpretation art. 581.
# Prisons and correction offices execute sentences; they are not handling a case, and the
# CC Law (art. 54) keeps a juvenile's files from them as well.
JUDICIAL_CASE_PURPOSES: frozenset[Purpose] = frozenset(
    {Purpose.CASE_HANDLING, Purpose.PROSECUTION_REVIEW, Purpose.TRIAL}
)
JUDICIAL_CASE_ROLES: frozenset[Role] = frozenset({Role.POLICE_OFFICER, Role.PROSECUTOR, Role.JUDGE})

DEFAULT_LEGAL_BASIS: dict[Purpose, str] = {
    Purpose.CASE_HANDLING: "刑事诉讼法第52条、第115条",
    Purpose.PROSECUTION_REVIEW: "刑事诉讼法第171条、第176条",
    Purpose.TRIAL: "刑事诉讼法第三编；刑法第65条",
    Purpose.EXECUTION_OF_SENTENCE: "刑事诉讼法第264条；监狱法第16条",
    Purpose.PRE_SENTENCE_INVESTIGATION: "社区矫正法第18条",
    Purpose.CORRECTION_SUPERVISION: "社区矫正法第17条、第23条",
    Purpose.AUDIT: "未成年人犯罪记录封存的实施办法（2022）",
    Purpose.OPERATIONS: "-",
}


@dataclass(frozen=True, slots=True)
class StatedPurpose:
    """A validated purpose with the case number and legal basis the caller gave (or the default)."""

    purpose: Purpose
    role: Role  # the caller's role that may state this purpose
    case_number: str | None
    legal_basis: str

    @property
    def sealed_access(self) -> bool:
        """Whether this purpose opens sealed juvenile records (CPL art. 286; SPC Interp. art. 581)."""
        return (
            self.purpose in JUDICIAL_CASE_PURPOSES
            and self.role in JUDICIAL_CASE_ROLES
            and bool(self.case_number)
        )


def state_purpose(
    principal: Principal,
    purpose: Purpose | str | None,
    *,
    case_number: str | None = None,
    legal_basis: str | None = None,
    operation: str = "priorRecords",
) -> StatedPurpose:
    """Validate what the caller stated for ``operation``; raise ``PurposeRequired`` or ``Forbidden``."""
    if purpose is None or purpose == "":
        raise PurposeRequired(part="missing", operation=operation)
    try:
        chosen = Purpose(purpose)
    except ValueError as exc:
        raise PurposeRequired(part="missing", operation=operation, purpose=str(purpose)) from exc

    roles = sorted(principal.roles & PURPOSE_ROLES[chosen])
    if not roles:
        raise Forbidden("purpose.role", operation=operation, purpose=chosen.value, roles=principal.role_label)

    number = (case_number or "").strip() or None
    if chosen in CASE_NUMBER_REQUIRED and number is None:
        raise PurposeRequired(part="case_number", operation=operation, purpose=chosen.value)

    if chosen is Purpose.TRIAL and number is not None:
        _check_trial_case(principal, number, operation)

    basis = (legal_basis or "").strip() or DEFAULT_LEGAL_BASIS[chosen]
    judicial = [role for role in roles if role in JUDICIAL_CASE_ROLES]
    return StatedPurpose(chosen, (judicial or roles)[0], number, basis)


def _check_trial_case(principal: Principal, number: str, operation: str) -> None:
    """Require a court case number of the judge's own court for a trial lookup.

    Raises ``InvalidCaseNumber`` for text that is no court case number, and ``Forbidden``
    when the number's court is in another county: a county court tries only its own cases,
    and the prefecture's intermediate court also reviews the counties' cases on appeal.
    Numbers in the pre-2016 form name the court by abbreviation, which is not checked.
    """
    case = parse_case_number(number)
    court = case.court or ""
    digits = court[1:]
    if not court.startswith(SICHUAN_COURT_PREFIX) or not digits.isdigit():
        return
    county = PROVINCE_CODE + digits.ljust(4, "0")
    own = principal.unit.county
    if county == own or (principal.unit.prefecture_level and county.startswith(own[:4])):
        return
    court_zh, court_en = _court_names(principal.unit.county)
    # The intermediate court may try any case of the prefecture, so its message names the prefecture.
    key = "purpose.case_prefecture" if principal.unit.prefecture_level else "purpose.case_court"
    raise Forbidden(key, operation=operation, case_number=number, court_zh=court_zh, court_en=court_en)


def _court_names(county_code: str) -> tuple[str, str]:
    """Name the court of a county (or of the prefecture) in Chinese and English."""
    if county_code == PREFECTURE_CODE:
        return "凉山彝族自治州中级人民法院", "Liangshan Intermediate People's Court"
    county = current_county(county_code)
    if county is None:
        return county_code, county_code
    return f"{county.name_zh}人民法院", f"{county.name_en} People's Court"
