"""``person_changes`` and ``fetch_records_by_local_keys`` on every SQL adapter, against its stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.correction import CorrectionAdapter
from adapters.court import CourtAdapter
from adapters.idnumber import parse_id_number
from adapters.police import PoliceAdapter
from adapters.prison import PrisonAdapter
from adapters.records import Judgment
from adapters.sql import SqlAdapter
from simulators.correction import store as correction_store
from simulators.police import store as police_store
from simulators.prison import store as prison_store
from tests.identity.test_lookup import judgment
from tests.legacy_db import dataset

LOADERS = {
    "police": (police_store.create_and_load, PoliceAdapter),
    "prison": (prison_store.create_and_load, PrisonAdapter),
    "correction": (correction_store.create_and_load, CorrectionAdapter),
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    urls = {}
    for name, (load, _) in LOADERS.items():
        path: Path = tmp_path_factory.mktemp(name) / f"{name}.sqlite"
        urls[name] = f"sqlite+aiosqlite:///{path}"
        load(urls[name], dataset())
    return urls


@pytest.fixture(params=sorted(LOADERS))
async def adapter(request: pytest.FixtureRequest, loaded: dict[str, str]) -> AsyncIterator[SqlAdapter]:
    sql_adapter = LOADERS[request.param][1](loaded[request.param])
    yield sql_adapter
    await sql_adapter.aclose()


async def test_person_changes_page_in_key_order(adapter: SqlAdapter) -> None:
    seen: list[str] = []
    after = ""
    while True:
        page = await adapter.person_changes(after, limit=37)
        seen += [person.source.local_reference for person in page]
        if len(page) < 37:
            break
        after = page[-1].source.local_reference

    assert len(seen) == len(set(seen)) > 37
    everyone = await adapter.person_changes("", limit=100_000)
    assert seen == [person.source.local_reference for person in everyone]


async def test_local_key_fetch_matches_id_fetch(adapter: SqlAdapter) -> None:
    person = (await adapter.person_changes("", limit=5))[2]
    assert person.id_number is not None

    by_key = await adapter.fetch_records_by_local_keys([person.source.local_reference])
    by_number = await adapter.fetch_records(parse_id_number(person.id_number))

    assert by_key == by_number


async def test_unknown_local_keys_return_nothing(adapter: SqlAdapter) -> None:
    records = await adapter.fetch_records_by_local_keys(["no-such-key"])

    assert records.persons == [] and records.custody == [] and records.corrections == []


class _Court(CourtAdapter):
    def __init__(self, known: dict[str, Judgment]) -> None:
        self.known = known

    async def judgment_by_case_number(self, raw: str) -> Judgment | None:
        return self.known.get(raw)


async def test_court_local_keys_are_case_numbers() -> None:
    found = judgment("（2024）川3431刑初12号")
    court = _Court({"（2024）川3431刑初12号": found})

    records = await court.fetch_records_by_local_keys(["（2024）川3431刑初12号", "（2024）川3431刑初99号"])

    assert records.judgments == [found]
