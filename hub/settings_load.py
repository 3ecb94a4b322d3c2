"""Load ``Settings`` for a command: a bad value stops it in both languages, unknown names warn."""

from __future__ import annotations

import os
import re
from typing import Any

import click
from pydantic import ValidationError
from pydantic_settings import SettingsError

from hub.settings import Settings, unknown_variables

# The expected form of a value, by pydantic error type; ``{...}`` fields come from the error's ctx.
REASONS_ZH = {
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "literal_error": "应为以下之一：{expected}",
    "string_type": "应为文本",
    "json_invalid": "应为有效的 JSON",
    "url_parsing": "应为有效的地址",
}
_FIELD_IN_SETTINGS_ERROR = re.compile(r'field "([a-z0-9_]+)"')


def load_settings() -> Settings:
    """Read every ``HUB_*`` variable once; an invalid value ends the command with exit status 1."""
    try:
        return Settings()
    except ValidationError as exc:
        raise click.ClickException(invalid_settings_message(exc)) from exc
    except SettingsError as exc:
        # pydantic-settings could not decode a JSON value (a list or an object).
        match = _FIELD_IN_SETTINGS_ERROR.search(str(exc))
        name = f"HUB_{match.group(1).upper()}" if match else "HUB_*"
        raise click.ClickException(
            f"配置无效：{name} 应为有效的 JSON。 / Invalid settings: {name} is not valid JSON."
        ) from exc


def invalid_settings_message(exc: ValidationError) -> str:
    """Name each invalid variable with what it should be, in Chinese and then in English.

    Only the variable is named, never a part inside its JSON value, and never the value,
    which may be a secret.
    """
    problems = [(f"HUB_{str(error['loc'][0]).upper()}", error) for error in exc.errors()]
    zh = "；".join(f"{name} {_reason_zh(error)}" for name, error in problems)
    en = "; ".join(f"{name}: {error['msg']}" for name, error in problems)
    return f"配置无效：{zh}。 / Invalid settings: {en}"


def _reason_zh(error: Any) -> str:
    template = REASONS_ZH.get(error["type"], "格式不正确")
    # Bounds as written in the settings: 0 rather than pydantic's 0.0.
    limits = {
        key: f"{value:g}" if isinstance(value, float) else value
        for key, value in (error.get("ctx") or {}).items()
    }
    if isinstance(limits.get("expected"), str):
        # pydantic words the choices in English: "'a', 'b' or 'c'".
        limits["expected"] = limits["expected"].replace(" or ", "、").replace(", ", "、")
    try:
        return template.format(**limits)
    except (KeyError, IndexError):
        return "格式不正确"


def warn_unknown_variables() -> None:
    """Name on stderr each ``HUB_*`` variable that nothing reads, with the likely intended name."""
    for name, guess in unknown_variables(os.environ):
        zh_hint = f"（是否应为 {guess}？）" if guess else ""
        en_hint = f" (did you mean {guess}?)" if guess else ""
        zh = f"警告：未知配置变量 {name}{zh_hint}，已忽略。"
        click.echo(f"{zh} / Warning: unknown setting {name}{en_hint} is ignored.", err=True)
