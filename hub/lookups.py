"""An officer's lookup: policy, stated purpose, quota, the fan-out, sealing, and its audit entry.

The steps run in that order, and the result is returned only after its audit entry commits:
a lookup whose entry cannot be written returns nothing. A lookup rejected on the way (for
the operation, the purpose, its case number, the quota or the person's county) is audited
too, as ``lookup_refused`` with the rule that rejected it, so the audit log lists attempts
as well. Sealed records reach only judicial case handling with a case number
(``hub.sealing``); everyone else gets the answer they would get if the record did not exist.
``AuditedLookup.cacheable`` is False whenever a sealed record is in the answer, for any
cache placed above this service.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from adapters.errors import (
    BatchTooLarge,
    Forbidden,
    HubError,
    InvalidCaseNumber,
    PurposeRequired,
    RateLimited,
)
from adapters.idnumber import IdNumber, mask_id_number
from adapters.records import Agency, Judgment, PersonIdentity
from hub.audit import AuditEntry, lookup_entry, refused_lookup_entry, returned_from_lookup
from hub.audit_group import AuditGroupWriter
from hub.auth import Principal
from hub.batch import MAX_BATCH
from hub.identity.lookup import RecordLink
from hub.metrics import METRICS, HubMetrics
from hub.policy import Operation, authorize, jurisdiction
from hub.purpose import StatedPurpose, state_purpose
from hub.rate_limit import RateLimiter
from hub.records import CaseInformation, FetchStatus, LookupResult, SourceStatus
from hub.sealing import FilteredLookup, filter_lookup, seal_basis
from hub.security_setup import AuditLog
from hub.store import Store

logger = logging.getLogger(__name__)

OPERATION = Operation.PRIOR_RECORDS.value

# Errors that refuse a lookup the caller was entitled to attempt, each audited as
# ``lookup_refused``. An ID number that names no one and a batch over its limit are only
# input errors, because no person is looked up.
REFUSALS = (Forbidden, PurposeRequired, InvalidCaseNumber, RateLimited)


def refusal_reason(error: HubError) -> str:
    """Name the rule behind a refusal in ``REFUSALS``, as the audit log and the metrics show it."""
    if isinstance(error, Forbidden):
        return error.reason
    if isinstance(error, RateLimited):
        return "QUOTA"
    if isinstance(error, PurposeRequired):
        return "CASE_NUMBER_MISSING" if error.part == "case_number" else "PURPOSE_MISSING"
    if isinstance(error, InvalidCaseNumber):
        return "CASE_NUMBER_INVALID"
    return "OTHER"


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
        return self.filtered.sealed_returned

    @property
    def links(self) -> Sequence[RecordLink]:
        """The index's links to agencies that returned visible records in this answer.

        A link to an agency whose records were all withheld would show that a hidden record
        exists, so it is left out with them, even when the person's identity came from there.
        """
        links: Sequence[RecordLink] = getattr(self.filtered.result, "links", ())
        answered = _agencies_with_records(self.filtered.result, self.filtered.withheld)
        return [link for link in links if link.agency in answered]

    def reporters(self, judgment: Judgment) -> Sequence[Agency]:
        """Return the agencies whose visible records carry ``judgment``'s case number."""
        case = judgment.case_number.canonical
        info = self.case_information
        found = [judgment.source.agency]
        for custody in info.custody:
            if custody.case_number is not None and custody.case_number.canonical == case:
                found.append(custody.source.agency)
        for correction in info.corrections:
            if correction.case_number is not None and correction.case_number.canonical == case:
                found.append(correction.source.agency)
        return list(dict.fromkeys(found))

    def seal_basis(self, judgment: Judgment) -> str | None:
        """Return the legal basis of ``judgment``'s seal, or None when it is not sealed."""
        for seen in self.filtered.records.records:
            if seen.judgment is judgment:
                return seal_basis(seen.decision)
        return None

    @property
    def cacheable(self) -> bool:
        return self.filtered.cacheable

    @property
    def publishable(self) -> bool:
        return self.filtered.publishable


class PriorRecords(Protocol):
    """The fan-out lookup, plain (``PriorRecordService``) or through the person index."""

    async def lookup(self, id_number: IdNumber) -> LookupResult: ...


