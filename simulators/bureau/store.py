"""The bureau stand-in's own SQLite database: accepted notices and officers' receipts.

One notice per idempotency key: a second delivery with a key already seen returns the
first acceptance and stores nothing.

A receipt may carry the day the person reported in (``reported_on``, CC Law art. 21). When
that day is learnt or corrected after the receipt was read, the receipt is re-issued under
a new sequence number, so a collector reading past its watermark sees the change; one that
ignores ``reportedOn`` just reads the same receipt again.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY,
    acceptance_id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    county_code TEXT NOT NULL,
    payload TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS receipts (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_id INTEGER NOT NULL UNIQUE REFERENCES notices(id),
    received_at TEXT NOT NULL,
    officer TEXT NOT NULL,
    reported_on TEXT
);
"""


_RECEIPTS_SELECT = (
    "SELECT r.sequence, n.acceptance_id, n.idempotency_key, n.county_code, r.received_at, r.officer,"
    " r.reported_on FROM receipts r JOIN notices n ON n.id = r.notice_id "
)
# Finds a notice by acceptance id, idempotency key, or the case number as sent.
_FIND_NOTICE = (
    "SELECT id FROM notices WHERE acceptance_id = ? OR idempotency_key = ?"
    " OR json_extract(payload, '$.caseNumber') = ? OR json_extract(payload, '$.caseNumberRaw') = ?"
    " ORDER BY id DESC LIMIT 1"
)


