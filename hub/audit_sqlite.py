"""Lock the chain head and store a group of audit rows on SQLite, one driver statement for each step.

The group writer (``hub.audit_group``) runs each SQLite transaction in a thread of its
own. Python's sqlite3 module releases the GIL around every step of every statement, and
takes it back afterwards, so an ``executemany`` of a group of rows takes the GIL once per
row from the event loop that serves lookups. Here the group goes in as one multi-row
``INSERT``, and the head is locked and moved with one statement each, all through the
driver's connection inside SQLAlchemy's transaction. The values are converted by the
columns' own bind processors, so the stored text is the same as through SQLAlchemy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Dialect

from hub.store.audit_tables import CHAIN_HEAD_ID, audit_chain_head, audit_entries

# SQLite's bound-parameter limit before 3.32, the lowest a linked library may have.
MAX_PARAMETERS = 999

Convert = Callable[[Any], Any]

# Built from the table definitions, never from input: the values are bound parameters.
_HEAD = audit_chain_head.name
LOCK_HEAD_SQL = f"UPDATE {_HEAD} SET sequence = sequence WHERE id = ? RETURNING sequence, entry_hash"  # noqa: S608
MOVE_HEAD_SQL = f"UPDATE {_HEAD} SET sequence = ?, entry_hash = ? WHERE id = ?"  # noqa: S608


class Head(NamedTuple):
    sequence: int
    entry_hash: str


def lock_head(conn: Connection) -> Head | None:
    """Take SQLite's write lock with a write that changes nothing, and return the chain head.

    SQLite ignores ``FOR UPDATE``: the lock taken by this ``UPDATE`` lasts until commit.
    """
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(LOCK_HEAD_SQL, (CHAIN_HEAD_ID,))
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else Head(int(row[0]), str(row[1]))


def store(conn: Connection, rows: Sequence[Mapping[str, Any]], head: Head) -> None:
    """Insert ``rows`` (every row with the same keys) and move the chain head to ``head``."""
    if not rows:
        return
    names = tuple(rows[0])
    converters = _converters(conn.dialect, names)
    per_statement = max(1, MAX_PARAMETERS // len(names))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values: list[Any] = []
            for row in chunk:
                if row.keys() != rows[0].keys():
                    raise ValueError("audit rows of one group must have the same columns")
                values.extend(convert(row[name]) for name, convert in zip(names, converters, strict=True))
            cursor.execute(_insert_sql(names, len(chunk)), values)
        cursor.execute(MOVE_HEAD_SQL, (head.sequence, head.entry_hash, CHAIN_HEAD_ID))
    finally:
        cursor.close()


@functools.lru_cache(maxsize=8)
def _converters(dialect: Dialect, names: tuple[str, ...]) -> tuple[Convert, ...]:
    """Return each column's bind processor for ``dialect``, or the identity where it has none."""
    converters = []
    for name in names:
        processor = audit_entries.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        converters.append(processor if processor is not None else _same)
    return tuple(converters)


@functools.lru_cache(maxsize=64)
def _insert_sql(names: tuple[str, ...], count: int) -> str:
    for name in names:
        if not name.isidentifier() or name not in audit_entries.c:
            raise ValueError(f"not a column of {audit_entries.name}: {name!r}")
    placeholders = "(" + ", ".join("?" for _ in names) + ")"
    columns = ", ".join(names)  # checked above against the table's columns
    return f"INSERT INTO {audit_entries.name} ({columns}) VALUES " + ", ".join([placeholders] * count)  # noqa: S608


def _same(value: Any) -> Any:
    return value
