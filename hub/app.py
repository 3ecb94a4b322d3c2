"""The one place that wires adapters, services, schema and HTTP into a Starlette app.

Routes: ``/graphql`` (POST executes; GET serves GraphiQL in development only),
``/healthz`` (the process runs) and ``/readyz`` (every agency adapter is up).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from adapters.contract import RecordAdapter
from hub.language import preferred_language
from hub.limits import BodySizeLimitMiddleware
from hub.logging import RequestLogMiddleware
from hub.readiness import AdapterSupervisor
from hub.records import PriorRecordService
from hub.settings import Settings
from schema import PartialError, build_schema

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class RequestContext:
    """``info.context`` for one GraphQL request; meets ``schema.HubContext``."""

    records: PriorRecordService
    language: str
    partial_errors: list[PartialError] = field(default_factory=list)


class HubGraphQL(GraphQL[RequestContext, None]):
    def __init__(self, service: PriorRecordService, *, production: bool) -> None:
        super().__init__(
            build_schema(production=production),
            graphql_ide=None if production else "graphiql",
            allow_queries_via_get=False,
        )
        self.service = service

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        language = preferred_language(request.headers.get("accept-language"))
        return RequestContext(records=self.service, language=language)


def create_app(
    settings: Settings | None = None, *, adapters: Sequence[RecordAdapter] | None = None
) -> Starlette:
    """Build the hub's ASGI app; ``adapters`` replaces the ones ``settings`` would configure."""
    settings = settings or Settings()
    if adapters is None:
        adapters = build_adapters(settings)

    service = PriorRecordService(adapters, settings.timeouts())
    supervisor = AdapterSupervisor(adapters)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        supervisor.begin()
        yield
        await service.aclose()
        await supervisor.aclose()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        agencies = supervisor.readiness()
        ready = all(item.ready for item in agencies)
        body = {
            "status": "ready" if ready else "not_ready",
            "agencies": {item.agency.value: item.as_json() for item in agencies},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    # A Route, not a Mount, because Mount redirects POST /graphql to /graphql/ with a 307.
    routes = [
        Route("/graphql", HubGraphQL(service, production=settings.production), methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    middleware = [
        Middleware(RequestLogMiddleware),
        Middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def build_adapters(settings: Settings) -> list[RecordAdapter]:
    """Create an adapter for every agency whose URL is set; ``/readyz`` reports the others.

    Adapter modules are imported here, lazily, so the app imports without their drivers.
    """
    adapters: list[RecordAdapter] = []
    if settings.police_db_url:
        from adapters.police import PoliceAdapter

        adapters.append(PoliceAdapter(settings.police_db_url, timeout_s=settings.police_timeout_s))
    if settings.court_url:
        from adapters.court import CourtAdapter

        adapters.append(
            CourtAdapter(
                settings.court_url, wsdl_url=settings.court_wsdl_url, timeout_s=settings.court_timeout_s
            )
        )
    if settings.prison_db_url:
        from adapters.prison import PrisonAdapter

        adapters.append(PrisonAdapter(settings.prison_db_url, timeout_s=settings.prison_timeout_s))
    if settings.correction_db_url:
        from adapters.correction import CorrectionAdapter

        adapters.append(
            CorrectionAdapter(settings.correction_db_url, timeout_s=settings.correction_timeout_s)
        )

    missing = [agency for agency, url in _agency_urls(settings).items() if not url]
    if missing:
        logger.warning("no URL configured for: %s", ", ".join(missing))
    return adapters


def _agency_urls(settings: Settings) -> dict[str, str | None]:
    return {
        "police": settings.police_db_url,
        "court": settings.court_url,
        "prison": settings.prison_db_url,
        "justice_bureau": settings.correction_db_url,
    }
