"""``hub token``: mint a demo bearer token signed with the local key (never for production)."""

from __future__ import annotations

from pathlib import Path

import click

from hub.auth import DEFAULT_KEY_FILE, Role, UnitAgency, load_or_create_key, mint_token, parse_unit

ROLE_CHOICES = ", ".join(role.value for role in Role)
MAX_TTL_MINUTES = 24 * 60


def _known_roles(values: tuple[str, ...]) -> tuple[str, ...]:
    """Check each ``--role`` against the role table, with a message in both languages."""
    known = {role.value for role in Role}
    for value in values:
        if value not in known:
            raise click.BadParameter(
                f"未知角色“{value}”，可选：{ROLE_CHOICES}。"
                f" / Unknown role '{value}'; choose from {ROLE_CHOICES}."
            )
    return values


def _lifetime(minutes: float) -> float:
    if not 1 <= minutes <= MAX_TTL_MINUTES:
        raise click.BadParameter(
            f"有效期须在 1 到 {MAX_TTL_MINUTES} 分钟之间，收到 {minutes:g}。"
            f" / The lifetime must be 1 to {MAX_TTL_MINUTES} minutes, got {minutes:g}."
        )
    return minutes


@click.command(
    "token",
    help=(
        "签发演示用访问令牌（使用本地密钥，首次使用时生成于 ./var/auth/）。仅用于演示，不得用于生产。"
        " / Mint a demo bearer token with the local key (generated under ./var/auth/ on first use)."
    ),
)
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    callback=lambda _context, _parameter, values: _known_roles(values),
    help=f"角色，可重复：{ROLE_CHOICES}。 / Role; repeat for several: {ROLE_CHOICES}.",
)
@click.option(
    "--unit",
    required=True,
    metavar="AGENCY:COUNTY",
    help=(
        "单位：机关:区划代码，如 court:513401；513400 表示全州。"
        " / Unit, e.g. court:513401 (513400: prefecture)."
    ),
)
@click.option(
    "--ttl",
    type=float,
    callback=lambda _context, _parameter, value: _lifetime(value),
    default=60,
    show_default=True,
    help="有效期（分钟）。 / Lifetime in minutes.",
)
@click.option("--user", default=None, help="用户标识，默认 demo-<角色>。 / User id (default: demo-<role>).")
@click.option("--name", default="演示用户", show_default=True, help="显示名称。 / Display name.")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_KEY_FILE,
    show_default=True,
    envvar="HUB_AUTH_KEY_FILE",
    help="签名私钥（PEM），与 HUB_AUTH_KEY_FILE 相同。 / Signing key (PEM), as HUB_AUTH_KEY_FILE.",
)
@click.option("--issuer", default=None, help="令牌签发者 iss。 / Issuer claim.")
@click.option("--audience", default=None, help="令牌受众 aud。 / Audience claim.")
def token(
    roles: tuple[str, ...],
    unit: str,
    ttl: float,
    user: str | None,
    name: str,
    key_file: Path,
    issuer: str | None,
    audience: str | None,
) -> None:
    agency, _, county = unit.partition(":")
    try:
        parsed = parse_unit(agency, county)
    except ValueError as exc:
        agencies = "、".join(agency.value for agency in UnitAgency)
        raise click.BadParameter(
            f"单位无效：{unit!r}，应写作“机构:行政区划代码”，如 court:513401；机构为 {agencies} 之一，"
            f"代码为 513400（州级）或凉山州所辖县（市）代码。 / Invalid unit: {exc}; expected AGENCY:COUNTY,"
            " e.g. court:513401",
            param_hint="--unit",
        ) from exc

    key = load_or_create_key(key_file)
    click.echo(
        mint_token(
            [Role(role) for role in roles],
            parsed,
            key=key,
            user_id=user or f"demo-{roles[0]}",
            name=name,
            ttl_minutes=ttl,
            issuer=issuer,
            audience=audience,
        )
    )