@dataclass(frozen=True, slots=True)
class Acceptance:
    acceptance_id: str
    accepted_at: dt.datetime
    duplicate: bool


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    sequence: int
    acceptance_id: str
    idempotency_key: str
    county_code: str
    received_at: dt.datetime
    officer: str
    reported_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class NoticeKey:
    """How an admin request names a notice: any one of these."""

    acceptance_id: str | None = None
    idempotency_key: str | None = None
    case_number: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class BureauStore:
    """Thread-safe access to the stand-in's database (the ASGI app and its auto-receipt task)."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            self._add_reported_on()

    def _add_reported_on(self) -> None:
        """A database made before ``reported_on`` existed gains the column on open."""
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(receipts)")}
        if "reported_on" not in columns:
            self._db.execute("ALTER TABLE receipts ADD COLUMN reported_on TEXT")

    def close(self) -> None:
        self._db.close()

    def accept(self, county_code: str, idempotency_key: str, notice: dict[str, Any]) -> Acceptance:
        with self._lock:
            row = self._db.execute(
                "SELECT acceptance_id, accepted_at FROM notices WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
            if row is not None:
                self._db.execute(
                    "UPDATE notices SET deliveries = deliveries + 1 WHERE idempotency_key = ?",
                    (idempotency_key,),
                )
                return Acceptance(row["acceptance_id"], dt.datetime.fromisoformat(row["accepted_at"]), True)

            accepted_at = _now()
            next_id = self._db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM notices").fetchone()[0]
            acceptance_id = f"SFJ{county_code}-{accepted_at:%Y}-{next_id:06d}"
            self._db.execute(
                "INSERT INTO notices (id, acceptance_id, idempotency_key, county_code, payload, accepted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    next_id,
                    acceptance_id,
                    idempotency_key,
                    county_code,
                    json.dumps(notice, ensure_ascii=False),
                    accepted_at.isoformat(),
                ),
            )
            return Acceptance(acceptance_id, accepted_at, False)

    def record_receipt(
        self,
        *,
        acceptance_id: str | None = None,
        idempotency_key: str | None = None,
        officer: str = "值班矫正干部",
        reported_on: dt.date | None = None,
    ) -> ReceiptRow | None:
        """Record the officer's receipt for a notice; a second call returns the first receipt.

        ``reported_on``, when given, is set on the receipt as by ``record_reporting``.
        """
        with self._lock:
            notice_id = self._find(NoticeKey(acceptance_id, idempotency_key))
            if notice_id is None:
                return None
            self._db.execute(
                "INSERT OR IGNORE INTO receipts (notice_id, received_at, officer) VALUES (?, ?, ?)",
                (notice_id, _now().isoformat(), officer),
            )
            if reported_on is not None:
                self._set_reported_on(notice_id, reported_on, officer)
            return self._receipts("WHERE r.notice_id = ?", (notice_id,))[0]

    def record_reporting(
        self, key: NoticeKey, reported_on: dt.date, officer: str = "报到登记"
    ) -> ReceiptRow | None:
        """Record the day the person reported in; a notice with no receipt yet gets one now.

        The office that registers the person has received the notice, so registering implies receipt.
        """
        with self._lock:
            notice_id = self._find(key)
            if notice_id is None:
                return None
            self._db.execute(
                "INSERT OR IGNORE INTO receipts (notice_id, received_at, officer) VALUES (?, ?, ?)",
                (notice_id, _now().isoformat(), officer),
            )
            self._set_reported_on(notice_id, reported_on, officer)
            return self._receipts("WHERE r.notice_id = ?", (notice_id,))[0]

    def _find(self, key: NoticeKey) -> int | None:
        case = key.case_number or ""
        row = self._db.execute(
            _FIND_NOTICE, (key.acceptance_id or "", key.idempotency_key or "", case, case)
        ).fetchone()
        return None if row is None else int(row["id"])

    def _set_reported_on(self, notice_id: int, reported_on: dt.date, officer: str) -> None:
        """Re-issue the receipt under a new sequence when the day changes; the same day is a no-op."""
        row = self._db.execute(
            "SELECT received_at, reported_on FROM receipts WHERE notice_id = ?", (notice_id,)
        ).fetchone()
        if row["reported_on"] == reported_on.isoformat():
            return
        # Delete and insert in one transaction: AUTOINCREMENT hands out a sequence above every
        # earlier one, which an UPDATE of the key would not record in sqlite_sequence.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("DELETE FROM receipts WHERE notice_id = ?", (notice_id,))
            self._db.execute(
                "INSERT INTO receipts (notice_id, received_at, officer, reported_on) VALUES (?, ?, ?, ?)",
                (notice_id, row["received_at"], officer, reported_on.isoformat()),
            )
        except sqlite3.Error:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def receipts_after(self, sequence: int, limit: int, county_code: str | None = None) -> list[ReceiptRow]:
        with self._lock:
            if county_code:
                where = "WHERE r.sequence > ? AND n.county_code = ? ORDER BY r.sequence LIMIT ?"
                return self._receipts(where, (sequence, county_code, limit))
            return self._receipts("WHERE r.sequence > ? ORDER BY r.sequence LIMIT ?", (sequence, limit))

    def unreceipted_before(self, cutoff: dt.datetime) -> list[tuple[str, dt.date | None]]:
        """Acceptance ids (with the judgment's effective date) accepted by ``cutoff`` and not receipted."""
        with self._lock:
            rows = self._db.execute(
                "SELECT n.acceptance_id, json_extract(n.payload, '$.effectiveDate')"
                " FROM notices n LEFT JOIN receipts r ON r.notice_id = n.id"
                " WHERE r.sequence IS NULL AND n.accepted_at <= ? ORDER BY n.id",
                (cutoff.isoformat(),),
            ).fetchall()
        return [(row[0], _date(row[1])) for row in rows]

    def notices(self, county_code: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if county_code:
                query = "SELECT * FROM notices WHERE county_code = ? ORDER BY id"
                rows = self._db.execute(query, (county_code,)).fetchall()
            else:
                rows = self._db.execute("SELECT * FROM notices ORDER BY id").fetchall()
        return [{**dict(row), "payload": json.loads(row["payload"])} for row in rows]

    def _receipts(self, where: str, params: tuple[Any, ...]) -> list[ReceiptRow]:
        # ``where`` is always one of this module's fixed clauses; values travel as parameters.
        query = _RECEIPTS_SELECT + where
        rows = self._db.execute(query, params).fetchall()
        return [
            ReceiptRow(
                row[0], row[1], row[2], row[3], dt.datetime.fromisoformat(row[4]), row[5], _date(row[6])
            )
            for row in rows
        ]


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
