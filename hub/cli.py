"""The ``hub`` command line: operators run the gateway with ``hub serve``."""

from __future__ import annotations

import os
import sys

import click
import uvicorn
from click.exceptions import NoArgsIsHelpError

from hub.app import create_app
from hub.audit_commands import audit
from hub.auth_commands import token
from hub.identity.commands import COMMANDS as IDENTITY_COMMANDS
from hub.logging import configure_job_logging, configure_logging
from hub.notices.commands import COMMANDS as NOTICE_COMMANDS
from hub.security_setup import SecuritySetupError
from hub.settings_load import load_settings, warn_unknown_variables
from hub.tracing import TracingUnavailable, configure_tracing, shutdown_tracing


@click.group(help="政法数据交换枢纽命令行工具。 / Justice Exchange Hub command line.")
@click.pass_context
def hub(ctx: click.Context) -> None:
    configure_job_logging()
    warn_unknown_variables()
    _start_tracing(ctx)


def _start_tracing(ctx: click.Context) -> None:
    """Export the command's spans when HUB_TRACING is on, flushing them as the command ends."""
    if not any(name.upper() == "HUB_TRACING" for name in os.environ):
        return
    settings = load_settings()
    if settings.tracing == "off":
        return
    try:
        configure_tracing(settings.tracing, sample_ratio=settings.tracing_sample_ratio)
    except TracingUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.call_on_close(shutdown_tracing)


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
    settings = load_settings()
    configure_logging(settings.log_level)

    bind_host = host or settings.host
    bind_port = port or settings.port
    click.echo(
        f"政法数据交换枢纽正在启动：http://{bind_host}:{bind_port}/graphql（{settings.env}）", err=True
    )
    try:
        app = create_app(settings, serving=True)
    except SecuritySetupError as exc:
        raise click.ClickException(str(exc)) from exc
    # uvicorn's access log is off because RequestLogMiddleware writes one line per request.
    uvicorn.run(app, host=bind_host, port=bind_port, log_config=None, access_log=False)


for _command in (*NOTICE_COMMANDS, *IDENTITY_COMMANDS):
    hub.add_command(_command)


hub.add_command(token)
hub.add_command(audit)


def main() -> None:
    """Run the command line. A usage error gets a Chinese line before click's English one."""
    try:
        code = hub.main(prog_name="hub", standalone_mode=False)
    except NoArgsIsHelpError as exc:  # `hub` alone: the help, which is bilingual already
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "hub"
        click.echo(f"{usage_error_zh(exc)}请按下方提示修正，或运行 `{command} --help` 查看用法。", err=True)
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("已中止。 / Aborted.", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def usage_error_zh(exc: click.UsageError) -> str:
    """Return a Chinese sentence naming what is wrong with the command line.

    click's English detail follows it. The typed value is not repeated, because it may be a name.
    """
    if isinstance(exc, click.NoSuchOption):
        return f"没有选项 {exc.option_name}。"
    if isinstance(exc, click.MissingParameter):
        return f"缺少参数 {_param_name(exc)}。"
    if isinstance(exc, click.BadParameter):
        return f"参数 {_param_name(exc)} 的值无效{_expected_zh(exc.param)}。"
    return "命令用法有误。"


def _param_name(exc: click.BadParameter) -> str:
    if exc.param_hint is not None:
        return exc.param_hint if isinstance(exc.param_hint, str) else " / ".join(exc.param_hint)
    if isinstance(exc.param, click.Argument):
        return exc.param.human_readable_name  # NOTICE_ID, as the usage line shows it
    if exc.param is not None:
        return "/".join(exc.param.opts)
    return ""


def _expected_zh(param: click.Parameter | None) -> str:
    """Describe in Chinese the values ``param`` takes, for the types the hub's commands use."""
    kind = param.type if param is not None else None
    if isinstance(kind, click.Choice):
        return "，可选值：" + "、".join(str(choice) for choice in kind.choices)
    if isinstance(kind, click.IntRange):
        if kind.min is not None and kind.max is not None:
            return f"，应为 {kind.min} 到 {kind.max} 之间的整数"
        if kind.min is not None:
            return f"，应为不小于 {kind.min} 的整数"
        return "，应为整数"
    if isinstance(kind, click.DateTime):
        return "，日期应写作 " + " 或 ".join(kind.formats).replace("%Y", "YYYY").replace("%m", "MM").replace(
            "%d", "DD"
        )
    if kind is click.INT:
        return "，应为整数"
    if kind is click.FLOAT:
        return "，应为数字"
    return ""
