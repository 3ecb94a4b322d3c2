"""Deadline arithmetic under CPL art. 105, on chinesecalendar's 2024-2026 data.

The weekday and holiday facts behind each expected date are checked in test_calendar.py.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from hub.calendar import HolidayCalendar
from hub.deadlines import (
    DeadlineRules,
    DueDates,
    add_days,
    add_half_month,
    add_months,
    due_dates,
    investigation_due,
    move_past_holiday,
    overdue,
    receipt_due,
)


@pytest.fixture
def calendar() -> HolidayCalendar:
    return HolidayCalendar()


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2025, 3, 4), 0, date(2025, 3, 4)),
        (date(2025, 3, 4), 1, date(2025, 3, 5)),  # first day not counted
        (date(2025, 3, 3), 10, date(2025, 3, 13)),  # ends on an ordinary Thursday
        (date(2025, 3, 3), 5, date(2025, 3, 10)),  # Saturday moves to Monday
        (date(2025, 3, 4), 5, date(2025, 3, 10)),  # Sunday moves to Monday
        (date(2024, 12, 27), 5, date(2025, 1, 2)),  # New Year's Day moves to Jan 2
        (date(2025, 9, 26), 5, date(2025, 10, 9)),  # Oct 1 moves past National Day week
        (date(2025, 9, 30), 8, date(2025, 10, 9)),  # Oct 8, the week's last day, moves too
        (date(2026, 2, 10), 10, date(2026, 2, 24)),  # Feb 20 moves past Spring Festival
        (date(2025, 9, 18), 10, date(2025, 9, 28)),  # shifted working Sunday stays
        (date(2025, 10, 1), 10, date(2025, 10, 11)),  # shifted working Saturday stays
        (date(2026, 2, 4), 10, date(2026, 2, 14)),  # shifted working Saturday stays
        (date(2025, 10, 2), 10, date(2025, 10, 13)),  # Sunday after a shifted Saturday moves
    ],
)
def test_add_days(calendar: HolidayCalendar, start: date, days: int, expected: date) -> None:
    assert add_days(start, days, calendar) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2025, 3, 3), 5, date(2025, 3, 8)),  # Saturday
        (date(2025, 9, 26), 5, date(2025, 10, 1)),  # National Day
        (date(2026, 2, 10), 10, date(2026, 2, 20)),  # Spring Festival
        (date(2025, 3, 3), 10, date(2025, 3, 13)),  # ordinary Thursday
    ],
)
def test_add_days_in_custody_does_not_move(
    calendar: HolidayCalendar, start: date, days: int, expected: date
) -> None:
    assert add_days(start, days, calendar, in_custody=True) == expected


def test_add_days_rejects_negative(calendar: HolidayCalendar) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        add_days(date(2025, 3, 3), -1, calendar)


def test_add_days_uses_override_holiday() -> None:
    calendar = HolidayCalendar(extra_holidays=[date(2025, 3, 13)])

    assert add_days(date(2025, 3, 3), 10, calendar) == date(2025, 3, 14)


def test_add_days_uses_override_working_day() -> None:
    calendar = HolidayCalendar(extra_working_days=[date(2025, 3, 8)])

    assert add_days(date(2025, 3, 3), 5, calendar) == date(2025, 3, 8)


def test_add_days_in_uncovered_year() -> None:
    # 2099-01-03 is a Saturday; the weekends-only fallback moves it to Monday.
    assert add_days(date(2098, 12, 29), 5, HolidayCalendar()) == date(2099, 1, 5)


@pytest.mark.parametrize(
    ("last_day", "expected"),
    [
        (date(2025, 3, 7), date(2025, 3, 7)),  # Friday
        (date(2025, 3, 8), date(2025, 3, 10)),  # Saturday
        (date(2025, 10, 1), date(2025, 10, 9)),  # National Day
        (date(2025, 10, 11), date(2025, 10, 11)),  # shifted working Saturday
    ],
)
def test_move_past_holiday(calendar: HolidayCalendar, last_day: date, expected: date) -> None:
    assert move_past_holiday(last_day, calendar) == expected


def test_move_past_holiday_in_custody(calendar: HolidayCalendar) -> None:
    assert move_past_holiday(date(2025, 10, 1), calendar, in_custody=True) == date(2025, 10, 1)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 15), 0, date(2025, 1, 15)),
        (date(2025, 1, 15), 1, date(2025, 2, 15)),  # same date next month
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # Feb lacks the 31st
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 30), 1, date(2025, 2, 28)),  # Feb lacks the 30th
        (date(2025, 1, 31), 2, date(2025, 3, 31)),
        (date(2025, 2, 28), 1, date(2025, 3, 31)),  # month end to month end
        (date(2024, 2, 28), 1, date(2024, 3, 28)),  # not a month end in a leap year
        (date(2024, 2, 29), 1, date(2024, 3, 31)),  # month end to month end
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day to a common year
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # into a leap February
        (date(2025, 4, 30), 1, date(2025, 5, 31)),  # month end to month end
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 11, 15), 2, date(2026, 1, 15)),  # across a year
        (date(2025, 12, 31), 1, date(2026, 1, 31)),
        (date(2025, 1, 15), 24, date(2027, 1, 15)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_rejects_negative() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        add_months(date(2025, 1, 15), -1)


def test_add_months_then_holiday_move(calendar: HolidayCalendar) -> None:
    last_day = add_months(date(2025, 9, 1), 1)

    assert move_past_holiday(last_day, calendar) == date(2025, 10, 9)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2025, 1, 31), date(2025, 2, 15)),
        (date(2025, 2, 20), date(2025, 3, 7)),
        (date(2024, 2, 20), date(2024, 3, 6)),  # leap year
        (date(2025, 12, 20), date(2026, 1, 4)),
    ],
)
def test_add_half_month(start: date, expected: date) -> None:
    assert add_half_month(start) == expected


def test_rules_defaults() -> None:
    rules = DeadlineRules()

    assert rules.notice_days == 5
    assert rules.documents_days == 10
    assert rules.reporting_days == 10
    assert rules.receipt_days == 5
    assert rules.receipt_in_working_days is False
    assert rules.investigation_working_days == 10
    assert rules.fast_track_investigation_working_days == 5


def test_rules_are_frozen() -> None:
    rules = DeadlineRules()

    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.notice_days = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "field",
    [
        "notice_days",
        "documents_days",
        "reporting_days",
        "receipt_days",
        "investigation_working_days",
        "fast_track_investigation_working_days",
    ],
)
def test_rules_reject_negative(field: str) -> None:
    overrides: dict[str, Any] = {field: -1}

    with pytest.raises(ValueError, match=field):
        DeadlineRules(**overrides)


def test_due_dates_ordinary_days(calendar: HolidayCalendar) -> None:
    due = due_dates(date(2025, 9, 20), DeadlineRules(), calendar)

    assert due.notice_due == date(2025, 9, 25)
    assert due.documents_due == date(2025, 9, 30)
    assert due.reporting_due == date(2025, 9, 30)


def test_due_dates_across_spring_festival(calendar: HolidayCalendar) -> None:
    due = due_dates(date(2026, 2, 5), DeadlineRules(), calendar)

    assert due.notice_due == date(2026, 2, 10)
    assert due.documents_due == date(2026, 2, 24)
    assert due.reporting_due == date(2026, 2, 24)


def test_due_dates_across_national_day(calendar: HolidayCalendar) -> None:
    due = due_dates(date(2025, 9, 26), DeadlineRules(), calendar)

    assert due == DueDates(
        notice_due=date(2025, 10, 9),
        documents_due=date(2025, 10, 9),
        reporting_due=date(2025, 10, 9),
    )


def test_due_dates_follow_rules(calendar: HolidayCalendar) -> None:
    rules = DeadlineRules(notice_days=3, documents_days=7, reporting_days=4)

    due = due_dates(date(2025, 3, 3), rules, calendar)

    assert due.notice_due == date(2025, 3, 6)
    assert due.documents_due == date(2025, 3, 10)
    assert due.reporting_due == date(2025, 3, 7)


@pytest.mark.parametrize(
    ("arrived", "expected"),
    [
        (date(2025, 3, 4), date(2025, 3, 10)),  # Sunday moves to Monday
        (date(2025, 3, 5), date(2025, 3, 10)),  # ordinary Monday
        (date(2025, 9, 26), date(2025, 10, 9)),  # National Day
        (date(2025, 10, 6), date(2025, 10, 11)),  # shifted working Saturday
    ],
)
def test_receipt_due_calendar_days(calendar: HolidayCalendar, arrived: date, expected: date) -> None:
    assert receipt_due(arrived, DeadlineRules(), calendar) == expected


@pytest.mark.parametrize(
    ("arrived", "expected"),
    [
        (date(2025, 3, 6), date(2025, 3, 11)),  # skips the weekend
        (date(2025, 9, 26), date(2025, 9, 30)),  # counts the shifted Sunday
        (date(2025, 9, 30), date(2025, 10, 11)),  # skips National Day week
        (date(2026, 2, 12), date(2026, 2, 24)),  # counts the shifted Saturday, skips Spring Festival
    ],
)
def test_receipt_due_three_working_days(calendar: HolidayCalendar, arrived: date, expected: date) -> None:
    rules = DeadlineRules(receipt_days=3, receipt_in_working_days=True)

    assert receipt_due(arrived, rules, calendar) == expected


def test_receipt_due_five_working_days(calendar: HolidayCalendar) -> None:
    rules = DeadlineRules(receipt_in_working_days=True)

    assert receipt_due(date(2025, 9, 26), rules, calendar) == date(2025, 10, 10)


@pytest.mark.parametrize(
    ("commissioned", "fast_track", "expected"),
    [
        (date(2025, 9, 26), False, date(2025, 10, 16)),
        (date(2025, 9, 26), True, date(2025, 10, 10)),
        (date(2026, 2, 12), False, date(2026, 3, 4)),
        (date(2026, 2, 12), True, date(2026, 2, 26)),
    ],
)
def test_investigation_due(
    calendar: HolidayCalendar, commissioned: date, fast_track: bool, expected: date
) -> None:
    assert investigation_due(commissioned, DeadlineRules(), calendar, fast_track=fast_track) == expected


DUE = date(2025, 10, 9)


@pytest.mark.parametrize(
    ("completed_on", "today", "expected"),
    [
        (None, date(2025, 10, 8), False),  # open, before the due date
        (None, DUE, False),  # open, on the due date
        (None, date(2025, 10, 10), True),  # open, past the due date
        (date(2025, 10, 9), date(2025, 10, 20), False),  # done on the due date
        (date(2025, 9, 30), date(2025, 10, 20), False),  # done early
        (date(2025, 10, 10), date(2025, 10, 10), True),  # done a day late
        (date(2025, 10, 10), date(2025, 10, 20), True),  # done late, checked later
    ],
)
def test_overdue(completed_on: date | None, today: date, expected: bool) -> None:
    assert overdue(DUE, completed_on, today) is expected
