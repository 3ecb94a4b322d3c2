"""BureauAdapter over real SOAP to the bureau stand-in: acceptances, receipts, and each fault translated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.bureau import BureauAdapter, CorrectionNotice
from adapters.errors import (
    UpstreamError,
    UpstreamFault,
    UpstreamOperationMissing,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from simulators.court.app import create_app as create_court_app
from tests.notices.conftest import Bureau
from tests.servers import serve_in_thread

NOTICE = CorrectionNotice(
    court_name="会理市人民法院",
    case_number="（2026）川3402刑初8号",
    case_number_raw="(2026)川3402刑初8号",
    correction_type="suspended_sentence",
    county_code="513425",
    bureau_county_code="513402",
    person_name="吉克阿依",
    id_number="513425199202022228",
    sex_code="2",
    birth_date="1992-02-02",
    effective_date="2026-11-02",
    notice_due="2026-11-09",
    documents_due="2026-11-12",
    reporting_due="2026-11-12",
    term_months=10,
    probation_months=12,
    charges=["盗窃罪"],
)


@pytest.fixture
async def adapter(bureau: Bureau) -> AsyncIterator[BureauAdapter]:
    client = BureauAdapter(bureau.url, timeout_s=0.5)
    yield client
    await client.aclose()


async def test_a_second_delivery_with_the_same_key_returns_the_first_acceptance(
    bureau: Bureau, adapter: BureauAdapter
) -> None:
    first = await adapter.deliver_notice(NOTICE, "key-1")
    second = await adapter.deliver_notice(NOTICE, "key-1")

    assert first == second
    [record] = bureau.notices()
    assert record["payload"]["personName"] == "吉克阿依"  # type: ignore[index]


async def test_receipts_after_a_sequence_come_back_in_order(bureau: Bureau, adapter: BureauAdapter) -> None:
    ids = [await adapter.deliver_notice(NOTICE, f"key-{n}") for n in range(3)]
    for acceptance_id in reversed(ids):
        bureau.record_receipt(acceptance_id)

    receipts = await adapter.receipts_after(1)

    assert [r.sequence for r in receipts] == [2, 3]
    assert [r.acceptance_id for r in receipts] == [ids[1], ids[0]]
    assert receipts[0].received_at.tzinfo is not None


@pytest.mark.parametrize(
    ("fault", "error"),
    [("http_500", UpstreamFault), ("timeout", UpstreamTimeout), ("drop", UpstreamUnavailable)],
)
async def test_each_bureau_fault_arrives_as_an_upstream_error(
    bureau: Bureau, adapter: BureauAdapter, fault: str, error: type[UpstreamError]
) -> None:
    bureau.configure(fault=fault, fail_next=1)

    with pytest.raises(error) as raised:
        await adapter.deliver_notice(NOTICE, "key-f")

    assert raised.value.agency == "justice_bureau"


async def test_the_retired_huili_county_code_is_refused_by_the_bureau(adapter: BureauAdapter) -> None:
    retired = CorrectionNotice(**{**NOTICE, "bureau_county_code": "513425"})

    with pytest.raises(UpstreamFault) as raised:
        await adapter.deliver_notice(retired, "key-r")

    assert "513402" in raised.value.fault_string


async def test_a_county_path_accepts_only_its_own_county(bureau: Bureau) -> None:
    xichang = BureauAdapter(f"{bureau.url}/513401", timeout_s=0.5)
    try:
        with pytest.raises(UpstreamFault):
            await xichang.deliver_notice(NOTICE, "key-p")
    finally:
        await xichang.aclose()


async def test_bureau_url_naming_the_court_service_is_reported(tmp_path: Path) -> None:
    with serve_in_thread(create_court_app(str(tmp_path / "court.sqlite"))) as court:
        wrong = BureauAdapter(f"{court}/ws/court", timeout_s=2.0)
        try:
            with pytest.raises(UpstreamOperationMissing) as caught:
                await wrong.receipts_after(0, 10)
        finally:
            await wrong.aclose()

    assert caught.value.code == "UPSTREAM_ERROR"
    assert "地址可能指向了别的服务" in caught.value.render()
    assert "check the URL configured for it" in caught.value.render("en")
