"""Record sealing: which criminal and public-order records are sealed, and who may see them.

The rule (CPL art. 286): an offence committed under 18 with a sentence of five years'
imprisonment or less ("以下" includes five years) is sealed. Only judicial organs handling a
case may see it, stating reason and legal basis (SPC Interpretation art. 581). The seal lifts
when a further judgment brings the combined sentence to five years or more (SPP Rules
arts. 482–487). Sealed data is never cached, exported or pushed to subscribers (2022 sealing
measures).

Public-order violation records (administrative detentions here) are sealed as a class from
2026-01-01 (revised Public Security Administration Punishments Law art. 136), open to the
same requesters as sealed juvenile records.

Anyone else gets exactly what they would get if the sealed record did not exist: no count,
no placeholder, none of the custody or correction records that carry its case number, and
none of the police cases or coercive measures that carry its police case number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from adapters.records import Agency, CaseNumber, Judgment, PenaltyType, PersonIdentity, Sentence
from hub.auth import Principal
from hub.purpose import StatedPurpose
from hub.records import CaseInformation, FetchStatus, LookupResult, best_identity

# CPL art. 286: "五年有期徒刑以下" — in Chinese statutes 以下 includes the number itself.
SEALING_TERM_LIMIT_MONTHS = 60
JUVENILE_SEAL_BASIS = "刑事诉讼法第286条"
# A missing date leaves open whether the offence came before the 18th birthday.
UNCERTAIN_AGE_SEAL_BASIS = "刑事诉讼法第286条（犯罪时是否未满18周岁无法确定，按封存处理）"
# SPP Rules arts. 482–487 as the domain notes restate them ("five years or more"). The 2022
# sealing measures word it "超过五年" (more than five years): unverified, so kept as one constant.
UNSEALING_COMBINED_MONTHS = 60

_NEVER_SEALED = frozenset({PenaltyType.LIFE_IMPRISONMENT, PenaltyType.DEATH})
_CUSTODIAL = frozenset({PenaltyType.FIXED_TERM_IMPRISONMENT, PenaltyType.CRIMINAL_DETENTION})


class SealReason(StrEnum):
    NOT_A_RECORD = "not_a_record"  # no effective guilty verdict: case information, not sealing
    ADULT_AT_OFFENCE = "adult_at_offence"
    TERM_OVER_LIMIT = "term_over_limit"  # more than five years
    LIFE_OR_DEATH = "life_or_death"
    JUVENILE = "juvenile"  # sealed under CPL art. 286
    AGE_UNCERTAIN = "age_uncertain"  # sealed: a missing date leaves the age open
    UNSEALED_COMBINED_TERM = "unsealed_combined_term"  # SPP Rules arts. 482–487
    PUBLIC_ORDER = "public_order"  # sealed: a public-order violation record (PSAPL art. 136)


@dataclass(frozen=True, slots=True)
class SealDecision:
    """Whether a record is sealed, why, and whether this requester may see it."""

    sealed: bool
    reason: SealReason
    visible: bool
    unsealed_by: str | None = None  # case number of the judgment that lifted the seal

    @property
    def cacheable(self) -> bool:
        return not self.sealed

    @property
    def publishable(self) -> bool:
        """Whether the record may go to subscribers or exports (never when sealed)."""
        return not self.sealed


@dataclass(frozen=True, slots=True)
class SeenRecord:
    judgment: Judgment
    decision: SealDecision


@dataclass(frozen=True, slots=True)
class FilteredRecords:
    """The records a requester may see, each with its decision; sealed ones only when allowed."""

    records: tuple[SeenRecord, ...]

    @property
    def judgments(self) -> tuple[Judgment, ...]:
        return tuple(record.judgment for record in self.records)

    @property
    def sealed_returned(self) -> bool:
        return any(record.decision.sealed for record in self.records)

    @property
    def cacheable(self) -> bool:
        """False when a sealed record is in the answer. A cache key must include ``sealed_access``."""
        return not self.sealed_returned

    @property
    def publishable(self) -> bool:
        return not self.sealed_returned


def eighteenth_birthday(birth_date: dt.date) -> dt.date:
    # Civil Code art. 202: a period counted in years without a matching day (29 February)
    # ends on the last day of that month.
    try:
        return birth_date.replace(year=birth_date.year + 18)
    except ValueError:
        return dt.date(birth_date.year + 18, 2, 28)


def under_18_on(birth_date: dt.date, day: dt.date) -> bool:
    """Whether a person is under 18 on ``day``.

    SPC Interpretation on juvenile criminal cases (法释〔2006〕1号) art. 2: an age in years is
    reached from the day AFTER the birthday, so a person is still under 18 on the 18th
    birthday itself and 18 from the next day.
    """
    return day <= eighteenth_birthday(birth_date)


def seal_status(
    judgment: Judgment,
    person_birth_date: dt.date | None,
    later_judgments: Iterable[Judgment],
    purpose: StatedPurpose | None,
    principal: Principal,
) -> SealDecision:
    """Decide whether ``judgment`` is sealed and whether ``principal`` stating ``purpose`` sees it.

    Missing dates are resolved toward sealing: with no birth date, or no offence date and
    an adult at judgment, the record is sealed (``AGE_UNCERTAIN``), because wrongly sealing
    hides a record only from non-judicial requesters while wrongly unsealing cannot be undone.
    An unknown custodial term is likewise treated as within five years.
    """
    if not judgment.is_criminal_record:
        return SealDecision(False, SealReason.NOT_A_RECORD, True)
    penalty = judgment.sentence.penalty
    if penalty in _NEVER_SEALED:
        return SealDecision(False, SealReason.LIFE_OR_DEATH, True)
    term = judgment.sentence.term_months
    if (
        penalty is PenaltyType.FIXED_TERM_IMPRISONMENT
        and term is not None
        and term > SEALING_TERM_LIMIT_MONTHS
    ):
        return SealDecision(False, SealReason.TERM_OVER_LIMIT, True)

    juvenile = _juvenile_at_offence(judgment, person_birth_date)
    if juvenile is False:
        return SealDecision(False, SealReason.ADULT_AT_OFFENCE, True)

    lifting = _lifting_judgment(judgment, later_judgments)
    if lifting is not None:
        return SealDecision(False, SealReason.UNSEALED_COMBINED_TERM, True, lifting.case_number.raw)

    reason = SealReason.JUVENILE if juvenile else SealReason.AGE_UNCERTAIN
    return SealDecision(True, reason, may_see_sealed(purpose, principal))


def could_be_sealed(judgment: Judgment, birth_date: dt.date | None, judgments: Sequence[Judgment]) -> bool:
    """Whether ``judgment`` is sealed now or would be once in effect, for anyone (the cache's veto).

    The rules of ``seal_status`` without the requester, treating a judgment not yet in
    effect or an acquittal as if it were a conviction, so that nothing that may turn into
    a sealed record is stored: only an adult offence, a term over five years, life or
    death, or a seal lifted by a later judgment in ``judgments`` make it False.
    """
    penalty = judgment.sentence.penalty
    if penalty in _NEVER_SEALED:
        return False
    term = judgment.sentence.term_months
    if (
        penalty is PenaltyType.FIXED_TERM_IMPRISONMENT
        and term is not None
        and term > SEALING_TERM_LIMIT_MONTHS
    ):
        return False
    if _juvenile_at_offence(judgment, birth_date) is False:
        return False
    return _lifting_judgment(judgment, _later_records(judgment, judgments)) is None


def filter_records(
    judgments: Sequence[Judgment],
    person_birth_date: dt.date | None,
    purpose: StatedPurpose | None,
    principal: Principal,
) -> FilteredRecords:
    """Return the judgments ``principal`` may see: sealed ones only for judicial case handling."""
    seen = []
    for judgment in judgments:
        later = _later_records(judgment, judgments)
        decision = seal_status(judgment, person_birth_date, later, purpose, principal)
        if decision.visible:
            seen.append(SeenRecord(judgment, decision))
    return FilteredRecords(tuple(seen))


def seal_basis(decision: SealDecision) -> str | None:
    """Return the legal basis shown with a sealed criminal record, or None when it is not sealed."""
    if not decision.sealed:
        return None
    return UNCERTAIN_AGE_SEAL_BASIS if decision.reason is SealReason.AGE_UNCERTAIN else JUVENILE_SEAL_BASIS


def public_order_seal(purpose: StatedPurpose | None, principal: Principal) -> SealDecision:
    """Decide on a public-order violation record (an administrative detention) for ``principal``.

    The revised Public Security Administration Punishments Law (art. 136, in force
    2026-01-01) seals every such record whatever the age or the penalty, and gives it only to
    state organs handling a case (units querying under state rules are not modelled): the
    requesters ``may_see_sealed`` opens sealed juvenile records to.
    """
    return SealDecision(True, SealReason.PUBLIC_ORDER, may_see_sealed(purpose, principal))


@dataclass(frozen=True, slots=True)
class FilteredLookup:
    """A lookup as one requester may see it.

    ``sealed_case_information`` is True when sealed case information (administrative
    detentions) is in ``result``. ``withheld`` names each agency that had a record left out,
    so that nothing derived from the result (an index link) reveals that the agency held one.
    """

    result: LookupResult
    records: FilteredRecords
    sealed_case_information: bool = False
    withheld: frozenset[Agency] = frozenset()

    @property
    def sealed_returned(self) -> bool:
        return self.records.sealed_returned or self.sealed_case_information

    @property
    def cacheable(self) -> bool:
        return not self.sealed_returned

    @property
    def publishable(self) -> bool:
        return not self.sealed_returned


def filter_lookup(
    result: LookupResult, purpose: StatedPurpose | None, principal: Principal
) -> FilteredLookup:
    """Apply the sealing rules to a whole lookup, dropping case information tied to hidden records.

    Criminal records go through ``filter_records``. Custody and correction records carrying a
    hidden judgment's case number go with it, and so do police cases carrying its police case
    number (AJBH) and the coercive measures taken under that number, since each would reveal
    the conviction. Administrative detentions are shown only as ``public_order_seal`` allows.
    """
    birth_date = result.id_number.birth_date
    filtered = filter_records(result.criminal_records, birth_date, purpose, principal)
    shown = {id(judgment) for judgment in filtered.judgments}
    hidden = [judgment for judgment in result.criminal_records if id(judgment) not in shown]
    unchecked = not _court_answered(result) and not may_see_sealed(purpose, principal)
    info = result.case_information
    detentions_open = public_order_seal(purpose, principal).visible
    if not hidden and not unchecked and (detentions_open or not info.administrative_detentions):
        # Nothing hidden: every judgment is seen, in its order, so the result is returned unchanged.
        return FilteredLookup(result, filtered, bool(info.administrative_detentions))

    kept_info = _unchecked_information(info) if unchecked else _unlinked_information(info, hidden)
    if not detentions_open:
        kept_info = replace(kept_info, administrative_detentions=())
    visible = replace(result, criminal_records=filtered.judgments, case_information=kept_info)
    withheld = _withheld(result, visible)
    if withheld and result.identities:
        visible = replace(visible, person=_identity_without(result, visible))
    return FilteredLookup(visible, filtered, bool(kept_info.administrative_detentions), withheld)


def _identity_without(result: LookupResult, visible: LookupResult) -> PersonIdentity | None:
    """Choose the person's identity again, as if the withheld records did not exist.

    The police keep a person's identity whatever cases they hold, but the court, the prison
    and the correction office record the person only with their records. Without visible
    records, their identity (and the other names it adds) is left out.
    """
    agencies_with_records = {record.source.agency for record in visible.all_records()}
    remaining = [
        identity
        for identity in result.identities
        if identity.source.agency is Agency.POLICE or identity.source.agency in agencies_with_records
    ]
    return best_identity(result.id_number, remaining)


def may_see_sealed(purpose: StatedPurpose | None, principal: Principal) -> bool:
    """Tell whether the stated purpose opens sealed records to this principal."""
    return purpose is not None and purpose.sealed_access and purpose.role in principal.roles


def _unlinked_information(info: CaseInformation, hidden: Sequence[Judgment]) -> CaseInformation:
    """Drop the case information that carries a hidden judgment's case or police case number."""
    # NOTE: a hidden judgment the court recorded without a police case number leaves that
    # police case and its coercive measures in view.
    if not hidden:
        return info
    tied = TiedRecords(hidden)
    return replace(
        info,
        police_cases=tuple(c for c in info.police_cases if not tied.carries(c)),
        coercive_measures=tuple(m for m in info.coercive_measures if not tied.carries(m)),
        custody=tuple(c for c in info.custody if not tied.carries(c)),
        corrections=tuple(c for c in info.corrections if not tied.carries(c)),
    )


class TiedRecords:
    """Recognise case information that belongs to given judgments.

    A custody or correction record belongs to a judgment when it carries the judgment's case
    number. A police case or coercive measure belongs to it when it carries the police case
    number (AJBH) that the court recorded with the judgment.
    """

    def __init__(self, judgments: Iterable[Judgment]) -> None:
        judgments = list(judgments)
        self.cases = {judgment.case_number.canonical for judgment in judgments}
        self.police = {_police_key(judgment.police_case_number) for judgment in judgments} - {""}

    def carries(self, record: object) -> bool:
        case_number = getattr(record, "case_number", None)
        if isinstance(case_number, CaseNumber) and case_number.canonical in self.cases:
            return True
        police_case_number = getattr(record, "police_case_number", None)
        return isinstance(police_case_number, str) and _police_key(police_case_number) in self.police


def _police_key(number: str | None) -> str:
    # The court's copy of an AJBH may differ from the police's in spaces or letter case, and
    # that must not let a sealed case's police records through. Over-matching only hides more.
    return "".join((number or "").split()).upper()


def _unchecked_information(info: CaseInformation) -> CaseInformation:
    # Without the court's judgments the hub cannot tell which police case, coercive measure,
    # custody or correction belongs to a sealed juvenile conviction, so it shows none to a
    # caller who may not see sealed records. The court's source entry reports the failure.
    return replace(info, police_cases=(), coercive_measures=(), custody=(), corrections=())


def _withheld(result: LookupResult, visible: LookupResult) -> frozenset[Agency]:
    visible_ids = {id(record) for record in visible.all_records()}
    return frozenset(record.source.agency for record in result.all_records() if id(record) not in visible_ids)


def _court_answered(result: LookupResult) -> bool:
    return any(source.agency is Agency.COURT and source.status is FetchStatus.OK for source in result.sources)


def _juvenile_at_offence(judgment: Judgment, birth_date: dt.date | None) -> bool | None:
    """True or False when the dates settle it; None when they leave it open."""
    if birth_date is None:
        return None
    if judgment.offence_date is not None:
        return under_18_on(birth_date, judgment.offence_date)
    # The offence precedes the judgment: under 18 at judgment means under 18 at the offence.
    latest = judgment.judgment_date or judgment.effective_date
    if latest is not None and under_18_on(birth_date, latest):
        return True
    return None


def _later_records(judgment: Judgment, judgments: Sequence[Judgment]) -> list[Judgment]:
    if judgment.effective_date is None:
        return []
    return [
        other
        for other in judgments
        if other is not judgment
        and other.is_criminal_record
        and other.effective_date is not None
        and other.effective_date > judgment.effective_date
    ]


def _lifting_judgment(judgment: Judgment, later_judgments: Iterable[Judgment]) -> Judgment | None:
    own = _custodial_months(judgment.sentence)
    for later in later_judgments:
        if not later.is_criminal_record or later.source == judgment.source:
            continue
        if later.sentence.penalty in _NEVER_SEALED:
            return later
        if own + _custodial_months(later.sentence) >= UNSEALING_COMBINED_MONTHS:
            return later
    return None


def _custodial_months(sentence: Sentence) -> int:
    # Public surveillance and fines are served alongside imprisonment, not added to it
    # (Criminal Law art. 69), so only custodial terms count toward the combined sentence.
    if sentence.penalty in _CUSTODIAL:
        return sentence.term_months or 0
    return 0
