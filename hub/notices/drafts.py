"""Turn one judgment change into the notice it calls for, or into none.

Pure functions: no I/O, so the poller can draft every change of a batch before one
transaction writes them. A judgment whose data the hub cannot act on still gets a notice,
in ``needs_attention`` with the reason, so that an officer sees it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace

from adapters.bureau import CorrectionNotice
from adapters.idnumber import mask_id_number, mask_name
from adapters.records import CorrectionType, JudgmentChange, PenaltyType, Verdict
from adapters.regions import current_county
from hub.calendar import WorkingDayCalendar
from hub.deadlines import DeadlineRules, due_dates
from hub.store.tables import NoticeStatus

# Reasons a notice needs an officer; stable English codes shown with Chinese text.
REASONS_ZH: dict[str, str] = {
    "case_number_unparsed": "案号无法解析",
    "effective_date_missing": "缺少判决生效日期",
    "county_unknown": "执行地县级代码未知",
    "draft_failed": "通知书生成失败",
}


@dataclass(frozen=True, slots=True)
class NoticeDraft:
    """The row a notice starts as, and the outbox payload when it goes to a bureau."""

    court_name: str
    case_number: str
    case_number_raw: str
    status: str
    court_sequence: int
    person_name_masked: str
    id_number_masked: str | None
    attention_reason: str | None = None
    correction_type: str | None = None
    county_code: str | None = None
    bureau_county_code: str | None = None
    effective_date: dt.date | None = None
    notice_due: dt.date | None = None
    documents_due: dt.date | None = None
    reporting_due: dt.date | None = None
    payload: CorrectionNotice | None = None

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.court_name, self.case_number)


def idempotency_key(court_name: str, case_number: str) -> str:
    """Derive the key from the judgment alone, so every retry, crash or re-poll sends the same one."""
    digest = hashlib.sha256(f"notice/v1\n{court_name}\n{case_number}".encode()).hexdigest()
    return f"jeh-notice-{digest[:40]}"


def correction_type_of(change: JudgmentChange) -> CorrectionType | None:
    """Return the kind of community correction a judgment orders, or None (CC Law art. 2)."""
    judgment = change.judgment
    if judgment.verdict is Verdict.NOT_GUILTY:
        return None
    if judgment.correction_type is not None:
        return judgment.correction_type
    if judgment.sentence.penalty is PenaltyType.PUBLIC_SURVEILLANCE:
        return CorrectionType.PUBLIC_SURVEILLANCE
    if judgment.sentence.probation_months:
        return CorrectionType.SUSPENDED_SENTENCE
    return None


def draft_notice(
    change: JudgmentChange, rules: DeadlineRules, calendar: WorkingDayCalendar
) -> NoticeDraft | None:
    """Draft the notice ``change`` calls for; None when the judgment orders no correction."""
    judgment, person = change.judgment, change.person
    correction = correction_type_of(change)
    # CPL art. 270: deprivation of political rights alone is executed by the police.
    police_only = (
        judgment.sentence.penalty is PenaltyType.DEPRIVATION_OF_POLITICAL_RIGHTS_ONLY
        and judgment.verdict is not Verdict.NOT_GUILTY
    )
    if correction is None and not police_only:
        return None

    county_code = judgment.residence_county_code or person.county_code
    bureau = current_county(county_code) if county_code else None
    base = NoticeDraft(
        court_name=judgment.court_name,
        case_number=judgment.case_number.canonical,
        case_number_raw=judgment.case_number.raw,
        status=NoticeStatus.ROUTED_TO_POLICE if police_only else NoticeStatus.PENDING,
        court_sequence=change.sequence,
        person_name_masked=mask_name(person.name),
        id_number_masked=mask_id_number(person.id_number) if person.id_number else None,
        correction_type=correction.value if correction else None,
        county_code=county_code,
        bureau_county_code=bureau.code if bureau else None,
        effective_date=judgment.effective_date,
    )
    if police_only:
        return base

    reasons = _attention_reasons(change, bureau is not None)
    effective_date = judgment.effective_date
    if reasons or effective_date is None or bureau is None or correction is None:
        return replace(base, status=NoticeStatus.NEEDS_ATTENTION, attention_reason=",".join(reasons))

    due = due_dates(effective_date, rules, calendar)
    payload = CorrectionNotice(
        court_name=judgment.court_name,
        case_number=judgment.case_number.canonical,
        case_number_raw=judgment.case_number.raw,
        correction_type=correction.value,
        county_code=county_code or "",
        bureau_county_code=bureau.code,
        person_name=person.name,
        id_number=person.id_number,
        sex_code=person.sex_code,
        birth_date=person.birth_date.isoformat() if person.birth_date else None,
        effective_date=effective_date.isoformat(),
        notice_due=due.notice_due.isoformat(),
        documents_due=due.documents_due.isoformat(),
        reporting_due=due.reporting_due.isoformat(),
        term_months=judgment.sentence.term_months,
        probation_months=judgment.sentence.probation_months,
        charges=[charge.name for charge in judgment.charges],
    )
    return replace(
        base,
        notice_due=due.notice_due,
        documents_due=due.documents_due,
        reporting_due=due.reporting_due,
        payload=payload,
    )


def failed_draft(change: JudgmentChange, error: Exception) -> NoticeDraft:
    """Build a needs-attention notice for a change whose drafting raised, so the batch goes on."""
    judgment = change.judgment
    return NoticeDraft(
        court_name=judgment.court_name,
        case_number=judgment.case_number.canonical,
        case_number_raw=judgment.case_number.raw,
        status=NoticeStatus.NEEDS_ATTENTION,
        court_sequence=change.sequence,
        person_name_masked=mask_name(change.person.name),
        id_number_masked=mask_id_number(change.person.id_number) if change.person.id_number else None,
        attention_reason=f"draft_failed: {type(error).__name__}",
    )


def reason_text(reason: str | None) -> str:
    """Chinese first, then the stable codes: ``案号无法解析；缺少判决生效日期 (case_number_unparsed,...)``."""
    if not reason:
        return ""
    codes = [part.split(":")[0].strip() for part in reason.split(",")]
    return "；".join(REASONS_ZH.get(code, code) for code in codes) + f" ({reason})"


def _attention_reasons(change: JudgmentChange, county_known: bool) -> list[str]:
    judgment = change.judgment
    reasons = []
    if judgment.case_number.year is None or judgment.case_number.serial is None:
        reasons.append("case_number_unparsed")
    if judgment.effective_date is None:
        reasons.append("effective_date_missing")
    if not county_known:
        reasons.append("county_unknown")
    return reasons
