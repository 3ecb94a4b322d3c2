"""HolidayCalendar against chinesecalendar's own data, overrides and the weekends-only fallback."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import chinese_calendar
import pytest

from hub.calendar import PACKAGE_YEARS, HolidayCalendar

# A year far past chinesecalendar 1.11's data (2004-2026), so tests of the fallback stay valid.
UNCOVERED_YEAR = 2099

# (day, working day?) as chinesecalendar stores them. The deadline tests build on these facts.
PACKAGE_FACTS = [
    (date(2025, 3, 7), True),  # Friday
    (date(2025, 3, 8), False),  # Saturday
    (date(2025, 3, 9), False),  # Sunday
    (date(2025, 1, 1), False),  # New Year's Day, Wednesday
    (date(2025, 9, 28), True),  # Sunday worked for National Day
    (date(2025, 10, 1), False),  # National Day week 2025-10-01..08
    (date(2025, 10, 6), False),  # Mid-Autumn Festival inside National Day week
    (date(2025, 10, 8), False),  # Wednesday, last day of National Day week
    (date(2025, 10, 9), True),  # Thursday after National Day week
    (date(2025, 10, 11), True),  # Saturday worked for National Day
    (date(2025, 10, 12), False),  # Sunday after the shifted Saturday
    (date(2026, 2, 14), True),  # Saturday worked for Spring Festival
    (date(2026, 2, 15), False),  # Spring Festival 2026-02-15..23
    (date(2026, 2, 23), False),  # Monday, last day of Spring Festival
    (date(2026, 2, 24), True),  # Tuesday after Spring Festival
    (date(2026, 2, 28), True),  # Saturday worked for Spring Festival
]


@pytest.fixture
def calendar() -> HolidayCalendar:
    return HolidayCalendar()


@pytest.mark.parametrize(("day", "working"), PACKAGE_FACTS)
def test_package_data_premise(day: date, working: bool) -> None:
    assert chinese_calendar.is_workday(day) is working


def test_package_covers_2025_and_2026() -> None:
    assert 2025 in PACKAGE_YEARS
    assert 2026 in PACKAGE_YEARS


def test_package_rejects_uncovered_year() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(UNCOVERED_YEAR, 1, 5))


@pytest.mark.parametrize(("day", "working"), PACKAGE_FACTS)
def test_is_working_day_matches_package(calendar: HolidayCalendar, day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working


@pytest.mark.parametrize(("day", "working"), PACKAGE_FACTS)
def test_is_holiday_is_negation(calendar: HolidayCalendar, day: date, working: bool) -> None:
    assert calendar.is_holiday(day) is not working


def test_is_working_day_rejects_datetime(calendar: HolidayCalendar) -> None:
    with pytest.raises(TypeError, match="datetime.date"):
        calendar.is_working_day(datetime(2025, 3, 7, 9, 30))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 3, 6), date(2025, 3, 7)),  # Thursday to Friday
        (date(2025, 3, 7), date(2025, 3, 10)),  # Friday to Monday
        (date(2025, 3, 8), date(2025, 3, 10)),  # Saturday to Monday
        (date(2025, 9, 26), date(2025, 9, 28)),  # Friday to the shifted Sunday
        (date(2025, 9, 30), date(2025, 10, 9)),  # across National Day week
        (date(2025, 10, 10), date(2025, 10, 11)),  # Friday to the shifted Saturday
        (date(2026, 2, 14), date(2026, 2, 24)),  # across Spring Festival
        (date(2024, 12, 31), date(2025, 1, 2)),  # across New Year's Day
    ],
)
def test_next_working_day(calendar: HolidayCalendar, day: date, expected: date) -> None:
    assert calendar.next_working_day(day) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2025, 3, 6), 0, date(2025, 3, 6)),
        (date(2025, 3, 6), 1, date(2025, 3, 7)),
        (date(2025, 3, 6), 3, date(2025, 3, 11)),  # skips the weekend
        (date(2025, 9, 26), 3, date(2025, 9, 30)),  # counts the shifted Sunday
        (date(2025, 9, 30), 3, date(2025, 10, 11)),  # ends on the shifted Saturday
        (date(2025, 9, 26), 10, date(2025, 10, 16)),
        (date(2026, 2, 12), 5, date(2026, 2, 26)),
        (date(2026, 2, 12), 10, date(2026, 3, 4)),
    ],
)
def test_add_working_days(calendar: HolidayCalendar, start: date, days: int, expected: date) -> None:
    assert calendar.add_working_days(start, days) == expected


def test_add_working_days_rejects_negative(calendar: HolidayCalendar) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        calendar.add_working_days(date(2025, 3, 6), -1)


def test_extra_holiday_closes_weekday() -> None:
    calendar = HolidayCalendar(extra_holidays=[date(2025, 3, 7)])

    assert calendar.is_working_day(date(2025, 3, 7)) is False
    assert calendar.next_working_day(date(2025, 3, 6)) == date(2025, 3, 10)


def test_extra_working_day_opens_sunday() -> None:
    calendar = HolidayCalendar(extra_working_days=[date(2025, 3, 9)])

    assert calendar.is_working_day(date(2025, 3, 9)) is True
    assert calendar.next_working_day(date(2025, 3, 7)) == date(2025, 3, 9)


def test_extra_working_day_beats_package_holiday() -> None:
    calendar = HolidayCalendar(extra_working_days=[date(2025, 10, 8)])

    assert calendar.is_working_day(date(2025, 10, 8)) is True


def test_extra_holiday_beats_shifted_working_day() -> None:
    calendar = HolidayCalendar(extra_holidays=[date(2025, 9, 28)])

    assert calendar.is_working_day(date(2025, 9, 28)) is False


def test_overrides_reject_date_in_both_lists() -> None:
    with pytest.raises(ValueError, match="2025-03-07"):
        HolidayCalendar(extra_holidays=[date(2025, 3, 7)], extra_working_days=[date(2025, 3, 7)])


def test_overrides_reject_datetime() -> None:
    with pytest.raises(TypeError, match="datetime"):
        HolidayCalendar(extra_holidays=[datetime(2025, 3, 7)])


def test_from_file_reads_dates(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(
        'holidays = [2099-01-01, "2099-01-02"]\nworking_days = [2099-01-04]\ncomplete_years = [2099]\n',
        encoding="utf-8",
    )

    calendar = HolidayCalendar.from_file(path)

    assert calendar.extra_holidays == {date(2099, 1, 1), date(2099, 1, 2)}
    assert calendar.extra_working_days == {date(2099, 1, 4)}
    assert calendar.complete_years == {2099}


def test_from_file_empty_means_no_overrides(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text("", encoding="utf-8")

    calendar = HolidayCalendar.from_file(path)

    assert calendar.extra_holidays == frozenset()
    assert calendar.extra_working_days == frozenset()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("holiday = [2099-01-01]\n", "unknown keys holiday"),
        ('holidays = "2099-01-01"\n', "must be a list of dates"),
        ('holidays = ["2099-13-01"]\n', "not a date in YYYY-MM-DD form"),
        ("holidays = [2099-01-01T08:00:00]\n", "is not a date"),
        ("holidays = [20990101]\n", "is not a date"),
        ('complete_years = ["2099"]\n', "must be a list of years"),
    ],
)
def test_from_file_rejects_bad_content(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ValueError, match=message):
        HolidayCalendar.from_file(path)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(UNCOVERED_YEAR, 1, 1), True),  # Thursday
        (date(UNCOVERED_YEAR, 1, 3), False),  # Saturday
        (date(UNCOVERED_YEAR, 1, 4), False),  # Sunday
        (date(UNCOVERED_YEAR, 1, 5), True),  # Monday
        (date(2003, 1, 4), False),  # Saturday before the package's first year
        (date(2003, 1, 6), True),  # Monday before the package's first year
    ],
)
def test_fallback_counts_weekends_only(day: date, working: bool) -> None:
    assert HolidayCalendar().is_working_day(day) is working


def test_fallback_applies_overrides() -> None:
    calendar = HolidayCalendar(
        extra_holidays=[date(UNCOVERED_YEAR, 1, 1)],
        extra_working_days=[date(UNCOVERED_YEAR, 1, 4)],
    )

    assert calendar.is_working_day(date(UNCOVERED_YEAR, 1, 1)) is False
    assert calendar.is_working_day(date(UNCOVERED_YEAR, 1, 4)) is True


def test_fallback_next_working_day() -> None:
    calendar = HolidayCalendar()

    assert calendar.next_working_day(date(UNCOVERED_YEAR, 1, 2)) == date(UNCOVERED_YEAR, 1, 5)


def test_fallback_warns_once_per_year(caplog: pytest.LogCaptureFixture) -> None:
    calendar = HolidayCalendar()

    with caplog.at_level(logging.WARNING, logger="hub.calendar"):
        calendar.is_working_day(date(UNCOVERED_YEAR, 1, 1))
        calendar.is_working_day(date(UNCOVERED_YEAR, 6, 1))
        calendar.is_working_day(date(2003, 1, 6))

    years = [record.args[1] for record in caplog.records if isinstance(record.args, tuple)]
    assert years == [UNCOVERED_YEAR, 2003]


def test_fallback_warning_names_year(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hub.calendar"):
        HolidayCalendar().is_working_day(date(UNCOVERED_YEAR, 1, 1))

    assert f"no holiday data for {UNCOVERED_YEAR}" in caplog.text


def test_complete_year_skips_warning(caplog: pytest.LogCaptureFixture) -> None:
    calendar = HolidayCalendar(complete_years=[UNCOVERED_YEAR])

    with caplog.at_level(logging.WARNING, logger="hub.calendar"):
        calendar.is_working_day(date(UNCOVERED_YEAR, 1, 1))

    assert caplog.records == []


def test_covered_year_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hub.calendar"):
        HolidayCalendar().is_working_day(date(2025, 10, 1))

    assert caplog.records == []
