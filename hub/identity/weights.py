"""Fellegi–Sunter comparison of two person records: field levels and their match weights.

Each field is compared to a level; a level's weight is ``log2(m / u)``, where ``m`` is the
chance of that level for two records of one person and ``u`` for two different people
(Fellegi and Sunter, "A Theory for Record Linkage", JASA 64, 1969). The m and u values below
were set from the synthetic evaluation set's noise model (``bench.linkage_data``) and the
county and name frequencies it draws from; a missing value on either side weighs zero.
Names compare through pypinyin and rapidfuzz's Jaro–Winkler, so homophone transliterations
(曲比 / 确比, 沙马 / 沙玛) come out close.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import IntEnum

from rapidfuzz.distance import OSA, JaroWinkler

from hub.identity import normalise

CLOSE_PINYIN = 0.90  # Jaro–Winkler similarity of the joined pinyin that counts as close
ID_TEXT_MAX_EDITS = 1  # one mistyped digit, or two swapped neighbours (optimal string alignment)


class NameLevel(IntEnum):
    EXACT = 0
    SAME_PINYIN = 1
    CLOSE_PINYIN = 2
    ALIAS = 3  # a Han school name whose surname is a character of the other (Yi) name
    DIFFERENT = 4


class DateLevel(IntEnum):
    EXACT = 0
    TRANSPOSED = 1  # day and month swapped
    SAME_YEAR = 2
    DIFFERENT = 3


def _w(m: float, u: float) -> float:
    return math.log2(m / u)


NAME_WEIGHTS = {
    NameLevel.EXACT: _w(0.86, 0.002),
    NameLevel.SAME_PINYIN: _w(0.04, 0.0006),
    NameLevel.CLOSE_PINYIN: _w(0.04, 0.004),
    NameLevel.ALIAS: _w(0.05, 0.03),
    NameLevel.DIFFERENT: _w(0.01, 0.9834),
}
DATE_WEIGHTS = {
    DateLevel.EXACT: _w(0.95, 0.0001),
    DateLevel.TRANSPOSED: _w(0.02, 0.0001),
    DateLevel.SAME_YEAR: _w(0.02, 0.016),
    DateLevel.DIFFERENT: _w(0.01, 0.9838),
}
SEX_AGREE, SEX_DISAGREE = _w(0.96, 0.5), _w(0.04, 0.5)
COUNTY_AGREE, COUNTY_DISAGREE = _w(0.9, 0.1), _w(0.1, 0.9)
# People born on one day in one county share the first 14 characters, so a near number is
# only moderate evidence on top of the date and county it repeats.
ID_TEXT_CLOSE, ID_TEXT_FAR = _w(0.95, 0.01), _w(0.05, 0.99)

FIELD_NAMES = ("name", "birth_date", "sex", "county", "id_number")


@dataclass(frozen=True, slots=True)
class Side:
    """One record's comparable values, already normalised."""

    names: tuple[str, ...]  # name keys (no separators, simplified)
    birth_ordinal: int  # date.toordinal(), 0 when unknown
    sex: str  # GB/T 2261.1; 0 and 9 compare as unknown
    county: str | None
    id_number: str | None  # valid 18-character number
    id_text: str | None  # folded stored text when the number is invalid


@dataclass(frozen=True, slots=True)
class Comparison:
    score: float
    agreed: tuple[str, ...]  # fields at their best level


class NameComparer:
    """Compare name keys, caching pinyin and pair levels (names repeat across records)."""

    def __init__(self) -> None:
        self._pinyin: dict[str, str] = {}
        self._pairs: dict[tuple[str, str], NameLevel] = {}

    def pinyin(self, key: str) -> str:
        found = self._pinyin.get(key)
        if found is None:
            found = normalise.pinyin_key(key).replace(" ", "")
            self._pinyin[key] = found
        return found

    def level(self, a: str, b: str) -> NameLevel:
        if a == b:
            return NameLevel.EXACT
        pair = (a, b) if a < b else (b, a)
        found = self._pairs.get(pair)
        if found is None:
            found = self._compute(*pair)
            self._pairs[pair] = found
        return found

    def best(self, a: tuple[str, ...], b: tuple[str, ...]) -> NameLevel | None:
        if not a or not b:
            return None
        return min(self.level(x, y) for x in a for y in b)

    def _compute(self, a: str, b: str) -> NameLevel:
        pa, pb = self.pinyin(a), self.pinyin(b)
        if pa == pb:
            return NameLevel.SAME_PINYIN
        if JaroWinkler.similarity(pa, pb) >= CLOSE_PINYIN:
            return NameLevel.CLOSE_PINYIN
        if _alias_compatible(a, b):
            return NameLevel.ALIAS
        return NameLevel.DIFFERENT


def _alias_compatible(a: str, b: str) -> bool:
    # A Han school name takes its surname from the Yi clan name (阿苏 → 苏) but is a new
    # given name: only the short name's first character must appear in the longer name.
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) <= 3 and len(long) >= 3 and short[0] in long[:-1]


def date_level(a: int, b: int) -> DateLevel | None:
    if not a or not b:
        return None
    if a == b:
        return DateLevel.EXACT
    da, db = dt.date.fromordinal(a), dt.date.fromordinal(b)
    if da.year == db.year and da.month == db.day and da.day == db.month:
        return DateLevel.TRANSPOSED
    if da.year == db.year:
        return DateLevel.SAME_YEAR
    return DateLevel.DIFFERENT


def compare(a: Side, b: Side, names: NameComparer) -> Comparison:
    """Score two records: the sum of the field weights, and the fields that agreed."""
    score = 0.0
    agreed: list[str] = []

    name_level = names.best(a.names, b.names)
    if name_level is not None:
        score += NAME_WEIGHTS[name_level]
        if name_level <= NameLevel.CLOSE_PINYIN:
            agreed.append("name")

    birth = date_level(a.birth_ordinal, b.birth_ordinal)
    if birth is not None:
        score += DATE_WEIGHTS[birth]
        if birth <= DateLevel.TRANSPOSED:
            agreed.append("birth_date")

    if a.sex in ("1", "2") and b.sex in ("1", "2"):
        score += SEX_AGREE if a.sex == b.sex else SEX_DISAGREE
        if a.sex == b.sex:
            agreed.append("sex")

    if a.county and b.county:
        score += COUNTY_AGREE if a.county == b.county else COUNTY_DISAGREE
        if a.county == b.county:
            agreed.append("county")

    id_weight = _id_text_weight(a, b)
    if id_weight is not None:
        score += id_weight
        if id_weight > 0:
            agreed.append("id_number")
    return Comparison(round(score, 3), tuple(agreed))


def _id_text_weight(a: Side, b: Side) -> float | None:
    # Two valid numbers never reach here (they link or stay apart deterministically).
    left = a.id_number or a.id_text
    right = b.id_number or b.id_text
    if not left or not right or (a.id_text is None and b.id_text is None):
        return None
    distance = OSA.distance(left[:17], right[:17])
    return ID_TEXT_CLOSE if distance <= ID_TEXT_MAX_EDITS else ID_TEXT_FAR
