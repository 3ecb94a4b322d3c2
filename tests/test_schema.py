from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from adapters.errors import UpstreamUnavailable
from adapters.records import Agency, AgencyRecords
from hub.app import create_app
from hub.settings import Settings
from schema import build_schema
from schema.plan import PlannedExecutionContext
from tests.standins import ID_NUMBER, ID_NUMBER_15, ID_NUMBER_WITH_X, StandInAdapter, standins
from tests.tokens import bearer

SOURCE = "source { agency localReference }"
CASE_NUMBER = "caseNumber { raw year court caseType serial canonical }"
JUDGMENT = f"""
    {CASE_NUMBER} courtName verdict effectiveDate judgmentDate offenceDate procuratorate correctionType
    residenceCountyCode charges {{ name article act }}
    sentence {{ penalty termMonths probationMonths fineYuan politicalRightsMonths }} {SOURCE}
"""
PRIOR_RECORDS = f"""
query Lookup($idNumber: String!, $purpose: Purpose! = TRIAL, $caseNumber: String = "（2026）川3401刑初5号") {{
  priorRecords(idNumber: $idNumber, purpose: $purpose, caseNumber: $caseNumber) {{
    idNumber
    person {{
      name idNumber idNumberAsRecorded sexCode ethnicityCode birthDate countyCode otherNames {SOURCE}
    }}
    criminalRecords {{ {JUDGMENT} }}
    caseInformation {{
      judgments {{ {JUDGMENT} }}
      policeCases {{ policeCaseNumber caseType status filedOn unit role {SOURCE} }}
      coerciveMeasures {{ measure startDate endDate policeCaseNumber unit {SOURCE} }}
      administrativeDetentions {{ decisionNumber reason startDate days unit {SOURCE} }}
      custody {{
        prisonName {CASE_NUMBER} admittedOn sentenceEndDate releasedOn
        events {{ event date detail months }} {SOURCE}
      }}
      corrections {{
        correctionType countyCode startDate endDate reportingStatus reportedOn status {CASE_NUMBER} {SOURCE}
      }}
    }}
    sources {{ agency status fetchedAt latencyMs error {{ code message }} }}
  }}
}}
"""
TRACEBACK_MARKERS = ("Traceback", 'File "', "line ")


class Exploding(StandInAdapter):
    """Breaks the adapter contract by raising a library error."""

    async def fetch_records(self, id_number: Any) -> Any:
        raise RuntimeError("secret database detail 513401198506120315")


class Malformed(StandInAdapter):
    """Returns a record the service cannot merge, so the lookup itself fails."""

    async def fetch_records(self, id_number: Any) -> Any:
        return AgencyRecords(agency=self.agency, judgments=[object()])  # type: ignore[list-item]


class BrokenLookup:
    async def lookup(self, id_number: Any, *stated: Any) -> Any:
        raise RuntimeError("secret detail 513401198506120315")


class AllowAll:
    user_id = "u-test"

    def authorize(self, operation: str, county: Any = None) -> None:
        return None

    def allows(self, operation: str, county: Any = None) -> bool:
        return True

    def jurisdiction(self, operation: str) -> str | None:
        return None


@dataclass
class StandInContext:
    records: Any
    language: str = "zh"
    access: Any = field(default_factory=AllowAll)
    partial_errors: list[Any] = field(default_factory=list)


