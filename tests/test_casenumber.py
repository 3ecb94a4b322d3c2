"""Court case numbers: the 2016 form, its bracket variants, and the older 字第 form."""

from __future__ import annotations

import pytest

from adapters.casenumber import parse_case_number, try_parse_case_number
from adapters.errors import InvalidCaseNumber
from adapters.records import CaseNumber

VARIANTS_2024 = [
    "（2024）川3401刑初12号",
    "(2024)川3401刑初12号",
    "〔2024〕川3401刑初12号",
    "[2024]川3401刑初12号",
    "【2024】川3401刑初12号",
    " （2024） 川3401 刑初 12 号 ",
    "（２０２４）川３４０１刑初１２号",
]


@pytest.mark.parametrize("raw", VARIANTS_2024)
def test_2016_form_parses_bracket_variants(raw: str) -> None:
    parsed = parse_case_number(raw)

    assert (parsed.year, parsed.court, parsed.case_type, parsed.serial) == (2024, "川3401", "刑初", 12)


@pytest.mark.parametrize("raw", VARIANTS_2024)
def test_bracket_variants_share_canonical(raw: str) -> None:
    assert parse_case_number(raw).canonical == "（2024）川3401刑初12号"


def test_raw_text_kept_unchanged() -> None:
    assert parse_case_number("(2024) 川3401刑初12号").raw == "(2024) 川3401刑初12号"


@pytest.mark.parametrize(
    ("raw", "court", "case_type"),
    [
        ("（2025）川34刑终7号", "川34", "刑终"),
        ("（2024）川刑终1号", "川", "刑终"),
        ("（2024）川3401执5号", "川3401", "执"),
        ("（2016）最高法刑终1号", "最高法", "刑终"),
    ],
)
def test_2016_form_reads_court_and_type(raw: str, court: str, case_type: str) -> None:
    parsed = parse_case_number(raw)

    assert (parsed.court, parsed.case_type) == (court, case_type)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "(2013)穗中法刑一初字第291号",
            CaseNumber("(2013)穗中法刑一初字第291号", 2013, "穗中法", "刑一初", 291),
        ),
        ("(2013)西法刑初字第291号", CaseNumber("(2013)西法刑初字第291号", 2013, "西法", "刑初", 291)),
        ("（2012）凉刑初字第5号", CaseNumber("（2012）凉刑初字第5号", 2012, "凉", "刑初", 5)),
    ],
)
def test_pre_2016_form_parses(raw: str, expected: CaseNumber) -> None:
    assert parse_case_number(raw) == expected


def test_pre_2016_variants_share_canonical() -> None:
    assert (
        parse_case_number("〔2013〕西法刑初字第291号").canonical
        == parse_case_number("(2013)西法刑初字第291号").canonical
    )


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "2024川3401刑初12号",
        "(24)川3401刑初12号",
        "(2024)川3401刑初号",
        "(2024)川340刑初12号",
        "川3401刑初八号",
    ],
)
def test_other_text_is_invalid(raw: str) -> None:
    with pytest.raises(InvalidCaseNumber):
        parse_case_number(raw)


def test_invalid_message_shows_value() -> None:
    with pytest.raises(InvalidCaseNumber) as caught:
        parse_case_number("川3401刑初八号")

    assert "川3401刑初八号" in caught.value.render("zh")


def test_try_parse_keeps_malformed_raw() -> None:
    assert try_parse_case_number("川3401刑初八号") == CaseNumber(raw="川3401刑初八号")
