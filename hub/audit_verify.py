"""Check the audit log: every entry's hash and link, the sequence, the head row and the checkpoints.

``verify`` reads the whole chain in sequence order and reports the first broken entry and
why. A passing check shows that the stored chain is internally consistent and agrees with
every checkpoint signed by the given key. It cannot show a rewrite by someone holding both
the signing key and write access to the database. Nor can it show a tail cut together with
its checkpoints and head row, unless the checkpoints were exported (docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import INDEXED_FIELDS, checkpoint_message, encode_payload, format_time, key_id
from hub.store.audit_tables import (
    CHAIN_HEAD_ID,
    GENESIS_HASH,
    audit_chain_head,
    audit_checkpoints,
    audit_entries,
)

_BATCH = 1000
_MAX_PROBLEMS = 50


class Problem(StrEnum):
    SEQUENCE_GAP = "sequence_gap"  # an entry is missing (deleted)
    REORDERED = "reordered"  # an entry sits at a sequence other than the one it was hashed with
    HASH_MISMATCH = "hash_mismatch"  # the payload was changed after hashing
    CHAIN_BREAK = "chain_break"  # the entry before this one was changed or replaced
    FIELD_MISMATCH = "field_mismatch"  # a filter column disagrees with the hashed payload
    MISSING_TAIL = "missing_tail"  # entries after the last one present were deleted
    BAD_CHECKPOINT_SIGNATURE = "bad_checkpoint_signature"
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # the entry differs from what was signed
    MISSING_CHECKPOINT = "missing_checkpoint"
    HEAD_MISMATCH = "head_mismatch"  # the head row disagrees with the last entry


PROBLEM_ZH: dict[Problem, str] = {
    Problem.SEQUENCE_GAP: "序号缺失（条目被删除）",
    Problem.REORDERED: "条目顺序被调换",
    Problem.HASH_MISMATCH: "内容与哈希不符（条目被修改）",
    Problem.CHAIN_BREAK: "链接断裂（上一条目被修改或替换）",
    Problem.FIELD_MISMATCH: "检索字段与已哈希内容不符",
    Problem.MISSING_TAIL: "末尾条目缺失（日志被截断）",
    Problem.BAD_CHECKPOINT_SIGNATURE: "检查点签名无效",
    Problem.CHECKPOINT_MISMATCH: "条目与已签名检查点不符",
    Problem.MISSING_CHECKPOINT: "检查点缺失",
    Problem.HEAD_MISMATCH: "链头记录与最后条目不符",
}


@dataclass(frozen=True, slots=True)
class Finding:
    sequence: int
    problem: Problem
    detail: str


@dataclass(slots=True)
class VerifyReport:
    entries: int = 0
    checkpoints: int = 0
    last_sequence: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return min(self.findings, key=lambda f: f.sequence) if self.findings else None

    @property
    def first_bad_sequence(self) -> int | None:
        return self.first.sequence if self.first else None

    @property
    def problem(self) -> Problem | None:
        return self.first.problem if self.first else None

    def add(self, sequence: int, problem: Problem, detail: str) -> None:
        if len(self.findings) < _MAX_PROBLEMS:
            self.findings.append(Finding(sequence, problem, detail))


async def verify(
    engine: AsyncEngine,
    public_key: ed25519.Ed25519PublicKey | Sequence[ed25519.Ed25519PublicKey],
    *,
    checkpoint_every: int | None = None,
) -> VerifyReport:
    """Check the whole chain; ``checkpoint_every`` (if given) also requires every due checkpoint."""
    keys = [public_key] if isinstance(public_key, ed25519.Ed25519PublicKey) else list(public_key)
    by_id = {key_id(key): key for key in keys}
    report = VerifyReport()

    async with engine.connect() as conn:
        checkpoints = (
            await conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.sequence))
        ).all()
        head = (
            await conn.execute(select(audit_chain_head).where(audit_chain_head.c.id == CHAIN_HEAD_ID))
        ).one_or_none()
        hashes = await _walk_entries(conn, {int(cp.sequence) for cp in checkpoints}, report)

    last = report.last_sequence
    _check_head(head, last, hashes.get(last), report)
    _check_checkpoints(checkpoints, by_id, hashes, last, report)
    if checkpoint_every:
        present = {int(cp.sequence) for cp in checkpoints}
        for due in range(checkpoint_every, last + 1, checkpoint_every):
            if due not in present:
                report.add(due, Problem.MISSING_CHECKPOINT, f"no checkpoint at {due}")
    return report


async def _walk_entries(conn: Any, wanted: set[int], report: VerifyReport) -> dict[int, str]:
    """Check each entry in order; return the hashes at checkpoint sequences and the last one."""
    hashes: dict[int, str] = {}
    expected, prev_hash, after = 1, GENESIS_HASH, 0
    while True:
        query = (
            select(audit_entries)
            .where(audit_entries.c.sequence > after)
            .order_by(audit_entries.c.sequence)
            .limit(_BATCH)
        )
        rows = (await conn.execute(query)).all()
        if not rows:
            break
        for row in rows:
            sequence = int(row.sequence)
            if sequence != expected:
                report.add(expected, Problem.SEQUENCE_GAP, f"entries {expected}..{sequence - 1} are missing")
            _check_entry(row, prev_hash, report)
            expected, prev_hash, after = sequence + 1, str(row.entry_hash), sequence
            report.entries += 1
            report.last_sequence = sequence
            if sequence in wanted:
                hashes[sequence] = prev_hash
    hashes[report.last_sequence] = prev_hash
    return hashes


def _check_entry(row: Any, prev_hash: str, report: VerifyReport) -> None:
    sequence = int(row.sequence)
    try:
        document = json.loads(row.payload)
        fields, hashed_sequence, hashed_prev = document["entry"], document["sequence"], document["prev_hash"]
    except (ValueError, KeyError, TypeError):
        report.add(sequence, Problem.HASH_MISMATCH, "payload is not an audit document")
        return

    payload = row.payload.encode("utf-8")
    if (
        hashlib.sha256(payload).hexdigest() != row.entry_hash
        or encode_payload(hashed_sequence, hashed_prev, fields) != payload
    ):
        report.add(sequence, Problem.HASH_MISMATCH, "payload does not hash to entry_hash")
        return
    if hashed_sequence != sequence:
        report.add(sequence, Problem.REORDERED, f"entry was hashed as sequence {hashed_sequence}")
        return
    if hashed_prev != row.prev_hash or hashed_prev != prev_hash:
        # This entry is intact, so the one before it no longer has the hash it was linked to.
        report.add(sequence - 1, Problem.CHAIN_BREAK, f"entry {sequence} links to a different hash")
        return
    mismatched = [name for name in INDEXED_FIELDS if getattr(row, name) != fields.get(name)]
    if format_time(row.recorded_at) != fields.get("recorded_at"):
        mismatched.append("recorded_at")
    if mismatched:
        report.add(
            sequence, Problem.FIELD_MISMATCH, f"columns {', '.join(mismatched)} differ from the payload"
        )


def _check_head(head: Any, last: int, last_hash: str | None, report: VerifyReport) -> None:
    if head is None:
        report.add(last + 1, Problem.HEAD_MISMATCH, "the chain-head row is missing")
    elif int(head.sequence) > last:
        report.add(last + 1, Problem.MISSING_TAIL, f"head says {head.sequence}, last entry is {last}")
    elif int(head.sequence) < last:
        report.add(int(head.sequence) + 1, Problem.HEAD_MISMATCH, f"entries past the head {head.sequence}")
    elif last and head.entry_hash != last_hash:
        report.add(last, Problem.HEAD_MISMATCH, "head hash differs from the last entry")


def _check_checkpoints(
    checkpoints: Sequence[Any],
    keys: dict[str, ed25519.Ed25519PublicKey],
    hashes: dict[int, str],
    last: int,
    report: VerifyReport,
) -> None:
    for checkpoint in checkpoints:
        sequence = int(checkpoint.sequence)
        report.checkpoints += 1
        key = keys.get(checkpoint.key_id)
        if key is None or not _signature_valid(key, sequence, checkpoint.entry_hash, checkpoint.signature):
            report.add(sequence, Problem.BAD_CHECKPOINT_SIGNATURE, f"checkpoint {sequence} does not verify")
        elif sequence > last:
            report.add(
                last + 1, Problem.MISSING_TAIL, f"checkpoint {sequence} signed past the last entry {last}"
            )
        elif hashes.get(sequence) != checkpoint.entry_hash:
            report.add(sequence, Problem.CHECKPOINT_MISMATCH, f"entry {sequence} differs from its checkpoint")


def _signature_valid(key: ed25519.Ed25519PublicKey, sequence: int, entry_hash: str, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), checkpoint_message(sequence, entry_hash))
    except (InvalidSignature, ValueError):
        return False
    return True
