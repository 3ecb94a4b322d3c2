"""The counties a correction notice belongs to, for the county scope of ``hub.policy``.

A notice belongs to the receiving justice bureau's county and the place of execution
(Community Correction Law arts. 17, 20), and to the issuing court's county (SPC
Interpretation art. 519). The court's county comes from its case-number code: 川3401 is
the court of 513401; a prefecture court (川34) adds no county.
"""

from __future__ import annotations

import re

from adapters.regions import current_county

_SICHUAN_COURT = re.compile(r"川(\d{4})")
SICHUAN_PROVINCE_CODE = "51"


def notice_counties(
    bureau_county_code: str | None, county_code: str | None, case_number: str
) -> tuple[str, ...]:
    found: list[str] = []
    court = _SICHUAN_COURT.search(case_number)
    candidates = [bureau_county_code, county_code, SICHUAN_PROVINCE_CODE + court.group(1) if court else None]
    for code in candidates:
        county = current_county(code) if code else None
        if county is not None and county.code not in found:
            found.append(county.code)
    return tuple(found)
