"""A labelled synthetic evaluation set for person linkage, with a documented noise model.

``generate(records, seed)`` draws people of Liangshan (county, ethnicity, sex, birth date,
a valid ID number, a Yi name and for some a Han school name) and writes each person into
one to four agencies (police, court, prison, justice bureau), sometimes twice into the
same one. Every record carries the ``person`` it came from: the ground truth. All names
are built from invented syllables; nothing is real.

Noise model, applied independently to each record (shares of records):

========================  =====  ==============================================================
ID number missing          8 %   blank
legacy 15-digit            10 %  people born 1900–1999 only, as the older systems stored them
mistyped                   5 %   one digit replaced, or two neighbours swapped; always fails
                                 the check character (GB 11643 MOD 11-2 catches both)
width/case variant         5 %   full-width digits, a lower-case ``x``, or spaces inside
name script/width          5 %   traditional characters (OpenCC ``s2t``); 3 % full-width dots
separator                  30 %  of Yi names: one of ``·`` ``•`` ``・`` ``.`` ``．`` ``‧``, a space
                                 or nothing between clan and given name
Yi/Han alias               --    of Yi people with a Han school name: 15 % of records give only
                                 the Han name, 15 % give it first with the Yi name as the
                                 other name, 30 % the Yi name with the Han one, 40 % Yi only
homophone                  4 %   of Yi names: one syllable written with a homophone or a
                                 near one (曲比 → 确比, 沙马 → 沙玛)
birth date missing         2 %
day/month transposed       3 %   where the day is 12 or less
sex wrong                  1.5 % the other sex (the ID number's parity disagrees)
county                     4 %   a different county (moved); Huili people recorded under the
                                 retired 513425 in 30 % of records
========================  =====  ==============================================================

Sex is written in each agency's own scheme (police M/F, prison and court 男/女, justice
bureau GB/T 2261.1), ethnicity as a code or a name.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import opencc

from adapters.idnumber import check_character
from simulators.names import YI_CLANS as SIMULATOR_CLANS

AGENCIES = ("police", "court", "prison", "justice_bureau")
SEX_SCHEME = {"police": "letters", "court": "chinese", "prison": "chinese", "justice_bureau": "gb"}
COUNTIES = (
    "513401",
    "513402",
    "513422",
    "513423",
    "513424",
    "513426",
    "513427",
    "513428",
    "513429",
    "513430",
    "513431",
    "513432",
    "513433",
    "513434",
    "513435",
    "513436",
    "513437",
)
# The stand-ins' clans, and more, so the evaluation set is not drawn from the same few names.
YI_CLANS = SIMULATOR_CLANS + (
    ("吉伍", "吉"),
    ("阿尔", None),
    ("日火", "日"),
    ("立立", "李"),
    ("加拉", "加"),
    ("阿约", None),
    ("俄底", "俄"),
    ("苏呷", "苏"),
    ("的日", None),
    ("吉吉", "吉"),
    ("阿什", None),
    ("孙子", "孙"),
    ("拉马", "拉"),
    ("金古", "金"),
    ("安德", "安"),
)
YI_SYLLABLES = tuple(
    "拉 哈 伍 沙 日 体 石 者 木 呷 尔 布 阿 牛 各 则 有 格 古 约 果 依 莫 芝 史 惹 作 支 达 洛".split()
)
HAN_SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭罗宋谢唐马许邓冯韩曹彭曾萧田董潘袁"
    "蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹"
)
HAN_GIVEN = tuple(
    "文华志强建国平军伟明兵德永福丽红梅秀英芳兰静琳婷燕海春玉晓林敏杰勇涛斌超鹏飞宇浩然鑫磊刚亮辉".replace(
        "", " "
    ).split()
)
HOMOPHONES = {
    "曲": "确",
    "比": "毕",
    "马": "玛",
    "克": "可",
    "苏": "素",
    "木": "姆",
    "拉": "腊",
    "呷": "嘎",
    "伍": "五",
    "莫": "么",
    "尔": "而",
    "洛": "罗",
    "日": "惹",
    "格": "各",
}
SEPARATORS = ("·", "•", "・", ".", "．", "‧", " ", "")
_S2T = opencc.OpenCC("s2t")


@dataclass(frozen=True, slots=True)
class Person:
    person: int
    id_number: str
    name: str  # Yi name for Yi people, else the Han name
    han_name: str | None
    sex: str  # "1" or "2"
    ethnicity: str
    birth: dt.date
    county: str


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One agency's record as stored, before the hub normalises it."""

    person: int  # ground truth
    agency: str
    local_key: str
    name: str
    other_names: tuple[str, ...]
    id_number: str | None
    sex: str  # as the agency writes it (M/F, 男/女, 1/2)
    ethnicity: str
    birth: str | None  # as text, in the agency's own date format
    county: str | None


def generate(records: int, seed: int = 7) -> list[RawRecord]:
    """At least ``records`` noisy records (the last person's records may go a few over)."""
    rng = random.Random(seed)
    used: set[str] = set()
    out: list[RawRecord] = []
    person_number = 0
    while len(out) < records:
        person = _person(rng, person_number, used)
        out.extend(_records_of(rng, person))
        person_number += 1
    return out


