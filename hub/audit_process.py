"""Commit lookup audit groups to a SQLite store from a child process of the serving hub.

On a SQLite file the group writer (``hub.audit_group``) runs each transaction in a thread.
That thread shares the serving process's GIL with the event loop: it takes the GIL back
after every SQLite call, and it builds each entry's payload and hash with the GIL held.
Under load the loop then sat idle about a fifth of the time (``bench.throughput`` on a
2-core machine: the loop thread ran 79 % of the wall time with the thread, 98 % with the
writes left out). A child process has a GIL of its own, so the loop only sends each group
and reads back its sequences.

The parent and the child talk over a socket pair: each message is a 4-byte big-endian
length and a pickle. The parent sends the store URL, the checkpoint key and the checkpoint
interval once, then one group of entries at a time, each entry as a list of its field
values (``pack``): pickling the dataclasses themselves cost about 16 µs an entry on the
event loop, the lists about 3. The child replies to each group with its
``AppendedEntry`` list (as tuples), or with the type and text of the exception that rolled it back.
Both ends are this module, so the pickles come only from the hub's own code.

The child runs in a session of its own, so a Ctrl-C or a SIGTERM sent to the hub's process
group does not stop it in the middle of a group. It exits when the parent closes the
socket, at shutdown or when the parent dies. A child found dead before a group is replaced
at once. A group that was under way when the child died fails, as a failed transaction
does, and the next group starts a new child.

    python -m hub.audit_process FD    (started by ``AuditProcess``, never by hand)
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import operator
import os
import pickle  # noqa: S403 - messages between the hub and its own child, see the module doc
import socket
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from hub.audit import AppendedEntry, AuditEntry, CheckpointSigner, ReturnedRecord
from hub.security_setup import AuditLog
from hub.store.engine import blocking_sqlite_engine, sqlite_file

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
# Seconds the parent waits for a new child to open the store, and for a closed one to exit.
START_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 10.0
# The directory that contains the ``hub`` package, for the child's import path.
_SOURCE_ROOT = str(Path(__file__).resolve().parent.parent)

_ENTRY_FIELDS = tuple(item.name for item in dataclasses.fields(AuditEntry))
_RECORDED_AT = _ENTRY_FIELDS.index("recorded_at")
_RETURNED = _ENTRY_FIELDS.index("returned")
_entry_values = operator.attrgetter(*_ENTRY_FIELDS)
_record_values = operator.attrgetter(*(item.name for item in dataclasses.fields(ReturnedRecord)))
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


class AuditProcessError(RuntimeError):
    """Raised when the child could not commit a group: it failed the transaction, or it died."""


class AuditProcess:
    """One child process that commits audit groups to the SQLite store at ``store_url``.

    ``append`` sends one group at a time. ``hub.audit_group.AuditGroupWriter`` already
    commits one group at a time per process, and a lock keeps it so for any other caller.
    """

    def __init__(self, store_url: str, audit: AuditLog) -> None:
        if sqlite_file(store_url) is None:
            # The URL itself is left out: another store's URL may carry its password.
            raise ValueError(
                "the audit child process needs a SQLite file store, not memory or another database"
            )
        self.store_url = store_url
        self.audit = audit
        self._lock = asyncio.Lock()
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def pid(self) -> int | None:
        """Return the child's process id, or None while no child runs."""
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        """Start the child unless it runs; return once it has opened the store."""
        async with self._lock:
            await self._running()

    async def append(self, entries: Sequence[AuditEntry]) -> list[AppendedEntry]:
        """Commit ``entries`` as one group in the child and return what it appended."""
        async with self._lock:
            reader, writer = await self._running()
            try:
                await _send(writer, [pack(entry) for entry in entries])
                reply = await _receive(reader)
            except BaseException as exc:
                # Died, or cancelled half-way: the next group must not read this group's reply.
                pid = self.pid
                await self._stop(kill=True)
                if not isinstance(exc, Exception):
                    raise
                logger.error(
                    "audit child process %s failed during a group of %d entries (%s); the next group"
                    " starts another",
                    pid,
                    len(entries),
                    type(exc).__name__,
                )
                raise AuditProcessError(f"audit child process failed: {type(exc).__name__}") from exc
        if reply[0] == "ok":
            return [AppendedEntry(*values) for values in reply[1]]
        logger.error(
            "audit group of %d entries rolled back in the child: %s: %s", len(entries), reply[1], reply[2]
        )
        raise AuditProcessError(f"audit group rolled back in the child: {reply[1]}: {reply[2]}")

    async def aclose(self) -> None:
        """Close the socket, so that the child exits, and wait for it."""
        async with self._lock:
            await self._stop(kill=False)

    async def _running(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._process is not None and self._process.returncode is not None:
            logger.error(
                "audit child process %d exited with %s; starting another",
                self._process.pid,
                self._process.returncode,
            )
            await self._stop(kill=True)
        if self._reader is None or self._writer is None:
            await self._spawn()
        assert self._reader is not None and self._writer is not None
        return self._reader, self._writer

    async def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            path = os.pathsep.join(filter(None, [_SOURCE_ROOT, os.environ.get("PYTHONPATH")]))
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "hub.audit_process",
                str(theirs.fileno()),
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path},
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        key = self.audit.signer.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            self._reader, self._writer = await asyncio.open_unix_connection(sock=ours)
            async with asyncio.timeout(START_TIMEOUT_S):
                await _send(self._writer, (self.store_url, key, self.audit.checkpoint_every))
                reply = await _receive(self._reader)
        except BaseException:
            ours.close()  # closed already when the stream took it; a second close does nothing
            await self._stop(kill=True)
            raise
        if reply[0] != "ready":
            await self._stop(kill=True)
            raise AuditProcessError(f"audit child process could not open the store: {reply[1]}: {reply[2]}")
        logger.info("audit child process %d started", self._process.pid)

    async def _stop(self, *, kill: bool) -> None:
        process, writer = self._process, self._writer
        self._process = self._reader = self._writer = None
        if writer is not None:
            writer.close()
        if process is None:
            return
        if kill and process.returncode is None:
            process.kill()
        try:
            await asyncio.wait_for(process.wait(), EXIT_TIMEOUT_S)
        except TimeoutError:
            logger.error(
                "audit child process %d did not exit within %.0f s; killing it", process.pid, EXIT_TIMEOUT_S
            )
            process.kill()
            await process.wait()


