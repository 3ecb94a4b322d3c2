"""The audit log's tables: hash-chained entries, the chain head, and signed checkpoints.

Created by Alembic revision ``0002_audit_log``, and ``0006_audit_refusal`` adds the ``refusal``
column. The tables are declared on the store's shared ``metadata``.
``payload`` is the entry's canonical JSON, exactly the bytes hashed (see ``hub.audit``); the
other entry columns copy fields out of it for filtering, and ``verify`` checks they agree.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from hub.store.tables import UTCDateTime, metadata

GENESIS_HASH = "0" * 64
CHAIN_HEAD_ID = 1

audit_entries = Table(
    "audit_entries",
    metadata,
    # Assigned by ``hub.audit.append`` under the chain-head lock, never by the database.
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", UTCDateTime, nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("operation", String(40), nullable=False),
    Column("actor_id", String(120), nullable=False, index=True),
    Column("unit_agency", String(20), nullable=False),
    Column("unit_county", String(6), nullable=False),
    Column("role", String(120), nullable=False),
    Column("purpose", String(40)),
    Column("case_number", String(120), index=True),
    Column("subject_hash", String(64), index=True),  # HMAC-SHA256 of the resident ID number
    Column("notice_id", BigInteger, index=True),
    # Only ``lookup_refused`` entries have a refusal, so the index finds those few among all entries.
    Column("refusal", String(40), index=True),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

# One row (id 1): the newest sequence and hash. Appenders lock it to keep the chain linear.
audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("sequence", BigInteger, nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_hash", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(200), nullable=False),  # base64 Ed25519 signature
    Column("signed_at", UTCDateTime, nullable=False),
)
