"""The records cache, breaker, concurrency and observability section of the hub's settings.

``hub.settings.Settings`` includes this section. ``HUB_REDIS_URL`` is the same variable
the notice flow reads for its poll locks: one field in ``Settings``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.records import Agency
from hub.resilience import BreakerPolicy


class PerfSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    redis_url: str | None = Field(
        default=None, repr=False, description="HUB_REDIS_URL: Redis for the records cache; unset uses memory"
    )
    cache_key_secret: SecretStr | None = Field(
        default=None,
        description="HUB_CACHE_KEY_SECRET: HMAC key over ID numbers in cache keys; unset derives one "
        "from the audit subject key, so every process of a deployment names the same keys",
    )
    cache_invalidation_poll_s: float = Field(
        default=1.0,
        gt=0,
        description="HUB_CACHE_INVALIDATION_POLL_S: how often a hub with the in-process cache reads the "
        "cache keys pollers saw change",
    )
    cache_max_entries: int = Field(
        default=10_000, ge=1, description="HUB_CACHE_MAX_ENTRIES: entries the in-process cache keeps"
    )
    cache_command_timeout_s: float = Field(
        default=0.05, gt=0, description="HUB_CACHE_COMMAND_TIMEOUT_S: seconds one Redis command may take"
    )
    cache_fill_lock_s: float = Field(
        default=0.0,
        ge=0,
        description="HUB_CACHE_FILL_LOCK_S: seconds a Redis lock lets one replica fill a missing entry "
        "while the others wait; 0 turns the lock off",
    )
    # Judgments change rarely and pollers invalidate on change; police case data moves daily.
    cache_ttl_court_s: float = Field(default=300.0, ge=0, description="HUB_CACHE_TTL_COURT_S: seconds; 0 off")
    cache_ttl_police_s: float = Field(
        default=60.0, ge=0, description="HUB_CACHE_TTL_POLICE_S: seconds; 0 off"
    )
    cache_ttl_prison_s: float = Field(
        default=300.0, ge=0, description="HUB_CACHE_TTL_PRISON_S: seconds; 0 off"
    )
    cache_ttl_correction_s: float = Field(
        default=120.0, ge=0, description="HUB_CACHE_TTL_CORRECTION_S: seconds; 0 off"
    )

    breaker_consecutive_failures: int = Field(
        default=5, ge=1, description="HUB_BREAKER_CONSECUTIVE_FAILURES: failures in a row that open a breaker"
    )
    breaker_failure_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="HUB_BREAKER_FAILURE_RATIO: failed share of the window that opens it",
    )
    breaker_window: int = Field(
        default=20, ge=1, description="HUB_BREAKER_WINDOW: recent calls the ratio counts"
    )
    breaker_min_calls: int = Field(
        default=10, ge=1, description="HUB_BREAKER_MIN_CALLS: calls in the window before the ratio applies"
    )
    breaker_cool_down_s: float = Field(
        default=30.0, gt=0, description="HUB_BREAKER_COOL_DOWN_S: seconds open before one probe call"
    )

    max_concurrent_court: int = Field(default=16, ge=1, description="HUB_MAX_CONCURRENT_COURT: calls at once")
    max_concurrent_police: int = Field(
        default=32, ge=1, description="HUB_MAX_CONCURRENT_POLICE: calls at once"
    )
    max_concurrent_prison: int = Field(
        default=16, ge=1, description="HUB_MAX_CONCURRENT_PRISON: calls at once"
    )
    max_concurrent_correction: int = Field(
        default=16, ge=1, description="HUB_MAX_CONCURRENT_CORRECTION: calls at once"
    )
    max_queue_wait_s: float = Field(
        default=0.5, ge=0, description="HUB_MAX_QUEUE_WAIT_S: seconds a call waits for a free slot"
    )

    identity_cache_ttl_s: float = Field(
        default=5.0,
        ge=0,
        description="HUB_IDENTITY_CACHE_TTL_S: seconds a lookup reuses a person's index links; a relink "
        "or index poll in another process shows within this time; 0 off",
    )

    gc_gen0_threshold: int = Field(
        default=7000,
        ge=0,
        description="HUB_GC_GEN0_THRESHOLD: allocations between collections of Python's youngest "
        "generation in a serving process, whose start-up objects are also frozen; 0 leaves the "
        "collector as Python sets it (700)",
    )
    audit_writer: Literal["process", "thread"] = Field(
        default="process",
        description="HUB_AUDIT_WRITER: where a serving hub on a SQLite store commits lookup audit "
        "entries: 'process', a child process that leaves the event loop the GIL, or 'thread', a "
        "thread of the serving process; PostgreSQL commits on the event loop either way",
    )

    metrics_enabled: bool = Field(default=True, description="HUB_METRICS_ENABLED: serve /metrics")
    metrics_token: SecretStr | None = Field(
        default=None,
        description="HUB_METRICS_TOKEN: bearer token a scrape of /metrics must send; unset serves "
        "/metrics to anyone who can reach it",
    )

    tracing: Literal["off", "otlp", "console"] = Field(
        default="off",
        description="HUB_TRACING: OpenTelemetry span exporter: off, otlp (to the collector the "
        "OTEL_EXPORTER_OTLP_* variables name) or console (stderr); needs the tracing extra",
    )
    tracing_sample_ratio: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="HUB_TRACING_SAMPLE_RATIO: share of new traces kept, 0 to 1; a caller's "
        "traceparent decision wins",
    )

    @field_validator("tracing", mode="before")
    @classmethod
    def _tracing_word(cls, value: object) -> object:
        """Accept any case, and an empty value as ``off``."""
        return (value.strip().lower() or "off") if isinstance(value, str) else value

    def metrics_token_value(self) -> str | None:
        return None if self.metrics_token is None else self.metrics_token.get_secret_value()

    def cache_ttls(self) -> dict[Agency, float]:
        """Seconds each agency's answers stay cached."""
        return {
            Agency.COURT: self.cache_ttl_court_s,
            Agency.POLICE: self.cache_ttl_police_s,
            Agency.PRISON: self.cache_ttl_prison_s,
            Agency.JUSTICE_BUREAU: self.cache_ttl_correction_s,
        }

    def concurrency_limits(self) -> dict[Agency, int]:
        return {
            Agency.COURT: self.max_concurrent_court,
            Agency.POLICE: self.max_concurrent_police,
            Agency.PRISON: self.max_concurrent_prison,
            Agency.JUSTICE_BUREAU: self.max_concurrent_correction,
        }

    def breaker_policy(self) -> BreakerPolicy:
        return BreakerPolicy(
            consecutive_failures=self.breaker_consecutive_failures,
            failure_ratio=self.breaker_failure_ratio,
            window=self.breaker_window,
            min_calls=self.breaker_min_calls,
            cool_down_s=self.breaker_cool_down_s,
        )

    def key_secret(self) -> bytes | None:
        return None if self.cache_key_secret is None else self.cache_key_secret.get_secret_value().encode()
