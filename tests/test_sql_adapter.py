"""Behaviour every SQL adapter shares: failures translated into the hub's error tree,
one masked log line per call, and the mapping helpers."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.correction import CorrectionAdapter
from adapters.errors import (
    UpstreamDataError,
    UpstreamError,
    UpstreamFault,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.idnumber import parse_id_number
from adapters.police import PoliceAdapter
from adapters.prison import PrisonAdapter
from adapters.sql import MappingError, SqlAdapter, char_date, id_number_keys, iso_date, map_code
from hub.metrics import InstrumentedAdapter
from simulators.police import store as police_store
from tests.legacy_db import closed_port, dataset, silent_port
from tests.perf.fakes import fresh_metrics

ADAPTERS = [PoliceAdapter, PrisonAdapter, CorrectionAdapter]
SERVER_URLS = [
    "postgresql+asyncpg://postgres@127.0.0.1:{port}/hub",
    "mysql+asyncmy://root@127.0.0.1:{port}/hub",
]
ID_NUMBER = parse_id_number("11010519491231002X")


@pytest.mark.parametrize("adapter_class", ADAPTERS)
@pytest.mark.parametrize("url", SERVER_URLS)
async def test_refused_connection_raises_upstream_unavailable(
    adapter_class: type[SqlAdapter], url: str
) -> None:
    adapter = adapter_class(url.format(port=closed_port()))

    with pytest.raises(UpstreamUnavailable):
        await adapter.fetch_records(ID_NUMBER)
    await adapter.aclose()


@pytest.mark.parametrize("adapter_class", ADAPTERS)
@pytest.mark.parametrize("url", SERVER_URLS)
async def test_silent_server_raises_upstream_timeout(adapter_class: type[SqlAdapter], url: str) -> None:
    with silent_port() as port:
        adapter = adapter_class(url.format(port=port), timeout_s=0.2)
        with pytest.raises(UpstreamTimeout) as caught:
            await adapter.fetch_records(ID_NUMBER)
        await adapter.aclose()

    assert caught.value.params["timeout_s"] == 0.2


async def test_missing_sqlite_folder_raises_upstream_unavailable(tmp_path: Path) -> None:
    adapter = PoliceAdapter(f"sqlite+aiosqlite:///{tmp_path}/absent/police.sqlite")

    with pytest.raises(UpstreamUnavailable):
        await adapter.ping()
    await adapter.aclose()
    await _join_sqlite_workers()


async def _join_sqlite_workers() -> None:
    # After a failed connect aiosqlite stops its worker thread without waiting for it. The
    # thread then reports to the event loop, so the loop must stay open until it ends.
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5)


async def test_missing_table_raises_upstream_fault(tmp_path: Path) -> None:
    adapter = PrisonAdapter(f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite")

    with pytest.raises(UpstreamFault) as caught:
        await adapter.fetch_records(ID_NUMBER)
    await adapter.aclose()

    assert "zf_jbxx" in caught.value.fault_string


async def test_unknown_code_raises_data_error(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/police.sqlite"
    police_store.create_and_load(url, dataset())
    person = dataset().person(dataset().showcase_person_id)
    engine = sa.create_engine(f"sqlite:///{tmp_path}/police.sqlite")
    with engine.begin() as conn:
        conn.execute(sa.update(police_store.T_AJ_JBXX).values(AJZT="99"))
    engine.dispose()
    adapter = PoliceAdapter(url)

    with pytest.raises(UpstreamDataError):
        await adapter.fetch_records(parse_id_number(person.id_number))
    await adapter.aclose()


async def test_upstream_error_chains_the_library_error(tmp_path: Path) -> None:
    adapter = CorrectionAdapter(f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite")

    with pytest.raises(UpstreamFault) as caught:
        await adapter.fetch_records(ID_NUMBER)
    await adapter.aclose()

    assert isinstance(caught.value.__cause__, sa.exc.SQLAlchemyError)


async def test_call_logs_masked_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/police.sqlite"
    police_store.create_and_load(url, dataset())
    adapter = PoliceAdapter(url)

    with caplog.at_level(logging.INFO, logger="adapters.sql"):
        await adapter.fetch_records(ID_NUMBER)
    await adapter.aclose()

    assert [record.getMessage() for record in caplog.records] == [
        "upstream call agency=police operation=fetch_records subject=110105********002X"
        f" outcome=ok ms={_ms(caplog)}"
    ]
    assert caplog.records[0].levelno == logging.INFO


async def test_wrapped_call_has_one_info_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Under the hub's instruments the adapter's line drops to DEBUG, so the call has one INFO line."""
    url = f"sqlite+aiosqlite:///{tmp_path}/police.sqlite"
    police_store.create_and_load(url, dataset())
    adapter = InstrumentedAdapter(PoliceAdapter(url), fresh_metrics())

    with caplog.at_level(logging.DEBUG):
        await adapter.fetch_records(ID_NUMBER)
    await adapter.aclose()

    calls = [r for r in caplog.records if "operation=fetch_records" in r.getMessage()]
    assert [(r.name, r.levelno) for r in calls] == [
        ("adapters.sql", logging.DEBUG),
        ("hub.metrics", logging.INFO),
    ]


