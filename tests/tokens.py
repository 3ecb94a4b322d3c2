"""Bearer tokens for tests, signed with the per-test demo key the app also trusts.

``tests/conftest.py`` points ``HUB_AUTH_KEY_FILE`` at a file under the test's tmp_path;
the app and these helpers load (or create) the same key from it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from hub.auth import LocalKey, Role, load_or_create_key, mint_token, public_jwks

# A unit for each role, in the agency the role belongs to (hub.policy.ROLE_AGENCIES).
AGENCY_OF = {
    Role.POLICE_OFFICER: "police",
    Role.PROSECUTOR: "procuratorate",
    Role.JUDGE: "court",
    Role.COURT_CLERK: "court",
    Role.PRISON_OFFICER: "prison",
    Role.CORRECTION_OFFICER: "justice_bureau",
    Role.AUDITOR: "hub",
    Role.OPERATOR: "hub",
}


def demo_key() -> LocalKey:
    return load_or_create_key(os.environ["HUB_AUTH_KEY_FILE"])


def token(role: Role | str, county: str = "513400", *, agency: str | None = None, **claims: Any) -> str:
    """A token for ``role`` in its own agency; county 513400 is a prefecture-level unit."""
    chosen = Role(role)
    unit = f"{agency or AGENCY_OF[chosen]}:{county}"
    claims.setdefault("user_id", f"u-{chosen.value}-{county}")
    return mint_token(chosen, unit, key=demo_key(), **claims)


def bearer(role: Role | str, county: str = "513400", **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, county, **claims)}"}


def expired_bearer(role: Role | str, seconds_ago: float) -> dict[str, str]:
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=60, seconds=seconds_ago)
    return bearer(role, now=issued, ttl_minutes=60)


def production_auth(directory: Path) -> dict[str, Any]:
    """Settings production needs: the demo key's JWKS as a file, and a subject-hash key."""
    jwks = directory / "jwks.json"
    jwks.write_text(json.dumps(public_jwks(demo_key())), encoding="utf-8")
    return {"auth_jwks_file": jwks, "audit_subject_key": "test-subject-key-0123456789"}
