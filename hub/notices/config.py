"""The correction-notice section of the hub's settings (``HUB_*`` environment variables).

``hub.settings.Settings`` includes this section; code that needs only the notice flow
takes ``NoticeSettings``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.regions import CURRENT_COUNTY_CODES, current_county
from hub.deadlines import DeadlineRules
from hub.notices.delivery import RetryPolicy


class NoticeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    # URLs may carry passwords, so they stay out of repr and logs.
    store_url: str = Field(
        default="sqlite+aiosqlite:///var/hub.sqlite",
        repr=False,
        description="HUB_STORE_URL: the hub's own database (SQLite file under ./var/ or postgresql+asyncpg://)",
    )
    auto_migrate: bool = Field(
        default=False, description="HUB_AUTO_MIGRATE: run migrations before poll/deliver/receipts"
    )
    redis_url: str | None = Field(
        default=None, repr=False, description="HUB_REDIS_URL: Redis for poll locks; unset uses the store"
    )
    court_url: str | None = Field(default=None, repr=False, description="HUB_COURT_URL: court SOAP endpoint")
    court_wsdl_url: str | None = Field(default=None, repr=False, description="HUB_COURT_WSDL_URL")
    court_timeout_s: float = Field(default=5.0, gt=0, description="HUB_COURT_TIMEOUT_S: seconds")
    bureau_url: str | None = Field(
        default=None, repr=False, description="HUB_BUREAU_URL: justice-bureau SOAP endpoint for every county"
    )
    bureau_endpoints: dict[str, str] = Field(
        default_factory=dict,
        repr=False,
        description='HUB_BUREAU_ENDPOINTS: JSON {"513401": "http://host/soap/513401"}; wins over BUREAU_URL',
    )
    bureau_timeout_s: float = Field(default=5.0, gt=0, description="HUB_BUREAU_TIMEOUT_S: seconds per send")

    poll_batch_size: int = Field(
        default=100, ge=1, description="HUB_POLL_BATCH_SIZE: changes per transaction"
    )
    lock_ttl_s: float = Field(
        default=60.0,
        gt=0,
        description="HUB_LOCK_TTL_S: poll lock time-to-live, seconds; a running poller renews it every "
        "third of this, so it bounds how long a killed poller blocks the next run",
    )
    deliver_batch_size: int = Field(default=20, ge=1, description="HUB_DELIVER_BATCH_SIZE: entries per claim")
    retry_base_s: float = Field(default=30.0, ge=0, description="HUB_RETRY_BASE_S: first backoff ceiling")
    retry_cap_s: float = Field(default=3600.0, ge=0, description="HUB_RETRY_CAP_S: largest backoff ceiling")
    failing_after: int = Field(default=5, ge=1, description="HUB_FAILING_AFTER: attempts before `failing`")
    lease_s: float = Field(default=120.0, gt=0, description="HUB_LEASE_S: claim lease, longer than a send")

    # Community Correction Law arts. 20-21; receipt: 2020 Implementation Measures art. 16 (unverified).
    notice_days: int = Field(default=5, ge=0, description="HUB_NOTICE_DAYS: notify the bureau, days")
    documents_days: int = Field(default=10, ge=0, description="HUB_DOCUMENTS_DAYS: deliver documents, days")
    reporting_days: int = Field(default=10, ge=0, description="HUB_REPORTING_DAYS: offender reports in, days")
    receipt_days: int = Field(default=5, ge=0, description="HUB_RECEIPT_DAYS: bureau returns receipt, days")
    receipt_in_working_days: bool = Field(default=False, description="HUB_RECEIPT_IN_WORKING_DAYS")
    holiday_file: Path | None = Field(default=None, description="HUB_HOLIDAY_FILE: TOML holiday overrides")

    # Every notice state change is one audit entry (hub.audit); the CLI jobs sign checkpoints too.
    audit_signing_key_file: Path = Field(
        default=Path("var/audit/checkpoint-key.pem"),
        description="HUB_AUDIT_SIGNING_KEY_FILE: Ed25519 key (PEM) signing audit checkpoints",
    )
    audit_checkpoint_every: int = Field(
        default=100, ge=1, description="HUB_AUDIT_CHECKPOINT_EVERY: entries between signed checkpoints"
    )

    def deadline_rules(self) -> DeadlineRules:
        return DeadlineRules(
            notice_days=self.notice_days,
            documents_days=self.documents_days,
            reporting_days=self.reporting_days,
            receipt_days=self.receipt_days,
            receipt_in_working_days=self.receipt_in_working_days,
        )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            base_s=self.retry_base_s,
            cap_s=self.retry_cap_s,
            failing_after=self.failing_after,
            lease_s=self.lease_s,
        )

    def bureau_url_by_county(self) -> dict[str, str]:
        """Map each current county to its bureau's endpoint, leaving out counties with none."""
        endpoints = {}
        overrides = {_current(code): url for code, url in self.bureau_endpoints.items()}
        for code in CURRENT_COUNTY_CODES:
            url = overrides.get(code) or self.bureau_url
            if url:
                endpoints[code] = url
        return endpoints


def _current(code: str) -> str:
    county = current_county(code)
    return county.code if county else code
