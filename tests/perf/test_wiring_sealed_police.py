"""The wired records cache rejects police records that contain a sealed administrative detention."""

from __future__ import annotations

from typing import Any

import httpx

from hub.settings_perf import PerfSettings
from tests.perf.test_wiring import lookup, serve
from tests.standins import standins

__all__ = ["serve"]


def test_wired_cache_skips_police_detentions(serve: Any) -> None:
    url = serve(standins(), PerfSettings())
    lookup(url)
    lookup(url)

    scrape = httpx.get(f"{url}/metrics").text

    assert 'hub_cache_lookups_total{agency="police",result="uncacheable"} 2.0' in scrape
    assert 'hub_cache_lookups_total{agency="police",result="hit"}' not in scrape
    assert 'hub_cache_lookups_total{agency="prison",result="hit"} 1.0' in scrape
