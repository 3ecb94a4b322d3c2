"""An officer's lookup: policy, stated purpose, quota, the fan-out, sealing, and its audit entry.

The steps run in that order, and the result is returned only after its audit entry commits: a
lookup whose entry cannot be written returns nothing. Sealed records reach only judicial
case handling with a case number (``hub.sealing``); everyone else gets the answer they
would get if the record did not exist. ``AuditedLookup.cacheable`` is False whenever a
sealed record is in the answer, for any cache placed above this service.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from adapters.idnumber import IdNumber, mask_id_number
from adapters.records import Judgment, PersonIdentity
from hub.audit import lookup_entry, returned_from_lookup
from hub.auth import Principal
from hub.policy import Operation, authorize
from hub.purpose import StatedPurpose, state_purpose
from hub.rate_limit import RateLimiter
from hub.records import CaseInformation, FetchStatus, LookupResult, SourceStatus
from hub.sealing import FilteredLookup, filter_lookup
from hub.security_setup import AuditLog
from hub.store import Store

logger = logging.getLogger(__name__)

OPERATION = Operation.PRIOR_RECORDS.value


@dataclass(frozen=True, slots=True)
class AuditedLookup:
    """The visible part of one lookup, with the purpose it was made for and its audit sequence."""

    filtered: FilteredLookup
    purpose: StatedPurpose
    audit_sequence: int

    @property
    def id_number(self) -> IdNumber:
        return self.filtered.result.id_number

    @property
    def person(self) -> PersonIdentity | None:
        return self.filtered.result.person

    @property
    def criminal_records(self) -> Sequence[Judgment]:
        return self.filtered.result.criminal_records

    @property
    def case_information(self) -> CaseInformation:
        return self.filtered.result.case_information

    @property
    def sources(self) -> Sequence[SourceStatus]:
        return self.filtered.result.sources

    @property
    def sealed_returned(self) -> bool:
        return self.filtered.records.sealed_returned

    @property
    def cacheable(self) -> bool:
        return self.filtered.cacheable

    @property
    def publishable(self) -> bool:
        return self.filtered.publishable


class PriorRecords(Protocol):
    """The fan-out lookup, plain (``PriorRecordService``) or through the person index."""

    async def lookup(self, id_number: IdNumber) -> LookupResult: ...


class LookupService:
    """``priorRecords`` for one authenticated caller at a time."""

    def __init__(
        self,
        records: PriorRecords,
        store: Store,
        audit: AuditLog,
        limiter: RateLimiter,
        *,
        subject_key: bytes,
    ) -> None:
        self.records = records
        self.store = store
        self.audit = audit
        self.limiter = limiter
        self._subject_key = subject_key

    async def lookup(
        self,
        principal: Principal,
        id_number: IdNumber,
        purpose: str | None,
        *,
        case_number: str | None = None,
        legal_basis: str | None = None,
    ) -> AuditedLookup:
        # NOTE: the residence county is not asked for, so county-scoped grants (a county's
        # correction office) pass only at prefecture level: see hub.policy.
        authorize(principal, Operation.PRIOR_RECORDS, None)
        stated = state_purpose(
            principal, purpose, case_number=case_number, legal_basis=legal_basis, operation=OPERATION
        )
        await self.limiter.hit(principal.user_id, OPERATION)

        result = await self.records.lookup(id_number)
        filtered = filter_lookup(result, stated, principal)
        answered = [s.agency.value for s in result.sources if s.status is FetchStatus.OK]
        entry = lookup_entry(
            principal,
            stated,
            id_number.value,
            subject_key=self._subject_key,
            agencies_answered=answered,
            returned=returned_from_lookup(filtered),
        )
        async with self.store.engine.begin() as conn:
            appended = await self.audit.record(conn, entry)

        if filtered.records.sealed_returned:
            logger.warning(
                "sealed record access: user=%s unit=%s purpose=%s case=%s subject=%s audit=%d",
                principal.user_id,
                principal.unit,
                stated.purpose.value,
                stated.case_number,
                mask_id_number(id_number.value),
                appended.sequence,
            )
        return AuditedLookup(filtered, stated, appended.sequence)
