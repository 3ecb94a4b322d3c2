"""Helpers for the SQL adapter tests: the shared data set, and loopback ports that reject
connections or accept them and never respond."""

from __future__ import annotations

import functools
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from simulators.dataset import build_dataset
from simulators.model import Dataset, SimPerson


@functools.cache
def dataset() -> Dataset:
    return build_dataset()


def first_person(where: Callable[[SimPerson], bool], among: set[int] | None = None) -> SimPerson:
    """Return the first person matching ``where`` (only ``among`` these person ids, if given)."""
    for person in dataset().people:
        if (among is None or person.person_id in among) and where(person):
            return person
    raise LookupError("no person in the data set matches")


@contextmanager
def silent_port() -> Iterator[int]:
    """Yield a loopback port whose kernel backlog accepts connections that never get a response."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def closed_port() -> int:
    """Return a loopback port with no listener, so connecting is rejected."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
