"""Fixtures for the security core: principals, a demo signing key, and a migrated store
on SQLite and on real PostgreSQL (the throwaway database from ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import CheckpointSigner, load_or_create_signing_key
from hub.auth import Principal, Role, Unit, UnitAgency
from hub.store import create_engine, migrate

AGENCY_OF = {
    Role.POLICE_OFFICER: UnitAgency.POLICE,
    Role.PROSECUTOR: UnitAgency.PROCURATORATE,
    Role.JUDGE: UnitAgency.COURT,
    Role.COURT_CLERK: UnitAgency.COURT,
    Role.PRISON_OFFICER: UnitAgency.PRISON,
    Role.CORRECTION_OFFICER: UnitAgency.JUSTICE_BUREAU,
    Role.AUDITOR: UnitAgency.HUB,
    Role.OPERATOR: UnitAgency.HUB,
}


def principal(role: Role, county: str = "513401", *, agency: UnitAgency | None = None) -> Principal:
    """A user holding ``role`` in the agency that role belongs to, in ``county``."""
    return Principal(
        user_id=f"u-{role.value}",
        unit=Unit(agency or AGENCY_OF[role], county),
        roles=frozenset({role}),
        display_name="吉克阿呷",
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'hub.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}", autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


@pytest.fixture
async def engine(store_url: str) -> AsyncIterator[AsyncEngine]:
    await migrate(store_url)
    hub_engine = create_engine(store_url)
    yield hub_engine
    await hub_engine.dispose()


@pytest.fixture
def signer(tmp_path: Path) -> CheckpointSigner:
    return load_or_create_signing_key(tmp_path / "audit" / "checkpoint-key.pem")
