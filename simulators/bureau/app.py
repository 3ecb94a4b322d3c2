"""The justice-bureau stand-in: a Starlette app serving a checked-in SOAP 1.1 WSDL.

``POST /soap`` serves every county (the county code is part of each request);
``POST /soap/{county}`` serves one county and rejects requests for another.
Admin endpoints (JSON): ``GET|POST /admin/config`` (faults, see ``faults.py``),
``POST /admin/receipts`` (record an officer's receipt, optionally with ``reported_on``),
``POST /admin/reporting`` (record the day a person reported in, naming the notice by
``acceptance_id``, ``idempotency_key`` or ``case_number``), ``GET /admin/notices``.

With ``auto_receipt_s`` set, each notice is receipted that long after acceptance, and the
person is taken to have reported in 1 to 12 days after the effective date (seeded), left
unset while that day is still ahead (China time).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from simulators.bureau import envelope
from simulators.bureau.faults import FaultConfig
from simulators.bureau.store import BureauStore, NoticeKey, ReceiptRow
from simulators.soap_request import RequestError

logger = logging.getLogger(__name__)

WSDL_TEMPLATE = files("simulators.bureau").joinpath("bureau.wsdl").read_text(encoding="utf-8")
_WSDL_ADDRESS = "http://127.0.0.1:8083/soap"
RETIRED_COUNTIES = {"513425": "513402"}  # Huili county became a city in 2021
_XML = "text/xml; charset=utf-8"
CHINA_STANDARD_TIME = dt.timezone(dt.timedelta(hours=8), "CST")


class DroppedConnection(Response):
    """Send the response start and then raise, so the server closes the socket mid-response."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", _XML.encode()), (b"content-length", b"512")],
            }
        )
        raise ConnectionAbortedError("bureau stand-in: injected connection drop")


