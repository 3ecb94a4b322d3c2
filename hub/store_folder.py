"""Check, before a command opens it, that a SQLite store is the hub's own and not a new empty file.

The default store path is relative (``./var/hub.sqlite``), so a command run in another
folder than the hub would open a store of its own. SQLite creates a missing file at the
first connection: a read then finds nothing, and a write lands where no hub reads it.
"""

from __future__ import annotations

from pathlib import Path

import click

from hub.store.engine import missing_sqlite_file


def require_store_file(url: str) -> None:
    """Exit with a usage message when the SQLite file ``url`` names does not exist."""
    missing = missing_sqlite_file(url)
    if missing is not None:
        raise click.ClickException(
            f"枢纽数据库文件不存在：{missing.resolve()}。请在枢纽的工作目录（演示时为仓库根目录）运行，"
            "或设置 HUB_STORE_URL；新部署请先运行 `hub migrate` 建库。"
            f" / The hub store file {missing.resolve()} does not exist. Run the command in the hub's"
            " working folder (the repository's root for the demo) or set HUB_STORE_URL; for a new"
            " deployment, run `hub migrate` first to create it."
        )


def note_new_store_file(url: str) -> Path | None:
    """Warn on stderr when the SQLite file ``url`` names does not exist yet, and return it.

    The command then creates it: right on a first start, a mistake when the hub runs in
    another folder.
    """
    missing = missing_sqlite_file(url)
    if missing is not None:
        click.echo(
            f"注意：枢纽数据库 {missing.resolve()} 不存在，现新建。若枢纽在别的目录运行，"
            "它看不到本命令写入的数据；请在枢纽的工作目录运行，或设置 HUB_STORE_URL。"
            f" / Note: the hub store {missing.resolve()} does not exist and is created now. A hub"
            " running in another folder will not see what this command writes; run it in the hub's"
            " working folder or set HUB_STORE_URL.",
            err=True,
        )
    return missing
