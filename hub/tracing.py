"""Optional OpenTelemetry tracing: a span per HTTP request, GraphQL operation, agency call and job.

Off unless ``HUB_TRACING`` names an exporter: ``otlp`` sends spans over OTLP/HTTP to the
collector that the standard ``OTEL_EXPORTER_OTLP_*`` variables name, ``console`` prints
them to stderr. The OpenTelemetry packages are an optional extra (``pip install
'justice-exchange-hub[tracing]'``) and are imported only when tracing is on; while it is
off, ``span`` costs one check.

Spans carry the hub's request id, agencies, operations, outcomes and error codes, and
nothing the hub reads from a record or a GraphQL argument, because a trace store keeps
data longer and shows it more widely than the audit log does. Text the caller chooses (an
operation name, a request id) is masked like a log line.

The hub keeps its own tracer provider rather than the process-wide one, so a library that
installs a provider cannot redirect the hub's spans. An incoming W3C ``traceparent``
header is honoured, so the hub's spans join a front end's trace. No trace header is sent
to the agencies' legacy systems, because they would not read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "SERVICE_NAME",
    "TracingUnavailable",
    "configure_tracing",
    "enabled",
    "force_flush",
    "job_span",
    "mark_failed",
    "safe_text",
    "safe_value",
    "shutdown_tracing",
    "span",
]

logger = logging.getLogger(__name__)

SERVICE_NAME = "justice-exchange-hub"
Mode = Literal["off", "otlp", "console"]
Kind = Literal["server", "client", "internal"]
AttributeValue = str | int | float | bool

# Maximum length of a span name or string attribute; a longer one is cut.
MAX_TEXT_CHARS = 128

_provider: TracerProvider | None = None
_tracer: Tracer | None = None


class TracingUnavailable(RuntimeError):
    """Raised when tracing is asked for but the OpenTelemetry packages are not installed."""


def enabled() -> bool:
    return _tracer is not None


def configure_tracing(mode: Mode, *, sample_ratio: float = 1.0, exporter: SpanExporter | None = None) -> None:
    """Start exporting spans through the exporter ``mode`` names, keeping ``sample_ratio`` of new traces.

    A trace that a caller's ``traceparent`` marks as sampled, or not, keeps that choice.
    ``exporter`` replaces the one ``mode`` would build; tests pass an in-memory exporter.
    Calling this again replaces the earlier set-up, after flushing it.
    """
    global _provider, _tracer
    shutdown_tracing()
    if mode == "off" and exporter is None:
        return
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError as exc:
        raise TracingUnavailable(
            "HUB_TRACING 已开启，但未安装 OpenTelemetry：请运行 pip install 'justice-exchange-hub[tracing]'。"
            " / HUB_TRACING is on but OpenTelemetry is not installed:"
            " pip install 'justice-exchange-hub[tracing]'."
        ) from exc

    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE_NAME}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(exporter or _exporter(mode)))
    _provider = provider
    _tracer = provider.get_tracer("hub")
    logger.info("tracing on: exporter=%s sample_ratio=%s", mode, sample_ratio)


def shutdown_tracing() -> None:
    """Flush the spans still queued and stop tracing; does nothing while tracing is off."""
    global _provider, _tracer
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


def force_flush(timeout_ms: int = 5000) -> bool:
    """Export every finished span now; True when the exporter took them all in time."""
    return True if _provider is None else _provider.force_flush(timeout_ms)


@contextlib.contextmanager
def span(
    name: str,
    attributes: Mapping[str, AttributeValue] | None = None,
    *,
    kind: Kind = "internal",
    headers: Mapping[str, str] | None = None,
) -> Iterator[Span | None]:
    """Open a span under the current one, or under the trace that ``headers`` carry.

    Yields None while tracing is off. An exception leaving the block marks the span as
    failed with the hub's error code, or else the exception's type: never its message,
    which may quote personal data.
    """
    tracer = _tracer
    if tracer is None:
        yield None
        return

    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    parent = TraceContextTextMapPropagator().extract(dict(headers)) if headers else None
    kinds = {"server": SpanKind.SERVER, "client": SpanKind.CLIENT, "internal": SpanKind.INTERNAL}
    with tracer.start_as_current_span(
        safe_text(name),
        context=parent,
        kind=kinds[kind],
        attributes={key: safe_value(value) for key, value in (attributes or {}).items()},
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except asyncio.CancelledError:
            mark_failed(current, "CANCELLED")
            raise
        except BaseException as exc:
            code = getattr(exc, "code", None)
            mark_failed(current, code if isinstance(code, str) else type(exc).__name__)
            raise


def job_span(command: str, params: Mapping[str, object]) -> contextlib.AbstractContextManager[Span | None]:
    """Open the span of one run or round of the ``hub`` job ``command``, e.g. ``poll``.

    The name is fixed (``hub poll``), whatever path started the job (``python -m hub``
    or the ``hub`` script); an ``agency`` argument becomes ``hub.agency``.
    """
    name = f"hub {command}"
    attributes: dict[str, AttributeValue] = {"hub.command": name}
    agency = params.get("agency")
    if isinstance(agency, str):
        attributes["hub.agency"] = agency
    return span(name, attributes)


def safe_text(text: str) -> str:
    """Mask ID-number-shaped values and cut ``text`` to ``MAX_TEXT_CHARS``.

    A span's name or attribute can come from the caller (an operation name, a request id),
    and a caller can put an ID number there.
    """
    from hub.logging import mask_text  # hub.logging imports this module

    return mask_text(text)[:MAX_TEXT_CHARS]


def safe_value(value: AttributeValue) -> AttributeValue:
    return safe_text(value) if isinstance(value, str) else value


def mark_failed(current: Span | None, error_type: str) -> None:
    """Mark ``current`` as failed with ``error_type`` (an error code or class name, never a message)."""
    if current is None:
        return
    from opentelemetry.trace import Status, StatusCode

    current.set_attribute("error.type", error_type)
    current.set_status(Status(StatusCode.ERROR))


def _exporter(mode: Mode) -> SpanExporter:
    if mode == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        # stderr, so spans never mix with a command's own output on stdout.
        return ConsoleSpanExporter(out=sys.stderr)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()
