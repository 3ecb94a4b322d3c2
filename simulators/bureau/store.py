"""The bureau stand-in's own SQLite database: accepted notices and officers' receipts.

One notice per idempotency key: a second delivery with a key already seen returns the
first acceptance and stores nothing.
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
    officer TEXT NOT NULL
);
"""


_RECEIPTS_SELECT = (
    "SELECT r.sequence, n.acceptance_id, n.idempotency_key, n.county_code, r.received_at, r.officer"
    " FROM receipts r JOIN notices n ON n.id = r.notice_id "
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
    ) -> ReceiptRow | None:
        """Record the officer's receipt for a notice; a second call returns the first receipt."""
        with self._lock:
            notice = self._db.execute(
                "SELECT id FROM notices WHERE acceptance_id = ? OR idempotency_key = ?",
                (acceptance_id or "", idempotency_key or ""),
            ).fetchone()
            if notice is None:
                return None
            self._db.execute(
                "INSERT OR IGNORE INTO receipts (notice_id, received_at, officer) VALUES (?, ?, ?)",
                (notice["id"], _now().isoformat(), officer),
            )
            return self._receipts("WHERE r.notice_id = ?", (notice["id"],))[0]

    def receipts_after(self, sequence: int, limit: int, county_code: str | None = None) -> list[ReceiptRow]:
        with self._lock:
            if county_code:
                where = "WHERE r.sequence > ? AND n.county_code = ? ORDER BY r.sequence LIMIT ?"
                return self._receipts(where, (sequence, county_code, limit))
            return self._receipts("WHERE r.sequence > ? ORDER BY r.sequence LIMIT ?", (sequence, limit))

    def unreceipted_before(self, cutoff: dt.datetime) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT n.acceptance_id FROM notices n LEFT JOIN receipts r ON r.notice_id = n.id"
                " WHERE r.sequence IS NULL AND n.accepted_at <= ? ORDER BY n.id",
                (cutoff.isoformat(),),
            ).fetchall()
        return [row[0] for row in rows]

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
            ReceiptRow(row[0], row[1], row[2], row[3], dt.datetime.fromisoformat(row[4]), row[5])
            for row in rows
        ]
