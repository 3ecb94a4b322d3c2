"""One settings object: every section read once, passed on whole, unknown names reported."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from adapters.records import Agency
from hub.app import create_app
from hub.cli import hub as hub_cli
from hub.notices.config import NoticeSettings
from hub.security_setup import SecuritySetupError, token_verifier
from hub.settings import Settings, unknown_variables
from hub.settings_perf import PerfSettings
from tests.standins import standins


def test_settings_serves_as_each_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_COURT_TIMEOUT_S", "7")
    monkeypatch.setenv("HUB_DELIVER_BATCH_SIZE", "3")
    monkeypatch.setenv("HUB_CACHE_TTL_POLICE_S", "11")

    settings = Settings()

    assert isinstance(settings, NoticeSettings)
    assert isinstance(settings, PerfSettings)
    assert settings.timeouts()[Agency.COURT] == 7
    assert settings.deliver_batch_size == 3
    assert settings.cache_ttls()[Agency.POLICE] == 11


async def test_app_uses_the_store_the_settings_object_names(tmp_path: Path) -> None:
    store = tmp_path / "chosen.sqlite"
    app = create_app(Settings(store_url=f"sqlite+aiosqlite:///{store}"), adapters=standins())

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            response = await client.get("/healthz")

    assert response.status_code == 200
    assert store.exists()


def test_unknown_names_get_the_closest_known_name() -> None:
    found = unknown_variables(
        {"HUB_CACHE_TTL_CORTS_S": "5", "HUB_PORT": "8000", "HUB_NO_SUCH_THING": "1", "PATH": "/bin"}
    )

    assert found == [("HUB_CACHE_TTL_CORTS_S", "HUB_CACHE_TTL_COURT_S"), ("HUB_NO_SUCH_THING", None)]


def test_command_warns_of_misspelt_variable(tmp_path: Path) -> None:
    env = {
        "HUB_STORE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}",
        "HUB_CACHE_TTL_CORTS_S": "5",
    }

    result = CliRunner().invoke(hub_cli, ["migrate"], env=env)

    assert result.exit_code == 0, result.output
    assert "未知配置变量 HUB_CACHE_TTL_CORTS_S（是否应为 HUB_CACHE_TTL_COURT_S？）" in result.stderr
    assert "unknown setting HUB_CACHE_TTL_CORTS_S (did you mean HUB_CACHE_TTL_COURT_S?)" in result.stderr


def test_command_stops_on_invalid_value() -> None:
    result = CliRunner().invoke(hub_cli, ["migrate"], env={"HUB_LEASE_S": "-1"})

    assert result.exit_code == 1
    assert "配置无效" in result.output
    assert "HUB_LEASE_S" in result.output


def test_production_without_keys_stops_serve_with_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # serve's own log set-up would replace the test runner's handlers for later tests.
    monkeypatch.setattr("hub.cli.configure_logging", lambda level: None)
    env = {"HUB_ENV": "production", "HUB_STORE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"}

    result = CliRunner().invoke(hub_cli, ["serve", "--port", "18999"], env=env)

    assert result.exit_code == 1
    assert "生产环境须设置 HUB_AUTH_JWKS_FILE 或 HUB_AUTH_JWKS_URL" in result.output
    assert "Production needs HUB_AUTH_JWKS_FILE or HUB_AUTH_JWKS_URL" in result.output
    assert "Production needs HUB_AUDIT_SUBJECT_KEY" in result.output  # both missing keys at once
    assert "Traceback" not in result.output


def test_unreadable_jwks_file_names_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-jwks.json"
    broken = tmp_path / "broken-jwks.json"
    broken.write_text("{not json", encoding="utf-8")

    for path in (missing, broken):
        with pytest.raises(SecuritySetupError, match="HUB_AUTH_JWKS_FILE"):
            token_verifier(Settings(auth_jwks_file=path))


def test_variable_names_match_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_port", "8123")

    assert Settings().port == 8123
    assert unknown_variables({"HUB_port": "8123", "hub_tracing": "off"}) == []


@pytest.mark.parametrize(("written", "read"), [("", "off"), ("OFF", "off"), (" Console ", "console")])
def test_tracing_accepts_any_case_and_empty(written: str, read: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_TRACING", written)
    monkeypatch.setenv("HUB_LOG_LEVEL", "debug")

    settings = Settings()

    assert settings.tracing == read
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("variable", "value", "zh"),
    [
        ("HUB_LEASE_S", "-1", "HUB_LEASE_S 应大于 0。"),
        ("HUB_PORT", "abc", "HUB_PORT 应为整数"),
        ("HUB_TRACING", "bogus", "HUB_TRACING 应为以下之一：'off'、'otlp'、'console'"),
        ("HUB_AUTH_ALGORITHMS", "[1]", "HUB_AUTH_ALGORITHMS 应为文本"),
        ("HUB_BUREAU_ENDPOINTS", "not json", "HUB_BUREAU_ENDPOINTS 应为有效的 JSON"),
    ],
)
def test_invalid_values_are_explained_in_chinese_first(variable: str, value: str, zh: str) -> None:
    result = CliRunner().invoke(hub_cli, ["notices"], env={variable: value})

    assert result.exit_code == 1
    assert f"配置无效：{zh}" in result.output
    assert f"Invalid settings: {variable}" in result.output
    assert "Traceback" not in result.output
    assert f"{variable}_" not in result.output
