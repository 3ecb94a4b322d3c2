"""Normalise identity attributes before they are indexed or compared.

Every rule follows DOMAIN.md: ID numbers by GB 11643-1999 (15 → 18, width, case, check
character), names with the minority-name separator U+00B7 and its variants, sex codes to
GB/T 2261.1 (the legacy scheme of each source named, never guessed), ethnicity to GB 3304
(with the legacy 57/58 folded to 97/98), and the retired region code 513425 to 513402.
Traditional characters become simplified through OpenCC's ``t2s`` table.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import opencc
from pypinyin import Style, lazy_pinyin

from adapters.idnumber import IdNumber, check_character, try_parse_id_number
from adapters.idnumber import normalise as fold_id_text
from adapters.regions import current_county

NAME_SEPARATOR = "·"  # U+00B7, the 2016 rule for minority names
# U+2022 bullet, U+30FB katakana middle dot, U+FF65 half-width, U+2027 hyphenation point,
# U+2219 bullet operator, U+FF0E full-width full stop, U+FE52 small full stop, U+00B7 itself.
_SEPARATORS = re.compile(r"[\s·•・･‧∙．﹒.。]+")
_T2S = opencc.OpenCC("t2s")


class SexScheme(StrEnum):
    """How a source writes sex: GB/T 2261.1 codes, M/F letters, 男/女, or 1 male / 0 female."""

    GB = "gb"
    LETTERS = "letters"
    CHINESE = "chinese"
    ONE_ZERO = "one_zero"


_SEX_TABLES: dict[SexScheme, dict[str, str]] = {
    SexScheme.GB: {"0": "0", "1": "1", "2": "2", "9": "9"},
    SexScheme.LETTERS: {"M": "1", "F": "2", "U": "0"},
    SexScheme.CHINESE: {"男": "1", "女": "2", "未知": "0", "未说明": "9"},
    SexScheme.ONE_ZERO: {"1": "1", "0": "2"},
}

# GB 3304 names keyed without the trailing 族; legacy 57 其他 / 58 外国血统 go to 97 / 98.
_ETHNICITY_NAMES = {
    "汉": "01",
    "蒙古": "02",
    "回": "03",
    "藏": "04",
    "维吾尔": "05",
    "苗": "06",
    "彝": "07",
    "壮": "08",
    "布依": "09",
    "朝鲜": "10",
    "满": "11",
    "侗": "12",
    "瑶": "13",
    "白": "14",
    "土家": "15",
    "傈僳": "20",
    "纳西": "27",
    "其他": "97",
    "外国血统中国籍人士": "98",
    "外国血统": "98",
}
_LEGACY_ETHNICITY = {"57": "97", "58": "98"}
_DATE_PATTERN = re.compile(r"^(\d{4})\D?(\d{1,2})\D?(\d{1,2})\D?$")


@dataclass(frozen=True, slots=True)
class SexValue:
    """A GB/T 2261.1 sex code and whether it contradicts the ID number's parity (kept, flagged)."""

    code: str
    conflicts_with_id_number: bool = False


def id_number(raw: object) -> IdNumber | None:
    """Return the valid 18-character number for a stored value, or None.

    Handles 15-digit numbers, full-width digits, spaces, a lower-case ``x``, a number stored
    as a float (``…0.0``) and an 18-character number that lost its ``X`` when kept as a number.
    """
    if raw is None:
        return None
    text = fold_id_text(str(raw)).removesuffix(".0")
    if len(text) == 17 and text.isdigit() and check_character(text) == "X":
        text += "X"
    return try_parse_id_number(text)


def id_number_text(raw: object) -> str | None:
    """The folded text of a stored number, valid or not, for comparing mistyped numbers."""
    if raw is None:
        return None
    text = fold_id_text(str(raw)).removesuffix(".0")
    if len(text) == 15 and text.isdigit():
        text = text[:6] + "19" + text[6:] + "?"
    return text or None


@functools.lru_cache(maxsize=200_000)
def name(raw: str | None) -> str:
    """Display form: width folded, simplified script, separators unified to U+00B7.

    A Liangshan Yi name written without a dot stays without one: never split by position.
    """
    if not raw:
        return ""
    folded = _T2S.convert(unicodedata.normalize("NFKC", raw))
    parts = [part for part in _SEPARATORS.split(folded) if part]
    return NAME_SEPARATOR.join(parts)


@functools.lru_cache(maxsize=200_000)
def name_key(raw: str) -> str:
    """Comparison form: the display form without any separator (阿苏·拉哈 = 阿苏拉哈)."""
    return name(raw).replace(NAME_SEPARATOR, "")


@functools.lru_cache(maxsize=200_000)
def pinyin_key(raw: str) -> str:
    """Toneless pinyin of the key, syllables joined by spaces (曲比 → ``qu bi``)."""
    return " ".join(lazy_pinyin(name_key(raw), style=Style.NORMAL, errors="default"))


def sex(raw: object, scheme: SexScheme, parsed_id: IdNumber | None = None) -> SexValue:
    """Map ``raw`` by the source's ``scheme``; an unmapped value is ``0`` (unknown).

    A stated sex that contradicts the ID number's sequence parity is kept and flagged.
    """
    key = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
    if scheme is SexScheme.LETTERS:
        key = key.upper()
    code = _SEX_TABLES[scheme].get(key, "0")
    conflict = parsed_id is not None and code in ("1", "2") and code != parsed_id.sex_code
    return SexValue(code, conflict)


def ethnicity(raw: object) -> str | None:
    """GB 3304 code for a code (``7``, ``07``, ``57``) or a name (``彝族``, ``彝``); None if unknown."""
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
    if not text:
        return None
    if text.isdigit():
        code = text.zfill(2)
        if code in _LEGACY_ETHNICITY:
            return _LEGACY_ETHNICITY[code]
        return code if 1 <= int(code) <= 56 or code in ("97", "98") else None
    return _ETHNICITY_NAMES.get(_T2S.convert(text).removesuffix("族"))


def birth_date(raw: object) -> dt.date | None:
    """Parse legacy birth dates: ``YYYYMMDD``, ``YYYY-MM-DD``, ``YYYY/M/D``, ``YYYY年M月D日``,
    ``YYMMDD`` (read as 19YY, as the 15-digit ID numbers do) and ``datetime``/``date`` values.
    Blank, ``00000000`` and impossible dates are None.
    """
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
    if len(text) == 6 and text.isdigit():
        text = "19" + text
    match = _DATE_PATTERN.match(text)
    if match is None:
        return None
    year, month, day = (int(group) for group in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def transposed(date: dt.date | None) -> dt.date | None:
    """Return the date with day and month swapped, when that is a different valid date."""
    if date is None or date.day > 12 or date.day == date.month:
        return None
    return dt.date(date.year, date.day, date.month)


def county(raw: str | None) -> str | None:
    """Current county code (513425 → 513402); other codes pass through folded."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return None
    found = current_county(text)
    return found.code if found is not None else text
