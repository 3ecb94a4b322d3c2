"""The hub's configuration: one settings object read from ``HUB_*`` environment variables.

Every variable, its unit and its default is listed on ``Settings``; nothing else in the
hub reads the environment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.records import Agency


class Settings(BaseSettings):
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
