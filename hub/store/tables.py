"""The hub's own tables: correction notices, their outbox, delivery attempts, poll watermarks, locks.

Alembic migrations under ``hub/migrations`` create these; this module is the shape the code
reads and writes. Times are stored as naive UTC and handed back as aware UTC, so SQLite and
PostgreSQL compare them the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite gives a row id only to a column declared exactly INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp kept as naive UTC in the database and returned as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the hub stores aware UTC times only")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]


class NoticeStatus:
    """Values of ``notices.status``."""

    PENDING = "pending"
    NEEDS_ATTENTION = "needs_attention"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILING = "failing"
    RECEIVED = "received"
    ROUTED_TO_POLICE = "routed_to_police"
    ALL = (PENDING, NEEDS_ATTENTION, DELIVERING, DELIVERED, FAILING, RECEIVED, ROUTED_TO_POLICE)


notices = Table(
    "notices",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("court_name", String(200), nullable=False),
    Column("case_number", String(120), nullable=False),  # CaseNumber.canonical
    Column("case_number_raw", String(120), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("attention_reason", String(500)),
    Column("correction_type", String(40)),
    Column("county_code", String(6)),  # place of execution as the court recorded it
    Column("bureau_county_code", String(6)),  # the receiving bureau (513425 → 513402)
    Column("person_name_masked", String(60), nullable=False),
    Column("id_number_masked", String(18)),
    Column("effective_date", Date),
    Column("notice_due", Date),
    Column("documents_due", Date),
    Column("reporting_due", Date),
    Column("receipt_due", Date),
    Column("court_sequence", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("acceptance_id", String(64)),
    Column("delivered_at", UTCDateTime),
    Column("receipt_at", UTCDateTime),
    # The day the person reported in to the correction office (CC Law art. 21), from the bureau.
    Column("reported_on", Date),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("court_name", "case_number", name="uq_notices_judgment"),
)

# The outbox keeps what must be sent, including the unmasked identity the bureau needs;
# the notices table above keeps only masked identity fields for operators' views.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("notice_id", Id, ForeignKey("notices.id"), nullable=False, unique=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("bureau_county_code", String(6), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", UTCDateTime),
    Column("sent_at", UTCDateTime, index=True),
    Column("created_at", UTCDateTime, nullable=False),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("notice_id", Id, ForeignKey("notices.id"), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("deliverer", String(64), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("outcome", String(20), nullable=False),  # accepted | failed
    Column("error_code", String(40)),
    Column("error", Text),
    Column("acceptance_id", String(64)),
)

poll_watermarks = Table(
    "poll_watermarks",
    metadata,
    Column("agency", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Cache keys that pollers, which run in other processes, saw change. A hub process with the
# in-process records cache follows this table and drops the keys (hub.cache_invalidation).
cache_invalidations = Table(
    "cache_invalidations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("cache_key", String(120), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False, index=True),
)

hub_locks = Table(
    "hub_locks",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