class BatchPriorRecords(Protocol):
    """The fan-out of many people at once (``hub.batch.BatchRecords``)."""

    async def lookup_many(self, id_numbers: Sequence[IdNumber]) -> Sequence[LookupResult]: ...


class LookupService:
    """``priorRecords`` and ``priorRecordsBatch`` for one authenticated caller at a time.

    Audit entries go through one ``AuditGroupWriter`` per process: concurrent lookups share
    a transaction instead of queueing on the chain head one commit at a time.
    """

    def __init__(
        self,
        records: PriorRecords,
        store: Store,
        audit: AuditLog,
        limiter: RateLimiter,
        *,
        subject_key: bytes,
        batch: BatchPriorRecords | None = None,
        max_batch: int = MAX_BATCH,
        metrics: HubMetrics = METRICS,
        audit_child_process: bool = False,
    ) -> None:
        self.records = records
        self.store = store
        self.audit = audit
        self.limiter = limiter
        self.batch = batch
        self.max_batch = max_batch
        self.metrics = metrics
        self._subject_key = subject_key
        self._writer = AuditGroupWriter(store.engine, audit, child_process=audit_child_process)

    async def lookup(
        self,
        principal: Principal,
        id_number: IdNumber,
        purpose: str | None,
        *,
        case_number: str | None = None,
        legal_basis: str | None = None,
    ) -> AuditedLookup:
        stated, county = await self._admit(principal, [id_number], purpose, case_number, legal_basis)
        result = await self.records.lookup(id_number)
        await self._within_county(principal, county, stated, [result])
        return (await self._audited(principal, stated, [result]))[0]

    async def lookup_many(
        self,
        principal: Principal,
        id_numbers: Sequence[IdNumber],
        purpose: str | None,
        *,
        case_number: str | None = None,
        legal_basis: str | None = None,
    ) -> list[AuditedLookup]:
        """Look each distinct person up as ``lookup`` would: one quota hit and one audit entry each."""
        if self.batch is None:
            raise RuntimeError("LookupService was built without a batch fan-out")
        people = list({id_number.value: id_number for id_number in id_numbers}.values())
        if len(people) > self.max_batch:
            raise BatchTooLarge(size=len(people), limit=self.max_batch)
        # A batch larger than a window of the caller's quota could never be served.
        capacity = self.limiter.capacity(OPERATION)
        if capacity is not None and len(people) > capacity:
            raise BatchTooLarge(size=len(people), limit=capacity, by_quota=True)
        stated, county = await self._admit(principal, people, purpose, case_number, legal_basis)
        results = await self.batch.lookup_many(people)
        await self._within_county(principal, county, stated, results)
        return await self._audited(principal, stated, results)

    async def _admit(
        self,
        principal: Principal,
        people: Sequence[IdNumber],
        purpose: str | None,
        case_number: str | None,
        legal_basis: str | None,
    ) -> tuple[StatedPurpose, str | None]:
        """Check the caller's grant, purpose and quota; return the purpose and the county the grant covers.

        Each of ``people`` spends one lookup of the quota. The county is None for a
        prefecture-wide grant. A county-scoped grant (a county's correction office) covers
        only people who live in that county. Where they live is known only once the agencies
        have returned their records, so ``_within_county`` checks it then. A refusal is
        audited for each of ``people`` before it is raised.
        """
        try:
            county = jurisdiction(principal, Operation.PRIOR_RECORDS)
            stated = state_purpose(
                principal, purpose, case_number=case_number, legal_basis=legal_basis, operation=OPERATION
            )
            await self.limiter.hit(principal.user_id, OPERATION, calls=len(people))
        except REFUSALS as refusal:
            await self._record_refusal(principal, people, refusal, purpose, case_number, legal_basis)
            raise
        return stated, county

    async def _within_county(
        self, principal: Principal, county: str | None, stated: StatedPurpose, results: Sequence[LookupResult]
    ) -> None:
        """Refuse the whole lookup unless every person in ``results`` lives in ``county``."""
        try:
            _check_county(principal, county, results)
        except Forbidden as refusal:
            people = [result.id_number for result in results]
            await self._record_refusal(
                principal, people, refusal, stated.purpose.value, stated.case_number, stated.legal_basis
            )
            raise

    async def _record_refusal(
        self,
        principal: Principal,
        people: Sequence[IdNumber],
        refusal: HubError,
        purpose: str | None,
        case_number: str | None,
        legal_basis: str | None,
    ) -> None:
        """Append a ``lookup_refused`` entry for each person in ``people``.

        A failed write is logged at ERROR, and the caller still gets the refusal rather than
        an internal error.
        """
        reason = refusal_reason(refusal)
        entries = [
            refused_lookup_entry(
                principal,
                id_number.value,
                reason,
                subject_key=self._subject_key,
                purpose=purpose,
                case_number=(case_number or "").strip() or None,
                legal_basis=(legal_basis or "").strip() or None,
            )
            for id_number in people
        ]
        self.metrics.lookup_refused(reason, len(entries))
        try:
            await self.record(entries)
        except Exception as exc:
            logger.error(
                "audit entry for a refused lookup failed to commit: user=%s reason=%s people=%d error=%s",
                principal.user_id,
                reason,
                len(entries),
                type(exc).__name__,
            )

    async def _audited(
        self, principal: Principal, stated: StatedPurpose, results: Sequence[LookupResult]
    ) -> list[AuditedLookup]:
        """Filter each result for the caller and append its audit entry, all in one transaction."""
        filtered = [filter_lookup(result, stated, principal) for result in results]
        entries = [
            lookup_entry(
                principal,
                stated,
                result.id_number.value,
                subject_key=self._subject_key,
                agencies_answered=[s.agency.value for s in result.sources if s.status is FetchStatus.OK],
                returned=returned_from_lookup(shown),
            )
            for result, shown in zip(results, filtered, strict=True)
        ]
        sequences = await self.record(entries)

        for shown, sequence in zip(filtered, sequences, strict=True):
            if shown.sealed_returned:
                logger.warning(
                    "sealed record access: user=%s unit=%s purpose=%s case=%s subject=%s audit=%d",
                    principal.user_id,
                    principal.unit,
                    stated.purpose.value,
                    stated.case_number,
                    mask_id_number(shown.result.id_number.value),
                    sequence,
                )
        return [AuditedLookup(shown, stated, seq) for shown, seq in zip(filtered, sequences, strict=True)]

    async def record(self, entries: Sequence[AuditEntry]) -> list[int]:
        """Append ``entries`` to the audit log in one transaction; return their sequences."""
        return await self._writer.append(entries)

    async def start(self) -> None:
        """Start the audit writer's child process, if it has one (``hub.audit_process``)."""
        await self._writer.start()

    async def aclose(self) -> None:
        await self._writer.aclose()


