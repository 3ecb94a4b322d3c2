"""Run the court stand-in: ``python -m simulators.court --db PATH --port PORT``."""

from __future__ import annotations

import argparse
import importlib
import os

import uvicorn

from simulators.court import create_and_load, create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m simulators.court", description=__doc__)
    parser.add_argument("--db", required=True, help="path of the court's SQLite database")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument(
        "--load-dataset", action="store_true", help="create the database from build_dataset() when missing"
    )
    args = parser.parse_args(argv)

    if args.load_dataset and not os.path.exists(args.db):
        # Imported late: the data set module is only needed to create a fresh database.
        dataset = importlib.import_module("simulators.dataset").build_dataset()
        create_and_load(args.db, dataset)
    app = create_app(args.db, latency_ms=args.latency_ms, failure_rate=args.failure_rate)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
