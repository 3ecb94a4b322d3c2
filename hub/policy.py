"""Who may do what: one deny-by-default table, role × operation × county scope.

Every row below grants one role one operation within one scope, with the legal basis a
reader can check. Anything not in ``RULES`` is denied. A role also has to belong to the
agency the token's unit names (``ROLE_AGENCIES``): a "judge" issued to a police unit gets
nothing.

Scopes:
- ``OWN_COUNTY``: the data's county is the caller's county. A prefecture-level unit
  (county 513400) has the whole prefecture as its jurisdiction.
- ``PREFECTURE``: any county of the prefecture, and data bound to no county.

513425 (Huili county before 2021) counts as 513402 on both sides.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from adapters.errors import Forbidden
from adapters.regions import PREFECTURE_CODE, current_county
from hub.auth import Principal, Role, UnitAgency


class Operation(StrEnum):
    """GraphQL operations the policy covers, named as the schema names them."""

    PRIOR_RECORDS = "priorRecords"
    PEOPLE_SEARCH = "people"  # search the person index by name and birth date
    NOTICES = "notices"
    NOTICE = "notice"
    ACKNOWLEDGE_RECEIPT = "acknowledgeReceipt"
    NOTICE_CHANGED = "noticeChanged"
    INDICATORS = "indicators"
    AUDIT_ENTRIES = "auditEntries"
    SOURCE_HEALTH = "sourceHealth"  # operator: per-agency adapter status
    REDELIVER_NOTICE = "redeliverNotice"  # operator: retry a failing delivery
    HUB_PERSON = "hubPerson"  # one linked person of the index, with every agency's record
    POSSIBLE_MATCHES = "possibleMatches"  # operator: record pairs awaiting a decision
    DECIDE_MATCH = "decideMatch"  # operator: the mutations confirmMatch and rejectMatch
    RECORD_REPORTING = "recordReporting"  # the day a person reported in to the correction office


class Scope(StrEnum):
    OWN_COUNTY = "own_county"
    PREFECTURE = "prefecture"


@dataclass(frozen=True, slots=True)
class Rule:
    role: Role
    operation: Operation
    scope: Scope
    basis: str  # the law or reason behind the grant, shown in docs/security.md


ROLE_AGENCIES: dict[Role, frozenset[UnitAgency]] = {
    Role.POLICE_OFFICER: frozenset({UnitAgency.POLICE}),
    Role.PROSECUTOR: frozenset({UnitAgency.PROCURATORATE}),
    Role.JUDGE: frozenset({UnitAgency.COURT}),
    Role.COURT_CLERK: frozenset({UnitAgency.COURT}),
    Role.PRISON_OFFICER: frozenset({UnitAgency.PRISON}),
    Role.CORRECTION_OFFICER: frozenset({UnitAgency.JUSTICE_BUREAU}),
    # Audit is an oversight duty any organ (or the hub's own supervisors) may hold.
    Role.AUDITOR: frozenset(UnitAgency),
    Role.OPERATOR: frozenset({UnitAgency.HUB}),
}

_R, _O, _OWN, _ALL = Role, Operation, Scope.OWN_COUNTY, Scope.PREFECTURE

RULES: tuple[Rule, ...] = (
    # Criminal-record lookups: organs handling a criminal case, wherever the person lives.
    Rule(_R.POLICE_OFFICER, _O.PRIOR_RECORDS, _ALL, "CPL arts. 52, 115: investigation of a case"),
    Rule(_R.POLICE_OFFICER, _O.PEOPLE_SEARCH, _ALL, "CPL art. 115: identifying a suspect"),
    Rule(_R.PROSECUTOR, _O.PRIOR_RECORDS, _ALL, "CPL arts. 171, 176: prosecution review"),
    Rule(_R.PROSECUTOR, _O.PEOPLE_SEARCH, _ALL, "CPL art. 171: prosecution review"),
    Rule(_R.JUDGE, _O.PRIOR_RECORDS, _ALL, "CPL part III; Criminal Law art. 65: trial, recidivism"),
    Rule(_R.JUDGE, _O.PEOPLE_SEARCH, _ALL, "CPL part III: trial"),
    Rule(_R.POLICE_OFFICER, _O.HUB_PERSON, _ALL, "CPL art. 115: identifying a suspect"),
    Rule(_R.PROSECUTOR, _O.HUB_PERSON, _ALL, "CPL art. 171: prosecution review"),
    Rule(_R.JUDGE, _O.HUB_PERSON, _ALL, "CPL part III: trial"),
    Rule(_R.PRISON_OFFICER, _O.PRIOR_RECORDS, _ALL, "CPL art. 264; Prison Law art. 16: admission"),
    # NOTE: the caller passes the person's residence county here. Without one, only a
    # prefecture-level office passes, because the ID number's region code is not residence.
    Rule(_R.CORRECTION_OFFICER, _O.PRIOR_RECORDS, _OWN, "CC Law art. 18: pre-sentence investigation"),
    # Correction notices: the receiving office of the place of execution, the copies.
    Rule(_R.CORRECTION_OFFICER, _O.NOTICES, _OWN, "CC Law arts. 17, 20: office of the place of execution"),
    Rule(_R.CORRECTION_OFFICER, _O.NOTICE, _OWN, "CC Law arts. 17, 20"),
    Rule(_R.CORRECTION_OFFICER, _O.NOTICE_CHANGED, _OWN, "CC Law arts. 17, 20"),
    Rule(_R.CORRECTION_OFFICER, _O.ACKNOWLEDGE_RECEIPT, _OWN, "2020 Implementation Measures art. 16"),
    Rule(_R.CORRECTION_OFFICER, _O.INDICATORS, _OWN, "CC Law art. 21: reporting-in deadlines"),
    # The office the person reports in to is the one that records the day (CC Law art. 21).
    Rule(_R.CORRECTION_OFFICER, _O.RECORD_REPORTING, _OWN, "CC Law art. 21: reporting in"),
    Rule(_R.JUDGE, _O.NOTICES, _OWN, "SPC Interpretation art. 519: the deciding court delivers"),
    Rule(_R.JUDGE, _O.NOTICE, _OWN, "SPC Interpretation art. 519"),
    Rule(_R.JUDGE, _O.NOTICE_CHANGED, _OWN, "SPC Interpretation art. 519"),
    Rule(_R.JUDGE, _O.INDICATORS, _OWN, "SPC Interpretation art. 519: delivery deadlines"),
    Rule(_R.COURT_CLERK, _O.NOTICES, _OWN, "SPC Interpretation art. 519: clerks send the documents"),
    Rule(_R.COURT_CLERK, _O.NOTICE, _OWN, "SPC Interpretation art. 519"),
    Rule(_R.COURT_CLERK, _O.NOTICE_CHANGED, _OWN, "SPC Interpretation art. 519"),
    Rule(_R.COURT_CLERK, _O.INDICATORS, _OWN, "SPC Interpretation art. 519: delivery deadlines"),
    Rule(_R.PROSECUTOR, _O.NOTICES, _OWN, "CC Law arts. 8, 20: copy; supervision of correction"),
    Rule(_R.PROSECUTOR, _O.NOTICE, _OWN, "CC Law arts. 8, 20"),
    Rule(_R.PROSECUTOR, _O.NOTICE_CHANGED, _OWN, "CC Law arts. 8, 20"),
    Rule(_R.PROSECUTOR, _O.INDICATORS, _OWN, "CC Law art. 8: supervision of correction"),
    Rule(_R.POLICE_OFFICER, _O.NOTICES, _OWN, "CC Law art. 20: copy to the police"),
    Rule(_R.POLICE_OFFICER, _O.NOTICE, _OWN, "CC Law art. 20"),
    Rule(_R.POLICE_OFFICER, _O.NOTICE_CHANGED, _OWN, "CC Law arts. 20, 32"),
    # Oversight of the hub itself.
    Rule(_R.AUDITOR, _O.AUDIT_ENTRIES, _OWN, "2022 sealing measures: every lookup is recorded and reviewed"),
    Rule(_R.OPERATOR, _O.NOTICES, _ALL, "operations: masked notices, to repair delivery"),
    Rule(_R.OPERATOR, _O.NOTICE, _ALL, "operations: masked notices, to repair delivery"),
    Rule(_R.OPERATOR, _O.INDICATORS, _ALL, "operations: deadline monitoring"),
    Rule(_R.OPERATOR, _O.SOURCE_HEALTH, _ALL, "operations: agency adapter readiness and breakers"),
    Rule(_R.OPERATOR, _O.REDELIVER_NOTICE, _ALL, "operations: retry a failing delivery"),
    # Linkage decisions change which records count as one person, so they stay with the
    # hub's operators and are kept with the operator's id and reason.
    Rule(_R.OPERATOR, _O.POSSIBLE_MATCHES, _ALL, "operations: person-index quality"),
    Rule(_R.OPERATOR, _O.DECIDE_MATCH, _ALL, "operations: person-index quality"),
)

_INDEX: dict[tuple[Role, Operation], Rule] = {(rule.role, rule.operation): rule for rule in RULES}
if len(_INDEX) != len(RULES):
    raise RuntimeError("hub.policy.RULES grants one role the same operation twice")


def rule_for(role: Role, operation: Operation) -> Rule | None:
    return _INDEX.get((role, operation))


def granting_role(
    principal: Principal, operation: Operation | str, county: str | Collection[str] | None = None
) -> Role | None:
    """Return the first of the caller's roles (by name) that may run ``operation`` for ``county``."""
    wanted = Operation(operation)
    counties = _counties(county)
    for role in sorted(principal.roles):
        rule = rule_for(role, wanted)
        if rule is None or principal.unit.agency not in ROLE_AGENCIES[role]:
            continue
        if rule.scope is Scope.PREFECTURE or _within_jurisdiction(principal.unit.county, counties):
            return role
    return None


