"""Feeding the index: pages commit with their cursor, so an interrupted poll resumes."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from click.testing import CliRunner

from adapters.records import Agency, JudgmentChange, PersonIdentity, SourceRef
from hub.identity.commands import OUTCOMES_ZH, people_command, progress
from hub.identity.feed import feed_judgments, feed_people
from hub.identity.index import read_cursor
from hub.identity.linkage import Outcome
from hub.identity.service import IdentityService
from hub.store import Store
from tests.identity.support import ASU
from tests.identity.test_lookup import judgment


def person(key: str, name: str, number: str | None = None) -> PersonIdentity:
    return PersonIdentity(
        source=SourceRef(Agency.POLICE, key),
        name=name,
        id_number=number,
        id_number_as_recorded=number,
        sex_code="1",
        birth_date=dt.date(1985, 3, 7),
        county_code="513425",
    )


class Table:
    """A legacy person table read in key order, counting the pages asked for."""

    def __init__(self, people: list[PersonIdentity]) -> None:
        self.people = sorted(people, key=lambda p: p.source.local_reference)
        self.calls: list[str] = []

    async def person_changes(self, after: str, limit: int = 500) -> list[PersonIdentity]:
        self.calls.append(after)
        return [p for p in self.people if p.source.local_reference > after][:limit]


async def test_interrupted_feed_resumes_at_cursor(store: Store) -> None:
    table = Table([person(f"R{i:03d}", f"阿苏拉哈{i}") for i in range(7)])

    first = await feed_people(store, table, "police", batch_size=3, max_batches=1)
    second = await feed_people(store, table, "police", batch_size=3)

    assert (first.read, first.swept) == (3, False)
    assert table.calls == ["", "R002", "R005"]
    assert (second.read, second.swept) == (4, True)
    assert await read_cursor(store, "identity:police") == ""


async def test_fed_records_are_normalised(store: Store) -> None:
    await feed_people(store, Table([person("R1", "阿蘇•拉哈", ASU)]), "police")

    view = await IdentityService(store).search("阿苏拉哈", dt.date(1985, 3, 7))

    record = view[0].records[0].entry
    assert (record.name, record.county_code, record.id_number) == ("阿苏·拉哈", "513402", ASU)


class Court:
    def __init__(self, changes: list[JudgmentChange]) -> None:
        self.changes = changes

    async def judgment_changes(self, after_sequence: int, limit: int = 100) -> list[JudgmentChange]:
        return [c for c in self.changes if c.sequence > after_sequence][:limit]


async def test_court_parties_keyed_by_case(store: Store) -> None:
    case = "(2024)川3431刑初12号"
    party = person("", "吉克阿依", ASU)
    court = Court(
        [
            JudgmentChange(5, judgment(case), party),
            JudgmentChange(9, judgment("（2024）川3431刑初13号"), party),
        ]
    )

    report = await feed_judgments(store, court, batch_size=1)
    again = await feed_judgments(store, court)

    assert (report.read, report.position) == (2, "9")
    assert again.read == 0
    found = await IdentityService(store).search("吉克阿依", dt.date(1985, 3, 7))
    assert {r.entry.agency for r in found[0].records} == {"court"}
    assert sorted(r.entry.local_key for r in found[0].records) == [
        "（2024）川3431刑初12号",
        "（2024）川3431刑初13号",
    ]


def test_progress_writes_only_finished_phases_into_a_log(capsys: pytest.CaptureFixture[str]) -> None:
    progress("police", 500, 0)
    progress("police", 907, 0)
    progress("write", 5, 10)
    progress("write", 10, 10)

    assert capsys.readouterr().err == "write: 10/10\n"


async def test_failed_page_hook_keeps_cursor(store: Store) -> None:
    table = Table([person(f"R{i:03d}", f"阿苏拉哈{i}") for i in range(5)])
    cursors: list[str] = []

    async def failing(page: list[PersonIdentity]) -> None:
        cursors.append(await read_cursor(store, "identity:police"))
        raise RuntimeError("store not writable")

    with pytest.raises(RuntimeError):
        await feed_people(store, table, "police", batch_size=3, on_page=failing)
    again = await feed_people(store, table, "police", batch_size=3)

    assert cursors == [""]  # called before the page's cursor committed
    assert await read_cursor(store, "identity:police") == ""
    assert (again.read, again.swept) == (5, True)


async def test_people_outcomes_in_chinese(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    await feed_people(store, Table([person("R1", "阿苏拉哈"), person("R2", "阿苏拉哈")]), "police")
    monkeypatch.setenv("HUB_STORE_URL", store.engine.url.render_as_string(hide_password=False))

    # The command runs its own event loop, so it runs in a thread beside this test's.
    result = await asyncio.to_thread(CliRunner().invoke, people_command, ["阿苏拉哈"])

    assert result.exit_code == 0, result.output
    assert "可能同一人" in result.output  # a name alone makes namesakes possible matches
    assert "possible" not in result.output
    assert set(OUTCOMES_ZH) == set(Outcome)
