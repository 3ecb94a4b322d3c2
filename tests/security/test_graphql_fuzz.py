"""Thousands of generated requests against a real server on 127.0.0.1: no 500, and no stack
trace, file path or SQL in any answer, whatever the document, variables, headers or body."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.app import create_app
from hub.auth import Role
from hub.notices.config import NoticeSettings
from hub.settings import Settings
from schema import build_schema
from tests.security.gql_support import adapters
from tests.servers import serve_in_thread
from tests.tokens import bearer, expired_bearer

SCHEMA: GraphQLSchema = build_schema(production=False)._schema
LEAKS = ("Traceback", 'File "', ".py", "site-packages", "sqlalchemy", "SELECT ", "INSERT ", "/work/", "/tmp/")
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=24)
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "String": st.one_of(TEXT, st.sampled_from(["513401198506120315", "513401", "（2026）川3401刑初5号"])),
    "ID": st.one_of(st.integers(-5, 10**20).map(str), TEXT),
    "Int": st.one_of(st.integers(-(2**31), 2**31 - 1), st.integers(-(10**30), 10**30)),
    "Float": st.floats(allow_nan=False),
    "Boolean": st.booleans(),
    "Date": st.one_of(st.dates().map(str), TEXT),
    "DateTime": st.one_of(st.datetimes().map(lambda d: d.isoformat()), TEXT),
}


def unwrap(kind: GraphQLType) -> GraphQLType:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def literal(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + " ".join(f"{key}: {literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.isupper() and value.isidentifier():
        return value  # an enum value, or an enum-looking guess
    return json.dumps(value, ensure_ascii=False)


@st.composite
def argument_value(draw: st.DrawFn, kind: GraphQLType, depth: int = 0) -> Any:
    named = unwrap(kind)
    if draw(st.integers(0, 15)) == 0:
        return draw(st.one_of(TEXT, st.integers(), st.none()))  # the wrong type on purpose
    if isinstance(named, GraphQLEnumType):
        return draw(st.sampled_from([*named.values, "NOT_A_VALUE"]))
    if isinstance(named, GraphQLInputObjectType):
        fields = (
            draw(st.lists(st.sampled_from(sorted(named.fields)), unique=True, max_size=4))
            if depth < 2
            else []
        )
        return {name: draw(argument_value(named.fields[name].type, depth + 1)) for name in fields}
    if isinstance(named, GraphQLScalarType):
        return draw(SCALARS.get(named.name, TEXT))
    return None


@st.composite
def selection(draw: st.DrawFn, kind: GraphQLType, depth: int) -> str:
    named = unwrap(kind)
    if not isinstance(named, GraphQLObjectType):
        return ""
    names = sorted(named.fields)
    # Wide near the root, narrow below, so deep documents stay small enough to be quick.
    width = 4 if depth < 2 else 2
    chosen = draw(
        st.lists(st.sampled_from([*names, "__typename", "noSuchField"]), min_size=1, max_size=width)
    )
    parts = []
    for name in chosen:
        field = named.fields.get(name)
        if field is None:
            parts.append(name)
            continue
        args = [
            arg
            for arg in field.args
            if isinstance(field.args[arg].type, GraphQLNonNull) or draw(st.booleans())
        ]
        rendered = ", ".join(f"{arg}: {literal(draw(argument_value(field.args[arg].type)))}" for arg in args)
        alias = draw(st.sampled_from(["", f"a{len(parts)}: "]))
        inner = draw(selection(field.type, depth + 1)) if depth < 12 else ""
        parts.append(
            f"{alias}{name}{f'({rendered})' if rendered else ''}{f' {{ {inner} }}' if inner else ''}"
        )
    return " ".join(parts)


@st.composite
def document(draw: st.DrawFn) -> str:
    operation = draw(st.sampled_from(["query", "mutation", "subscription", "fragment"]))
    root = {"query": SCHEMA.query_type, "mutation": SCHEMA.mutation_type}.get(operation, SCHEMA.query_type)
    body = draw(selection(root, 0))
    if operation == "fragment":
        return f"query {{ ...F }} fragment F on Query {{ {body} }}"
    if draw(st.integers(0, 20)) == 0:
        return body[: draw(st.integers(0, len(body)))]  # cut off mid-document
    return f"{operation} {{ {body} }}"


HEADERS = st.sampled_from(
    ["judge", "correction_officer", "auditor", "operator", "none", "expired", "garbage"]
)


@st.composite
def request(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    shape = draw(st.integers(0, 9))
    if shape == 0:
        body = draw(st.binary(max_size=64))
    elif shape == 1:
        body = json.dumps(draw(st.one_of(st.lists(st.integers()), TEXT, st.none()))).encode()
    else:
        payload: dict[str, Any] = {"query": draw(document())}
        if draw(st.booleans()):
            payload["variables"] = draw(st.one_of(st.dictionaries(TEXT, TEXT, max_size=3), TEXT, st.none()))
        if draw(st.integers(0, 5)) == 0:
            payload["operationName"] = draw(TEXT)
        body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {
        "content-type": draw(st.sampled_from(["application/json", "text/plain", "application/graphql"]))
    }
    headers["accept-language"] = draw(st.sampled_from(["zh-CN", "en", "", "xx;q=abc"]))
    headers["authorization-choice"] = draw(HEADERS)
    return body, headers


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, dict[str, str]]]]:
    # Every lookup commits an audit entry; on tmpfs a commit costs no disk flush.
    memory = Path("/dev/shm")
    directory = Path(tempfile.mkdtemp(dir=memory)) if memory.is_dir() else tmp_path
    store = NoticeSettings(auto_migrate=True, store_url=f"sqlite+aiosqlite:///{directory / 'hub.sqlite'}")
    quotas = {"rate_prior_records_per_minute": 10**6, "rate_prior_records_per_day": 10**6}
    app = create_app(
        Settings(**quotas, rate_requests_per_minute=10**6),
        adapters=adapters(),
        notice_settings=store,
    )
    tokens = {role: bearer(role) for role in ("judge", "correction_officer", "auditor", "operator")}
    tokens |= {
        "none": {},
        "expired": expired_bearer(Role.JUDGE, 120),
        "garbage": {"Authorization": "Bearer a.b.c"},
    }
    try:
        with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=10) as client:
            yield client, tokens
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@settings(
    max_examples=3000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(sample=request())
def test_generated_requests_give_no_500_and_leak_nothing(
    server: tuple[httpx.Client, dict[str, dict[str, str]]], sample: tuple[bytes, dict[str, str]]
) -> None:
    client, tokens = server
    body, headers = sample
    headers = {**headers, **tokens[headers.pop("authorization-choice")]}

    response = client.post("/graphql", content=body, headers=headers)

    assert response.status_code < 500, response.text
    for marker in LEAKS:
        assert marker not in response.text, (marker, response.text[:500])