def authorize(
    principal: Principal, operation: Operation | str, county: str | Collection[str] | None = None
) -> None:
    """Raise ``Forbidden`` unless a role of ``principal`` may run ``operation``.

    ``county`` is the county the data belongs to, or several (a notice belongs to the place
    of execution and to the issuing court's county: either grants). ``None`` means data
    bound to no county, or all counties: only prefecture-wide grants and prefecture-level
    units pass then.
    """
    wanted = Operation(operation)
    if granting_role(principal, wanted, county) is not None:
        return

    params = {
        "operation": wanted.value,
        "roles": principal.role_label,
        "agency": principal.unit.agency.value,
        "county": principal.unit.county,
    }
    any_grant = any(
        rule_for(role, wanted) is not None and principal.unit.agency in ROLE_AGENCIES[role]
        for role in principal.roles
    )
    if any_grant:
        target = ",".join(sorted(_counties(county))) or PREFECTURE_CODE
        raise Forbidden("auth.forbidden_county", target=target, **params)
    raise Forbidden("auth.forbidden", **params)


def jurisdiction(principal: Principal, operation: Operation | str) -> str | None:
    """Return None if ``principal`` may run ``operation`` for every county, else their own county.

    Raises ``Forbidden`` when they may run it for neither.
    """
    if granting_role(principal, operation, None) is not None:
        return None
    own = principal.unit.county
    authorize(principal, operation, own)
    return own


def _counties(county: str | Collection[str] | None) -> frozenset[str]:
    if county is None:
        return frozenset()
    given = [county] if isinstance(county, str) else list(county)
    return frozenset(normalise_county(code) for code in given)


def normalise_county(code: str) -> str:
    """Today's code for ``code`` (513425 → 513402); unknown codes stay as given and match nothing."""
    found = current_county(code)
    return found.code if found is not None else code


def _within_jurisdiction(own: str, counties: frozenset[str]) -> bool:
    if own == PREFECTURE_CODE:
        return True
    return normalise_county(own) in counties


def markdown_table() -> str:
    """Render the role table as Markdown for docs/security.md (a test keeps the two equal)."""
    lines = ["| role | operation | scope | legal basis |", "|---|---|---|---|"]
    for rule in sorted(RULES, key=lambda r: (list(Role).index(r.role), list(Operation).index(r.operation))):
        lines.append(f"| {rule.role.value} | {rule.operation.value} | {rule.scope.value} | {rule.basis} |")
    return "\n".join(lines) + "\n"
