"""The web console under /console/: its routes and headers, its GraphQL operations run
against the schema and an in-process hub, static checks on its files, and its JavaScript
unit tests under Node's own test runner."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import socket
import subprocess
import tomllib
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    specified_rules,
    validate,
)
from starlette.applications import Starlette

from adapters.errors import UpstreamUnavailable
from adapters.records import Agency
from adapters.regions import COUNTIES, PREFECTURE_CODE
from hub.app import create_app
from hub.auth import Role, UnitAgency
from hub.console import CONTENT_SECURITY_POLICY, STATIC_DIR
from hub.settings import Settings
from schema import build_schema
from schema.build import ALIAS_RULE, DEPTH_RULE, MAX_TOKENS
from tests.security.gql_support import CASE, JUVENILE_ID, Hub, started_hub
from tests.servers import ServerThread
from tests.standins import ID_NUMBER, StandInAdapter, standins
from tests.tokens import bearer, production_auth

ROOT = Path(__file__).resolve().parents[1]
QUERY_DIR = STATIC_DIR / "queries"
QUERY_FILES = sorted(QUERY_DIR.glob("*.graphql"))
SCRIPTS = sorted([*STATIC_DIR.glob("*.js"), *STATIC_DIR.glob("*.mjs")])
STATIC_FILES = sorted(path for path in STATIC_DIR.rglob("*") if path.is_file())
STRINGS = json.loads((STATIC_DIR / "strings.json").read_text(encoding="utf-8"))
JS_TESTS = sorted((ROOT / "tests" / "console").glob("*.test.mjs"))

CONTENT_TYPES = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "logic.mjs": "text/javascript; charset=utf-8",
    "strings.json": "application/json; charset=utf-8",
    "queries/prior_records.graphql": "text/plain; charset=utf-8",
}
# Enums whose every value the console shows with a label of its own.
LABELLED_ENUMS = (
    "Purpose",
    "Agency",
    "SourceStatus",
    "Verdict",
    "PenaltyType",
    "CoerciveMeasureType",
    "CorrectionType",
    "CorrectionStatus",
    "ReportingStatus",
    "CustodyEventType",
    "PoliceCaseStatus",
    "NoticeStatus",
)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def china_today() -> dt.date:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), adapters=standins())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        yield http


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


# ---------------------------------------------------------------- routes and headers


async def test_console_without_slash_redirects(client: httpx.AsyncClient) -> None:
    response = await client.get("/console")

    assert response.status_code == 307
    assert response.headers["location"] == "/console/"
    assert_security_headers(response)


async def test_console_page_is_chinese_first_with_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="zh-CN">' in response.text
    assert "政法数据交换枢纽控制台" in response.text
    assert_security_headers(response)
    assert response.headers["cache-control"] == "no-store"


async def test_csp_allows_only_this_origin(client: httpx.AsyncClient) -> None:
    policy = (await client.get("/console/")).headers["content-security-policy"]

    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize("name", sorted(CONTENT_TYPES))
async def test_console_file_has_its_content_type(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/console/{name}")

    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPES[name]
    assert response.content == (STATIC_DIR / name).read_bytes()
    assert_security_headers(response)
    assert response.headers["cache-control"] == "no-cache"


async def test_every_static_file_is_served(client: httpx.AsyncClient) -> None:
    for path in STATIC_FILES:
        name = path.relative_to(STATIC_DIR).as_posix()
        response = await client.get(f"/console/{name}")

        assert response.status_code == 200, name


async def test_head_request_has_headers_and_no_body(client: httpx.AsyncClient) -> None:
    response = await client.head("/console/console.js")

    assert response.status_code == 200
    assert response.content == b""
    assert_security_headers(response)


async def test_post_to_console_is_405_with_headers(client: httpx.AsyncClient) -> None:
    response = await client.post("/console/index.html", content=b"x")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert_security_headers(response)


async def test_unknown_console_file_is_404_with_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/missing.js")

    assert response.status_code == 404
    assert_security_headers(response)


async def asgi_get(app: Starlette, path: str) -> tuple[int, bytes]:
    """Send GET with ``path`` as the server decoded it, past any client-side URL normalising."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"hub")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(message["status"] for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return status, body


