"""Shared fixtures: real PostgreSQL, MariaDB and Redis on loopback, one throwaway database each.

A test that needs a service skips when the service is not answering, unless
HUB_REQUIRE_SERVICES=1 (set by .ci/run), when it fails instead.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_PORT = 5432
MARIADB_PORT = 3306
REDIS_PORT = 6379


def _answering(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, port: int) -> None:
    """Skip, or fail under HUB_REQUIRE_SERVICES=1, when ``name`` is not answering on ``port``."""
    if _answering(port):
        return
    message = f"{name} is not answering on 127.0.0.1:{port}"
    if os.environ.get("HUB_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " and HUB_REQUIRE_SERVICES=1")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create a throwaway PostgreSQL database and yield its asyncpg SQLAlchemy URL."""
    require_service("PostgreSQL", POSTGRES_PORT)
    import psycopg

    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+asyncpg://postgres@127.0.0.1:{POSTGRES_PORT}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """Create a throwaway MariaDB database and yield its asyncmy SQLAlchemy URL."""
    require_service("MariaDB", MARIADB_PORT)
    import pymysql

    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    conn = pymysql.connect(host="127.0.0.1", port=MARIADB_PORT, user="root", password="")
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        conn.close()
    yield f"mysql+asyncmy://root@127.0.0.1:{MARIADB_PORT}/{name}?charset=utf8mb4"
    conn = pymysql.connect(host="127.0.0.1", port=MARIADB_PORT, user="root", password="")
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_service("Redis", REDIS_PORT)
    return f"redis://127.0.0.1:{REDIS_PORT}/15"


@pytest.fixture(autouse=True)
def hub_store_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the hub's default store and keys at per-test files, so no test writes under ./var."""
    monkeypatch.setenv("HUB_STORE_URL", f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}")
    monkeypatch.setenv("HUB_AUTH_KEY_FILE", str(tmp_path / "auth" / "signing-key.pem"))
    monkeypatch.setenv("HUB_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "audit" / "checkpoint-key.pem"))
    monkeypatch.setenv("HUB_AUDIT_SUBJECT_KEY_FILE", str(tmp_path / "audit" / "subject-key"))