def pack(entry: AuditEntry) -> list[Any]:
    """Return the field values in order, the time as microseconds since 1970 and the records as tuples."""
    values = list(_entry_values(entry))
    values[_RECORDED_AT] = (entry.recorded_at - _EPOCH) // _MICROSECOND
    values[_RETURNED] = tuple(map(_record_values, entry.returned))
    return values


def unpack(values: list[Any]) -> AuditEntry:
    """Rebuild the entry that ``pack`` took apart."""
    values = list(values)
    values[_RECORDED_AT] = _EPOCH + values[_RECORDED_AT] * _MICROSECOND
    values[_RETURNED] = tuple(ReturnedRecord(*record) for record in values[_RETURNED])
    return AuditEntry(*values)


async def _send(writer: asyncio.StreamWriter, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    writer.write(_LENGTH.pack(len(data)) + data)
    await writer.drain()


async def _receive(reader: asyncio.StreamReader) -> Any:
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))  # noqa: S301 - from the hub's own child


def _send_blocking(sock: socket.socket, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_LENGTH.pack(len(data)) + data)


def _receive_blocking(sock: socket.socket) -> Any | None:
    """Return the next message, or None once the parent has closed the socket."""
    header = _read_exactly(sock, _LENGTH.size)
    if header is None:
        return None
    (length,) = _LENGTH.unpack(header)
    data = _read_exactly(sock, length)
    if data is None:
        return None
    return pickle.loads(data)  # noqa: S301 - from the hub that started this process


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def serve(sock: socket.socket) -> None:
    """Open the store the parent names, then commit each group it sends until it closes the socket."""
    init = _receive_blocking(sock)
    if init is None:
        return
    store_url, key_pem, checkpoint_every = init
    try:
        engine = blocking_sqlite_engine(store_url)
        if engine is None:
            raise ValueError("not a SQLite file store")
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise ValueError("the checkpoint key is not an Ed25519 private key")
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        _send_blocking(sock, ("failed", type(exc).__name__, str(exc)))
        return
    audit = AuditLog(CheckpointSigner(key), checkpoint_every)
    _send_blocking(sock, ("ready",))
    try:
        while (packed := _receive_blocking(sock)) is not None:
            try:
                entries = [unpack(values) for values in packed]
                with engine.begin() as conn:
                    appended = audit.record_many_blocking(conn, entries)
            except Exception as exc:  # noqa: BLE001 - the parent fails the group's callers with it
                _send_blocking(sock, ("failed", type(exc).__name__, str(exc)))
                continue
            _send_blocking(
                sock, ("ok", [(item.sequence, item.entry_hash, item.checkpointed) for item in appended])
            )
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1 or not args[0].isdigit():
        sys.exit("usage: python -m hub.audit_process FD (started by the hub, not by hand)")
    with socket.socket(fileno=int(args[0])) as sock:
        try:
            serve(sock)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the parent has exited, so no reply can be sent


if __name__ == "__main__":
    main()
