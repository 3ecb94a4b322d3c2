"""Read the audit log for the ``auditEntries`` query: filters, newest first, keyset pagination.

Only auditors reach this (``hub.policy``). A county-level auditor sees the entries of units
in their own county: pass ``unit_county``. Subjects are found by the keyed hash of their ID
number (``hub.audit.subject_hash``), never by the number itself.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.audit import AuditEntry
from hub.store.audit_tables import audit_entries

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters for ``read_entries``; each one given narrows the result (AND)."""

    actor_id: str | None = None
    unit_agency: str | None = None
    unit_county: str | None = None
    kind: str | None = None
    operation: str | None = None
    purpose: str | None = None
    case_number: str | None = None
    subject_hash: str | None = None
    notice_id: int | None = None
    refusal: str | None = None
    since: dt.datetime | None = None  # inclusive, aware UTC
    until: dt.datetime | None = None  # exclusive, aware UTC


@dataclass(frozen=True, slots=True)
class AuditRecord:
    sequence: int
    entry_hash: str
    entry: AuditEntry


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: tuple[AuditRecord, ...]
    next_before: int | None  # pass as ``before`` for the next (older) page; None at the end


async def read_entries(
    conn: AsyncConnection, query: AuditQuery, *, before: int | None = None, limit: int = 50
) -> AuditPage:
    """Entries matching ``query`` with sequence below ``before``, newest first, at most ``limit``."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1..{MAX_PAGE}, got {limit}")

    table = audit_entries.c
    statement = select(table.sequence, table.entry_hash, table.payload)
    for name in (
        "actor_id",
        "unit_agency",
        "unit_county",
        "kind",
        "operation",
        "purpose",
        "case_number",
        "subject_hash",
        "notice_id",
        "refusal",
    ):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(table[name] == value)
    if query.since is not None:
        statement = statement.where(table.recorded_at >= query.since)
    if query.until is not None:
        statement = statement.where(table.recorded_at < query.until)
    if before is not None:
        statement = statement.where(table.sequence < before)

    rows = (await conn.execute(statement.order_by(table.sequence.desc()).limit(limit + 1))).all()
    page = rows[:limit]
    records = tuple(
        AuditRecord(
            int(row.sequence), str(row.entry_hash), AuditEntry.from_fields(json.loads(row.payload)["entry"])
        )
        for row in page
    )
    next_before = int(page[-1].sequence) if len(rows) > limit else None
    return AuditPage(records, next_before)
