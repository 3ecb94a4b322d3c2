"""The hub's configuration: one settings object, ``Settings``, read from ``HUB_*`` variables.

``Settings`` joins three sections, each a pydantic-settings class of its own: the gateway
(``GatewaySettings``, here), the notice flow (``hub.notices.config.NoticeSettings``) and
the records cache, breakers and observability (``hub.settings_perf.PerfSettings``). A
function that needs one section takes that class, and ``Settings`` serves as any of them.
``hub serve``, the app and every job build one ``Settings`` and pass it on.
docs/configuration.md lists every variable with its unit and default.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.records import Agency
from hub.notices.config import NoticeSettings
from hub.settings_perf import PerfSettings


class GatewaySettings(BaseSettings):
    """The gateway's section: server, agencies, authentication, audit subject key, quotas."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="HUB_HOST: address `hub serve` listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="HUB_PORT: TCP port `hub serve` listens on")
    env: Literal["development", "production"] = Field(
        default="development",
        description="HUB_ENV: `development` serves GraphiQL; `production` hides it and adds query limits",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="HUB_LOG_LEVEL: minimum level of log records written to stderr"
    )

    # URLs may carry passwords, so they stay out of repr and logs.
    court_url: str | None = Field(
        default=None, repr=False, description="HUB_COURT_URL: court SOAP service endpoint"
    )
    court_wsdl_url: str | None = Field(
        default=None,
        repr=False,
        description="HUB_COURT_WSDL_URL: court WSDL location; unset leaves the choice to the court adapter",
    )
    police_db_url: str | None = Field(
        default=None, repr=False, description="HUB_POLICE_DB_URL: SQLAlchemy async URL of the police database"
    )
    prison_db_url: str | None = Field(
        default=None, repr=False, description="HUB_PRISON_DB_URL: SQLAlchemy async URL of the prison database"
    )
    correction_db_url: str | None = Field(
        default=None,
        repr=False,
        description="HUB_CORRECTION_DB_URL: SQLAlchemy async URL of the justice bureau's correction database",
    )

    court_timeout_s: float = Field(
        default=5.0, gt=0, description="HUB_COURT_TIMEOUT_S: seconds to wait for the court"
    )
    police_timeout_s: float = Field(
        default=3.0, gt=0, description="HUB_POLICE_TIMEOUT_S: seconds to wait for the police"
    )
    prison_timeout_s: float = Field(
        default=3.0, gt=0, description="HUB_PRISON_TIMEOUT_S: seconds to wait for the prison"
    )
    correction_timeout_s: float = Field(
        default=3.0, gt=0, description="HUB_CORRECTION_TIMEOUT_S: seconds to wait for the justice bureau"
    )

    max_body_bytes: int = Field(
        default=1_048_576, gt=0, description="HUB_MAX_BODY_BYTES: largest request body accepted, in bytes"
    )

    # Authentication: a JWKS file or URL in production; the demo's local key otherwise.
    auth_jwks_file: Path | None = Field(
        default=None, description="HUB_AUTH_JWKS_FILE: JWKS document with the identity provider's public keys"
    )
    auth_jwks_url: str | None = Field(
        default=None, description="HUB_AUTH_JWKS_URL: JWKS URL, fetched once at start-up; the file wins"
    )
    auth_key_file: Path = Field(
        default=Path("var/auth/signing-key.pem"),
        description="HUB_AUTH_KEY_FILE: demo signing key (PEM), used without a JWKS; refused in production",
    )
    auth_algorithms: tuple[str, ...] = Field(
        default=("EdDSA", "ES256"),
        description='HUB_AUTH_ALGORITHMS: JSON list of accepted JWT algorithms, e.g. ["ES256"]',
    )
    auth_issuer: str | None = Field(default=None, description="HUB_AUTH_ISSUER: required `iss` claim, if set")
    auth_audience: str | None = Field(
        default=None, description="HUB_AUTH_AUDIENCE: required `aud` claim, if set"
    )
    auth_leeway_s: float = Field(
        default=30.0, ge=0, le=300, description="HUB_AUTH_LEEWAY_S: clock skew allowed on exp/iat, seconds"
    )

    audit_subject_key: str | None = Field(
        default=None,
        repr=False,
        description=(
            "HUB_AUDIT_SUBJECT_KEY: secret (16+ bytes) keying the hash of ID numbers in the audit log; "
            "required in production, generated under var/audit/ in development"
        ),
    )
    audit_subject_key_file: Path = Field(
        default=Path("var/audit/subject-key"),
        description="HUB_AUDIT_SUBJECT_KEY_FILE: where development keeps its generated subject key",
    )

    # Quotas per user; HUB_REDIS_URL shares them across replicas.
    rate_prior_records_per_minute: int = Field(
        default=30, ge=1, description="HUB_RATE_PRIOR_RECORDS_PER_MINUTE: priorRecords lookups per user"
    )
    rate_prior_records_per_day: int = Field(
        default=500, ge=1, description="HUB_RATE_PRIOR_RECORDS_PER_DAY: priorRecords lookups per user per day"
    )
    rate_requests_per_minute: int = Field(
        default=600, ge=1, description="HUB_RATE_REQUESTS_PER_MINUTE: GraphQL requests per user and minute"
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_word(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def production(self) -> bool:
        return self.env == "production"

    def timeouts(self) -> dict[Agency, float]:
        """Per-agency timeouts in seconds."""
        return {
            Agency.COURT: self.court_timeout_s,
            Agency.POLICE: self.police_timeout_s,
            Agency.PRISON: self.prison_timeout_s,
            Agency.JUSTICE_BUREAU: self.correction_timeout_s,
        }


class Settings(GatewaySettings, NoticeSettings, PerfSettings):
    """Every ``HUB_*`` setting of the hub in one object.

    A variable that two sections declare (``HUB_COURT_URL``, ``HUB_COURT_WSDL_URL``,
    ``HUB_COURT_TIMEOUT_S``, ``HUB_REDIS_URL``) is one field here, with one value.
    """

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")


# HUB_* variables read outside ``Settings``: the demo's (hub/demo.py) and the test suite's.
OTHER_VARIABLES = frozenset(
    {
        "HUB_DEMO_DIR",
        "HUB_DEMO_COURT_PORT",
        "HUB_DEMO_BUREAU_PORT",
        "HUB_DEMO_CYCLE_S",
        "HUB_REQUIRE_SERVICES",
    }
)


def known_variables() -> frozenset[str]:
    return frozenset(f"HUB_{name.upper()}" for name in Settings.model_fields) | OTHER_VARIABLES


def unknown_variables(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Return each ``HUB_*`` name in ``environ`` that nothing reads, with the closest known name or None.

    pydantic-settings ignores such a variable, so a misspelt name would silently leave the
    default in force.
    """
    known = known_variables()
    found = []
    for name in sorted(environ):
        # pydantic-settings matches names whatever their case, so HUB_port sets HUB_PORT.
        if name.upper().startswith("HUB_") and name.upper() not in known:
            guesses = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.8)
            found.append((name, guesses[0] if guesses else None))
    return found
