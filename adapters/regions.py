"""Region codes (GB/T 2260) that the hub checks resident ID numbers against.

The hub carries the province-level codes for the whole country and the full county list
for Liangshan Yi Autonomous Prefecture (513400), where its agencies sit. Abolished codes
stay valid inside ID numbers, because a number never changes when its region is renamed.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFECTURE_CODE = "513400"

# GB/T 2260 province-level codes, including Taiwan (71), Hong Kong (81) and Macao (82).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


@dataclass(frozen=True, slots=True)
class County:
    """A county-level division of Liangshan with its receiving justice bureau's code."""

    code: str
    name_zh: str
    name_en: str
    current_code: str


_COUNTIES = [
    County("513401", "西昌市", "Xichang", "513401"),
    County("513402", "会理市", "Huili", "513402"),
    # Huili county became a city in 2021; numbers issued before keep 513425.
    County("513425", "会理县", "Huili (county, before 2021)", "513402"),
    County("513422", "木里藏族自治县", "Muli", "513422"),
    County("513423", "盐源县", "Yanyuan", "513423"),
    County("513424", "德昌县", "Dechang", "513424"),
    County("513426", "会东县", "Huidong", "513426"),
    County("513427", "宁南县", "Ningnan", "513427"),
    County("513428", "普格县", "Puge", "513428"),
    County("513429", "布拖县", "Butuo", "513429"),
    County("513430", "金阳县", "Jinyang", "513430"),
    County("513431", "昭觉县", "Zhaojue", "513431"),
    County("513432", "喜德县", "Xide", "513432"),
    County("513433", "冕宁县", "Mianning", "513433"),
    County("513434", "越西县", "Yuexi", "513434"),
    County("513435", "甘洛县", "Ganluo", "513435"),
    County("513436", "美姑县", "Meigu", "513436"),
    County("513437", "雷波县", "Leibo", "513437"),
]

COUNTIES: dict[str, County] = {county.code: county for county in _COUNTIES}

# The 17 counties as they are today (513425 folded into 513402).
CURRENT_COUNTY_CODES: tuple[str, ...] = tuple(
    county.code for county in _COUNTIES if county.code == county.current_code
)


def is_valid_region(code: str) -> bool:
    """Tell whether a 6-digit code can stand at the start of an ID number.

    Inside Liangshan (5134xx) only the prefecture and its listed counties pass. Elsewhere
    the hub knows only the province and rejects prefecture or county parts of ``00``
    below a province code that has none; the full national table is not carried.
    """
    if len(code) != 6 or not code.isdigit():
        return False
    if code[:2] not in PROVINCE_CODES:
        return False
    if code.startswith("5134"):
        return code == PREFECTURE_CODE or code in COUNTIES
    return not (code[2:4] == "00" and code[4:] != "00")


def current_county(code: str) -> County | None:
    """Return the county that receives work for ``code`` today (513425 → 513402)."""
    county = COUNTIES.get(code)
    if county is None:
        return None
    return COUNTIES[county.current_code]
