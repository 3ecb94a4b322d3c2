"""The SOAP base every SOAP agency adapter builds on: zeep's AsyncClient over httpx, hardened.

``SoapClient.start`` fetches and parses the WSDL once. The parse runs in a worker thread
because zeep parses synchronously. ``call`` sends one operation through an
``AsyncServiceProxy`` bound to the configured service URL. Every call has a deadline,
logs one INFO line (agency, operation, outcome, milliseconds) and raises only
``adapters.errors`` classes: ``translate`` is the one place library errors are mapped.

Legacy servers often respond in GBK and declare it badly: charset only in the HTTP header,
a declaration saying UTF-8 or GB2312 over GBK bytes. zeep hands raw bytes to lxml, which
trusts the declaration, so ``to_utf8`` re-decodes such bodies through GB18030 (a superset
of GB2312 and GBK) first. XML carried inside a string element is parsed by
``parse_embedded_xml`` with entities, DTDs and network access off.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import zeep.exceptions
from lxml import etree
from zeep import AsyncClient, Settings
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport
from zeep.wsdl import Document

from adapters.contract import CANCELLED, call_log_level
from adapters.errors import (
    AdapterNotReady,
    UpstreamDataError,
    UpstreamError,
    UpstreamFault,
    UpstreamOperationMissing,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.idnumber import mask_id_number, mask_name

logger = logging.getLogger(__name__)

HARDENED_SETTINGS = Settings(
    strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True, xml_huge_tree=False
)

# Library error → hub error, most specific first; ``translate`` takes the first match.
ERROR_MAP: tuple[tuple[type[BaseException], type[UpstreamError]], ...] = (
    (httpx.TimeoutException, UpstreamTimeout),
    (TimeoutError, UpstreamTimeout),
    (httpx.DecodingError, UpstreamDataError),
    (httpx.TransportError, UpstreamUnavailable),
    (httpx.HTTPStatusError, UpstreamUnavailable),
    (httpx.TooManyRedirects, UpstreamUnavailable),
    (httpx.InvalidURL, UpstreamUnavailable),
    (httpx.StreamError, UpstreamDataError),
    (httpx.HTTPError, UpstreamUnavailable),
    (zeep.exceptions.Error, UpstreamDataError),
    (etree.LxmlError, UpstreamDataError),
    (UnicodeError, UpstreamDataError),
)

_GATEWAY_STATUSES = frozenset({502, 503, 504})
# The server closed or reset the connection before any response, so a read may be resent.
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
_GB_FAMILY = frozenset({"gbk", "gb2312", "gb18030", "cp936", "x-gbk", "euc-cn", "gb_2312-80"})
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.IGNORECASE)
_TEXT_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_LOG_LINE = "upstream call agency=%s operation=%s outcome=%s ms=%.0f"
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
_NAME_TEXT = re.compile(r"((?:<|&lt;)(?:\w+:)?(?:XM|xm)(?:>|&gt;))([^<&]*)")


def translate(exc: BaseException, *, agency: str, operation: str, timeout_s: float) -> UpstreamError | None:
    """Map a library error to the hub's tree, or None for one that is not an upstream failure."""
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, zeep.exceptions.Fault):
        code, message = str(exc.code or ""), str(exc.message or "")
        return UpstreamFault(agency=agency, operation=operation, fault_code=code, fault_string=message)
    if isinstance(exc, zeep.exceptions.TransportError) and exc.status_code in _GATEWAY_STATUSES:
        # A proxy or load balancer in front of the service returned the error: the service itself
        # was not reached, so this is an outage rather than bad data.
        return UpstreamUnavailable(agency=agency, operation=operation)
    for library_class, hub_class in ERROR_MAP:
        if not isinstance(exc, library_class):
            continue
        if hub_class is UpstreamTimeout:
            return UpstreamTimeout(agency=agency, operation=operation, timeout_s=timeout_s)
        if hub_class is UpstreamDataError:
            return UpstreamDataError(agency=agency, operation=operation, detail=type(exc).__name__)
        return hub_class(agency=agency, operation=operation)
    return None


def to_utf8(body: bytes, content_type: str | None) -> bytes:
    """Return ``body`` as UTF-8 XML, re-decoding GBK-family bodies however they are declared."""
    declared_match = _DECLARED_ENCODING.match(body)
    declared = declared_match.group(1).decode("ascii").lower() if declared_match else None
    header_match = _CHARSET.search(content_type or "")
    header = header_match.group(1).lower() if header_match else None

    if declared in _GB_FAMILY or header in _GB_FAMILY:
        text = body.decode("gb18030")
    elif declared not in (None, "utf-8", "utf8"):
        return body
    else:
        try:
            body.decode("utf-8")
            return body
        except UnicodeDecodeError:
            # A body that is not UTF-8 although nothing says otherwise: legacy GBK.
            text = body.decode("gb18030")
    stripped = _DECLARATION.sub(b"", text.encode("utf-8"), count=1)
    return b'<?xml version="1.0" encoding="UTF-8"?>' + stripped