async def test_cancelled_call_logs_cancelled(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/police.sqlite"
    police_store.create_and_load(url, dataset())
    adapter = PoliceAdapter(url)
    await adapter.start()
    entered = asyncio.Event()

    async def stalled(conn: AsyncConnection) -> None:
        entered.set()
        await asyncio.sleep(10)

    with caplog.at_level(logging.INFO, logger="adapters.sql"):
        call = asyncio.create_task(adapter.run("fetch_records", stalled, subject=ID_NUMBER.value))
        await entered.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    await adapter.aclose()

    [line] = [record.getMessage() for record in caplog.records]
    assert " outcome=CANCELLED " in line


def _ms(caplog: pytest.LogCaptureFixture) -> str:
    return caplog.records[0].getMessage().rsplit("ms=", 1)[1]


async def test_ping_answers_on_a_fresh_database(tmp_path: Path) -> None:
    adapter = CorrectionAdapter(f"sqlite+aiosqlite:///{tmp_path}/fresh.sqlite")

    await adapter.ping()
    await adapter.aclose()


def test_id_number_keys_cover_legacy_forms() -> None:
    assert id_number_keys(ID_NUMBER) == ("11010519491231002X", "11010519491231002x", "110105491231002")


def test_id_number_keys_after_1999() -> None:
    assert id_number_keys(parse_id_number("110105200001010016")) == ("110105200001010016",)


@pytest.mark.parametrize("blank", ["00000000", "        ", "", None])
def test_blank_char_date_reads_as_unknown(blank: str | None) -> None:
    assert char_date(blank, field="T.RQ") is None


def test_char_date_parses_yyyymmdd() -> None:
    assert char_date("20240305", field="T.RQ") == dt.date(2024, 3, 5)


@pytest.mark.parametrize("bad", ["20240231", "2024-03-", "abcdefgh"])
def test_impossible_char_date_raises_mapping_error(bad: str) -> None:
    with pytest.raises(MappingError):
        char_date(bad, field="T.RQ")


def test_iso_date_parses_text() -> None:
    assert iso_date("2024-03-05", field="t.rq") == dt.date(2024, 3, 5)


def test_unknown_code_names_the_field() -> None:
    with pytest.raises(MappingError, match="T_RY_JBXX.XB"):
        map_code({"M": "1"}, "Q", field="T_RY_JBXX.XB")


async def test_slow_query_times_out_then_recovers(postgres_url: str) -> None:
    adapter = PrisonAdapter(postgres_url, timeout_s=0.2)

    async def slow(conn: AsyncConnection) -> None:
        await conn.execute(sa.text("SELECT pg_sleep(2)"))

    with pytest.raises(UpstreamTimeout):
        await adapter.run("slow_query", slow)
    await adapter.ping()
    await adapter.aclose()


def _library_errors() -> list[BaseException]:
    """Return one instance of every SQLAlchemy Core error class, plus OS errors drivers raise."""
    classes: list[type[sa.exc.SQLAlchemyError]] = []
    pending: list[type[sa.exc.SQLAlchemyError]] = [sa.exc.SQLAlchemyError]
    while pending:
        cls = pending.pop()
        classes.append(cls)
        pending.extend(cls.__subclasses__())

    errors: list[BaseException] = [ConnectionResetError("reset"), OSError("network down")]
    # Core queries raise only the classes of sqlalchemy.exc; the ORM's own errors never reach
    # an adapter.
    return errors + [_instance(cls) for cls in classes if cls.__module__ == "sqlalchemy.exc"]


def _instance(cls: type[sa.exc.SQLAlchemyError]) -> sa.exc.SQLAlchemyError:
    if issubclass(cls, sa.exc.DBAPIError):
        return cls("SELECT 1", None, Exception("driver error"))
    # The constructors differ, so try one message plus as many empty arguments as needed.
    for extra in range(4):
        try:
            return cls("library error", *[()] * extra)
        except TypeError:
            continue
    raise TypeError(f"cannot build {cls.__name__}")


@pytest.mark.parametrize("error", _library_errors(), ids=lambda error: type(error).__name__)
async def test_library_error_becomes_upstream_error(error: BaseException, tmp_path: Path) -> None:
    adapter = PoliceAdapter(f"sqlite+aiosqlite:///{tmp_path}/police.sqlite")

    async def failing(conn: AsyncConnection) -> None:
        raise error

    with pytest.raises(UpstreamError):
        await adapter.run("failing", failing)
    await adapter.aclose()


async def test_pool_keeps_connections_between_bursts(tmp_path: Path) -> None:
    """Calls within the pool size reuse the pool's connections instead of opening their own."""
    url = f"sqlite+aiosqlite:///{tmp_path}/police.sqlite"
    police_store.create_and_load(url, dataset())
    person = parse_id_number(dataset().people[0].id_number)
    adapter = PoliceAdapter(url, pool_size=8)
    await adapter.start()
    assert adapter._engine is not None
    opened: list[object] = []
    sa.event.listen(adapter._engine.sync_engine, "connect", lambda conn, record: opened.append(conn))
    try:
        for _ in range(3):
            await asyncio.gather(*(adapter.fetch_records(person) for _ in range(8)))
    finally:
        await adapter.aclose()

    assert len(opened) == 8  # a pool of 5 would close and reopen 3 in every burst


def test_build_adapters_sizes_pools_to_concurrency(tmp_path: Path) -> None:
    from adapters.records import Agency
    from hub.app import build_adapters
    from hub.settings import Settings

    url = f"sqlite+aiosqlite:///{tmp_path}/x.sqlite"
    settings = Settings(police_db_url=url, prison_db_url=url, correction_db_url=url, court_url=None)

    adapters = build_adapters(settings, pool_sizes={Agency.POLICE: 12, Agency.PRISON: 3})

    sizes = {adapter.agency: getattr(adapter, "pool_size", None) for adapter in adapters}
    assert sizes == {Agency.POLICE: 12, Agency.PRISON: 3, Agency.JUSTICE_BUREAU: 5}
