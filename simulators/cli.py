"""`hub-simulators`: create and serve the agencies' legacy stand-ins.

The police, prison and justice-bureau stand-ins are databases, which ``serve`` creates as
SQLite files and ``load`` writes into any server SQLAlchemy reaches. ``serve`` also runs
the court's SOAP service over HTTP. Messages are for operators, so they are Chinese first.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import click
import uvicorn

from simulators.dataset import build_dataset
from simulators.model import Dataset

DATABASE_AGENCIES = ("police", "prison", "correction")


def sqlite_url(directory: Path, agency: str) -> str:
    """Return the aiosqlite URL of an agency's stand-in database file in ``directory``."""
    return f"sqlite+aiosqlite:///{(directory / f'{agency}.sqlite').resolve()}"


def load_database(agency: str, url: str, dataset: Dataset) -> None:
    """Drop, create and fill one relational stand-in at ``url``."""
    module = importlib.import_module(f"simulators.{agency}.store")
    module.create_and_load(url, dataset)


def prepare(directory: Path, dataset: Dataset, *, reset: bool) -> dict[str, str]:
    """Create every stand-in's files under ``directory`` unless present; return their URLs."""
    directory.mkdir(parents=True, exist_ok=True)
    urls = {agency: sqlite_url(directory, agency) for agency in DATABASE_AGENCIES}
    for agency, url in urls.items():
        if reset or not (directory / f"{agency}.sqlite").exists():
            load_database(agency, url, dataset)

    court_db = directory / "court.sqlite"
    if reset and court_db.exists():
        court_db.unlink()
    if not court_db.exists():
        importlib.import_module("simulators.court").create_and_load(str(court_db), dataset)
    urls["court"] = str(court_db)
    return urls


@click.group(help="政法数据交换枢纽的各机构遗留系统模拟器（公安、法院、监狱、司法局）。")
def main() -> None:
    pass


@main.command(
    help="生成模拟数据并启动法院 SOAP 服务。Create the stand-ins and serve the court's SOAP service."
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=Path("var/simulators"),
    show_default=True,
    help="Folder for the SQLite files.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--court-port", type=int, default=8101, show_default=True, help="Port of the court SOAP service."
)
@click.option(
    "--court-latency-ms",
    type=int,
    default=0,
    show_default=True,
    help="Latency added to every court call, ms.",
)
@click.option("--reset", is_flag=True, help="Recreate the databases from the data set.")
@click.option("--seed", type=int, default=20261204, show_default=True)
@click.option("--people", type=int, default=2000, show_default=True)
def serve(
    directory: Path, host: str, court_port: int, court_latency_ms: int, reset: bool, seed: int, people: int
) -> None:
    dataset = build_dataset(seed=seed, people=people)
    urls = prepare(directory, dataset, reset=reset)
    showcase = dataset.person(dataset.showcase_person_id)

    click.echo(f"模拟数据已就绪：{len(dataset.people)} 人，目录 {directory}")
    for agency in DATABASE_AGENCIES:
        click.echo(
            f"  HUB_{'CORRECTION' if agency == 'correction' else agency.upper()}_DB_URL={urls[agency]}"
        )
    click.echo(f"  HUB_COURT_URL=http://{host}:{court_port}/ws/court")
    click.echo(f"示例公民身份号码：{showcase.id_number}")

    court_app = importlib.import_module("simulators.court").create_app(
        urls["court"], latency_ms=court_latency_ms
    )
    config = uvicorn.Config(court_app, host=host, port=court_port, log_level="warning")
    click.echo(f"法院 SOAP 服务：http://{host}:{court_port}/ws/court?wsdl （Ctrl+C 停止）")
    asyncio.run(uvicorn.Server(config).serve())


@main.command(help="把一个机构的模拟数据库写入指定数据库。Load one stand-in database into URL.")
@click.argument("agency", type=click.Choice(DATABASE_AGENCIES))
@click.argument("url")
@click.option("--seed", type=int, default=20261204, show_default=True)
@click.option("--people", type=int, default=2000, show_default=True)
def load(agency: str, url: str, seed: int, people: int) -> None:
    load_database(agency, url, build_dataset(seed=seed, people=people))
    click.echo(f"已写入{agency}模拟数据库。")


@main.command(help="打印示例人员的公民身份号码。Print the showcase person's ID number.")
@click.option("--seed", type=int, default=20261204, show_default=True)
@click.option("--people", type=int, default=2000, show_default=True)
def showcase(seed: int, people: int) -> None:
    dataset = build_dataset(seed=seed, people=people)
    click.echo(dataset.person(dataset.showcase_person_id).id_number)
