"""The justice bureau's community-correction intake (SOAP), as the hub sends notices to it.

``deliver_notice`` sends one execution notice with the hub's idempotency key: the bureau
keeps one record per key, so a retry after a timeout or a dropped connection returns the
first acceptance instead of a second record. ``receipts_after`` reads officers' receipts
past a sequence number the caller stores; a receipt may carry the day the person reported in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypedDict

from adapters.errors import UpstreamDataError
from adapters.records import Agency
from adapters.soap import SoapClient

AGENCY = Agency.JUSTICE_BUREAU.value


class CorrectionNotice(TypedDict):
    """An execution notice (社区矫正执行通知书) in the hub's vocabulary; dates are ISO strings."""

    court_name: str
    case_number: str
    case_number_raw: str
    correction_type: str
    county_code: str  # place of execution as recorded (may be the retired 513425)
    bureau_county_code: str  # the receiving bureau's current code
    person_name: str
    id_number: str | None
    sex_code: str
    birth_date: str | None
    effective_date: str
    notice_due: str
    documents_due: str
    reporting_due: str
    term_months: int | None
    probation_months: int | None
    charges: list[str]


@dataclass(frozen=True, slots=True)
class BureauReceipt:
    """An officer's receipt for a delivered notice; ``sequence`` increases per bureau service."""

    sequence: int
    acceptance_id: str
    idempotency_key: str
    county_code: str
    received_at: dt.datetime
    officer: str
    # The day the person reported in (CC Law art. 21), once the bureau has recorded it. The
    # bureau re-issues a receipt under a new sequence when it records or corrects the day.
    reported_on: dt.date | None = None


class BureauAdapter:
    """One justice-bureau SOAP endpoint (all counties, or one county when the URL names it)."""

    agency = Agency.JUSTICE_BUREAU

    def __init__(self, service_url: str, *, wsdl_url: str | None = None, timeout_s: float = 5.0) -> None:
        self.service_url = service_url
        self._soap = SoapClient(
            agency=AGENCY,
            service_url=service_url,
            wsdl_url=wsdl_url or f"{service_url}?wsdl",
            timeout_s=timeout_s,
        )

    async def start(self) -> None:
        await self._soap.start()

    async def aclose(self) -> None:
        await self._soap.aclose()

    async def deliver_notice(self, notice: CorrectionNotice, idempotency_key: str) -> str:
        """Send ``notice`` to its bureau; return the bureau's acceptance id (the same on every retry)."""
        await self._soap.start()
        result = await self._soap.call(
            "DeliverNotice",
            countyCode=notice["bureau_county_code"],
            idempotencyKey=idempotency_key,
            courtName=notice["court_name"],
            caseNumber=notice["case_number"],
            caseNumberRaw=notice["case_number_raw"],
            correctionType=notice["correction_type"],
            residenceCountyCode=notice["county_code"],
            personName=notice["person_name"],
            idNumber=notice["id_number"],
            sexCode=notice["sex_code"],
            birthDate=_date(notice["birth_date"]),
            effectiveDate=_date(notice["effective_date"]),
            noticeDue=_date(notice["notice_due"]),
            documentsDue=_date(notice["documents_due"]),
            reportingDue=_date(notice["reporting_due"]),
            termMonths=notice["term_months"],
            probationMonths=notice["probation_months"],
            charge=list(notice["charges"]),
        )
        acceptance_id = getattr(result, "acceptanceId", None)
        if not acceptance_id:
            raise UpstreamDataError(agency=AGENCY, operation="DeliverNotice", detail="acceptanceId missing")
        return str(acceptance_id)

    async def receipts_after(self, sequence: int, limit: int = 100) -> list[BureauReceipt]:
        """Receipts recorded after ``sequence``, oldest first, at most ``limit``."""
        await self._soap.start()
        result = await self._soap.call("ListReceipts", afterSequence=sequence, limit=limit)
        return [_receipt(item) for item in _items(result)]


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _items(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, list):
        return result
    return list(getattr(result, "receipt", None) or [])


def _reported_on(value: Any) -> dt.date | None:
    """``reportedOn`` is optional: older bureau services leave it out."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _receipt(item: Any) -> BureauReceipt:
    try:
        received_at = item.receivedAt
        if isinstance(received_at, str):
            received_at = dt.datetime.fromisoformat(received_at)
        if received_at.tzinfo is None:
            received_at = received_at.replace(tzinfo=dt.UTC)
        return BureauReceipt(
            sequence=int(item.sequence),
            acceptance_id=str(item.acceptanceId),
            idempotency_key=str(item.idempotencyKey),
            county_code=str(item.countyCode),
            received_at=received_at,
            officer=str(item.officer or ""),
            reported_on=_reported_on(getattr(item, "reportedOn", None)),
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise UpstreamDataError(agency=AGENCY, operation="ListReceipts", detail=type(exc).__name__) from exc
