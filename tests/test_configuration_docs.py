"""docs/configuration.md lists every HUB_* variable with the default the code uses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from hub.notices.config import NoticeSettings
from hub.settings import OTHER_VARIABLES, GatewaySettings, Settings, known_variables
from hub.settings_perf import PerfSettings

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "configuration.md"
SETTINGS_CLASSES: tuple[type[BaseSettings], ...] = (GatewaySettings, NoticeSettings, PerfSettings)

# Variables read with os.environ outside the settings classes: the demo and the test suite.
ENVIRON_READ = re.compile(r"""environ(?:\.get)?[(\[]\s*["'](HUB_[A-Z0-9_]+)["']""")
DEMO_DEFAULT = re.compile(r"""os\.environ\.get\(\s*"(HUB_DEMO_[A-Z0-9_]+)",\s*"([^"]*)"\s*\)""")
ROW = re.compile(r"^\| `(HUB_[A-Z0-9_]+)` \|(.*)\|\s*$")


def documented_rows() -> dict[str, list[str]]:
    """Map each variable of the page's tables to its cells after the name."""
    rows: dict[str, list[str]] = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def settings_fields() -> list[tuple[str, str, FieldInfo]]:
    return [
        (cls.__name__, f"HUB_{name.upper()}", field)
        for cls in SETTINGS_CLASSES
        for name, field in cls.model_fields.items()
    ]


def environ_variables() -> set[str]:
    sources = [
        *(REPO / "hub").rglob("*.py"),
        *(REPO / "simulators").rglob("*.py"),
        REPO / "tests" / "conftest.py",
    ]
    return {name for path in sources for name in ENVIRON_READ.findall(path.read_text(encoding="utf-8"))}


def default_of(field: FieldInfo) -> Any:
    return field.default_factory() if field.default_factory is not None else field.default


def matches_default(cell: str, default: Any) -> bool:
    """Compare the Default cell of a row with the field's default value."""
    text = cell.strip("`")
    if default is None:
        return cell == "unset"
    if isinstance(default, bool):
        return text == str(default).lower()
    if isinstance(default, int | float):
        return float(text) == float(default)
    if isinstance(default, tuple | dict):
        return json.loads(text) == (list(default) if isinstance(default, tuple) else default)
    return text == str(default)


@pytest.mark.parametrize(("owner", "variable", "field"), settings_fields(), ids=lambda value: str(value))
def test_settings_field_is_documented(owner: str, variable: str, field: FieldInfo) -> None:
    rows = documented_rows()

    assert variable in rows, f"{owner}.{variable} has no row in docs/configuration.md"
    assert len(rows[variable]) == 4, f"{variable}: expected Type | Unit | Default | Meaning"
    default_cell = rows[variable][2]
    assert matches_default(default_cell, default_of(field)), (
        f"{variable}: the page says {default_cell}, {owner} says {default_of(field)!r}"
    )


def test_demo_defaults_match_the_page() -> None:
    rows = documented_rows()
    defaults = DEMO_DEFAULT.findall((REPO / "hub" / "demo.py").read_text(encoding="utf-8"))

    assert defaults, "hub/demo.py reads no HUB_DEMO_* variable any more; update this test"
    for variable, default in defaults:
        assert variable in rows, f"{variable} has no row in docs/configuration.md"
        assert rows[variable][2].strip("`") == default, (
            f"{variable}: the page's default differs from hub/demo.py"
        )


def test_environ_reads_are_documented() -> None:
    rows = documented_rows()

    for variable in sorted(environ_variables()):
        assert variable in rows, f"{variable} is read from the environment but has no row"


def test_page_lists_no_unknown_variable() -> None:
    known = {variable for _, variable, _ in settings_fields()} | environ_variables()

    for variable in documented_rows():
        assert variable in known, f"docs/configuration.md lists {variable}, which no code reads"


def test_settings_holds_every_section_field() -> None:
    sections = {f"HUB_{name.upper()}" for cls in SETTINGS_CLASSES for name in cls.model_fields}

    assert {f"HUB_{name.upper()}" for name in Settings.model_fields} == sections


def test_unknown_variable_check_covers_environ_reads() -> None:
    assert environ_variables() <= known_variables()
    assert OTHER_VARIABLES <= set(documented_rows())
