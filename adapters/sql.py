"""The SQL adapter base: one async SQLAlchemy engine per legacy database.

Each agency adapter subclasses ``SqlAdapter`` and implements ``_fetch``, which reads
with SQLAlchemy Core on one connection and maps rows into canonical records. The base
owns everything else: the engine (``sqlite+aiosqlite``, ``mysql+asyncmy``,
``postgresql+asyncpg`` URLs), the per-call timeout, the one log line per call, and the
translation of SQLAlchemy and driver errors into the hub's exception tree:

    connect fails, connection drops       → UpstreamUnavailable
    no response within ``timeout_s``      → UpstreamTimeout
    the database rejects the SQL          → UpstreamFault
    a stored value cannot be mapped       → UpstreamDataError

The helpers below turn legacy values (CHAR(8) dates, code tables, stored ID numbers)
into canonical ones and raise ``MappingError`` when they cannot.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from adapters.contract import CANCELLED, call_log_level
from adapters.errors import (
    UpstreamDataError,
    UpstreamError,
    UpstreamFault,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.idnumber import IdNumber, mask_id_number, try_parse_id_number
from adapters.records import Agency, AgencyRecords, PersonIdentity

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Connections a database adapter keeps open, unless its owner sets the agency's concurrency
# limit (SQLAlchemy's own default). Beyond them, up to POOL_OVERFLOW more are opened for a
# burst and closed again: pings and person-index fetches run outside the limit.
DEFAULT_POOL_SIZE = 5
POOL_OVERFLOW = 4

# Runs of 15 to 18 ID-number characters inside driver messages, masked before they leave.
_ID_LIKE = re.compile(r"\d{15}(?:\d{2}[\dXx])?")


class MappingError(ValueError):
    """Raised by the mapping helpers for a stored value that has no canonical meaning.

    The message names the field and the code or date, never a person's name or number.
    ``SqlAdapter.run`` turns it into ``UpstreamDataError``.
    """


class SqlAdapter:
    """Base of the police, prison and justice-bureau adapters (``RecordAdapter``)."""

    agency: Agency

    def __init__(self, url: str, *, timeout_s: float = 3.0, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.pool_size = pool_size
        self._engine: AsyncEngine | None = None

    async def start(self) -> None:
        """Create the engine, which connects lazily on the first call."""
        if self._engine is None:
            parsed = make_url(self.url)
            if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
                # An in-memory database lives in one connection, so its pool takes no size.
                self._engine = create_async_engine(self.url)
            else:
                self._engine = create_async_engine(
                    self.url, pool_size=self.pool_size, max_overflow=POOL_OVERFLOW
                )

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def ping(self) -> None:
        await self.run("ping", _select_one)

    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        async def work(conn: AsyncConnection) -> AgencyRecords:
            return await self._fetch(conn, id_number)

        return await self.run("fetch_records", work, subject=id_number.value)

    async def fetch_records_by_local_keys(self, keys: Sequence[str]) -> AgencyRecords:
        """Everything held on the people with these local person keys (from the person index)."""

        async def work(conn: AsyncConnection) -> AgencyRecords:
            return await self._fetch_by_keys(conn, list(keys))

        return await self.run("fetch_records_by_local_keys", work)

    async def fetch_records_many(self, id_numbers: Sequence[IdNumber]) -> dict[str, AgencyRecords]:
        """Return each person's records by 18-character ID number, from one connection and ``IN`` queries.

        Every requested number gets an entry, which is empty when the agency has no records of it.
        """

        async def work(conn: AsyncConnection) -> dict[str, AgencyRecords]:
            found = await self._fetch_many(conn, list(id_numbers)) if id_numbers else {}
            return {n.value: found.get(n.value) or AgencyRecords(agency=self.agency) for n in id_numbers}

        return await self.run("fetch_records_many", work)

    async def person_changes(self, after: str, limit: int = 500) -> list[PersonIdentity]:
        """People whose local key sorts after ``after`` (``""`` from the start), in key order.

        The legacy person tables have no change column, so a poller walks them by key and
        starts again from the beginning once it reaches the end.
        """

        async def work(conn: AsyncConnection) -> list[PersonIdentity]:
            return await self._person_page(conn, after, limit)

        return await self.run("person_changes", work)

    async def _fetch(self, conn: AsyncConnection, id_number: IdNumber) -> AgencyRecords:
        raise NotImplementedError

    async def _fetch_by_keys(self, conn: AsyncConnection, keys: list[str]) -> AgencyRecords:
        raise NotImplementedError

    async def _fetch_many(
        self, conn: AsyncConnection, id_numbers: list[IdNumber]
    ) -> dict[str, AgencyRecords]:
        raise NotImplementedError

    async def _person_page(self, conn: AsyncConnection, after: str, limit: int) -> list[PersonIdentity]:
        raise NotImplementedError

    async def run(
        self, operation: str, work: Callable[[AsyncConnection], Awaitable[T]], *, subject: str = ""
    ) -> T:
        """Run ``work`` on one connection within the timeout, translating every failure."""
        await self.start()
        started = time.perf_counter()
        outcome = "error"
        try:
            async with asyncio.timeout(self.timeout_s):
                result = await self._run(operation, work)
            outcome = "ok"
            return result
        except UpstreamError as exc:
            outcome = exc.code
            raise
        except TimeoutError as exc:
            outcome = UpstreamTimeout.code
            raise UpstreamTimeout(agency=self.agency, operation=operation, timeout_s=self.timeout_s) from exc
        except asyncio.CancelledError:
            outcome = CANCELLED
            raise
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.log(
                call_log_level(),
                "upstream call agency=%s operation=%s subject=%s outcome=%s ms=%.0f",
                self.agency,
                operation,
                mask_id_number(subject) if subject else "-",
                outcome,
                elapsed_ms,
            )

    async def _run(self, operation: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        if self._engine is None:
            raise RuntimeError("SqlAdapter.start() was not awaited")
        try:
            conn = await self._engine.connect()
        except (SQLAlchemyError, OSError) as exc:
            raise UpstreamUnavailable(agency=self.agency, operation=operation) from exc

        try:
            return await work(conn)
        except MappingError as exc:
            raise UpstreamDataError(agency=self.agency, operation=operation, detail=str(exc)) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise UpstreamUnavailable(agency=self.agency, operation=operation) from exc
            raise self._fault(operation, exc) from exc
        except SQLAlchemyError as exc:
            raise self._fault(operation, exc) from exc
        except OSError as exc:
            raise UpstreamUnavailable(agency=self.agency, operation=operation) from exc
        finally:
            # A connection that fails to close has been invalidated by the pool already,
            # so the call's own outcome is what the caller receives.
            with contextlib.suppress(SQLAlchemyError, OSError):
                await conn.close()

    def _fault(self, operation: str, exc: SQLAlchemyError) -> UpstreamFault:
        # The driver's own message, not str(exc): SQLAlchemy appends the statement and its
        # parameters, which hold ID numbers.
        original = exc.orig if isinstance(exc, DBAPIError) else exc
        message = str(original).splitlines()[0] if str(original) else type(original).__name__
        return UpstreamFault(
            agency=self.agency,
            operation=operation,
            fault_code=type(original).__name__,
            fault_string=_ID_LIKE.sub(lambda m: mask_id_number(m.group()), message)[:300],
        )


async def _select_one(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT 1"))


def id_number_keys(id_number: IdNumber) -> tuple[str, ...]:
    """Return every text a legacy system may have stored for ``id_number``.

    The 18-character form, the same with a lower-case ``x``, and the 15-digit form for
    people born 1900–1999. Listed rather than folded with ``UPPER()`` so an index on the
    ID column is still used.
    """
    keys = [id_number.value]
    if id_number.value.endswith("X"):
        keys.append(id_number.value[:17] + "x")
    if id_number.legacy_15 is not None:
        keys.append(id_number.legacy_15)
    return tuple(keys)


def all_id_number_keys(id_numbers: Sequence[IdNumber]) -> list[str]:
    """``id_number_keys`` of every number, for one ``IN`` query over a batch."""
    return list(dict.fromkeys(key for id_number in id_numbers for key in id_number_keys(id_number)))


class Owners:
    """The person (by normalised ID number) of each local person key in a batch.

    Rows whose stored number is not valid cannot be matched to a number asked for and are
    left out, as the single lookup would not find them either.
    """

    def __init__(self, agency: Agency) -> None:
        self.agency = agency
        self.by_key: dict[object, str] = {}
        self.groups: dict[str, AgencyRecords] = {}

    def add_person(self, key: object, stored_id_number: str | None, person: PersonIdentity) -> None:
        number = normalised_id_number(stored_id_number)
        if number is None:
            return
        self.by_key[key] = number
        self.group(key).persons.append(person)

    def group(self, key: object) -> AgencyRecords:
        number = self.by_key[key]
        return self.groups.setdefault(number, AgencyRecords(agency=self.agency))

    @property
    def keys(self) -> list[object]:
        return list(self.by_key)


def normalised_id_number(stored: str | None) -> str | None:
    """Return the 18-character form of a stored number (15-digit, lower-case ``x``), or None if invalid."""
    parsed = try_parse_id_number(stored)
    return parsed.value if parsed is not None else None


def char_date(value: str | None, *, field: str) -> dt.date | None:
    """Parse a CHAR(8) ``YYYYMMDD`` date; blanks and ``00000000`` mean unknown (None)."""
    stripped = (value or "").strip()
    if not stripped or stripped.strip("0") == "":
        return None
    try:
        if len(stripped) != 8 or not stripped.isdigit():
            raise ValueError(stripped)
        return dt.date(int(stripped[:4]), int(stripped[4:6]), int(stripped[6:]))
    except ValueError:
        raise MappingError(f"{field}: invalid date '{stripped}', expected YYYYMMDD") from None


def iso_date(value: str | dt.date | None, *, field: str) -> dt.date | None:
    """Parse a ``YYYY-MM-DD`` text date (or pass a DATE through); blank means unknown."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    stripped = value.strip()
    if not stripped or stripped.startswith("0000"):
        return None
    try:
        return dt.date.fromisoformat(stripped[:10])
    except ValueError:
        raise MappingError(f"{field}: invalid date '{stripped}', expected YYYY-MM-DD") from None


def map_code(table: Mapping[str, T], value: str | None, *, field: str) -> T:
    """Look a legacy code up in ``table`` (surrounding blanks ignored; blank is key ``""``)."""
    key = (value or "").strip()
    try:
        return table[key]
    except KeyError:
        expected = ", ".join(repr(code) for code in sorted(table))
        raise MappingError(f"{field}: unknown code '{key}', expected one of {expected}") from None
