"""docker/: the compose stack, the Dockerfile and the scripts the image runs.

No container engine runs here, so these tests read the files, check them against the hub's
settings and command line, and run the two scripts that can run outside a container.
"""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.cli import hub as hub_cli
from hub.notices.config import NoticeSettings
from hub.settings import Settings
from hub.settings_perf import PerfSettings

REPO = Path(__file__).resolve().parent.parent
DOCKER = REPO / "docker"
HUB_VARIABLE = re.compile(r"\bHUB_[A-Z0-9][A-Z0-9_]*")
ROOT_USERS = {"root", "0"}
EXPECTED_SERVICES = {
    "postgres",
    "redis",
    "court",
    "bureau",
    "stand-in-loader",
    "migrate",
    "hub",
    "proxy",
    "scheduler",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """Return the Dockerfile's instructions, one per item, continuation lines joined."""
    joined: list[str] = []
    pending = ""
    for line in (DOCKER / "Dockerfile").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending = f"{pending} {stripped}" if pending else stripped
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        joined.append(pending)
        pending = ""
    return joined


def settings_variables() -> set[str]:
    return {
        f"HUB_{name.upper()}" for cls in (Settings, NoticeSettings, PerfSettings) for name in cls.model_fields
    }


def instructions(lines: list[str], keyword: str) -> list[str]:
    return [line.split(None, 1)[1] for line in lines if line.split(None, 1)[:1] == [keyword]]


def test_compose_has_every_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == EXPECTED_SERVICES


def test_hub_runs_two_replicas(compose: dict[str, Any]) -> None:
    assert compose["services"]["hub"]["deploy"]["replicas"] == 2


def test_no_service_runs_as_root(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert "user" in service, f"service {name} sets no user"
        user = str(service["user"]).split(":")[0]
        assert user not in ROOT_USERS, f"service {name} runs as {service['user']}"


def test_compose_variables_are_settings_fields(compose: dict[str, Any]) -> None:
    known = settings_variables()
    text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")

    used = set(HUB_VARIABLE.findall(text))
    assert "HUB_ENV" in used
    for variable in sorted(used):
        assert variable in known, f"compose.yaml uses {variable}, which is no settings field"


def test_secret_targets_are_settings_fields(compose: dict[str, Any]) -> None:
    known = settings_variables() | {"PGPASSWORD"}

    for name, service in compose["services"].items():
        for secret in service.get("secrets", []):
            if isinstance(secret, dict) and not secret["target"].endswith(".pem"):
                assert secret["target"] in known, f"service {name}: secret target {secret['target']}"


def test_production_settings(compose: dict[str, Any]) -> None:
    environment = compose["services"]["hub"]["environment"]
    secrets = {secret["target"] for secret in compose["services"]["hub"]["secrets"]}

    assert environment["HUB_ENV"] == "production"
    assert environment["HUB_AUTH_JWKS_FILE"] == compose["services"]["hub"]["configs"][0]["target"]
    assert "HUB_AUDIT_SUBJECT_KEY" in secrets
    assert "HUB_AUDIT_SUBJECT_KEY" not in environment
    assert environment["HUB_STORE_URL"].startswith("postgresql+asyncpg://")
    assert environment["HUB_REDIS_URL"].startswith("redis://")


def test_settings_values_parse(compose: dict[str, Any]) -> None:
    environment = {key: str(value) for key, value in compose["services"]["hub"]["environment"].items()}
    environment["HUB_AUDIT_SUBJECT_KEY"] = "x" * 32

    for cls in (Settings, NoticeSettings, PerfSettings):
        cls.model_validate({key.removeprefix("HUB_").lower(): value for key, value in environment.items()})


def test_replicas_start_after_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]

    assert services["migrate"]["command"] == ["hub", "migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("hub", "scheduler"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def test_referenced_files_exist(compose: dict[str, Any]) -> None:
    sources = [entry["file"] for entry in compose["secrets"].values()]
    mounts = [
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]

    assert (REPO / compose["x-hub-image"]["build"]["context"].removeprefix("../")).is_dir()
    for mount in mounts:
        assert (DOCKER / mount).exists(), mount
    for source in sources:
        assert source.startswith("./secrets/"), f"secret {source} lives outside docker/secrets/"


def test_scheduled_commands_exist() -> None:
    script = (DOCKER / "scheduler.sh").read_text(encoding="utf-8")
    commands = set(re.findall(r"\brun hub ([a-z-]+)", script))

    assert commands == {"poll", "deliver", "receipts", "poll-identity", "relink", "audit"}
    for command in commands:
        assert command in hub_cli.commands, f"scheduler.sh runs `hub {command}`, which does not exist"


def test_dockerfile_user_is_not_root(dockerfile: list[str]) -> None:
    users = instructions(dockerfile, "USER")

    assert users, "the Dockerfile has no USER line"
    assert users[-1].split(":")[0] not in ROOT_USERS


def test_dockerfile_has_healthcheck(dockerfile: list[str]) -> None:
    healthchecks = instructions(dockerfile, "HEALTHCHECK")

    assert len(healthchecks) == 1
    assert "CMD" in healthchecks[0]
    assert "healthcheck.py" in healthchecks[0]


def test_dockerfile_serves_the_hub(dockerfile: list[str]) -> None:
    text = "\n".join(dockerfile)

    assert instructions(dockerfile, "FROM") == ["python:3.11-slim"]
    assert instructions(dockerfile, "CMD") == ['["hub", "serve"]']
    assert "HUB_HOST=0.0.0.0" in text
    assert "pip install '.[tracing]' " in text
    assert "[test]" not in text
    for variable in HUB_VARIABLE.findall(text):
        assert variable in settings_variables(), variable


def test_entrypoint_exports_secret_files(tmp_path: Path) -> None:
    (tmp_path / "HUB_AUDIT_SUBJECT_KEY").write_text("subject-key-of-32-characters-xx\n", encoding="utf-8")
    (tmp_path / "PGPASSWORD").write_text("pg-secret", encoding="utf-8")
    (tmp_path / "audit-checkpoint-key.pem").write_text("not a variable", encoding="utf-8")

    result = subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh"), "env"],
        env={"PATH": "/usr/bin:/bin", "SECRETS_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    exported = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)

    assert exported["HUB_AUDIT_SUBJECT_KEY"] == "subject-key-of-32-characters-xx"
    assert exported["PGPASSWORD"] == "pg-secret"
    assert "audit-checkpoint-key.pem" not in exported


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
        pass


@pytest.fixture
def health_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(("path", "status"), [("/healthz", 0), ("/readyz", 1)])
def test_healthcheck_script_exit_status(health_server: int, path: str, status: int) -> None:
    url = f"http://127.0.0.1:{health_server}{path}"
    result = subprocess.run(
        [sys.executable, str(DOCKER / "healthcheck.py"), url], capture_output=True, text=True, timeout=30
    )

    assert result.returncode == status, result.stderr


def test_healthcheck_default_url_uses_hub_port(health_server: int) -> None:
    result = subprocess.run(
        [sys.executable, str(DOCKER / "healthcheck.py")],
        env={"HUB_PORT": str(health_server), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 0, result.stderr


def test_healthcheck_fails_on_closed_port() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = subprocess.run(
        [sys.executable, str(DOCKER / "healthcheck.py"), f"http://127.0.0.1:{port}/healthz"],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 1
    assert "health check failed" in result.stderr
