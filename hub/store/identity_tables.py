"""The person index's tables: records, hub persons, aliases, decisions, possible matches, events.

Created by Alembic revisions ``0003_person_index`` and ``0005_record_names``; declared on
the store's shared ``metadata``.
``identity_records`` holds identity attributes only (never what an agency's record is
about), one row per agency and local key. ``identity_decisions`` keys pairs by agency and
local key, not by row id, so an operator's decision survives a rebuilt index.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Float, String, Table, Text, UniqueConstraint

from hub.store.tables import Id, UTCDateTime, metadata

identity_records = Table(
    "identity_records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("agency", String(20), nullable=False),
    Column("local_key", String(120), nullable=False),
    Column("name", String(200), nullable=False),
    Column("other_names", JSON, nullable=False),
    Column("name_key", String(200), nullable=False, index=True),
    Column("pinyin_key", String(400), nullable=False, index=True),
    Column("id_number", String(18), index=True),
    Column("id_number_recorded", String(40)),
    Column("sex_code", String(1), nullable=False),
    Column("sex_conflict", Boolean, nullable=False),
    Column("ethnicity_code", String(2)),
    Column("birth_date", Date, index=True),
    Column("county_code", String(6)),
    Column("person_id", BigInteger, index=True),
    Column("link_method", String(20)),
    Column("link_score", Float),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("agency", "local_key", name="uq_identity_records_source"),
)

# A hub person ID is never reused: a merged person points at the one it went into.
# The other names an agency recorded on each record (曾用名, 别名), keyed for a search by
# name alone. Revision 0005; rewritten with its record on every ingest.
identity_record_names = Table(
    "identity_record_names",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_id", BigInteger, nullable=False, index=True),
    Column("name_key", String(200), nullable=False, index=True),
    Column("pinyin_key", String(400), nullable=False, index=True),
)

identity_persons = Table(
    "identity_persons",
    metadata,
    Column("person_id", BigInteger, primary_key=True, autoincrement=False),
    Column("status", String(10), nullable=False),  # active | merged | empty
    Column("merged_into", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

identity_aliases = Table(
    "identity_aliases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_id", BigInteger, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, index=True),
    Column("pinyin_key", String(400), nullable=False, index=True),
    Column("source", String(20), nullable=False),  # confirmed: from an operator's decision
    UniqueConstraint("person_id", "name_key", name="uq_identity_aliases_person_name"),
)

identity_decisions = Table(
    "identity_decisions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("agency_a", String(20), nullable=False),
    Column("local_key_a", String(120), nullable=False),
    Column("agency_b", String(20), nullable=False),
    Column("local_key_b", String(120), nullable=False),
    Column("decision", String(10), nullable=False),  # confirmed | rejected
    Column("operator", String(120), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    UniqueConstraint("agency_a", "local_key_a", "agency_b", "local_key_b", name="uq_identity_decisions_pair"),
)

# Rewritten by every relink; the pair is stored in row-id order (record_a < record_b).
identity_candidates = Table(
    "identity_candidates",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_a", BigInteger, nullable=False, index=True),
    Column("record_b", BigInteger, nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("agreed", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

identity_events = Table(
    "identity_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),  # created | merged | split | confirmed | rejected
    Column("person_id", BigInteger, index=True),
    Column("other_person_id", BigInteger),
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# The position each agency's identity feed stopped at: a key or a change number, kept as text.
identity_cursors = Table(
    "identity_cursors",
    metadata,
    Column("agency", String(40), primary_key=True),
    Column("position", String(200), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
