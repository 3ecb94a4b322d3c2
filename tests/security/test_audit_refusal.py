"""The ``refusal`` column of the audit log: filled on append, checked by verify, added by 0006.

Each test runs on SQLite and on real PostgreSQL. The migration tests write a chain the way
the hub did at revision 0005 (no ``refusal`` column), upgrade it, and append to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

from alembic import command
from sqlalchemy import Connection, insert, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.errors import (
    FORBIDDEN_REASONS,
    MESSAGES,
    Forbidden,
    InvalidCaseNumber,
    PurposeRequired,
    RateLimited,
)
from hub.audit import (
    INDEXED_FIELDS,
    REFUSAL_REASONS,
    AuditEntry,
    CheckpointSigner,
    append,
    encode_payload,
    lookup_entry,
    refused_lookup_entry,
)
from hub.audit_read import AuditQuery, read_entries
from hub.audit_verify import Problem, verify
from hub.auth import Role
from hub.lookups import refusal_reason
from hub.purpose import Purpose, state_purpose
from hub.store import create_engine, migrate
from hub.store.audit_tables import CHAIN_HEAD_ID, audit_chain_head, audit_entries
from hub.store.migrate import alembic_config
from schema.audit import REFUSALS_LISTED
from tests.security.conftest import principal

KEY = b"synthetic-subject-key-0123456789"
ID_NUMBER = "513401200006150016"
CASE = "（2026）川3401刑初12号"
T0 = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)


def allowed_lookup(minute: int) -> AuditEntry:
    judge = principal(Role.JUDGE)
    stated = state_purpose(judge, Purpose.TRIAL, case_number=CASE)
    return lookup_entry(
        judge,
        stated,
        ID_NUMBER,
        subject_key=KEY,
        agencies_answered=["court"],
        returned=[],
        now=T0 + dt.timedelta(minutes=minute),
    )


def refused_lookup(reason: str, *, purpose: str | None = "trial") -> AuditEntry:
    return refused_lookup_entry(
        principal(Role.JUDGE),
        ID_NUMBER,
        reason,
        subject_key=KEY,
        purpose=purpose,
        case_number=CASE,
        legal_basis=None,
    )


async def append_all(engine: AsyncEngine, signer: CheckpointSigner, entries: Sequence[AuditEntry]) -> None:
    async with engine.begin() as conn:
        for entry in entries:
            await append(conn, entry, signer=signer)


async def column(engine: AsyncEngine) -> dict[int, str | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(audit_entries.c.sequence, audit_entries.c.refusal))
        return {int(sequence): refusal for sequence, refusal in rows}


async def write_as_at_0005(conn: AsyncConnection, entries: Sequence[AuditEntry]) -> None:
    """Chain ``entries`` as the hub did before 0006: every filter column but ``refusal``."""
    head = (await conn.execute(select(audit_chain_head))).one()
    sequence, prev_hash = int(head.sequence), str(head.entry_hash)
    for entry in entries:
        sequence += 1
        fields = entry.fields()
        payload = encode_payload(sequence, prev_hash, fields)
        entry_hash = hashlib.sha256(payload).hexdigest()
        filters = {name: fields.get(name) for name in INDEXED_FIELDS if name != "refusal"}
        row = {
            "sequence": sequence,
            "recorded_at": entry.recorded_at,
            "payload": payload.decode("utf-8"),
            "prev_hash": prev_hash,
            "entry_hash": entry_hash,
            **filters,
        }
        await conn.execute(insert(audit_entries).values(**row))
        prev_hash = entry_hash
    await conn.execute(
        update(audit_chain_head)
        .where(audit_chain_head.c.id == CHAIN_HEAD_ID)
        .values(sequence=sequence, entry_hash=prev_hash)
    )


async def downgrade(url: str, revision: str) -> None:
    def run(sync: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = sync
        command.downgrade(config, revision)

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await engine.dispose()


async def audit_columns_and_indexes(url: str) -> tuple[set[str], set[str]]:
    def read(sync: Connection) -> tuple[set[str], set[str]]:
        inspector = inspect(sync)
        columns = {item["name"] for item in inspector.get_columns("audit_entries")}
        indexes = {str(item["name"]) for item in inspector.get_indexes("audit_entries")}
        return columns, indexes

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_append_fills_refusal_column(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    await append_all(engine, signer, [allowed_lookup(1), refused_lookup("QUOTA")])

    assert await column(engine) == {1: None, 2: "QUOTA"}
    report = await verify(engine, signer.public_key)
    assert report.ok, report.findings


async def test_refusal_filter_alone_and_with_kind(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    entries = [
        allowed_lookup(1),
        refused_lookup("QUOTA"),
        refused_lookup("PURPOSE_MISSING", purpose=None),
        refused_lookup("QUOTA"),
    ]
    await append_all(engine, signer, entries)

    async with engine.connect() as conn:
        quota = await read_entries(conn, AuditQuery(refusal="QUOTA"))
        both = await read_entries(conn, AuditQuery(kind="lookup_refused", refusal="PURPOSE_MISSING"))
        lookups = await read_entries(conn, AuditQuery(kind="lookup", refusal="QUOTA"))
        unused = await read_entries(conn, AuditQuery(refusal="COUNTY"))

    assert [r.sequence for r in quota.records] == [4, 2]
    assert {r.entry.refusal for r in quota.records} == {"QUOTA"}
    assert [r.sequence for r in both.records] == [3]
    assert both.records[0].entry.purpose is None
    assert lookups.records == ()
    assert unused.records == ()


async def test_verify_names_changed_refusal_column(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    await append_all(engine, signer, [allowed_lookup(1), refused_lookup("QUOTA"), allowed_lookup(3)])
    async with engine.begin() as conn:
        await conn.execute(
            update(audit_entries).where(audit_entries.c.sequence == 2).values(refusal="COUNTY")
        )

    report = await verify(engine, signer.public_key)

    assert (report.first_bad_sequence, report.problem) == (2, Problem.FIELD_MISMATCH)
    assert "refusal" in report.findings[0].detail
    assert len(report.findings) == 1


async def test_verify_names_refusal_on_allowed_lookup(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    await append_all(engine, signer, [allowed_lookup(1), refused_lookup("QUOTA")])
    async with engine.begin() as conn:
        await conn.execute(update(audit_entries).where(audit_entries.c.sequence == 1).values(refusal="QUOTA"))

    report = await verify(engine, signer.public_key)

    assert (report.first_bad_sequence, report.problem) == (1, Problem.FIELD_MISMATCH)
    assert "refusal" in report.findings[0].detail


async def test_verify_names_cleared_refusal_column(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    await append_all(engine, signer, [refused_lookup("QUOTA")])
    async with engine.begin() as conn:
        await conn.execute(update(audit_entries).values(refusal=None))

    report = await verify(engine, signer.public_key)

    assert (report.first_bad_sequence, report.problem) == (1, Problem.FIELD_MISMATCH)


async def test_migration_copies_refusals(store_url: str, signer: CheckpointSigner) -> None:
    await migrate(store_url, "0005")
    engine = create_engine(store_url)
    try:
        async with engine.begin() as conn:
            old = [
                allowed_lookup(1),
                refused_lookup("QUOTA"),
                refused_lookup("PURPOSE_MISSING", purpose=None),
                allowed_lookup(4),
            ]
            await write_as_at_0005(conn, old)

        await migrate(store_url)
        copied = await column(engine)
        await append_all(
            engine, signer, [refused_lookup("QUOTA"), allowed_lookup(6), refused_lookup("CASE_COURT")]
        )
        report = await verify(engine, signer.public_key)
        async with engine.connect() as conn:
            quota = await read_entries(conn, AuditQuery(kind="lookup_refused", refusal="QUOTA"))
    finally:
        await engine.dispose()

    assert copied == {1: None, 2: "QUOTA", 3: "PURPOSE_MISSING", 4: None}
    assert report.ok, report.findings
    assert report.entries == 7
    assert [r.sequence for r in quota.records] == [5, 2]


async def test_migration_skips_unreadable_payload(store_url: str, signer: CheckpointSigner) -> None:
    await migrate(store_url, "0005")
    engine = create_engine(store_url)
    try:
        async with engine.begin() as conn:
            await write_as_at_0005(conn, [refused_lookup("QUOTA"), refused_lookup("COUNTY")])
            await conn.execute(
                update(audit_entries).where(audit_entries.c.sequence == 1).values(payload="not json")
            )

        await migrate(store_url)
        copied = await column(engine)
        report = await verify(engine, signer.public_key)
    finally:
        await engine.dispose()

    assert copied == {1: None, 2: "COUNTY"}
    assert (report.first_bad_sequence, report.problem) == (1, Problem.HASH_MISMATCH)


async def test_migration_downgrade_drops_refusal(store_url: str) -> None:
    await migrate(store_url, "0006")
    columns, indexes = await audit_columns_and_indexes(store_url)
    assert "refusal" in columns
    assert "ix_audit_entries_refusal" in indexes

    await downgrade(store_url, "0005")
    columns, indexes = await audit_columns_and_indexes(store_url)
    assert "refusal" not in columns
    assert "ix_audit_entries_refusal" not in indexes

    await migrate(store_url, "0006")
    columns, _ = await audit_columns_and_indexes(store_url)
    assert "refusal" in columns


def test_refusal_reasons_cover_every_refusal() -> None:
    errors = [
        *(Forbidden(key) for key in FORBIDDEN_REASONS),
        Forbidden("auth.rule_without_a_reason"),  # named OTHER
        PurposeRequired(part="missing"),
        PurposeRequired(part="case_number"),
        InvalidCaseNumber(value="刑初12号"),
        RateLimited(operation="priorRecords", window="minute", limit=1, retry_after_s=60),
    ]

    named = {refusal_reason(error) for error in errors}

    assert named == set(REFUSAL_REASONS)


def test_schema_lists_every_refusal_reason() -> None:
    listed = REFUSALS_LISTED.replace(" or ", ", ").split(", ")

    assert listed == list(REFUSAL_REASONS)


def test_refusal_message_lists_every_reason() -> None:
    zh, en = MESSAGES["audit.refusal"]

    for reason in REFUSAL_REASONS:
        assert reason in zh
        assert reason in en


def test_payload_omits_unset_refusal() -> None:
    without = json.loads(encode_payload(1, "0" * 64, allowed_lookup(1).fields()))["entry"]
    with_refusal = json.loads(encode_payload(1, "0" * 64, refused_lookup("QUOTA").fields()))["entry"]

    assert "refusal" not in without
    assert with_refusal["refusal"] == "QUOTA"
