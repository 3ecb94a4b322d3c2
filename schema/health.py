"""The ``sourceHealth`` query: each agency adapter's readiness and circuit breaker, for operators.

Resolvers reach ``info.context.sources`` (``SourceHealthDesk``). ``HealthQuery`` is merged
into the root query type by ``schema.build``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Protocol

import strawberry
from strawberry.types import Info

from schema.enums import Agency


class SourceHealthView(Protocol):
    @property
    def agency(self) -> Agency: ...
    @property
    def ready(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...
    @property
    def breaker_state(self) -> str | None: ...
    @property
    def breaker_retry_after_s(self) -> float | None: ...


class SourceHealthDesk(Protocol):
    def health(self, language: str) -> Sequence[SourceHealthView]:
        """Return one entry per agency, messages in ``language`` (``zh`` or ``en``)."""
        ...


class HealthAccess(Protocol):
    def authorize(self, operation: str, county: str | Sequence[str] | None = None) -> None: ...


class HealthContext(Protocol):
    @property
    def sources(self) -> SourceHealthDesk: ...
    @property
    def access(self) -> HealthAccess: ...
    @property
    def language(self) -> str: ...


@strawberry.enum(description="熔断器状态 / state of an agency's circuit breaker for lookups")
class BreakerState(Enum):
    CLOSED = strawberry.enum_value("closed", description="lookups call the agency")
    HALF_OPEN = strawberry.enum_value("half_open", description="one probe call decides whether it closes")
    OPEN = strawberry.enum_value(
        "open", description="the agency kept failing: lookups get UPSTREAM_UNAVAILABLE without a call"
    )


@strawberry.type(description="机关适配器状态 / one agency adapter's status, as /readyz reports it")
class SourceHealth:
    agency: Agency
    ready: bool = strawberry.field(description="就绪 / the adapter is configured and started")
    reason: str | None = strawberry.field(
        description="未就绪原因 / why not: NOT_CONFIGURED, STARTING, START_FAILED or WSDL_NOT_LOADED;"
        " null when ready"
    )
    message: str | None = strawberry.field(
        description="未就绪说明 / the reason in words, Chinese unless the request asks for English"
    )
    breaker_state: BreakerState | None = strawberry.field(
        description="熔断器状态 / null when the agency has no adapter, or its adapter has no breaker"
    )
    breaker_retry_after_s: float | None = strawberry.field(
        description="熔断恢复秒数 / seconds until an open breaker lets a probe call through; 0 when"
        " the next lookup probes; null without a breaker"
    )

    @classmethod
    def from_view(cls, view: SourceHealthView) -> SourceHealth:
        state = view.breaker_state
        return cls(
            agency=view.agency,
            ready=view.ready,
            reason=view.reason,
            message=view.message,
            breaker_state=BreakerState(state) if state is not None else None,
            breaker_retry_after_s=view.breaker_retry_after_s,
        )


async def resolve_source_health(info: Info[HealthContext, None]) -> list[SourceHealth]:
    context = info.context
    context.access.authorize("sourceHealth")
    return [SourceHealth.from_view(view) for view in context.sources.health(context.language)]


@strawberry.type
class HealthQuery:
    source_health: list[SourceHealth] = strawberry.field(
        resolver=resolve_source_health,
        description="各机关适配器状态，仅运维人员 / each agency adapter's readiness and circuit breaker;"
        " operators only",
    )
