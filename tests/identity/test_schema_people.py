"""``PeopleQuery`` and ``PeopleMutation`` on a schema of their own, with the real desk over a store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import strawberry

from adapters.errors import IdentityNotFound
from hub.identity.desk import PeopleDesk
from hub.identity.relink import relink
from hub.identity.service import IdentityService
from hub.store import Store
from schema.people import PeopleMutation, PeopleQuery
from tests.identity.support import ASU, entry, put

SCHEMA = strawberry.Schema(query=PeopleQuery, mutation=PeopleMutation)

SEARCH = """
query ($name: String!, $birth: Date) {
  people(name: $name, birthDate: $birth) { personId confidence outcome agreedFields names
    records { agency localKey idNumberMasked linkMethod } }
}"""
MATCHES = "{ possibleMatches { score agreedFields recordA { recordId name } recordB { recordId name } } }"
CONFIRM = """
mutation ($a: ID!, $b: ID!) {
  confirmMatch(recordA: $a, recordB: $b, reason: "户籍核实") { personId names records { linkMethod } }
}"""


@dataclass
class Access:
    asked: list[str] = field(default_factory=list)

    def authorize(self, operation: str, county: str | Sequence[str] | None = None) -> None:
        self.asked.append(operation)


@dataclass
class Context:
    people: PeopleDesk
    access: Access


async def test_people_search_masks_numbers(store: Store) -> None:
    await put(store, entry("police", "R1", "阿苏拉哈", number=ASU, others=("苏文华",)))
    context = Context(PeopleDesk(IdentityService(store), "op1"), Access())

    result = await SCHEMA.execute(SEARCH, {"name": "蘇文華", "birth": "1985-03-07"}, context_value=context)

    assert result.errors is None
    assert result.data is not None
    candidate = result.data["people"][0]
    assert candidate["outcome"] == "MATCH"
    assert candidate["names"] == ["阿苏拉哈", "苏文华"]
    assert candidate["records"][0]["idNumberMasked"] == ASU[:6] + "********" + ASU[-4:]
    assert context.access.asked == ["people"]


async def test_confirm_match_mutation(store: Store) -> None:
    await put(store, entry("police", "R1", "阿苏拉哈", number=ASU), entry("prison", "ZF9", "苏文华"))
    await relink(store)
    context = Context(PeopleDesk(IdentityService(store), "op1"), Access())

    listed = await SCHEMA.execute(MATCHES, context_value=context)
    assert listed.data is not None
    pair = listed.data["possibleMatches"][0]
    confirmed = await SCHEMA.execute(
        CONFIRM, {"a": pair["recordA"]["recordId"], "b": pair["recordB"]["recordId"]}, context_value=context
    )

    assert set(pair["agreedFields"]) == {"birth_date", "sex", "county"}
    assert confirmed.errors is None
    assert confirmed.data is not None
    person = confirmed.data["confirmMatch"]
    assert set(person["names"]) == {"阿苏拉哈", "苏文华"}
    assert sorted(r["linkMethod"] for r in person["records"]) == ["confirmed", "single"]


async def test_bad_record_id_not_found(store: Store) -> None:
    context = Context(PeopleDesk(IdentityService(store), "op1"), Access())

    result = await SCHEMA.execute(CONFIRM, {"a": "x", "b": "2"}, context_value=context)

    assert result.errors is not None
    error = result.errors[0].original_error
    assert isinstance(error, IdentityNotFound) and error.code == "NOT_FOUND"
    assert "记录" in error.render("zh")
