"""The one place that wires adapters, services, schema and HTTP into a Starlette app.

Routes: ``/graphql`` (POST executes with a bearer token, see ``hub.auth_middleware``; GET
serves GraphiQL in development only),
``/healthz`` (the process runs), ``/readyz`` (every agency adapter is up), ``/metrics``
(Prometheus text; ``HUB_METRICS_ENABLED=false`` drops it) and ``/console/`` (the web
console's static files, see ``hub.console``; ``/console`` redirects there). A WebSocket
on ``/graphql`` carries subscriptions over graphql-transport-ws.

The hub's store (``HUB_STORE_URL``) is migrated at start-up when it is the embedded SQLite
file, which only one process serves, or when ``HUB_AUTO_MIGRATE=true``; a PostgreSQL store
is otherwise migrated once per deployment with ``hub migrate``, so replicas never race.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from adapters.contract import RecordAdapter
from adapters.records import Agency
from hub.agency_stack import build_record_cache, wrap_adapters
from hub.auth_middleware import HubGraphQL
from hub.batch import BatchRecords, supports
from hub.cache import InProcessCache
from hub.cache_invalidation import StoreInvalidations, derived_key_secret
from hub.calendar import HolidayCalendar
from hub.console import console_routes
from hub.context import AuditDesk, Services
from hub.gc_tuning import tune_for_serving
from hub.identity.lookup import LinkedLookup, LocalKeyFetcher
from hub.identity.service import IdentityService
from hub.language import preferred_language
from hub.limits import BodySizeLimitMiddleware
from hub.logging import RequestLogMiddleware
from hub.lookups import LookupService
from hub.metrics import METRICS, HubMetrics, metrics_endpoint
from hub.metrics_store import store_refresher
from hub.notices.config import NoticeSettings
from hub.notices.views import NoticeService
from hub.pubsub import make_pubsub
from hub.rate_limit import make_rate_limiter
from hub.readiness import AdapterSupervisor
from hub.records import PriorRecordService
from hub.security_setup import audit_log, quotas, required_keys
from hub.settings import Settings
from hub.settings_perf import PerfSettings
from hub.source_health import SourceHealthDesk
from hub.store import create_store, migrate
from hub.tracing import configure_tracing, shutdown_tracing
from hub.tracing import enabled as tracing_enabled

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    adapters: Sequence[RecordAdapter] | None = None,
    notice_settings: NoticeSettings | None = None,
    perf_settings: PerfSettings | None = None,
    wrap: bool | None = None,
    metrics: HubMetrics | None = None,
    serving: bool = False,
) -> Starlette:
    """Build the hub's ASGI app; ``adapters`` replaces the ones ``settings`` would configure.

    Adapters built from ``settings`` are wrapped for lookups (records cache, breaker,
    concurrency limit, metrics: ``hub.agency_stack``); adapters passed in are used as
    they are unless ``wrap`` is True. ``notice_settings`` and ``perf_settings`` replace
    those sections of ``settings``, for tests. ``serving`` is for the process that serves
    the app (``hub serve``, the demo): once started, it tunes that process's garbage
    collector (``hub.gc_tuning``). On a SQLite store it also commits lookup audit entries
    from a child process (``hub.audit_process``) unless ``HUB_AUDIT_WRITER`` is ``thread``.
    """
    settings = settings or Settings()
    notice_settings = notice_settings or settings
    perf = perf_settings or settings
    metrics = metrics or METRICS
    # Off leaves tracing as it is, so a test's own exporter stays in place; so does tracing
    # that `hub serve` has already started.
    traced_here = perf.tracing != "off" and not tracing_enabled()
    if traced_here:
        configure_tracing(perf.tracing, sample_ratio=perf.tracing_sample_ratio)
    if wrap is None:
        wrap = adapters is None
    if adapters is None:
        adapters = build_adapters(settings, pool_sizes=perf.concurrency_limits())
    # Before the cache, whose secret may come from the subject key: a production site
    # missing keys gets one message naming them all.
    verifier, subject = required_keys(settings)
    record_cache = None
    if wrap:
        # The pollers name cache keys with the same secret (hub.cache_invalidation).
        secret = perf.key_secret() or derived_key_secret(subject)
        record_cache = build_record_cache(perf, metrics=metrics, key_secret=secret)
        adapters = wrap_adapters(adapters, perf, settings.timeouts(), record_cache, metrics=metrics)

    audit = audit_log(notice_settings.audit_signing_key_file, notice_settings.audit_checkpoint_every)
    limiter = make_rate_limiter(notice_settings.redis_url, quotas(settings))

    service = PriorRecordService(adapters, settings.timeouts())
    supervisor = AdapterSupervisor(adapters)
    store = create_store(notice_settings.store_url)
    # Pollers run in other processes, so they reach an in-process cache through the store.
    invalidations = (
        StoreInvalidations(store, record_cache, perf.cache_invalidation_poll_s)
        if record_cache is not None and isinstance(record_cache.backend, InProcessCache)
        else None
    )
    pubsub = make_pubsub(notice_settings.redis_url)
    notices = NoticeService(
        store, _calendar(notice_settings), notice_settings.deadline_rules(), pubsub, audit=audit
    )
    identity = IdentityService(store, person_ttl_s=perf.identity_cache_ttl_s)
    # Records the index links to the person without carrying their ID number are fetched by
    # the agency's own person key, from the adapters that can do that.
    # Every layer of a wrapped adapter must have the method, not only the outermost.
    fetchers: list[LocalKeyFetcher] = [
        adapter  # type: ignore[misc]
        for adapter in adapters
        if supports(adapter, "fetch_records_by_local_keys")
    ]
    linked = LinkedLookup(service, identity, fetchers, timeout_s=max(settings.timeouts().values()))
    batch = BatchRecords(adapters, settings.timeouts(), linked)
    lookups = LookupService(
        linked,
        store,
        audit,
        limiter,
        subject_key=subject,
        batch=batch,
        metrics=metrics,
        audit_child_process=serving and perf.audit_writer == "process",
    )
    services = Services(lookups, notices, AuditDesk(store, subject), identity, SourceHealthDesk(supervisor))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if store.dialect == "sqlite" or notice_settings.auto_migrate:
            await migrate(notice_settings.store_url)
        supervisor.begin()
        if invalidations is not None:
            invalidations.begin()
        if serving:
            await lookups.start()
            tune_for_serving(perf.gc_gen0_threshold)
        yield
        if invalidations is not None:
            await invalidations.aclose()
        await notices.aclose()
        await limiter.aclose()
        await pubsub.aclose()
        await lookups.aclose()
        await store.aclose()
        await service.aclose()
        await supervisor.aclose()
        if record_cache is not None:
            await record_cache.aclose()
        if traced_here:
            shutdown_tracing()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        agencies = supervisor.readiness()
        ready = all(item.ready for item in agencies)
        language = preferred_language(request.headers.get("accept-language"))
        body = {
            "status": "ready" if ready else "not_ready",
            "agencies": {item.agency.value: item.as_json(language) for item in agencies},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    # A Route, not a Mount, because Mount redirects POST /graphql to /graphql/ with a 307.
    graphql = HubGraphQL(services, verifier, limiter, production=settings.production)
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *console_routes(),
    ]
    if perf.metrics_enabled:
        token = perf.metrics_token_value()
        if token is None and settings.production:
            logger.warning("/metrics has no HUB_METRICS_TOKEN: keep it off every network but the scraper's")
        serve_metrics = metrics_endpoint(metrics, refresh=store_refresher(store, metrics), token=token)
        routes.append(Route("/metrics", serve_metrics, methods=["GET"]))
    middleware = [
        Middleware(RequestLogMiddleware),
        Middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.notices = notices
    app.state.services = services
    return app


def build_adapters(
    settings: Settings, *, pool_sizes: Mapping[Agency, int] | None = None
) -> list[RecordAdapter]:
    """Create an adapter for every agency whose URL is set; ``/readyz`` reports the others.

    ``pool_sizes`` sets how many connections each database adapter keeps open: the agency's
    concurrency limit, so that calls within the limit never open a connection of their own.
    Adapter modules are imported here, lazily, so the app imports without their drivers.
    """
    from adapters.sql import DEFAULT_POOL_SIZE

    pools = dict(pool_sizes or {})
    adapters: list[RecordAdapter] = []
    if settings.police_db_url:
        from adapters.police import PoliceAdapter

        adapters.append(
            PoliceAdapter(
                settings.police_db_url,
                timeout_s=settings.police_timeout_s,
                pool_size=pools.get(Agency.POLICE, DEFAULT_POOL_SIZE),
            )
        )
    if settings.court_url:
        from adapters.court import CourtAdapter

        adapters.append(
            CourtAdapter(
                settings.court_url, wsdl_url=settings.court_wsdl_url, timeout_s=settings.court_timeout_s
            )
        )
    if settings.prison_db_url:
        from adapters.prison import PrisonAdapter

        adapters.append(
            PrisonAdapter(
                settings.prison_db_url,
                timeout_s=settings.prison_timeout_s,
                pool_size=pools.get(Agency.PRISON, DEFAULT_POOL_SIZE),
            )
        )
    if settings.correction_db_url:
        from adapters.correction import CorrectionAdapter

        adapters.append(
            CorrectionAdapter(
                settings.correction_db_url,
                timeout_s=settings.correction_timeout_s,
                pool_size=pools.get(Agency.JUSTICE_BUREAU, DEFAULT_POOL_SIZE),
            )
        )

    missing = [agency for agency, url in _agency_urls(settings).items() if not url]
    if missing:
        logger.warning("no URL configured for: %s", ", ".join(missing))
    return adapters


def _calendar(settings: NoticeSettings) -> HolidayCalendar:
    if settings.holiday_file:
        return HolidayCalendar.from_file(settings.holiday_file)
    return HolidayCalendar()


def _agency_urls(settings: Settings) -> dict[str, str | None]:
    return {
        "police": settings.police_db_url,
        "court": settings.court_url,
        "prison": settings.prison_db_url,
        "justice_bureau": settings.correction_db_url,
    }
