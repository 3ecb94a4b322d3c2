"""Load ``Settings`` for a command: a bad value stops it with both languages, unknown names warn."""

from __future__ import annotations

import os

import click
from pydantic import ValidationError

from hub.settings import Settings, unknown_variables


def load_settings() -> Settings:
    """Read every ``HUB_*`` variable once; an invalid value ends the command with exit status 1."""
    try:
        return Settings()
    except ValidationError as exc:
        raise click.ClickException(invalid_settings_message(exc)) from exc


def invalid_settings_message(exc: ValidationError) -> str:
    problems = "; ".join(
        f"HUB_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in exc.errors()
    )
    return f"配置无效，请检查环境变量。 / Invalid settings: {problems}"


def warn_unknown_variables() -> None:
    """Name on stderr each ``HUB_*`` variable that nothing reads, with the likely intended name."""
    for name, guess in unknown_variables(os.environ):
        zh_hint = f"（是否应为 {guess}？）" if guess else ""
        en_hint = f" (did you mean {guess}?)" if guess else ""
        zh = f"警告：未知配置变量 {name}{zh_hint}，已忽略。"
        click.echo(f"{zh} / Warning: unknown setting {name}{en_hint} is ignored.", err=True)
