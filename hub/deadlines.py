"""Statutory deadlines for community-correction notices, counted by Criminal Procedure Law art. 105.

Art. 105 fixes the counting rule: the day a period starts is not counted, and a period whose
last day is a holiday ends on the first working day after it, unless the person is in custody.
Day counts come from ``DeadlineRules`` so an operator can correct a figure without a release.
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass, fields
from datetime import date, timedelta

from hub.calendar import WorkingDayCalendar

HALF_MONTH_DAYS = 15


@dataclass(frozen=True)
class DeadlineRules:
    """Day counts for the community-correction deadlines, each 0 or more."""

    # Community Correction Law art. 20: the court notifies the correction office within 5 days
    # of the effective date and delivers the judgment and execution notice within 10 days.
    notice_days: int = 5
    documents_days: int = 10
    # Community Correction Law art. 21: the offender reports in within 10 days of the effective date.
    reporting_days: int = 10
    # NOTE: 5 days is from the 2020 Community Correction Implementation Measures art. 16, not checked
    # against the official text. The superseded 2012 measures set 3 working days instead.
    receipt_days: int = 5
    receipt_in_working_days: bool = False
    # NOTE: 10 and 5 working days are from the 2020 Implementation Measures arts. 13-14, not checked
    # against the official text.
    investigation_working_days: int = 10
    fast_track_investigation_working_days: int = 5

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, int) and value < 0:
                raise ValueError(f"DeadlineRules.{field.name} must be 0 or more, got {value}")


@dataclass(frozen=True)
class DueDates:
    """Deadlines that run from the date a community-correction judgment takes effect."""

    notice_due: date
    documents_due: date
    reporting_due: date


def move_past_holiday(last_day: date, calendar: WorkingDayCalendar, *, in_custody: bool = False) -> date:
    """Move a period's last day to the next working day when it falls on a rest day (CPL art. 105).

    When the person is in custody, the period ends on its last day even if that is a holiday.
    """
    if in_custody or calendar.is_working_day(last_day):
        return last_day
    return calendar.next_working_day(last_day)


def add_days(start: date, days: int, calendar: WorkingDayCalendar, *, in_custody: bool = False) -> date:
    """Return the last day of a period of ``days`` calendar days that starts on ``start``.

    ``start`` is not counted, and a last day on a rest day moves to the next working day
    unless ``in_custody`` (CPL art. 105).
    """
    if days < 0:
        raise ValueError(f"days to add must be 0 or more, got {days}")

    last_day = start + timedelta(days=days)
    return move_past_holiday(last_day, calendar, in_custody=in_custody)


def add_months(start: date, months: int) -> date:
    """Return the same date ``months`` months later, before any holiday move.

    One month runs to the same date of the next month. A start on the last day of its month
    ends on the last day of the target month, and a date the target month lacks becomes that
    month's last day. So Jan 31, 2025 plus one month is Feb 28, and Feb 28, 2025 plus one
    month is Mar 31. Apply ``move_past_holiday`` to the result for art. 105's holiday rule.
    """
    # NOTE: the month-end rule follows secondary restatements of the Supreme People's Court's
    # 2021 CPL Interpretation (art. 202, number unverified), not its official text.
    if months < 0:
        raise ValueError(f"months to add must be 0 or more, got {months}")

    month_index = start.year * 12 + start.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    target_month_end = gregorian.monthrange(year, month)[1]

    if _is_month_end(start):
        return date(year, month, target_month_end)
    return date(year, month, min(start.day, target_month_end))


def add_half_month(start: date) -> date:
    """Return the last day of a half-month period, which always counts 15 days.

    Apply ``move_past_holiday`` to the result for art. 105's holiday rule.
    """
    return start + timedelta(days=HALF_MONTH_DAYS)


def due_dates(effective_date: date, rules: DeadlineRules, calendar: WorkingDayCalendar) -> DueDates:
    """Compute the notice, documents and reporting deadlines from the judgment's effective date."""
    return DueDates(
        notice_due=add_days(effective_date, rules.notice_days, calendar),
        documents_due=add_days(effective_date, rules.documents_days, calendar),
        reporting_due=add_days(effective_date, rules.reporting_days, calendar),
    )


def receipt_due(documents_arrived_on: date, rules: DeadlineRules, calendar: WorkingDayCalendar) -> date:
    """Compute when the correction office must return its receipt for delivered documents."""
    if rules.receipt_in_working_days:
        return calendar.add_working_days(documents_arrived_on, rules.receipt_days)
    return add_days(documents_arrived_on, rules.receipt_days, calendar)


def investigation_due(
    commissioned_on: date,
    rules: DeadlineRules,
    calendar: WorkingDayCalendar,
    *,
    fast_track: bool = False,
) -> date:
    """Compute when a pre-sentence investigation report is due, counted in working days."""
    days = rules.fast_track_investigation_working_days if fast_track else rules.investigation_working_days
    return calendar.add_working_days(commissioned_on, days)


def overdue(due: date, completed_on: date | None, today: date) -> bool:
    """Return whether a deadline is missed: done after ``due``, or not done and ``today`` is past it.

    ``completed_on`` is the day the act was done. CPL art. 105 also treats a document posted
    before the deadline as on time, so a caller passes the posting date for mailed documents.
    """
    if completed_on is not None:
        return completed_on > due
    return today > due


def _is_month_end(day: date) -> bool:
    return day.day == gregorian.monthrange(day.year, day.month)[1]
