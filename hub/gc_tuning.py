"""Garbage-collector settings for a serving process: start-up objects frozen, fewer young collections.

A lookup allocates thousands of short-lived container objects (GraphQL results, records,
audit entries), so under Python's default threshold of 700 the youngest generation is
collected more than once per request, and every full collection walks all that start-up
built: the schema, the adapters, the WSDLs. Once the server has started, the process
collects once, moves what survives into the permanent generation (``gc.freeze``) and
raises the youngest generation's threshold. Reference counting still frees most objects
at once; the threshold only spaces out the search for reference cycles.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def tune_for_serving(gen0_threshold: int) -> None:
    """Freeze what start-up made and collect the youngest generation every ``gen0_threshold`` allocations.

    0 leaves the collector as Python set it. Call once per process, after start-up: objects
    frozen here are never searched for cycles again, so calling it between tests would
    keep each test's garbage cycles for good.
    """
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(gen0_threshold, older, oldest)
    logger.info(
        "gc tuned for serving: %d objects frozen, gen0 threshold %d", gc.get_freeze_count(), gen0_threshold
    )
