"""Each normalisation rule of the person index, one behaviour per test."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.idnumber import parse_id_number
from hub.identity import normalise
from hub.identity.normalise import SexScheme


@pytest.mark.parametrize(
    "raw",
    [
        "34052419800101001X",
        "34052419800101001x",
        "３４０５２４１９８００１０１００１Ｘ",
        "340524 19800101 001X",
        "340524800101001",
        "34052419800101001",  # stored as a number: the X was lost
    ],
)
def test_id_number_forms_normalise(raw: str) -> None:
    parsed = normalise.id_number(raw)

    assert parsed is not None and parsed.value == "34052419800101001X"


def test_id_number_float_text_reads() -> None:
    assert normalise.id_number("440524188001010014.0") is not None


@pytest.mark.parametrize("raw", [None, "", "34052419800101001Y", "340524198001010015", "12345"])
def test_invalid_id_number_is_none(raw: str | None) -> None:
    assert normalise.id_number(raw) is None


def test_id_number_text_keeps_typos() -> None:
    assert normalise.id_number_text("340524198001010015") == "340524198001010015"
    assert normalise.id_number_text("３４０５２４８００１０１００２") == "34052419800101002?"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("阿苏·拉哈", "阿苏·拉哈"),
        ("阿苏•拉哈", "阿苏·拉哈"),
        ("阿苏・拉哈", "阿苏·拉哈"),
        ("阿苏.拉哈", "阿苏·拉哈"),
        ("阿苏．拉哈", "阿苏·拉哈"),
        ("阿苏‧拉哈", "阿苏·拉哈"),
        ("阿苏 拉哈", "阿苏·拉哈"),
        ("  阿苏拉哈 ", "阿苏拉哈"),
        ("阿蘇拉哈", "阿苏拉哈"),
        ("馬海·伍沙", "马海·伍沙"),
    ],
)
def test_name_variants_unify(raw: str, expected: str) -> None:
    assert normalise.name(raw) == expected


def test_undotted_yi_name_stays_whole() -> None:
    assert normalise.name("吉克阿依") == "吉克阿依"
    assert normalise.name_key("吉克·阿依") == normalise.name_key("吉克阿依") == "吉克阿依"


def test_pinyin_key_is_toneless() -> None:
    assert normalise.pinyin_key("曲比阿果") == "qu bi a guo"
    assert normalise.pinyin_key("确比阿果") == "que bi a guo"
    assert normalise.pinyin_key("沙马") == normalise.pinyin_key("沙玛")


@pytest.mark.parametrize(
    ("raw", "scheme", "expected"),
    [
        ("M", SexScheme.LETTERS, "1"),
        ("f", SexScheme.LETTERS, "2"),
        ("男", SexScheme.CHINESE, "1"),
        ("女", SexScheme.CHINESE, "2"),
        ("1", SexScheme.ONE_ZERO, "1"),
        ("0", SexScheme.ONE_ZERO, "2"),
        ("0", SexScheme.GB, "0"),
        ("9", SexScheme.GB, "9"),
        ("X", SexScheme.GB, "0"),
        (None, SexScheme.CHINESE, "0"),
    ],
)
def test_sex_codes_map_per_source_scheme(raw: str | None, scheme: SexScheme, expected: str) -> None:
    assert normalise.sex(raw, scheme).code == expected


def test_sex_conflict_kept_and_flagged() -> None:
    male_number = parse_id_number("440524188001010014")

    value = normalise.sex("女", SexScheme.CHINESE, male_number)

    assert value.code == "2"
    assert value.conflicts_with_id_number


def test_agreeing_sex_not_flagged() -> None:
    assert not normalise.sex(
        "M", SexScheme.LETTERS, parse_id_number("440524188001010014")
    ).conflicts_with_id_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07", "07"),
        ("7", "07"),
        ("彝族", "07"),
        ("彝", "07"),
        ("漢族", "01"),
        ("57", "97"),
        ("58", "98"),
        ("", None),
        ("99", None),
        ("火星族", None),
    ],
)
def test_ethnicity_maps_to_gb_3304(raw: str, expected: str | None) -> None:
    assert normalise.ethnicity(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "19850317",
        "1985-03-17",
        "1985/3/17",
        "1985.03.17",
        "1985年3月17日",
        "850317",
        dt.date(1985, 3, 17),
        dt.datetime(1985, 3, 17, 8, 0),
    ],
)
def test_birth_dates_in_legacy_formats_parse(raw: object) -> None:
    assert normalise.birth_date(raw) == dt.date(1985, 3, 17)


@pytest.mark.parametrize("raw", [None, "", "00000000", "        ", "19850231", "unknown"])
def test_blank_birth_dates_are_none(raw: str | None) -> None:
    assert normalise.birth_date(raw) is None


def test_transposed_date_swaps_day_month() -> None:
    assert normalise.transposed(dt.date(1985, 3, 7)) == dt.date(1985, 7, 3)
    assert normalise.transposed(dt.date(1985, 3, 17)) is None
    assert normalise.transposed(dt.date(1985, 3, 3)) is None


def test_retired_huili_code_routes() -> None:
    assert normalise.county("513425") == "513402"
    assert normalise.county("513401") == "513401"
    assert normalise.county(" ") is None
