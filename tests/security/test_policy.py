"""The authorisation table, cell by cell: every role × operation × county case."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.errors import OPERATION_NAMES_ZH, ROLE_NAMES_ZH, Forbidden, role_names_zh
from hub.auth import Principal, Role, Unit, UnitAgency
from hub.policy import RULES, Operation, Scope, authorize, granting_role, markdown_table
from schema.build import build_schema
from tests.security.conftest import principal

O, P, _ = "own", "prefecture", None  # noqa: E741

# Written out by hand from docs/security.md, not derived from hub.policy: the test fails
# when either changes alone. Columns follow ``Operation``'s order.
OPS = list(Operation)
EXPECTED: dict[Role, list[str | None]] = {
    # Columns: prior peopl notcs notic ackn chngd indic audit health redeliv person pairs decide report
    Role.POLICE_OFFICER: [P, P, O, O, _, O, _, _, _, _, P, _, _, _],
    Role.PROSECUTOR: [P, P, O, O, _, O, O, _, _, _, P, _, _, _],
    Role.JUDGE: [P, P, O, O, _, O, O, _, _, _, P, _, _, _],
    Role.COURT_CLERK: [_, _, O, O, _, O, O, _, _, _, _, _, _, _],
    Role.PRISON_OFFICER: [P, _, _, _, _, _, _, _, _, _, _, _, _, _],
    Role.CORRECTION_OFFICER: [O, _, O, O, O, O, O, _, _, _, _, _, _, O],
    Role.AUDITOR: [_, _, _, _, _, _, _, O, _, _, _, _, _, _],
    Role.OPERATOR: [_, _, P, P, _, _, P, _, P, P, _, P, P, _],
}

OWN, OTHER = "513401", "513431"


def cells() -> list[tuple[Role, Operation, str | None]]:
    return [(role, op, EXPECTED[role][index]) for role in Role for index, op in enumerate(OPS)]


def test_the_rules_hold_exactly_the_expected_grants() -> None:
    granted = {(rule.role, rule.operation): rule.scope for rule in RULES}
    expected = {
        (role, op): Scope.OWN_COUNTY if scope == O else Scope.PREFECTURE
        for role, op, scope in cells()
        if scope
    }
    assert granted == expected


@pytest.mark.parametrize(("role", "operation", "scope"), cells(), ids=lambda v: str(v))
def test_each_cell_allows_or_denies_for_own_other_and_no_county(
    role: Role, operation: Operation, scope: str | None
) -> None:
    caller = principal(role, OWN)
    outcomes = {}
    for county in (OWN, OTHER, None):
        try:
            authorize(caller, operation, county)
            outcomes[county] = True
        except Forbidden as exc:
            assert exc.code == "FORBIDDEN"
            outcomes[county] = False
    assert outcomes == {OWN: scope is not None, OTHER: scope == P, None: scope == P}


@pytest.mark.parametrize(("role", "operation", "scope"), cells(), ids=lambda v: str(v))
def test_a_prefecture_level_unit_has_every_county_for_its_grants(
    role: Role, operation: Operation, scope: str | None
) -> None:
    caller = principal(role, "513400")
    allowed = [granting_role(caller, operation, county) is not None for county in (OWN, OTHER, None)]
    assert allowed == [scope is not None] * 3


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.AUDITOR])
def test_a_role_in_the_wrong_agency_gets_nothing(role: Role) -> None:
    wrong = UnitAgency.HUB if role is not Role.OPERATOR else UnitAgency.COURT
    caller = principal(role, "513400", agency=wrong)
    for operation in Operation:
        with pytest.raises(Forbidden):
            authorize(caller, operation, OWN)


def test_a_correction_officer_sees_only_the_notices_of_their_own_county() -> None:
    officer = principal(Role.CORRECTION_OFFICER, "513431")
    authorize(officer, Operation.NOTICE, "513431")
    with pytest.raises(Forbidden) as denied:
        authorize(officer, Operation.NOTICE, "513401")
    assert denied.value.key == "auth.forbidden_county"
    assert "仅限本辖区" in denied.value.render("zh")


def test_only_an_auditor_reads_the_audit_log() -> None:
    readers = [
        role for role in Role if granting_role(principal(role, "513400"), Operation.AUDIT_ENTRIES) is not None
    ]
    assert readers == [Role.AUDITOR]


def test_huili_county_code_513425_counts_as_513402_on_both_sides() -> None:
    authorize(principal(Role.CORRECTION_OFFICER, "513402"), Operation.NOTICES, "513425")
    authorize(principal(Role.CORRECTION_OFFICER, "513425"), Operation.NOTICES, "513402")


def test_a_notice_belonging_to_two_counties_is_open_to_either() -> None:
    clerk = principal(Role.COURT_CLERK, "513401")
    authorize(clerk, Operation.NOTICE, ("513431", "513401"))
    with pytest.raises(Forbidden):
        authorize(clerk, Operation.NOTICE, ("513431", "513432"))


def test_several_roles_are_granted_by_any_of_them() -> None:
    both = Principal("u-1", Unit(UnitAgency.COURT, "513401"), frozenset({Role.COURT_CLERK, Role.JUDGE}))
    assert granting_role(both, Operation.PRIOR_RECORDS) is Role.JUDGE


def test_the_forbidden_message_names_the_operation_in_chinese_and_english() -> None:
    with pytest.raises(Forbidden) as denied:
        authorize(principal(Role.OPERATOR), Operation.PRIOR_RECORDS)
    assert "当前账号（运维人员，" in denied.value.render("zh")
    assert "无权执行“前科查询”（priorRecords）" in denied.value.render("zh")
    assert "may not run 'priorRecords'" in denied.value.render("en")


def test_every_role_and_operation_has_a_chinese_name() -> None:
    """A refusal names the caller's roles and the operation in Chinese, never only in the API's words."""
    assert {role.value for role in Role} <= ROLE_NAMES_ZH.keys()
    assert {operation.value for operation in Operation} <= OPERATION_NAMES_ZH.keys()
    assert role_names_zh("court_clerk,judge") == "书记员、法官"


def test_an_unknown_operation_is_refused_before_any_check() -> None:
    with pytest.raises(ValueError):
        authorize(principal(Role.JUDGE), "dropDatabase")


def test_docs_carry_the_role_table_exactly_as_the_policy_declares_it() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    assert markdown_table() in docs


# Operations that grant fields of other names; docs/security.md lists them under the table.
FIELDS_OF = {
    Operation.PRIOR_RECORDS: ("priorRecords", "priorRecordsBatch"),
    Operation.DECIDE_MATCH: ("confirmMatch", "rejectMatch"),
}


def test_every_operation_has_schema_fields() -> None:
    """A grant with no field behind it promises an operation that no request can run."""
    graphql_schema = build_schema(production=False)._schema
    roots = (graphql_schema.query_type, graphql_schema.mutation_type, graphql_schema.subscription_type)
    fields = {name for root in roots if root is not None for name in root.fields}

    missing = {
        operation.value: [name for name in FIELDS_OF.get(operation, (operation.value,)) if name not in fields]
        for operation in Operation
    }

    assert {operation: names for operation, names in missing.items() if names} == {}
