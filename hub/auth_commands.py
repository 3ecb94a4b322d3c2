"""``hub token``: mint a demo bearer token signed with the local key (never for production).

The token goes to stdout alone, so ``TOKEN=$(hub token ...)`` works. Notes for the operator
go to stderr.
"""

from __future__ import annotations

from pathlib import Path

import click

from adapters.errors import AGENCY_NAMES_ZH, ROLE_NAMES_ZH
from adapters.regions import PREFECTURE_CODE
from hub.auth import (
    DEFAULT_KEY_FILE,
    Role,
    Unit,
    UnitAgency,
    load_or_create_key,
    mint_token,
    parse_unit,
)
from hub.policy import ROLE_AGENCIES

ROLE_CHOICES = ", ".join(role.value for role in Role)
AGENCY_CHOICES = ", ".join(agency.value for agency in UnitAgency)
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


def _parse_unit_option(unit: str) -> Unit:
    """Parse ``--unit``, naming what is wrong in both languages when it is invalid."""
    agency, _, county = unit.partition(":")
    try:
        return parse_unit(agency, county)
    except ValueError as exc:
        problem_zh, problem_en = _unit_problem(agency, county)
        raise click.BadParameter(
            f"单位无效：“{unit}”，{problem_zh}。应写作“机构:行政区划代码”，如 court:513401。"
            f" / Invalid unit '{unit}': {problem_en}; write it as AGENCY:COUNTY, e.g. court:513401.",
            param_hint="--unit",
        ) from exc


def _unit_problem(agency: str, county: str) -> tuple[str, str]:
    """Name the part of a unit that ``parse_unit`` rejects, in zh-CN and English."""
    if agency not in UnitAgency.__members__.values():
        return (
            f"机构“{agency}”未知，机构为 {AGENCY_CHOICES} 之一",
            f"the agency '{agency}' is unknown (agencies: {AGENCY_CHOICES})",
        )
    if not county:
        return (
            f"缺少行政区划代码：州级单位为 {PREFECTURE_CODE}，县级单位为凉山州所辖县市的代码",
            f"the county code is missing ({PREFECTURE_CODE} for the prefecture, or a Liangshan county code)",
        )
    return (
        f"行政区划代码“{county}”既不是 {PREFECTURE_CODE}（州级），也不是凉山州所辖县市的代码",
        f"the county code '{county}' is neither {PREFECTURE_CODE} (prefecture) nor a Liangshan county code",
    )


def _require_fitting_roles(roles: tuple[str, ...], unit: Unit) -> None:
    """Reject a role that ``hub.policy`` grants nothing in the unit's agency."""
    for value in roles:
        fitting = sorted(ROLE_AGENCIES[Role(value)])
        if unit.agency in fitting:
            continue
        kinds_zh = "、".join(f"{AGENCY_NAMES_ZH[agency.value]}（{agency.value}）" for agency in fitting)
        kinds_en = " or ".join(agency.value for agency in fitting)
        example = f"{fitting[0].value}:{unit.county}"
        raise click.BadParameter(
            f"角色 {ROLE_NAMES_ZH[value]}（{value}）只属于{kinds_zh}单位，在 {unit} 没有任何权限，"
            f"请改用如 --unit {example}。"
            f" / Role {value} acts only in a {kinds_en} unit and has no rights in {unit};"
            f" use a unit such as --unit {example}.",
            param_hint="--unit",
        )


def _warn_new_key(key_file: Path) -> None:
    """Warn on stderr that a new key signed the token, so the hub must read that key file to accept it."""
    path = key_file.resolve()
    click.echo(
        f"已生成新的签名密钥：{path}。枢纽须读取同一密钥文件（HUB_AUTH_KEY_FILE）才会接受此令牌；"
        "在仓库根目录以外运行时，请用 --key-file 指向枢纽所用的密钥。"
        f" / Created a new signing key at {path}. The hub accepts this token only if it reads"
        " the same key file (HUB_AUTH_KEY_FILE); outside the repository root, point --key-file"
        " at the hub's key.",
        err=True,
    )


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
    parsed = _parse_unit_option(unit)
    _require_fitting_roles(roles, parsed)

    key_existed = key_file.exists()
    key = load_or_create_key(key_file)
    if not key_existed:
        _warn_new_key(key_file)
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
