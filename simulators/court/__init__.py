"""The court case system stand-in: SOAP 1.1 over HTTP, judgments in its own SQLite file."""

from __future__ import annotations

from simulators.court.app import create_app
from simulators.court.store import create_and_load

__all__ = ["create_and_load", "create_app"]