def _check_county(principal: Principal, county: str | None, results: Sequence[LookupResult]) -> None:
    """Raise ``Forbidden`` unless every person looked up lives in ``county`` (None: any county).

    The person's residence county comes from the identity the agencies returned. Without
    one, the address code of the ID number (the county where it was issued) is used.
    Nothing is returned for a rejected lookup, and a WARNING line logs it.
    """
    if county is None:
        return
    for result in results:
        residence = _subject_county(result)
        try:
            authorize(principal, Operation.PRIOR_RECORDS, residence)
        except Forbidden:
            logger.warning(
                "lookup rejected outside the caller's county: user=%s unit=%s subject=%s residence=%s",
                principal.user_id,
                principal.unit,
                mask_id_number(result.id_number.value),
                residence,
            )
            raise


def _subject_county(result: LookupResult) -> str:
    """Return the residence county of the person looked up, from the records the agencies returned."""
    person = result.person
    if person is not None and person.county_code:
        return person.county_code
    return result.id_number.value[:6]


def _agencies_with_records(result: LookupResult, withheld: Collection[Agency]) -> set[str]:
    """Return the agencies with a visible record, and the identity's agency unless it withheld one."""
    agencies = {str(record.source.agency.value) for record in result.all_records()}
    if result.person is not None and result.person.source.agency not in withheld:
        agencies.add(result.person.source.agency.value)
    return agencies
