"""Synthetic names for the data set: Yi names with and without ``·``, Han school names, and
Han, Hui and Tibetan names. Every name here is invented from common syllables.

A Liangshan Yi name is a clan name run into a given name (阿苏拉哈); some registers
write a dot between them (阿苏·拉哈). Many Yi people also carry a Han school name whose
surname comes from the clan name (阿苏 → 苏).
"""

from __future__ import annotations

import random

# (clan name, Han surname used in school names, or None when the family uses none)
YI_CLANS: tuple[tuple[str, str | None], ...] = (
    ("阿苏", "苏"),
    ("吉克", "吉"),
    ("沙马", "沙"),
    ("马海", "马"),
    ("曲比", "曲"),
    ("海来", "海"),
    ("罗洪", "罗"),
    ("吉木", "吉"),
    ("巴莫", "巴"),
    ("阿侯", "侯"),
    ("俄木", None),
    ("勒格", None),
    ("瓦扎", None),
    ("木乃", None),
    ("阿的", None),
)
YI_GIVEN_MALE = tuple("拉哈 伍沙 日体 石者 木呷 尔布 阿牛 伍各 拉则 有格 尔古 约布".split())
YI_GIVEN_FEMALE = tuple("阿果 阿依 伍呷 拉莫 阿芝 史惹 日呷 阿各 依作 阿支 有呷".split())

HAN_SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭罗宋谢唐"
HUI_SURNAMES = "马马马海沙白穆"
# 堃 is outside GB2312 but inside GBK: the court's GBK test needs it.
HAN_GIVEN_MALE = ("文华", "志强", "建国", "国华", "小兵", "德军", "明", "伟", "军", "建平", "永福", "文堃")
HAN_GIVEN_FEMALE = ("红梅", "秀英", "丽", "海燕", "小芳", "玉兰", "春梅", "静", "晓琳", "婷")
TIBETAN_MALE = ("扎西", "次仁", "多吉", "洛绒", "格绒", "尼玛")
TIBETAN_FEMALE = ("卓玛", "拉姆", "央金", "志玛", "曲珍", "达瓦")

DOTTED_SHARE = 0.25
HAN_NAME_SHARE = 0.45


def yi_name(rng: random.Random, male: bool) -> tuple[str, str | None]:
    """Return a Yi name and, for some people, a Han school name."""
    clan, han_surname = rng.choice(YI_CLANS)
    given_name = rng.choice(YI_GIVEN_MALE if male else YI_GIVEN_FEMALE)
    separator = "·" if rng.random() < DOTTED_SHARE else ""
    name = clan + separator + given_name

    if han_surname is None or rng.random() >= HAN_NAME_SHARE:
        return name, None
    return name, han_surname + rng.choice(HAN_GIVEN_MALE if male else HAN_GIVEN_FEMALE)


def han_name(rng: random.Random, male: bool, surnames: str = HAN_SURNAMES) -> str:
    return rng.choice(surnames) + rng.choice(HAN_GIVEN_MALE if male else HAN_GIVEN_FEMALE)


def tibetan_name(rng: random.Random, male: bool) -> str:
    pool = TIBETAN_MALE if male else TIBETAN_FEMALE
    return rng.choice(TIBETAN_MALE) + rng.choice(pool)


def person_name(rng: random.Random, ethnicity_code: str, male: bool) -> tuple[str, str | None]:
    """Return (registered name, Han school name or None) for a GB 3304 ethnicity code."""
    if ethnicity_code == "07":
        return yi_name(rng, male)
    if ethnicity_code == "04":
        return tibetan_name(rng, male), None
    if ethnicity_code == "03":
        return han_name(rng, male, HUI_SURNAMES), None
    return han_name(rng, male), None
