"""The court case system stand-in: a Starlette app serving the SOAP service of ``court.wsdl``.

Routes:
    GET  /ws/court?wsdl      the WSDL, its soap:address rewritten to the serving URL
    POST /ws/court           the SOAP 1.1 service (operations listed in court.wsdl)
    GET  /admin/config       the fault-injection settings as JSON
    POST /admin/config       change them: {"latency_ms", "failure_rate", "hostile",
                             "hostile_target", "declaration"}; omitted keys keep their value
    POST /admin/judgments    add or replace a judgment (``JudgmentIn`` JSON); returns its
                             change sequence number
    GET  /admin/stats        {"soap_requests", "wsdl_requests", "canary_hits"}
    GET  /canary/{path}      counts fetches, so security tests can prove nothing was fetched
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from simulators.court import envelope, store
from simulators.court.admin import JudgmentIn, rows_from_json
from simulators.court.envelope import Declaration
from simulators.court.hostile import EMBEDDED_MODES, Hostile, hostile_body
from simulators.soap_request import RequestError

logger = logging.getLogger(__name__)

WSDL_PATH = Path(__file__).with_name("court.wsdl")
_WSDL_ADDRESS = "http://localhost:8080/ws/court"
_LOOPBACK_PREFIXES = ("http://127.0.0.1:", "http://[::1]:", "file:///")
_XML = "text/xml; charset=utf-8"
# Numbers one ``queryPjxxBySfzhPl`` call may carry: the maxOccurs of its WSDL element.
BATCH_LIMIT = 200


@dataclass(slots=True)
class Config:
    latency_ms: int = 0
    failure_rate: float = 0.0
    hostile: Hostile = Hostile.OFF
    hostile_target: str = ""  # empty: this server's own /canary/xxe
    declaration: Declaration = Declaration.HEADER_ONLY


@dataclass(slots=True)
class Stats:
    soap_requests: int = 0
    wsdl_requests: int = 0
    canary_hits: int = 0


def create_app(db_path: str, *, latency_ms: int = 0, failure_rate: float = 0.0) -> Starlette:
    """Build the stand-in over the court database at ``db_path`` (created empty if missing)."""
    store.create_schema(db_path)
    app = Starlette(
        routes=[
            Route("/ws/court", wsdl, methods=["GET"]),
            Route("/ws/court", soap, methods=["POST"]),
            Route("/admin/config", get_config, methods=["GET"]),
            Route("/admin/config", set_config, methods=["POST"]),
            Route("/admin/judgments", add_judgment, methods=["POST"]),
            Route("/admin/stats", stats, methods=["GET"]),
            Route("/canary/{path:path}", canary, methods=["GET"]),
        ]
    )
    app.state.db_path = db_path
    app.state.config = Config(latency_ms=latency_ms, failure_rate=failure_rate)
    app.state.stats = Stats()
    app.state.random = random.Random()
    return app


async def wsdl(request: Request) -> Response:
    if "wsdl" not in {key.lower() for key in request.query_params}:
        return PlainTextResponse("CourtCaseService: append ?wsdl for the service description.")
    request.app.state.stats.wsdl_requests += 1
    address = str(request.url.replace(query=""))
    text = WSDL_PATH.read_text(encoding="utf-8").replace(_WSDL_ADDRESS, address)
    return Response(text, media_type=_XML)


async def soap(request: Request) -> Response:
    config: Config = request.app.state.config
    request.app.state.stats.soap_requests += 1
    body = await request.body()
    if config.latency_ms:
        await asyncio.sleep(config.latency_ms / 1000)
    if request.app.state.random.random() < config.failure_rate:
        return _fault("Server", "系统繁忙，请稍后再试")

    try:
        operation, params = envelope.parse_request(body)
    except RequestError as exc:
        return _fault("Client", str(exc))
    if config.hostile is not Hostile.OFF:
        if config.hostile not in EMBEDDED_MODES or operation == "queryPjxxBySfzh":
            target = config.hostile_target or str(request.url_for("canary", path="xxe"))
            return Response(hostile_body(config.hostile, target), media_type=_XML)

    handler = _OPERATIONS.get(operation)
    if handler is None:
        return _fault("Client", f"不支持的操作：{operation}")
    try:
        return await handler(request.app.state.db_path, params, config)
    except RequestError as exc:
        return _fault("Client", str(exc))


async def _query_by_id_number(db_path: str, params: dict[str, str], config: Config) -> Response:
    id_number = params.get("sfzh", "").upper()
    if len(id_number) not in (15, 18) or not id_number[:-1].isdigit():
        raise RequestError(f"身份证号格式错误：应为 15 位或 18 位，收到 {len(id_number)} 位")

    rows = await run_in_threadpool(_read, db_path, store.judgments_by_id_number, id_number)
    body, content_type = envelope.string_response(envelope.embedded_document(rows), config.declaration)
    return Response(body, headers={"Content-Type": content_type})


async def _query_by_id_numbers(db_path: str, params: dict[str, str], config: Config) -> Response:
    numbers = [number.upper() for number in params.get("sfzh", "").split(",") if number]
    if not numbers or len(numbers) > BATCH_LIMIT:
        raise RequestError(f"身份证号数量应在 1 到 {BATCH_LIMIT} 之间，收到 {len(numbers)} 个")
    for number in numbers:
        if len(number) not in (15, 18) or not number[:-1].isdigit():
            raise RequestError(f"身份证号格式错误：应为 15 位或 18 位，收到 {len(number)} 位")

    found = await run_in_threadpool(_read_each, db_path, numbers)
    documents = [envelope.embedded_document(rows) for rows in found]
    body, content_type = envelope.string_response(documents, config.declaration, "queryPjxxBySfzhPl")
    return Response(body, headers={"Content-Type": content_type})


async def _judgment_by_case_number(db_path: str, params: dict[str, str], config: Config) -> Response:
    case_number = params.get("ah", "")
    if not case_number:
        raise RequestError("缺少参数：ah（案号）")

    row = await run_in_threadpool(_read, db_path, store.judgment_by_case_number, case_number)
    if row is None:
        return _fault("Server", f"未找到案号为{case_number}的案件")
    return Response(envelope.judgment_response(*row), media_type=_XML)


async def _changes_after(db_path: str, params: dict[str, str], config: Config) -> Response:
    try:
        after, limit = int(params.get("xh", "")), int(params.get("ts", ""))
    except ValueError as exc:
        raise RequestError("参数 xh（序号）和 ts（条数）必须是整数") from exc
    if limit < 1 or limit > 1000:
        raise RequestError(f"参数 ts（条数）应在 1 到 1000 之间，收到 {limit}")

    rows = await run_in_threadpool(_read, db_path, store.judgments_after, after, limit)
    return Response(envelope.changes_response(rows), media_type=_XML)


async def _status(db_path: str, params: dict[str, str], config: Config) -> Response:
    return Response(envelope.status_response("正常"), media_type=_XML)


_OPERATIONS = {
    "queryPjxxBySfzh": _query_by_id_number,
    "queryPjxxBySfzhPl": _query_by_id_numbers,
    "getAjxxByAh": _judgment_by_case_number,
    "listPjbgAfterXh": _changes_after,
    "getFwzt": _status,
}


async def get_config(request: Request) -> Response:
    return JSONResponse(asdict(request.app.state.config))


async def set_config(request: Request) -> Response:
    changes = await request.json()
    if not isinstance(changes, dict):
        return JSONResponse({"error": "expected a JSON object"}, status_code=400)
    try:
        config = _apply(request.app.state.config, changes)
    except (TypeError, ValueError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    request.app.state.config = config
    return JSONResponse(asdict(config))


async def add_judgment(request: Request) -> Response:
    data: JudgmentIn = await request.json()
    try:
        party, row = rows_from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        return JSONResponse({"error": f"invalid judgment: {exc!r}"}, status_code=400)
    sequence = await run_in_threadpool(_write, request.app.state.db_path, party, row)
    return JSONResponse({"sequence": sequence}, status_code=201)


async def stats(request: Request) -> Response:
    return JSONResponse(asdict(request.app.state.stats))


async def canary(request: Request) -> Response:
    request.app.state.stats.canary_hits += 1
    return PlainTextResponse("canary")


def _apply(config: Config, changes: dict[str, Any]) -> Config:
    target = str(changes.get("hostile_target", config.hostile_target))
    if target and not target.startswith(_LOOPBACK_PREFIXES):
        raise ValueError("hostile_target must be a loopback URL or a local file")
    return Config(
        latency_ms=int(changes.get("latency_ms", config.latency_ms)),
        failure_rate=float(changes.get("failure_rate", config.failure_rate)),
        hostile=Hostile(changes.get("hostile", config.hostile)),
        hostile_target=target,
        declaration=Declaration(changes.get("declaration", config.declaration)),
    )


def _read(db_path: str, query: Any, *args: Any) -> Any:
    with store.connect(db_path) as conn:
        return query(conn, *args)


def _read_each(db_path: str, numbers: list[str]) -> list[Any]:
    with store.connect(db_path) as conn:
        return [store.judgments_by_id_number(conn, number) for number in numbers]


def _write(db_path: str, party: store.PartyRow, row: store.Row) -> int:
    with store.connect(db_path) as conn:
        return store.write_judgment(conn, party, row)


def _fault(code: str, message: str) -> Response:
    logger.info("SOAP fault %s: %s", code, message)
    return Response(envelope.fault(code, message), status_code=500, media_type=_XML)