# Paths as uvicorn hands them to the app after percent-decoding: %2e%2e becomes "..", %2f "/".
OUTSIDE_PATHS = [
    "/console/../hub/app.py",
    "/console/../../pyproject.toml",
    "/console/queries/../../__init__.py",
    "/console/__init__.py",
    "/console/static/index.html",
    "/console//etc/passwd",
    "/console/..\\__init__.py",
    "/console/./../__init__.py",
]


@pytest.mark.parametrize("path", OUTSIDE_PATHS)
async def test_path_outside_static_is_not_served(path: str) -> None:
    app = create_app(Settings(), adapters=standins())

    status, body = await asgi_get(app, path)

    assert status == 404
    assert b"import" not in body
    assert b"[project]" not in body


@pytest.fixture
def server() -> Iterator[str]:
    running = ServerThread(create_app(Settings(), adapters=standins()))
    running.start()
    yield running.url
    running.stop()


def raw_request(url: str, target: str) -> str:
    """Send one GET with ``target`` exactly as written and return the status line."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer.decode("utf-8", "replace")


@pytest.mark.parametrize(
    "target",
    [
        "/console/../hub/app.py",
        "/console/%2e%2e/hub/app.py",
        "/console/%2E%2E%2Fhub%2Fapp.py",
        "/console/..%2f..%2fpyproject.toml",
        "/console/queries/%2e%2e/%2e%2e/__init__.py",
        "/console/%2f__init__.py",
    ],
)
def test_encoded_traversal_gets_404_from_uvicorn(server: str, target: str) -> None:
    answer = raw_request(server, target)

    status_line = answer.split("\r\n", 1)[0]
    assert status_line.split(" ")[1] == "404", status_line
    assert "from __future__" not in answer
    assert "[project]" not in answer


def test_raw_request_for_a_console_file_is_served(server: str) -> None:
    answer = raw_request(server, "/console/queries/prior_records.graphql")

    assert answer.startswith("HTTP/1.1 200 ")
    assert "query ConsolePriorRecords" in answer


def test_symlink_under_static_is_not_served(tmp_path: Path) -> None:
    from hub.console import static_files

    (tmp_path / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (tmp_path / "secret.json").symlink_to(ROOT / "pyproject.toml")
    (tmp_path / "linked").symlink_to(ROOT / "hub", target_is_directory=True)

    assert list(static_files(tmp_path)) == ["index.html"]


# ---------------------------------------------------------------- the GraphQL operations


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda path: path.name)
def test_operation_validates_against_schema(path: Path, production: bool) -> None:
    schema = build_schema(production=production)._schema
    document = parse(as_sent(path), max_tokens=MAX_TOKENS)

    errors = validate(schema, document, (*specified_rules, DEPTH_RULE, ALIAS_RULE))

    assert errors == []


def test_console_has_every_operation_it_needs() -> None:
    names = {path.stem for path in QUERY_FILES}

    assert names == {"prior_records", "notices", "acknowledge_receipt", "record_reporting"}


def test_scripts_refer_only_to_query_files_that_exist() -> None:
    referred = {
        match for script in SCRIPTS for match in re.findall(r"queries/[A-Za-z0-9_-]+\.graphql", read(script))
    }

    assert referred
    for name in referred:
        assert (STATIC_DIR / name).is_file(), name
    assert {f"queries/{path.name}" for path in QUERY_FILES} == referred


FRAGMENT_DIR = QUERY_DIR / "fragments"


def as_sent(path: Path) -> str:
    """Return an operation as the console sends it (hub.mjs ``loadQuery``).

    The fragments it spreads but does not define are appended from ``queries/fragments/``.
    """
    text = read(path)
    defined = set(re.findall(r"\bfragment\s+([A-Za-z_]\w*)\s+on\b", text))
    spread = [name for name in re.findall(r"\.\.\.\s*([A-Za-z_]\w*)", text) if name != "on"]
    missing = [name for name in dict.fromkeys(spread) if name not in defined]
    return "\n".join([text, *(read(FRAGMENT_DIR / f"{name}.graphql") for name in missing)])


def test_notice_operations_share_one_fragment() -> None:
    sent = {path.stem: as_sent(path) for path in QUERY_FILES}
    shared = {path.stem for path in FRAGMENT_DIR.glob("*.graphql")}

    assert shared == {"ConsoleNotice"}
    for name in ("notices", "acknowledge_receipt", "record_reporting"):
        assert "fragment ConsoleNotice on Notice" not in read(QUERY_DIR / f"{name}.graphql")
        assert sent[name].count("fragment ConsoleNotice on Notice") == 1


# ---------------------------------------------------------------- end to end, in-process hub


def operation(name: str) -> str:
    return as_sent(QUERY_DIR / f"{name}.graphql")


def assert_fields_present(document: DocumentNode, data: dict[str, Any]) -> None:
    """Assert ``data`` has every field the operation selects, at every level it reaches."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    (root,) = [
        definition for definition in document.definitions if isinstance(definition, OperationDefinitionNode)
    ]

    def check(selection_set: SelectionSetNode, value: Any, where: str) -> None:
        if value is None:
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                check(selection_set, item, f"{where}[{index}]")
            return
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                check(fragments[selection.name.value].selection_set, value, where)
            elif isinstance(selection, InlineFragmentNode):
                check(selection.selection_set, value, where)
            elif isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                assert key in value, f"{where}.{key} is missing"
                if selection.selection_set is not None:
                    check(selection.selection_set, value[key], f"{where}.{key}")

    check(root.selection_set, data, "data")


