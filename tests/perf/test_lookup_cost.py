"""The in-process driver of ``bench.lookup_cost``: its ASGI caller and its CPU rounds."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.lookup_cost import AsgiCaller, cpu_ms_per_call


def echo_app(seen: list[tuple[bytes, str | None]]) -> Starlette:
    async def graphql(request: Request) -> Response:
        body = await request.body()
        seen.append((body, request.headers.get("authorization")))
        if body == b"fail":
            return JSONResponse({"errors": [{"message": "no"}]}, status_code=200)
        if body == b"teapot":
            return Response(b"", status_code=418)
        return JSONResponse({"data": {"ok": True}})

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


async def test_caller_posts_body_with_headers() -> None:
    seen: list[tuple[bytes, str | None]] = []
    caller = AsgiCaller(echo_app(seen), {"authorization": "Bearer t"})

    await caller.post(b'{"query": "{ ok }"}')

    assert seen == [(b'{"query": "{ ok }"}', "Bearer t")]


@pytest.mark.parametrize("body", [b"fail", b"teapot"])
async def test_caller_raises_on_error_response(body: bytes) -> None:
    caller = AsgiCaller(echo_app([]), {})

    with pytest.raises(RuntimeError, match="lookup failed"):
        await caller.post(body)


async def test_rounds_call_every_lookup() -> None:
    calls: list[int] = []

    async def call(n: int) -> None:
        calls.append(n)

    cost = await cpu_ms_per_call(call, lookups=40, rounds=2)

    assert sorted(calls) == sorted([*range(40)] * 3)  # a warm-up round, then two measured
    assert cost >= 0
