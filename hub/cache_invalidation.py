"""Drop cached agency records when a poller sees a person's records change.

Pollers (``hub poll court``, ``hub poll-identity``) are separate processes, so only a
shared Redis cache can be invalidated from them: with the embedded in-process cache
(``HUB_REDIS_URL`` unset) each hub process's entries live until their TTL ends, and this
module does nothing. The key is an HMAC of the ID number, so the pollers need the hub's
``HUB_CACHE_KEY_SECRET``; without it they cannot name the keys and only warn.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from adapters.idnumber import try_parse_id_number
from adapters.records import Agency, JudgmentChange, PersonIdentity
from hub.cache import RecordCache, RedisCache
from hub.settings_perf import PerfSettings

logger = logging.getLogger(__name__)

PeopleHook = Callable[[Sequence[PersonIdentity]], Awaitable[None]]
ChangesHook = Callable[[Sequence[JudgmentChange]], Awaitable[None]]


async def invalidate_people(agency: Agency, id_numbers: Iterable[str | None], settings: PerfSettings) -> int:
    """Drop ``agency``'s cached records of these people and return how many people were named."""
    secret = settings.key_secret()
    if not settings.redis_url:
        return 0
    if secret is None:
        logger.warning(
            "cache invalidation skipped: HUB_CACHE_KEY_SECRET is missing, so no cache key can be"
            " computed; set it to the value the hub uses"
        )
        return 0

    parsed = {n.value: n for n in (try_parse_id_number(text) for text in id_numbers if text) if n is not None}
    backend = RedisCache.from_url(settings.redis_url, command_timeout_s=settings.cache_command_timeout_s)
    cache = RecordCache(backend, secret)
    try:
        for id_number in parsed.values():
            await cache.invalidate(agency, id_number)
    finally:
        await cache.aclose()
    logger.info("cache invalidated agency=%s people=%d", agency.value, len(parsed))
    return len(parsed)


def people_hook(agency: Agency, settings: PerfSettings) -> PeopleHook:
    """Return an ``on_page`` hook for ``hub.identity.feed.feed_people``."""

    # NOTE: the legacy person tables have no change column, so a sweep invalidates every
    # person it reads. The TTL bounds how stale an entry gets between sweeps.
    async def hook(page: Sequence[PersonIdentity]) -> None:
        await invalidate_people(agency, (person.id_number for person in page), settings)

    return hook


def judgments_hook(settings: PerfSettings) -> ChangesHook:
    """Return an ``on_changes`` hook for the court pollers, which drops each party's court records."""

    async def hook(changes: Sequence[JudgmentChange]) -> None:
        await invalidate_people(Agency.COURT, (change.person.id_number for change in changes), settings)

    return hook