def parse_embedded_xml(text: str, *, agency: str, operation: str) -> etree._Element:
    """Parse an XML document carried in a string element, rejecting any DTD or entity."""
    stripped = _TEXT_DECLARATION.sub("", text, count=1).strip()
    if "<!doctype" in stripped.lower() or "<!entity" in stripped.lower():
        raise UpstreamDataError(agency=agency, operation=operation, detail="DTD in embedded XML")

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
    )
    try:
        root = etree.fromstring(stripped.encode("utf-8"), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise UpstreamDataError(agency=agency, operation=operation, detail="XMLSyntaxError") from exc
    if root.getroottree().docinfo.doctype:
        raise UpstreamDataError(agency=agency, operation=operation, detail="DTD in embedded XML")
    return root


def redact(text: str) -> str:
    """Mask resident ID numbers and ``XM`` (name) element text in a body meant for DEBUG logs."""
    masked = _ID_NUMBER.sub(lambda match: mask_id_number(match.group(0)), text)
    return _NAME_TEXT.sub(lambda match: match.group(1) + mask_name(match.group(2)), masked)


class SoapClient:
    """One SOAP service of one agency: WSDL loaded in ``start``, operations sent with ``call``."""

    def __init__(
        self,
        *,
        agency: str,
        service_url: str,
        wsdl_url: str,
        timeout_s: float,
        read_only: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Set up the client; ``start`` loads the WSDL.

        ``read_only`` marks a service whose operations all only read. A call whose connection
        the server dropped without a response is then sent once more. A kept-alive
        connection that the server closes just as a request goes out fails that way, and the
        request was not served. ``transport`` replaces httpx's own (for proxies and tests).
        """
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            headers={"User-Agent": "justice-exchange-hub"},
            follow_redirects=False,
            transport=transport,
        )

        self.agency = agency
        self.service_url = service_url
        self.wsdl_url = wsdl_url
        self.timeout_s = timeout_s
        self.read_only = read_only
        self._http = http
        self._transport = _Transport(http)
        self._service: AsyncServiceProxy | None = None

    @property
    def wsdl_loaded(self) -> bool:
        return self._service is not None

    async def start(self) -> None:
        """Fetch and parse the WSDL; later calls of ``start`` do nothing."""
        if self._service is not None:
            return

        async with self._timed("wsdl"):
            response = await self._http.get(self.wsdl_url)
            response.raise_for_status()
            content = to_utf8(response.content, response.headers.get("content-type"))
            document = await asyncio.to_thread(_parse_wsdl, content, self._transport, self.wsdl_url)

        self._service = _bind(document, self._transport, self.service_url)

    async def call(self, operation: str, **params: object) -> Any:
        """Send ``operation`` and return zeep's parsed result; raise only ``UpstreamError``s."""
        if self._service is None:
            raise AdapterNotReady(agency=self.agency, operation=operation)
        try:
            method = self._service[operation]
        except AttributeError as exc:  # zeep's way of saying the WSDL has no such operation
            raise UpstreamOperationMissing(agency=self.agency, operation=operation) from exc

        async with self._timed(operation):
            try:
                return await method(**params)
            except _DROPPED as exc:
                if not self.read_only:
                    raise
                logger.info(
                    "upstream agency=%s operation=%s dropped the connection (%s); sending once more",
                    self.agency,
                    operation,
                    type(exc).__name__,
                )
                return await method(**params)

    async def aclose(self) -> None:
        await self._http.aclose()

    @asynccontextmanager
    async def _timed(self, operation: str) -> AsyncIterator[None]:
        """Deadline, error translation and the one INFO log line around one upstream call."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            async with asyncio.timeout(self.timeout_s):
                yield
        except Exception as exc:
            error = translate(exc, agency=self.agency, operation=operation, timeout_s=self.timeout_s)
            outcome = type(exc).__name__ if error is None else error.code
            if error is None or error is exc:
                raise
            raise error from exc
        except asyncio.CancelledError:
            outcome = CANCELLED
            raise
        finally:
            ms = (time.perf_counter() - started) * 1000
            logger.log(call_log_level(), _LOG_LINE, self.agency, operation, outcome, ms)


# zeep's own annotations are partial (and say Document wants a transport class), so the
# calls into it are kept in these two functions.
def _parse_wsdl(content: bytes, transport: _Transport, base_url: str) -> Document:
    return Document(io.BytesIO(content), transport, base_url, HARDENED_SETTINGS)  # type: ignore[arg-type]


def _bind(document: Document, transport: _Transport, address: str) -> AsyncServiceProxy:
    """Bind the first port of the first service to ``address``, whatever the WSDL says."""
    client = AsyncClient(document, transport=transport, settings=HARDENED_SETTINGS)  # type: ignore[no-untyped-call]
    service = next(iter(document.services.values()))
    port = next(iter(service.ports.values()))
    return AsyncServiceProxy(client, port.binding, address=address)  # type: ignore[no-untyped-call]


class _Transport(AsyncTransport):
    """zeep's async transport on a given httpx client, fetching nothing but operation calls."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        # AsyncTransport.__init__ would overwrite the client's headers and open a sync client.
        self.client = client
        self.wsdl_client = None
        self.cache = None
        self._close_session = False
        self.logger = logger

    def load(self, url: str) -> bytes:
        # The WSDL arrives through start(); any import it names is rejected, file or URL.
        raise zeep.exceptions.ExternalReferenceForbidden(url)  # type: ignore[no-untyped-call]

    async def post(self, address: str, message: bytes, headers: dict[str, str]) -> httpx.Response:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("POST %s: %s", address, redact(message.decode("utf-8", "replace")))
        response = await self.client.post(address, content=message, headers=headers)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("HTTP %d: %s", response.status_code, redact(response.text))
        return response

    def new_response(self, response: httpx.Response) -> Any:
        converted = super().new_response(response)  # type: ignore[no-untyped-call]
        converted._content = to_utf8(response.content, response.headers.get("content-type"))
        return converted
