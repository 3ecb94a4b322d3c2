"""The audit log: append in the caller's transaction, and every kind of tampering found by verify."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import (
    AuditEntry,
    CheckpointSigner,
    ReturnedRecord,
    append,
    canonical_json,
    encode_payload,
    load_or_create_signing_key,
    lookup_entry,
    notice_entry,
    subject_hash,
)
from hub.audit_commands import audit as audit_group
from hub.audit_commands import describe
from hub.audit_read import AuditQuery, read_entries
from hub.audit_verify import Problem, VerifyReport, verify
from hub.auth import Role
from hub.purpose import Purpose, state_purpose
from hub.store import create_engine, migrate, poll_watermarks
from hub.store.audit_tables import audit_chain_head, audit_checkpoints, audit_entries
from tests.security.conftest import principal

KEY = b"synthetic-subject-key-0123456789"
ID_NUMBER = "513401200006150016"
EVERY = 5
T0 = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)


def entry(index: int) -> AuditEntry:
    judge = principal(Role.JUDGE)
    stated = state_purpose(judge, Purpose.TRIAL, case_number=f"（2026）川3401刑初{index}号")
    return lookup_entry(
        judge,
        stated,
        ID_NUMBER,
        subject_key=KEY,
        agencies_answered=["police", "court"],
        returned=[ReturnedRecord("court", f"PJ-{index}", sealed=index % 2 == 0)],
        now=T0 + dt.timedelta(minutes=index),
    )


async def fill(engine: AsyncEngine, signer: CheckpointSigner, count: int = 12) -> None:
    for index in range(1, count + 1):
        async with engine.begin() as conn:
            await append(conn, entry(index), signer=signer, checkpoint_every=EVERY)


async def check(engine: AsyncEngine, signer: CheckpointSigner) -> VerifyReport:
    return await verify(engine, signer.public_key, checkpoint_every=EVERY)


async def sql(engine: AsyncEngine, *statements: object) -> None:
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement) if isinstance(statement, str) else statement)  # type: ignore[arg-type]


async def test_an_intact_chain_verifies_with_its_checkpoints(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    await fill(engine, signer)
    report = await check(engine, signer)
    assert report.ok, report.findings
    assert (report.entries, report.checkpoints, report.last_sequence) == (12, 2, 12)


async def test_the_payload_is_the_documented_canonical_encoding(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    await fill(engine, signer, 2)
    async with engine.connect() as conn:
        first, second = (await conn.execute(select(audit_entries).order_by(audit_entries.c.sequence))).all()
    document = json.loads(second.payload)
    assert second.payload.encode() == canonical_json(document)
    assert document["prev_hash"] == first.entry_hash
    assert document["sequence"] == 2
    assert second.payload.encode() == encode_payload(2, first.entry_hash, entry(2).fields())
    assert ID_NUMBER not in second.payload
    assert document["entry"]["subject_hash"] == subject_hash(ID_NUMBER, KEY)


async def test_a_changed_payload_field_is_named(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    await fill(engine, signer)
    async with engine.connect() as conn:
        payload = (
            await conn.execute(select(audit_entries.c.payload).where(audit_entries.c.sequence == 7))
        ).scalar_one()
    await sql(
        engine,
        update(audit_entries)
        .where(audit_entries.c.sequence == 7)
        .values(payload=payload.replace("PJ-7", "PJ-X")),
    )
    report = await check(engine, signer)
    assert (report.first_bad_sequence, report.problem) == (7, Problem.HASH_MISMATCH)


async def test_a_changed_filter_column_is_named(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    await fill(engine, signer)
    await sql(
        engine,
        update(audit_entries)
        .where(audit_entries.c.sequence == 3)
        .values(case_number="（2026）川3401刑初999号"),
    )
    report = await check(engine, signer)
    assert (report.first_bad_sequence, report.problem) == (3, Problem.FIELD_MISMATCH)


async def test_a_rewritten_entry_with_a_fresh_hash_breaks_the_next_link(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    await fill(engine, signer)
    async with engine.connect() as conn:
        row = (await conn.execute(select(audit_entries).where(audit_entries.c.sequence == 3))).one()
    document = json.loads(row.payload)
    document["entry"]["actor_id"] = "someone-else"
    payload = encode_payload(3, row.prev_hash, document["entry"])
    import hashlib

    await sql(
        engine,
        update(audit_entries)
        .where(audit_entries.c.sequence == 3)
        .values(
            payload=payload.decode(), entry_hash=hashlib.sha256(payload).hexdigest(), actor_id="someone-else"
        ),
    )
    report = await check(engine, signer)
    assert (report.first_bad_sequence, report.problem) == (3, Problem.CHAIN_BREAK)


async def test_a_deleted_entry_is_named(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    await fill(engine, signer)
    await sql(engine, delete(audit_entries).where(audit_entries.c.sequence == 7))
    report = await check(engine, signer)
    assert (report.first_bad_sequence, report.problem) == (7, Problem.SEQUENCE_GAP)


async def test_two_swapped_entries_are_named_at_the_first(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    await fill(engine, signer)
    column = audit_entries.c.sequence
    await sql(
        engine,
        update(audit_entries).where(column == 4).values(sequence=-4),
        update(audit_entries).where(column == 8).values(sequence=4),
        update(audit_entries).where(column == -4).values(sequence=8),
    )
    report = await check(engine, signer)
    assert (report.first_bad_sequence, report.problem) == (4, Problem.REORDERED)


async def test_a_tail_cut_after_the_last_checkpoint_is_found_by_the_head_row(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    await fill(engine, signer)
    await sql(engine, delete(audit_entries).where(audit_entries.c.sequence > 10))
    report = await check(engine, signer)
    assert (report.first_bad_sequence, report.problem) == (11, Problem.MISSING_TAIL)


async def test_a_tail_cut_before_a_checkpoint_is_found_even_with_the_head_rewound(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    await fill(engine, signer)
    async with engine.connect() as conn:
        hash_8 = (
            await conn.execute(select(audit_entries.c.entry_hash).where(audit_entries.c.sequence == 8))
        ).scalar_one()
    await sql(
        engine,
        delete(audit_entries).where(audit_entries.c.sequence > 8),
        update(audit_chain_head).values(sequence=8, entry_hash=hash_8),
    )
    report = await check(engine, signer)
    assert (report.first_bad_sequence, report.problem) == (9, Problem.MISSING_TAIL)


async def test_a_tail_cut_after_a_checkpoint_with_the_head_rewound_needs_exported_checkpoints(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    # What the chain cannot prove on its own (docs/security.md): entries after the last
    # checkpoint, cut together with the head row, leave a consistent shorter chain.
    await fill(engine, signer)
    async with engine.connect() as conn:
        hash_10 = (
            await conn.execute(select(audit_entries.c.entry_hash).where(audit_entries.c.sequence == 10))
        ).scalar_one()
    await sql(
        engine,
        delete(audit_entries).where(audit_entries.c.sequence > 10),
        update(audit_chain_head).values(sequence=10, entry_hash=hash_10),
    )
    assert (await check(engine, signer)).ok


async def test_a_checkpoint_signed_by_another_key_is_named(
    engine: AsyncEngine, signer: CheckpointSigner, tmp_path: Path
) -> None:
    await fill(engine, signer)
    other = load_or_create_signing_key(tmp_path / "other.pem")
    report = await verify(engine, other.public_key)
    assert (report.first_bad_sequence, report.problem) == (5, Problem.BAD_CHECKPOINT_SIGNATURE)


async def test_a_forged_checkpoint_signature_is_named(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    await fill(engine, signer)
    await sql(
        engine, update(audit_checkpoints).where(audit_checkpoints.c.sequence == 10).values(signature="AAAA")
    )
    report = await check(engine, signer)
    assert (report.first_bad_sequence, report.problem) == (10, Problem.BAD_CHECKPOINT_SIGNATURE)


async def test_a_deleted_checkpoint_is_named(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    await fill(engine, signer)
    await sql(engine, delete(audit_checkpoints).where(audit_checkpoints.c.sequence == 5))
    report = await check(engine, signer)
    assert (report.first_bad_sequence, report.problem) == (5, Problem.MISSING_CHECKPOINT)


async def test_an_append_rolls_back_with_the_change_it_records(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    await fill(engine, signer, 2)
    with pytest.raises(RuntimeError, match="delivery failed"):
        async with engine.begin() as conn:
            await conn.execute(poll_watermarks.insert().values(agency="court", position=9, updated_at=T0))
            await append(
                conn, notice_entry(None, 1, "pending", "delivered", operation="deliver"), signer=signer
            )
            raise RuntimeError("delivery failed")

    async with engine.connect() as conn:
        assert (await conn.execute(select(poll_watermarks))).all() == []
        assert (await conn.execute(select(audit_chain_head.c.sequence))).scalar_one() == 2
    async with engine.begin() as conn:
        appended = await append(conn, entry(3), signer=signer, checkpoint_every=EVERY)
    assert appended.sequence == 3
    assert (await check(engine, signer)).ok


async def test_append_refuses_to_run_outside_a_transaction(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    async with engine.connect() as conn:
        with pytest.raises(RuntimeError, match="transaction"):
            await append(conn, entry(1), signer=signer)


async def test_concurrent_appends_do_not_fork_the_chain(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    async def one(index: int) -> int:
        async with engine.begin() as conn:
            appended = await append(conn, entry(index), signer=signer, checkpoint_every=EVERY)
            await asyncio.sleep(0)
            return appended.sequence

    sequences = await asyncio.gather(*(one(index) for index in range(1, 21)))
    assert sorted(sequences) == list(range(1, 21))
    report = await check(engine, signer)
    assert report.ok, report.findings
    assert report.checkpoints == 4


async def test_entries_read_back_filtered_newest_first_in_pages(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    await fill(engine, signer, 7)
    async with engine.begin() as conn:
        await append(
            conn,
            notice_entry(
                principal(Role.CORRECTION_OFFICER, "513431"),
                42,
                "delivered",
                "received",
                operation="acknowledgeReceipt",
            ),
            signer=signer,
            checkpoint_every=EVERY,
        )
    async with engine.connect() as conn:
        lookups = AuditQuery(kind="lookup", subject_hash=subject_hash(ID_NUMBER, KEY))
        first = await read_entries(conn, lookups, limit=3)
        second = await read_entries(conn, lookups, before=first.next_before, limit=3)
        third = await read_entries(conn, lookups, before=second.next_before, limit=3)
        notices = await read_entries(conn, AuditQuery(unit_county="513431"))
        since = await read_entries(conn, AuditQuery(kind="lookup", since=T0 + dt.timedelta(minutes=6)))
    assert [r.sequence for r in first.records + second.records + third.records] == [7, 6, 5, 4, 3, 2, 1]
    assert third.next_before is None
    assert first.records[0].entry == entry(7)
    assert [(r.entry.notice_id, r.entry.notice_to) for r in notices.records] == [(42, "received")]
    assert [r.sequence for r in since.records] == [7, 6]


def test_the_verify_command_answers_in_chinese_and_fails_with_exit_code_1(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"
    key_file = tmp_path / "checkpoint-key.pem"
    signer = load_or_create_signing_key(key_file)

    async def prepare(tamper: bool) -> None:
        engine = create_engine(url)
        try:
            if not tamper:
                await migrate(url)
                await fill(engine, signer)
            else:
                await sql(engine, delete(audit_entries).where(audit_entries.c.sequence == 6))
        finally:
            await engine.dispose()

    arguments = ["verify", "--url", url, "--public-key", str(key_file), "--checkpoint-every", str(EVERY)]
    asyncio.run(prepare(tamper=False))
    intact = CliRunner().invoke(audit_group, arguments)
    assert intact.exit_code == 0, intact.output
    assert intact.output.startswith("审计日志完整。")

    asyncio.run(prepare(tamper=True))
    broken = CliRunner().invoke(audit_group, arguments)
    assert broken.exit_code == 1
    assert broken.output.startswith("审计日志校验失败：第 6 条起序号缺失")


def test_verify_command_accepts_old_and_new_keys(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"
    old_file, new_file = tmp_path / "old-key.pem", tmp_path / "new-key.pem"
    old_signer = load_or_create_signing_key(old_file)
    load_or_create_signing_key(new_file)

    async def prepare() -> None:
        await migrate(url)
        engine = create_engine(url)
        try:
            await fill(engine, old_signer)
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    base = ["verify", "--url", url, "--checkpoint-every", str(EVERY)]
    new_only = CliRunner().invoke(audit_group, [*base, "--public-key", str(new_file)])
    both = CliRunner().invoke(
        audit_group, [*base, "--public-key", str(new_file), "--public-key", str(old_file)]
    )

    assert new_only.exit_code == 1
    assert both.exit_code == 0, both.output


def test_verify_missing_sqlite_file_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sqlite"
    key_file = tmp_path / "checkpoint-key.pem"
    load_or_create_signing_key(key_file)
    arguments = ["verify", "--url", f"sqlite+aiosqlite:///{missing}", "--public-key", str(key_file)]

    result = CliRunner().invoke(audit_group, arguments)

    assert result.exit_code == 2, result.output
    assert f"枢纽数据库文件不存在：{missing}" in result.output
    assert f"The hub store file {missing} does not exist" in result.output
    assert not missing.exists()


def test_verify_command_store_without_audit_tables(tmp_path: Path) -> None:
    database = tmp_path / "other.sqlite"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE unrelated (id INTEGER)")
    key_file = tmp_path / "checkpoint-key.pem"
    load_or_create_signing_key(key_file)
    arguments = ["verify", "--url", f"sqlite+aiosqlite:///{database}", "--public-key", str(key_file)]

    result = CliRunner().invoke(audit_group, arguments)

    assert result.exit_code == 2, result.output
    assert "不是枢纽数据库，或尚未迁移" in result.output
    assert "it is not a hub store, or it was never migrated" in result.output
    assert "hub migrate" in result.output
    assert "Traceback" not in result.output


def test_verify_summary_counts_singular_and_plural() -> None:
    singular = describe(VerifyReport(entries=1, checkpoints=1, last_sequence=1))
    plural = describe(VerifyReport(entries=2, checkpoints=0, last_sequence=2))

    assert "Checked 1 entry, 1 checkpoint, last sequence 1." in singular
    assert "Checked 2 entries, 0 checkpoints, last sequence 2." in plural
