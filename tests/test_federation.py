"""The hub's schema as an Apollo Federation v2 subgraph: its SDL, and composition by Apollo's composer.

The composition tests run ``docker/federation/compose_check.mjs`` with node and the pinned
``@apollo/composition``; they are skipped until ``npm ci --prefix docker/federation`` has run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import DirectiveNode, SchemaDefinitionNode, SchemaExtensionNode, StringValueNode, parse
from strawberry.federation.schema_directives import Link

from schema.build import RootMutation, RootQuery
from schema.notices import Subscription

REPO = Path(__file__).resolve().parent.parent
FEDERATION_DIR = REPO / "docker" / "federation"
FEDERATION_VERSION = "2.11"
FEDERATION_URL = f"https://specs.apollo.dev/federation/v{FEDERATION_VERSION}"

# A second subgraph, as another prefecture's or the province's service would be.
DIRECTORY_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

type Prefecture @key(fields: "code") {
  code: String!
  name: String!
}

type Query {
  prefectures: [Prefecture!]!
}
"""


def build_subgraph() -> strawberry.federation.Schema:
    """Build the hub's root types as a federation subgraph.

    No hub type carries a federation directive yet, so strawberry would print no ``@link``.
    A composer would then read the SDL as a Federation 1 subgraph, so the explicit ``@link``
    declares it v2. Once a type gets ``@key``, strawberry adds the link itself and this one
    must go, because a schema may link the federation spec only once.
    """
    return strawberry.federation.Schema(
        query=RootQuery,
        mutation=RootMutation,
        subscription=Subscription,
        federation_version=FEDERATION_VERSION,
        schema_directives=[Link(url=FEDERATION_URL, import_=["@key", "@shareable"])],
    )


def federation_links(sdl: str) -> list[str]:
    """Return the ``url`` of every ``@link`` on the schema definition or an extension of it."""
    urls = []
    for definition in parse(sdl).definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            urls.extend(_link_url(directive))
    return urls


def _link_url(directive: DirectiveNode) -> list[str]:
    if directive.name.value != "link":
        return []
    return [
        argument.value.value
        for argument in directive.arguments
        if argument.name.value == "url" and isinstance(argument.value, StringValueNode)
    ]


def compose(subgraphs: list[dict[str, str]]) -> tuple[int, dict[str, Any]]:
    """Run the Node composition script on ``subgraphs``; return its exit status and JSON output."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the composition check needs Node.js 18 or newer")
    if not (FEDERATION_DIR / "node_modules" / "@apollo" / "composition").is_dir():
        pytest.skip("@apollo/composition is not installed: run `npm ci --prefix docker/federation`")

    result = subprocess.run(
        [node, str(FEDERATION_DIR / "compose_check.mjs")],
        input=json.dumps(subgraphs),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=FEDERATION_DIR,
    )
    assert result.stdout, f"compose_check.mjs printed nothing; stderr: {result.stderr}"
    return result.returncode, json.loads(result.stdout)


def hub_subgraph() -> dict[str, str]:
    return {"name": "hub", "url": "http://hub:8000/graphql", "sdl": build_subgraph().as_str()}


def test_subgraph_sdl_links_federation_v2() -> None:
    sdl = build_subgraph().as_str()

    assert federation_links(sdl) == [FEDERATION_URL]


def test_subgraph_serves_sdl_through_service_field() -> None:
    schema = build_subgraph()

    result = schema.execute_sync("{ _service { sdl } }")

    assert result.errors is None
    assert result.data is not None
    assert result.data["_service"]["sdl"] == schema.as_str()


def test_subgraph_keeps_the_hub_operations() -> None:
    document = parse(build_subgraph().as_str())
    fields = {
        definition.name.value: {field.name.value for field in definition.fields or ()}
        for definition in document.definitions
        if getattr(definition, "fields", None) is not None and hasattr(definition, "name")
    }

    assert {"priorRecords", "people", "notices", "_service"} <= fields["Query"]
    assert "acknowledgeReceipt" in fields["Mutation"]
    assert "noticeChanged" in fields["Subscription"]


def test_hub_subgraph_composes_alone() -> None:
    status, output = compose([hub_subgraph()])

    assert output["errors"] == []
    assert status == 0
    assert "priorRecords" in output["supergraphSdl"]


def test_hub_subgraph_composes_with_second_subgraph() -> None:
    directory = {"name": "directory", "url": "http://directory:4001/graphql", "sdl": DIRECTORY_SDL}

    status, output = compose([hub_subgraph(), directory])

    assert output["errors"] == []
    assert status == 0
    assert "prefectures" in output["supergraphSdl"]
    assert "priorRecords" in output["supergraphSdl"]


def test_composer_rejects_conflicting_field() -> None:
    clashing = {
        "name": "clashing",
        "url": "http://clashing:4002/graphql",
        "sdl": (
            'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
            "type Query { priorRecords: Int }\n"
        ),
    }

    status, output = compose([hub_subgraph(), clashing])

    assert status == 1
    assert output["errors"], "composition accepted two different types for Query.priorRecords"