@pytest.fixture
async def client_for() -> AsyncIterator[Any]:
    """Make a client of a started app (lifespan run) that sends a judge's token."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(
            adapters: Sequence[StandInAdapter] | None = None, **settings: Any
        ) -> httpx.AsyncClient:
            app = create_app(Settings(**settings), adapters=adapters if adapters is not None else standins())
            await stack.enter_async_context(app.router.lifespan_context(app))
            return await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://hub.test",
                    headers=bearer("judge"),
                )
            )

        yield make


@pytest.fixture
async def client(client_for: Any) -> httpx.AsyncClient:
    return await client_for()  # type: ignore[no-any-return]


def location_of(text: str, query: str) -> dict[str, int]:
    """Return the GraphQL location (1-based line and column) where ``text`` starts in ``query``."""
    before = query[: query.index(text)]
    return {"line": before.count("\n") + 1, "column": len(before) - before.rfind("\n")}


async def lookup(client: httpx.AsyncClient, id_number: str, language: str | None = None) -> httpx.Response:
    headers = {"Accept-Language": language} if language else {}
    payload = {"query": PRIOR_RECORDS, "variables": {"idNumber": id_number}}
    return await client.post("/graphql", json=payload, headers=headers)


async def test_query_returns_full_shape(client: httpx.AsyncClient) -> None:
    response = await lookup(client, ID_NUMBER)
    body = response.json()

    assert response.status_code == 200
    assert "errors" not in body
    assert body["data"]["priorRecords"]["idNumber"] == ID_NUMBER
    assert body["data"]["priorRecords"]["person"]["otherNames"] == ["苏建国"]


async def test_criminal_records_hold_effective_guilty_verdicts(client: httpx.AsyncClient) -> None:
    records = (await lookup(client, ID_NUMBER)).json()["data"]["priorRecords"]["criminalRecords"]

    assert len(records) == 1
    assert records[0]["verdict"] == "GUILTY"
    assert records[0]["charges"][0] == {
        "name": "走私、贩卖、运输、制造毒品罪",
        "article": "347",
        "act": "贩卖",
    }
    assert records[0]["source"] == {"agency": "COURT", "localReference": "PJ-1"}


async def test_case_number_comes_raw_parsed_and_canonical(client: httpx.AsyncClient) -> None:
    records = (await lookup(client, ID_NUMBER)).json()["data"]["priorRecords"]["criminalRecords"]
    number = records[0]["caseNumber"]

    assert number["raw"] == "(2019)川3401刑初88号"
    assert number["canonical"] == "（2019）川3401刑初88号"
    assert number["serial"] == 88


async def test_case_information_keeps_non_records_apart(client: httpx.AsyncClient) -> None:
    info = (await lookup(client, ID_NUMBER)).json()["data"]["priorRecords"]["caseInformation"]

    assert [j["verdict"] for j in info["judgments"]] == ["NOT_GUILTY", "GUILTY"]
    assert info["judgments"][1]["effectiveDate"] is None
    assert info["policeCases"][0]["status"] == "FILED"
    assert info["coerciveMeasures"][0]["measure"] == "BAIL"
    assert info["administrativeDetentions"][0]["days"] == 10
    assert info["custody"][0]["events"][1] == {
        "event": "SENTENCE_REDUCTION",
        "date": "2021-03-01",
        "detail": "减刑",
        "months": 6,
    }
    assert info["corrections"][0]["correctionType"] == "PAROLE"


async def test_sources_list_every_agency(client: httpx.AsyncClient) -> None:
    sources = (await lookup(client, ID_NUMBER)).json()["data"]["priorRecords"]["sources"]

    assert [s["agency"] for s in sources] == ["POLICE", "COURT", "PRISON", "JUSTICE_BUREAU"]
    assert {s["status"] for s in sources} == {"OK"}
    assert all(s["fetchedAt"].endswith("+00:00") for s in sources)
    assert all(isinstance(s["latencyMs"], float) for s in sources)


async def test_timed_out_agency_returns_data_and_error(client_for: Any) -> None:
    court = StandInAdapter(Agency.COURT, delay_s=5)
    client = await client_for(standins(court=court), court_timeout_s=0.1)

    body = (await lookup(client, ID_NUMBER)).json()
    data = body["data"]["priorRecords"]

    assert len(body["errors"]) == 1
    assert body["errors"][0]["extensions"] == {
        "code": "UPSTREAM_TIMEOUT",
        "agency": "court",
    }
    assert body["errors"][0]["path"] == ["priorRecords"]
    assert body["errors"][0]["locations"] == [location_of("priorRecords(", PRIOR_RECORDS)]
    # The message names the timeout the settings give, not the breaker's shorter one.
    assert body["errors"][0]["message"] == "法院系统在 0.1 秒内未响应。"
    assert data["criminalRecords"] == []
    assert len(data["caseInformation"]["policeCases"]) == 1
    assert data["sources"][1]["status"] == "TIMED_OUT"
    assert data["sources"][1]["error"]["code"] == "UPSTREAM_TIMEOUT"


async def test_each_failed_agency_gets_one_error(client_for: Any) -> None:
    prison = StandInAdapter(
        Agency.PRISON, error=UpstreamUnavailable(agency="prison", operation="fetch_records")
    )
    correction = StandInAdapter(
        Agency.JUSTICE_BUREAU, error=UpstreamUnavailable(agency="justice_bureau", operation="fetch_records")
    )
    client = await client_for(standins(prison=prison, justice_bureau=correction))

    body = (await lookup(client, ID_NUMBER)).json()

    assert [e["extensions"]["agency"] for e in body["errors"]] == ["prison", "justice_bureau"]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UPSTREAM_UNAVAILABLE"}
    assert len(body["data"]["priorRecords"]["criminalRecords"]) == 1


async def test_upstream_error_in_english_on_request(client_for: Any) -> None:
    prison = StandInAdapter(
        Agency.PRISON, error=UpstreamUnavailable(agency="prison", operation="fetch_records")
    )
    client = await client_for(standins(prison=prison))

    body = (await lookup(client, ID_NUMBER, language="en-GB,en;q=0.9")).json()

    assert body["errors"][0]["message"] == "The prison system is unreachable."


@pytest.mark.parametrize(
    ("id_number", "part"),
    [
        ("513401198506120316", "check_character"),
        ("51340119900230123X", "birth_date"),
        ("993401198506120314", "region"),
        ("513499198506120310", "region"),
        ("5134011985061203", "format"),
        ("51340119850612031A", "format"),
        ("", "format"),
    ],
)
async def test_invalid_id_number_names_failing_part(
    client: httpx.AsyncClient, id_number: str, part: str
) -> None:
    body = (await lookup(client, id_number)).json()

    assert body["data"] == {"priorRecords": None}
    assert body["errors"][0]["extensions"] == {"code": "INVALID_ID_NUMBER", "part": part}


async def test_invalid_id_number_message_defaults_to_chinese(client: httpx.AsyncClient) -> None:
    body = (await lookup(client, "513401198506120316")).json()

    assert body["errors"][0]["message"] == (
        "公民身份号码“513401198506120316”的校验码应为 5，实际为 6，请核对号码是否录入有误。"
    )


async def test_invalid_id_number_message_in_english(client: httpx.AsyncClient) -> None:
    body = (await lookup(client, "513401198506120316", language="en")).json()

    assert body["errors"][0]["message"].startswith(
        "Resident ID number '513401198506120316' has check character 6"
    )


async def test_chinese_preferred_over_english_by_quality(client: httpx.AsyncClient) -> None:
    body = (await lookup(client, "5134011985", language="en;q=0.3, zh-CN;q=0.9")).json()

    assert body["errors"][0]["message"].startswith("公民身份号码")


@pytest.mark.parametrize(
    "raw",
    [
        ID_NUMBER,
        "５１３４０１１９８５０６１２０３１５",
        "513401 19850612 0315",
        ID_NUMBER_15,
    ],
)
async def test_id_number_is_normalised(client: httpx.AsyncClient, raw: str) -> None:
    data = (await lookup(client, raw)).json()["data"]["priorRecords"]

    assert data["idNumber"] == ID_NUMBER
    assert len(data["criminalRecords"]) == 1


async def test_lower_case_x_is_accepted(client: httpx.AsyncClient) -> None:
    data = (await lookup(client, ID_NUMBER_WITH_X.lower())).json()["data"]["priorRecords"]

    assert data["idNumber"] == ID_NUMBER_WITH_X


async def test_adapter_crash_reported_as_agency_error(client_for: Any) -> None:
    client = await client_for(standins(court=Exploding(Agency.COURT)))

    body = (await lookup(client, ID_NUMBER)).json()

    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_ERROR"
    assert body["errors"][0]["extensions"]["agency"] == "court"
    assert "secret" not in json.dumps(body, ensure_ascii=False)


async def test_unexpected_exception_is_masked(client_for: Any) -> None:
    client = await client_for(standins(court=Malformed(Agency.COURT)))

    body = (await lookup(client, ID_NUMBER)).json()
    text = json.dumps(body, ensure_ascii=False)

    assert body["data"] == {"priorRecords": None}
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert body["errors"][0]["message"] == "政法数据交换枢纽内部错误。"
    assert "AttributeError" not in text


async def test_masked_exception_in_english(client_for: Any) -> None:
    client = await client_for(standins(court=Malformed(Agency.COURT)))

    body = (await lookup(client, ID_NUMBER, language="en")).json()

    assert body["errors"][0]["message"] == "The hub failed to process the request."


async def test_schema_runs_with_stand_in_service() -> None:
    schema = build_schema(production=False)
    context = StandInContext(BrokenLookup())

    result = await schema.execute(
        PRIOR_RECORDS, variable_values={"idNumber": ID_NUMBER}, context_value=context
    )
    errors = [error.formatted for error in result.errors or []]

    assert errors[0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in json.dumps(errors, ensure_ascii=False)


async def test_no_traceback_in_error_responses(client: httpx.AsyncClient) -> None:
    responses = [
        await lookup(client, "513401198506120316"),
        await client.post(
            "/graphql", json={"query": "{ priorRecords(idNumber: 1, purpose: TRIAL) { idNumber } }"}
        ),
        await client.post("/graphql", json={"query": "{ priorRecords("}),
        await client.post("/graphql", content=b"not json", headers={"content-type": "application/json"}),
    ]

    for response in responses:
        for marker in TRACEBACK_MARKERS:
            assert marker not in response.text


async def test_id_number_must_be_a_string(client: httpx.AsyncClient) -> None:
    body = (
        await client.post(
            "/graphql",
            json={"query": "{ priorRecords(idNumber: 513401198506120315, purpose: TRIAL) { idNumber } }"},
        )
    ).json()

    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_syntax_error_has_parse_code(client: httpx.AsyncClient) -> None:
    body = (await client.post("/graphql", json={"query": "{ priorRecords("})).json()

    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_hub_lookup_answers_the_same_without_plans(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full priorRecords query of tests/test_schema.py, through the hub, with and without plans."""
    planned = (await lookup(client, ID_NUMBER)).json()
    monkeypatch.setattr(
        PlannedExecutionContext,
        "complete_object_value",
        StrawberryGraphQLCoreExecutionContext.complete_object_value,
    )
    plain = (await lookup(client, ID_NUMBER)).json()

    def steady(body: dict[str, Any]) -> dict[str, Any]:
        """Drop what differs between two lookups anyway: fetch times and latencies."""
        for source in body["data"]["priorRecords"]["sources"]:
            source.pop("fetchedAt", None)
            source.pop("latencyMs", None)
        return body

    assert "errors" not in planned
    assert planned["data"]["priorRecords"]["criminalRecords"]
    assert steady(planned) == steady(plain)


