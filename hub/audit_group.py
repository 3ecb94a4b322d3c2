"""Group commit for audit entries that record no other change: lookups and person searches.

A lookup returns its result only after its audit entry has committed. Giving every entry
its own transaction makes concurrent lookups queue on the chain head, one commit each.
Here the entries that arrive while a transaction is open wait for the next one, which
chains them all under one head lock and commits once. Each caller still resumes only after
its own entries are durable. A transaction that fails fails every caller in it, so no
lookup returns a result without its entry. Before it takes a group, the writer lets a few
loop rounds pass (``DEFAULT_GATHER_ROUNDS``), so that lookups already under way join it.

Notice state changes do not come here: their entry must commit with the change it records,
in the caller's transaction (``hub.audit.append``).

On a SQLite file the writer runs each transaction in a thread of its own, on a synchronous
connection (``hub.store.engine.blocking_twin``). Through aiosqlite every statement is a
hand-off to the connection's thread and back, five per transaction, and a lone lookup
waited 2 to 3 ms for them after its last agency responded. In a serving process the
transaction runs in a child process instead (``hub.audit_process``), which leaves the
event loop the GIL. SQLite's write lock still orders these transactions with every other
writer's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import AppendedEntry, AuditEntry
from hub.audit_process import AuditProcess
from hub.security_setup import AuditLog
from hub.store.engine import blocking_twin

logger = logging.getLogger(__name__)

DEFAULT_MAX_GROUP = 500
# Loop rounds the writer lets pass before it takes a group. Lookups in progress then join
# it, so a busy hub commits fewer, larger groups. On SQLite every statement of a
# transaction hands the GIL to the writer's thread and back, so under load each
# transaction saved also spares the loop. Measured on a 2-core machine: 8 rounds took
# warm lookups from about 1,400 to 1,590 a second. An idle loop passes 8 rounds in
# microseconds, and the fan-out benchmark's lone lookups did not slow down.
DEFAULT_GATHER_ROUNDS = 8
# The same with a child process writing (``hub.audit_process``), which takes no GIL from the
# loop. There lookups wait on the group being committed, so the writer takes the next
# group sooner. Measured on a 2-core machine (``bench.throughput``): with 8 rounds the loop
# thread ran about 79 % of the wall time and served about 2,300 lookups a second, with 2
# rounds 93 to 96 % and about 2,450 to 2,550.
# NOTE: measured only with 32 connections on one machine, where 4 rounds lost a sixth.
DEFAULT_CHILD_GATHER_ROUNDS = 2

_Waiter = tuple[list[AuditEntry], "asyncio.Future[list[int]]"]


class AuditGroupWriter:
    """Append entries in shared transactions; one transaction at a time per process."""

    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        *,
        max_group: int = DEFAULT_MAX_GROUP,
        gather_rounds: int | None = None,
        child_process: bool = False,
    ) -> None:
        """``child_process`` commits on a SQLite file from a child process (``hub.audit_process``).

        It has no effect on another store, whose driver runs on the event loop.
        ``gather_rounds`` defaults to ``DEFAULT_CHILD_GATHER_ROUNDS`` with a child process,
        else to ``DEFAULT_GATHER_ROUNDS``.
        """
        if max_group < 1:
            raise ValueError(f"max_group must be 1 or more, got {max_group}")
        if gather_rounds is not None and gather_rounds < 0:
            raise ValueError(f"gather_rounds must be 0 or more, got {gather_rounds}")
        self.engine = engine
        self.audit = audit
        self.max_group = max_group
        self._waiting: deque[_Waiter] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self.blocking_engine = blocking_twin(engine)
        self.child: AuditProcess | None = None
        if child_process and self.blocking_engine is not None:
            self.child = AuditProcess(engine.url.render_as_string(hide_password=False), audit)
        if gather_rounds is None:
            gather_rounds = DEFAULT_CHILD_GATHER_ROUNDS if self.child is not None else DEFAULT_GATHER_ROUNDS
        self.gather_rounds = gather_rounds
        # Started at the first commit, and again after ``aclose``: the app's lifespan may run twice.
        self._thread: ThreadPoolExecutor | None = None

    async def append(self, entries: Sequence[AuditEntry]) -> list[int]:
        """Return the sequences of ``entries``, in order, once their transaction has committed."""
        if not entries:
            return []
        future: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._waiting.append((list(entries), future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain(), name="audit-group-commit")
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                for _ in range(self.gather_rounds):
                    await asyncio.sleep(0)
                await self._commit(self._next_group())
        except BaseException:
            # Cancelled (the app is shutting down): no task will drain the rest, so no caller
            # may be left waiting on a future that never completes.
            while self._waiting:
                self._waiting.popleft()[1].cancel()
            raise
        finally:
            self._drainer = None

    def _next_group(self) -> list[_Waiter]:
        """Take waiters in arrival order up to ``max_group`` entries; one caller's entries stay together."""
        group = [self._waiting.popleft()]
        size = len(group[0][0])
        while self._waiting and size + len(self._waiting[0][0]) <= self.max_group:
            waiter = self._waiting.popleft()
            group.append(waiter)
            size += len(waiter[0])
        return group

    async def _commit(self, group: list[_Waiter]) -> None:
        entries = [entry for waiting, _ in group for entry in waiting]
        try:
            appended = await self._write(entries)
        except Exception as exc:
            logger.error("audit group of %d entries failed to commit: %s", len(entries), type(exc).__name__)
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:
            for _, future in group:
                future.cancel()
            raise

        sequences = iter(item.sequence for item in appended)
        for waiting, future in group:
            caller_sequences = [next(sequences) for _ in waiting]
            if not future.done():
                future.set_result(caller_sequences)

    async def _write(self, entries: list[AuditEntry]) -> list[AppendedEntry]:
        """Append and commit ``entries`` in one transaction."""
        if self.blocking_engine is None:
            async with self.engine.begin() as conn:
                return await self.audit.record_many(conn, entries)
        if self.child is not None:
            return await self.child.append(entries)
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-commit")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._write_blocking, entries)

    def _write_blocking(self, entries: list[AuditEntry]) -> list[AppendedEntry]:
        assert self.blocking_engine is not None
        with self.blocking_engine.begin() as conn:
            return self.audit.record_many_blocking(conn, entries)

    async def start(self) -> None:
        """Start the child process now, if the writer has one, rather than at the first commit."""
        if self.child is not None:
            await self.child.start()

    async def aclose(self) -> None:
        """Commit what is queued, then close the writer's own connection and thread, or its child.

        A later ``append`` starts them again.
        """
        if self._drainer is not None:
            await asyncio.wait([self._drainer])
        if self.child is not None:
            await self.child.aclose()
        thread, self._thread = self._thread, None
        if thread is None or self.blocking_engine is None:
            return
        loop = asyncio.get_running_loop()
        # The connection belongs to the writer's thread, so it is closed there. The thread has
        # no other work left, so shutting it down does not block the loop.
        await loop.run_in_executor(thread, self.blocking_engine.dispose)
        thread.shutdown(wait=False)