async def run(hub: Hub, name: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = await hub.gql(operation(name), headers, **variables)
    return body


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    async with started_hub() as started:
        yield started


async def test_prior_records_operation_answers_a_judge(hub: Hub) -> None:
    body = await run(
        hub, "prior_records", bearer(Role.JUDGE), idNumber=ID_NUMBER, purpose="TRIAL", caseNumber=CASE
    )

    assert body.get("errors") is None
    records = body["data"]["priorRecords"]
    assert_fields_present(parse(operation("prior_records")), body["data"])
    assert records["idNumber"] == ID_NUMBER
    assert records["person"]["name"]
    assert records["criminalRecords"]
    assert records["caseInformation"]["policeCases"]
    assert {source["agency"] for source in records["sources"]} == {agency.name for agency in Agency}
    assert all(source["status"] == "OK" for source in records["sources"])


async def test_prior_records_operation_shows_sealed_record_and_basis(hub: Hub) -> None:
    body = await run(
        hub, "prior_records", bearer(Role.JUDGE), idNumber=JUVENILE_ID, purpose="TRIAL", caseNumber=CASE
    )

    assert body.get("errors") is None
    (record,) = body["data"]["priorRecords"]["criminalRecords"]
    assert record["sealed"] is True
    assert record["sealBasis"]


async def test_prior_records_operation_without_records_is_empty(hub: Hub) -> None:
    unknown = "11010519491231002X"

    body = await run(
        hub, "prior_records", bearer(Role.JUDGE), idNumber=unknown, purpose="TRIAL", caseNumber=CASE
    )

    records = body["data"]["priorRecords"]
    assert body.get("errors") is None
    assert records["person"] is None
    assert records["criminalRecords"] == []
    assert all(part == [] for part in records["caseInformation"].values())
    assert all(source["status"] == "OK" for source in records["sources"])


async def test_prior_records_error_in_english(hub: Hub) -> None:
    headers = {**bearer(Role.JUDGE), "Accept-Language": "en"}

    body = await run(
        hub, "prior_records", headers, idNumber="513431199009157450", purpose="TRIAL", caseNumber=CASE
    )

    (error,) = body["errors"]
    assert error["extensions"]["code"]
    assert error["message"].isascii()
    assert body["data"]["priorRecords"] is None


async def test_prior_records_survives_failed_agency() -> None:
    court = StandInAdapter(Agency.COURT, error=UpstreamUnavailable(agency="court", operation="fetch_records"))
    app = create_app(Settings(), adapters=standins(court=court))
    variables = {"idNumber": ID_NUMBER, "purpose": "TRIAL", "caseNumber": CASE}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            response = await http.post(
                "/graphql",
                json={"query": operation("prior_records"), "variables": variables},
                headers=bearer(Role.JUDGE),
            )

    body = response.json()
    sources = {source["agency"]: source for source in body["data"]["priorRecords"]["sources"]}
    assert sources["COURT"]["status"] == "UNAVAILABLE"
    assert sources["COURT"]["error"]["message"]
    assert sources["POLICE"]["status"] == "OK"
    assert body["data"]["priorRecords"]["person"] is not None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UPSTREAM_UNAVAILABLE"]


async def test_notices_operation_lists_a_county_for_its_officer(hub: Hub) -> None:
    headers = bearer(Role.CORRECTION_OFFICER, "513401")

    body = await run(
        hub, "notices", headers, filter={"countyCode": "513401", "status": "DELIVERED"}, first=20, after=None
    )

    assert body.get("errors") is None
    assert_fields_present(parse(operation("notices")), body["data"])
    (notice,) = body["data"]["notices"]["items"]
    assert notice["id"] == hub.notice_ids["513401"]
    assert notice["noticeDue"] == "2026-11-07"
    assert "nextCursor" in body["data"]["notices"]


async def test_notices_operation_pages_with_the_cursor(hub: Hub) -> None:
    headers = bearer(Role.OPERATOR)

    first = await run(hub, "notices", headers, filter=None, first=1, after=None)
    cursor = first["data"]["notices"]["nextCursor"]
    second = await run(hub, "notices", headers, filter=None, first=1, after=cursor)

    assert cursor
    ids = [page["data"]["notices"]["items"][0]["id"] for page in (first, second)]
    assert sorted(ids) == sorted(hub.notice_ids.values())


async def test_acknowledge_operation_signs_for_a_notice(hub: Hub) -> None:
    headers = bearer(Role.CORRECTION_OFFICER, "513401")

    body = await run(hub, "acknowledge_receipt", headers, noticeId=hub.notice_ids["513401"])

    assert body.get("errors") is None
    assert_fields_present(parse(operation("acknowledge_receipt")), body["data"])
    assert body["data"]["acknowledgeReceipt"]["status"] == "RECEIVED"


async def test_record_reporting_operation_records_the_day(hub: Hub) -> None:
    headers = bearer(Role.CORRECTION_OFFICER, "513401")
    today = china_today().isoformat()

    body = await run(hub, "record_reporting", headers, noticeId=hub.notice_ids["513401"], reportedOn=today)

    assert body.get("errors") is None
    assert_fields_present(parse(operation("record_reporting")), body["data"])
    assert body["data"]["recordReporting"]["reportedOn"] == today


async def test_acknowledge_by_judge_is_forbidden(hub: Hub) -> None:
    body = await run(hub, "acknowledge_receipt", bearer(Role.JUDGE), noticeId=hub.notice_ids["513401"])

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"]
    assert body["data"] is None


async def test_console_operations_run_in_production(tmp_path: Path) -> None:
    settings = {"env": "production", **production_auth(tmp_path)}

    async with started_hub(settings=settings) as hub:
        prior = await run(
            hub, "prior_records", bearer(Role.JUDGE), idNumber=ID_NUMBER, purpose="TRIAL", caseNumber=CASE
        )
        notices = await run(hub, "notices", bearer(Role.OPERATOR), filter=None, first=20, after=None)

    assert prior.get("errors") is None
    assert notices.get("errors") is None
    assert prior["data"]["priorRecords"]["criminalRecords"]
    assert len(notices["data"]["notices"]["items"]) == 2


async def test_readyz_has_what_the_status_view_reads(hub: Hub) -> None:
    response = await hub.client.get("/readyz", headers={"Accept-Language": "en"})

    body = response.json()
    assert body["status"] in {"ready", "not_ready"}
    assert set(body["agencies"]) == {agency.value for agency in Agency}
    for entry in body["agencies"].values():
        assert set(entry) == {"ready", "reason", "message"}


# ---------------------------------------------------------------- static checks


class PageParser(HTMLParser):
    """Collect each start tag with its attributes, and the text inside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in {"script", "style"}:
            self._open = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and data.strip():
            self.inline.append(data)


def parsed_page() -> PageParser:
    parser = PageParser()
    parser.feed(read(STATIC_DIR / "index.html"))
    return parser


@pytest.mark.parametrize("path", STATIC_FILES, ids=lambda path: path.relative_to(STATIC_DIR).as_posix())
def test_static_file_names_no_other_host(path: Path) -> None:
    content = read(path)

    assert not re.search(r"https?://", content, re.IGNORECASE)
    # A protocol-relative URL in an attribute, a string or url(...); `//` comments are fine.
    assert not re.search(r"""(?:["'(=]|url\()\s*//[^/\s]""", content)


def test_page_has_no_inline_script_style_or_handler() -> None:
    page = parsed_page()

    assert page.inline == []
    assert all(tag != "style" for tag, _ in page.tags)
    for tag, attrs in page.tags:
        assert "style" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], tag
        if tag == "script":
            assert attrs.get("type") == "module"
            assert attrs.get("src") == "console.js"


def test_page_loads_only_its_own_files() -> None:
    for tag, attrs in parsed_page().tags:
        for name in ("src", "href", "action", "srcset", "formaction"):
            value = attrs.get(name)
            if value is None:
                continue
            assert value.startswith("data:") or ":" not in value, f"<{tag} {name}={value}>"
            if not value.startswith("data:"):
                assert (STATIC_DIR / value).is_file(), value


def test_stylesheet_imports_and_fetches_nothing() -> None:
    css = read(STATIC_DIR / "console.css")

    assert "@import" not in css
    assert "url(" not in css
    assert "@font-face" not in css


FORBIDDEN_IN_SCRIPTS = [
    r"\.innerHTML\b",
    r"\.outerHTML\b",
    r"\binsertAdjacentHTML\b",
    r"\bdocument\.write",
    r"\beval\s*\(",
    r"\bnew\s+Function\b",
    r"\blocalStorage\b",
    r"\bdocument\.cookie\b",
    r"\bconsole\.(?:log|info|warn|error|debug|trace)\b",
]


@pytest.mark.parametrize("pattern", FORBIDDEN_IN_SCRIPTS)
@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_script_avoids_unsafe_calls(path: Path, pattern: str) -> None:
    assert not re.search(pattern, read(path)), f"{path.name} uses {pattern}"


def test_scripts_keep_the_token_in_session_storage_only() -> None:
    source = read(STATIC_DIR / "hub.mjs")

    assert "sessionStorage.setItem" in source
    assert re.search(r"""credentials:\s*"omit\"""", source)
    assert re.search(r"""mode:\s*"same-origin\"""", source)


def test_english_requests_ask_for_english() -> None:
    source = read(STATIC_DIR / "hub.mjs")

    assert re.search(r'"Accept-Language":\s*languageHeader\(\)', source)
    assert re.search(r'currentLanguage\(\) === "en" \? "en"', source)


def test_string_tables_have_the_same_keys() -> None:
    assert set(STRINGS) == {"zh-CN", "en"}
    assert list(STRINGS["zh-CN"]) == list(STRINGS["en"])


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_string_table_has_no_empty_value(language: str) -> None:
    empty = [
        key for key, value in STRINGS[language].items() if not isinstance(value, str) or not value.strip()
    ]

    assert empty == []


def test_string_placeholders_match_between_languages() -> None:
    for key, chinese in STRINGS["zh-CN"].items():
        placeholders = sorted(re.findall(r"\{(\w+)\}", chinese))

        assert sorted(re.findall(r"\{(\w+)\}", STRINGS["en"][key])) == placeholders, key


def test_chinese_table_is_chinese() -> None:
    table = STRINGS["zh-CN"]

    assert table["tab.prior"] == "前科查询"
    assert table["tab.notices"] == "矫正通知书"
    assert table["tab.status"] == "运行状态"


def labels(prefix: str) -> list[str]:
    return [key.removeprefix(prefix) for key in STRINGS["zh-CN"] if key.startswith(prefix)]


@pytest.mark.parametrize("enum", LABELLED_ENUMS)
def test_every_enum_value_has_a_label(enum: str) -> None:
    enum_type = build_schema(production=False)._schema.type_map[enum]
    assert isinstance(enum_type, GraphQLEnumType)

    assert labels(f"enum.{enum}.") == list(enum_type.values)


def test_every_role_agency_and_county_has_a_label() -> None:
    assert set(labels("role.")) == {role.value for role in Role}
    assert set(labels("unitAgency.")) == {agency.value for agency in UnitAgency}
    assert set(labels("county.")) == {*COUNTIES, PREFECTURE_CODE}


def string_keys_in_page() -> set[str]:
    keys = set()
    for _, attrs in parsed_page().tags:
        for name in ("data-i18n", "data-i18n-placeholder", "data-i18n-label"):
            if attrs.get(name):
                keys.add(str(attrs[name]))
    return keys


def test_every_string_key_the_page_uses_exists() -> None:
    keys = string_keys_in_page()

    assert keys
    assert keys - set(STRINGS["zh-CN"]) == set()


def test_every_string_key_the_scripts_name_exists() -> None:
    table = STRINGS["zh-CN"]
    namespaces = {key.split(".", 1)[0] for key in table}
    named = {
        literal
        for script in SCRIPTS
        for literal in re.findall(r'"([a-z][A-Za-z]*\.[A-Za-z0-9_.]*)"', read(script))
        if literal.split(".", 1)[0] in namespaces
    }

    assert named
    for literal in sorted(named):
        if literal.endswith("."):
            assert any(key.startswith(literal) for key in table), literal
        else:
            assert literal in table, literal


def test_deadline_and_state_keys_exist() -> None:
    table = STRINGS["zh-CN"]
    for field in ("noticeDue", "documentsDue", "reportingDue", "receiptDue"):
        assert f"notice.{field}" in table
    for state in ("overdue", "done", "open", "untracked", "untrackedPassed", "none"):
        assert f"deadline.{state}" in table


def test_package_data_ships_every_static_file() -> None:
    patterns = tomllib.loads(read(ROOT / "pyproject.toml"))["tool"]["setuptools"]["package-data"]["hub"]
    shipped = {path for pattern in patterns for path in (ROOT / "hub").glob(pattern) if path.is_file()}

    assert set(STATIC_FILES) <= shipped


# ---------------------------------------------------------------- JavaScript under Node


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not on PATH: the console's JavaScript tests need Node 18 or newer")
    return found


def test_javascript_unit_tests_pass() -> None:
    assert JS_TESTS

    result = subprocess.run(
        [node(), "--test", *map(str, JS_TESTS)], capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert re.search(r"^# fail 0$", result.stdout, re.MULTILINE)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_script_parses_as_a_module(path: Path, tmp_path: Path) -> None:
    # Node reads a .js file as CommonJS, so a copy named .mjs is checked as the browser reads it.
    copy = tmp_path / f"{path.stem}.mjs"
    copy.write_text(read(path), encoding="utf-8")

    result = subprocess.run(
        [node(), "--check", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