@pytest.mark.parametrize(
    ("legacy", "part"), [("513401851315031", "birth_date"), ("993401850612031", "region")]
)
async def test_invalid_legacy_number_is_quoted_as_typed(
    client: httpx.AsyncClient, legacy: str, part: str
) -> None:
    """A 15-digit number is quoted as given, not in the 18-character form the caller never typed."""
    body = (await lookup(client, legacy)).json()

    error = body["errors"][0]
    assert error["extensions"] == {"code": "INVALID_ID_NUMBER", "part": part}
    assert f"“{legacy}”" in error["message"]
    assert "19" + legacy[6:] not in error["message"].replace(legacy, "")


@pytest.mark.parametrize(
    ("typed", "quoted"),
    [("abc", "abc"), ("  5134x ", "5134x"), ("z" * 60, "z" * 40 + "…")],
)
async def test_malformed_input_is_quoted_as_typed(client: httpx.AsyncClient, typed: str, quoted: str) -> None:
    """Something that is no ID number is quoted as typed, trimmed, and cut when long."""
    body = (await lookup(client, typed)).json()

    error = body["errors"][0]
    assert error["extensions"] == {"code": "INVALID_ID_NUMBER", "part": "format"}
    assert f"“{quoted}”" in error["message"]


@pytest.mark.parametrize(
    "query",
    [
        '{ people(name: ["海来阿牛"]) { personId } }',
        "{ people(name: HaiLaiANiu) { personId } }",
        '{ priorRecords(idNumber: "513401198506120315", purpose: "海来阿牛") { idNumber } }',
    ],
)
async def test_error_log_leaves_out_values(query: str, caplog: pytest.LogCaptureFixture) -> None:
    """A value in a malformed request may be a name, which the log formatter cannot mask."""
    schema = build_schema(production=False)

    with caplog.at_level(logging.INFO, logger="schema.errors"):
        result = await schema.execute(query)

    assert result.errors
    lines = [record.getMessage() for record in caplog.records if record.name == "schema.errors"]
    assert lines
    assert not any("海来阿牛" in line or "HaiLaiANiu" in line for line in lines)
