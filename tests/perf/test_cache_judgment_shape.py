"""The records cache after Judgment gained a police case number: new shape, old bytes are misses."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from adapters.records import Agency, AgencyRecords
from hub.cache import InProcessCache, RecordCache
from hub.cache_codec import SHAPE, CacheDecodeError, _shape, decode_records, encode_records
from tests.perf.fakes import PERSON, fresh_metrics
from tests.standins import court_records


def linked_court() -> AgencyRecords:
    records = court_records()
    records.judgments = [replace(j, police_case_number="A5134015100002019020011") for j in records.judgments]
    return records


def test_shape_covers_police_case_number() -> None:
    lines = _shape(AgencyRecords, set())

    assert "Judgment.police_case_number:str | None" in lines
    assert SHAPE in RecordCache(InProcessCache(), b"secret").key(Agency.COURT, PERSON)


def test_police_case_number_round_trips() -> None:
    records = linked_court()

    assert decode_records(encode_records(records)) == records
    assert {j.police_case_number for j in decode_records(encode_records(court_records())).judgments} == {None}


def test_old_judgment_bytes_do_not_decode() -> None:
    old = json.loads(encode_records(linked_court()))
    for judgment in old["judgments"]:
        del judgment["police_case_number"]

    with pytest.raises(CacheDecodeError):
        decode_records(json.dumps(old, ensure_ascii=False).encode())


async def test_old_judgment_bytes_read_as_miss() -> None:
    backend = InProcessCache()
    cache = RecordCache(backend, b"secret", metrics=fresh_metrics())
    old = json.loads(encode_records(linked_court()))
    for judgment in old["judgments"]:
        del judgment["police_case_number"]
    await backend.set(cache.key(Agency.COURT, PERSON), json.dumps(old).encode(), 60)

    assert await cache.get(Agency.COURT, PERSON) is None
