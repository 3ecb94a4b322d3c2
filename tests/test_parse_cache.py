"""The parse caches of ID numbers and case numbers keep only valid values and change no result."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters import casenumber, idnumber
from adapters.errors import InvalidCaseNumber, InvalidIdNumber
from adapters.idnumber import check_character, parse_id_number
from tests.standins import ID_NUMBER


def future_born_number() -> str:
    """Return a valid-looking number of someone born tomorrow, which is invalid today."""
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    first17 = f"513401{tomorrow:%Y%m%d}001"
    return first17 + check_character(first17)


def test_cached_parse_matches_fresh() -> None:
    idnumber._parse_recent.cache_clear()

    first = parse_id_number(f" {ID_NUMBER[:6]}-{ID_NUMBER[6:]} ")
    again = parse_id_number(f" {ID_NUMBER[:6]}-{ID_NUMBER[6:]} ")

    assert first == idnumber._parse(ID_NUMBER, None)
    assert again is first
    assert idnumber._parse_recent.cache_info().hits == 1


def test_invalid_number_is_not_kept() -> None:
    idnumber._parse_recent.cache_clear()
    wrong_check = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")

    for _ in range(2):
        with pytest.raises(InvalidIdNumber):
            parse_id_number(wrong_check)

    assert idnumber._parse_recent.cache_info().currsize == 0


def test_explicit_day_bypasses_the_cache() -> None:
    number = future_born_number()
    tomorrow = dt.date.today() + dt.timedelta(days=1)

    with pytest.raises(InvalidIdNumber):
        parse_id_number(number)
    parsed = parse_id_number(number, today=tomorrow)

    assert parsed.value == number
    with pytest.raises(InvalidIdNumber):
        parse_id_number(number)


def test_padded_number_not_kept() -> None:
    idnumber._parse_recent.cache_clear()
    padded = ID_NUMBER + " " * 1000

    parsed = parse_id_number(padded)

    assert parsed.value == ID_NUMBER
    assert idnumber._parse_recent.cache_info().currsize == 0


def test_case_cache_keeps_valid_only() -> None:
    casenumber._parse_recent.cache_clear()

    first = casenumber.parse_case_number("（2026）川3401刑初5号")
    again = casenumber.parse_case_number("（2026）川3401刑初5号")
    for _ in range(2):
        with pytest.raises(InvalidCaseNumber):
            casenumber.parse_case_number("not a case number")

    assert again is first
    assert first.serial == 5
    assert casenumber._parse_recent.cache_info().currsize == 1


def test_padded_case_number_not_kept() -> None:
    casenumber._parse_recent.cache_clear()

    parsed = casenumber.parse_case_number("（2026）川3401刑初5号" + " " * 1000)

    assert parsed.serial == 5
    assert casenumber._parse_recent.cache_info().currsize == 0
