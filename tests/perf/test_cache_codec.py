"""AgencyRecords survive the cache's JSON encoding unchanged, for synthetic and real adapter output."""

from __future__ import annotations

import pytest

from adapters.contract import RecordAdapter
from adapters.idnumber import parse_id_number
from adapters.records import Agency, AgencyRecords
from hub.cache_codec import CacheDecodeError, decode_records, encode_records
from tests.legacy_db import dataset
from tests.standins import RECORDS
from tests.test_adapter_contract import AGENCIES, make_adapter, people_with_records


@pytest.mark.parametrize("agency", list(Agency), ids=[agency.value for agency in Agency])
def test_synthetic_records_round_trip(agency: Agency) -> None:
    records = RECORDS[agency]()

    assert decode_records(encode_records(records)) == records


def test_empty_records_round_trip() -> None:
    records = AgencyRecords(agency=Agency.PRISON)

    assert decode_records(encode_records(records)) == records


def test_encoding_keeps_chinese_readable() -> None:
    assert "阿苏拉哈".encode() in encode_records(RECORDS[Agency.POLICE]())


def test_decoded_values_keep_their_types() -> None:
    decoded = decode_records(encode_records(RECORDS[Agency.PRISON]()))

    custody = decoded.custody[0]
    assert isinstance(custody.events, tuple)
    assert type(custody.events[1].event).__name__ == "CustodyEventType"
    assert custody.admitted_on is not None and custody.admitted_on.isoformat() == "2019-08-20"


@pytest.mark.parametrize("data", [b"not json", b"{}", b'{"agency": "mars"}', b"[]"])
def test_undecodable_bytes_raise_decode_error(data: bytes) -> None:
    with pytest.raises(CacheDecodeError):
        decode_records(data)


@pytest.mark.parametrize("agency", AGENCIES, ids=[agency.value for agency in AGENCIES])
async def test_real_adapter_output_round_trips(agency: Agency, stand_in_urls: dict[Agency, str]) -> None:
    adapter: RecordAdapter = make_adapter(agency, stand_in_urls[agency])
    await adapter.start()
    data = dataset()
    holders = sorted(people_with_records(data, agency))[:15]
    try:
        for person_id in [data.showcase_person_id, *holders]:
            records = await adapter.fetch_records(parse_id_number(data.person(person_id).id_number))
            assert decode_records(encode_records(records)) == records
    finally:
        await adapter.aclose()
