"""The tamper-evident audit log: one hash-chained entry per lookup and per notice state change.

Encoding (the exact bytes hashed, documented in docs/security.md):

    payload    = canonical_json({"entry": <entry fields>, "prev_hash": <hex>, "sequence": <int>})
    entry_hash = hex(SHA-256(payload))
    canonical_json(x) = json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                        encoded as UTF-8

The first entry is sequence 1 with ``prev_hash`` 64 zeros. Every ``checkpoint_every``-th
entry (default 100) also gets a checkpoint: an Ed25519 signature over
``canonical_json({"entry_hash": <hex>, "kind": "jeh-audit-checkpoint/1", "sequence": <int>})``.

``append`` runs inside the caller's transaction, so an entry commits or rolls back with
the change it records (ARCHITECTURE.md: "written in the same transaction"). Appends are
serialized on the chain-head row: ``SELECT ... FOR UPDATE`` on PostgreSQL, the database
write lock (taken by a no-op UPDATE) on SQLite, so concurrent appends cannot fork the chain.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import Connection, Executable, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub import audit_sqlite
from hub.auth import Principal
from hub.purpose import StatedPurpose
from hub.records import Sourced
from hub.sealing import FilteredLookup, TiedRecords
from hub.store.audit_tables import (
    CHAIN_HEAD_ID,
    audit_chain_head,
    audit_checkpoints,
    audit_entries,
)

DEFAULT_CHECKPOINT_EVERY = 100
# The values of ``AuditEntry.kind``.
AUDIT_KINDS = ("lookup", "lookup_refused", "notice_state")
# The values of ``AuditEntry.refusal``, named by ``hub.lookups.refusal_reason``. The first four
# are ``Forbidden.reason``, and ``OTHER`` names a rule that has no name of its own.
REFUSAL_REASONS = (
    "OPERATION",
    "COUNTY",
    "PURPOSE_ROLE",
    "CASE_COURT",
    "PURPOSE_MISSING",
    "CASE_NUMBER_MISSING",
    "CASE_NUMBER_INVALID",
    "QUOTA",
    "OTHER",
)
CHECKPOINT_KIND = "jeh-audit-checkpoint/1"
DEFAULT_SIGNING_KEY_FILE = Path("var/audit/checkpoint-key.pem")

# Entry fields copied into their own columns for filtering; verify checks each against the payload.
INDEXED_FIELDS = (
    "kind",
    "operation",
    "actor_id",
    "unit_agency",
    "unit_county",
    "role",
    "purpose",
    "case_number",
    "subject_hash",
    "notice_id",
    "refusal",
)


@dataclass(frozen=True, slots=True)
class ReturnedRecord:
    """One record a lookup returned: where it came from and whether it was sealed."""

    agency: str
    local_reference: str
    sealed: bool = False


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """The fields of one entry; times are aware UTC.

    ``kind`` is ``lookup``, ``lookup_refused`` or ``notice_state``. A refused lookup names
    the rule that refused it in ``refusal`` (one of ``REFUSAL_REASONS``) and returned nothing.
    """

    kind: str
    operation: str
    recorded_at: dt.datetime
    actor_id: str
    unit_agency: str
    unit_county: str
    role: str
    purpose: str | None = None
    legal_basis: str | None = None
    case_number: str | None = None
    subject_hash: str | None = None  # HMAC-SHA256 of the resident ID number, never the number
    agencies_answered: tuple[str, ...] = ()
    returned: tuple[ReturnedRecord, ...] = ()
    notice_id: int | None = None
    notice_from: str | None = None
    notice_to: str | None = None
    refusal: str | None = None

    def fields(self) -> dict[str, Any]:
        # Field by field rather than asdict(), whose deep copy cost more than the hashing.
        data = {name: getattr(self, name) for name in _ENTRY_FIELDS}
        if self.refusal is None:
            # Added after the first entries were written: an entry without one hashes as before.
            del data["refusal"]
        data["recorded_at"] = format_time(self.recorded_at)
        data["agencies_answered"] = sorted(self.agencies_answered)
        data["returned"] = [
            {"agency": record.agency, "local_reference": record.local_reference, "sealed": record.sealed}
            for record in self.returned
        ]
        return data

    @classmethod
    def from_fields(cls, data: Mapping[str, Any]) -> AuditEntry:
        values = dict(data)
        values["recorded_at"] = dt.datetime.fromisoformat(values["recorded_at"].replace("Z", "+00:00"))
        values["agencies_answered"] = tuple(values["agencies_answered"])
        values["returned"] = tuple(ReturnedRecord(**record) for record in values["returned"])
        return cls(**values)


_ENTRY_FIELDS = tuple(item.name for item in fields(AuditEntry))


@dataclass(frozen=True, slots=True)
class AppendedEntry:
    sequence: int
    entry_hash: str
    checkpointed: bool


@dataclass(frozen=True, slots=True)
class CheckpointSigner:
    """The Ed25519 key that signs checkpoints; ``key_id`` names its public half."""

    private_key: ed25519.Ed25519PrivateKey = field(repr=False)

    @property
    def public_key(self) -> ed25519.Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, sequence: int, entry_hash: str) -> str:
        signature = self.private_key.sign(checkpoint_message(sequence, entry_hash))
        return base64.b64encode(signature).decode("ascii")


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def format_time(moment: dt.datetime) -> str:
    """ISO 8601 UTC with microseconds and ``Z``: one spelling for every instant."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: audit times are aware UTC")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_payload(sequence: int, prev_hash: str, fields: Mapping[str, Any]) -> bytes:
    return canonical_json({"entry": dict(fields), "prev_hash": prev_hash, "sequence": sequence})


