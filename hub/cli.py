"""The ``hub`` command line: operators run the gateway with ``hub serve``."""

from __future__ import annotations

import click
import uvicorn
from pydantic import ValidationError

from hub.audit_commands import audit
from hub.auth_commands import token
from hub.identity.commands import COMMANDS as IDENTITY_COMMANDS
from hub.logging import configure_logging
from hub.notices.commands import COMMANDS as NOTICE_COMMANDS
from hub.settings import Settings


@click.group(help="政法数据交换枢纽命令行工具。 / Justice Exchange Hub command line.")
def hub() -> None:
    pass


@hub.command(help="启动 GraphQL 网关。 / Serve the GraphQL gateway.")
@click.option(
    "--host", default=None, help="监听地址，默认取 HUB_HOST。 / Address to listen on (default: HUB_HOST)."
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="监听端口，默认取 HUB_PORT。 / TCP port to listen on (default: HUB_PORT).",
)
def serve(host: str | None, port: int | None) -> None:
    settings = _load_settings()
    configure_logging(settings.log_level)

    bind_host = host or settings.host
    bind_port = port or settings.port
    click.echo(
        f"政法数据交换枢纽正在启动：http://{bind_host}:{bind_port}/graphql（{settings.env}）", err=True
    )
    # The factory reads the same HUB_* variables; uvicorn's access log is off because
    # RequestLogMiddleware writes one line per request.
    uvicorn.run(
        "hub.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        log_config=None,
        access_log=False,
    )


def _load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"HUB_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise click.ClickException(f"配置无效，请检查环境变量。 / Invalid settings: {problems}") from exc


for _command in (*NOTICE_COMMANDS, *IDENTITY_COMMANDS):
    hub.add_command(_command)


hub.add_command(token)
hub.add_command(audit)


def main() -> None:
    hub()
