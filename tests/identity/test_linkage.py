"""Linkage rules on small hand-made record sets: deterministic, probabilistic, decisions."""

from __future__ import annotations

from adapters.idnumber import check_character
from hub.identity.entries import IndexEntry, entry_from_raw
from hub.identity.linkage import Decision, Linker, LinkMethod, LinkRecord, LinkResult, Outcome, Thresholds
from hub.identity.normalise import SexScheme


def valid(first17: str) -> str:
    return first17 + check_character(first17)


def entry(
    key: str,
    name: str,
    *,
    number: str | None = None,
    birth: str | None = "1985-03-07",
    sex: str = "1",
    county: str | None = "513431",
    others: tuple[str, ...] = (),
) -> IndexEntry:
    return entry_from_raw(
        "police",
        key,
        name=name,
        other_names=others,
        id_number=number,
        sex=sex,
        sex_scheme=SexScheme.GB,
        birth_date=birth,
        county=county,
    )


def link(*entries: IndexEntry, decisions: tuple[Decision, ...] = ()) -> LinkResult:
    records = [LinkRecord(i, e.side()) for i, e in enumerate(entries)]
    return Linker().link(records, decisions)


def together(result: LinkResult, a: int, b: int) -> bool:
    return result.cluster[a] == result.cluster[b]


def test_legacy_15_digit_form_links() -> None:
    number = valid("51343119850307123")
    result = link(
        entry("a", "阿苏拉哈", number=number), entry("b", "苏文华", number=number[:6] + number[8:17])
    )

    assert together(result, 0, 1)
    assert result.method[1] is LinkMethod.ID_NUMBER


def test_distinct_id_numbers_never_merge() -> None:
    result = link(
        entry("a", "阿苏拉哈", number=valid("51343119850307123")),
        entry("b", "阿苏拉哈", number=valid("51343119850307125")),
        entry("c", "阿苏拉哈"),
    )

    assert not together(result, 0, 1)


def test_record_without_number_links() -> None:
    result = link(
        entry("a", "吉克·阿依", number=valid("51343119850307124"), sex="2"), entry("b", "吉克阿依", sex="2")
    )

    assert together(result, 0, 1)
    assert result.method[1] is LinkMethod.PROBABILISTIC
    assert result.score[1] >= Thresholds().match


def test_homophone_transliteration_links() -> None:
    result = link(entry("a", "曲比阿果", number=valid("51343119850307123")), entry("b", "确比阿果"))

    assert together(result, 0, 1)


def test_transposed_day_and_month_links() -> None:
    result = link(
        entry("a", "沙马伍各", number=valid("51343119850307123")), entry("b", "沙马伍各", birth="1985-07-03")
    )

    assert together(result, 0, 1)


def test_mistyped_number_with_same_name_links() -> None:
    number = valid("51343119850307123")
    typo = number[:10] + ("9" if number[10] != "9" else "8") + number[11:]
    result = link(entry("a", "马海木呷", number=number), entry("b", "马海木呷", number=typo, county="513432"))

    assert together(result, 0, 1)


def test_han_name_alone_is_possible() -> None:
    result = link(entry("a", "阿苏拉哈", number=valid("51343119850307123")), entry("b", "苏文华"))

    assert not together(result, 0, 1)
    assert [(c.a, c.b) for c in result.candidates] == [(0, 1)]
    assert set(result.candidates[0].agreed) == {"birth_date", "sex", "county"}
    assert Thresholds().outcome(result.candidates[0].score) is Outcome.POSSIBLE


def test_recorded_alias_links_han_record() -> None:
    result = link(
        entry("a", "阿苏拉哈", number=valid("51343119850307123"), others=("苏文华",)), entry("b", "苏文华")
    )

    assert together(result, 0, 1)


def test_confirmed_possible_match_is_joined() -> None:
    result = link(
        entry("a", "阿苏拉哈", number=valid("51343119850307123")),
        entry("b", "苏文华"),
        decisions=(Decision(0, 1, confirmed=True),),
    )

    assert together(result, 0, 1)
    assert result.method[1] is LinkMethod.CONFIRMED
    assert result.candidates == []


def test_rejected_pair_stays_apart() -> None:
    result = link(
        entry("a", "吉克阿依", number=valid("51343119850307124")),
        entry("b", "吉克阿依"),
        decisions=(Decision(0, 1, confirmed=False),),
    )

    assert not together(result, 0, 1)
    assert result.candidates == []


def test_confirmation_across_numbers_ignored() -> None:
    decision = Decision(0, 1, confirmed=True)
    result = link(
        entry("a", "阿苏拉哈", number=valid("51343119850307123")),
        entry("b", "阿苏拉哈", number=valid("51343119850307125")),
        decisions=(decision,),
    )

    assert not together(result, 0, 1)
    assert result.conflicting == [decision]


def test_record_joins_better_person() -> None:
    result = link(
        entry("a", "阿苏拉哈", number=valid("51343119850307123")),
        entry("b", "阿苏拉哈", number=valid("51343119850307125"), county="513432"),
        entry("c", "阿苏拉哈"),
    )

    assert together(result, 0, 2)
    assert not together(result, 1, 2)


def test_unrelated_people_stay_single() -> None:
    result = link(
        entry("a", "王志强", number=valid("51343119850307123")), entry("b", "李秀英", birth="1990-01-02")
    )

    assert not together(result, 0, 1)
    assert result.method == {0: LinkMethod.SINGLE, 1: LinkMethod.SINGLE}