def checkpoint_message(sequence: int, entry_hash: str) -> bytes:
    return canonical_json({"entry_hash": entry_hash, "kind": CHECKPOINT_KIND, "sequence": sequence})


def key_id(public_key: ed25519.Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def subject_hash(id_number: str, key: bytes) -> str:
    """Keyed hash of a resident ID number: lets an auditor find a person's lookups, not read them."""
    if len(key) < 16:
        raise ValueError("the subject hash key must be at least 16 bytes")
    return hmac.new(key, id_number.encode("ascii"), hashlib.sha256).hexdigest()


def lookup_entry(
    principal: Principal,
    purpose: StatedPurpose,
    id_number: str,
    *,
    subject_key: bytes,
    agencies_answered: Iterable[str],
    returned: Iterable[ReturnedRecord],
    operation: str = "priorRecords",
    now: dt.datetime | None = None,
) -> AuditEntry:
    return AuditEntry(
        kind="lookup",
        operation=operation,
        recorded_at=now or dt.datetime.now(dt.UTC),
        actor_id=principal.user_id,
        unit_agency=principal.unit.agency.value,
        unit_county=principal.unit.county,
        role=purpose.role.value,
        purpose=purpose.purpose.value,
        legal_basis=purpose.legal_basis,
        case_number=purpose.case_number,
        subject_hash=subject_hash(id_number, subject_key),
        agencies_answered=tuple(sorted(agencies_answered)),
        returned=tuple(returned),
    )


def refused_lookup_entry(
    principal: Principal,
    id_number: str,
    refusal: str,
    *,
    subject_key: bytes,
    purpose: str | None,
    case_number: str | None,
    legal_basis: str | None,
    operation: str = "priorRecords",
) -> AuditEntry:
    """Build the entry for a lookup refused before anything was returned, as the caller stated it."""
    return AuditEntry(
        kind="lookup_refused",
        operation=operation,
        recorded_at=dt.datetime.now(dt.UTC),
        actor_id=principal.user_id,
        unit_agency=principal.unit.agency.value,
        unit_county=principal.unit.county,
        role=principal.role_label,
        purpose=purpose,
        legal_basis=legal_basis,
        case_number=case_number,
        subject_hash=subject_hash(id_number, subject_key),
        refusal=refusal,
    )


def returned_from_lookup(filtered: FilteredLookup) -> tuple[ReturnedRecord, ...]:
    """List every record a filtered lookup returns, each with its sealed flag.

    Criminal records carry their own seal decision. Police cases, coercive measures, custody
    and correction records belonging to a sealed judgment (``hub.sealing.TiedRecords``) are
    part of that sealed record. Administrative detentions are sealed public-order violation
    records (``hub.sealing.public_order_seal``). Other case information is not sealed.
    """
    records = [
        ReturnedRecord(
            seen.judgment.source.agency.value, seen.judgment.source.local_reference, seen.decision.sealed
        )
        for seen in filtered.records.records
    ]
    tied = TiedRecords(seen.judgment for seen in filtered.records.records if seen.decision.sealed)
    info = filtered.result.case_information
    groups: tuple[tuple[Sequence[Sourced], bool], ...] = (
        (info.judgments, False),
        (info.police_cases, False),
        (info.coercive_measures, False),
        (info.administrative_detentions, True),
        (info.custody, False),
        (info.corrections, False),
    )
    for group, sealed in groups:
        for item in group:
            agency, reference = item.source.agency.value, item.source.local_reference
            records.append(ReturnedRecord(agency, reference, sealed or tied.carries(item)))
    return tuple(records)


def notice_entry(
    actor: Principal | None,
    notice_id: int,
    from_status: str | None,
    to_status: str,
    *,
    operation: str,
    case_number: str | None = None,
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Build the entry for a notice state change. ``actor`` None means a hub job (poller, deliverer)."""
    return AuditEntry(
        kind="notice_state",
        operation=operation,
        recorded_at=now or dt.datetime.now(dt.UTC),
        actor_id=actor.user_id if actor else "system",
        unit_agency=actor.unit.agency.value if actor else "hub",
        unit_county=actor.unit.county if actor else "513400",
        role=actor.role_label if actor else "system",
        case_number=case_number,
        notice_id=notice_id,
        notice_from=from_status,
        notice_to=to_status,
    )


async def append(
    conn: AsyncConnection,
    entry: AuditEntry,
    *,
    signer: CheckpointSigner,
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
) -> AppendedEntry:
    """Append ``entry`` inside the caller's open transaction on ``conn``; never commits."""
    appended = await append_many(conn, [entry], signer=signer, checkpoint_every=checkpoint_every)
    return appended[0]


async def append_many(
    conn: AsyncConnection,
    entries: Sequence[AuditEntry],
    *,
    signer: CheckpointSigner,
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
) -> list[AppendedEntry]:
    """Chain ``entries`` in order inside the caller's open transaction; never commits.

    The head is locked once and moved once, and the rows go in as one multi-row insert,
    so a group of entries costs about as many round trips as a single one.
    """
    if not _ready(conn.in_transaction(), entries, checkpoint_every):
        return []
    head = (await conn.execute(_lock_head(conn.dialect.name))).one_or_none()
    chain = _Chain.after(head, entries, signer, checkpoint_every)
    for statement, rows in chain.writes():
        await conn.execute(statement, rows)
    return chain.appended


def append_many_blocking(
    conn: Connection,
    entries: Sequence[AuditEntry],
    *,
    signer: CheckpointSigner,
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
) -> list[AppendedEntry]:
    """Chain ``entries`` as ``append_many`` does, on a synchronous connection (a writer's own thread).

    On SQLite the rows and the head go through the driver (``hub.audit_sqlite``).
    """
    if not _ready(conn.in_transaction(), entries, checkpoint_every):
        return []
    if conn.dialect.name != "sqlite":
        head = conn.execute(_lock_head(conn.dialect.name)).one_or_none()
        chain = _Chain.after(head, entries, signer, checkpoint_every)
        for statement, rows in chain.writes():
            conn.execute(statement, rows)
        return chain.appended
    chain = _Chain.after(audit_sqlite.lock_head(conn), entries, signer, checkpoint_every)
    audit_sqlite.store(conn, chain.rows, audit_sqlite.Head(chain.sequence, chain.entry_hash))
    if chain.checkpoints:
        conn.execute(insert(audit_checkpoints), chain.checkpoints)
    return chain.appended


def _ready(in_transaction: bool, entries: Sequence[AuditEntry], checkpoint_every: int) -> bool:
    """Check an append's arguments, and return False when there is nothing to append."""
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be 1 or more, got {checkpoint_every}")
    if not in_transaction:
        raise RuntimeError("audit.append needs the caller's transaction: use `async with engine.begin()`")
    return bool(entries)


def _lock_head(dialect: str) -> Executable:
    """Build the statement that locks the chain head until commit and reads its sequence and hash."""
    head = audit_chain_head.c
    if dialect == "postgresql":
        return select(head.sequence, head.entry_hash).where(head.id == CHAIN_HEAD_ID).with_for_update()
    # SQLite ignores FOR UPDATE, so a write that changes nothing takes the database write
    # lock until commit, and RETURNING reads the head in the same statement.
    return (
        update(audit_chain_head)
        .where(head.id == CHAIN_HEAD_ID)
        .values(sequence=head.sequence)
        .returning(head.sequence, head.entry_hash)
    )


@dataclass
class _Chain:
    """Entries chained after the locked head: their rows, the checkpoints due, the new head."""

    rows: list[dict[str, Any]]
    checkpoints: list[dict[str, Any]]
    appended: list[AppendedEntry]
    sequence: int
    entry_hash: str

    @classmethod
    def after(
        cls, head: Any, entries: Sequence[AuditEntry], signer: CheckpointSigner, checkpoint_every: int
    ) -> _Chain:
        if head is None:
            raise RuntimeError("audit_chain_head has no row: run `hub migrate` (revision 0002 seeds it)")
        chain = cls([], [], [], int(head.sequence), str(head.entry_hash))
        for entry in entries:
            chain._add(entry, signer, checkpoint_every)
        return chain

    def _add(self, entry: AuditEntry, signer: CheckpointSigner, checkpoint_every: int) -> None:
        prev_hash, sequence = self.entry_hash, self.sequence + 1
        fields = entry.fields()
        payload = encode_payload(sequence, prev_hash, fields)
        entry_hash = hashlib.sha256(payload).hexdigest()
        self.rows.append(
            {
                "sequence": sequence,
                "recorded_at": entry.recorded_at,
                "payload": payload.decode("utf-8"),
                "prev_hash": prev_hash,
                "entry_hash": entry_hash,
                # An entry without a refusal leaves the key out of its payload, and its column NULL.
                **{name: fields.get(name) for name in INDEXED_FIELDS},
            }
        )
        checkpointed = sequence % checkpoint_every == 0
        if checkpointed:
            self.checkpoints.append(
                {
                    "sequence": sequence,
                    "entry_hash": entry_hash,
                    "key_id": signer.key_id,
                    "signature": signer.sign(sequence, entry_hash),
                    "signed_at": dt.datetime.now(dt.UTC),
                }
            )
        self.appended.append(AppendedEntry(sequence, entry_hash, checkpointed))
        self.sequence, self.entry_hash = sequence, entry_hash

    def writes(self) -> list[tuple[Executable, Any]]:
        """Return the statements that store the chain, each with its parameters, in order."""
        move_head = (
            update(audit_chain_head)
            .where(audit_chain_head.c.id == CHAIN_HEAD_ID)
            .values(sequence=self.sequence, entry_hash=self.entry_hash)
        )
        statements: list[tuple[Executable, Any]] = [(insert(audit_entries), self.rows), (move_head, None)]
        if self.checkpoints:
            statements.append((insert(audit_checkpoints), self.checkpoints))
        return statements


def load_or_create_signing_key(path: str | Path = DEFAULT_SIGNING_KEY_FILE) -> CheckpointSigner:
    """Load the checkpoint key (PEM, PKCS#8 Ed25519); create it with mode 0600 if missing (demo)."""
    target = Path(path)
    if not target.exists():
        pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(pem)
    key = serialization.load_pem_private_key(target.read_bytes(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError(f"{target}: expected an Ed25519 private key")
    return CheckpointSigner(key)


def load_public_key(path: str | Path) -> ed25519.Ed25519PublicKey:
    """Read an Ed25519 public key (PEM); a private key file yields its public half."""
    data = Path(path).read_bytes()
    key: Any
    if b"PRIVATE KEY" in data:
        key = serialization.load_pem_private_key(data, password=None).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise ValueError(f"{path}: expected an Ed25519 key")
    return key


def public_key_pem(signer: CheckpointSigner) -> bytes:
    return signer.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