def _person(rng: random.Random, number: int, used: set[str]) -> Person:
    county = rng.choice(COUNTIES)
    male = rng.random() < 0.62
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 58 * 365))
    yi = rng.random() < 0.55
    if yi:
        clan, surname = rng.choice(YI_CLANS)
        name = clan + "".join(rng.choice(YI_SYLLABLES) for _ in range(2))
        han = surname + _han_given(rng) if surname and rng.random() < 0.5 else None
    else:
        name, han = rng.choice(HAN_SURNAMES) + _han_given(rng), None
    return Person(
        number,
        _id_number(rng, county, birth, male, used),
        name,
        han,
        "1" if male else "2",
        "07" if yi else "01",
        birth,
        county,
    )


def _han_given(rng: random.Random) -> str:
    return "".join(rng.choice(HAN_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _id_number(rng: random.Random, county: str, birth: dt.date, male: bool, used: set[str]) -> str:
    region = "513425" if county == "513402" and rng.random() < 0.5 else county
    while True:
        sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
        first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
        number = first17 + check_character(first17)
        if number not in used:
            used.add(number)
            return number


def _records_of(rng: random.Random, person: Person) -> list[RawRecord]:
    count = rng.choices((1, 2, 3, 4), weights=(35, 30, 20, 15))[0]
    agencies = rng.sample(AGENCIES, count)
    if rng.random() < 0.05:
        agencies.append(rng.choice(agencies))
    return [_record(rng, person, agency, n) for n, agency in enumerate(agencies)]


def _record(rng: random.Random, person: Person, agency: str, n: int) -> RawRecord:
    name, others = _names(rng, person)
    return RawRecord(
        person=person.person,
        agency=agency,
        local_key=f"{agency[:2].upper()}{person.person:08d}{n}",
        name=name,
        other_names=others,
        id_number=_stored_id(rng, person),
        sex=_sex(rng, person, agency),
        ethnicity=person.ethnicity
        if agency != "prison"
        else ("彝族" if person.ethnicity == "07" else "汉族"),
        birth=_birth(rng, person, agency),
        county=_county(rng, person),
    )


def _names(rng: random.Random, person: Person) -> tuple[str, tuple[str, ...]]:
    yi = person.ethnicity == "07"
    name = _yi_variant(rng, person.name) if yi else person.name
    if person.han_name is not None:
        roll = rng.random()
        if roll < 0.15:
            return _script(rng, person.han_name), ()
        if roll < 0.30:
            return _script(rng, person.han_name), (name,)
        if roll < 0.60:
            return _script(rng, name), (person.han_name,)
    return _script(rng, name), ()


def _yi_variant(rng: random.Random, name: str) -> str:
    if rng.random() < 0.04:
        position = rng.randrange(len(name))
        name = name[:position] + HOMOPHONES.get(name[position], name[position]) + name[position + 1 :]
    if rng.random() < 0.30:
        name = name[:2] + rng.choice(SEPARATORS) + name[2:]
    return name


def _script(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.05:
        return str(_S2T.convert(name))
    if roll < 0.08:
        return name.replace("·", "．")
    return name


def _stored_id(rng: random.Random, person: Person) -> str | None:
    number = person.id_number
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.18 and number[6:8] == "19":
        return number[:6] + number[8:17]
    if roll < 0.23:
        return _mistyped(rng, number)
    if roll < 0.28:
        return rng.choice((number.lower(), number.translate(_FULL_WIDTH), number[:6] + " " + number[6:]))
    return number


_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _mistyped(rng: random.Random, number: str) -> str:
    while True:
        digits = list(number)
        i = rng.randrange(0, 16)
        if rng.random() < 0.5:
            digits[i] = str((int(digits[i]) + rng.randrange(1, 10)) % 10)
        else:
            digits[i], digits[i + 1] = digits[i + 1], digits[i]
        typed = "".join(digits)
        if typed != number and check_character(typed[:17]) != typed[17]:
            return typed


def _sex(rng: random.Random, person: Person, agency: str) -> str:
    code = person.sex if rng.random() >= 0.015 else ("2" if person.sex == "1" else "1")
    scheme = SEX_SCHEME[agency]
    if scheme == "letters":
        return "M" if code == "1" else "F"
    if scheme == "chinese":
        return "男" if code == "1" else "女"
    return code


def _birth(rng: random.Random, person: Person, agency: str) -> str | None:
    roll = rng.random()
    if roll < 0.02:
        return None
    birth = person.birth
    if roll < 0.05 and birth.day <= 12 and birth.day != birth.month:
        birth = dt.date(birth.year, birth.day, birth.month)
    if agency == "police":
        return f"{birth:%Y%m%d}"
    if agency == "court":
        return f"{birth.year}年{birth.month}月{birth.day}日"
    return birth.isoformat()


def _county(rng: random.Random, person: Person) -> str | None:
    if rng.random() < 0.04:
        return rng.choice(COUNTIES)
    if person.county == "513402" and rng.random() < 0.3:
        return "513425"
    return person.county
