"""The SQLite driver path of the group writer stores the same rows as SQLAlchemy's statements."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine as create_blocking_engine

from hub import audit_sqlite
from hub.audit import CheckpointSigner, append_many, append_many_blocking
from hub.store import create_engine, migrate
from tests.security.test_audit import EVERY, entry

ROWS = 23  # four checkpoints, and more rows than one statement takes when the limit is lowered


async def stored_by_sqlalchemy(folder: Path, signer: CheckpointSigner) -> Path:
    path = folder / "sqlalchemy.sqlite"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await append_many(
            conn, [entry(index) for index in range(1, ROWS + 1)], signer=signer, checkpoint_every=EVERY
        )
    await engine.dispose()
    return path


async def stored_by_driver(folder: Path, signer: CheckpointSigner) -> Path:
    path = folder / "driver.sqlite"
    await migrate(f"sqlite+aiosqlite:///{path}")
    engine = create_blocking_engine(f"sqlite+pysqlite:///{path}")
    with engine.begin() as conn:
        append_many_blocking(
            conn, [entry(index) for index in range(1, ROWS + 1)], signer=signer, checkpoint_every=EVERY
        )
    engine.dispose()
    return path


def table(path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query).fetchall()


@pytest.mark.parametrize("max_parameters", [audit_sqlite.MAX_PARAMETERS, 40])
async def test_driver_rows_match_sqlalchemy(
    tmp_path: Path, signer: CheckpointSigner, max_parameters: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_sqlite, "MAX_PARAMETERS", max_parameters)  # 40: two rows a statement
    expected = await stored_by_sqlalchemy(tmp_path, signer)
    stored = await stored_by_driver(tmp_path, signer)

    entries = "SELECT * FROM audit_entries ORDER BY sequence"
    head = "SELECT * FROM audit_chain_head"
    checkpoints = "SELECT sequence, entry_hash, key_id, signature FROM audit_checkpoints ORDER BY sequence"
    assert len(table(stored, entries)) == ROWS
    assert table(stored, entries) == table(expected, entries)
    assert table(stored, head) == table(expected, head)
    assert len(table(stored, checkpoints)) == ROWS // EVERY
    assert table(stored, checkpoints) == table(expected, checkpoints)


def test_store_rejects_rows_of_different_columns(tmp_path: Path) -> None:
    engine = create_blocking_engine(f"sqlite+pysqlite:///{tmp_path / 'empty.sqlite'}")
    rows = [{"sequence": 1}, {"sequence": 2, "payload": "{}"}]

    with engine.begin() as conn, pytest.raises(ValueError, match="same columns"):
        audit_sqlite.store(conn, rows, audit_sqlite.Head(2, "x"))
    engine.dispose()


def test_insert_rejects_unknown_column() -> None:
    with pytest.raises(ValueError, match="not a column"):
        audit_sqlite._insert_sql(("sequence", "payload; DROP TABLE x"), 1)