def create_app(db_path: str, faults: FaultConfig | None = None) -> Starlette:
    store = BureauStore(db_path)
    config = faults or FaultConfig()

    async def wsdl(request: Request) -> Response:
        address = str(request.url.replace(query=""))
        return Response(WSDL_TEMPLATE.replace(_WSDL_ADDRESS, address), media_type=_XML)

    async def soap(request: Request) -> Response:
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        try:
            operation, params = envelope.parse_request(await request.body())
            if operation == "DeliverNotice":
                return await _deliver(store, config, request.path_params.get("county"), params)
            if operation == "ListReceipts":
                return _list_receipts(store, request.path_params.get("county"), params)
            raise RequestError(f"未知操作：{operation}")
        except RequestError as exc:
            return Response(envelope.fault("Client", str(exc)), status_code=500, media_type=_XML)

    async def get_config(request: Request) -> Response:
        return JSONResponse(config.public())

    async def set_config(request: Request) -> Response:
        try:
            config.update(await request.json())
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(config.public())

    async def add_receipt(request: Request) -> Response:
        body = await request.json()
        try:
            reported_on = _optional_date(body.get("reported_on"))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        receipt = store.record_receipt(
            acceptance_id=body.get("acceptance_id"),
            idempotency_key=body.get("idempotency_key"),
            officer=body.get("officer") or "值班矫正干部",
            reported_on=reported_on,
        )
        return _receipt_answer(receipt)

    async def add_reporting(request: Request) -> Response:
        body = await request.json()
        try:
            reported_on = _optional_date(body.get("reported_on"))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if reported_on is None:
            return JSONResponse({"error": "缺少报到日期 reported_on"}, status_code=400)
        key = NoticeKey(body.get("acceptance_id"), body.get("idempotency_key"), body.get("case_number"))
        return _receipt_answer(store.record_reporting(key, reported_on))

    async def list_notices(request: Request) -> Response:
        return JSONResponse(store.notices(request.query_params.get("county")))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(_auto_receipts(store, config))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            store.close()

    app = Starlette(
        routes=[
            Route("/soap", wsdl, methods=["GET"]),
            Route("/soap", soap, methods=["POST"]),
            Route("/soap/{county}", wsdl, methods=["GET"]),
            Route("/soap/{county}", soap, methods=["POST"]),
            Route("/admin/config", get_config, methods=["GET"]),
            Route("/admin/config", set_config, methods=["POST"]),
            Route("/admin/receipts", add_receipt, methods=["POST"]),
            Route("/admin/reporting", add_reporting, methods=["POST"]),
            Route("/admin/notices", list_notices, methods=["GET"]),
            Route("/healthz", lambda request: Response("ok"), methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.faults = config
    return app


async def _deliver(
    store: BureauStore, config: FaultConfig, path_county: str | None, params: dict[str, Any]
) -> Response:
    county, key = str(params.get("countyCode", "")), str(params.get("idempotencyKey", ""))
    if not key:
        raise RequestError("缺少幂等键 idempotencyKey")
    if not (len(county) == 6 and county.startswith("5134") and county.isdigit()):
        raise RequestError(f"县级代码“{county}”不属于凉山州")
    if county in RETIRED_COUNTIES:
        raise RequestError(f"县级代码 {county} 已撤销，请发往 {RETIRED_COUNTIES[county]}")
    if path_county and path_county != county:
        raise RequestError(f"本服务只接收 {path_county} 的通知书，请求为 {county}")

    fault = config.next_fault()
    if fault in ("http_500", "drop"):
        return _fail(fault)
    if fault == "timeout":
        await asyncio.sleep(config.timeout_s)

    notice = {name: value for name, value in params.items() if name not in ("countyCode", "idempotencyKey")}
    acceptance = store.accept(county, key, notice)
    logger.info(
        "notice %s for %s %s",
        acceptance.acceptance_id,
        county,
        "duplicate" if acceptance.duplicate else "stored",
    )
    if fault in ("http_500_after_store", "drop_after_store"):
        return _fail(fault)
    return Response(envelope.acceptance_response(acceptance), media_type=_XML)


def _optional_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"reported_on 应为 YYYY-MM-DD 日期，收到 {value!r}") from exc


def _receipt_answer(receipt: ReceiptRow | None) -> Response:
    if receipt is None:
        return JSONResponse({"error": "未找到该通知书"}, status_code=404)
    reported_on = receipt.reported_on.isoformat() if receipt.reported_on else None
    return JSONResponse(
        {"sequence": receipt.sequence, "acceptance_id": receipt.acceptance_id, "reported_on": reported_on}
    )


def _fail(fault: str) -> Response:
    if fault.startswith("drop"):
        return DroppedConnection()
    return Response(
        envelope.fault("Server", "司法局系统内部错误（模拟故障）"), status_code=500, media_type=_XML
    )


def _list_receipts(store: BureauStore, path_county: str | None, params: dict[str, Any]) -> Response:
    try:
        after, limit = int(params.get("afterSequence") or 0), int(params.get("limit") or 100)
    except ValueError as exc:
        raise RequestError("afterSequence 与 limit 应为整数") from exc
    county = path_county or str(params.get("countyCode") or "") or None
    return Response(envelope.receipts_response(store.receipts_after(after, limit, county)), media_type=_XML)


async def _auto_receipts(store: BureauStore, config: FaultConfig, *, every_s: float = 0.2) -> None:
    while True:
        await asyncio.sleep(every_s)
        if config.auto_receipt_s is None:
            continue
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=config.auto_receipt_s)
        for acceptance_id, effective in store.unreceipted_before(cutoff):
            reported_on = _demo_reporting_day(config, effective)
            store.record_receipt(
                acceptance_id=acceptance_id, officer="自动回执（演示）", reported_on=reported_on
            )


def _demo_reporting_day(config: FaultConfig, effective: dt.date | None) -> dt.date | None:
    """Pick a reporting day 1 to 12 days after ``effective``; None while that day is still ahead."""
    if effective is None:
        return None
    day = effective + dt.timedelta(days=config.reporting_delay_days())
    today = dt.datetime.now(CHINA_STANDARD_TIME).date()
    return day if day <= today else None
