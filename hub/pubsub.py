"""Publish and subscribe for change events: Redis in production, asyncio queues when embedded.

``make_pubsub`` picks the implementation from ``HUB_REDIS_URL``: with a URL every hub
replica sees what any replica publishes; without one, events stay inside the process.
Messages are short strings (JSON); a subscriber that falls behind by ``MAX_BACKLOG``
messages loses the oldest ones, so one slow client cannot hold memory without bound.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, TypedDict

import redis.asyncio as redis

logger = logging.getLogger(__name__)

NOTICE_CHANNEL = "hub:notices:changed"

# Messages kept per in-process subscriber before the oldest is dropped.
MAX_BACKLOG = 1000


class PubSub(Protocol):
    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """Subscribe while the context is open; the subscription is active once it is entered."""
        ...

    async def aclose(self) -> None: ...


class InProcessPubSub:
    """Fan-out to asyncio queues inside one process, for the embedded default."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[str]]] = {}

    def subscribers(self, channel: str) -> int:
        return len(self._queues.get(channel, ()))

    async def publish(self, channel: str, message: str) -> None:
        for queue in self._queues.get(channel, ()):
            if queue.full():
                queue.get_nowait()
                logger.warning("a subscriber to %s fell %d behind; oldest dropped", channel, MAX_BACKLOG)
            queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=MAX_BACKLOG)
        self._queues.setdefault(channel, set()).add(queue)
        try:
            yield _drain(queue)
        finally:
            listeners = self._queues.get(channel, set())
            listeners.discard(queue)
            if not listeners:
                self._queues.pop(channel, None)

    async def aclose(self) -> None:
        self._queues.clear()


async def _drain(queue: asyncio.Queue[str]) -> AsyncIterator[str]:
    while True:
        yield await queue.get()


class RedisPubSub:
    """Redis PUBLISH/SUBSCRIBE through one client; each subscription uses its own connection."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, decode_responses=True)

    async def publish(self, channel: str, message: str) -> None:
        await self._client.publish(channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[str]]:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)
        try:
            yield _redis_messages(pubsub)
        finally:
            await pubsub.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()


async def _redis_messages(pubsub: redis.client.PubSub) -> AsyncIterator[str]:
    async for message in pubsub.listen():
        if message.get("type") == "message":
            yield str(message["data"])


def make_pubsub(redis_url: str | None) -> PubSub:
    """Redis when ``HUB_REDIS_URL`` is set, otherwise in-process queues."""
    if redis_url:
        return RedisPubSub(redis_url)
    return InProcessPubSub()


class NoticeChangeMessage(TypedDict):
    id: int
    county: str | None  # the receiving bureau's county code
    updatedAt: str


@dataclass(frozen=True, slots=True)
class NoticeChange:
    """A notice changed: which one, for which bureau, and the ``updated_at`` it now has."""

    notice_id: int
    bureau_county_code: str | None
    updated_at: str  # ISO 8601, UTC

    def encode(self) -> str:
        message: NoticeChangeMessage = {
            "id": self.notice_id,
            "county": self.bureau_county_code,
            "updatedAt": self.updated_at,
        }
        return json.dumps(message)

    @classmethod
    def decode(cls, text: str) -> NoticeChange | None:
        """Parse a message; None (and a warning) for anything that is not a notice change."""
        try:
            data = json.loads(text)
            return cls(int(data["id"]), data.get("county"), str(data["updatedAt"]))
        except (ValueError, KeyError, TypeError):
            logger.warning("ignored a malformed message on %s", NOTICE_CHANNEL)
            return None


async def publish_notice_change(pubsub: PubSub, change: NoticeChange) -> None:
    """Tell subscribers of every replica that a notice changed; call after the change commits.

    A failed publish is logged, not raised: the change is already committed, and subscribers
    also learn of it from the store watcher in ``hub.notices.views``.
    """
    try:
        await pubsub.publish(NOTICE_CHANNEL, change.encode())
    except (redis.RedisError, OSError) as exc:
        logger.warning("publishing the change of notice %d failed: %s", change.notice_id, type(exc).__name__)
