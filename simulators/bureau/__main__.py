"""``python -m simulators.bureau --db PATH --port PORT``: run the justice-bureau stand-in."""

from __future__ import annotations

import click
import uvicorn

from simulators.bureau.app import create_app
from simulators.bureau.faults import FAULTS, FaultConfig


@click.command()
@click.option("--db", "db_path", required=True, help="SQLite file for accepted notices and receipts.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8083, show_default=True, type=int)
@click.option(
    "--failure-rate", default=0.0, show_default=True, type=float, help="0..1 share of deliveries that fail."
)
@click.option("--fault", default="http_500", show_default=True, type=click.Choice(FAULTS))
@click.option("--fail-next", default=0, show_default=True, type=int, help="The next N deliveries fail.")
@click.option("--latency-ms", default=0, show_default=True, type=int)
@click.option(
    "--timeout-s", default=30.0, show_default=True, type=float, help="How long the timeout fault waits."
)
@click.option(
    "--auto-receipt-s",
    default=None,
    type=float,
    help="Record a receipt N seconds after acceptance, reported in 1-12 days after the effective date.",
)
@click.option("--seed", default=None, type=int, help="Seeds the failure draws and demo reporting days.")
def main(
    db_path: str,
    host: str,
    port: int,
    failure_rate: float,
    fault: str,
    fail_next: int,
    latency_ms: int,
    timeout_s: float,
    auto_receipt_s: float | None,
    seed: int | None,
) -> None:
    """司法局社区矫正接收服务（模拟）。"""
    faults = FaultConfig(
        failure_rate=failure_rate,
        fault=fault,
        fail_next=fail_next,
        latency_ms=latency_ms,
        timeout_s=timeout_s,
        auto_receipt_s=auto_receipt_s,
        seed=seed,
    )
    uvicorn.run(
        create_app(db_path, faults), host=host, port=port, timeout_graceful_shutdown=2, log_level="warning"
    )


if __name__ == "__main__":
    main()
