"""The parser and validation caches keep every query limit: a cached document is still refused."""

from __future__ import annotations

from typing import Any

import pytest

from schema import build
from schema.build import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, build_schema


def deep_query() -> str:
    inner = "idNumber"
    for _ in range(MAX_DEPTH + 2):
        inner = f"person {{ {inner} }}"
    return f'{{ priorRecords(idNumber: "1", purpose: TRIAL) {{ {inner} }} }}'


def aliased_query() -> str:
    fields = " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES + 1))
    return f"{{ {fields} }}"


def long_query() -> str:
    return "{ " + " ".join("__typename" for _ in range(MAX_TOKENS + 1)) + " }"


@pytest.mark.parametrize("production", [False, True])
@pytest.mark.parametrize(
    "query", [deep_query(), aliased_query(), long_query()], ids=["depth", "aliases", "tokens"]
)
async def test_limits_reject_the_same_query_every_time(query: str, production: bool) -> None:
    schema = build_schema(production=production)

    results = [await schema.execute(query) for _ in range(3)]

    assert all(result.errors for result in results)
    assert all(result.data is None for result in results)


async def test_cached_valid_query_still_runs() -> None:
    schema = build_schema(production=False)

    results = [await schema.execute("{ __typename }") for _ in range(3)]

    assert [result.data for result in results] == [{"__typename": "Query"}] * 3


async def test_syntax_errors_are_reported_every_time() -> None:
    schema = build_schema(production=False)

    results = [await schema.execute("{ priorRecords(") for _ in range(2)]

    assert all(result.errors and "Syntax Error" in result.errors[0].message for result in results)


async def test_validation_runs_once_per_query_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The validation cache finds the parsed document by identity, so repeats skip validation."""
    validated: list[object] = []
    real_validate = build.validate_document

    def counting(*args: Any) -> Any:
        validated.append(args[1])
        return real_validate(*args)

    monkeypatch.setattr(build, "validate_document", counting)
    schema = build_schema(production=False)

    for text in ["{ __typename }  # once", "{ __typename }  # once", "{ __typename }  # twice"]:
        result = await schema.execute(text)
        assert result.data == {"__typename": "Query"}

    assert len(validated) == 2
