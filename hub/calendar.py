"""Working days in mainland China: statutory holidays and shifted working days (调休).

``HolidayCalendar`` reads the State Council holiday schedule from the ``chinesecalendar``
package (import name ``chinese_calendar``) and lets an operator override single dates from a
TOML file, for example a year the installed package does not cover yet::

    # Dates listed here win over the package's data.
    holidays = [2027-01-01, 2027-02-05]
    working_days = [2027-02-07]
    # Years whose holidays and shifted working days are listed above in full,
    # so no warning is logged for them.
    complete_years = [2027]

For a year the package does not cover, ``HolidayCalendar`` counts Saturdays and Sundays as
non-working days, applies the overrides, and logs one warning per year.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import chinese_calendar

logger = logging.getLogger(__name__)

ONE_DAY = timedelta(days=1)

# chinesecalendar raises NotImplementedError for a year outside the span of its holiday table,
# so the span is read from that same table.
PACKAGE_YEARS = range(
    min(chinese_calendar.holidays).year,
    max(chinese_calendar.holidays).year + 1,
)

OVERRIDE_KEYS = frozenset({"holidays", "working_days", "complete_years"})


class WorkingDayCalendar(Protocol):
    """Interface that deadline arithmetic requires from a working-day calendar."""

    def is_working_day(self, day: date) -> bool: ...

    def next_working_day(self, day: date) -> date: ...

    def add_working_days(self, start: date, days: int) -> date: ...


class HolidayCalendar:
    """China's working-day calendar from ``chinesecalendar`` plus operator overrides."""

    def __init__(
        self,
        *,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        complete_years: Iterable[int] = (),
    ) -> None:
        holidays = frozenset(_require_date(day) for day in extra_holidays)
        working_days = frozenset(_require_date(day) for day in extra_working_days)
        both = sorted(holidays & working_days)
        if both:
            listed = ", ".join(day.isoformat() for day in both)
            raise ValueError(
                f"dates listed both as holidays and as working days: {listed}. Keep each in one list."
            )

        self.extra_holidays = holidays
        self.extra_working_days = working_days
        self.complete_years = frozenset(complete_years)
        self._warned_years: set[int] = set()

    @classmethod
    def from_file(cls, path: Path) -> HolidayCalendar:
        """Build a calendar from a TOML overrides file (format in the module docstring)."""
        with path.open("rb") as file:
            data = tomllib.load(file)

        unknown = sorted(set(data) - OVERRIDE_KEYS)
        if unknown:
            expected = ", ".join(sorted(OVERRIDE_KEYS))
            raise ValueError(f"{path}: unknown keys {', '.join(unknown)}. Expected only {expected}.")

        return cls(
            extra_holidays=_read_dates(data, "holidays", path),
            extra_working_days=_read_dates(data, "working_days", path),
            complete_years=_read_years(data, "complete_years", path),
        )

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day, shifted working days included."""
        _require_date(day)
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False

        if day.year in PACKAGE_YEARS:
            return bool(chinese_calendar.is_workday(day))

        self._warn_uncovered(day.year)
        return day.weekday() < 5

    def is_holiday(self, day: date) -> bool:
        """Return whether ``day`` is a rest day: a statutory holiday or an unshifted weekend day."""
        return not self.is_working_day(day)

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after ``day``."""
        candidate = day + ONE_DAY
        while not self.is_working_day(candidate):
            candidate += ONE_DAY
        return candidate

    def add_working_days(self, start: date, days: int) -> date:
        """Return the date ``days`` working days after ``start``, which itself is not counted."""
        if days < 0:
            raise ValueError(f"working days to add must be 0 or more, got {days}")

        day = start
        for _ in range(days):
            day = self.next_working_day(day)
        return day

    def _warn_uncovered(self, year: int) -> None:
        if year in self.complete_years or year in self._warned_years:
            return

        self._warned_years.add(year)
        logger.warning(
            "chinesecalendar %s has no holiday data for %d (it covers %d-%d): counting only "
            "Saturdays and Sundays as rest days, plus %d override dates. Upgrade chinesecalendar "
            "or list the year's holidays and shifted working days in the overrides file.",
            chinese_calendar.__version__,
            year,
            PACKAGE_YEARS.start,
            PACKAGE_YEARS.stop - 1,
            self._override_count(year),
        )

    def _override_count(self, year: int) -> int:
        return sum(1 for day in self.extra_holidays | self.extra_working_days if day.year == year)


def _require_date(value: object) -> date:
    # A datetime is a date subclass but never equals a date, so it would miss every override.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a datetime.date, got {type(value).__name__} {value!r}")
    return value


def _read_dates(data: dict[str, Any], key: str, path: Path) -> list[date]:
    values = data.get(key, [])
    if not isinstance(values, list):
        raise ValueError(f"{path}: {key} must be a list of dates such as [2027-01-01], got {values!r}")
    return [_parse_date(value, key, path) for value in values]


def _parse_date(value: object, key: str, path: Path) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{path}: {key} entry {value!r} is not a date in YYYY-MM-DD form") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError(f"{path}: {key} entry {value!r} is not a date. Write it as 2027-01-01.")


def _read_years(data: dict[str, Any], key: str, path: Path) -> list[int]:
    values = data.get(key, [])
    if not isinstance(values, list) or not all(type(value) is int for value in values):
        raise ValueError(f"{path}: {key} must be a list of years such as [2027], got {values!r}")
    return values
